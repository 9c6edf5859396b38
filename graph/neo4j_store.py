"""Neo4j adapter, with the official async driver: one driver per process."""

from __future__ import annotations

import asyncio
from typing import Any

from neo4j import AsyncGraphDatabase, Query, RoutingControl
from neo4j.exceptions import ClientError, ServiceUnavailable, SessionExpired

from graph.cypher.dialect import NEO4J
from graph.model import INDEXES
from graph.store import QueryTimeoutError, Record, Store, StoreUnavailableError

_CONSTRAINT = "CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{label}) REQUIRE n.{prop} IS UNIQUE"
_SCHEMA_TIMEOUT = 330.0  # awaitIndexes waits up to 300 s itself
_INDEX = "CREATE INDEX {name} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})"


# What `crmgraph doctor` asks (graph.store.Store.schema_present / server_version).
SHOW_INDEXES = ("SHOW INDEXES YIELD entityType, labelsOrTypes, properties, type, state "
                "WHERE entityType = 'NODE' AND state = 'ONLINE' AND size(properties) = 1 "
                "RETURN labelsOrTypes[0] AS label, properties[0] AS prop, type")
SHOW_CONSTRAINTS = ("SHOW CONSTRAINTS YIELD entityType, labelsOrTypes, properties, type "
                    "WHERE entityType = 'NODE' AND type IN ['UNIQUENESS', 'NODE_PROPERTY_UNIQUENESS'] "
                    "AND size(properties) = 1 RETURN labelsOrTypes[0] AS label, properties[0] AS prop")
COMPONENTS = "CALL dbms.components() YIELD name, versions, edition RETURN name, versions[0] AS version, edition"


def schema_statements() -> list[str]:
    """Idempotent DDL for the model's constraints and indexes (labels from the allow-list)."""
    out = []
    for spec in INDEXES:
        name = f"{spec.label.lower()}_{spec.prop.lower()}"
        template = _CONSTRAINT if spec.unique else _INDEX
        out.append(template.format(name=name + ("_unique" if spec.unique else ""),
                                   label=spec.label, prop=spec.prop))
    return out


class Neo4jStore(Store):
    dialect = NEO4J

    def __init__(self, uri: str, user: str, password: str, database: str) -> None:
        super().__init__()
        self._driver = AsyncGraphDatabase.driver(uri, auth=(user, password))
        self._database = database

    async def start(self) -> None:
        try:
            await self._driver.verify_connectivity()
        except (ServiceUnavailable, OSError) as exc:
            raise StoreUnavailableError(f"Neo4j did not answer: {exc}") from exc

    async def _run(self, query: str, params: dict[str, Any], *, write: bool) -> list[Record]:
        return await self._execute(query, params, write=write,
                                   timeout=self.write_timeout if write else self.read_timeout)

    async def _execute(self, query: str, params: dict[str, Any], *, write: bool, timeout: float) -> list[Record]:
        """One auto-committed transaction the server stops (and rolls back) after ``timeout`` s."""
        if not query.startswith("CYPHER "):
            query = f"CYPHER 5\n{query}"  # the dialect the compiler writes, whatever the db default
        try:
            result = await self._driver.execute_query(
                Query(query, timeout=timeout),  # type: ignore[arg-type]
                params, database_=self._database,
                routing_=RoutingControl.WRITE if write else RoutingControl.READ,
            )
        except (ServiceUnavailable, SessionExpired) as exc:
            raise StoreUnavailableError(f"Neo4j did not answer: {exc}") from exc
        except ClientError as exc:
            if "TransactionTimedOut" in (exc.code or ""):
                raise QueryTimeoutError(timeout) from exc
            raise
        return [record.data() for record in result.records]

    async def ping(self, deadline: float = 1.0) -> None:
        try:
            await asyncio.wait_for(self._execute("RETURN 1", {}, write=False, timeout=deadline), deadline)
        except (ServiceUnavailable, OSError, TimeoutError, QueryTimeoutError) as exc:
            raise StoreUnavailableError(f"Neo4j did not answer within {deadline:g} s: {exc}") from exc

    async def ensure_schema(self) -> None:
        for statement in schema_statements():
            await self._execute(statement, {}, write=True, timeout=_SCHEMA_TIMEOUT)
        await self._execute("CALL db.awaitIndexes(300)", {}, write=True, timeout=_SCHEMA_TIMEOUT)

    async def schema_present(self) -> set[tuple[str, str, bool]]:
        present: set[tuple[str, str, bool]] = set()
        for row in await self._execute(SHOW_INDEXES, {}, write=False, timeout=10):
            present.add((row["label"], row["prop"], False))
        for row in await self._execute(SHOW_CONSTRAINTS, {}, write=False, timeout=10):
            present.add((row["label"], row["prop"], True))
        return present

    async def server_version(self) -> str:
        rows = await self._execute(COMPONENTS, {}, write=False, timeout=10)
        row = rows[0] if rows else {"name": "Neo4j", "version": "?", "edition": "?"}
        return f"{row['name']} {row['version']} ({row['edition']})"

    async def clear(self) -> None:
        # CALL { } IN TRANSACTIONS needs an auto-commit transaction, hence session.run.
        async with self._driver.session(database=self._database) as session:
            result = await session.run(
                "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
            await result.consume()

    async def close(self) -> None:
        await self._driver.close()
