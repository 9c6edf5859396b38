"""Opaque keyset cursors: the sort values of a row, tied to the ordering that made them."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from graph.cypher.errors import CursorError
from graph.cypher.plan import SortKey

_MAX_CURSOR = 4096


def order_signature(order: list[SortKey]) -> str:
    return ",".join(f"{'e:' if k.on_edge else ''}{k.prop}:{'D' if k.descending else 'A'}"
                    for k in order)


def encode_cursor(order: list[SortKey], values: list[Any]) -> str:
    raw = orjson.dumps({"o": order_signature(order), "v": values})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, order: list[SortKey], argument: str) -> list[Any]:
    """The sort values in ``cursor`` (one per key, then the id); an error unless it fits ``order``."""
    if not isinstance(cursor, str) or not cursor or len(cursor) > _MAX_CURSOR:
        raise CursorError(argument, "malformed cursor")
    try:
        data = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise CursorError(argument, "malformed cursor") from None
    if not isinstance(data, dict) or not isinstance(data.get("v"), list):
        raise CursorError(argument, "malformed cursor")
    if data.get("o") != order_signature(order):
        raise CursorError(argument, "cursor was made for a different orderBy")
    values = data["v"]
    if len(values) != len(order) + 1 or not all(isinstance(v, str | int | float | bool) for v in values):
        raise CursorError(argument, "malformed cursor")
    return values
