"""GRAPH.BULK builds the same graph as the upserts, and the schema holds over it afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest
from redis.exceptions import ResponseError

from graph.analytics import cohorts
from graph.bulk.load import BulkLoader, BulkLoadError
from graph.bulk.new_graph import NotEmptyError, load_new_graph
from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from graph.model import INDEXES
from seeds.names import PEOPLE, pick
from seeds.synthetic import Generator, SyntheticSpec, generate_into
from tests.conftest import graph_pair

SPEC = SyntheticSpec(people=300, companies=40, products=60, orders=900, batch=128, seed=7)


@pytest.fixture
async def two_graphs(falkordb_server: EmbeddedFalkorDB) -> AsyncIterator[tuple[FalkorDBStore, FalkorDBStore]]:
    async with graph_pair(falkordb_server, ("bulk_a", "upsert_b")) as pair:
        yield pair


async def _dump(store: FalkorDBStore) -> tuple[list[Any], list[Any]]:
    # the graph's nodes; the referral cohort counters built after the load are compared apart
    nodes = await store.read("MATCH (n) WHERE NOT n:CohortCount AND NOT n:CohortCountsBuilt "
                             "RETURN labels(n) AS labels, properties(n) AS props")
    rels = await store.read("MATCH (a)-[r]->(b) RETURN type(r) AS type, a.id AS a, b.id AS b, properties(r) AS props")

    def plain(row: dict[str, Any]) -> dict[str, Any]:  # property order is the store's business
        return {**row, "props": dict(row["props"]), **({"labels": sorted(row["labels"])} if "labels" in row else {})}

    def key(row: dict[str, Any]) -> str:
        return repr(sorted((k, repr(sorted(v.items()) if isinstance(v, dict) else v)) for k, v in row.items()))

    return sorted(map(plain, nodes), key=key), sorted(map(plain, rels), key=key)


async def test_bulk_load_builds_the_graph_the_upserts_build(two_graphs: tuple[FalkorDBStore, FalkorDBStore]) -> None:
    bulk, upsert = two_graphs
    seen: list[int] = []
    counts = await generate_into(bulk, SPEC, lambda done, total: seen.append(done), bulk=None)
    assert counts == await generate_into(upsert, SPEC, bulk=False)
    assert seen and seen == sorted(seen)
    bulk_nodes, bulk_rels = await _dump(bulk)
    upsert_nodes, upsert_rels = await _dump(upsert)
    assert len(bulk_nodes) == counts["nodes"] and len(bulk_rels) == counts["relationships"]
    # Every label, property and value (ints stay ints, floats floats, lists lists) and
    # every relationship between the same ids with the same properties.
    assert bulk_nodes == upsert_nodes
    assert bulk_rels == upsert_rels
    # Both loads end with the referral cohort counters counted, alike.
    counters = "MATCH (c:CohortCount) RETURN properties(c) AS c ORDER BY c.month"
    assert [dict(r["c"]) for r in await bulk.read(counters)] == [dict(r["c"]) for r in await upsert.read(counters)]
    assert await cohorts.is_built(bulk) and await cohorts.is_built(upsert)
    assert any(isinstance(r["props"].get("products"), list) for r in bulk_rels)


async def test_constraints_and_indexes_hold_after_a_bulk_load(two_graphs: tuple[FalkorDBStore, FalkorDBStore]) -> None:
    bulk, _ = two_graphs
    await generate_into(bulk, SPEC, bulk=True)
    indexes = await bulk.read("CALL db.indexes() YIELD label, properties, status RETURN label, properties, status")
    have = {(row["label"], prop) for row in indexes for prop in row["properties"]}
    assert {(spec.label, spec.prop) for spec in INDEXES} <= have
    assert all(row["status"] == "OPERATIONAL" for row in indexes)
    # The unique id constraint refuses a second node with a loaded id, of any kind.
    with pytest.raises(ResponseError, match="(?i)unique"):
        await bulk.write("CREATE (:Company:Party:Entity {id: 'syn:person:3', name: 'dup'})")
    # Lookups by id walk the one id index (kinds have none of their own: graph.model.INDEXES).
    plan = await bulk.redis.execute_command("GRAPH.EXPLAIN", bulk.graph_name,
                                            "MATCH (n:Person:Entity {id: 'syn:person:3'}) RETURN n.name")
    assert any("Index Scan" in line for line in plan), plan
    assert (await bulk.read("MATCH (n:Entity {id: 'syn:person:3'}) RETURN n.name AS name")) == [{"name": PEOPLE[int(pick(np.array([3]), len(PEOPLE))[0])]}]


async def test_bulk_load_refuses_a_graph_with_nodes(two_graphs: tuple[FalkorDBStore, FalkorDBStore]) -> None:
    bulk, _ = two_graphs
    await bulk.write("CREATE (:Person:Party:Entity {id: 'person:one', name: 'One'})")
    with pytest.raises(NotEmptyError):
        await load_new_graph(bulk, Generator(SPEC).batches())
    assert (await bulk.read("MATCH (n) RETURN count(n) AS n")) == [{"n": 1}]
    # Asked to choose, the generator upserts into it instead.
    counts = await generate_into(bulk, SPEC, bulk=None)
    assert (await bulk.read("MATCH (n:Entity) RETURN count(n) AS n")) == [{"n": counts["nodes"] + 1}]


@pytest.mark.parametrize(("batch", "reason"), [
    (("node", "Person", [{"id": "p:1", "props": {"shoeSize": 44}}]), "unknown properties"),
    (("node", "Person", [{"id": "p:1", "props": {}}, {"id": "p:1", "props": {}}]), "given twice"),
    (("node", "Person", [{"id": "p:1", "props": {"name": "a\x00b"}}]), "NUL"),
    (("node", "Person", [{"id": "p:1", "props": {"age": 2**70}}]), "64 bits"),
    (("node", "Person", [{"id": "p:1", "props": {"age": float("nan")}}]), "not finite"),
    (("node", "Person", [{"id": "p:1", "props": {"name": {"a": 1}}}]), "type dict"),
    (("rel", "PLACED", [{"start": "p:1", "end": "o:9", "props": {}}]), "no node"),
    (("rel", "REFERRED", [{"start": "p:1", "end": "p:1", "props": {}}] * 2), "given twice"),
])
def test_rows_the_bulk_format_cannot_take_stop_the_load(batch: tuple[str, str, list[dict[str, Any]]],
                                                        reason: str) -> None:
    loader = BulkLoader(None, "never-sent")  # type: ignore[arg-type] - nothing reaches a store
    with pytest.raises(BulkLoadError, match=reason):
        kind, name, rows = batch
        if kind == "rel":
            loader.nodes("Person", [{"id": "p:1", "props": {}}])
        (loader.nodes if kind == "node" else loader.relationships)(name, rows)
    loader.abandon()
