"""What the service logs: one line per event worth knowing, never a traceback per refusal.

Two formats: human-readable lines in dev, one JSON object per line in prod (or as
``CRMGRAPH_LOG_FORMAT`` says), each with the request id of the request it happened in
(and the trace and span ids when tracing is on); request summaries add their fields
(``api.observe``). Secrets never reach a line: callers are named by key id or subject.

Strawberry logs every GraphQL error with its traceback (about 2.3 kB for a refused
mutation). A refusal the service made on purpose (a ``GraphQLError`` with a code, raised
by a resolver) or a malformed document is the client's answer, not an incident: it is
not logged. An unexpected exception is logged once, with its traceback and the request
id that the response also carries in its ``X-Request-Id`` header.
"""

from __future__ import annotations

import logging
import os
import re
from datetime import UTC, datetime
from typing import Any

import orjson
from graphql import GraphQLError

from schema.errors import REQUEST_ID

REQUEST_ID_HEADER = "x-request-id"
request_id = REQUEST_ID  # one id per request, shared with the errors that quote it

_GIVEN_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class GraphQLErrorLog(logging.Filter):
    """On ``strawberry.execution``: drop expected refusals, name the request of the rest."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.msg
        if not isinstance(error, GraphQLError):
            return True
        if expected(error):
            return False
        path = ".".join(str(p) for p in error.path or ()) or "-"
        record.msg = "unexpected error in request %s at %s: %s"
        record.args = (request_id.get() or "-", path, error.message)
        return True


def expected(error: GraphQLError) -> bool:
    """Raised on purpose (a resolver's typed GraphQLError) or a document the client got wrong."""
    original = error.original_error
    return original is None or isinstance(original, GraphQLError)


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, and the
    request fields a record carries in ``extra={"request": {...}}``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            line["request_id"] = rid
        ids = _trace_ids()
        if ids is not None:
            line["trace_id"], line["span_id"] = ids
        fields = getattr(record, "request", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class TextLines(logging.Formatter):
    """The dev format, with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__(_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        rid = request_id.get()
        return f"{text} [request {rid}]" if rid is not None and rid not in text else text


def _trace_ids() -> tuple[str, str] | None:
    from api import tracing

    return tracing.current_ids() if tracing.enabled() else None


def formatter(json_lines: bool) -> logging.Formatter:
    return JsonLines() if json_lines else TextLines()


def uvicorn_log_config(json_lines: bool) -> dict[str, Any]:
    """uvicorn's own loggers (start-up, errors, the dev access log) in the same format."""
    name = "json" if json_lines else "text"
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {name: {"()": f"api.logs.{'JsonLines' if json_lines else 'TextLines'}"}},
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": name,
                                 "stream": "ext://sys.stderr"},
                     "access": {"class": "logging.StreamHandler", "formatter": name,
                                "stream": "ext://sys.stdout"}},
        "loggers": {"uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
                    "uvicorn.error": {"level": "INFO"},
                    "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False}},
    }


def configure_logging(json_lines: bool | None = None) -> None:
    """Idempotent: the service's own logger to stderr (JSON lines or text; ``None`` keeps
    what was set, text the first time), and the GraphQL error filter."""
    ours = logging.getLogger("crmgraph")
    handler = next((h for h in ours.handlers if getattr(h, "crmgraph", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler.crmgraph = True  # type: ignore[attr-defined]
        handler.setFormatter(formatter(bool(json_lines)))
        ours.addHandler(handler)
        ours.setLevel(logging.INFO)
    elif json_lines is not None:
        handler.setFormatter(formatter(json_lines))
    execution = logging.getLogger("strawberry.execution")
    if not any(isinstance(f, GraphQLErrorLog) for f in execution.filters):
        execution.addFilter(GraphQLErrorLog())
    if handler not in execution.handlers:  # its unexpected errors in the same format
        execution.addHandler(handler)


_ID_HEADER = REQUEST_ID_HEADER.encode()


def request_id_of(scope: dict[str, Any]) -> str:
    """The client's ``X-Request-Id`` if sane, else 16 random hex digits."""
    given = b""
    for name, value in scope.get("headers") or ():
        if name == _ID_HEADER:
            given = value  # the last one, as a dict of the headers would keep
    text = given.decode("latin-1")
    return text if _GIVEN_ID.match(text) else os.urandom(8).hex()
