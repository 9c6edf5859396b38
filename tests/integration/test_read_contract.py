"""The read API's contract, run against every backend with the seed stories loaded."""

from __future__ import annotations

import pytest

from tests.conftest import GraphQLClient
from tests.money import amount, usd
from tests.documents import (
    COMPANY_VIEW,
    CORPUS,
    CUSTOMER_360,
    NODE_LOOKUP,
    ORDERS_FILTERED,
    PEOPLE_PAGE,
    REFERRALS_BY_STATUS,
    ROOT_LISTS,
)

JOHN = {"id": "person:john-smith", "withFeedback": True, "skipSegments": False}


async def test_customer_360_of_john_smith(client: GraphQLClient) -> None:
    c = (await client.data(CUSTOMER_360, JOHN))["customer"]
    assert c["__typename"] == "Person"
    assert (c["name"], c["age"], c["occupation"], c["city"]) == ("John Smith", 35, "marketing professional", "Chicago")
    assert c["employers"]["nodes"] == [{"name": "Brightwave Tech"}]

    orders = c["orders"]
    assert orders["totalCount"] == 2
    laptop_order = next(e["node"] for e in orders["edges"] if e["node"]["id"] == "order:abc-1001")
    assert laptop_order["seller"]["name"] == "ABC Electronics"
    assert (laptop_order["channel"], laptop_order["paymentMethod"]) == ("store", "credit_card")
    items = {e["node"]["category"]: (e["qty"], e["unitPrice"]) for e in laptop_order["items"]["edges"]}
    assert items == {"laptop": (1, usd(1899)), "warranty": (1, usd(249))}
    assert laptop_order["total"] == usd(2148)
    # Newest first by default.
    placed = [e["node"]["placedAt"] for e in orders["edges"]]
    assert placed == sorted(placed, reverse=True)

    referred = c["referralsMade"]
    assert referred["totalCount"] == 5
    names = [e["node"]["name"] for e in referred["edges"]]
    assert names == sorted(names)
    statuses = {e["node"]["name"]: e["status"] for e in referred["edges"]}
    assert statuses["Emily Chen"] == "rewarded" and statuses["Sarah Johnson"] == "invited"
    buyers = {e["node"]["name"] for e in referred["edges"] if e["node"]["orders"]["totalCount"] > 0}
    assert buyers == {"Emily Chen", "David Lee", "Michael Brown"}
    assert c["referredBy"]["nodes"] == []

    recent = c["recent"]
    assert [e["node"]["at"] for e in recent["edges"]] == sorted((e["node"]["at"] for e in recent["edges"]), reverse=True)
    assert recent["edges"][0]["node"]["channel"] == "sms"
    assert recent["pageInfo"] == {**recent["pageInfo"], "hasNextPage": True, "hasPreviousPage": False}

    about = {f["kind"]: f["about"] for f in c["feedback"]["nodes"]}
    assert about["review"] == {"__typename": "Company", "name": "ABC Electronics"}
    assert about["survey"]["__typename"] == "Order" and about["survey"]["id"] == "order:abc-1001"
    assert {s["name"] for s in c["segments"]["nodes"]} == {"Loyal advocates"}


async def test_one_statement_per_root_field(client: GraphQLClient) -> None:
    await client.data(CUSTOMER_360, JOHN)
    assert len(client.statements) == 1
    client.statements.clear()
    await client.data(ROOT_LISTS)
    assert len(client.statements) == 4  # four root fields, nested lists included


async def test_include_and_skip_follow_variables(client: GraphQLClient) -> None:
    c = (await client.data(CUSTOMER_360, {**JOHN, "withFeedback": False, "skipSegments": True}))["customer"]
    assert "feedback" not in c and "segments" not in c
    assert "feedback" not in client.statements[-1].lower().replace("feedbackabout", "")
    assert ":GAVE]" not in client.statements[-1] and ":IN_SEGMENT]" not in client.statements[-1]


async def test_interactions_page_through_all_channels(client: GraphQLClient) -> None:
    seen, after = [], None
    while True:
        page = (await client.data(CUSTOMER_360, {**JOHN, "after": after}))["customer"]["recent"]
        seen += [e["node"]["channel"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert page["pageInfo"]["endCursor"]
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 8
    assert set(seen) == {"web", "store", "email", "social", "chat", "phone", "sms"}


@pytest.mark.parametrize("order", [None, [{"field": "CREATED_AT", "direction": "DESC"}],
                                   [{"field": "AGE"}, {"field": "NAME", "direction": "DESC"}]])
async def test_keyset_pages_cover_everyone_once(client: GraphQLClient, order: object) -> None:
    ids, after, total = [], None, None
    for _ in range(20):
        page = (await client.data(PEOPLE_PAGE, {"first": 4, "after": after, "order": order}))["people"]
        total = page["totalCount"]
        ids += [e["node"]["id"] for e in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert total == 13
    assert len(ids) == len(set(ids)) == 13
    whole = (await client.data(PEOPLE_PAGE, {"first": 100, "order": order}))["people"]
    assert [e["node"]["id"] for e in whole["edges"]] == ids


async def test_root_filters_and_ordering(client: GraphQLClient) -> None:
    contract = (await client.data(ORDERS_FILTERED, {
        "filter": {"channel": {"eq": "contract"}}, "order": [{"field": "TOTAL", "direction": "DESC"}]}))["orders"]
    totals = [amount(o["total"]) for o in contract["nodes"]]
    assert totals == sorted(totals, reverse=True) and contract["totalCount"] == 6
    assert {o["customer"]["id"] for o in contract["nodes"]} == {
        "company:xyz-manufacturing", "company:apex-motors", "company:horizon-auto"}

    combined = (await client.data(ORDERS_FILTERED, {"filter": {
        "AND": [{"total": {"gt": 500}}, {"placedAt": {"lt": "2026-05-01T00:00:00Z"}}],
        "NOT": {"status": {"in": ["open"]}}}}))["orders"]["nodes"]
    assert combined and all(amount(o["total"]) > 500 and o["placedAt"] < "2026-05-01" and o["status"] != "open"
                            for o in combined)

    lists = await client.data(ROOT_LISTS)
    assert {c["name"] for c in lists["companies"]["nodes"]} == {"ABC Steel Suppliers", "Great Lakes Metals"}
    assert {p["name"] for p in lists["products"]["nodes"]} == {"Apex Sedan S", "ProBook X15 high-performance laptop"}
    assert {p["__typename"] for p in lists["parties"]["nodes"]} <= {"Person", "Company"}
    assert lists["parties"]["totalCount"] == 13  # 10 people, 3 companies in Chicago


async def test_relationship_property_filter_and_edge_order(client: GraphQLClient) -> None:
    r = (await client.data(REFERRALS_BY_STATUS, {"id": "person:john-smith", "statuses": ["converted", "rewarded"]}))
    edges = r["party"]["referralsMade"]["edges"]
    assert {e["node"]["name"] for e in edges} == {"Emily Chen", "David Lee", "Michael Brown"}
    assert [e["at"] for e in edges] == sorted((e["at"] for e in edges), reverse=True)


async def test_company_view(client: GraphQLClient) -> None:
    xyz = (await client.data(COMPANY_VIEW, {"id": "company:xyz-manufacturing"}))["company"]
    suppliers = {e["node"]["name"]: e for e in xyz["suppliers"]["edges"]}
    assert suppliers["ABC Steel Suppliers"]["sharePct"] == 70.0
    assert suppliers["ABC Steel Suppliers"]["products"] == ["steel sheet"]
    assert [e["node"]["name"] for e in xyz["suppliesTo"]["edges"]] == ["Apex Motors"]
    customers = xyz["customers"]["edges"]
    assert [e["node"]["name"] for e in customers] == ["Apex Motors", "Horizon Auto"]  # by revenue
    assert [e["revenue"] for e in customers] == [usd(672000), usd(430000)]
    assert customers[0]["orderCount"] == 1
    parts = {p["name"]: p for p in xyz["products"]["nodes"]}
    steel = parts["Brake caliper BC-200"]["components"]["edges"][0]["node"]
    assert {m["name"] for m in steel["makers"]["nodes"]} == {"ABC Steel Suppliers", "Great Lakes Metals"}
    assert xyz["employees"]["nodes"] == [{"name": "Linda Martinez"}]

    abc = (await client.data(COMPANY_VIEW, {"id": "company:abc-electronics"}))["company"]
    assert abc["customers"]["totalCount"] == 5
    assert abc["sales"]["totalCount"] == 6 and len(abc["sales"]["nodes"]) == 5


async def test_node_lookup_by_kind(client: GraphQLClient) -> None:
    product = (await client.data(NODE_LOOKUP, {"id": "product:probook-x15"}))["node"]
    assert product["__typename"] == "Product" and product["sku"] == "PBX15-32-1T"
    segment = (await client.data(NODE_LOOKUP, {"id": "segment:key-accounts"}))["node"]
    assert segment["members"]["totalCount"] == 3
    assert (await client.data(NODE_LOOKUP, {"id": "nobody:here"}))["node"] is None


async def test_lookup_of_wrong_kind_is_null(client: GraphQLClient) -> None:
    data = await client.data('{ company(id: "person:john-smith") { id } person(id: "person:john-smith") { id } }')
    assert data == {"company": None, "person": {"id": "person:john-smith"}}


@pytest.mark.parametrize(("document", "variables", "code", "argument"), [
    ('{ party(id: "not an id!") { id } }', None, "INVALID_ID", "party.id"),
    ('{ people(first: 101) { totalCount } }', None, "PAGE_SIZE_EXCEEDED", "people.first"),
    ('{ people(first: -1) { totalCount } }', None, "PAGE_SIZE_EXCEEDED", "people.first"),
    ('{ people(after: "garbage") { totalCount } }', None, "INVALID_CURSOR", "people.after"),
    ('{ party(id: "person:john-smith") { orders(first: 500) { totalCount } } }', None,
     "PAGE_SIZE_EXCEEDED", "party.orders.first"),
    ('{ party(id: "person:john-smith") { orders(after: "eyJ4IjoxfQ") { totalCount } } }', None,
     "INVALID_CURSOR", "party.orders.after"),
])
async def test_bad_input_is_a_clear_typed_error(client: GraphQLClient, document: str, variables: object,
                                                 code: str, argument: str) -> None:
    result = await client.execute(document, variables)  # type: ignore[arg-type]
    assert result.errors and len(result.errors) == 1
    error = result.errors[0]
    assert error.extensions == {"code": code, "argument": argument}
    assert error.message.startswith(argument)
    assert client.statements == []  # refused before anything reached the store


async def test_cursor_from_another_ordering_is_refused(client: GraphQLClient) -> None:
    page = (await client.data(PEOPLE_PAGE, {"first": 2}))["people"]
    result = await client.execute(PEOPLE_PAGE, {"first": 2, "after": page["pageInfo"]["endCursor"],
                                                "order": [{"field": "AGE"}]})
    assert result.errors and result.errors[0].extensions["code"] == "INVALID_CURSOR"
    assert "different orderBy" in result.errors[0].message


async def test_unknown_filter_field_names_it(client: GraphQLClient) -> None:
    result = await client.execute('{ companies(filter: {nmae: {eq: "x"}}) { totalCount } }')
    assert result.errors and "nmae" in result.errors[0].message


async def test_whole_corpus_runs_clean(client: GraphQLClient) -> None:
    for document, variables in CORPUS:
        client.statements.clear()
        result = await client.execute(document, variables)
        assert result.errors is None, (document, result.errors)
        root_fields = len(result.data)
        assert len(client.statements) == root_fields
