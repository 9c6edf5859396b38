"""A traversal returns the node properties its selection reads, not every property
(graph.cypher.scope.summary): ids alone when it reads ids, and answers exactly what the
same selection answers from whole nodes."""

from __future__ import annotations

import re
from typing import Any

import pytest

import schema.traversals
from graph.access import Access, Role
from tests.conftest import GraphQLClient
from tests.documents import SEED_TRAVERSAL_VARIABLES, TRAVERSAL_IDS

NAMED = "fragment Named on Node { ... on Party { name } ... on Product { name } ... on Order { status } }"
WITH_NAMES = TRAVERSAL_IDS.replace("{ id }", "{ id ...Named }") + NAMED
WHOLE_NODE = re.compile(r"props: properties\([^)]*\), labels")  # a node summary with every property


def _as_in(full: Any, ids: Any) -> Any:
    """``full`` cut down to the keys ``ids`` has, at every level."""
    if isinstance(ids, dict) and isinstance(full, dict):
        return {k: _as_in(full.get(k), v) for k, v in ids.items()}
    if isinstance(ids, list) and isinstance(full, list):
        return [_as_in(f, i) for f, i in zip(full, ids, strict=True)]
    return full


def _names(value: Any) -> int:
    if isinstance(value, dict):
        return ("name" in value) + sum(_names(v) for v in value.values())
    if isinstance(value, list):
        return sum(_names(v) for v in value)
    return 0


@pytest.mark.parametrize("company", ["company:xyz-manufacturing", "company:abc-steel"])
async def test_ids_alone_answer_what_ids_with_names_answer(client: GraphQLClient, company: str) -> None:
    variables = {**SEED_TRAVERSAL_VARIABLES, "company": company}
    ids = await client.execute(TRAVERSAL_IDS, variables)
    assert ids.errors is None, ids.errors
    lean = list(client.statements)
    client.statements.clear()
    named = await client.execute(WITH_NAMES, variables)
    assert named.errors is None, named.errors
    assert _as_in(named.data, ids.data) == ids.data
    assert _names(named.data) > 5  # the reference did read names, from whole nodes
    assert len(lean) == len(ids.data) and not any(WHOLE_NODE.search(s) for s in lean)
    assert not any(WHOLE_NODE.search(s) for s in client.statements)
    assert all(re.search(r"name: \w+\.name", s) for s in client.statements)


READ = ("fragment Read on Node { ... on Person { name email city } ... on Company { name industry email } "
        "... on Product { name category price { amount currency } } "
        "... on Order { status placedAt total { amount currency } } }")
READING = TRAVERSAL_IDS.replace("{ id }", "{ id ...Read }") + READ


@pytest.mark.parametrize("company", ["company:xyz-manufacturing", "company:abc-steel"])
async def test_projected_nodes_answer_what_whole_nodes_answer(client: GraphQLClient, company: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Properties of several types, an amount with its currency, a date: the same answer
    as from every property of every node (the selection reader switched off)."""
    variables = {**SEED_TRAVERSAL_VARIABLES, "company": company}
    projected = await client.execute(READING, variables)
    assert projected.errors is None, projected.errors
    lean = list(client.statements)
    client.statements.clear()
    monkeypatch.setattr(schema.traversals, "node_props", lambda raw: None)
    whole = await client.execute(READING, variables)
    assert whole.errors is None, whole.errors
    assert projected.data == whole.data
    assert _names(projected.data) > 5
    assert not any(WHOLE_NODE.search(s) for s in lean)
    assert any("currency: " in s and "total: " in s for s in lean)  # an amount brings its currency
    assert all(WHOLE_NODE.search(s) for s in client.statements)


PARTNER_IDS = """
query PartnerIds($company: ID!) {
  down: supplyChain(companyId: $company, direction: DOWNSTREAM, maxDepth: 3) { root { id } nodes { tier node { id } } }
  indirect: indirectCustomers(companyId: $company, maxDepth: 3) { intermediaries { intermediary { id } customers { party { id } } } }
  impact: disruptionImpact(companyId: $company, from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z", maxDepth: 3) {
    companies { company { id } } openOrders { order { id } customer { id } } endCustomers { id }
  }
}
"""


async def test_a_partner_gets_the_same_nodes_with_ids_alone(client: GraphQLClient) -> None:
    """A partner's id-only statements drop its own company's properties too; they never
    reach a node its named answers would not show."""
    company = "company:xyz-manufacturing"
    access = Access(Role.PARTNER, company_id=company, scope_depth=3)
    ids = await client.execute(PARTNER_IDS, {"company": company}, access=access)
    named = await client.execute(PARTNER_IDS.replace("{ id }", "{ id ...Named }") + NAMED, {"company": company},
                                 access=access)
    assert ids.errors is None and named.errors is None, (ids.errors, named.errors)
    assert _as_in(named.data, ids.data) == ids.data
    assert ids.data["down"]["nodes"] and _names(named.data) > 0


async def test_a_partner_sees_no_more_of_projected_nodes(client: GraphQLClient,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A partner's projection keeps the mask: its own company's selected properties, of
    any other node its id and name only, the same as from whole nodes."""
    company = "company:xyz-manufacturing"
    access = Access(Role.PARTNER, company_id=company, scope_depth=3)
    document = PARTNER_IDS.replace("{ id }", "{ id ...Read }") + READ
    projected = await client.execute(document, {"company": company}, access=access)
    lean = list(client.statements)
    monkeypatch.setattr(schema.traversals, "node_props", lambda raw: None)
    whole = await client.execute(document, {"company": company}, access=access)
    assert projected.errors is None and whole.errors is None, (projected.errors, whole.errors)
    assert projected.data == whole.data
    assert projected.data["down"]["root"]["industry"] is not None  # its own company, in full
    assert all(n["node"].get("email") is None for n in projected.data["down"]["nodes"])
    assert all("ELSE {id: " in s for s in lean)


async def test_a_paths_nodes_are_projected_too(client: GraphQLClient, monkeypatch: pytest.MonkeyPatch) -> None:
    document = """query($from: ID!, $to: ID!) {
      shortestPath(from: $from, to: $to, types: [REFERRED, PLACED, SOLD_BY]) { length nodes { id ...Read } } }""" + READ
    variables = {"from": "person:anna-kowalski", "to": "person:john-smith"}
    projected = await client.execute(document, variables)
    lean = client.statements[-1]
    monkeypatch.setattr(schema.traversals, "node_props", lambda raw: None)
    whole = await client.execute(document, variables)
    assert projected.errors is None and whole.errors is None, (projected.errors, whole.errors)
    assert projected.data == whole.data and _names(projected.data) >= 2
    assert not WHOLE_NODE.search(lean) and "name: n.name" in lean
    assert WHOLE_NODE.search(client.statements[-1])
