"""Numeric keys that order like a name: the first characters of a string packed into one
integer, so that a list sorted by name can read its first page through a range on an
indexed number (``graph.cypher.horizons``). FalkorDB indexes strings for equality only.

A key holds up to ``CHARS`` characters of 7 bits each (63 bits: a positive int64). An
ASCII character below DEL is its own code; any other character is 127 and ends the key,
because characters from DEL upward share that one digit and what follows them must not
reorder two names the digit cannot tell apart. Missing characters are 0, and so is a
missing name (it sorts as the empty string). Hence, for the order both stores give
strings (FalkorDB by code point, Neo4j by UTF-16 unit, which agree below U+D800):

    a < b  implies  key(a) <= key(b)

which is all a window needs: every name with a key above a horizon sorts after every name
with a key at or below it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from graph.model import NAME_KEY, NAME_KEYED

CHARS = 9
_LAST = 127
_SHIFTS = np.array([7 * (CHARS - 1 - i) for i in range(CHARS)], dtype=np.int64)


def name_keys(names: Sequence[str | None]) -> np.ndarray:
    """The key of each name (int64), in one pass over all of them."""
    # UTF-8 keeps ASCII as is and makes every other character start with a byte >= 0x80.
    raw = np.array([(n or "").encode()[:CHARS] for n in names], dtype=f"S{CHARS}")
    digits = raw.view(np.uint8).reshape(len(names), CHARS).astype(np.int64)
    last = digits >= _LAST
    ended = (np.cumsum(last, axis=1) - last) > 0  # after the first character >= DEL
    digits = np.where(last, _LAST, digits)
    digits[ended] = 0
    return (digits << _SHIFTS).sum(axis=1)  # type: ignore[no-any-return]


def name_key(name: str | None) -> int:
    return int(name_keys([name])[0])


def keyed(label: str, props: Mapping[str, Any], *, whole: bool = False) -> dict[str, Any]:
    """``props`` (stored form) with the name's key beside the name, for a kind whose lists
    sort by name: a write that sets a name sets its key in the same statement. ``whole``:
    ``props`` are all the node has, so no name is the key of no name."""
    if label not in NAME_KEYED or ("name" not in props and not whole):
        return dict(props)
    return {**props, NAME_KEY: name_key(props.get("name"))}
