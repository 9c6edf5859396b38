"""The exchange-rate table: dated rates into the base currency, kept as data in the store.

``(:ExchangeRate {currency, validFrom, rate, setAt})``: from the day ``validFrom`` (epoch
milliseconds of 00:00 UTC) until the next rate of the same currency, one unit of
``currency`` is worth ``rate`` (a decimal string) units of the base currency. An order is
converted once, when it is recorded, with the rate in force on the day it was placed; the
rate goes on the order (``Order.exchangeRate``) beside the converted total.

A booked conversion never changes afterwards (as in accounting: the rate of the day is
part of the transaction), so a rate may be set only where it converts no recorded order
differently: load a currency's rates before its orders. Not ``Entity`` nodes: the API's
graph reads never reach them; ``exchangeRates`` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from graph.audit import Write
from graph.cypher.dialect import Dialect
from graph.cypher.values import epoch_ms
from graph.money import MoneyInputError, base_currency, check_currency, parse_rate
from graph.store import Store

RATE = "ExchangeRate"


@dataclass(frozen=True)
class Rate:
    currency: str
    valid_from: datetime
    rate: Decimal


def day_ms(value: date | datetime | str) -> int:
    """The first millisecond (UTC) of the day ``value`` falls on."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).date()
    return epoch_ms(datetime(value.year, value.month, value.day, tzinfo=UTC))


APPLICABLE = "\n".join([
    f"MATCH (x:{RATE} {{currency: $currency}})",
    "WHERE x.validFrom <= $at",
    "RETURN x.validFrom AS validFrom, x.rate AS rate",
    "ORDER BY x.validFrom DESC",
    "LIMIT 1",
])


class NoRateError(MoneyInputError):
    def __init__(self, currency: str, at_ms: int) -> None:
        day = datetime.fromtimestamp(at_ms / 1000, UTC).date().isoformat()
        super().__init__("NO_EXCHANGE_RATE",
                         f"no {currency} to {base_currency()} exchange rate in force on {day}; "
                         "set one with setExchangeRate (or import it) first")


@dataclass(frozen=True)
class Applied:
    """How an amount was converted: the rate and the day it took effect (None: base currency)."""

    rate: Decimal
    valid_from: int | None


async def applicable(store: Store, currency: str, at_ms: int) -> Applied:
    """The rate an order in ``currency`` placed at ``at_ms`` converts with."""
    if currency == base_currency():
        return Applied(Decimal(1), None)
    rows = await store.read(APPLICABLE, {"currency": currency, "at": at_ms})
    if not rows:
        raise NoRateError(currency, at_ms)
    return Applied(Decimal(rows[0]["rate"]), int(rows[0]["validFrom"]))


def guard_lines(dialect: Dialect, currency: str, at: str, valid_from: str, imports: tuple[str, ...]) -> list[str]:
    """A CALL block binding ``rateOk``: the rate in force for ``$<currency>`` at ``$<at>``
    is still the one (``$<valid_from>``, null for none) the service converted with."""
    return [
        *dialect.call_open(imports),
        f"  OPTIONAL MATCH (x:{RATE} {{currency: ${currency}}})",
        f"  WHERE x.validFrom <= ${at}",
        "  WITH max(x.validFrom) AS inForce",
        f"  RETURN (inForce IS NULL AND ${valid_from} IS NULL) OR inForce = ${valid_from} AS rateOk",
        "}",
    ]


def set_rate_statement(dialect: Dialect) -> Write:
    """Set a rate unless an order converted with another rate would fall under it."""
    return Write("\n".join([
        f"OPTIONAL MATCH (n:{RATE} {{currency: $currency}})",
        "WHERE n.validFrom > $from",
        "WITH min(n.validFrom) AS next",
        *dialect.call_open(("next",)),
        "  OPTIONAL MATCH (o:Order)",
        "  WHERE o.placedAt >= $from AND (next IS NULL OR o.placedAt < next)",
        "    AND o.currency = $currency AND o.exchangeRate <> $rate",
        "  RETURN count(o) AS used",
        "}",
        *dialect.call_open(("used",)),
        "  WITH used WHERE used = 0",
        f"  MERGE (r:{RATE} {{currency: $currency, validFrom: $from}})",
        "  SET r.rate = $rate, r.setAt = $now",
        "  RETURN count(r) AS written",
        "}",
        "RETURN used, written",
    ]), "written > 0")


async def set_rate(store: Store, currency: Any, valid_from: Any, rate: Any, now_ms: int) -> Rate:
    code = check_currency(currency)
    if code == base_currency():
        raise MoneyInputError("BASE_CURRENCY", f"{code} is the base currency: its rate is always 1")
    value = parse_rate(rate)
    start = day_ms(valid_from)
    rows = await store.write(set_rate_statement(store.dialect), {
        "currency": code, "from": start, "rate": str(value), "now": now_ms})
    used = int(rows[0]["used"]) if rows else 0
    if used:
        raise MoneyInputError("RATE_IN_USE", f"{used} {code} order(s) placed from that day on were already "
                                             "converted with another rate; a booked conversion does not change")
    return Rate(code, datetime.fromtimestamp(start / 1000, UTC), value)


LIST = "\n".join([
    f"MATCH (x:{RATE})",
    "WHERE $currency IS NULL OR x.currency = $currency",
    "RETURN x.currency AS currency, x.validFrom AS validFrom, x.rate AS rate",
    "ORDER BY currency, validFrom",
    "LIMIT $limit",
])


async def list_rates(store: Store, currency: str | None, limit: int) -> list[Rate]:
    rows = await store.read(LIST, {"currency": currency, "limit": limit})
    return [Rate(r["currency"], datetime.fromtimestamp(r["validFrom"] / 1000, UTC), Decimal(r["rate"]))
            for r in rows]


async def rate_table(store: Store) -> dict[str, list[tuple[int, Decimal]]]:
    """Every rate, by currency, ascending (the importer converts with it)."""
    rows = await store.read(LIST, {"currency": None, "limit": 10_000_000})
    table: dict[str, list[tuple[int, Decimal]]] = {}
    for r in rows:
        table.setdefault(r["currency"], []).append((int(r["validFrom"]), Decimal(r["rate"])))
    return table


def lookup(table: dict[str, list[tuple[int, Decimal]]], currency: str, at_ms: int) -> Applied:
    """``applicable`` over a table read beforehand."""
    if currency == base_currency():
        return Applied(Decimal(1), None)
    found = None
    for start, rate in table.get(currency, ()):
        if start <= at_ms:
            found = Applied(rate, start)
        else:
            break
    if found is None:
        raise NoRateError(currency, at_ms)
    return found
