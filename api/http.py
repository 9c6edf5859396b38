"""GraphQL over HTTP as the spec (https://graphql.github.io/graphql-over-http/) words it.

Strawberry's ASGI view answers every result with ``application/json`` and status 200. On
top of it this view:

- answers ``application/graphql-response+json`` when the client's ``Accept`` prefers it
  (it is listed with a quality at least that of ``application/json``); a client that asks
  only for ``application/json``, for ``*/*``, or sends no ``Accept`` keeps the old
  behaviour, byte for byte;
- under that media type, a request that never executed (the document did not parse or
  validate, or the variables could not be coerced) is answered with status 400 and no
  ``data`` key, as the spec requires; a request that executed keeps status 200;
- (request ids are given by ``api.observe.RequestObserver``, outside this view).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from starlette.requests import Request
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from schema.context import Context

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
_NOT_EXECUTED = "crmgraph_not_executed"


def accept_qualities(accept: str) -> dict[str, float]:
    """Media type -> quality, from an ``Accept`` header (parameters other than q ignored)."""
    out: dict[str, float] = {}
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        quality = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        out[media] = max(quality, out.get(media, 0.0))
    return out


@lru_cache(maxsize=64)  # clients send the same few Accept values over and over
def prefers_graphql_response(accept: str | None) -> bool:
    """Whether to answer ``application/graphql-response+json``: the client names it, and
    does not rank ``application/json`` above it."""
    if not accept:
        return False
    q = accept_qualities(accept)
    wanted = q.get(GRAPHQL_RESPONSE_JSON, 0.0)
    return wanted > 0 and wanted >= q.get(JSON, 0.0)


def never_executed(result: ExecutionResult) -> bool:
    """Parse, validation and variable coercion errors: no data, and no error has a path
    (an error raised while executing always has one)."""
    return result.data is None and bool(result.errors) and all(e.path is None for e in result.errors or [])


class GraphQLOverHTTP(GraphQL[Context, None]):
    """Strawberry's ASGI view with the media type, status codes and request ids above."""

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if not isinstance(request, Request):  # a WebSocket: nothing to negotiate
            return await super().run(request, context, root_value)
        response = await super().run(request, context, root_value)
        media = response.headers.get("content-type", "")
        if media.startswith(JSON) and prefers_graphql_response(request.headers.get("accept")):
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
            if getattr(request.state, _NOT_EXECUTED, False):
                response.status_code = 400
        return response

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        data = await super().process_result(request, result)
        if (isinstance(request, Request) and never_executed(result)
                and prefers_graphql_response(request.headers.get("accept"))):
            data.pop("data", None)  # the spec: no data entry when execution never started
            setattr(request.state, _NOT_EXECUTED, True)
        return data


__all__ = ["GraphQLOverHTTP", "prefers_graphql_response"]
