"""The ASGI fast lane of /graphql: a POSTed query whose document has a compiled plan is
answered without Strawberry's HTTP view (no ``Request``, sub-response, ``Response`` objects).

Everything in front of the view has already run (request id, body bounds, hosts, CORS,
credentials, rate limit, trusted documents): usually in the front door's one pass
(``api.front_door``), which calls ``answer`` with the body it parsed and marks the scope
``TRIED`` when it goes on to the view; else through the chain. The lane keeps what the
view adds:

- the caller's slot (``api.concurrency``, keyed like ``api.guarded_view.client_key``);
- the body cap (``encode_json``, i.e. ``api.result_size.encode_bounded``) and the memory
  release after a large body;
- the media type by ``Accept`` (``api.http``): an executed request is 200 either way;
- the result as the view's ``process_result`` shapes an answer without errors (the only
  kind the fast path gives): ``data``, then ``extensions`` with its ``cost``.

The response has the view's status, headers (``content-length``, ``content-type``) and
body bytes (``tests/e2e/test_fast_path.py`` compares them). Whatever the lane does not
answer — another method or media type, a body that is not a plain JSON request object, a
document without a plan, a request the fast path leaves to normal execution, no slot in
time — goes to the view unchanged, its body replayed.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import Receive, Scope, Send

from api import observe
from api.concurrency import Overloaded
from api.gate import replay_body
from api.http import GRAPHQL_RESPONSE_JSON, prefers_graphql_response
from api.result_size import LARGE, release_memory
from graph.access import Access
from schema.context import Context

_SKIP = (b"multipart", b"event-stream")  # streaming transports: the view's business
_DICT_OR_NONE, _STR_OR_NONE = (dict, type(None)), (str, type(None))  # tuples: a union is built per call
TRIED = "crmgraph.fast_lane_tried"  # in the scope: the front door tried the lane, the view answers


def slot_key(access: Any, scope: Scope) -> str:
    """Whom a request's slots belong to: its credential, or its address when anonymous
    (the same key as ``api.guarded_view.client_key``)."""
    if isinstance(access, Access) and (access.key_id or access.subject not in (None, "anonymous")):
        return access.caller
    client = scope.get("client")
    return f"addr:{client[0] if client else 'unknown'}"


async def _read(receive: Receive) -> tuple[bytes, bool]:
    """The whole body, and whether the client is still there."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), True


def lane_accept(scope: Scope) -> bytes | None:
    """The ``Accept`` header of a request the lane may answer (a POST with a JSON body, not
    for a streaming transport); None for any other."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    headers = dict(scope["headers"])
    accept: bytes = headers.get(b"accept", b"")
    if b"application/json" not in headers.get(b"content-type", b"") or any(s in accept for s in _SKIP):
        return None
    return accept


def strict_json(body: bytes) -> Any:
    """The body as orjson reads it, or None (the view answers what orjson refuses)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


class FastLane:
    """Mixed into the GraphQL view (before Strawberry's ASGI class)."""

    fast_path_enabled: bool

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        accept = lane_accept(scope) if self.fast_path_enabled and not scope.get(TRIED) else None
        if accept is not None:
            body, connected = await _read(receive)
            if not connected:
                return
            if await self.answer(scope, strict_json(body), accept, send):
                return
            receive = replay_body(body, receive)
        await super().__call__(scope, receive, send)  # type: ignore[misc]

    async def answer(self, scope: Scope, payload: Any, accept: bytes, send: Send) -> bool:
        """Answer the request whose JSON body is ``payload`` if it has a plan; whether it did."""
        if not isinstance(payload, dict):
            return False
        query, variables, name = payload.get("query"), payload.get("variables"), payload.get("operationName")
        if (not isinstance(query, str) or not isinstance(variables, _DICT_OR_NONE) or not isinstance(name, _STR_OR_NONE)
                or not isinstance(payload.get("extensions"), _DICT_OR_NONE)):
            return False
        schema: Any = self.schema  # type: ignore[attr-defined]
        entry = schema.documents.fast_entry(query)
        if entry is None:
            return False
        state = scope["app"].state
        access = scope.get("state", {}).get("access")  # set by api.gate.Gate
        store, compiler = getattr(state, "store", None), getattr(state, "compiler", None)
        if access is None or store is None or compiler is None:
            return False
        context = Context(store=store, compiler=compiler, access=access)
        LARGE.set(False)
        limiter = self.limiter  # type: ignore[attr-defined]
        key = slot_key(access, scope)
        if limiter.try_enter(key):  # free slots: no wait, no context manager
            try:
                result = await schema.fast_path.execute(entry, query, variables, name, context)
            finally:
                limiter.leave(key)
        else:
            try:
                async with limiter.slot(key):
                    result = await schema.fast_path.execute(entry, query, variables, name, context)
            except Overloaded:
                return False  # the view answers it, with its 503
        if result is None:
            return False
        observe.note_graphql(name, query, result)  # operation, outcome and codes, as the view notes them
        # What process_result makes of it, without its three awaited layers: they change
        # only errors, and requests that never executed.
        encoded = self.encode_json({"data": result.data, "extensions": result.extensions})  # type: ignore[attr-defined]
        media = (f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8" if prefers_graphql_response(accept.decode("latin-1"))
                 else "application/json")
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(encoded)).encode()), (b"content-type", media.encode())]})
        await send({"type": "http.response.body", "body": encoded})
        if LARGE.get():
            release_memory()
        return True
