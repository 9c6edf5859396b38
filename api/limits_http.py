"""Bounds on a GraphQL request before anything parses it: body size, document size and
the shape of ``variables`` (depth, list lengths, number of values). Pure ASGI middleware,
so an over-large body is refused while it streams in, never buffered whole.

Over a bound the answer is a GraphQL-style error with ``extensions.code``: HTTP 413
``REQUEST_TOO_LARGE`` for the body, HTTP 400 ``INPUT_TOO_LARGE`` (naming the argument and
the bound) for the rest, and HTTP 400 ``BAD_REQUEST`` for a body that is not JSON. The
figures are in ``graph.input_limits``.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import parse_qs

import json

import orjson
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api.gate import replay_body
from graph.input_limits import (
    MAX_BODY_BYTES,
    MAX_DOCUMENT_CHARS,
    MAX_VARIABLES_DEPTH,
    MAX_VARIABLES_LIST,
    MAX_VARIABLES_VALUES,
)

_CONTAINERS = (dict, list)  # a tuple: ``dict | list`` would build a union for every value


class RequestRefused(Exception):
    def __init__(self, status: int, code: str, message: str, argument: str | None = None,
                 limit: int | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.argument, self.limit = status, code, argument, limit

    def response(self) -> JSONResponse:
        extensions: dict[str, Any] = {"code": self.code}
        if self.argument is not None:
            extensions["argument"] = self.argument
        if self.limit is not None:
            extensions["limit"] = self.limit
        return JSONResponse({"data": None, "errors": [{"message": str(self), "extensions": extensions}]},
                            status_code=self.status)


def _too_large(argument: str, reason: str, limit: int) -> RequestRefused:
    return RequestRefused(400, "INPUT_TOO_LARGE", f"{argument}: {reason}", argument, limit)


def check_variables(variables: Any, argument: str = "variables") -> None:
    """Depth, list lengths and the number of values, walked without recursion."""
    if variables is None:
        return  # the usual case: nothing to walk
    stack: list[tuple[Any, str, int]] = [(variables, argument, 0)]
    seen = 0
    while stack:
        value, where, depth = stack.pop()
        seen += 1
        if seen > MAX_VARIABLES_VALUES:
            raise _too_large(argument, f"holds more than {MAX_VARIABLES_VALUES} values", MAX_VARIABLES_VALUES)
        if isinstance(value, _CONTAINERS) and depth >= MAX_VARIABLES_DEPTH:
            raise _too_large(where, f"nests objects and lists more than {MAX_VARIABLES_DEPTH} levels deep",
                             MAX_VARIABLES_DEPTH)
        if isinstance(value, dict):
            stack += [(v, f"{where}.{k}", depth + 1) for k, v in value.items()]
        elif isinstance(value, list):
            if len(value) > MAX_VARIABLES_LIST:
                raise _too_large(where, f"is a list of {len(value)} items; at most {MAX_VARIABLES_LIST}",
                                 MAX_VARIABLES_LIST)
            stack += [(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]


def check_request(payload: Any) -> None:
    """One GraphQL request (``{query, variables, operationName}``) within the bounds."""
    if not isinstance(payload, dict):
        return  # not a GraphQL request: the GraphQL view answers it
    query = payload.get("query")
    if isinstance(query, str) and len(query) > MAX_DOCUMENT_CHARS:
        raise _too_large("query", f"the document has {len(query)} characters; at most {MAX_DOCUMENT_CHARS}",
                         MAX_DOCUMENT_CHARS)
    check_variables(payload.get("variables"))
    check_variables(payload.get("extensions"), "extensions")


def _parse(body: bytes | str, what: str) -> tuple[Any, bool]:
    """The value, and whether orjson read it. orjson first (fast, depth-limited); what it
    refuses, the standard library tries the way the GraphQL view will (it takes lone
    surrogate escapes, which validation then refuses naming the field), with its recursion
    caught."""
    try:
        return orjson.loads(body), True
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(body), False
    except RecursionError:
        raise _too_large(what, f"nests more than {MAX_VARIABLES_DEPTH} levels deep", MAX_VARIABLES_DEPTH) from None
    except ValueError as exc:
        raise RequestRefused(400, "BAD_REQUEST", f"{what} is not valid JSON: {exc}") from None


class Bounded(NamedTuple):
    body: bytes
    payload: Any  # the JSON body as orjson read it; None when it was not read (or only leniently)


async def read_bounded(scope: Scope, receive: Receive, send: Send) -> Bounded | None:
    """The body of a request for the GraphQL path within the bounds; None when it was not
    (the refusal is answered) or the client went away."""
    try:
        return await _read_checked(scope, receive)
    except RequestRefused as refused:
        await refused.response()(scope, receive, send)
        return None


async def _read_checked(scope: Scope, receive: Receive) -> Bounded | None:
    headers = dict(scope["headers"])
    declared = headers.get(b"content-length", b"")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _body_too_large()
    if scope["method"] == "GET":
        params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        variables = params.get("variables", [None])[0]
        check_request({"query": params.get("query", [None])[0],
                       "variables": _parse(variables, "variables")[0] if variables else None})
    message = await receive()
    if message["type"] == "http.disconnect":
        return None
    body: bytes = message.get("body", b"")
    if message.get("more_body", False):  # in pieces: gathered up to the bound
        gathered = bytearray(body)
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            gathered += message.get("body", b"")
            more = message.get("more_body", False)
            if len(gathered) > MAX_BODY_BYTES:
                raise _body_too_large()
        body = bytes(gathered)
    if len(body) > MAX_BODY_BYTES:
        raise _body_too_large()
    payload = None
    if body and b"json" in headers.get(b"content-type", b""):
        payload, strict = _parse(body, "the request body")
        for request in payload if isinstance(payload, list) else [payload]:
            check_request(request)
        payload = payload if strict else None
    return Bounded(body, payload)


def _body_too_large() -> RequestRefused:
    return RequestRefused(413, "REQUEST_TOO_LARGE",
                          f"the request body is larger than {MAX_BODY_BYTES} bytes", "body", MAX_BODY_BYTES)


class RequestBounds:
    """Applies the bounds to requests for ``path``; everything else passes untouched."""

    def __init__(self, app: ASGIApp, path: str = "/graphql") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        bounded = await read_bounded(scope, receive, send)
        if bounded is not None:
            await self.app(scope, replay_body(bounded.body, receive), send)
