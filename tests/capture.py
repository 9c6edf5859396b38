"""Compile without running: a store that records each statement and answers nothing.

Used only to obtain the exact Neo4j-dialect text a GraphQL document compiles to, so
Neo4j's own parser can check it; behaviour is proven against real stores elsewhere.
"""

from __future__ import annotations

from typing import Any

from graph.cypher.dialect import Dialect
from graph.store import Record, Store


class CapturingStore(Store):
    def __init__(self, dialect: Dialect) -> None:
        super().__init__()
        self.dialect = dialect
        self.captured: list[tuple[str, dict[str, Any]]] = []

    async def _run(self, query: str, params: dict[str, Any], *, write: bool) -> list[Record]:
        self.captured.append((query, params))
        return []

    async def ping(self) -> None:
        return None

    async def ensure_schema(self) -> None:
        return None

    async def clear(self) -> None:
        return None

    async def close(self) -> None:
        return None
