"""Every traversal and metric against the same answer computed independently in Python
(networkx over the nodes and relationships read back), on a synthetic graph with
supply cycles and referral loops."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import networkx as nx
import pytest
import strawberry

from graph.cypher.dialect import FALKORDB
from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from graph.store import Store
from graph.traversals.bounds import Bounds
from graph.traversals.indirect import indirect_customers
from graph.traversals.paths import shortest_path
from graph.traversals.referrals import referral_chain, referral_tree
from graph.traversals.supply_chain import supply_chain
from graph.analytics import reads
from graph.analytics.snapshots import refresh
from graph.analytics.state import SNAPSHOT_LABEL, SnapshotState
from graph.cypher.compiler import Compiler
from graph.cypher.plan import ComputedSelection, NodeSelection, Page, RootConnection
from seeds.synthetic import SyntheticSpec, generate_into
from tests.oracle import Snapshot

SPEC = SyntheticSpec(people=700, companies=90, products=180, orders=1800, cycles=12, seed=11,
                     currencies=("USD", "EUR", "JPY", "KWD"))
"""Orders in four currencies (two, zero and three decimals) with monthly rates: every money
figure must equal the decimal oracle's to the minor unit, with no tolerance."""
DEPTHS = (1, 2, 4, 6)


@pytest.fixture(scope="module")
async def synthetic(falkordb_server: EmbeddedFalkorDB) -> AsyncIterator[tuple[Store, Snapshot]]:
    store = FalkorDBStore(str(falkordb_server.socket_path), "oracle")
    await store.ensure_schema()
    await store.clear()
    await generate_into(store, SPEC)
    # Referral loops, as imported data may have them: a grandchild refers its grandparent.
    await store.write("""
        MATCH (a:Person)-[:REFERRED]->(:Person)-[:REFERRED]->(c:Person)
        WITH a, c LIMIT 5
        MERGE (c)-[:REFERRED {status: 'invited', at: 1700000000000}]->(a)""")
    snap = await Snapshot.read(store)
    try:
        yield store, snap
    finally:
        await store.close()


def sample(ids: list[str], n: int, seed: int = 5) -> list[str]:
    return random.Random(seed).sample(sorted(ids), min(n, len(ids)))


async def test_fixture_has_cycles(synthetic: tuple[Store, Snapshot]) -> None:
    _, snap = synthetic
    assert not nx.is_directed_acyclic_graph(nx.DiGraph(snap.graph("SUPPLIES")))
    assert not nx.is_directed_acyclic_graph(nx.DiGraph(snap.graph("REFERRED")))


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("direction", ["UPSTREAM", "DOWNSTREAM"])
async def test_company_chains_match_bfs(synthetic: tuple[Store, Snapshot], direction: str, depth: int) -> None:
    store, snap = synthetic
    companies = [i for i, labels in snap.labels.items() if "Company" in labels]
    in_cycles = [n for cycle in nx.simple_cycles(nx.DiGraph(snap.graph("SUPPLIES")), length_bound=6) for n in cycle]
    checked_single = 0
    for company in sample(companies, 8) + in_cycles[:4]:
        chain = await store.fetch(supply_chain(FALKORDB, company, "Company", direction, Bounds(depth, 1000), "t"))
        got = {n.node["props"]["id"]: n.tier for n in chain.nodes}
        assert len(got) == len(chain.nodes)  # each node once, cycles or not
        g = snap.graph("SUPPLIES")
        g = g.reverse(copy=False) if direction == "UPSTREAM" else g
        for n in chain.nodes:
            target = n.node["props"]["id"]
            assert n.paths == len(list(nx.all_simple_paths(g, company, target, cutoff=depth))), target
        assert got == snap.distances(company, ("SUPPLIES",), depth, reverse=direction == "UPSTREAM")
        members = set(got) | {company}
        expected_edges = {(a, b) for a, b in snap.rels["SUPPLIES"].edges() if a in members and b in members}
        assert {(e.start, e.end) for e in chain.edges} == expected_edges
        single_links = [(a, b) for a, b, d in snap.rels["SUPPLIES"].edges(data=True)
                        if d.get("singleSource") and a in members and b in members]
        single_ends = {end for link in single_links for end in link} - {company}
        assert {n.node["props"]["id"] for n in chain.nodes if n.single_source} == single_ends
        checked_single += len(single_ends)
    assert checked_single  # the comparison was not between two empty sets


@pytest.mark.parametrize("depth", DEPTHS)
async def test_product_chains_match_bfs(synthetic: tuple[Store, Snapshot], depth: int) -> None:
    store, snap = synthetic
    products = [i for i, labels in snap.labels.items() if "Product" in labels]
    for product in sample(products, 10):
        for direction in ("UPSTREAM", "DOWNSTREAM"):
            chain = await store.fetch(supply_chain(FALKORDB, product, "Product", direction, Bounds(depth, 1000), "t"))
            got = {n.node["props"]["id"]: n.tier for n in chain.nodes}
            assert got == snap.distances(product, ("COMPONENT_OF",), depth, reverse=direction == "UPSTREAM")
            for n in chain.nodes:
                makers = {m["props"]["id"] for m in n.makers}
                assert makers == set(snap.rels["MAKES"].predecessors(n.node["props"]["id"]))
                assert n.single_source == (len(makers) == 1)


async def test_fan_out_limit_truncates(synthetic: tuple[Store, Snapshot]) -> None:
    store, snap = synthetic
    root = max(snap.labels, key=lambda c: len(snap.distances(c, ("SUPPLIES",), 6)) if "Company" in snap.labels[c] else -1)
    full = snap.distances(root, ("SUPPLIES",), 6)
    assert len(full) > 5
    chain = await store.fetch(supply_chain(FALKORDB, root, "Company", "DOWNSTREAM", Bounds(6, 5), "t"))
    assert chain.truncated and len(chain.nodes) == 5
    assert [n.tier for n in chain.nodes] == sorted(full.values())[:5]


@pytest.mark.parametrize("depth", DEPTHS)
async def test_referral_trees_and_chains_match_bfs(synthetic: tuple[Store, Snapshot], depth: int) -> None:
    store, snap = synthetic
    referrers = [p for p in snap.rels["REFERRED"].nodes if snap.rels["REFERRED"].out_degree(p)]
    top = sorted(referrers, key=lambda p: -snap.rels["REFERRED"].out_degree(p))[:3]
    for root in top + sample(referrers, 6):
        tree = await store.fetch(referral_tree(FALKORDB, root, Bounds(depth, 1000), "t"))
        expected = snap.distances(root, ("REFERRED",), depth)
        assert expected
        assert {n.node["props"]["id"]: n.generation for n in tree.nodes} == expected
        gens = {g.generation: (g.invited, g.converted, g.revenue) for g in tree.generations}
        oracle = snap.generations(root, depth)
        assert gens.keys() == oracle.keys()
        for g, (invited, converted, revenue) in oracle.items():
            assert gens[g][:2] == (invited, converted)
            assert gens[g][2] == revenue
    referred = [p for p in snap.rels["REFERRED"].nodes if snap.rels["REFERRED"].in_degree(p)]
    for party in sample(referred, 10):
        chain = await store.fetch(referral_chain(FALKORDB, party, Bounds(depth, 1000), "t"))
        assert {n.node["props"]["id"]: n.generation for n in chain.referrers} == \
            snap.distances(party, ("REFERRED",), depth, reverse=True)


@pytest.mark.parametrize("types", [("REFERRED",), ("REFERRED", "WORKS_FOR"), ("PLACED", "SOLD_BY", "REFERRED")])
async def test_shortest_paths_match_networkx(synthetic: tuple[Store, Snapshot], types: tuple[str, ...]) -> None:
    store, snap = synthetic
    g = nx.Graph(snap.graph(*types))
    people = sorted(p for p in g.nodes if "Party" in snap.labels.get(p, set()))
    rng = random.Random(3)
    pairs = [tuple(rng.sample(people, 2)) for _ in range(8)]  # mostly unconnected within 4
    for a in rng.sample(people, 12):  # and some that are
        near = sorted(n for n, d in nx.single_source_shortest_path_length(g, a, cutoff=4).items()
                      if d >= 1 and n in people)
        if near:
            pairs.append((a, rng.choice(near)))
    found = 0
    for a, b in pairs:
        path = await store.fetch(shortest_path(FALKORDB, a, b, list(types), "BOTH", Bounds(4, 1), "t"))
        bare = await store.fetch(shortest_path(FALKORDB, a, b, list(types), "BOTH", Bounds(4, 1), "t", frozenset()))
        assert (bare is None) == (path is None)  # a selection of `length` alone: the same path, no lists
        if bare is not None and path is not None:
            assert (bare.length, bare.nodes, bare.relationships) == (path.length, [], [])
        try:
            expected = nx.shortest_path_length(g, a, b)
        except nx.NetworkXNoPath:
            expected = None
        if expected is None or expected > 4:
            assert path is None
        else:
            assert path is not None and path.length == expected
            found += 1
            ids = [n["props"]["id"] for n in path.nodes]
            assert ids[0] == a and ids[-1] == b
            for step, (x, y) in zip(path.relationships, zip(ids, ids[1:], strict=False), strict=True):
                assert {step.start, step.end} == {x, y} and step.type in types
    if types != ("REFERRED",):
        assert found >= 3


async def test_indirect_customers_match(synthetic: tuple[Store, Snapshot]) -> None:
    store, snap = synthetic
    suppliers = [c for c in snap.rels["SUPPLIES"].nodes if snap.rels["SUPPLIES"].out_degree(c)]
    nonempty = 0
    for company in sample(suppliers, 8):
        for depth in (2, 4):
            result = await store.fetch(indirect_customers(FALKORDB, company, Bounds(depth, 200), 100, None, 100, "t"))
            oracle = snap.indirect(company, depth)
            got = {g.intermediary["props"]["id"]: (g.revenue, {c.node["props"]["id"] for c in g.customers})
                   for g in result.groups}
            assert got.keys() == oracle.keys()
            for sid, (revenue, customers) in oracle.items():
                assert got[sid][0] == revenue
                assert got[sid][1] == customers
            assert result.total_customers == len(set().union(*(c for _, c in oracle.values())) if oracle else set())
            nonempty += bool(oracle)
    assert nonempty >= 4  # the comparison was not between two empty answers


@pytest.fixture(params=["fresh", "snapshot"])
async def analytics(request: pytest.FixtureRequest, synthetic: tuple[Store, Snapshot]) -> AsyncIterator[SnapshotState | None]:
    """No snapshots (every figure computed in the statement), or a refreshed snapshot that
    every read uses; removed afterwards."""
    store, _ = synthetic
    if request.param == "fresh":
        yield None
        return
    state = SnapshotState(3600.0)
    for kind, info in (await refresh(store)).items():
        state.note(kind, info)
    try:
        yield state
    finally:
        await store.write(f"MATCH (s:{SNAPSHOT_LABEL}) DELETE s")


async def test_lifetime_value_rfm_and_segments_match(synthetic: tuple[Store, Snapshot],
                                                     analytics: SnapshotState | None) -> None:
    store, snap = synthetic
    plan = RootConnection("Party", NodeSelection(("Person", "Company"), {"name"}, computed=[
        ComputedSelection("ltv", "lifetimeValue"), ComputedSelection("rfm", "rfm")]), page=Page(100))
    rfm = snap.rfm()
    checked = 0
    after = None
    while True:
        plan.page = Page(100, after)
        page = await store.fetch(Compiler(FALKORDB, analytics=analytics).connection(plan))
        for edge in page["edges"]:
            node = edge["node"]
            pid = node["props"]["id"]
            ltv = node["rels"]["ltv"]
            assert ltv.revenue == snap.revenue(pid)
            assert ltv.orders == len(snap.orders_of(pid))
            assert (ltv.margin is None) == (snap.margin(pid) is None)
            if ltv.margin is not None:
                assert ltv.margin == snap.margin(pid)
            got = node["rels"]["rfm"]
            if pid in rfm:
                assert (got.recency, got.frequency, got.monetary) == rfm[pid]
                assert got.snapshot.fresh == (analytics is None)
            else:
                assert got is None
            checked += 1
        if not page["hasNextPage"]:
            break
        after = page["edges"][-1]["cursor"]
    assert checked == sum(1 for labels in snap.labels.values() if "Party" in labels)
    found = await reads.segments(store, analytics)
    assert {s.snapshot.fresh for s in found} == {analytics is None}
    summary = {s.segment: (s.customers, s.revenue) for s in found}
    for name, (customers, revenue) in snap.segments().items():
        assert summary[name][0] == customers
        assert summary[name][1] == revenue


async def test_disruption_impact_matches(synthetic: tuple[Store, Snapshot]) -> None:
    from datetime import UTC, datetime

    from graph.cypher.values import epoch_ms
    from graph.traversals.disruption import disruption_impact
    from tests.oracle import disruption

    store, snap = synthetic
    start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    suppliers = [c for c in snap.rels["SUPPLIES"].nodes if snap.rels["SUPPLIES"].out_degree(c)]
    for company in sample(suppliers, 8):
        for depth in (1, 3):
            got = await store.fetch(disruption_impact(FALKORDB, company, start, end, Bounds(depth, 1000), "t"))
            want = disruption(snap, company, depth, epoch_ms(start), epoch_ms(end))
            assert {c.node["props"]["id"]: c.tier for c in got.companies} == want["companies"]
            assert {p.node["props"]["id"]: p.tier for p in got.products} == want["products"]
            assert got.revenue_at_risk == want["at_risk"]
            assert {o.node["props"]["id"] for o in got.open_orders} == want["open"]
            assert got.end_customer_count == len(want["customers"])
            for c in got.companies:  # an alternative is a supplier outside the failing chain
                outside = set(snap.rels["SUPPLIES"].predecessors(c.node["props"]["id"])) - set(want["companies"]) - {company}
                assert c.alternative_suppliers == len(outside)


async def test_money_through_the_api_is_exact_in_every_currency(synthetic: tuple[Store, Snapshot],
                                                                 schema: strawberry.Schema) -> None:
    """Orders keep their own currency and decimals; a company's customer revenue is the
    decimal oracle's base-currency sum; nothing mixes currencies."""
    from decimal import Decimal

    from tests.conftest import GraphQLClient

    store, snap = synthetic
    client = GraphQLClient(schema, store)
    currencies = {p.get("currency") for i, p in snap.props.items() if "Order" in snap.labels[i]}
    assert currencies == {"USD", "EUR", "JPY", "KWD"}
    orders = (await client.data('{ orders(first: 100, filter: {currency: {in: ["JPY", "KWD"]}}) '
                                '{ nodes { id total { amount currency } baseTotal { amount currency } } } }'))
    for o in orders["orders"]["nodes"]:
        places = {"JPY": 0, "KWD": 3}[o["total"]["currency"]]
        assert Decimal(o["total"]["amount"]).as_tuple().exponent == -places
        assert Decimal(o["total"]["amount"]) == snap.amount(snap.props[o["id"]]["total"], o["total"]["currency"])
        assert o["baseTotal"] == {"amount": str(snap.amount(snap.base_total(o["id"]), "USD")), "currency": "USD"}
    sold_by = snap.rels["SOLD_BY"]
    buyer = {o: c for c, o in snap.rels["PLACED"].edges()}
    for company in sample([i for i, labels in snap.labels.items() if "Company" in labels], 12, seed=3):
        data = await client.data('query($id: ID!) { company(id: $id) { customers(first: 100) '
                                 '{ edges { revenue { amount currency } node { id } } } } }', {"id": company})
        want: dict[str, int] = {}
        for o in (o for o, s in sold_by.edges() if s == company and o in buyer):
            want[buyer[o]] = want.get(buyer[o], 0) + snap.base_total(o)
        got = {e["node"]["id"]: e["revenue"] for e in data["company"]["customers"]["edges"]}
        assert got == {c: {"amount": str(snap.amount(v, "USD")), "currency": "USD"} for c, v in want.items()}
