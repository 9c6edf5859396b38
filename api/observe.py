"""What one HTTP request did, gathered while it runs, then counted, traced and logged once.

``RequestObserver`` (the outermost of our ASGI middleware; in the app it also gives the
request its id: ``api.logs.request_id_of``) opens a
``RequestRecord`` in a context variable; the GraphQL view notes the operation and its
error codes (``note_graphql``), the gate notes its refusals (``note_codes``), and the
store port's observer counts statements and rows (``count_statement``). When the answer
is sent, the record becomes:

- the ``/metrics`` samples of a GraphQL request (``api.metrics``);
- the request's span, when tracing is on (``api.tracing``);
- one log line, only when it is worth one: always with ``CRMGRAPH_LOG_REQUESTS``, else
  when the request took at least ``CRMGRAPH_LOG_SLOW_SECONDS`` or was answered 5xx or
  ``INTERNAL``. Refusals (4xx, typed error codes) are the client's answer, not an
  incident: no line. In prod that line is JSON (``api.logs``) with the request id,
  operation, caller (key id or token subject, never a secret), duration, statement count,
  rows and error codes.
"""

from __future__ import annotations

import logging
import re
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from api import metrics, tracing
from api.logs import REQUEST_ID_HEADER, request_id, request_id_of
from graph.store import StatementEvent

log = logging.getLogger("crmgraph.requests")
GRAPHQL_PATH = "/graphql"
_COMMENT = re.compile(r"#[^\n\r]*")
_NAMED = re.compile(r"\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")


@dataclass
class RequestRecord:
    method: str
    path: str
    started: float = field(default_factory=time.perf_counter)
    operation: str | None = None
    executed: bool = False  # the GraphQL view produced a result
    has_data: bool = False
    codes: list[str] = field(default_factory=list)
    statements: int = 0
    rows: int = 0
    status: int = 0

    def note_codes(self, codes: list[str]) -> None:
        for code in codes:
            if code not in self.codes:
                self.codes.append(code)

    @property
    def outcome(self) -> str:
        if not self.executed:
            return "ok" if self.status < 400 else "refused"
        if not self.codes:
            return "ok"
        return "partial" if self.has_data else "error"


CURRENT: ContextVar[RequestRecord | None] = ContextVar("crmgraph_request_record", default=None)


def operation_name(given: str | None, document: str | None) -> str | None:
    """The operation's name: the one the client gave, else the document's first named one."""
    if given:
        return given
    if not document:
        return None
    return _first_named(document[:4096])


@lru_cache(maxsize=256)
def _first_named(head: str) -> str | None:
    """Clients send the same few documents over and over: two regexes once per document."""
    found = _NAMED.search(_COMMENT.sub("", head))
    return found.group(1) if found else None


def note_graphql(operation: str | None, document: str | None, result: Any) -> None:
    """The GraphQL view ran an operation (or refused it with a result): the name the client
    gave (``operationName``), its document, and the result."""
    record = CURRENT.get()
    if record is None:
        return
    record.executed = True
    record.operation = operation_name(operation, document)
    record.has_data = getattr(result, "data", None) is not None
    errors = getattr(result, "errors", None)  # not every answer of the view is an ExecutionResult
    if errors:
        record.note_codes([str((getattr(e, "extensions", None) or {}).get("code", "INTERNAL")) for e in errors])


def note_codes(body: Any) -> None:
    """A JSON answer written outside the GraphQL view (the gate's refusals)."""
    record = CURRENT.get()
    if record is None or not isinstance(body, dict):
        return
    record.note_codes([str((e.get("extensions") or {}).get("code", "-")) for e in body.get("errors") or []
                       if isinstance(e, dict)])


def count_statement(event: StatementEvent) -> None:
    """A ``graph.store`` observer: statements and rows of the current request."""
    record = CURRENT.get()
    if record is not None:
        record.statements += 1
        record.rows += event.rows


@dataclass(frozen=True)
class LogPolicy:
    every_request: bool = False
    slow_seconds: float = 1.0


class RequestObserver:
    """ASGI middleware; see the module's description. With ``request_ids`` it also
    gives each request its id (``api.logs.request_id_of``) and sends it back, in the same
    pass (one send wrapper, not two)."""

    def __init__(self, app: Any, policy: LogPolicy = LogPolicy(), request_ids: bool = False) -> None:
        self.app = app
        self.policy = policy
        self.request_ids = request_ids

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.observe(self.app, scope, receive, send)

    async def observe(self, app: Any, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Run ``app`` as this middleware runs the next one (``api.front_door`` calls it too)."""
        if not self.request_ids:
            await self._observe(app, scope, receive, send, None)
            return
        rid = request_id_of(scope)
        token = request_id.set(rid)
        try:
            await self._observe(app, scope, receive, send, (REQUEST_ID_HEADER.encode(), rid.encode()))
        finally:
            request_id.reset(token)

    async def _observe(self, app: Any, scope: dict[str, Any], receive: Any, send: Any,
                       id_header: tuple[bytes, bytes] | None) -> None:
        path = scope["path"].rstrip("/") or "/"
        record = RequestRecord(scope["method"], path)
        token = CURRENT.set(record)
        graphql = path == GRAPHQL_PATH
        span = tracing.start_request_span(record.method, path, _headers(scope)) if tracing.enabled() else None
        span_token = tracing.activate(span) if span is not None else None
        if graphql:
            metrics.add(metrics.IN_FLIGHT)

        async def send_noting_status(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                record.status = int(message["status"])
                if id_header is not None:
                    message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await app(scope, receive, send_noting_status)
        except BaseException:
            record.status = record.status or 500
            raise
        finally:
            seconds = time.perf_counter() - record.started
            caller = _caller(scope)
            if graphql:
                metrics.add(metrics.IN_FLIGHT, -1)
                self._count(record, seconds)
            if self._worth_a_line(record, seconds):
                log.log(logging.WARNING if record.status >= 500 or "INTERNAL" in record.codes else logging.INFO,
                        "%s %s %d in %.1f ms", record.method, path, record.status, seconds * 1000,
                        extra={"request": _fields(record, seconds, caller)})
            if span is not None:
                tracing.deactivate(span_token)
                tracing.finish_request_span(span, record.status, {
                    "graphql.operation.name": record.operation, "crmgraph.caller": caller,
                    "crmgraph.statements": record.statements, "crmgraph.error_codes": record.codes or None})
            CURRENT.reset(token)

    @staticmethod
    def _count(record: RequestRecord, seconds: float) -> None:
        if not record.executed and record.status < 400:
            return  # no operation ran nor was refused: the GraphiQL page, a CORS preflight
        operation = metrics.operation_label(record.operation)
        metrics.add(metrics.child(metrics.REQUESTS, operation, record.outcome, record.codes[0] if record.codes else "none"))
        for code in record.codes:
            metrics.add(metrics.child(metrics.ERRORS, operation, code))
        metrics.observe(metrics.child(metrics.LATENCY, operation), seconds)
        metrics.observe(metrics.REQUEST_STATEMENTS, record.statements)

    def _worth_a_line(self, record: RequestRecord, seconds: float) -> bool:
        if record.path in ("/healthz", "/readyz", "/metrics") and record.status < 500:
            return False
        return (self.policy.every_request or seconds >= self.policy.slow_seconds
                or record.status >= 500 or "INTERNAL" in record.codes)


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or ()}


def _caller(scope: dict[str, Any]) -> str | None:
    access = (scope.get("state") or {}).get("access")
    caller = getattr(access, "caller", None)
    return str(caller) if caller is not None else None


def _fields(record: RequestRecord, seconds: float, caller: str | None) -> dict[str, Any]:
    return {"method": record.method, "path": record.path, "status": record.status,
            "operation": record.operation, "caller": caller, "duration_ms": round(seconds * 1000, 2),
            "statements": record.statements, "rows": record.rows, "error_codes": record.codes,
            "outcome": record.outcome}
