"""Analytics types: lifetime value and RFM on every party, segment and referral statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

import strawberry

from graph.analytics.state import SnapshotInfo
from graph.analytics.stats import Cohort, SegmentSummary
from graph.analytics.value import LifetimeValue as LifetimeValueData
from graph.analytics.value import Rfm as RfmData
from graph.money import Money as MoneyData
from schema.money import Money


@strawberry.type(name="AnalyticsSnapshot", description=(
    "Which whole-base figures an analytic was computed from: counters every write moves in its own "
    "transaction (`live`: exact at this response; the referral cohorts of whole months), a snapshot "
    "the service keeps (refreshed in the background, at most CRMGRAPH_ANALYTICS_MAX_STALENESS "
    "seconds old when used; `crmgraph analytics refresh` forces one: the RFM quintile boundaries "
    "and the segment counts and revenue, which one order can move for many other customers) or, "
    "with `fresh: true`, an `asOf` before the "
    "snapshot, or no snapshot recent enough, a computation from scratch for this request."))
class AnalyticsSnapshotInfo:
    data: strawberry.Private[SnapshotInfo]

    @strawberry.field(description="The moment the figures describe: the store as it was then (for `live` "
                                  "figures, the moment of this read).")
    def as_of(self) -> datetime:
        return self.data.as_of

    @strawberry.field(description="When their computation finished.")
    def computed_at(self) -> datetime:
        return self.data.computed_at

    @strawberry.field(description="Seconds from `asOf` to this response: how much newer data the "
                                  "figures may be missing.")
    def staleness_seconds(self) -> float:
        return self.data.staleness()

    @strawberry.field(description="True when computed from scratch for this request.")
    def fresh(self) -> bool:
        return self.data.fresh

    @strawberry.field(description="True when read from counters every write moves in the same transaction: "
                                  "exact at this response (staleness 0), at the cost of a lookup.")
    def live(self) -> bool:
        return self.data.live


SNAPSHOT_DOC = "The whole-base figures this answer used, and how old they are."


@strawberry.type(description=(
    "Lifetime value of a party. Historic: what its orders brought (cancelled and returned "
    "orders excluded). Predictive = averageOrderValue x purchaseFrequency x expectedLifespanYears."))
class LifetimeValue:
    data: strawberry.Private[LifetimeValueData]

    @strawberry.field(description="Orders counted.")
    def order_count(self) -> int:
        return self.data.orders

    @strawberry.field(description="Sum of the orders' totals in the base currency (`Order.baseTotal`), exact.")
    def historic_revenue(self) -> Money:
        return Money(data=self.data.revenue_money)

    @strawberry.field(description="Sum over order lines of qty x (unitPrice - product cost), for lines whose "
                                  "product has a known cost in the order's currency; each order's margin "
                                  "converted at the order's exchange rate, rounded half to even once; null "
                                  "when no line has a cost.")
    def historic_margin(self) -> Optional[Money]:  # noqa: UP045
        margin = self.data.margin_money
        return None if margin is None else Money(data=margin)

    @strawberry.field(description="historicRevenue / orderCount, rounded half to even to the minor unit; "
                                  "0 without counted orders.")
    def average_order_value(self) -> Money:
        return Money(data=self.data.average_order_value)

    @strawberry.field(description="orderCount / years (of 365.25 days) from the first counted order to `asOf`, "
                                  "taken as at least one month; 0 without counted orders.")
    def purchase_frequency(self) -> float:
        return self.data.purchase_frequency

    @strawberry.field(description="The expected customer lifespan used, in years (argument).")
    def expected_lifespan_years(self) -> float:
        return self.data.lifespan_years

    @strawberry.field(description="averageOrderValue x purchaseFrequency x expectedLifespanYears, computed "
                                  "in exact decimal from historicRevenue (not the rounded average) and "
                                  "rounded half to even once, in the base currency.")
    def predictive(self) -> Money:
        return Money(data=self.data.predictive_money)

    @strawberry.field(description="When the first counted order was placed.")
    def first_order_at(self) -> Optional[datetime]:  # noqa: UP045
        return self.data.first_order

    @strawberry.field(description="When the latest counted order was placed.")
    def last_order_at(self) -> Optional[datetime]:  # noqa: UP045
        return self.data.last_order


@strawberry.type(description=(
    "Recency, frequency and monetary scores, 1-5, against every party (person or company) with at "
    "least one counted order (cancelled and returned orders never count). Each is scored on its own "
    "value: recency on the time of the latest order (later is higher), frequency on the order "
    "count, monetary on the revenue. Thresholds, by nearest rank: sort the n customers' values "
    "ascending; the thresholds are the values at 1-based positions floor(q x n) + 1 for q = 0.2, "
    "0.4, 0.6, 0.8 (in a spreadsheet: SMALL(values, FLOOR(q*n)+1); when q x n is whole this is one "
    "position above the textbook nearest rank q x n). Score = 1 + the number of thresholds the "
    "party's value is strictly greater than (1+COUNTIF(thresholds, \"<\"&value)), so a value equal "
    "to a threshold takes the lower score: ties at a boundary all score alike, and a quintile can "
    "hold more or fewer than a fifth of the customers. `asOf` does not change the scores."))
class Rfm:
    data: strawberry.Private[RfmData]

    @strawberry.field(description="Recency score, 1-5, on the time of the latest counted order: 5 = most recent.")
    def recency(self) -> int:
        return self.data.recency

    @strawberry.field(description="Frequency score, 1-5, on the counted order count: 5 = most orders.")
    def frequency(self) -> int:
        return self.data.frequency

    @strawberry.field(description="Monetary score, 1-5, on the revenue of counted orders: 5 = highest.")
    def monetary(self) -> int:
        return self.data.monetary

    @strawberry.field(description="The three scores as one string, e.g. \"545\".")
    def score(self) -> str:
        return f"{self.data.recency}{self.data.frequency}{self.data.monetary}"

    @strawberry.field(description=(
        "Champions (R,F,M >= 4), Loyal (F >= 4), New (R >= 4, F = 1), Potential loyalists (R >= 4), "
        "At risk (R <= 2, F >= 3), Hibernating (R <= 2), else Need attention: the first that holds."))
    def segment(self) -> str:
        return self.data.segment

    @strawberry.field(description="When the latest counted order was placed.")
    def last_order_at(self) -> datetime:
        return self.data.last_order

    @strawberry.field(description="Days from the latest counted order to `asOf` (negative if `asOf` is before it).")
    def recency_days(self) -> float:
        return self.data.recency_days

    @strawberry.field(description="Counted orders (cancelled and returned ones never count), whenever placed.")
    def order_count(self) -> int:
        return self.data.order_count

    @strawberry.field(description="Revenue of those orders in the base currency: the exact amount the "
                                  "monetary score ranks.")
    def revenue(self) -> Money:
        return Money(data=MoneyData.base(self.data.revenue))

    @strawberry.field(description="The quintile boundaries used: " + SNAPSHOT_DOC)
    def snapshot(self) -> AnalyticsSnapshotInfo:
        return AnalyticsSnapshotInfo(data=self.data.snapshot)


@strawberry.type(description=(
    "Customers and revenue in one RFM segment, as of the snapshot (at most the staleness setting "
    "old) unless `fresh`. Not exact at read time: a party's segment depends on quintile boundaries "
    "over every customer, and one order can move a boundary past a whole group of tied values (say, "
    "every customer with two orders), re-scoring a large share of the base, so no counter that a "
    "write moves by what it touches can keep the segments exact."))
class SegmentCount:
    data: strawberry.Private[SegmentSummary]

    @strawberry.field(description="Segment name (see Rfm.segment).")
    def segment(self) -> str:
        return self.data.segment

    @strawberry.field(description="Parties with orders in this segment (from the snapshot).")
    def customers(self) -> int:
        return self.data.customers

    @strawberry.field(description="Their revenue in the base currency (cancelled and returned orders "
                                  "excluded; from the snapshot).")
    def revenue(self) -> Money:
        return Money(data=MoneyData.base(self.data.revenue))

    @strawberry.field(description=SNAPSHOT_DOC)
    def snapshot(self) -> AnalyticsSnapshotInfo:
        return AnalyticsSnapshotInfo(data=self.data.snapshot)


@strawberry.type(description=(
    "Referral performance of the invitations sent in one month. For a window of whole months "
    "every figure is exact at read time (`snapshot.live`): counts and sums that each write "
    "moves in its own transaction, so an invitation, a status change, an order of a referred "
    "party, a merge or a delete shows in the next answer; the rates are computed from them."))
class ReferralCohort:
    data: strawberry.Private[Cohort]

    @strawberry.field(description="First instant of the cohort month (UTC).")
    def month(self) -> datetime:
        return self.data.month

    @strawberry.field(description="Distinct parties that sent invitations that month (exact at read time).")
    def referrers(self) -> int:
        return self.data.referrers

    @strawberry.field(description="Invitations sent that month (exact at read time).")
    def invites(self) -> int:
        return self.data.invites

    @strawberry.field(description="Of those invitations, the ones whose status is now converted or rewarded "
                                  "(exact at read time).")
    def converted(self) -> int:
        return self.data.converted

    @strawberry.field(description="invites / referrers; 0 for a month without invitations.")
    def invites_per_referrer(self) -> float:
        return self.data.invites_per_referrer

    @strawberry.field(description="converted / invites; 0 for a month without invitations.")
    def conversion_rate(self) -> float:
        return self.data.conversion_rate

    @strawberry.field(description="K-factor = invitesPerReferrer x conversionRate.")
    def k_factor(self) -> float:
        return self.data.k_factor

    @strawberry.field(description="Mean days from invitation to the referred party's first counted order at "
                                  "or after it, over converted or rewarded invitations followed by such an "
                                  "order; null when there is none. Exact at read time: the sum of those "
                                  "intervals and their number are counters each write moves.")
    def average_days_to_convert(self) -> Optional[float]:  # noqa: UP045
        return self.data.days_to_convert

    @strawberry.field(description=SNAPSHOT_DOC)
    def snapshot(self) -> AnalyticsSnapshotInfo:
        return AnalyticsSnapshotInfo(data=self.data.snapshot)


def wrap(cls: type, data: Any) -> Any:
    return None if data is None else cls(data=data)
