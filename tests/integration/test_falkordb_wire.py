"""Statements over the pipelined connections of ``graph.falkordb_wire``, against the real store."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import time
from pathlib import Path

import pytest
import uvloop
from falkordb.asyncio import FalkorDB
from redis.asyncio import BlockingConnectionPool, UnixDomainSocketConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from graph.falkordb_wire import _Connection, pack
from graph.store import QueryTimeoutError, StoreUnavailableError
from tests.e2e.test_serve_loading import _folder_that_loads_slowly

# Far over a minute of work for the store (400M candidate pairs, none kept): each test
# sets the limit at which the store stops it.
ROWS = "UNWIND range(1, $n) AS i RETURN i, 'x' + toString(i) AS s"
SLOW = "UNWIND range(1, 20000) AS a UNWIND range(1, 20000) AS b WITH a, b WHERE a * b = -1 RETURN count(*) AS c"


async def _store(server: EmbeddedFalkorDB, **settings: float) -> FalkorDBStore:
    """A store on the graph ``wire``, written to once (a graph never written to reads as empty)."""
    store = FalkorDBStore(str(server.socket_path), "wire", **settings)  # type: ignore[arg-type]
    await store.write("MERGE (:Entity {id: 'wire'})")
    return store


def test_pack_is_a_resp_array_of_bulk_strings() -> None:
    assert pack(b"GRAPH.RO_QUERY", "g", "RETURN 'é'") == b"*3\r\n$14\r\nGRAPH.RO_QUERY\r\n$1\r\ng\r\n$11\r\nRETURN '\xc3\xa9'\r\n"


async def test_each_caller_gets_its_own_answer_when_statements_share_connections(
        falkordb_server: EmbeddedFalkorDB) -> None:
    store = await _store(falkordb_server, max_connections=2)
    try:
        answers = await asyncio.gather(*(store.read("RETURN $i AS i, $s AS s", {"i": i, "s": f"v{i}"})
                                         for i in range(300)))
        assert answers == [[{"i": i, "s": f"v{i}"}] for i in range(300)]
        assert len(store._wire._connections) == 2  # 300 at once, pipelined on the two allowed
    finally:
        await store.close()


async def test_answers_longer_than_a_read_reach_the_right_callers(falkordb_server: EmbeddedFalkorDB) -> None:
    store = await _store(falkordb_server, max_connections=1)
    sizes = [200_000, 1, 3, 20_000, 2]
    try:
        answers = await asyncio.gather(*(store.read(ROWS, {"n": n}) for n in sizes))
        for n, answer in zip(sizes, answers, strict=True):
            assert len(answer) == n and answer[-1] == {"i": n, "s": f"x{n}"}
    finally:
        await store.close()


async def test_after_a_storm_of_cancellations_every_answer_is_the_callers_own(
        falkordb_server: EmbeddedFalkorDB) -> None:
    store = await _store(falkordb_server, max_connections=2)
    chance = random.Random(7)
    try:
        for _ in range(3):
            tasks = [asyncio.create_task(store.read(ROWS, {"n": 2000 + i}) if i % 17 == 0 else
                                         store.read("RETURN $i AS i, $s AS s", {"i": i, "s": f"v{i}"}))
                     for i in range(200)]
            for _ in range(60):
                await asyncio.sleep(chance.random() / 500)
                chance.choice(tasks).cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert any(isinstance(r, asyncio.CancelledError) for r in results)
            for i, result in enumerate(results):
                if not isinstance(result, asyncio.CancelledError):
                    assert result == ([{"i": k, "s": f"x{k}"} for k in range(1, 2001 + i)] if i % 17 == 0
                                      else [{"i": i, "s": f"v{i}"}])
            answers = await asyncio.gather(*(store.read("RETURN $i AS i", {"i": i}) for i in range(50)))
            assert answers == [[{"i": i}] for i in range(50)]
        assert all(not c.waiting for c in store._wire._connections)  # nothing left behind
    finally:
        await store.close()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
async def test_a_store_killed_under_pipelined_statements_fails_them_all_at_once_and_is_used_again(
        tmp_path: Path, sig: int) -> None:
    server = EmbeddedFalkorDB(tmp_path)
    server.start()
    assert server.process is not None
    store = FalkorDBStore(str(server.socket_path), "wire", max_connections=1, read_timeout=3)
    try:
        await store.write("MERGE (:Entity {id: 'wire'})")
        tasks = [asyncio.create_task(store.read(SLOW))] + [
            asyncio.create_task(store.read("RETURN $i AS i", {"i": i})) for i in range(20)]
        await asyncio.sleep(0.1)
        started = time.monotonic()
        os.kill(server.process.pid, sig)
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(r, StoreUnavailableError) for r in results)
        assert time.monotonic() - started < 1.0  # not the client wait (8 s)
        with pytest.raises(StoreUnavailableError):  # while it is down
            await store.read("RETURN 1 AS one")
        server.process.wait()
        server.restart()
        answers = await asyncio.gather(*(store.read("RETURN $i AS i", {"i": i}) for i in range(30)))
        assert answers == [[{"i": i}] for i in range(30)]
        assert await store.read("MATCH (n:Entity) RETURN n.id AS id") == [{"id": "wire"}]
        assert len(store._wire._connections) == 1
    finally:
        await store.close()
        server.stop()


async def test_a_burst_on_a_store_with_no_connection_yet_opens_at_most_the_cap(
        falkordb_server: EmbeddedFalkorDB) -> None:
    """As on a cold start, or after a store restart lost every connection: the burst waits
    for the connections being opened, it does not open one each."""
    store = FalkorDBStore(str(falkordb_server.socket_path), "wire", max_connections=2)
    try:
        answers = await asyncio.gather(*(store.read("RETURN $i AS i", {"i": i}) for i in range(50)))
        assert answers == [[{"i": i}] for i in range(50)]
        assert len(store._wire._connections) == 2
    finally:
        await store.close()


async def test_a_cancelled_caller_leaves_the_connection_in_step(falkordb_server: EmbeddedFalkorDB) -> None:
    store = await _store(falkordb_server, max_connections=1, read_timeout=1.5)
    try:
        slow = asyncio.create_task(store.read(SLOW))
        await asyncio.sleep(0.05)
        slow.cancel()  # its answer still comes, first, on the one connection
        with pytest.raises(asyncio.CancelledError):
            await slow
        assert await store.read("RETURN $i AS i", {"i": 7}) == [{"i": 7}]
        assert await store.read("RETURN $i AS i", {"i": 8}) == [{"i": 8}]
    finally:
        await store.close()


async def test_the_client_stops_waiting_after_its_wait_and_the_next_statement_is_answered(
        falkordb_server: EmbeddedFalkorDB) -> None:
    store = await _store(falkordb_server, max_connections=1, read_timeout=1.5)
    try:
        store._wire.wait_seconds = 0.2  # shorter than the statement, as if the store hung
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError, match="did not answer within 0.2 s"):
            await store.read(SLOW)
        assert time.monotonic() - started < 1.0
        store._wire.wait_seconds = 30
        assert await store.read("RETURN $i AS i", {"i": 9}) == [{"i": 9}]
    finally:
        await store.close()


async def test_a_statement_past_its_wait_ends_its_connection_and_those_queued_behind_it(tmp_path: Path) -> None:
    """A hung store (SIGSTOP): the statements queued behind one past its wait could only
    be answered after it, so they fail with it; and none of them is left in the
    connection for the store to run when it resumes, after their callers were told it
    is unavailable (as with redis-py, at most the one it had begun reading)."""
    server = EmbeddedFalkorDB(tmp_path)
    server.start()
    assert server.process is not None
    store = FalkorDBStore(str(server.socket_path), "wire", max_connections=1)
    add = "MATCH (n:Entity {id: 'count'}) SET n.n = n.n + 1"
    try:
        await store.write("CREATE (:Entity {id: 'count', n: 0})")
        store._wire.wait_seconds = 0.5
        os.kill(server.process.pid, signal.SIGSTOP)
        first = [asyncio.create_task(store.write(add)) for _ in range(20)]
        await asyncio.sleep(0.3)
        queued = [asyncio.create_task(store.write(add)) for _ in range(20)]
        started = time.monotonic()
        results = await asyncio.gather(*first, *queued, return_exceptions=True)
        assert all(isinstance(r, StoreUnavailableError) for r in results)
        assert time.monotonic() - started < 0.4  # with the first, not a wait of their own
        os.kill(server.process.pid, signal.SIGCONT)
        await asyncio.sleep(0.3)
        store._wire.wait_seconds = 5
        assert await store.read("MATCH (n:Entity {id: 'count'}) RETURN n.n AS n") in ([{"n": 0}], [{"n": 1}])
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
        await store.close()
        server.stop()


async def test_the_store_limit_still_ends_a_slow_statement(falkordb_server: EmbeddedFalkorDB) -> None:
    store = await _store(falkordb_server, read_timeout=0.3)
    try:
        with pytest.raises(QueryTimeoutError):
            await store.read(SLOW)
        assert await store.read("RETURN 1 AS one") == [{"one": 1}]
    finally:
        await store.close()


async def test_errors_come_back_as_the_clients_errors(falkordb_server: EmbeddedFalkorDB) -> None:
    store = await _store(falkordb_server)
    try:
        with pytest.raises(ResponseError, match="not defined"):  # refused before it runs
            await store.read("RETURN RETURN")
        with pytest.raises(ResponseError):  # raised while running, inside the answer
            await store.read("MATCH (n:Entity {id: 'wire'}) RETURN toInteger(n) AS x")
        assert await store.read("MATCH (n:Entity {id: 'wire'}) RETURN n.id AS id") == [{"id": "wire"}]
    finally:
        await store.close()


async def test_errors_are_those_the_falkordb_client_raises_and_a_failed_write_is_not_applied(
        falkordb_server: EmbeddedFalkorDB) -> None:
    """Each statement through the store and through the ``falkordb`` client (the path the
    store took before): the same error class and text."""
    store = FalkorDBStore(str(falkordb_server.socket_path), "wire-errors")
    pool = BlockingConnectionPool(connection_class=UnixDomainSocketConnection, path=str(falkordb_server.socket_path),
                                  max_connections=1, timeout=5, decode_responses=True)
    client = FalkorDB(connection_pool=pool).select_graph("wire-errors")
    cases = [(False, "RETURN RETURN"),  # refused before it runs
             (False, "RETURN 1 AS"),
             (False, "MATCH (n:Entity {id: 'dup'}) RETURN toInteger(n) AS x"),  # while running
             (False, "CREATE (:Entity {id: 'read-only'})"),
             (True, "CREATE (:Entity {id: 'dup'})"),  # unique constraint
             (True, "UNWIND [1, 2] AS i CREATE (:Entity {id: 'twice'})"),
             (True, "CREATE (:Entity {id: 'then'}) WITH 1 AS one MATCH (n:Entity {id: 'dup'}) RETURN toInteger(n) AS x")]
    try:
        await store.ensure_schema()
        await store.clear()
        await store.write("CREATE (:Entity {id: 'dup'})")
        for write, statement in cases:
            with pytest.raises(ResponseError) as ours:
                await (store.write(statement) if write else store.read(statement))
            with pytest.raises(ResponseError) as theirs:
                await (client.query(statement) if write else client.ro_query(statement))
            assert (type(ours.value), str(ours.value)) == (type(theirs.value), str(theirs.value)), statement
        assert await store.read("MATCH (n:Entity) RETURN n.id AS id") == [{"id": "dup"}]
    finally:
        await store.redis.execute_command("GRAPH.DELETE", "wire-errors")
        await store.close()
        await pool.aclose()


async def test_reads_of_a_graph_never_written_are_empty(falkordb_server: EmbeddedFalkorDB) -> None:
    store = FalkorDBStore(str(falkordb_server.socket_path), "wire-never-written")
    try:
        assert await store.read("MATCH (n) RETURN n.id AS id") == []
    finally:
        await store.close()


async def test_a_closed_store_is_unavailable(falkordb_server: EmbeddedFalkorDB) -> None:
    store = await _store(falkordb_server)
    assert await store.read("RETURN 1 AS one") == [{"one": 1}]
    await store.close()
    with pytest.raises(StoreUnavailableError):
        await store.read("RETURN 1 AS one")


def _clients(server: EmbeddedFalkorDB) -> int:
    """Connections the store has open, as it counts them (this one's own left out)."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(server.socket_path))
        sock.sendall(b"INFO clients\r\n")
        info = b""
        while b"connected_clients:" not in info or not info.endswith(b"\r\n"):
            info += sock.recv(4096)
    return int(info.split(b"connected_clients:")[1].split(b"\r\n")[0]) - 1


async def test_close_with_statements_in_flight_ends_them_and_every_connection(
        falkordb_server: EmbeddedFalkorDB) -> None:
    before = _clients(falkordb_server)
    store = await _store(falkordb_server, max_connections=2, read_timeout=2)
    await store.redis.ping()  # a redis-py connection too
    tasks = [asyncio.create_task(store.read(SLOW))] + [
        asyncio.create_task(store.read("RETURN $i AS i", {"i": i})) for i in range(30)]
    await asyncio.sleep(0.05)
    assert _clients(falkordb_server) > before
    await store.close()
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 1)
    assert isinstance(results[0], StoreUnavailableError)
    assert all(isinstance(r, StoreUnavailableError) or r == [{"i": i}] for i, r in enumerate(results[1:]))
    for _ in range(20):  # the store notices a closed connection on its next turn
        if _clients(falkordb_server) == before:
            break
        await asyncio.sleep(0.05)
    assert _clients(falkordb_server) == before


async def test_an_answer_out_of_step_fails_the_connection_not_a_caller() -> None:
    """Garbage, or an answer nobody asked for, ends the connection: every caller waiting on
    it gets a connection error (STORE_UNAVAILABLE), none gets another's answer."""
    loop = asyncio.get_running_loop()
    for data in (b"?not resp\r\n", b"+OK\r\n+OK\r\n"):
        connection = _Connection()
        waiting = loop.create_future()
        connection.waiting.append(waiting)
        connection.data_received(data)
        assert connection.lost
        if data.startswith(b"+OK"):  # the first answer was taken by the one waiting
            assert waiting.result() == "OK"
        else:
            with pytest.raises(RedisConnectionError, match="invalid answer"):
                waiting.result()


async def test_a_store_still_loading_is_unavailable_not_an_internal_error(tmp_path: Path) -> None:
    """``-LOADING`` is redis' BusyLoadingError, a connection error (not a ResponseError),
    which the redis-py path raised and the store reported as unavailable."""
    _folder_that_loads_slowly(tmp_path, keys=8)  # 1.6 s of loading, answering between keys
    server = EmbeddedFalkorDB(tmp_path, extra_args=("--key-load-delay", "200000",
                                                    "--loading-process-events-interval-bytes", "1024"))
    server.start(wait_loaded=False)
    store = FalkorDBStore(str(server.socket_path), "wire")
    try:
        with pytest.raises(StoreUnavailableError, match="loading"):
            await store.read("RETURN 1 AS one")
    finally:
        await store.close()
        server.stop()


def test_a_store_refusing_connections_is_unavailable_under_uvloop(tmp_path: Path) -> None:
    """``serve`` runs on uvloop, which reads a refusal (``-ERR max number of clients``)
    before it notices the close: the refusal came back as an answer, a TypeError."""
    server = EmbeddedFalkorDB(tmp_path, extra_args=("--maxclients", "3"))
    server.start()
    store = FalkorDBStore(str(server.socket_path), "wire")
    hogs: list[socket.socket] = []

    async def check() -> None:
        for _ in range(3):
            with pytest.raises(StoreUnavailableError):
                await store.read("RETURN 1 AS one")
        await store.close()

    try:
        while True:  # take every client slot the store has left
            hog = socket.socket(socket.AF_UNIX)
            hogs.append(hog)
            hog.connect(str(server.socket_path))
            try:
                hog.sendall(b"PING\r\n")
                if not hog.recv(64).startswith(b"+PONG"):
                    break
            except OSError:  # refused and closed before the PING
                break
        uvloop.run(check())
    finally:
        for hog in hogs:
            hog.close()
        server.stop()


async def test_a_compiled_statement_is_packed_once_per_read_limit(
        falkordb_server: EmbeddedFalkorDB, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path sends one Statement for every request of a document: its parameter
    header and command bytes are built once, and again only when the read limit moves."""
    from graph.cypher.compiler import Statement

    store = FalkorDBStore(str(falkordb_server.socket_path), "packed")
    built: list[str] = []
    command = store._command
    monkeypatch.setattr(store, "_command", lambda q, p, w: built.append(q) or command(q, p, w))
    statement = Statement("RETURN $x AS x, $s AS s", {"x": 7, "s": "a \"quoted\" text"}, lambda rows: rows)
    try:
        await store.write("CREATE (:T)")  # a graph that exists: reads of a missing one answer nothing
        built.clear()
        for _ in range(3):
            assert await store.fetch(statement) == [{"x": 7, "s": 'a "quoted" text'}]
        assert len(built) == 1
        store.read_timeout = store.read_timeout / 2
        assert await store.fetch(statement) == [{"x": 7, "s": 'a "quoted" text'}]
        assert len(built) == 2 and len(statement.memo) == 2
        other = Statement("RETURN $x AS x", {"x": 8}, lambda rows: rows)  # params are the statement's own
        assert await store.fetch(other) == [{"x": 8}] and len(built) == 3
    finally:
        await store.close()
