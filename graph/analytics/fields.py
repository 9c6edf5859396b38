"""Computed fields the compiler can place on any party, and the preludes they share.

A computed field is one ``CALL`` block run for each node it is selected on; a prelude is
a value computed once per statement (the RFM quintile thresholds over every customer)
and carried to wherever it is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graph.analytics.state import RFM, SNAPSHOT_LABEL, SnapshotInfo, SnapshotState, computed_now
from graph.analytics.value import DEFAULT_LIFESPAN_YEARS, QUANTILES, LifetimeValue, Rfm, convert_margins, now
from graph.cypher.dialect import Dialect
from graph.cypher.errors import QueryInputError
from graph.cypher.params import Params
from graph.cypher.values import from_store
from graph.model import UNCOUNTED, PropType
from graph.money import base_currency



@dataclass(frozen=True)
class ComputedSpec:
    block: Callable[[str, dict[str, Any], Params, tuple[str, ...]], list[str]]
    result: str  # the expression the block returns
    decode: Callable[[Any, dict[str, Any]], Any]
    globals: tuple[str, ...] = ()


def _ts(value: Any) -> datetime | None:
    return from_store(PropType.DATETIME, value)


def cents(expr: str) -> str:
    """The monetary value an RFM score compares: revenue in whole minor units of the base
    currency, already an exact integer (``Order.baseTotal`` sums), kept as it is."""
    return expr


def _counted_orders(party: str, params: Params, match: str = "OPTIONAL MATCH") -> list[str]:
    """Bind ``o`` to the party's orders that count (cancelled and returned ones do not)."""
    return [f"{match} ({party})-[:PLACED]->(o:Order)", f"WHERE NOT o.status IN {params.add(list(UNCOUNTED))}"]


def _ltv_block(node: str, args: dict[str, Any], params: Params, _targets: tuple[str, ...]) -> list[str]:
    # A line has a margin when its product's cost is in the order's currency; the margins
    # of one order add up exactly in its currency, and are converted at its own rate (per
    # currency and rate, in graph.analytics.value.convert_margins).
    return [
        *_counted_orders(node, params),
        "OPTIONAL MATCH (o)-[l:CONTAINS]->(p:Product)",
        f"WITH o, sum(CASE WHEN p.cost IS NULL OR coalesce(p.currency, {params.add(base_currency())}) <> l.currency "
        "THEN 0 ELSE l.qty * (l.unitPrice - p.cost) END) AS margin,",
        f"     count(CASE WHEN coalesce(p.currency, {params.add(base_currency())}) = l.currency THEN p.cost END) AS costed",
        "WITH o.currency AS cur, o.exchangeRate AS rate, count(o) AS orders, sum(o.baseTotal) AS revenue,",
        "     sum(margin) AS margin, sum(costed) AS costed, min(o.placedAt) AS first, max(o.placedAt) AS last",
    ]


_LTV_RESULT = ("{orders: sum(orders), revenue: sum(revenue), first: min(first), last: max(last), "
               "margins: collect(CASE WHEN costed > 0 THEN {currency: cur, rate: rate, margin: margin} END)}")


def _ltv_decode(raw: Any, args: dict[str, Any]) -> LifetimeValue | None:
    if raw is None:  # the caller may not see this party's figures
        return None
    margins = [m for m in raw.get("margins") or [] if m]
    return LifetimeValue(
        orders=int(raw.get("orders") or 0), revenue=int(raw.get("revenue") or 0),
        margin=convert_margins(margins) if margins else None,
        first_order=_ts(raw.get("first")), last_order=_ts(raw.get("last")),
        as_of=args.get("as_of") or now(),
        lifespan_years=float(args.get("expected_lifespan_years") or DEFAULT_LIFESPAN_YEARS),
    )


RFM_GLOBALS = ("g_rfm_r", "g_rfm_f", "g_rfm_m", "g_rfm_at", "g_rfm_done")
"""The three quintile boundary lists, and the snapshot's asOf and computedAt (null when
the boundaries are computed by the statement itself)."""


def _rfm_block(node: str, args: dict[str, Any], params: Params, _targets: tuple[str, ...]) -> list[str]:
    return [
        *_counted_orders(node, params),
        f"WITH {', '.join(RFM_GLOBALS)}, max(o.placedAt) AS last, count(o) AS f, sum(o.baseTotal) AS m",
    ]


_RFM_RESULT = ("CASE WHEN f = 0 THEN null ELSE {last: last, f: f, m: m, "
               "rs: 1 + size([t IN g_rfm_r WHERE last > t]), "
               "fs: 1 + size([t IN g_rfm_f WHERE f > t]), "
               f"ms: 1 + size([t IN g_rfm_m WHERE {cents('m')} > t]), "
               "at: g_rfm_at, done: g_rfm_done} END")


def _rfm_decode(raw: Any, args: dict[str, Any]) -> Rfm | None:
    if raw is None:
        return None
    return Rfm(int(raw["rs"]), int(raw["fs"]), int(raw["ms"]), _ts(raw["last"]) or now(), int(raw["f"]),
               int(raw["m"] or 0), args.get("as_of") or now(), _snapshot_of(raw))


class SnapshotMissingError(QueryInputError):
    """The statement was built to read a snapshot the store no longer has (it was
    cleared meanwhile): a coded error naming the field; asking again computes afresh."""

    code = "ANALYTICS_SNAPSHOT_GONE"


def _snapshot_of(raw: dict[str, Any]) -> SnapshotInfo:
    at = raw.get("at")
    if at is None:
        return computed_now()
    if at < 0:
        raise SnapshotMissingError("rfm", "the analytics snapshot was removed meanwhile; ask again")
    return SnapshotInfo(_ts(at) or now(), _ts(raw.get("done")) or now())


COMPUTED: dict[str, ComputedSpec] = {
    "lifetimeValue": ComputedSpec(_ltv_block, _LTV_RESULT, _ltv_decode),
    "rfm": ComputedSpec(_rfm_block, _RFM_RESULT, _rfm_decode, globals=("rfm",)),
}


def rfm_thresholds_lines(dialect: Dialect, params: Params, into: tuple[str, str, str]) -> list[str]:
    """Lines that end with the three quintile threshold lists bound to ``into``, plus ``rows``
    (every customer's ``{l, f, m}``)."""
    quantiles = params.add(list(QUANTILES))

    def sort(var: str, out: str) -> list[str]:
        return [*dialect.call_open(("rows",)), "  UNWIND rows AS row", f"  WITH row.{var} AS v",
                "  ORDER BY v", f"  RETURN collect(v) AS {out}", "}"]

    r, f, m = into
    return [
        *_counted_orders("c:Party", params, match="MATCH"),
        "WITH c, max(o.placedAt) AS last, count(o) AS f, sum(o.baseTotal) AS m",
        f"WITH collect({{l: last, f: f, m: m, mc: {cents('m')}}}) AS rows",
        *sort("l", "sl"), *sort("f", "sf"), *sort("mc", "sm"),
        f"WITH rows, [q IN {quantiles} | sl[toInteger(floor(q * size(sl)))]] AS {r},",
        f"     [q IN {quantiles} | sf[toInteger(floor(q * size(sf)))]] AS {f},",
        f"     [q IN {quantiles} | sm[toInteger(floor(q * size(sm)))]] AS {m}",
    ]


def rfm_from_snapshot(selections: list[dict[str, Any]], state: SnapshotState | None) -> bool:
    """Whether a statement's ``rfm`` fields (their arguments: ``selections``) read the
    newest snapshot rather than compute the boundaries over every customer: yes unless
    one asks ``fresh``, one asks ``asOf`` a moment before the snapshot, or there is no
    snapshot within the staleness allowed."""
    info = state.usable(RFM) if state is not None else None
    if info is None:
        return False
    for args in selections:
        as_of = args.get("as_of")
        if as_of is not None and as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=UTC)  # naive means UTC, as everywhere
        if args.get("fresh") or (as_of is not None and as_of < info.as_of):
            return False
    return True


def _rfm_prelude(dialect: Dialect, params: Params, selections: list[dict[str, Any]],
                 state: SnapshotState | None) -> tuple[list[str], list[str]]:
    r, f, m, at, done = RFM_GLOBALS
    if rfm_from_snapshot(selections, state):
        # One indexed lookup: the newest snapshot's boundaries (-1: the snapshot is gone).
        return [
            *dialect.call_open(()),
            f"  OPTIONAL MATCH (s:{SNAPSHOT_LABEL} {{kind: {params.add(RFM)}}})",
            "  WITH s ORDER BY s.asOf DESC LIMIT 1",
            f"  RETURN coalesce(s.tr, []) AS {r}, coalesce(s.tf, []) AS {f}, coalesce(s.tm, []) AS {m},",
            f"         coalesce(s.asOf, -1) AS {at}, s.computedAt AS {done}",
            "}",
        ], list(RFM_GLOBALS)
    body = rfm_thresholds_lines(dialect, params, ("tr", "tf", "tm"))
    return [
        *dialect.call_open(()),
        *("  " + line for line in body),
        f"  RETURN tr AS {r}, tf AS {f}, tm AS {m}, null AS {at}, null AS {done}",
        "}",
    ], list(RFM_GLOBALS)


Prelude = Callable[[Dialect, Params, list[dict[str, Any]], SnapshotState | None], tuple[list[str], list[str]]]
PRELUDES: dict[str, Prelude] = {"rfm": _rfm_prelude}
