"""Opaque keyset cursors, tied to the ordering that made them.

A list cursor names the row it points at (its id) and nothing else: the next page's
statement finds that row again and reads its sort key there, with the very expression
the list is ordered by, so a page never starts from a copy of a number as the store
printed it (FalkorDB prints doubles to 15 significant digits; ``0.1 + 0.2`` comes back
as ``0.3`` while the stored sum is not ``0.3``). ``encode_values``/``decode_values``
carry the key values themselves and are only for keys that print exactly (integers and
strings, e.g. the audit log's ``(at, event)``).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from graph.cypher.errors import CursorError
from graph.cypher.plan import SortKey

_MAX_CURSOR = 4096
MISSING_ROW = "cursor does not point at a row of this list"
"""The one answer for a cursor row that is gone, was never there, or is not visible."""


def order_signature(order: list[SortKey]) -> str:
    return ",".join(f"{'e:' if k.on_edge else ''}{k.prop}:{'D' if k.descending else 'A'}"
                    for k in order)


def _dump(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def _load(cursor: str, order: list[SortKey], argument: str) -> dict[str, Any]:
    if not isinstance(cursor, str) or not cursor or len(cursor) > _MAX_CURSOR:
        raise CursorError(argument, "malformed cursor")
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise CursorError(argument, "malformed cursor") from None
    if not isinstance(data, dict):
        raise CursorError(argument, "malformed cursor")
    if data.get("o") != order_signature(order):
        raise CursorError(argument, "cursor was made for a different orderBy")
    return data


def encode_cursor(order: list[SortKey], row_id: str) -> str:
    """A cursor pointing at the row with id ``row_id`` of a list ordered by ``order``."""
    return _dump({"o": order_signature(order), "i": row_id})


def decode_cursor(cursor: str, order: list[SortKey], argument: str) -> str:
    """The id of the row ``cursor`` points at; an error unless it fits ``order``.

    Cursors made before ids alone were carried (``{"o", "v": [..., id]}``) still work:
    their last value is the row's id, and the rest is ignored."""
    data = _load(cursor, order, argument)
    row_id = data.get("i")
    if row_id is None and isinstance(data.get("v"), list) and len(data["v"]) == len(order) + 1:
        row_id = data["v"][-1]
    if not isinstance(row_id, str) or not row_id or len(row_id) > 1024:
        raise CursorError(argument, "malformed cursor")
    return row_id


def encode_values(order: list[SortKey], values: list[Any]) -> str:
    """A cursor carrying the key values themselves: integers and strings only."""
    return _dump({"o": order_signature(order), "v": values})


def decode_values(cursor: str, order: list[SortKey], argument: str) -> list[Any]:
    """The key values in ``cursor`` (one per key, then the tie-breaker)."""
    data = _load(cursor, order, argument)
    values = data.get("v")
    if (not isinstance(values, list) or len(values) != len(order) + 1
            or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values)):
        raise CursorError(argument, "malformed cursor")
    return values
