"""Conversions between API values and stored values, the same on both stores."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graph.model import PropType

_ISO = "%Y-%m-%dT%H:%M:%SZ"


def to_store(type_: PropType, value: Any) -> Any:
    """DateTimes are stored as fixed-width ISO-8601 UTC strings, which sort as time does."""
    if type_ is PropType.DATETIME and isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime(_ISO)
    if isinstance(value, list | tuple):
        return [to_store(type_, v) for v in value]
    return value


def from_store(type_: PropType, value: Any) -> Any:
    if value is None:
        return None
    if type_ is PropType.DATETIME and isinstance(value, str):
        try:
            return datetime.strptime(value, _ISO).replace(tzinfo=UTC)
        except ValueError:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if type_ is PropType.FLOAT and isinstance(value, int):
        return float(value)
    return value


def sort_sentinel(type_: PropType) -> str:
    """What a missing value sorts as: keyset cursors never hold null."""
    if type_ in (PropType.INT, PropType.FLOAT):
        return "-1.0e300"
    if type_ is PropType.BOOL:
        return "false"
    return "''"
