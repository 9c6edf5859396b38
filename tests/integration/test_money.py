"""Money on every backend: amounts exact to the minor unit, refused rather than rounded,
every figure in its currency, and orders converted into the base currency at the rate of
their day (graph.money, graph.money_rates)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
import strawberry

from graph.store import Store
from seeds.loader import load
from seeds.stories import build
from tests.conftest import GraphQLClient
from tests.integration.test_mutations import ORDER, counts, refused

RATE = ("mutation($c: String!, $d: Date!, $r: Decimal!) { setExchangeRate(currency: $c, validFrom: $d, rate: $r) "
        "{ currency validFrom rate } }")
EUR_ORDER = ("mutation($input: OrderInput!) { recordOrder(input: $input) { id ... on Order { "
             "total { amount currency } baseTotal { amount currency } exchangeRate currency } } }")
LTV = ('query($id: ID!) { party(id: $id) { lifetimeValue { historicRevenue { amount currency } '
       'historicMargin { amount currency } } rfm { revenue { amount currency } } } }')


@pytest.fixture
async def writer(schema: strawberry.Schema, empty_store: Store) -> AsyncIterator[GraphQLClient]:
    await load(empty_store, build())
    yield GraphQLClient(schema, empty_store)


def order(id: str, price: Any, *, currency: str | None = None, qty: int = 3, at: str = "2026-06-15T10:00:00Z",
          **extra: Any) -> dict[str, Any]:
    data = {"id": id, "customerId": "person:john-smith", "sellerId": "company:abc-electronics",
            "placedAt": at, "items": [{"productId": "product:soundmax-anc", "qty": qty, "unitPrice": price}], **extra}
    if currency:
        data["currency"] = currency
    return {"input": data}


async def test_cents_add_up_exactly(writer: GraphQLClient) -> None:
    """Ten lines of 0.1 are 1.00, not 0.9999999999999999; the total says its currency."""
    made = await writer.data(EUR_ORDER, order("order:dimes", "0.10", qty=10, total="1.00"))
    assert made["recordOrder"]["total"] == {"amount": "1.00", "currency": "USD"}
    assert made["recordOrder"]["baseTotal"] == {"amount": "1.00", "currency": "USD"}
    assert made["recordOrder"]["exchangeRate"] == "1"
    stored = await writer.store.read("MATCH (o:Order {id: 'order:dimes'}) RETURN o.total AS t, o.baseTotal AS b")
    assert stored == [{"t": 100, "b": 100}]  # integer cents in the store


@pytest.mark.parametrize(("price", "currency", "code"), [
    ("19.999", None, "TOO_PRECISE"),  # USD has two decimals
    ("5.5", "JPY", "TOO_PRECISE"),  # yen has none
    ("1e400", None, "OUT_OF_RANGE"),
])
async def test_amounts_with_more_decimals_than_the_currency_are_refused(
        writer: GraphQLClient, price: str, currency: str | None, code: str) -> None:
    if currency == "JPY":
        await writer.data(RATE, {"c": "JPY", "d": "2026-01-01", "r": "0.0067"})
    await refused(writer, ORDER.replace("total status", "status"), order("order:bad", price, currency=currency),
                  code, "items[0].unitPrice")


async def test_an_unknown_currency_or_a_missing_rate_is_refused(writer: GraphQLClient) -> None:
    await refused(writer, ORDER.replace("total status", "status"), order("order:x", "1.00", currency="XYZ"),
                  "UNKNOWN_CURRENCY", "currency")
    await refused(writer, ORDER.replace("total status", "status"), order("order:x", "1.00", currency="EUR"),
                  "NO_EXCHANGE_RATE", "currency")


async def test_an_order_converts_at_the_rate_of_its_day(writer: GraphQLClient) -> None:
    await writer.data(RATE, {"c": "EUR", "d": "2026-01-01", "r": "1.08"})
    await writer.data(RATE, {"c": "EUR", "d": "2026-07-01", "r": "1.1234"})
    june = await writer.data(EUR_ORDER, order("order:june", "99.99", currency="EUR", at="2026-06-30T23:59:59Z"))
    july = await writer.data(EUR_ORDER, order("order:july", "99.99", currency="EUR", at="2026-07-01T00:00:00Z"))
    # 3 x 99.99 = 299.97 EUR; x 1.08 = 323.9676 -> 323.97; x 1.1234 = 336.986298 -> 336.99
    assert june["recordOrder"]["total"] == {"amount": "299.97", "currency": "EUR"}
    assert june["recordOrder"]["baseTotal"] == {"amount": "323.97", "currency": "USD"}
    assert july["recordOrder"]["baseTotal"] == {"amount": "336.99", "currency": "USD"}
    assert july["recordOrder"]["exchangeRate"] == "1.1234"
    rates = await writer.data('{ baseCurrency exchangeRates(currency: "EUR") { validFrom rate } }')
    assert rates == {"baseCurrency": "USD", "exchangeRates": [{"validFrom": "2026-01-01", "rate": "1.08"},
                                                              {"validFrom": "2026-07-01", "rate": "1.1234"}]}


async def test_a_booked_conversion_never_changes(writer: GraphQLClient) -> None:
    await writer.data(RATE, {"c": "EUR", "d": "2026-01-01", "r": "1.08"})
    await writer.data(EUR_ORDER, order("order:booked", "10.00", currency="EUR", at="2026-06-15T10:00:00Z"))
    result = await writer.execute(RATE, {"c": "EUR", "d": "2026-06-01", "r": "1.2"})
    assert result.errors and result.errors[0].extensions["code"] == "RATE_IN_USE"
    assert result.errors[0].extensions["field"] == "validFrom"
    # after the order's day, or for days with no order, a rate is fine
    await writer.data(RATE, {"c": "EUR", "d": "2026-06-16", "r": "1.2"})
    await writer.data(RATE, {"c": "EUR", "d": "2026-01-01", "r": "1.08"})  # the same rate again: idempotent
    base = await writer.store.read("MATCH (o:Order {id: 'order:booked'}) RETURN o.baseTotal AS b, o.exchangeRate AS r")
    assert base == [{"b": 3240, "r": "1.08"}]


async def test_no_figure_adds_two_currencies(writer: GraphQLClient) -> None:
    """John's revenue: his seed orders in USD plus a EUR order converted at its rate, in USD."""
    before = (await writer.data(LTV, {"id": "person:john-smith"}))["party"]
    await writer.data(RATE, {"c": "EUR", "d": "2026-01-01", "r": "1.5"})
    await writer.data(EUR_ORDER, order("order:eur", "100.00", currency="EUR", qty=1))
    after = (await writer.data(LTV, {"id": "person:john-smith"}))["party"]
    grew = Decimal(after["lifetimeValue"]["historicRevenue"]["amount"]) - Decimal(
        before["lifetimeValue"]["historicRevenue"]["amount"])
    assert grew == Decimal("150.00")  # 100 EUR at 1.5, never 100 "units"
    assert after["lifetimeValue"]["historicRevenue"]["currency"] == "USD"
    assert after["rfm"]["revenue"] == after["lifetimeValue"]["historicRevenue"]
    # the headphones cost 180.00 USD: a EUR line has no margin in USD terms, so it adds none
    assert after["lifetimeValue"]["historicMargin"] == before["lifetimeValue"]["historicMargin"]


PRODUCT = "mutation($input: ProductInput!) { createProduct(input: $input) { id price { amount currency } cost { amount currency } } }"
PATCH = ("mutation($id: ID!, $patch: ProductPatch!) { updateProduct(id: $id, patch: $patch) "
         "{ id price { amount currency } cost { amount currency } } }")


async def test_product_amounts_stay_in_their_currency(writer: GraphQLClient) -> None:
    made = await writer.data(PRODUCT, {"input": {"id": "product:yen", "name": "Yen thing", "price": "1500",
                                                 "cost": 900, "currency": "JPY"}})
    assert made["createProduct"]["price"] == {"amount": "1500", "currency": "JPY"}
    # a new price is taken in the product's own currency
    patched = await writer.data(PATCH, {"id": "product:yen", "patch": {"price": "1600"}})
    assert patched["updateProduct"]["price"] == {"amount": "1600", "currency": "JPY"}
    before = await counts(writer)
    result = await writer.execute(PATCH, {"id": "product:yen", "patch": {"price": "16.01"}})
    assert result.errors[0].extensions["code"] == "TOO_PRECISE"
    # a new currency alone would reinterpret the stored amounts: refused, nothing changes
    result = await writer.execute(PATCH, {"id": "product:yen", "patch": {"currency": "USD", "price": "12.00"}})
    assert result.errors[0].extensions["code"] == "CURRENCY_NEEDS_AMOUNTS", result.errors
    assert await counts(writer) == before
    moved = await writer.data(PATCH, {"id": "product:yen", "patch": {"currency": "USD", "price": "12.00",
                                                                      "cost": "7.25"}})
    assert moved["updateProduct"]["price"] == {"amount": "12.00", "currency": "USD"}
    assert moved["updateProduct"]["cost"] == {"amount": "7.25", "currency": "USD"}


FILTERED = ('query($f: OrderFilter) { orders(first: 100, filter: $f, orderBy: [{field: TOTAL, direction: ASC}]) '
            '{ nodes { id total { amount currency } } } }')


async def test_filters_and_order_compare_exact_amounts_per_currency(writer: GraphQLClient) -> None:
    await writer.data(RATE, {"c": "JPY", "d": "2026-01-01", "r": "0.0067"})
    await writer.data(EUR_ORDER, order("order:cent", "0.01", qty=1))
    await writer.data(EUR_ORDER, order("order:yen", "1", currency="JPY", qty=1))

    async def ids(f: dict[str, Any]) -> list[str]:
        found = (await writer.data(FILTERED, {"f": {"AND": [f, {"id": {"in": ["order:cent", "order:yen"]}}]}}))
        return [n["id"] for n in found["orders"]["nodes"]]

    assert await ids({"total": {"eq": "0.01"}}) == ["order:cent"]  # 1 yen is not 0.01 of anything
    assert await ids({"total": {"gt": "0.005"}}) == ["order:yen", "order:cent"]  # JPY sorts before USD
    assert await ids({"total": {"gte": "0.5"}}) == ["order:yen"]  # 1 JPY >= 0.5 JPY; 0.01 USD is not
    assert await ids({"total": {"lt": "0.5"}}) == ["order:cent"]
    assert await ids({"total": {"eq": "0.005"}}) == []  # no amount has a fraction of a minor unit
    assert sorted(await ids({"total": {"ne": "0.005"}})) == ["order:cent", "order:yen"]
    assert await ids({"total": {"gt": "0"}, "currency": {"eq": "USD"}}) == ["order:cent"]


async def test_import_converts_and_refuses_like_the_api(writer: GraphQLClient, tmp_path: Any) -> None:
    import orjson

    from graph.io.importer import Importer, Source

    lines = [
        {"exchangeRate": "GBP", "validFrom": "2026-01-01", "rate": "1.25"},
        {"node": "Order", "id": "order:gbp", "placedAt": "2026-03-01T00:00:00Z", "total": "8.01", "currency": "GBP"},
        {"node": "Order", "id": "order:fine", "placedAt": "2026-03-01T00:00:00Z", "total": "8.001", "currency": "GBP"},
        {"node": "Order", "id": "order:norate", "placedAt": "2025-03-01T00:00:00Z", "total": "8.00", "currency": "GBP"},
        {"rel": "CONTAINS", "from": "order:gbp", "to": "product:soundmax-anc", "qty": 1, "unitPrice": "8.01"},
    ]
    path = tmp_path / "money.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines))
    rejected: list[Any] = []
    await Importer(writer.store, on_rejected=rejected.append).run(Source(path))
    assert sorted(r.line for r in rejected) == [3, 4]
    assert "TOO_PRECISE" in rejected[0].reason or "TOO_PRECISE" in rejected[1].reason
    assert any("NO_EXCHANGE_RATE" in r.reason for r in rejected)
    rows = await writer.store.read(
        "MATCH (o:Order {id: 'order:gbp'})-[l:CONTAINS]->() RETURN o.total AS t, o.baseTotal AS b, "
        "o.exchangeRate AS r, l.unitPrice AS u, l.currency AS c")
    assert rows == [{"t": 801, "b": 1001, "r": "1.25", "u": 801, "c": "GBP"}]  # 10.0125 -> 10.01
