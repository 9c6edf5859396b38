"""OpenTelemetry traces: a span per HTTP request and one per store statement.

Off unless an OTLP endpoint is configured with the standard variables
(``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``; the exporter
reads its headers, protocol and timeouts from the ``OTEL_*`` variables too, the service
name from ``OTEL_SERVICE_NAME``, default ``crmgraph``). Then spans go, batched, over
OTLP/HTTP. The packages come with the ``otel`` extra; without them a configured endpoint
is reported once in the log and the service runs untraced.

A request's span continues the caller's trace when the request carries a W3C
``traceparent`` header. A statement's span is named by ``graph.store.statement_name``
(``read Person``): never its text with values, never its parameters.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from graph.store import StatementEvent

log = logging.getLogger("crmgraph")
ENDPOINT_VARS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")

_tracer: Any = None  # an opentelemetry Tracer while tracing is on
_provider: Any = None


def enabled() -> bool:
    return _tracer is not None


def configure_from_environment() -> bool:
    """Turn tracing on when an OTLP endpoint is configured; idempotent per process."""
    if _tracer is not None or not any(os.environ.get(v) for v in ENDPOINT_VARS):
        return _tracer is not None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning("an OTLP endpoint is configured but the OpenTelemetry packages are missing: "
                    "install crmgraph[otel]; running without traces")
        return False
    provider = TracerProvider(resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME",
                                                                                         "crmgraph")}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    use_provider(provider)
    return True


def use_provider(provider: Any | None) -> None:
    """Trace with ``provider`` (an SDK ``TracerProvider``), or stop tracing with ``None``."""
    global _tracer, _provider
    _provider = provider
    _tracer = provider.get_tracer("crmgraph") if provider is not None else None


def shutdown() -> None:
    """Flush spans still batched (a worker stops)."""
    if _provider is not None:
        _provider.force_flush()


def start_request_span(method: str, path: str, headers: Mapping[str, str]) -> Any:
    """The span of one HTTP request, child of the caller's ``traceparent`` if any; ``None``
    when tracing is off. The caller makes it current (``activate``) and ends it."""
    if _tracer is None:
        return None
    from opentelemetry.propagate import extract
    from opentelemetry.trace import SpanKind

    parent = extract(dict(headers))
    return _tracer.start_span(f"{method} {path}", context=parent, kind=SpanKind.SERVER,
                              attributes={"http.request.method": method, "url.path": path})


def activate(span: Any) -> Any:
    """Make ``span`` current in this task; returns the token for ``deactivate``."""
    from opentelemetry import context, trace

    return context.attach(trace.set_span_in_context(span))


def deactivate(token: Any) -> None:
    from opentelemetry import context

    context.detach(token)


def finish_request_span(span: Any, status: int, attributes: Mapping[str, Any]) -> None:
    from opentelemetry.trace import Status, StatusCode

    span.set_attribute("http.response.status_code", status)
    for key, value in attributes.items():
        if value is not None:
            span.set_attribute(key, value)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))
    span.end()


def record_statement(event: StatementEvent) -> None:
    """A ``graph.store`` statement observer: one client span, child of the current one."""
    if _tracer is None:
        return
    from opentelemetry.trace import SpanKind, Status, StatusCode

    span = _tracer.start_span(event.name, kind=SpanKind.CLIENT, start_time=event.started_ns, attributes={
        "db.system.name": event.dialect, "db.operation.name": "write" if event.write else "read",
        "db.query.summary": event.name, "db.response.returned_rows": event.rows,
        "crmgraph.outcome": event.outcome})
    if event.outcome != "ok":
        span.set_status(Status(StatusCode.ERROR, event.outcome))
    span.end(end_time=event.started_ns + int(event.seconds * 1e9))


def current_ids() -> tuple[str, str] | None:
    """(trace id, span id) in hex of the current span, for log lines; ``None`` untraced."""
    if _tracer is None:
        return None
    from opentelemetry import trace

    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}"
