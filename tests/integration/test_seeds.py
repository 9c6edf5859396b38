"""Seed stories and the synthetic generator, written into a real store."""

from __future__ import annotations

from graph.store import Store
from seeds.loader import load
from seeds.stories import build
from seeds.synthetic import Generator, SyntheticSpec, generate_into

FINGERPRINT = """
MATCH (n:Entity)
OPTIONAL MATCH (n)-[r]->(m)
WITH n, count(r) AS degree, collect(type(r) + '>' + m.id) AS out
RETURN count(n) AS nodes, sum(degree) AS relationships, collect(n.id + '|' + toString(degree)) AS shape
"""


async def fingerprint(store: Store) -> tuple[int, int, list[str]]:
    row = (await store.read(FINGERPRINT))[0]
    return row["nodes"], row["relationships"], sorted(row["shape"])


async def test_seed_loading_is_idempotent(empty_store: Store) -> None:
    counts = await load(empty_store, build())
    first = await fingerprint(empty_store)
    assert first[:2] == (counts["nodes"], counts["relationships"])
    await load(empty_store, build())
    assert await fingerprint(empty_store) == first


async def test_synthetic_graph_is_deterministic(empty_store: Store) -> None:
    spec = SyntheticSpec(people=400, companies=60, products=120, orders=600, seed=7, batch=97)
    counts = await generate_into(empty_store, spec)
    first = await fingerprint(empty_store)
    assert first[:2] == (counts["nodes"], counts["relationships"])
    await empty_store.clear()
    await generate_into(empty_store, spec)
    assert await fingerprint(empty_store) == first
    await generate_into(empty_store, spec)  # a rerun changes nothing
    assert await fingerprint(empty_store) == first


def test_other_seed_other_graph() -> None:
    rows = lambda seed: [r for _, _, batch in Generator(SyntheticSpec(people=200, companies=30, products=50,  # noqa: E731
                                                                      orders=100, seed=seed)).batches() for r in batch]
    assert rows(1) == rows(1)
    assert rows(1) != rows(2)


def test_same_graph_whatever_the_process_count() -> None:
    """Parts are seeded by (seed, stream, shard): made here or by two worker processes,
    in whatever order they finish, the GRAPH.BULK bytes and the rows are the same."""
    spec = SyntheticSpec(people=900, companies=90, products=150, orders=2000, seed=9, shard=128,
                         currencies=("USD", "EUR"))

    def encoded(workers: int) -> list[tuple[str, bytes, int, bytes, int]]:
        return [(t.kind, t.head, t.count, t.body, t.first) for part in Generator(spec).bulk_parts(workers)
                for t in part]

    here = encoded(0)
    assert len({t[1] for t in here}) > 5 and len(here) > 20  # many parts of many kinds
    assert encoded(2) == here
    assert list(Generator(spec).batches()) == list(Generator(spec).batches())
    batched = [r for _, _, rows in Generator(SyntheticSpec(**{**spec.__dict__, "batch": 7})).batches() for r in rows]
    assert batched == [r for _, _, rows in Generator(spec).batches() for r in rows]  # the batch size is not the graph


async def test_synthetic_shape(empty_store: Store) -> None:
    spec = SyntheticSpec(people=3000, companies=200, products=400, orders=2000, seed=3)
    await generate_into(empty_store, spec)
    degrees = [r["d"] for r in await empty_store.read(
        "MATCH (p:Person)-[r:REFERRED]->() RETURN p.id AS id, count(r) AS d")]
    referred = (await empty_store.read("MATCH ()-[r:REFERRED]->() RETURN count(r) AS c"))[0]["c"]
    assert referred == int(2999 * spec.referral_share)
    # Power law: a few referrers account for far more than the mean.
    assert max(degrees) >= 10 * (sum(degrees) / len(degrees))
    # Supply tiers with cycles closed by back-edges.
    cycles = (await empty_store.read(
        "MATCH (c:Company)-[:SUPPLIES*2..6]->(c) RETURN count(DISTINCT c) AS c"))[0]["c"]
    assert cycles > 0
    tiers = {r["i"] for r in await empty_store.read("MATCH (c:Company) RETURN DISTINCT c.industry AS i")}
    assert len(tiers) == 5
    boms = (await empty_store.read("MATCH (:Product)-[r:COMPONENT_OF]->(:Product) RETURN count(r) AS c"))[0]["c"]
    assert boms > 0
    dangling = (await empty_store.read("MATCH (o:Order) WHERE NOT (o)-[:SOLD_BY]->() RETURN count(o) AS c"))[0]["c"]
    assert dangling == 0
