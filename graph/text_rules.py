"""What a string the API accepts may contain: one rule for filters, writes and imports.

Control characters (C0, DEL and C1) other than tab, newline and carriage return (NUL
included) and lone
UTF-16 surrogates are refused, not stored: the stores cannot match them consistently
(a value with ``\\x01`` was stored but ``eq`` on it found nothing) and a surrogate
cannot be encoded at all.
"""

from __future__ import annotations

import re

INVALID_CHARACTER = "INVALID_CHARACTER"
_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why ``value`` is refused, or None when it is fine."""
    found = _BAD.search(value)
    if found is None:
        return None
    char = found.group()
    kind = "a lone surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
    return (f"contains {kind} (U+{ord(char):04X}) at position {found.start()}; "
            "control characters other than tab, newline and carriage return are not accepted")
