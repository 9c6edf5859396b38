"""A traversal whose selection reads nothing of its nodes but ids gets ids from the store,
not every property (graph.cypher.scope.summary), and answers exactly what the same
selection with names beside the ids answers."""

from __future__ import annotations

import re
from typing import Any

import pytest

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
