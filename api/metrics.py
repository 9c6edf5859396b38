"""Prometheus metrics at ``/metrics``: requests, latency, store statements, rows, the store.

One process: the default registry. ``crmgraph serve`` (any number of workers) sets
``PROMETHEUS_MULTIPROC_DIR`` before this module is imported, so every worker, the serve
process itself (the embedded store's supervisor) and a ``crmgraph import`` run with the
same variable write their samples to files there, and whichever worker answers a scrape
adds them all up (prometheus-client's multiprocess mode). Who may scrape: see
``api.gate`` (admins, or the ``CRMGRAPH_METRICS_TOKEN`` bearer token).

Label values are bounded: statement names come from the model's allow-lists
(``graph.store.statement_name``); operation names are the client's, so they are cleaned
and at most ``MAX_OPERATIONS`` distinct ones are kept per process, the rest counted as
``other``.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import threading
from bisect import bisect_left
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import disable_created_metrics, multiprocess, values
from starlette.requests import Request
from starlette.responses import Response

from api.metrics_dir import MULTIPROC_ENV
from graph.store import StatementEvent, StoreUnavailableError

MAX_OPERATIONS = 100
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_CLEAN = re.compile(r"[^A-Za-z0-9_]")
disable_created_metrics()  # no *_created series: half the lines, nothing a dashboard reads
if os.environ.get(MULTIPROC_ENV):  # a command run beside a serve (crmgraph import) before any serve made it
    os.makedirs(os.environ[MULTIPROC_ENV], exist_ok=True)
_pid = os.getpid()


def _process_id() -> int:
    """prometheus-client asks for the pid at every update (to notice a fork): a system call
    each, seven per request. The pid is kept here instead, and refreshed after a fork."""
    return _pid


def _forked() -> None:
    global _pid
    _pid = os.getpid()
    _batch.added, _batch.observed, _batch.due = {}, {}, None  # the parent's samples are the parent's to write


os.register_at_fork(after_in_child=_forked)
if values.ValueClass is not values.MutexValue:  # multiprocess mode: the same files, a cheaper pid
    values.ValueClass = values.MultiProcessValue(process_identifier=_process_id)

REQUESTS = Counter("crmgraph_requests", "GraphQL requests by operation name, outcome (ok, partial, "
                   "error, refused) and first error code (none when there was none).",
                   ["operation", "outcome", "code"])
ERRORS = Counter("crmgraph_request_errors", "Error codes answered: each distinct code once per request.",
                 ["operation", "code"])
LATENCY = Histogram("crmgraph_request_duration_seconds", "Time to answer a GraphQL request, by operation.",
                    ["operation"], buckets=_LATENCY_BUCKETS)
IN_FLIGHT = Gauge("crmgraph_requests_in_flight", "GraphQL requests being answered now.",
                  multiprocess_mode="livesum")
REQUEST_STATEMENTS = Histogram("crmgraph_request_statements", "Store statements one GraphQL request sent.",
                               buckets=(0, 1, 2, 3, 5, 10, 20, 50))
STATEMENTS = Counter("crmgraph_store_statements", "Store statements by name, kind (read, write) and outcome "
                     "(ok, timeout, unavailable, read_only, error).", ["statement", "kind", "outcome"])
STATEMENT_LATENCY = Histogram("crmgraph_store_statement_duration_seconds",
                              "Time the store took for a statement, by name and kind.",
                              ["statement", "kind"], buckets=_LATENCY_BUCKETS)
ROWS = Counter("crmgraph_store_rows_returned", "Rows the store returned, by statement name.", ["statement"])
STORE_UP = Gauge("crmgraph_store_up", "1 if the store answered a trivial query within 1 s at the last scrape.",
                 multiprocess_mode="mostrecent")
EMBEDDED_RUNNING = Gauge("crmgraph_embedded_store_running", "1 while the embedded store process runs "
                         "(0 between its death and its restart by the supervisor).",
                         multiprocess_mode="mostrecent")
EMBEDDED_RESTARTS = Counter("crmgraph_embedded_store_restarts", "Times the supervisor restarted the embedded store.")
IMPORT_ROWS = Counter("crmgraph_import_rows", "Rows an import wrote or rejected, by pass.", ["phase", "result"])
IMPORTS_RUNNING = Gauge("crmgraph_imports_running", "Imports running now.", multiprocess_mode="livesum")

_operations: set[str] = set()


def operation_label(name: str | None) -> str:
    """A bounded label for a client-chosen operation name."""
    if not name:
        return "anonymous"
    label = _CLEAN.sub("_", name)[:64]
    if label in _operations:
        return label
    if len(_operations) >= MAX_OPERATIONS:
        return "other"
    _operations.add(label)
    return label


_children: dict[tuple[object, ...], Any] = {}


def child(metric: Any, *labels: str) -> Any:
    """``metric.labels(*labels)``, looked up once (label lookups cost more than the update)."""
    key = (metric, *labels)
    found = _children.get(key)
    if found is None:
        found = _children[key] = metric.labels(*labels)
    return found


class _Batch(threading.local):
    """This thread's samples not written yet: increments and observations by child."""

    def __init__(self) -> None:
        self.added: dict[Any, float] = {}
        self.observed: dict[Any, list[float]] = {}
        self.due: Any = None  # the loop a flush is scheduled on


_batch = _Batch()


def add(metric_child: Any, amount: float = 1.0) -> None:
    """``metric_child.inc(amount)`` (a counter's, or a gauge's with any sign), batched."""
    batch = _batch
    batch.added[metric_child] = batch.added.get(metric_child, 0.0) + amount
    _flush_soon(batch)


def observe(metric_child: Any, value: float) -> None:
    """``metric_child.observe(value)`` of a histogram, batched."""
    batch = _batch
    found = batch.observed.get(metric_child)
    if found is None:
        batch.observed[metric_child] = [value]
    else:
        found.append(value)
    _flush_soon(batch)


FLUSH_SECONDS = 0.05
"""How long request samples wait in a worker before they are written together."""


def _flush_soon(batch: _Batch) -> None:
    """Request samples are written together, at most ``FLUSH_SECONDS`` after the first of
    them: in the multiprocess mode of ``crmgraph serve`` each update is a lock and a write
    into the samples file, and a request makes about nine (its count, its latency, its
    statements'). Written every 50 ms rather than every turn of the event loop, a loaded
    worker answered 2-6 % more requests (scripts/bench_api.py). The in-flight gauge's
    increments add up to the exact count at each write. A scrape and the process's exit
    write first."""
    loop = asyncio._get_running_loop()
    if loop is None:  # no event loop in this thread: at once
        flush()
    elif batch.due is not loop:  # (a loop closed before its flush ran leaves its samples to the next)
        batch.due = loop
        loop.call_later(FLUSH_SECONDS, flush)


def flush() -> None:
    """Write this thread's batched samples."""
    batch = _batch
    batch.due = None
    added, batch.added = batch.added, {}
    observed, batch.observed = batch.observed, {}
    for metric_child, amount in added.items():
        if amount:
            metric_child.inc(amount)
    for metric_child, values in observed.items():
        _observe_all(metric_child, values)


def _observe_all(histogram: Any, values: list[float]) -> None:
    """What ``Histogram.observe`` does for each value (the sum, and the first bucket whose
    bound is not below it), with the same prometheus-client attributes it uses, as one
    update of the sum and one of each bucket hit."""
    bounds = histogram._upper_bounds
    hits: dict[int, int] = {}
    for value in values:
        i = bisect_left(bounds, value)
        hits[i] = hits.get(i, 0) + 1
    histogram._sum.inc(sum(values))
    for i, n in hits.items():
        histogram._buckets[i].inc(n)


atexit.register(flush)


def record_statement(event: StatementEvent) -> None:
    """A ``graph.store`` statement observer."""
    kind = "write" if event.write else "read"
    add(child(STATEMENTS, event.name, kind, event.outcome))
    observe(child(STATEMENT_LATENCY, event.name, kind), event.seconds)
    if event.rows:
        add(child(ROWS, event.name), event.rows)


class ImportProgress:
    """An import's progress reports (cumulative) as counters (deltas); ``running`` around it."""

    def __init__(self) -> None:
        self._written = 0
        self._rejected = 0

    def __call__(self, phase: str, written: int, rejected: int) -> None:
        if written > self._written:
            IMPORT_ROWS.labels(phase, "written").inc(written - self._written)
        if rejected > self._rejected:
            IMPORT_ROWS.labels(phase, "rejected").inc(rejected - self._rejected)
        self._written, self._rejected = max(written, self._written), max(rejected, self._rejected)

    def __enter__(self) -> ImportProgress:
        IMPORTS_RUNNING.inc()
        return self

    def __exit__(self, *_exc: object) -> None:
        IMPORTS_RUNNING.dec()


def store_running(running: bool, restarted: bool = False) -> None:
    """The embedded store's supervisor reports here."""
    EMBEDDED_RUNNING.set(1 if running else 0)
    if restarted:
        EMBEDDED_RESTARTS.inc()


def multiprocess_enabled() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def process_exiting() -> None:
    """A worker stops: drop its live gauges (in-flight requests, imports running)."""
    flush()
    if multiprocess_enabled():
        multiprocess.mark_process_dead(os.getpid())


def exposition() -> bytes:
    """Every sample of this process, or of every process of the serve, in the text format."""
    flush()
    if multiprocess_enabled():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


async def metrics_endpoint(request: Request) -> Response:
    """``GET /metrics``: the store is pinged first, so ``crmgraph_store_up`` is current."""
    try:
        await request.app.state.store.ping(deadline=1.0)
        STORE_UP.set(1)
    except (StoreUnavailableError, AttributeError):
        STORE_UP.set(0)
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST,
                    headers={"cache-control": "no-store"})
