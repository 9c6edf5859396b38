"""Numeric keys that order like a name: the first characters of a string packed into one
integer, so that a list sorted by name can read its first page through a range on an
indexed number (``graph.cypher.horizons``). FalkorDB indexes strings for equality only.

A key is ``CHARS`` base-98 digits, below 2**53 so that it is exact as a double: the
store's numeric index holds doubles, and distinct integers that round to one double made
FalkorDB build that index hundreds of times slower. A printable ASCII character is a
digit of its own (2 to 96), in code point order. Characters that share a digit end the
key, because what follows them must not reorder two names the digit cannot tell apart:
the control characters below space (1) and every character from DEL up (97). Missing
characters are 0, and so is a missing name (it sorts as the empty string). Hence, for the
order both stores give strings (FalkorDB by code point, Neo4j by UTF-16 unit, which agree
below U+D800):

    a < b  implies  key(a) <= key(b)

which is all a window needs: every name with a key above a horizon sorts after every name
with a key at or below it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from graph.model import NAME_KEY, NAME_KEYED

CHARS = 8
_BASE = 98
_SPACE, _TILDE = 0x20, 0x7E
_WEIGHTS = np.array([_BASE ** (CHARS - 1 - i) for i in range(CHARS)], dtype=np.int64)


def name_keys(names: Sequence[str | None]) -> np.ndarray:
    """The key of each name (int64), in one pass over all of them."""
    # UTF-8 keeps ASCII as is and makes every other character start with a byte >= 0x80.
    heads = [(n or "").encode()[:CHARS] for n in names]
    b = np.array(heads, dtype=f"S{CHARS}").view(np.uint8).reshape(len(names), CHARS).astype(np.int64)
    length = np.fromiter(map(len, heads), dtype=np.int64, count=len(heads))
    present = np.arange(CHARS) < length[:, None]  # a NUL in the name is a character, not padding
    shared = present & ((b < _SPACE) | (b > _TILDE))
    digits = np.where(b < _SPACE, 1, np.where(b > _TILDE, _BASE - 1, b - _SPACE + 2))
    ended = (np.cumsum(shared, axis=1) - shared) > 0  # after the first shared digit
    digits = np.where(present & ~ended, digits, 0)
    return digits @ _WEIGHTS  # type: ignore[no-any-return]


def name_key(name: str | None) -> int:
    """One name's key (as ``name_keys``, without numpy's per-call cost: every write of a
    name computes one)."""
    key = 0
    ended = False
    for i in range(CHARS):
        digit = 0
        if not ended and name and i < len(name):
            code = ord(name[i])
            shared = code < _SPACE or code > _TILDE
            digit = 1 if code < _SPACE else _BASE - 1 if code > _TILDE else code - _SPACE + 2
            ended = shared
        key = key * _BASE + digit
    return key


def prefix_range(prefix: str) -> tuple[int, int]:
    """The keys of every name that starts with ``prefix``: at least the prefix's own, at
    most that of the prefix followed by the highest character (which ends a key)."""
    return name_key(prefix), name_key(prefix + "\U0010ffff")


def keyed(label: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """``props`` (stored form) with the name's key beside the name, for a kind whose lists
    sort by name: a write that sets a name sets its key in the same statement. (A node
    written with no name has no key until the next horizon refresh gives it one.)"""
    if label not in NAME_KEYED or "name" not in props:
        return dict(props)
    return {**props, NAME_KEY: name_key(props.get("name"))}
