"""The business rules behind the analytics, in plain Python so they read as stated.

Lifetime value
    historic revenue: sum of the party's order totals (cancelled and returned orders excluded);
    historic margin: sum over order lines of quantity x (unit price - product cost), for the
    lines whose product has a known cost;
    predictive: average order value x purchase frequency x expected lifespan, where the
    purchase frequency is orders per year since the first order (at least one month is
    assumed observed) and the expected lifespan is an argument (3 years by default).

RFM
    recency (latest order), frequency (order count), monetary (revenue) are each scored 1-5
    by quintile over every party with at least one counted order (monetary in whole cents,
    half a cent rounding up, so boundaries are exact integers): the score is 1 plus the
    number of thresholds the party's value strictly exceeds, the thresholds being the values
    at 1-based positions floor(q x n) + 1 (q = 0.2, 0.4, 0.6, 0.8) of the n values sorted
    ascending (nearest rank; one position above the textbook rank q x n when that is whole).
    So 5 is the most recent, most frequent, highest spending fifth, and a value shared by
    most customers (one order) scores low rather than high.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from graph.analytics.state import SnapshotInfo, computed_now

QUANTILES = (0.2, 0.4, 0.6, 0.8)
YEAR = timedelta(days=365.25)
MIN_OBSERVED = YEAR / 12
DEFAULT_LIFESPAN_YEARS = 3.0


@dataclass
class LifetimeValue:
    orders: int
    revenue: float
    margin: float | None
    first_order: datetime | None
    last_order: datetime | None
    as_of: datetime
    lifespan_years: float

    @property
    def average_order_value(self) -> float:
        return self.revenue / self.orders if self.orders else 0.0

    @property
    def purchase_frequency(self) -> float:
        """Orders per year since the first order."""
        if not self.orders or self.first_order is None:
            return 0.0
        observed = max(self.as_of - self.first_order, MIN_OBSERVED)
        return self.orders / (observed / YEAR)

    @property
    def predictive(self) -> float:
        return self.average_order_value * self.purchase_frequency * self.lifespan_years


def thresholds(values: list[float]) -> list[float]:
    """The thresholds: values at 1-based positions floor(q x n) + 1 of ``values`` sorted."""
    ordered = sorted(values)
    return [ordered[int(q * len(ordered))] for q in QUANTILES] if ordered else []


def cents(amount: float) -> int:
    """An amount in whole cents, half a cent rounding up (what the monetary score compares)."""
    return math.floor(amount * 100 + 0.5)


def score(value: float, cuts: list[float]) -> int:
    return 1 + sum(1 for cut in cuts if value > cut)


SEGMENTS = ("Champions", "Loyal", "New", "Potential loyalists", "At risk", "Hibernating", "Need attention")


def segment(r: int, f: int, m: int) -> str:
    """The segment an RFM score puts a party in (first rule that holds)."""
    if r >= 4 and f >= 4 and m >= 4:
        return "Champions"
    if f >= 4:
        return "Loyal"
    if r >= 4 and f == 1:
        return "New"
    if r >= 4:
        return "Potential loyalists"
    if r <= 2 and f >= 3:
        return "At risk"
    if r <= 2:
        return "Hibernating"
    return "Need attention"


@dataclass
class Rfm:
    recency: int
    frequency: int
    monetary: int
    last_order: datetime
    order_count: int
    revenue: float
    as_of: datetime
    snapshot: SnapshotInfo = field(default_factory=computed_now)  # where the quintile boundaries came from

    @property
    def recency_days(self) -> float:
        return (self.as_of - self.last_order) / timedelta(days=1)

    @property
    def segment(self) -> str:
        return segment(self.recency, self.frequency, self.monetary)


def now() -> datetime:
    return datetime.now(UTC)
