"""What the service logs: one line per event worth knowing, never a traceback per refusal.

Strawberry logs every GraphQL error with its traceback (about 2.3 kB for a refused
mutation). A refusal the service made on purpose (a ``GraphQLError`` with a code, raised
by a resolver) or a malformed document is the client's answer, not an incident: it is
not logged. An unexpected exception is logged once, with its traceback and the request
id that the response also carries in its ``X-Request-Id`` header.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

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


def configure_logging() -> None:
    """Idempotent: the service's own logger to stderr, and the GraphQL error filter."""
    ours = logging.getLogger("crmgraph")
    if not ours.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        ours.addHandler(handler)
        ours.setLevel(logging.INFO)
    execution = logging.getLogger("strawberry.execution")
    if not any(isinstance(f, GraphQLErrorLog) for f in execution.filters):
        execution.addFilter(GraphQLErrorLog())


class RequestIdMiddleware:
    """Give each HTTP request an id (the client's ``X-Request-Id`` if sane) for logs and the reply."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or ()).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        rid = given if _GIVEN_ID.match(given) else uuid.uuid4().hex[:16]
        token = request_id.set(rid)

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (REQUEST_ID_HEADER.encode(), rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)
