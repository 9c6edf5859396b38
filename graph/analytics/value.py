"""The business rules behind the analytics, in plain Python so they read as stated.

Lifetime value (every amount in the base currency, exact; see graph.money)
    historic revenue: sum of the party's orders' base totals (cancelled and returned orders
    excluded);
    historic margin: sum over order lines of quantity x (unit price - product cost), for the
    lines whose product has a known cost in the order's currency; summed exactly per
    currency and exchange rate, each sum converted at its rate, rounded half to even once;
    average order value: historic revenue / orders, rounded half to even to the minor unit;
    predictive: historic revenue / orders x purchase frequency x expected lifespan, computed
    exactly in decimal and rounded half to even once, where the purchase frequency is
    orders per year since the first order (at least one month is assumed observed) and the
    expected lifespan is an argument (3 years by default).

RFM
    recency (latest order), frequency (order count), monetary (revenue in whole minor units
    of the base currency, exact integers) are each scored 1-5 by quintile over every party
    with at least one counted order: the score is 1 plus the
    number of thresholds the party's value strictly exceeds, the thresholds being the values
    at 1-based positions floor(q x n) + 1 (q = 0.2, 0.4, 0.6, 0.8) of the n values sorted
    ascending (nearest rank; one position above the textbook rank q x n when that is whole).
    So 5 is the most recent, most frequent, highest spending fifth, and a value shared by
    most customers (one order) scores low rather than high.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from graph.analytics.state import SnapshotInfo, computed_now
from decimal import ROUND_HALF_EVEN

from graph.money import Money, base_currency, exponent

QUANTILES = (0.2, 0.4, 0.6, 0.8)
YEAR = timedelta(days=365.25)
MIN_OBSERVED = YEAR / 12
DEFAULT_LIFESPAN_YEARS = 3.0


def _minor(amount: Decimal) -> int:
    return int(amount.scaleb(exponent(base_currency())).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def convert_margins(groups: list[dict[str, Any]]) -> int:
    """Margins summed per ``{currency, rate, margin}`` (minor units of ``currency``), in
    minor units of the base currency: exact decimal products, rounded half to even once."""
    total = Decimal(0)
    for g in groups:
        currency = g.get("currency") or base_currency()
        total += Decimal(int(g["margin"])).scaleb(-exponent(currency)) * Decimal(g.get("rate") or 1)
    return _minor(total)


@dataclass
class LifetimeValue:
    orders: int
    revenue: int  # minor units of the base currency
    margin: int | None
    first_order: datetime | None
    last_order: datetime | None
    as_of: datetime
    lifespan_years: float

    def _amount(self, minor: int) -> Decimal:
        return Decimal(minor).scaleb(-exponent(base_currency()))

    @property
    def revenue_money(self) -> Money:
        return Money.base(self.revenue)

    @property
    def margin_money(self) -> Money | None:
        return None if self.margin is None else Money.base(self.margin)

    @property
    def average_order_value(self) -> Money:
        if not self.orders:
            return Money.base(0)
        return Money.base(_minor(self._amount(self.revenue) / self.orders))

    @property
    def predictive_money(self) -> Money:
        """revenue / orders x frequency x lifespan, in exact decimal, rounded once."""
        if not self.orders or self.first_order is None:
            return Money.base(0)
        observed = max(self.as_of - self.first_order, MIN_OBSERVED)
        # orders / years cancels the order count: revenue x lifespan / years observed.
        years = Decimal(observed / timedelta(microseconds=1)) / Decimal(YEAR / timedelta(microseconds=1))
        value = self._amount(self.revenue) / years * Decimal(repr(self.lifespan_years))
        return Money.base(_minor(value))

    @property
    def purchase_frequency(self) -> float:
        """Orders per year since the first order."""
        if not self.orders or self.first_order is None:
            return 0.0
        observed = max(self.as_of - self.first_order, MIN_OBSERVED)
        return self.orders / (observed / YEAR)

def thresholds(values: list[float]) -> list[float]:
    """The thresholds: values at 1-based positions floor(q x n) + 1 of ``values`` sorted."""
    ordered = sorted(values)
    return [ordered[int(q * len(ordered))] for q in QUANTILES] if ordered else []


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
    revenue: int  # minor units of the base currency
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
