"""Conversions between API values and stored values, the same on both stores."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from graph.model import Prop, PropType
from graph.money import Money, base_currency


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CONVERTED = (PropType.DATETIME, PropType.FLOAT, PropType.MONEY)  # what from_store may change (a tuple: no hashing)
_MS = timedelta(milliseconds=1)


def epoch_ms(value: datetime | str) -> int:
    """A point in time as integer milliseconds since 1970 UTC (naive means UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - EPOCH) // _MS  # integer arithmetic: no float rounding


def to_store(type_: PropType, value: Any) -> Any:
    """DateTimes are stored as epoch milliseconds: integers compare, sort and subtract the
    same on both stores, with range indexes that give right answers on FalkorDB."""
    if isinstance(value, list | tuple):
        return [to_store(type_, v) for v in value]
    if type_ is PropType.DATETIME and isinstance(value, datetime | str):
        return epoch_ms(value)
    return value


def from_store(type_: PropType, value: Any) -> Any:
    if value is None:
        return None
    if type_ is PropType.DATETIME and isinstance(value, int | float):
        return EPOCH + timedelta(milliseconds=value)
    if type_ is PropType.FLOAT and isinstance(value, int):
        return float(value)
    if type_ is PropType.MONEY:  # an amount without a currency beside it is in the base currency
        return Money.of(value, base_currency())
    return value


def decode_props(props: Iterable[Prop], raw: Mapping[str, Any], only_present: bool = False) -> dict[str, Any]:
    """Stored properties to API values; an amount reads its currency from the sibling
    property its ``Prop`` names (an order's ``total`` from the order's ``currency``)."""
    out: dict[str, Any] = {}
    for prop in props:
        name = prop.name
        if name in raw:
            value = raw[name]
        elif only_present:
            continue
        else:
            value = None
        type_ = prop.type
        if value is None or type_ not in _CONVERTED:  # as stored (most properties: no call)
            out[name] = value
        elif type_ is PropType.MONEY and prop.currency is not None:
            out[name] = Money.of(value, raw.get(prop.currency))
        else:
            out[name] = from_store(type_, value)
    return out


def sort_sentinel(type_: PropType) -> str:
    """What a missing value sorts as: keyset cursors never hold null."""
    if type_ in (PropType.INT, PropType.FLOAT, PropType.DATETIME, PropType.MONEY):
        return "-1.0e300"
    if type_ is PropType.BOOL:
        return "false"
    return "''"
