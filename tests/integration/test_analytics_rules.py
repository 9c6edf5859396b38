"""RFM scores and lifetime value recomputed in plain Python with the rules exactly as the
schema's descriptions state them, on a graph built with ties at the quintile boundaries and
a customer count (10) where q x n is a whole number, the case where percentile methods differ."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal
from datetime import UTC, datetime, timedelta

import strawberry

from graph.store import Store
from seeds.loader import load
from seeds.stories import Dataset
from tests.conftest import GraphQLClient

QUANTILES = (0.2, 0.4, 0.6, 0.8)
START = datetime(2026, 1, 1, tzinfo=UTC)
# customer -> (days after START of each order, price of each); ties on purpose.
ORDERS = {
    "person:a": ([0], [10.0]), "person:b": ([0], [10.0]), "person:c": ([5], [10.0]),
    "person:d": ([5], [20.0]), "person:e": ([5, 6], [10.0, 10.0]), "person:f": ([9, 9], [5.0, 15.0]),
    "person:g": ([1, 2, 30], [1.0, 1.0, 1.0]), "person:h": ([30, 31, 32], [50.0, 50.0, 50.0]),
    "person:i": ([40], [300.0]), "person:j": ([10, 20, 40, 41, 42], [10.0, 10.0, 10.0, 10.0, 10.0]),
}


def small(values: list[float], k: int) -> float:
    """A spreadsheet's SMALL(values, k): the k-th smallest, 1-based."""
    return sorted(values)[k - 1]


def scores(values: dict[str, float]) -> dict[str, int]:
    """The schema's words: the thresholds are SMALL(values, FLOOR(q x n) + 1) for q = 0.2,
    0.4, 0.6, 0.8; the score is 1 + how many thresholds the value exceeds (strictly)."""
    column = list(values.values())
    cuts = [small(column, math.floor(q * len(column)) + 1) for q in QUANTILES]
    return {party: 1 + sum(1 for cut in cuts if value > cut) for party, value in values.items()}


def dataset() -> Dataset:
    d = Dataset()
    seller = d.node("Company", id="company:shop", name="Shop")
    product = d.node("Product", id="product:thing", sku="T-1", name="Thing", price=1.0)
    for party, (days, prices) in ORDERS.items():
        d.node("Person", id=party, name=party)
        for n, (day, price) in enumerate(zip(days, prices, strict=True)):
            when = (START + timedelta(days=day)).isoformat().replace("+00:00", "Z")
            d.order(f"order:{party[7:]}-{n}", party, seller, when, [(product, 1, price)], status="paid")
    d.node("Person", id="person:cancelled", name="Only a cancelled order")
    d.order("order:x", "person:cancelled", seller, "2026-03-01T00:00:00Z", [(product, 1, 999.0)], status="cancelled")
    return d


async def test_rfm_scores_follow_the_documented_rule(schema: strawberry.Schema, empty_store: Store) -> None:
    await load(empty_store, dataset())
    client = GraphQLClient(schema, empty_store)
    data = await client.data("{ parties(first: 50) { edges { node { id rfm { recency frequency monetary "
                             "orderCount revenue { amount currency } segment } } } } }")
    got = {e["node"]["id"]: e["node"]["rfm"] for e in data["parties"]["edges"]}
    assert got.pop("company:shop") is None and got.pop("person:cancelled") is None  # no counted order
    latest = {p: max(days) for p, (days, _) in ORDERS.items()}
    frequency = {p: float(len(days)) for p, (days, _) in ORDERS.items()}
    monetary = {p: sum(prices) for p, (_, prices) in ORDERS.items()}
    expected = {p: (scores(latest)[p], scores(frequency)[p], scores(monetary)[p]) for p in ORDERS}
    assert {p: (r["recency"], r["frequency"], r["monetary"]) for p, r in got.items()} == expected
    # The rule is the one that separates methods here: with n = 10, q x n is whole, so the
    # textbook nearest rank (SMALL(values, q x n)) gives other scores for the tied values.
    def textbook(values: dict[str, float]) -> dict[str, int]:
        return {p: 1 + sum(1 for q in QUANTILES if v > small(list(values.values()), round(q * 10)))
                for p, v in values.items()}

    assert textbook(monetary) != scores(monetary)  # so the test tells the two apart
    # Ties at a boundary score alike, and low: every one-order customer gets frequency 1.
    assert {got[p]["frequency"] for p in ("person:a", "person:b", "person:c", "person:d", "person:i")} == {1}


async def test_lifetime_value_follows_its_description(schema: strawberry.Schema, empty_store: Store) -> None:
    await load(empty_store, dataset())
    client = GraphQLClient(schema, empty_store)
    year = timedelta(days=365.25)

    async def ltv(party: str, as_of: datetime) -> dict:
        data = await client.data(
            'query ($id: ID!, $asOf: DateTime) { party(id: $id) { lifetimeValue(asOf: $asOf, '
            "expectedLifespanYears: 2) { orderCount historicRevenue { amount } averageOrderValue { amount } "
            "purchaseFrequency predictive { amount currency } } } }", {"id": party, "asOf": as_of.isoformat()})
        value = data["party"]["lifetimeValue"]
        assert value["predictive"]["currency"] == "USD"
        return {k: Decimal(v["amount"]) if isinstance(v, dict) else v for k, v in value.items()}

    days, prices = ORDERS["person:j"]
    as_of = START + timedelta(days=200)
    got = await ltv("person:j", as_of)
    frequency = len(days) / ((as_of - (START + timedelta(days=min(days)))) / year)
    revenue = sum(Decimal(repr(p)) for p in prices)
    assert got["orderCount"] == 5 and got["historicRevenue"] == revenue
    assert got["averageOrderValue"] == (revenue / 5).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    assert math.isclose(got["purchaseFrequency"], frequency)
    # revenue / orders x frequency x lifespan, in exact decimal, rounded to the cent once
    years = (as_of - (START + timedelta(days=min(days)))) / year
    exact = revenue / 5 * (Decimal(5) / Decimal(repr(years))) * 2
    assert abs(got["predictive"] - exact.quantize(Decimal("0.01"), ROUND_HALF_EVEN)) <= Decimal("0.01")
    # Before the first order and within a month of it: at least one month is observed, and
    # orders after asOf still count.
    early = await ltv("person:j", START)
    assert early["orderCount"] == 5 and math.isclose(early["purchaseFrequency"], 5 * 12)
    none = await ltv("person:cancelled", as_of)
    assert (none["orderCount"], none["averageOrderValue"], none["purchaseFrequency"], none["predictive"]) == (0, 0, 0, 0)
