"""A first load into an empty embedded store through ``GRAPH.BULK``, then its schema."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

import redis

from graph.bulk.load import Batch, BulkLoader, feed
from graph.falkordb_store import FalkorDBStore
from graph.store import Store

SCHEMA_WAIT = 1800.0
"""Seconds to wait for the constraints and indexes built over a bulk-loaded graph."""


class NotEmptyError(RuntimeError):
    """The graph already holds nodes: bulk loading is for a new graph only."""


def can_bulk_load(store: Store) -> bool:
    return isinstance(store, FalkorDBStore)


async def is_empty(store: Store) -> bool:
    return not await store.read("MATCH (n) RETURN 1 AS one LIMIT 1")


async def load_new_graph(store: FalkorDBStore, batches: Iterable[Batch],
                         progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Build the graph from ``batches`` with GRAPH.BULK, then create its constraints and
    indexes over the loaded data and wait until they hold. Refuses a graph with nodes."""
    return await build_new_graph(store, lambda client: feed(BulkLoader(client, store.graph_name), batches, progress))


async def build_new_graph(store: FalkorDBStore, load: Callable[[redis.Redis], dict[str, int]]) -> dict[str, int]:
    """``load(client)`` (run on a thread) sends the GRAPH.BULK commands on ``client``; then
    the constraints and indexes are built over the loaded data and waited for."""
    if not await is_empty(store):
        raise NotEmptyError(f"graph {store.graph_name!r} is not empty: bulk loading builds a new graph")
    # The empty graph's key holds only its (empty) indexes: GRAPH.BULK BEGIN needs no key.
    await store.redis.execute_command("GRAPH.DELETE", store.graph_name) if await store.redis.exists(
        store.graph_name) else None
    client = redis.Redis(unix_socket_path=store.socket_path, socket_timeout=None)
    # No automatic log rewrite while GRAPH.BULK runs or the indexes are built over what it
    # loaded: at 1M parties FalkorDB 4.16 hung for good when one started mid-load, and the
    # store crashed (an assertion in its fork preparation) when one started while the
    # schema was being built. The log is rewritten once at the end, when all is idle.
    rewrite = client.config_get("auto-aof-rewrite-percentage").get("auto-aof-rewrite-percentage", "25")
    client.config_set("auto-aof-rewrite-percentage", 0)
    limits = store.read_timeout, store.write_timeout
    try:
        await _no_rewrite_running(client)
        counts = await asyncio.to_thread(load, client)
        # Schema commands over millions of nodes can take a while to be answered.
        store.read_timeout = store.write_timeout = 600.0
        await store.ensure_schema(wait=SCHEMA_WAIT)
    finally:
        store.read_timeout, store.write_timeout = limits
        client.config_set("auto-aof-rewrite-percentage", rewrite)
        client.close()
    return counts


async def _no_rewrite_running(client: redis.Redis, timeout: float = 600.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        info = client.info("persistence")
        if not info.get("aof_rewrite_in_progress") and not info.get("aof_rewrite_scheduled"):
            return
        await asyncio.sleep(0.1)
