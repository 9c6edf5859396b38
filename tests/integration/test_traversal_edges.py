"""A traversal whose selection reads only the ends of its edges (and no node's
``singleSource``) gets no edge properties from the store (``graph.traversals.bounds.
edges_among``), and answers exactly what the same selection with every edge property
beside the ends answers; one that reads no edge at all has the store look for none."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import GraphQLClient
from tests.documents import SEED_TRAVERSAL_VARIABLES, TRAVERSAL_EDGE_ENDS as ENDS, TRAVERSAL_NO_EDGES
from tests.integration.test_traversal_ids import _as_in

SUPPLY_PROPS = "products sharePct leadTimeDays singleSource contractEnd qty"
REFERRAL_PROPS = "status at channel company"
EVERY_PROP = (ENDS.replace("edges { from to tier }", f"edges {{ from to tier {SUPPLY_PROPS} }}")
              .replace("edges { from to type }", f"edges {{ from to type {SUPPLY_PROPS} }}")
              .replace("edges { from to }", f"edges {{ from to {REFERRAL_PROPS} }}")
              .replace("edges { to ", f"edges {{ to ...Referral "))
EVERY_PROP += f"fragment Referral on ReferralEdge {{ {REFERRAL_PROPS} }}"
WHOLE_EDGE = "props: properties(r)"


def _props_read(value: Any) -> int:
    """Edge property values in an answer that are not null."""
    names = set(SUPPLY_PROPS.split()) | set(REFERRAL_PROPS.split())
    if isinstance(value, dict):
        return sum(v is not None for k, v in value.items() if k in names) + sum(_props_read(v) for v in value.values())
    if isinstance(value, list):
        return sum(_props_read(v) for v in value)
    return 0


async def test_edge_ends_alone_answer_what_ends_with_properties_answer(client: GraphQLClient) -> None:
    seed_variables = SEED_TRAVERSAL_VARIABLES
    lean = await client.execute(ENDS, seed_variables)
    assert lean.errors is None, lean.errors
    assert all(lean.data[k]["edges"] for k in ("down", "up", "tree", "chain"))
    lean_statements = list(client.statements)
    client.statements.clear()
    full = await client.execute(EVERY_PROP, seed_variables)
    assert full.errors is None, full.errors
    assert _as_in(full.data, lean.data) == lean.data
    assert _props_read(full.data) > 10  # the reference did read properties, through the fragment too
    assert _props_read(full.data["chain"]) > 0
    assert len(lean_statements) == 4 and not any(WHOLE_EDGE in s for s in lean_statements)
    assert all(WHOLE_EDGE in s for s in client.statements)


async def test_a_chain_nodes_single_source_still_reads_its_links(client: GraphQLClient) -> None:
    """``singleSource`` on a node is decided by its links' stored flags: selecting it asks
    for the links' properties even when no edge field reads them."""
    document = """query($company: ID!) { supplyChain(companyId: $company, direction: DOWNSTREAM, maxDepth: 4) {
      nodes { singleSource node { id } } edges { from to } } }"""
    with_flags = document.replace("edges { from to }", "edges { from to singleSource }")
    variables = {"company": SEED_TRAVERSAL_VARIABLES["company"]}
    answer = await client.execute(document, variables)
    assert answer.errors is None, answer.errors
    assert WHOLE_EDGE in client.statements[-1]
    reference = await client.execute(with_flags, variables)
    assert _as_in(reference.data, answer.data) == answer.data
    assert any(n["singleSource"] for n in answer.data["supplyChain"]["nodes"])


EDGE_BLOCK = "UNWIND ids AS aid"  # edges_among's block; a product chain's makers unwind ``pid``


async def test_no_edges_selected_no_links_looked_for(client: GraphQLClient) -> None:
    """Without an ``edges`` field the statements have no edge block, and every other field
    answers what it answers beside the edges (a product chain's ``singleSource`` comes
    from its makers, not its links)."""
    bare = await client.execute(TRAVERSAL_NO_EDGES, SEED_TRAVERSAL_VARIABLES)
    assert bare.errors is None, bare.errors
    assert len(client.statements) == 4 and not any(EDGE_BLOCK in s for s in client.statements)
    client.statements.clear()
    # The same document, each root field's selection ending in ``edges { from to }``.
    with_edges = re.sub(r" }\n(  \w+:|})", r" edges { from to } }\n\1", TRAVERSAL_NO_EDGES)
    assert with_edges.count("edges { from to }") == 4
    full = await client.execute(with_edges, SEED_TRAVERSAL_VARIABLES)
    assert full.errors is None, full.errors
    assert all(EDGE_BLOCK in s for s in client.statements)
    assert all(full.data[k]["edges"] for k in ("down", "up", "tree", "chain"))
    assert {k: {f: v for f, v in full.data[k].items() if f != "edges"} for k in full.data} == bare.data
    assert any(n["singleSource"] for n in bare.data["up"]["nodes"])
