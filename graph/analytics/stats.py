"""Whole-base statistics: customers and revenue per RFM segment, and referral K-factor
per cohort month. One bounded statement each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from graph.analytics.fields import rfm_thresholds_lines
from graph.analytics.state import SnapshotInfo, computed_now
from graph.analytics.value import SEGMENTS, segment
from graph.cypher.compiler import Statement
from graph.cypher.dialect import Dialect
from graph.cypher.errors import QueryInputError
from graph.cypher.params import Params
from graph.cypher.values import epoch_ms
from graph.model import UNCOUNTED
from graph.traversals.referrals import CONVERTED

MAX_COHORTS = 36


@dataclass
class SegmentSummary:
    segment: str
    customers: int
    revenue: int  # minor units of the base currency
    snapshot: SnapshotInfo = field(default_factory=computed_now)  # what the figures were computed from


def summarize(records: list[dict[str, Any]]) -> list[SegmentSummary]:
    """Score cells ``{r, f, m, customers, revenue}`` added up per segment."""
    totals = {name: SegmentSummary(name, 0, 0) for name in SEGMENTS}
    for rec in records:
        cell = totals[segment(rec["r"], rec["f"], rec["m"])]
        cell.customers += int(rec["customers"])
        cell.revenue += int(rec["revenue"] or 0)
    return list(totals.values())


def _cell_lines(dialect: Dialect, params: Params, *carry: str) -> list[str]:
    return [
        *rfm_thresholds_lines(dialect, params, ("tr", "tf", "tm")),
        "UNWIND rows AS row",
        f"WITH {''.join(c + ', ' for c in carry)}1 + size([t IN tr WHERE row.l > t]) AS r,",
        "     1 + size([t IN tf WHERE row.f > t]) AS f, 1 + size([t IN tm WHERE row.mc > t]) AS m, row.m AS revenue",
        f"RETURN {''.join(c + ', ' for c in carry)}r, f, m, count(*) AS customers, sum(revenue) AS revenue",
    ]


def segment_summary(dialect: Dialect) -> Statement:
    """Counts and revenue per segment over every customer (up to 125 score cells come back)."""
    params = Params()
    return Statement(dialect.statement(_cell_lines(dialect, params)), params.values, summarize)


def rfm_cells(dialect: Dialect) -> Statement:
    """The quintile boundaries and the score cells, from one scan of every customer's orders:
    the figures an RFM snapshot holds. Decodes to ``(tr, tf, tm, cells)``."""
    params = Params()
    lines = [
        *rfm_thresholds_lines(dialect, params, ("tr", "tf", "tm")),
        *dialect.call_open(("rows", "tr", "tf", "tm")),
        "  UNWIND rows AS row",
        "  WITH 1 + size([t IN tr WHERE row.l > t]) AS r, 1 + size([t IN tf WHERE row.f > t]) AS f,",
        "       1 + size([t IN tm WHERE row.mc > t]) AS m, row.m AS revenue",
        "  WITH r, f, m, count(*) AS customers, sum(revenue) AS revenue",
        "  RETURN collect({r: r, f: f, m: m, customers: customers, revenue: revenue}) AS cells",
        "}",
        "RETURN tr, tf, tm, cells",
    ]

    def decode(records: list[dict[str, Any]]) -> tuple[list[Any], list[Any], list[Any], list[dict[str, Any]]]:
        if not records:
            return [], [], [], []
        rec = records[0]
        return list(rec["tr"] or []), list(rec["tf"] or []), list(rec["tm"] or []), list(rec["cells"] or [])

    return Statement(dialect.statement(lines), params.values, decode)


@dataclass
class Cohort:
    month: datetime
    referrers: int
    invites: int
    converted: int
    days_to_convert: float | None
    snapshot: SnapshotInfo = field(default_factory=computed_now)  # what the figures were computed from

    @property
    def invites_per_referrer(self) -> float:
        return self.invites / self.referrers if self.referrers else 0.0

    @property
    def conversion_rate(self) -> float:
        return self.converted / self.invites if self.invites else 0.0

    @property
    def k_factor(self) -> float:
        return self.invites_per_referrer * self.conversion_rate


def month_starts(start: datetime, end: datetime) -> list[datetime]:
    """First instants of the months that overlap ``[start, end)``."""
    last = end - timedelta(milliseconds=1)
    months, year, month = [], start.year, start.month
    while (year, month) <= (last.year, last.month):
        months.append(datetime(year, month, 1, tzinfo=UTC))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def month_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def next_month(moment: datetime) -> datetime:
    start = month_start(moment)
    return datetime(start.year + 1, 1, 1, tzinfo=UTC) if start.month == 12 else \
        datetime(start.year, start.month + 1, 1, tzinfo=UTC)


def cohort_window(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """``referralStats``' window: ``to`` defaults to the end of the current month, ``from``
    to the start of the month 12 months before the month of ``to`` (whole months)."""
    end = end if end is not None else next_month(now)
    if start is None:
        last = end - timedelta(milliseconds=1)
        start = datetime(last.year - 1, last.month, 1, tzinfo=UTC)
    return start, end


def whole_months(start: datetime, end: datetime) -> bool:
    return month_start(start) == start and month_start(end) == end


def check_window(start: datetime, end: datetime, argument: str) -> list[datetime]:
    """The cohort months of ``[start, end)``, or the argument error that refuses it."""
    if start >= end:
        raise QueryInputError(f"{argument}.from", "must be before `to`")
    months = month_starts(start, end)
    if len(months) > MAX_COHORTS:
        raise QueryInputError(f"{argument}.from", f"spans more than {MAX_COHORTS} months")
    return months


def referral_range(dialect: Dialect) -> Statement:
    """When the first and the latest invitation were sent (epoch ms; null without any)."""
    lines = ["MATCH (:Party)-[r:REFERRED]->(:Party)", "RETURN min(r.at) AS lo, max(r.at) AS hi"]
    return Statement(dialect.statement(lines), {}, lambda records: (records[0]["lo"], records[0]["hi"])
                     if records else (None, None))


def referral_cohorts(dialect: Dialect, start: datetime, end: datetime, argument: str) -> Statement:
    """Per month an invitation was sent: referrers, invites, conversions, K-factor, and
    the mean days from invitation to the referred party's first order after it."""
    return cohort_statement(dialect, check_window(start, end, argument), start, end)


def cohort_statement(dialect: Dialect, months: list[datetime], start: datetime, end: datetime) -> Statement:
    """The cohorts of ``months`` counting the invitations sent in ``[start, end)``."""
    bounds = [epoch_ms(m) for m in months]
    lines = [
        "MATCH (a:Party)-[r:REFERRED]->(b:Party)",
        "WHERE r.at >= $from AND r.at < $to",
        "OPTIONAL MATCH (b)-[:PLACED]->(o:Order)",
        "WHERE o.placedAt >= r.at AND NOT o.status IN $uncounted",
        "WITH a, r, min(o.placedAt) AS firstOrder, size([m IN $months WHERE m <= r.at]) - 1 AS cohort",
        "WITH cohort, count(r) AS invites, count(DISTINCT a) AS referrers,",
        "     sum(CASE WHEN r.status IN $converted THEN 1 ELSE 0 END) AS converted,",
        "     avg(CASE WHEN r.status IN $converted AND firstOrder IS NOT NULL "
        "THEN toFloat(firstOrder - r.at) END) AS msToConvert",
        "RETURN cohort, invites, referrers, converted, msToConvert",
        "ORDER BY cohort",
    ]
    params = {"from": epoch_ms(start), "to": epoch_ms(end), "months": bounds, "uncounted": list(UNCOUNTED),
              "converted": list(CONVERTED)}

    def decode(records: list[dict[str, Any]]) -> list[Cohort]:
        found = {rec["cohort"]: rec for rec in records}
        out = []
        for i, month in enumerate(months):
            rec = found.get(i)
            if rec is None:
                out.append(Cohort(month, 0, 0, 0, None))
                continue
            ms = rec["msToConvert"]
            out.append(Cohort(month, int(rec["referrers"]), int(rec["invites"]), int(rec["converted"]),
                              None if ms is None else float(ms) / 86_400_000))
        return out

    return Statement(dialect.statement(lines), params, decode)
