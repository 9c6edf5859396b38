"""FalkorDB adapter, over the native protocol with the ``falkordb`` asyncio client."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from falkordb.asyncio import FalkorDB
from falkordb.asyncio.query_result import QueryResult
from redis.asyncio import BlockingConnectionPool, UnixDomainSocketConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from graph.cypher.compiler import Statement
from graph.cypher.dialect import FALKORDB
from graph.embedded import LONGEST_STATEMENT_MS
from graph.falkordb_answer import NeedsClient, records
from graph.falkordb_answer import rows as answer_rows
from graph.falkordb_params import header as fast_header
from graph.falkordb_wire import Wire, pack
from graph.loading import Loading, indexing, loading_from_info
from graph.model import ENTITY, INDEXES, REL_KINDS, RETIRED_INDEXES
from graph.store import (
    QueryTimeoutError,
    Record,
    Store,
    StoreReadOnlyError,
    StoreUnavailableError,
    client_wait,
)

log = logging.getLogger("crmgraph.store")

_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
_READ, _WRITE = b"GRAPH.RO_QUERY", b"GRAPH.QUERY"
_READY_LABELS = frozenset({ENTITY})
"""Labels whose index must be built before the service is ready: FalkorDB checks a unique
constraint against its index, so a half-built ``Entity.id`` would let a duplicate id in.
The other unique constraints guard the service's own bookkeeping, written only by MERGE
or with fresh uuids, one write at a time: they hold while their (small) indexes wait
behind the big ones in FalkorDB's build queue (by label, at 1M: 14 s more)."""


async def _unless(call: Awaitable[Any], phrase: str) -> None:
    """Await a schema change; another worker having made it meanwhile is fine."""
    try:
        await call
    except ResponseError as exc:
        if phrase not in str(exc).lower():
            raise


class FalkorDBStore(Store):
    dialect = FALKORDB
    writes_stall_reads = True  # a write waits for running reads holding the server's lock (Store.long_read)

    def __init__(self, socket_path: str, graph: str = "crm", max_connections: int = 32, *,
                 read_timeout: float = 10.0, write_timeout: float = 10.0,
                 min_free_bytes: int = 0) -> None:
        super().__init__()
        self._pool = BlockingConnectionPool(
            connection_class=UnixDomainSocketConnection,
            path=socket_path, max_connections=max_connections, timeout=30, decode_responses=True,
        )
        self._db = FalkorDB(connection_pool=self._pool)
        self._graph = self._db.select_graph(graph)
        client_header = self._graph._build_params_header
        self._graph._build_params_header = lambda params: fast_header(params, client_header)  # type: ignore[method-assign]
        self.graph_name = graph
        self._wire = Wire(socket_path, max_connections)  # statements; redis-py for the rest
        # The socket lives in the data folder: that is the disk writes must leave room on.
        self.space = DiskSpaceGuard(Path(socket_path).parent, min_free_bytes)
        self._unavailable = False  # logged once per outage, not once per request
        self.read_timeout = read_timeout
        self.write_timeout = write_timeout

    @property
    def read_timeout(self) -> float:  # type: ignore[override]
        return self._read_timeout

    @read_timeout.setter
    def read_timeout(self, seconds: float) -> None:
        self._read_timeout = seconds
        self._set_socket_timeout()

    @property
    def write_timeout(self) -> float:  # type: ignore[override]
        return self._write_timeout

    @write_timeout.setter
    def write_timeout(self, seconds: float) -> None:
        self._write_timeout = seconds
        self._set_socket_timeout()

    def _set_socket_timeout(self) -> None:
        # The client waits longer than the store's own limit, so a slow statement ends as
        # QUERY_TIMEOUT (stopped in the store), never as a socket timeout that abandons it.
        longest = max(getattr(self, "_read_timeout", 0.0), getattr(self, "_write_timeout", 0.0))
        self._pool.connection_kwargs["socket_timeout"] = self._wire.wait_seconds = client_wait(longest)

    def _command(self, query: str, params: dict[str, Any], write: bool) -> bytes:
        limit = self.write_timeout if write else self.read_timeout
        return pack(_WRITE if write else _READ, self.graph_name, self._graph._build_params_header(params) + query,
                    "--compact", "timeout", str(int(limit * 1000)))

    async def _run(self, query: str, params: dict[str, Any], *, write: bool) -> list[Record]:
        if write:
            self.space.check()
        return await self._send(self._command(query, params, write), write)

    async def _run_statement(self, statement: Statement) -> list[Record]:
        # The fast path sends the same statement for every request of a document: its
        # parameter header and command bytes are built once (~5 % of a point lookup).
        key = (self.graph_name, self.read_timeout)
        command = statement.memo.get(key)
        if command is None:
            command = statement.memo[key] = self._command(statement.text, statement.params, False)
        return await self._send(command, False)

    async def _send(self, command: bytes, write: bool) -> list[Record]:
        limit = self.write_timeout if write else self.read_timeout
        try:
            answer = await self._wire.execute(command)
            try:
                found = answer_rows(answer)
            except NeedsClient:  # nodes, edges, paths or an error: the client's decoder
                result = QueryResult(self._graph)
                await result.parse(answer)
                found = records(result.header, result.result_set)
        except _UNAVAILABLE as exc:
            self._went_away(exc)
            raise StoreUnavailableError(f"FalkorDB did not answer: {exc}") from exc
        except ResponseError as exc:
            self._came_back()
            text = str(exc)
            if "timed out" in text:
                raise QueryTimeoutError(limit) from exc
            if not write and "empty key" in text:
                return []  # the graph has never been written to: nothing to read
            if write and _refused_for_disk(text):
                raise StoreReadOnlyError("the store refuses writes: its disk is full") from exc
            raise
        self._came_back()
        return found

    def _went_away(self, exc: BaseException) -> None:
        if not self._unavailable:
            self._unavailable = True
            log.warning("the graph store does not answer (%s); answering STORE_UNAVAILABLE until it is back",
                        exc or type(exc).__name__)

    def _came_back(self) -> None:
        if self._unavailable:
            self._unavailable = False
            log.warning("the graph store answers again")

    async def ping(self, deadline: float = 1.0) -> None:
        """A trivial graph query, not a PING: it needs a free FalkorDB worker thread to answer."""
        try:
            await asyncio.wait_for(self._graph.ro_query("RETURN 1", timeout=max(1, int(deadline * 1000))),
                                   timeout=deadline)
        except ResponseError:
            pass  # it answered (an error such as a graph never written to): it is up
        except (*_UNAVAILABLE, TimeoutError) as exc:
            self._went_away(exc)
            raise StoreUnavailableError(f"FalkorDB did not answer within {deadline:g} s: "
                                        f"{exc or type(exc).__name__}") from exc
        self._came_back()

    async def loading(self, timeout: float = 1.0) -> Loading | None:
        """The server answers INFO while it loads (every other command: ``-LOADING``), at
        its pace: between two slices of loading, so a fresh connection may take a while.
        Once loaded, it is still loading while it builds the id index (started with
        ``DELAY_INDEXING``, ``graph.loading``)."""
        try:
            info = await asyncio.wait_for(self._db.connection.info("persistence"), timeout=timeout)
        except (*_UNAVAILABLE, TimeoutError, ResponseError):
            return None
        state = loading_from_info(info)
        if state is not None:
            return state
        try:
            building = await asyncio.wait_for(self.indexes_building(), timeout=timeout)
        except (StoreUnavailableError, TimeoutError):
            return None
        return indexing([status for label, status in building.items() if label in _READY_LABELS])

    async def indexes_building(self) -> dict[str, str]:
        """Label -> status of each node index not yet built (FalkorDB builds them in the
        background after a load with ``DELAY_INDEXING``, or after CREATE INDEX); until then
        statements that would read it scan instead: right, only slower."""
        try:
            rows = (await self._graph.ro_query("CALL db.indexes() YIELD label, status "
                                               "RETURN label, status", timeout=5000)).result_set
        except ResponseError:
            return {}  # a graph never written to has no indexes
        except _UNAVAILABLE as exc:
            raise StoreUnavailableError(f"FalkorDB did not answer: {exc}") from exc
        return {str(label): str(status) for label, status in rows if status != "OPERATIONAL"}

    async def _ensure_time_limits(self) -> None:
        """Writes obey a statement's ``timeout`` only while the store's TIMEOUT_MAX is set.

        FalkorDB 4.16 stops a read at its ``timeout`` argument always, but a write only
        when TIMEOUT_MAX is non-zero (tried: with TIMEOUT_MAX 0 a write given 500 ms ran
        its full 640 ms). ``graph.embedded`` starts the store with it; a store started
        another way gets it here (it can be set at run time).
        """
        connection = self._db.connection
        current = await connection.execute_command("GRAPH.CONFIG", "GET", "TIMEOUT_MAX")
        if int(current[1]) < LONGEST_STATEMENT_MS:  # 0 is "no limit", and writes then ignore theirs
            await connection.execute_command("GRAPH.CONFIG", "SET", "TIMEOUT_MAX", LONGEST_STATEMENT_MS)

    async def schema_present(self) -> set[tuple[str, str, bool]]:
        try:
            indexes = (await self._graph.list_indices()).result_set
            constraints = await self._graph.list_constraints()
        except ResponseError:
            return set()  # a graph never written to has no key, hence nothing
        except _UNAVAILABLE as exc:
            raise StoreUnavailableError(f"FalkorDB did not answer: {exc}") from exc
        present = {(row[0], field, False) for row in indexes for field in row[1]}
        present |= {(c["label"], c["properties"][0], True) for c in constraints
                    if str(c.get("type", "")).upper() == "UNIQUE" and len(c["properties"]) == 1
                    and str(c.get("status", "OPERATIONAL")).upper() == "OPERATIONAL"}
        return present

    async def server_version(self) -> str:
        try:
            connection = self._db.connection
            modules = await connection.execute_command("MODULE", "LIST")
            info = await connection.info("server")
        except _UNAVAILABLE as exc:
            raise StoreUnavailableError(f"FalkorDB did not answer: {exc}") from exc
        listed = [m if isinstance(m, dict) else dict(zip(m[::2], m[1::2], strict=False)) for m in modules]
        graph = next((m for m in listed if m.get("name") == "graph"), {})
        ver = int(graph.get("ver", 0))
        return f"FalkorDB {ver // 10000}.{ver // 100 % 100}.{ver % 100} (redis {info.get('redis_version', '?')})"

    @property
    def socket_path(self) -> str:
        return str(self._pool.connection_kwargs["path"])

    async def ensure_schema(self, wait: float = 30.0) -> None:
        """Create what is missing; wait up to ``wait`` s for constraints and indexes built
        over existing data (a bulk-loaded graph) to hold."""
        try:
            await self._ensure_schema(wait)
        except _UNAVAILABLE as exc:  # includes -LOADING (redis' BusyLoadingError)
            raise StoreUnavailableError(f"FalkorDB did not answer: {exc}") from exc

    async def _ensure_schema(self, wait: float) -> None:
        await self._ensure_time_limits()
        # A graph key exists only once something was written: create it with the first index.
        try:
            existing = (await self._graph.list_indices()).result_set
        except ResponseError:
            existing = []
        have = {(row[0], field) for row in existing for field in row[1]}
        retired = [spec for spec in RETIRED_INDEXES if (spec.label, spec.prop) in have]
        for spec in retired:
            await _unless(self._graph.drop_node_range_index(spec.label, spec.prop), "unable to drop")
        created = False
        for spec in INDEXES:
            if (spec.label, spec.prop) not in have:
                created = True
                await _unless(self._graph.create_node_range_index(spec.label, spec.prop), "already indexed")
        constraints = {(c["label"], tuple(c["properties"])) for c in await self._graph.list_constraints()}
        for spec in INDEXES:
            if spec.unique and (spec.label, (spec.prop,)) not in constraints:
                created = True
                await _unless(self._graph.create_node_unique_constraint(spec.label, spec.prop), "already exists")
        await self._register_types()
        await self._wait_constraints(wait)
        if created:
            await self._wait_indexes(wait)
            await self._compact_log(max(60.0, wait))
        elif retired:  # so that the next start does not build them from the snapshot first
            await self._shorten_log(share=0.0, least=0)
        else:
            await self._shorten_log()

    async def _register_types(self) -> None:
        """Make every relationship type known to the graph. FalkorDB plans a pattern over a
        type it does not know yet as matching nothing for the whole statement, so the write
        that creates the first ``REFERRED`` or ``PLACED`` could not see it to move the
        referral cohort counters (``graph.analytics.cohorts``); a type, once created, stays."""
        rows = await self.read("CALL db.relationshipTypes() YIELD relationshipType "
                               "RETURN collect(relationshipType) AS types")
        known = set(rows[0]["types"]) if rows else set()
        missing = [rel.type for rel in REL_KINDS.values() if rel.type not in known]
        if missing:
            pattern = ", ".join(f"(a)-[:{t}]->(b)" for t in missing)
            await self.write(f"CREATE (a), (b), {pattern} DELETE a, b")

    async def _shorten_log(self, share: float = 0.1, least: int = 1 << 20) -> None:
        """Start rewriting the log when its replayed tail is over ``share`` of its snapshot
        part, so the next restart loads a snapshot instead of replaying statements (the
        store's own trigger waits for a quarter). Not waited for: it runs in a child."""
        connection = self._db.connection
        info = await connection.info("persistence")
        base, current = int(info.get("aof_base_size", 0)), int(info.get("aof_current_size", 0))
        if info.get("aof_enabled") and current - base > max(share * base, least):
            try:
                await connection.bgrewriteaof()
            except ResponseError as exc:  # already running: fine
                if "already in progress" not in str(exc):
                    raise

    async def _compact_log(self, timeout: float = 60.0) -> None:
        """Rewrite the append-only file so the indexes live in its snapshot part.

        Replaying writes whose index was created in the replayed log itself does not use
        the index on FalkorDB 4.16: every MERGE scans the graph, and a restart after a
        crash took 22 s for 20k nodes. With the index in the base snapshot it took 0.4 s.
        """
        connection = self._db.connection
        try:
            await connection.bgrewriteaof()
        except ResponseError as exc:  # one is already running: wait for it instead
            if "already in progress" not in str(exc):
                raise
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            info = await connection.info("persistence")
            if not info.get("aof_rewrite_in_progress") and not info.get("aof_rewrite_scheduled"):
                return
            await asyncio.sleep(0.05)

    async def _wait_indexes(self, timeout: float) -> None:
        """Indexes created over existing nodes are built in the background: until they are
        OPERATIONAL the planner does not use them."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            rows = await self._graph.query("CALL db.indexes() YIELD label, status RETURN label, status")
            if all(row[1] == "OPERATIONAL" for row in rows.result_set):
                return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"indexes still being built after {timeout:g} s")

    async def _wait_constraints(self, timeout: float = 30.0) -> None:
        # Constraints are built in the background; writes must not start before they hold.
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            pending = [c for c in await self._graph.list_constraints() if c.get("status") != "OPERATIONAL"]
            if not pending:
                return
            failed = [c for c in pending if c.get("status") == "FAILED"]
            if failed:
                raise RuntimeError(f"unique constraint could not be created (duplicate ids?): {failed}")
            await asyncio.sleep(0.05)
        raise RuntimeError(f"unique constraints still pending after {timeout:g} s")

    async def clear(self) -> None:
        await self._graph.query("MATCH (n) DETACH DELETE n", timeout=LONGEST_STATEMENT_MS)

    @property
    def redis(self) -> Any:
        """The Redis connection under the graph: API keys and rate-limit counters live beside it."""
        return self._db.connection

    def command(self, query: str, params: dict[str, Any]) -> tuple[Any, ...]:
        """The GRAPH.QUERY command for ``query``, to queue in a Redis transaction (MULTI)
        with writes beside the graph, so both land or neither does."""
        text = f"{self._graph._build_params_header(params)}{query}"
        return ("GRAPH.QUERY", self.graph_name, text, "--compact")

    async def close(self) -> None:
        self._wire.close()
        await self._db.connection.aclose()
        await self._pool.aclose()  # the client was given it, so it leaves it open


def _refused_for_disk(text: str) -> bool:
    """Redis refuses writes with MISCONF after a failed persistence write."""
    return text.startswith("MISCONF") or "AOF" in text and "error" in text.lower()


class DiskSpaceGuard:
    """Refuse writes while the data folder's disk has less than ``min_free_bytes`` free.

    Redis with ``appendfsync always`` exits when it cannot append to its log ("Can't
    recover from AOF write error"), which would take reads down with it. Checking the
    free space before each write keeps the store up and read-only instead; the check is
    one ``statvfs`` call, cached for a fraction of a second.
    """

    def __init__(self, folder: Path, min_free_bytes: int, cache_seconds: float = 0.25) -> None:
        self.folder = folder
        self.min_free_bytes = min_free_bytes
        self._cache_seconds = cache_seconds
        self._checked_at = -1e9
        self._free = 0
        self._refusing = False

    def free_bytes(self) -> int:
        stat = os.statvfs(self.folder)
        return stat.f_bavail * stat.f_frsize

    def check(self) -> None:
        if self.min_free_bytes <= 0:
            return
        now = asyncio.get_running_loop().time()
        if now - self._checked_at > self._cache_seconds:
            try:
                self._free = self.free_bytes()
            except OSError:  # the folder is gone: the write will tell what happened
                return
            self._checked_at = now
        if self._free < self.min_free_bytes:
            if not self._refusing:
                self._refusing = True
                log.warning("the store's disk has %d kB free (below %d kB): refusing writes until space is freed",
                            self._free // 1024, self.min_free_bytes // 1024)
            raise StoreReadOnlyError(
                f"the store's disk is nearly full ({self._free // 1024} kB free); writes are refused "
                "until space is freed, reads still work")
        if self._refusing:
            self._refusing = False
            log.warning("the store's disk has %d kB free again: accepting writes", self._free // 1024)
