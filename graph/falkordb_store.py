"""FalkorDB adapter, over the native protocol with the ``falkordb`` asyncio client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from falkordb.asyncio import FalkorDB
from redis.asyncio import BlockingConnectionPool, UnixDomainSocketConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from graph.cypher.dialect import FALKORDB
from graph.falkordb_params import header as fast_header
from graph.model import INDEXES
from graph.store import QueryTimeoutError, Record, Store, StoreUnavailableError


async def _unless(call: Awaitable[Any], phrase: str) -> None:
    """Await a schema change; another worker having made it meanwhile is fine."""
    try:
        await call
    except ResponseError as exc:
        if phrase not in str(exc).lower():
            raise


class FalkorDBStore(Store):
    dialect = FALKORDB

    def __init__(self, socket_path: str, graph: str = "crm", max_connections: int = 32) -> None:
        super().__init__()
        pool = BlockingConnectionPool(
            connection_class=UnixDomainSocketConnection,
            path=socket_path, max_connections=max_connections, timeout=30, decode_responses=True,
        )
        self._db = FalkorDB(connection_pool=pool)
        self._graph = self._db.select_graph(graph)
        client_header = self._graph._build_params_header
        self._graph._build_params_header = lambda params: fast_header(params, client_header)  # type: ignore[method-assign]
        self.graph_name = graph

    async def _run(self, query: str, params: dict[str, Any], *, write: bool) -> list[Record]:
        try:
            if write:
                result = await self._graph.query(query, params)
            else:
                result = await self._graph.ro_query(query, params, timeout=int(self.read_timeout * 1000))
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StoreUnavailableError(f"FalkorDB did not answer: {exc}") from exc
        except ResponseError as exc:
            if "timed out" in str(exc):
                raise QueryTimeoutError(self.read_timeout) from exc
            if not write and "empty key" in str(exc):
                return []  # the graph has never been written to: nothing to read
            raise
        columns = [h[1] if isinstance(h, list | tuple) else h for h in result.header]
        return [dict(zip(columns, row, strict=True)) for row in result.result_set]

    async def ping(self) -> None:
        try:
            await asyncio.wait_for(self._db.connection.ping(), timeout=2)
        except (RedisConnectionError, RedisTimeoutError, OSError, TimeoutError) as exc:
            raise StoreUnavailableError(f"FalkorDB did not answer: {exc}") from exc

    async def ensure_schema(self) -> None:
        # A graph key exists only once something was written: create it with the first index.
        try:
            existing = (await self._graph.list_indices()).result_set
        except ResponseError:
            existing = []
        have = {(row[0], field) for row in existing for field in row[1]}
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
        await self._wait_constraints()
        if created:
            await self._compact_log()

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
        raise RuntimeError("unique constraints still pending after 30s")

    async def clear(self) -> None:
        await self._graph.query("MATCH (n) DETACH DELETE n")

    @property
    def redis(self) -> Any:
        """The Redis connection under the graph: API keys and rate-limit counters live beside it."""
        return self._db.connection

    async def close(self) -> None:
        await self._db.connection.aclose()
