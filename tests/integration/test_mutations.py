"""Writes on every backend: what lands, what is refused (with the field and reason), and
that a refused write leaves node and relationship counts exactly as they were."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import strawberry

from graph.store import Store
from seeds.loader import load
from seeds.stories import build
from tests.conftest import GraphQLClient
from tests.money import usd

COUNTS = "MATCH (n:Entity) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) AS nodes, count(r) AS rels"  # graph data, not the audit trail


@pytest.fixture
async def writer(schema: strawberry.Schema, empty_store: Store) -> AsyncIterator[GraphQLClient]:
    await load(empty_store, build())
    yield GraphQLClient(schema, empty_store)


async def counts(client: GraphQLClient) -> tuple[int, int]:
    row = (await client.store.read(COUNTS))[0]
    return row["nodes"], row["rels"]


async def refused(client: GraphQLClient, document: str, variables: dict[str, Any] | None, code: str, field: str) -> None:
    before = await counts(client)
    result = await client.execute(document, variables)
    assert result.errors, result.data
    ext = result.errors[0].extensions
    assert (ext["code"], ext["field"]) == (code, field), ext
    assert await counts(client) == before, "a refused write changed the graph"


CREATE_PERSON = "mutation($input: PersonInput!) { createPerson(input: $input) { id name age } }"
UPSERT_PERSON = "mutation($input: PersonInput!) { upsertPerson(input: $input) { id name age city } }"
UPDATE_PERSON = "mutation($id: ID!, $patch: PersonPatch!) { updatePerson(id: $id, patch: $patch) { id name age city } }"
DELETE_PERSON = "mutation($id: ID!, $w: Boolean!) { deletePerson(id: $id, withOrders: $w) }"
ORDER = "mutation($input: OrderInput!) { recordOrder(input: $input) { id ... on Order { total { amount currency } status } } }"
REFERRAL = "mutation($input: ReferralInput!) { recordReferral(input: $input) { from to status } }"
SUPPLY = "mutation($input: SuppliesInput!) { linkSupplies(input: $input) { type from to properties } }"
MERGE = "mutation($s: ID!, $m: ID!) { mergeParties(survivorId: $s, mergedId: $m) { id name } }"
LOOKUP = 'query($id: ID!) { party(id: $id) { id name orders { totalCount } referralsMade { totalCount } } }'


async def test_create_update_upsert_delete(writer: GraphQLClient) -> None:
    made = await writer.data(CREATE_PERSON, {"input": {"id": "person:ada", "name": "Ada", "age": 36}})
    assert made["createPerson"] == {"id": "person:ada", "name": "Ada", "age": 36}
    changed = await writer.data(UPDATE_PERSON, {"id": "person:ada", "patch": {"city": "London", "age": None}})
    assert changed["updatePerson"] == {"id": "person:ada", "name": "Ada", "age": None, "city": "London"}
    again = await writer.data(UPSERT_PERSON, {"input": {"id": "person:ada", "name": "Ada L."}})
    assert again["upsertPerson"]["name"] == "Ada L." and again["upsertPerson"]["city"] == "London"
    before = await counts(writer)
    await writer.data(UPSERT_PERSON, {"input": {"id": "person:ada", "name": "Ada L."}})
    assert await counts(writer) == before  # idempotent
    assert (await writer.data(DELETE_PERSON, {"id": "person:ada", "w": False}))["deletePerson"] == "person:ada"
    assert (await writer.data(LOOKUP, {"id": "person:ada"}))["party"] is None


@pytest.mark.parametrize(("document", "variables", "code", "field"), [
    (CREATE_PERSON, {"input": {"id": "person:john-smith", "name": "Dup"}}, "DUPLICATE_ID", "id"),
    (CREATE_PERSON, {"input": {"id": "company:abc-steel", "name": "Dup"}}, "DUPLICATE_ID", "id"),
    (UPSERT_PERSON, {"input": {"id": "company:abc-steel", "name": "Not a company"}}, "DUPLICATE_ID", "id"),
    (CREATE_PERSON, {"input": {"id": "bad id", "name": "X"}}, "INVALID_ID", "id"),
    (CREATE_PERSON, {"input": {"id": "person:x", "name": "X", "age": -3}}, "OUT_OF_RANGE", "age"),
    (UPDATE_PERSON, {"id": "person:nobody", "patch": {"age": 3}}, "NOT_FOUND", "id"),
    (UPDATE_PERSON, {"id": "person:john-smith", "patch": {"name": None}}, "REQUIRED", "name"),
    (DELETE_PERSON, {"id": "person:john-smith", "w": False}, "HAS_ORDERS", "withOrders"),
    (SUPPLY, {"input": {"supplierId": "company:abc-steel", "customerId": "company:abc-steel"}}, "SELF_LINK", "customerId"),
    (SUPPLY, {"input": {"supplierId": "company:abc-steel", "customerId": "company:nobody"}}, "NOT_FOUND", "customerId"),
    (SUPPLY, {"input": {"supplierId": "person:john-smith", "customerId": "company:abc-steel"}}, "NOT_FOUND", "supplierId"),
    (SUPPLY, {"input": {"supplierId": "company:abc-steel", "customerId": "company:apex-motors", "sharePct": 140.0}},
     "OUT_OF_RANGE", "sharePct"),
    (REFERRAL, {"input": {"referrerId": "person:emily-chen", "referredId": "person:emily-chen"}}, "SELF_REFERRAL", "referredId"),
    (REFERRAL, {"input": {"referrerId": "person:anna-kowalski", "referredId": "person:john-smith"}}, "REFERRAL_CYCLE", "referredId"),
    (REFERRAL, {"input": {"referrerId": "person:emily-chen", "referredId": "person:david-lee",
                          "companyId": "company:abc-electronics"}}, "ALREADY_REFERRED", "referredId"),
    (REFERRAL, {"input": {"referrerId": "person:emily-chen", "referredId": "person:nobody"}}, "NOT_FOUND", "referredId"),
    (REFERRAL, {"input": {"referrerId": "person:emily-chen", "referredId": "person:linda-martinez", "status": "maybe"}},
     "INVALID_VALUE", "status"),
    (MERGE, {"s": "person:john-smith", "m": "company:abc-steel"}, "KIND_MISMATCH", "mergedId"),
    (MERGE, {"s": "person:john-smith", "m": "person:john-smith"}, "SAME_PARTY", "mergedId"),
    (MERGE, {"s": "person:john-smith", "m": "person:nobody"}, "NOT_FOUND", "mergedId"),
])
async def test_refused_writes_name_the_field_and_write_nothing(writer: GraphQLClient, document: str,
                                                              variables: dict[str, Any], code: str, field: str) -> None:
    await refused(writer, document, variables, code, field)


def order(**overrides: Any) -> dict[str, Any]:
    base = {"id": "order:new", "customerId": "person:john-smith", "sellerId": "company:abc-electronics",
            "placedAt": "2026-11-20T10:00:00Z", "channel": "web", "paymentMethod": "credit_card",
            "items": [{"productId": "product:probook-x15", "qty": 1, "unitPrice": 1799.0},
                      {"productId": "product:extended-warranty-3y", "qty": 1, "unitPrice": 249.0}]}
    return {"input": {**base, **overrides}}


@pytest.mark.parametrize(("variables", "code", "field"), [
    (order(total=100.0), "TOTAL_MISMATCH", "total"),
    (order(items=[{"productId": "product:probook-x15", "qty": -1, "unitPrice": 10.0}]), "OUT_OF_RANGE", "items[0].qty"),
    (order(items=[{"productId": "product:probook-x15", "qty": 1, "unitPrice": -5.0}]), "OUT_OF_RANGE", "items[0].unitPrice"),
    (order(items=[]), "REQUIRED", "items"),
    (order(items=[{"productId": "product:nope", "qty": 1, "unitPrice": 1.0}]), "NOT_FOUND", "items[0].productId"),
    (order(items=[{"productId": "product:slate-11", "qty": 1, "unitPrice": 1.0},
                  {"productId": "product:slate-11", "qty": 2, "unitPrice": 1.0}]), "DUPLICATE_ITEM", "items[1].productId"),
    (order(customerId="person:nobody"), "NOT_FOUND", "customerId"),
    (order(sellerId="person:john-smith"), "NOT_FOUND", "sellerId"),
    (order(id="order:abc-1001"), "DUPLICATE_ID", "id"),
    (order(status="lost"), "INVALID_VALUE", "status"),
])
async def test_order_rules(writer: GraphQLClient, variables: dict[str, Any], code: str, field: str) -> None:
    await refused(writer, ORDER, variables, code, field)


async def test_order_lands_with_computed_total(writer: GraphQLClient) -> None:
    before = await counts(writer)
    data = await writer.data(ORDER, order(total=2048.0))
    assert data["recordOrder"] == {"id": "order:new", "total": usd(2048), "status": "open"}
    assert await counts(writer) == (before[0] + 1, before[1] + 4)  # PLACED, SOLD_BY, two lines
    john = await writer.data(LOOKUP, {"id": "person:john-smith"})
    assert john["party"]["orders"]["totalCount"] == 3


async def test_delete_with_orders_when_asked(writer: GraphQLClient) -> None:
    await writer.data(DELETE_PERSON, {"id": "person:emily-chen", "w": True})
    left = await writer.store.read("MATCH (o:Order {id: 'order:abc-1002'}) RETURN count(o) AS n")
    assert left[0]["n"] == 0


async def test_merge_moves_relationships_and_keeps_the_alias(writer: GraphQLClient) -> None:
    await writer.data(CREATE_PERSON, {"input": {"id": "person:j-smith-dup", "name": "J. Smith"}})
    await writer.data(ORDER, order(customerId="person:j-smith-dup"))
    await writer.data(REFERRAL, {"input": {"referrerId": "person:j-smith-dup", "referredId": "person:linda-martinez"}})
    # The duplicate also refers someone John already referred: after the merge, one REFERRED.
    await writer.store.write("MATCH (a:Entity {id: 'person:j-smith-dup'}), (b:Entity {id: 'person:sarah-johnson'}) "
                             "CREATE (a)-[:REFERRED {status: 'invited'}]->(b)")
    merged = await writer.data(MERGE, {"s": "person:john-smith", "m": "person:j-smith-dup"})
    assert merged["mergeParties"] == {"id": "person:john-smith", "name": "John Smith"}
    john = (await writer.data(LOOKUP, {"id": "person:john-smith"}))["party"]
    assert john["orders"]["totalCount"] == 3 and john["referralsMade"]["totalCount"] == 6
    via_alias = (await writer.data(LOOKUP, {"id": "person:j-smith-dup"}))["party"]
    assert via_alias == john  # the old id still resolves
    dupes = await writer.store.read(
        "MATCH (a:Entity {id: 'person:john-smith'})-[r:REFERRED]->(b:Entity {id: 'person:sarah-johnson'}) "
        "RETURN count(r) AS n")
    assert dupes[0]["n"] == 1
    await writer.data(ORDER, order(id="order:via-alias", customerId="person:j-smith-dup"))
    assert (await writer.data(LOOKUP, {"id": "person:john-smith"}))["party"]["orders"]["totalCount"] == 4
    await refused(writer, CREATE_PERSON, {"input": {"id": "person:j-smith-dup", "name": "X"}}, "DUPLICATE_ID", "id")


async def test_links_are_idempotent_and_removable(writer: GraphQLClient) -> None:
    link = {"input": {"supplierId": "company:great-lakes-metals", "customerId": "company:apex-motors",
                      "sharePct": 15.0, "products": ["steel sheet"], "contractEnd": "2027-06-30T00:00:00Z"}}
    before = await counts(writer)
    made = (await writer.data(SUPPLY, link))["linkSupplies"]
    assert made["properties"]["sharePct"] == 15.0 and made["properties"]["contractEnd"].startswith("2027-06-30")
    await writer.data(SUPPLY, link)
    assert await counts(writer) == (before[0], before[1] + 1)
    removed = await writer.data('mutation { unlink(type: SUPPLIES, from: "company:great-lakes-metals", '
                                'to: "company:apex-motors") }')
    assert removed == {"unlink": 1} and await counts(writer) == before
    await refused(writer, 'mutation { unlink(type: SUPPLIES, from: "company:great-lakes-metals", '
                          'to: "company:apex-motors") }', None, "NOT_FOUND", "customerId")


async def test_a_company_has_one_parent(writer: GraphQLClient) -> None:
    """``parent`` is one company (graph.model.ONE_ONLY): a second parent is refused, the
    same parent again is not."""
    link = "mutation($input: SubsidiaryOfInput!) { linkSubsidiaryOf(input: $input) { type } }"
    await writer.data(link, {"input": {"subsidiaryId": "company:apex-motors", "parentId": "company:abc-steel"}})
    await writer.data(link, {"input": {"subsidiaryId": "company:apex-motors", "parentId": "company:abc-steel"}})
    await refused(writer, link, {"input": {"subsidiaryId": "company:apex-motors",
                                           "parentId": "company:xyz-manufacturing"}}, "CONFLICT", "subsidiaryId")
    parents = await writer.store.read("MATCH (:Entity {id: 'company:apex-motors'})-[:SUBSIDIARY_OF]->(p) "
                                      "RETURN p.id AS id")
    assert [row["id"] for row in parents] == ["company:abc-steel"]


async def test_interaction_and_feedback(writer: GraphQLClient) -> None:
    data = await writer.data("""mutation {
      recordInteraction(input: {id: "interaction:x", partyId: "person:john-smith", companyId: "company:abc-electronics",
                                channel: "chat", direction: "inbound", at: "2026-11-21T10:00:00Z", sentiment: 0.4}) { id }
      recordFeedback(input: {id: "feedback:x", partyId: "person:john-smith", aboutId: "product:probook-x15",
                             kind: "review", rating: 4, at: "2026-11-21T11:00:00Z"}) { id }
    }""")
    assert data == {"recordInteraction": {"id": "interaction:x"}, "recordFeedback": {"id": "feedback:x"}}
    await refused(writer, """mutation { recordFeedback(input: {id: "feedback:y", partyId: "person:john-smith",
        aboutId: "person:emily-chen", kind: "review", at: "2026-11-21T11:00:00Z"}) { id } }""", None,
                  "NOT_FOUND", "aboutId")
    await refused(writer, """mutation { recordInteraction(input: {id: "interaction:y", partyId: "person:john-smith",
        companyId: "company:abc-electronics", channel: "pigeon", at: "2026-11-21T10:00:00Z"}) { id } }""", None,
                  "INVALID_VALUE", "channel")


async def test_fifty_concurrent_upserts_leave_one_node(writer: GraphQLClient) -> None:
    results = await asyncio.gather(*(
        writer.execute(UPSERT_PERSON, {"input": {"id": "person:race", "name": f"Racer {i}", "age": i}})
        for i in range(50)))
    assert all(r.errors is None for r in results)
    rows = await writer.store.read("MATCH (n:Entity {id: 'person:race'}) RETURN count(n) AS n")
    assert rows[0]["n"] == 1


async def test_concurrent_orders_for_one_party_all_land(writer: GraphQLClient) -> None:
    results = await asyncio.gather(*(writer.execute(ORDER, order(id=f"order:burst-{i}")) for i in range(30)))
    assert all(r.errors is None for r in results)
    john = await writer.data(LOOKUP, {"id": "person:john-smith"})
    assert john["party"]["orders"]["totalCount"] == 2 + 30
