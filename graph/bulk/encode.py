"""FalkorDB's ``GRAPH.BULK`` binary format, written from Python values.

The format is the one the ``falkordb-bulk-loader`` package writes from CSV (read from
its source and FalkorDB's ``src/bulk_insert/bulk_insert.c``); this writes it from the
values themselves, so nothing is printed and parsed back and the type of each value is
the type the generator or importer gave it (an integer stays an integer):

* a *token* is one label's (or one relationship type's) header, then its entities;
* header: the name as a NUL-terminated string (``A:B:C`` gives a node three labels),
  a 4-byte little-endian property count, the property names NUL-terminated;
* a node: its properties in header order; a relationship: two 8-byte internal node ids
  (source, destination), then its properties;
* a property: one type byte, then 0 NULL (the property is not set), 1 BOOL + 1 byte,
  2 DOUBLE + 8 bytes, 3 STRING + UTF-8 + NUL, 4 LONG + 8 bytes, 5 ARRAY + 8-byte
  length + that many properties.

Internal node ids are given by the store in creation order, from 0 in a new graph:
the loader counts them to point relationships at their ends.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Iterable, Sequence
from typing import Any

NULL = b"\x00"
TRUE = b"\x01\x01"
FALSE = b"\x01\x00"
_DOUBLE = struct.Struct("<Bd").pack
_LONG = struct.Struct("<Bq").pack
_ARRAY = struct.Struct("<Bq").pack
_COUNT = struct.Struct("<I").pack
ENDS = struct.Struct("<QQ").pack


class BulkValueError(ValueError):
    """A value the bulk format cannot carry (NUL in a string, an int past 64 bits, a dict)."""


def _string(v: str) -> bytes:
    data = v.encode()
    if b"\x00" in data:
        raise BulkValueError("a string with a NUL character")
    return b"\x03" + data + b"\x00"


def _integer(v: int) -> bytes:
    try:
        return _LONG(4, v)
    except struct.error:
        raise BulkValueError(f"an integer outside 64 bits: {v}") from None


def _float(v: float) -> bytes:
    if not math.isfinite(v):
        raise BulkValueError(f"a float that is not finite: {v}")
    return _DOUBLE(2, v)


def _array(v: list[Any] | tuple[Any, ...]) -> bytes:
    return _ARRAY(5, len(v)) + b"".join([value(e) for e in v])


_BY_TYPE: dict[type, Callable[[Any], bytes]] = {
    str: _string, int: _integer, float: _float, bool: lambda v: TRUE if v else FALSE,
    type(None): lambda _: NULL, list: _array, tuple: _array,
}


def value(v: Any) -> bytes:
    """One property, by the Python type of ``v`` (exactly: a subclass is refused)."""
    try:
        encoder = _BY_TYPE[type(v)]
    except KeyError:
        raise BulkValueError(f"a value of type {type(v).__name__}") from None
    return encoder(v)


def header(name: str, props: Sequence[str]) -> bytes:
    """The start of a token: entity name (labels joined by ``:``) and property names."""
    parts = [name.encode() + b"\x00", _COUNT(len(props))]
    parts.extend(p.encode() + b"\x00" for p in props)
    return b"".join(parts)


def props(row: dict[str, Any], names: Iterable[str]) -> bytes:
    """A row's properties in header order; a missing key is NULL (not set)."""
    get = row.get
    return b"".join([value(get(name)) for name in names])


def command(graph: str, begin: bool, node_count: int, rel_count: int,
            node_tokens: list[bytes], rel_tokens: list[bytes]) -> list[Any]:
    """The arguments of one ``GRAPH.BULK`` command."""
    args: list[Any] = ["GRAPH.BULK", graph]
    if begin:
        args.append("BEGIN")
    args += [node_count, rel_count, len(node_tokens), len(rel_tokens), *node_tokens, *rel_tokens]
    return args
