"""The paging repros of issue 12: sums that print rounded no longer repeat or skip rows.

FalkorDB prints doubles to 15 significant digits, so a customer whose orders total
0.1 + 0.2 = 0.30000000000000004 came back with revenue 0.3; the cursor carried that 0.3
and the next page compared the exact sum against it. Cursors now carry the row's id, and
the statement reads the cursor row's key itself."""

from __future__ import annotations

import time
from typing import Any

import pytest
import strawberry

from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from seeds.loader import load
from seeds.stories import Dataset
from seeds.synthetic import SyntheticSpec, generate_into
from tests.conftest import GraphQLClient

CUSTOMERS = """
query($id: ID!, $first: Int!, $after: String, $dir: Direction!) {
  company(id: $id) {
    customers(first: $first, after: $after, orderBy: [{field: EDGE_REVENUE, direction: $dir}]) {
      totalCount edges { node { id } revenue { amount currency } } pageInfo { hasNextPage endCursor }
    }
  }
}"""

INDIRECT = """
query($id: ID!, $first: Int!, $after: String) {
  indirectCustomers(companyId: $id, maxDepth: 2, first: $first, after: $after) {
    totalIntermediaries
    intermediaries { cursor revenue { amount currency } intermediary { id } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def float_graph() -> Dataset:
    """``company:s`` sells to four people: two of them spent 0.10 + 0.20, two spent 0.30
    in one order. As binary floats the sums were 0.30000000000000004 and 0.3 (printed alike,
    compared apart); as cents (graph.money) all four are exactly 30, a four-way tie that
    only the id breaks. ``company:top`` supplies four companies that sell, in the same
    amounts, to four other people (its indirect customers)."""
    d = Dataset(nodes={"Company": [], "Person": [], "Order": []}, rels={"PLACED": [], "SOLD_BY": [], "SUPPLIES": []})
    d.nodes["Company"] += [{"id": "company:s", "name": "S"}, {"id": "company:top", "name": "Top"}]
    amounts = {"a": [10, 20], "b": [30], "c": [20, 10], "d": [30]}  # cents
    for prefix, seller in (("p", "company:s"), ("q", None)):
        for who, totals in amounts.items():
            person = f"person:{prefix}{who}"
            d.nodes["Person"].append({"id": person, "name": who})
            if seller is None:  # one intermediary per indirect customer
                via = f"company:via-{who}"
                d.nodes["Company"].append({"id": via, "name": via})
                d.rels["SUPPLIES"].append(("company:top", via, {}))
            for k, total in enumerate(totals):
                order = f"order:{prefix}{who}{k}"
                d.nodes["Order"].append({"id": order, "total": total, "currency": "USD", "baseTotal": total,
                                         "exchangeRate": "1", "status": "paid", "placedAt": 1_700_000_000_000})
                d.rels["PLACED"].append((person, order, {}))
                d.rels["SOLD_BY"].append((order, seller or via, {}))
    return d


async def walk(client: GraphQLClient, document: str, pick: Any, variables: dict[str, Any]) -> tuple[list[str], Any]:
    ids: list[str] = []
    after, first_page = None, None
    for _ in range(1000):
        page = pick(await client.data(document, {**variables, "after": after}))
        first_page = first_page or page
        ids += page["ids"]
        if not page["next"]:
            return ids, first_page
        after = page["cursor"]
    raise AssertionError("the walk does not end")


def customers_page(data: dict[str, Any]) -> dict[str, Any]:
    c = data["company"]["customers"]
    return {"ids": [e["node"]["id"] for e in c["edges"]], "next": c["pageInfo"]["hasNextPage"],
            "cursor": c["pageInfo"]["endCursor"], "total": c["totalCount"]}


def indirect_page(data: dict[str, Any]) -> dict[str, Any]:
    c = data["indirectCustomers"]
    return {"ids": [g["intermediary"]["id"] for g in c["intermediaries"]], "next": c["pageInfo"]["hasNextPage"],
            "cursor": c["pageInfo"]["endCursor"], "total": c["totalIntermediaries"]}


@pytest.fixture
async def float_client(schema: strawberry.Schema, falkordb_server: EmbeddedFalkorDB) -> Any:
    store = FalkorDBStore(str(falkordb_server.socket_path), "cursor-floats")
    await store.ensure_schema()
    await store.clear()
    await load(store, float_graph())
    try:
        yield GraphQLClient(schema, store)
    finally:
        await store.clear()
        await store.close()


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("first", [1, 2, 3])
async def test_customers_by_a_sum_that_prints_rounded(float_client: GraphQLClient, direction: str,
                                                      first: int) -> None:
    variables = {"id": "company:s", "first": first, "dir": direction}
    everything = customers_page(await float_client.data(CUSTOMERS, {**variables, "first": 100, "after": None}))
    # 0.10 + 0.20 = 0.30 exactly: a tie either way, broken by id ascending
    assert everything["ids"] == ["person:pa", "person:pb", "person:pc", "person:pd"]
    ids, page = await walk(float_client, CUSTOMERS, customers_page, variables)
    assert ids == everything["ids"] and page["total"] == 4


@pytest.mark.parametrize("first", [1, 2, 3])
async def test_indirect_customers_pages_are_exact(float_client: GraphQLClient, first: int) -> None:
    variables = {"id": "company:top", "first": first}
    everything = indirect_page(await float_client.data(INDIRECT, {**variables, "first": 100, "after": None}))
    assert everything["ids"] == ["company:via-a", "company:via-b", "company:via-c", "company:via-d"]  # a tie
    ids, page = await walk(float_client, INDIRECT, indirect_page, variables)
    assert ids == everything["ids"] and page["total"] == 4


async def test_a_cursor_to_a_row_outside_the_list_is_invalid(float_client: GraphQLClient) -> None:
    """A cursor names a row: a row of another list, or one that is gone, is refused."""
    from graph.cypher.cursor import encode_cursor
    from graph.cypher.plan import SortKey

    order = [SortKey("revenue", True, on_edge=True)]
    for row in ("person:qa", "person:nobody"):  # a customer of another company; no such node
        result = await float_client.execute(CUSTOMERS, {"id": "company:s", "first": 2, "dir": "DESC",
                                                        "after": encode_cursor(order, row)})
        assert result.errors and result.errors[0].extensions["code"] == "INVALID_CURSOR"
        assert "company.customers.after" in result.errors[0].message
    result = await float_client.execute(INDIRECT, {"id": "company:top", "first": 2,
                                                   "after": encode_cursor(order, "company:s")})
    assert result.errors and result.errors[0].extensions["code"] == "INVALID_CURSOR"


async def test_synthetic_repro_walks_80_customers_once(schema: strawberry.Schema,
                                                       falkordb_server: EmbeddedFalkorDB) -> None:
    """The issue's repro: a seller's 80 customers by revenue, five at a time."""
    store = FalkorDBStore(str(falkordb_server.socket_path), "cursor-synthetic")
    await store.ensure_schema()
    await store.clear()
    started = time.monotonic()
    try:
        await generate_into(store, SyntheticSpec(people=3000, companies=300, products=600, orders=9000,
                                                 interactions=3000, seed=11))
        client = GraphQLClient(schema, store)
        # The two sellers with the most customers (the had 80 and 78).
        busiest = await store.read("MATCH (p:Party)-[:PLACED]->(:Order)-[:SOLD_BY]->(c:Company) "
                                   "WITH c, count(DISTINCT p) AS customers RETURN c.id AS id, customers "
                                   "ORDER BY customers DESC, id LIMIT 2")
        assert busiest[-1]["customers"] >= 40
        for company, count in ((row["id"], row["customers"]) for row in busiest):
            ids, page = await walk(client, CUSTOMERS, customers_page,
                                   {"id": company, "first": 5, "dir": "DESC"})
            assert page["total"] == count and len(ids) == count and len(set(ids)) == count, company
        assert time.monotonic() - started < 600  # does not hang
    finally:
        await store.clear()
        await store.close()


PEOPLE = """
query($first: Int!, $after: String) {
  people(first: $first, after: $after, orderBy: [{field: NAME, direction: DESC}]) {
    totalCount edges { node { id } } pageInfo { hasNextPage endCursor }
  }
}"""


async def test_a_partner_cannot_probe_with_cursors(float_client: GraphQLClient) -> None:
    """The cursor row is read again within the caller's scope: a row outside it answers
    exactly like a row that does not exist."""
    from graph.access import Access, Role
    from graph.cypher.cursor import encode_cursor
    from graph.cypher.plan import SortKey

    partner = Access(Role.PARTNER, company_id="company:s", scope_depth=1)
    ids, after = [], None
    while True:
        page = (await float_client.data(PEOPLE, {"first": 1, "after": after}, access=partner))["people"]
        ids += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert ids == ["person:pd", "person:pc", "person:pb", "person:pa"] and page["totalCount"] == 4
    answers = []
    for row in ("person:qd", "person:nobody"):  # exists but outside the scope; does not exist
        cursor = encode_cursor([SortKey("name", True)], row)
        result = await float_client.execute(PEOPLE, {"first": 2, "after": cursor}, access=partner)
        assert result.errors and result.errors[0].extensions["code"] == "INVALID_CURSOR"
        answers.append((result.errors[0].message, result.data))
    assert answers[0] == answers[1]
    cursor = encode_cursor([SortKey("name", True)], "person:qd")
    admin = await float_client.data(PEOPLE, {"first": 2, "after": cursor})
    assert admin["people"]["edges"], "the admin sees the row, so the cursor is good for the admin"
