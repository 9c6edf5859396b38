"""A restart on a big graph: the log is one snapshot after a stop, the store answers once it
has read the graph and builds its indexes after, and nothing is ready (nor written) before
the index behind the unique ids is built. "Big" is lowered to 0 bytes here, so a small
graph takes the path a 1M-party graph takes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import redis
from redis.exceptions import ResponseError

from graph.connect import wait_until_loaded
from graph.embedded import EmbeddedFalkorDB, delay_indexing, log_sizes
from graph.falkordb_store import FalkorDBStore
from graph.loading import INDEXING, indexing
from graph.model import RETIRED_INDEXES

NODES = 60_000


def _store(server: EmbeddedFalkorDB) -> FalkorDBStore:
    return FalkorDBStore(str(server.socket_path), "crm", read_timeout=60, write_timeout=60)


def test_index_progress_counts_nodes() -> None:
    state = indexing(["[Indexing] 335687/5300000: UNDER CONSTRUCTION", "OPERATIONAL"])
    assert state is not None and state.phase == INDEXING and state.total_bytes == 5_300_000
    assert round(state.percent) == 6 and "335,687 of 5,300,000 nodes" in state.describe()
    assert state.as_json()["indexedNodes"] == 335687
    assert indexing(["OPERATIONAL", "OPERATIONAL"]) is None


async def test_a_stopped_big_graph_restarts_with_its_indexes_built_after(tmp_path: Path) -> None:
    server = EmbeddedFalkorDB(tmp_path, big_snapshot=0)
    server.start()
    store = _store(server)
    try:
        await store.ensure_schema()
        await store.write("UNWIND range(1, $n) AS i CREATE (:Person:Party:Entity {id: 'p' + toString(i), "
                          "name: 'P' + toString(i)})", {"n": NODES})
    finally:
        await store.close()
    assert log_sizes(tmp_path)[1] > 0  # the writes are a tail of the log until the stop
    server.stop()
    assert log_sizes(tmp_path)[1] == 0 and delay_indexing(tmp_path, big=0)  # one snapshot

    server = EmbeddedFalkorDB(tmp_path, big_snapshot=0)
    server.start()  # answers once the graph is read
    store = _store(server)
    try:
        client = redis.Redis(unix_socket_path=str(server.socket_path), decode_responses=True)
        assert client.execute_command("GRAPH.CONFIG", "GET", "DELAY_INDEXING")[1] in (1, "1", True)
        client.close()
        await asyncio.wait_for(wait_until_loaded(store), 120)  # includes the unique-id index
        assert "Entity" not in await store.indexes_building()
        await store.ensure_schema()
        with pytest.raises(ResponseError):  # the constraint holds on the restarted graph
            await store.write("CREATE (:Person:Party:Entity {id: 'p17'})")
        rows = await store.read("MATCH (n:Person:Entity {id: $id}) RETURN n.name AS name", {"id": "p4242"})
        assert rows == [{"name": "P4242"}]
        for _ in range(600):  # the other indexes follow in the background
            if not await store.indexes_building():
                break
            await asyncio.sleep(0.1)
        assert not await store.indexes_building()
    finally:
        await store.close()
        server.stop()


async def test_a_log_with_a_tail_loads_with_its_indexes_built_during_the_load(tmp_path: Path) -> None:
    server = EmbeddedFalkorDB(tmp_path)  # a small graph: never compacted at stop
    server.start()
    store = _store(server)
    try:
        await store.ensure_schema()
        await store.write("CREATE (:Person:Party:Entity {id: 'p1'})")
    finally:
        await store.close()
        server.stop()
    assert log_sizes(tmp_path)[1] > 0 and not delay_indexing(tmp_path, big=0)


async def test_the_kinds_own_id_indexes_of_an_older_version_are_dropped(tmp_path: Path) -> None:
    with EmbeddedFalkorDB(tmp_path) as server:
        store = _store(server)
        try:
            await store.ensure_schema()
            for spec in RETIRED_INDEXES[:2]:
                await store._graph.create_node_range_index(spec.label, spec.prop)
            assert {(s.label, "id", False) for s in RETIRED_INDEXES[:2]} <= await store.schema_present()
            await store.ensure_schema()
            present = await store.schema_present()
            assert not {(s.label, s.prop, False) for s in RETIRED_INDEXES} & present
            assert ("Entity", "id", True) in present
        finally:
            await store.close()
