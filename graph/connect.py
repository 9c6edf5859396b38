"""Open the configured store: Neo4j when a URI is given, else the embedded FalkorDB."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from graph.embedded import EmbeddedFalkorDB
from graph.loading import INDEXING, Loading
from graph.store import Store

log = logging.getLogger("crmgraph.store")


class ProgressLog:
    """Log a loading store's progress: the first look, then at most every ``every`` s."""

    def __init__(self, every: float = 5.0) -> None:
        self.every = every
        self._last = float("-inf")
        self.seen = False

    def __call__(self, loading: Loading) -> None:
        self.seen = True
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            log.warning("the store is loading its data: %s; waiting for it", loading.describe())


async def wait_until_loaded(store: Store, interval: float = 0.2,
                            on_progress: Callable[[Loading], None] | None = None) -> None:
    """Return once the store is not loading its data (at once for Neo4j)."""
    while (state := await store.loading(timeout=5.0)) is not None:
        if on_progress is not None:
            on_progress(state)
        # each look at the indexes takes the graph's lock from the builder: look less often
        await asyncio.sleep(max(interval, 1.0) if state.phase == INDEXING else interval)


@asynccontextmanager
async def open_store(
    *,
    neo4j_uri: str | None = None,
    neo4j_user: str = "neo4j",
    neo4j_password: str = "",
    neo4j_database: str = "neo4j",
    falkordb_socket: str | None = None,
    data_dir: Path = Path("data"),
    graph_name: str = "crm",
    start_timeout: float = 20.0,
    read_timeout: float = 10.0,
    write_timeout: float = 10.0,
    min_free_bytes: int = 0,
    pool_size: int = 64,
    server_args: tuple[str, ...] = (),
    prepare: bool = True,
) -> AsyncIterator[Store]:
    """Yield a ready store with its constraints in place; close (and stop) it on exit.

    ``falkordb_socket`` reaches an embedded store another process started (the serve
    command starts one for all its workers); with neither that nor a URI, this process
    starts and owns the embedded store itself, and waits for it to load its data.
    With ``prepare=False`` the store is yielded at once, maybe still loading: the caller
    waits (``wait_until_loaded``) and calls ``ensure_schema`` itself.
    """
    embedded: EmbeddedFalkorDB | None = None
    store: Store
    if neo4j_uri:
        from graph.neo4j_store import Neo4jStore

        neo = Neo4jStore(neo4j_uri, neo4j_user, neo4j_password, neo4j_database)
        await neo.start()
        store = neo
    else:
        from graph.falkordb_store import FalkorDBStore

        if falkordb_socket is None:
            embedded = EmbeddedFalkorDB(data_dir, start_timeout, server_args)
            falkordb_socket = str(await asyncio.to_thread(embedded.start, on_progress=ProgressLog()))
        store = FalkorDBStore(falkordb_socket, graph_name, pool_size, min_free_bytes=min_free_bytes)
    store.read_timeout = read_timeout
    store.write_timeout = write_timeout
    try:
        if prepare:
            await wait_until_loaded(store)
            await store.ensure_schema()
        yield store
    finally:
        await store.close()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
