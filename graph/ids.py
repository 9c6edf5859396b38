"""External ids: the stable key of every node, for lookups, upserts and imports."""

from __future__ import annotations

import re

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$")
ID_RULE = "1-128 characters: letters, digits and _ . : @ -, starting with a letter or digit"


def valid_id(value: object) -> bool:
    return isinstance(value, str) and ID_PATTERN.match(value) is not None
