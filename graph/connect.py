"""Open the configured store: Neo4j when a URI is given, else the embedded FalkorDB."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from graph.embedded import EmbeddedFalkorDB
from graph.store import Store


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
) -> AsyncIterator[Store]:
    """Yield a ready store with its constraints in place; close (and stop) it on exit.

    ``falkordb_socket`` reaches an embedded store another process started (the serve
    command starts one for all its workers); with neither that nor a URI, this process
    starts and owns the embedded store itself.
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
            embedded = EmbeddedFalkorDB(data_dir, start_timeout)
            falkordb_socket = str(await asyncio.to_thread(embedded.start))
        store = FalkorDBStore(falkordb_socket, graph_name, pool_size, min_free_bytes=min_free_bytes)
    store.read_timeout = read_timeout
    store.write_timeout = write_timeout
    try:
        await store.ensure_schema()
        yield store
    finally:
        await store.close()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
