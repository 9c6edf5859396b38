"""Shared fixtures: a real FalkorDB server (and Neo4j when NEO4J_URI is set), the seed
graph loaded into it, the GraphQL schema, and Neo4j's Cypher linter."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import strawberry

from graph.access import ANONYMOUS_ADMIN, Access
from graph.cypher.compiler import Compiler
from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from graph.store import Store
from schema import build_schema
from schema.context import Context
from seeds.loader import load
from seeds.stories import build
from tests.cypher_lint import CypherLinter

BACKENDS = ["falkordb"] + (["neo4j"] if os.environ.get("NEO4J_URI") else [])


@pytest.fixture(scope="session")
def falkordb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedFalkorDB]:
    server = EmbeddedFalkorDB(tmp_path_factory.mktemp("falkordb"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def _open(backend: str, server: EmbeddedFalkorDB, graph: str) -> Store:
    if backend == "neo4j":
        from graph.neo4j_store import Neo4jStore

        neo = Neo4jStore(os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"),
                         os.environ.get("NEO4J_PASSWORD", ""), os.environ.get("NEO4J_DATABASE", "neo4j"))
        await neo.start()
        store: Store = neo
    else:
        store = FalkorDBStore(str(server.socket_path), graph)
    await store.ensure_schema()
    return store


@pytest.fixture(scope="session", params=BACKENDS)
async def seeded_store(request: pytest.FixtureRequest, falkordb_server: EmbeddedFalkorDB) -> AsyncIterator[Store]:
    """The seed stories, loaded once per backend; tests on it only read."""
    store = await _open(request.param, falkordb_server, "seeded")
    await store.clear()
    await load(store, build())
    try:
        yield store
    finally:
        await store.close()


@asynccontextmanager
async def graph_pair(server: EmbeddedFalkorDB, names: tuple[str, str]) -> AsyncIterator[tuple[FalkorDBStore, FalkorDBStore]]:
    """Two empty FalkorDB graphs on the session's server (bulk paths against upserts),
    deleted afterwards."""
    stores = [FalkorDBStore(str(server.socket_path), name) for name in names]
    for store in stores:
        await store.ensure_schema()
        await store.clear()
    try:
        yield stores[0], stores[1]
    finally:
        for store in stores:
            await store.redis.execute_command("GRAPH.DELETE", store.graph_name)
            await store.close()


@pytest.fixture(params=BACKENDS)
async def empty_store(request: pytest.FixtureRequest, falkordb_server: EmbeddedFalkorDB) -> AsyncIterator[Store]:
    """A store of its own, emptied before each test, for tests that write."""
    store = await _open(request.param, falkordb_server, "scratch")
    await store.clear()
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture(scope="session")
def schema() -> strawberry.Schema:
    return build_schema()


@pytest.fixture(scope="session")
def cypher_linter() -> Iterator[CypherLinter]:
    linter = CypherLinter()
    try:
        yield linter
    finally:
        linter.close()


@dataclass
class GraphQLClient:
    """Runs documents against the real schema and store, counting statements sent."""

    schema: strawberry.Schema
    store: Store
    statements: list[str] = field(default_factory=list)

    async def execute(self, query: str, variables: dict[str, Any] | None = None,
                      max_page_size: int = 100, access: Access = ANONYMOUS_ADMIN) -> Any:
        from graph.cypher.compiler import Limits

        context = Context(self.store, Compiler(self.store.dialect, Limits(max_page_size=max_page_size)),
                          access=access)
        stop = self.store.add_listener(lambda q, _p: self.statements.append(q))
        try:
            return await self.schema.execute(query, variable_values=variables, context_value=context)
        finally:
            stop()

    async def data(self, query: str, variables: dict[str, Any] | None = None,
                   access: Access = ANONYMOUS_ADMIN) -> Any:
        result = await self.execute(query, variables, access=access)
        assert result.errors is None, result.errors
        return result.data


@pytest.fixture
def client(schema: strawberry.Schema, seeded_store: Store) -> GraphQLClient:
    return GraphQLClient(schema, seeded_store)
