"""A statement's compact answer turned into rows without an ``await`` per value.

The ``falkordb`` client decodes each value of an answer with a coroutine of its own (it
may have to ask the store for the name of a label, a relationship type or a property key
of a node, an edge or a path); on a customer 360 that made up most of the ~320 µs its
raw client spent per statement. The statements the compiler writes return maps, lists
and scalars, which need no name from the store, so they are decoded here by plain calls,
with the client's own rules for each type. An answer holding a node, an edge, a path, a
duration, a type this module does not know, or an error raises ``NeedsClient``: the caller hands the
same answer to the client's decoder, which gives the same rows (or raises the error).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

Record = dict[str, Any]
_STRING, _INTEGER, _ARRAY, _MAP = 2, 3, 6, 10  # the store's type codes of the commonest values


class NeedsClient(Exception):
    """The answer holds something only the ``falkordb`` client decodes (or an error)."""


def rows(answer: list[Any]) -> list[Record]:
    """The rows of a successful compact answer, as ``FalkorDBStore`` returns them."""
    if not answer or isinstance(answer[0], Exception) or isinstance(answer[-1], Exception):
        raise NeedsClient  # the client raises the store's error the way callers expect
    if len(answer) == 1:  # statistics only: a write that returns nothing
        return []
    return records(answer[0], ([_value(cell) for cell in row] for row in answer[1]))


def records(header: list[Any], values: Iterable[list[Any]]) -> list[Record]:
    """Rows of decoded values as dicts by column name (a header entry is ``[type, name]``)."""
    if not header:
        return []
    columns = [column[1] if isinstance(column, list | tuple) else column for column in header]
    return [dict(zip(columns, row, strict=True)) for row in values]


def _value(cell: list[Any]) -> Any:
    kind, value = cell
    # The kinds nearly every answer is made of, without a call each (a traversal's answer
    # is hundreds of them); the same results as their decoders below.
    if kind == _STRING and type(value) is str:
        return value
    if kind == _INTEGER and type(value) is int:
        return value
    if kind == _MAP:
        return _map(value)
    if kind == _ARRAY:
        return _array(value)
    try:
        decode = _DECODERS[kind]
    except (IndexError, TypeError):
        raise NeedsClient from None
    return decode(value)


def _string(value: Any) -> str:
    if isinstance(value, str):
        return value
    return value.decode() if isinstance(value, bytes) else str(value)


def _map(value: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    pairs = iter(value)
    for key, cell in zip(pairs, pairs):
        kind, item = cell
        if not ((kind == _STRING and type(item) is str) or (kind == _INTEGER and type(item) is int)):
            item = _value(cell)
        out[key if type(key) is str else _string(key)] = item
    return out


def _array(value: list[Any]) -> list[Any]:
    out: list[Any] = []
    for cell in value:
        kind, item = cell
        if not ((kind == _STRING and type(item) is str) or (kind == _INTEGER and type(item) is int)):
            item = _value(cell)
        out.append(item)
    return out


def _needs_client(value: Any) -> Any:
    raise NeedsClient


def _utc(value: Any) -> datetime:
    return datetime.fromtimestamp(value, tz=timezone.utc)


# By the store's type codes (FalkorDB's ResultSetScalarTypes), each as the client reads it.
_DECODERS: list[Callable[[Any], Any]] = [
    _needs_client,  # 0 unknown: the client writes a warning and gives None
    lambda value: None,  # 1 null
    _string,  # 2 string
    int,  # 3 integer
    lambda value: (value.decode() if isinstance(value, bytes) else value) == "true",  # 4 boolean
    float,  # 5 double
    _array,  # 6 array
    _needs_client,  # 7 edge: its type's name may have to be asked of the store
    _needs_client,  # 8 node: its labels' and properties' names, likewise
    _needs_client,  # 9 path
    _map,  # 10 map
    lambda value: {"latitude": float(value[0]), "longitude": float(value[1])},  # 11 point
    lambda value: [float(item) for item in value],  # 12 vectorf32
    _utc,  # 13 datetime
    lambda value: _utc(value).date(),  # 14 date
    lambda value: _utc(value).time(),  # 15 time
    _needs_client,  # 16 duration: a dateutil relativedelta, which the client builds
]
