"""Everything in front of the routes: the chain of ASGI middleware, and one pass through
the same checks for the request nearly every client sends.

The chain, outermost first: the request's id and record, counted, traced and logged once
(``api.observe``); 503 while the store loads (``api.startup``); the body, document and
variables bounds, before anything parses them (``api.limits_http``); the Host check and
CORS (``api.hygiene``); credentials, rate limit and trusted documents (``api.gate``). Then
the routes.

A POST to /graphql with a JSON body takes one pass instead: the same checks, in the same
order, by the same objects and functions, called from one function rather than through six
ASGI layers — the body read and parsed once, one send wrapper per header the answer gains —
and then the fast lane (``api.fast_lane``) with the parsed body. What the lane leaves goes
to the routes (the GraphQL view) as it would from the chain.
"""

from __future__ import annotations

import functools
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.fast_lane import TRIED, FastLane, lane_accept, strict_json
from api.gate import Gate, guard_of, replay_body, request_headers, with_headers
from api.hygiene import HostCheck, allowed_hosts, cors
from api.limits_http import RequestBounds, read_bounded
from api.observe import GRAPHQL_PATH, LogPolicy, RequestObserver
from api.persisted import DocumentRefused
from api.settings import Settings
from api.startup import StartupGate


class FrontDoor:
    """Starlette's only user middleware; ``app`` is what Starlette puts below it (the routes)."""

    one_pass = True  # off: every request takes the chain (tests/e2e/test_front_door.py compares the two)

    def __init__(self, app: ASGIApp, settings: Settings, view: FastLane) -> None:
        self.app = app
        self.view = view
        gate = Gate(app)
        self.cors = cors(gate, settings)
        self.hosts = HostCheck(self.cors or gate, allowed_hosts(settings))
        self.observer = RequestObserver(StartupGate(RequestBounds(self.hosts)),
                                        LogPolicy(settings.log_requests, settings.log_slow_seconds),
                                        request_ids=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        accept = (lane_accept(scope) if scope["type"] == "http" and scope["path"] == GRAPHQL_PATH and self.one_pass
                  else None)
        if accept is None:
            await self.observer(scope, receive, send)
        else:
            await self.observer.observe(functools.partial(self._one_pass, accept), scope, receive, send)

    async def _one_pass(self, accept: bytes, scope: Scope, receive: Receive, send: Send) -> None:
        if await StartupGate.refused(scope, send):
            return
        bounded = await read_bounded(scope, receive, send)
        if bounded is None:
            return  # refused, or the client went away
        body, payload = bounded
        if not self.hosts.passes(scope):
            await self.hosts.checked(scope, replay_body(body, receive), send)
            return
        if self.cors is not None:  # what CORSMiddleware does for a request that is not a preflight
            send = functools.partial(self.cors.send, send=send, request_headers=Headers(scope=scope))
        guard = await guard_of(scope, send)
        if guard is None:
            return
        admitted = await guard.admit(scope, request_headers(scope), send)
        if admitted is None:
            return
        access, limit_headers = admitted
        try:
            resolved = guard.posted_documents(access, body)
        except DocumentRefused as exc:
            await guard.refuse_document(exc, send, limit_headers)
            return
        if resolved is not body:
            body, payload = resolved, strict_json(resolved)
        scope.setdefault("state", {})["access"] = access
        send = with_headers(send, limit_headers)
        if self.view.fast_path_enabled and await self.view.answer(scope, payload, accept, send):
            return
        scope[TRIED] = True
        await self.app(scope, replay_body(body, receive), send)
