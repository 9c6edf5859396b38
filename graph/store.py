"""The store port: what the rest of the service needs from a graph database."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graph.audit import Write, with_audit
from graph.audit import current as current_audit
from graph.cypher.compiler import Statement
from graph.cypher.dialect import Dialect
from graph.loading import Loading

Record = dict[str, Any]
StatementListener = Callable[[str, Mapping[str, Any]], None]


@dataclass(frozen=True, slots=True)
class StatementEvent:
    """One statement the store ran (or failed to run), for metrics and traces.

    ``name`` says what kind of statement it was, never its parameters; ``outcome`` is
    ``ok``, ``timeout``, ``unavailable``, ``read_only`` or ``error``.
    """

    name: str
    write: bool
    dialect: str
    started_ns: int  # wall clock (time.time_ns) when it was sent
    seconds: float
    rows: int
    outcome: str


StatementObserver = Callable[[StatementEvent], None]
_OBSERVERS: list[StatementObserver] = []
_REGISTRATIONS: dict[StatementObserver, int] = {}
_LABEL = re.compile(r"\(\w*:(\w+)")
_CALL = re.compile(r"\bCALL\s+([a-zA-Z_][\w.]*)\s*\(")
_VERB = re.compile(r"\b(MERGE|CREATE|SET|DELETE|REMOVE)\b")


def observe_statements(observer: StatementObserver) -> Callable[[], None]:
    """Be told of every statement any store of this process runs; returns the remover.

    The one place statements are measured (metrics, traces, per-request counts): an
    observer must be cheap and must not raise. Registering one observer twice (two apps
    in one process) tells it once; it stays until every registration is removed.
    """
    _REGISTRATIONS[observer] = _REGISTRATIONS.get(observer, 0) + 1
    if observer not in _OBSERVERS:
        _OBSERVERS.append(observer)
    removed = False

    def remove() -> None:
        nonlocal removed
        if removed:
            return
        removed = True
        _REGISTRATIONS[observer] -= 1
        if _REGISTRATIONS[observer] == 0:
            del _REGISTRATIONS[observer]
            _OBSERVERS.remove(observer)

    return remove


@lru_cache(maxsize=1024)  # a worker sends a few hundred statement texts, over and over
def statement_name(query: str, write: bool) -> str:
    """A short, bounded name for a statement: ``read Person``, ``write MERGE Order``,
    ``read db.indexes``. Built from its first label (labels come from the model's
    allow-list) or procedure, never from values, which only travel as parameters."""
    call = _CALL.search(query)
    label = _LABEL.search(query)
    what = label.group(1) if label else (call.group(1) if call else "other")
    if not write:
        return f"read {what}"
    verb = _VERB.search(query)
    return f"write {verb.group(1) if verb else 'MATCH'} {what}"


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


LONG_READ_SECONDS = 0.01
"""A read of this process running this long when a write comes is waited for (most reads
take a millisecond or two; see ``Store.write``)."""
WRITE_HOLD_SECONDS = 5.0
"""The longest a write waits for reads running long: past it, it goes (reads that keep
coming must not starve writes)."""


def _as_rows(rows: list[Record]) -> list[Record]:
    return rows


class Store(ABC):
    """A graph database reached through Cypher in one dialect."""

    dialect: Dialect
    read_timeout: float = 10.0  # seconds a read may run before the database stops it
    write_timeout: float = 10.0  # seconds a write may run before the database stops it (and undoes it)
    writes_stall_reads: bool = False  # see long_read

    def __init__(self) -> None:
        self._listeners: list[StatementListener] = []
        self._long_reads = 0
        self._long_read_tasks: set[asyncio.Task[Any]] = set()  # inside long_read: a write of theirs waits for itself
        self._no_long_read = asyncio.Event()
        self._no_long_read.set()
        self._reading: dict[int, float] = {}  # this process's reads in flight: when each was sent
        self._read_ids = itertools.count()

    @asynccontextmanager
    async def long_read(self) -> AsyncIterator[None]:
        """Hold this process's writes back while the reads inside run (a whole-base scan).

        FalkorDB runs a write only once every running read has finished, and waits for
        them holding the server's global lock, so no other statement starts or answers
        meanwhile: a write sent during a 1.5 s scan stalled every request for the rest of
        it (``scripts/probe_write_stalls.py``). A write held back here waits alone, and the
        store answers reads meanwhile. Stores whose writes do not wait for reads
        (``writes_stall_reads`` False: Neo4j) hold nothing back.

        Reads not declared long are watched too: a write waits while a read of this
        process has been running past ``LONG_READ_SECONDS`` (at most ``WRITE_HOLD_SECONDS``).
        A read that starts just before a write and turns out long still stalls the store;
        and other processes' reads and writes are not seen."""
        if not self.writes_stall_reads:
            yield
            return
        task = asyncio.current_task()
        outermost = task is not None and task not in self._long_read_tasks
        if outermost:
            self._long_read_tasks.add(task)  # type: ignore[arg-type]
        self._long_reads += 1
        self._no_long_read.clear()
        try:
            yield
        finally:
            if outermost:
                self._long_read_tasks.discard(task)  # type: ignore[arg-type]
            self._long_reads -= 1
            if not self._long_reads:
                self._no_long_read.set()

    @property
    def writes_held(self) -> bool:
        """Whether a write sent now would wait for a long read of this process."""
        return not self._no_long_read.is_set() or self._running_long(time.perf_counter())

    def _running_long(self, now: float) -> bool:
        return any(now - sent > LONG_READ_SECONDS for sent in self._reading.values())

    async def _writes_may_go(self) -> None:
        """Wait while this process has a read running long (see ``long_read``): a declared
        one to its end; any other read running past ``LONG_READ_SECONDS`` (a client's
        heavy query), for at most ``WRITE_HOLD_SECONDS`` in all."""
        if not self._no_long_read.is_set():
            await self._no_long_read.wait()
        deadline = time.perf_counter() + WRITE_HOLD_SECONDS
        while True:
            now = time.perf_counter()
            if now >= deadline or not self._running_long(now):
                return
            await asyncio.sleep(LONG_READ_SECONDS / 2)

    def add_listener(self, listener: StatementListener) -> Callable[[], None]:
        """Be told of every statement sent; returns a function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self, query: str, params: Mapping[str, Any]) -> None:
        for listener in list(self._listeners):
            listener(query, params)

    async def read(self, query: str, params: Mapping[str, Any] | None = None) -> list[Record]:
        """Run a read; its rows as they come (``fetch`` with no decoding)."""
        rows: list[Record] = await self.fetch(Statement(query, dict(params or {}), _as_rows))
        return rows

    async def write(self, query: str, params: Mapping[str, Any] | None = None) -> list[Record]:
        """Run a write. A ``Write`` that moves referral cohorts moves their counters, and
        inside ``graph.audit.auditing`` records who made it, in the same statement."""
        values = dict(params or {})
        name = statement_name(query, True)  # of the write itself, not of what is wrapped around it
        if isinstance(query, Write) and query.moves is not None:
            from graph.analytics import cohorts

            if cohorts.active():
                values = cohorts.wrap_params(query.moves, values)
                query = Write(cohorts.wrap(query, query.moves, self.dialect), query.ok)
        audit = current_audit()
        if audit is not None and isinstance(query, Write):
            query, values = with_audit(query, audit, values, self.dialect.call_open)
        if self._reading or not self._no_long_read.is_set():
            if asyncio.current_task() in self._long_read_tasks:
                raise RuntimeError("a write inside Store.long_read would wait for its own read to end")
            await self._writes_may_go()
        self._notify(query, values)
        return await self._measured(query, values, write=True, name=name)

    async def _measured(self, query: str, params: dict[str, Any], *, write: bool,
                        name: str | None = None, statement: Statement | None = None) -> list[Record]:
        """``_run`` (``_run_statement`` for a compiled read), timed and reported to the
        statement observers (if any)."""
        run = (self._run(query, params, write=write) if statement is None
               else self._run_statement(statement))
        if not _OBSERVERS:
            return await run
        started_ns = time.time_ns()
        began = time.perf_counter()
        outcome, rows = "error", 0
        try:
            result = await run
            outcome, rows = "ok", len(result)
            return result
        except QueryTimeoutError:
            outcome = "timeout"
            raise
        except StoreUnavailableError:
            outcome = "unavailable"
            raise
        except StoreReadOnlyError:
            outcome = "read_only"
            raise
        finally:
            event = StatementEvent(name or statement_name(query, write), write, self.dialect.name, started_ns,
                                   time.perf_counter() - began, rows, outcome)
            for observer in list(_OBSERVERS):
                observer(event)

    async def fetch(self, statement: Statement) -> Any:
        """Run a compiled read statement and decode its result."""
        self._notify(statement.text, statement.params)
        if not self.writes_stall_reads:
            return statement.decode(await self._measured(statement.text, statement.params, write=False,
                                                         statement=statement))
        read_id = next(self._read_ids)  # in flight meanwhile, for _writes_may_go
        self._reading[read_id] = time.perf_counter()
        try:
            rows = await self._measured(statement.text, statement.params, write=False, statement=statement)
        finally:
            del self._reading[read_id]
        return statement.decode(rows)

    @abstractmethod
    async def _run(self, query: str, params: dict[str, Any], *, write: bool) -> list[Record]: ...

    async def _run_statement(self, statement: Statement) -> list[Record]:
        """A compiled read; an adapter may keep what it derives from it in ``statement.memo``."""
        return await self._run(statement.text, dict(statement.params), write=False)

    @abstractmethod
    async def ping(self, deadline: float = 1.0) -> None:
        """Raise StoreUnavailableError unless the database answers a trivial query within ``deadline`` s."""

    async def loading(self, timeout: float = 1.0) -> Loading | None:
        """How far the store has got loading its data after a start, or ``None`` when it
        is not loading (or cannot say within ``timeout`` s: Neo4j, a store that does not answer)."""
        return None

    async def indexes_building(self) -> dict[str, str]:
        """Label -> status of each index still being built (statements scan instead of
        reading it meanwhile: right, only slower); empty when all are built."""
        return {}

    @abstractmethod
    async def ensure_schema(self) -> None:
        """Create the unique constraints and indexes of ``graph.model``; idempotent."""

    async def schema_present(self) -> set[tuple[str, str, bool]]:
        """``(label, property, unique)`` of every single-property node index and unique
        constraint the database has (``crmgraph doctor`` compares them with the model)."""
        raise NotImplementedError

    async def server_version(self) -> str:
        """The database's product and version, as it reports them."""
        raise NotImplementedError

    @abstractmethod
    async def clear(self) -> None:
        """Delete every node and relationship (tests and ``seed --reset``)."""

    @abstractmethod
    async def close(self) -> None: ...
