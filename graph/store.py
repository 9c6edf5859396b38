"""The store port: what the rest of the service needs from a graph database."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any

from graph.audit import Write, with_audit
from graph.audit import current as current_audit
from graph.cypher.compiler import Statement
from graph.cypher.dialect import Dialect
from graph.loading import Loading

Record = dict[str, Any]
StatementListener = Callable[[str, Mapping[str, Any]], None]


class StoreUnavailableError(RuntimeError):
    """The database did not answer."""


class StoreReadOnlyError(RuntimeError):
    """Writes are refused for now (the store's disk is nearly full); reads still work."""


class QueryTimeoutError(RuntimeError):
    """A statement ran past its time limit and was stopped by the database."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the query ran past the {seconds:g} s limit and was stopped")
        self.seconds = seconds


def client_wait(limit: float) -> float:
    """How long a client waits for a statement the store limits to ``limit`` seconds.

    The store starts a statement's clock when a worker thread picks it up, not when it
    arrives, so a statement may first wait in the store's queue: the client allows one
    more ``limit`` for that, plus two seconds, and only then calls the store unavailable.
    """
    return 2 * limit + 2.0


class Store(ABC):
    """A graph database reached through Cypher in one dialect."""

    dialect: Dialect
    read_timeout: float = 10.0  # seconds a read may run before the database stops it
    write_timeout: float = 10.0  # seconds a write may run before the database stops it (and undoes it)

    def __init__(self) -> None:
        self._listeners: list[StatementListener] = []

    def add_listener(self, listener: StatementListener) -> Callable[[], None]:
        """Be told of every statement sent; returns a function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self, query: str, params: Mapping[str, Any]) -> None:
        for listener in list(self._listeners):
            listener(query, params)

    async def read(self, query: str, params: Mapping[str, Any] | None = None) -> list[Record]:
        self._notify(query, params or {})
        return await self._run(query, dict(params or {}), write=False)

    async def write(self, query: str, params: Mapping[str, Any] | None = None) -> list[Record]:
        """Run a write. Inside ``graph.audit.auditing``, a ``Write`` records who made it,
        in the same statement."""
        values = dict(params or {})
        audit = current_audit()
        if audit is not None and isinstance(query, Write):
            query, values = with_audit(query, audit, values, self.dialect.call_open)
        self._notify(query, values)
        return await self._run(query, values, write=True)

    async def fetch(self, statement: Statement) -> Any:
        """Run a compiled read statement and decode its result."""
        return statement.decode(await self.read(statement.text, statement.params))

    @abstractmethod
    async def _run(self, query: str, params: dict[str, Any], *, write: bool) -> list[Record]: ...

    @abstractmethod
    async def ping(self, deadline: float = 1.0) -> None:
        """Raise StoreUnavailableError unless the database answers a trivial query within ``deadline`` s."""

    async def loading(self, timeout: float = 1.0) -> Loading | None:
        """How far the store has got loading its data after a start, or ``None`` when it
        is not loading (or cannot say within ``timeout`` s: Neo4j, a store that does not answer)."""
        return None

    @abstractmethod
    async def ensure_schema(self) -> None:
        """Create the unique constraints and indexes of ``graph.model``; idempotent."""

    @abstractmethod
    async def clear(self) -> None:
        """Delete every node and relationship (tests and ``seed --reset``)."""

    @abstractmethod
    async def close(self) -> None: ...
