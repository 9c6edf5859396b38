"""The gate in front of /graphql: credentials, rate limit and trusted documents.

An ASGI middleware, so a refusal (401, 429, a forbidden document) is answered before
GraphQL parses anything. What it lets through carries the caller's ``Access`` in
``scope["state"]["access"]`` (read by ``CRMGraphQL.get_context``), and every answer from
/graphql, refusals included, carries the ``RateLimit-*`` headers.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

from api.auth import AuthError, Authenticator
from api.observe import note_codes
from api.persisted import DocumentRefused, TrustedDocuments
from api.ratelimit import RateLimiter, Verdict, rate_limiter_for
from api.settings import Settings
from graph.access import ANONYMOUS_ADMIN, Access, Role
from graph.keys import key_store_for, load_pepper
from graph.store import Store

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("crmgraph.auth")
GUARDED = ("/graphql", "/metrics")  # everything else is open: /, /healthz, /readyz
ADMIN_ONLY = ("/metrics",)


@dataclass
class Guard:
    """What the gate needs, built once per worker when the store is open."""

    settings: Settings
    authenticator: Authenticator
    limiter: RateLimiter
    documents: TrustedDocuments

    @classmethod
    def open(cls, settings: Settings, store: Store) -> Guard:
        if not settings.embedded and not settings.key_pepper.get_secret_value():
            log.warning("CRMGRAPH_KEY_PEPPER is unset: API key hashes use %s/key-pepper; every API host "
                        "needs the same pepper, so set CRMGRAPH_KEY_PEPPER", settings.data_dir)
        pepper = load_pepper(settings.key_pepper.get_secret_value() or None, settings.data_dir)
        return cls(settings, Authenticator(settings, key_store_for(store), pepper),
                   rate_limiter_for(store, settings.rate_limit_window),
                   TrustedDocuments.load(settings.trusted_documents))

    def banner(self) -> str:
        s = self.settings
        if self.authenticator.anonymous_admin:
            return (f"dev mode on loopback ({s.host}): anonymous requests act as ADMIN; "
                    "any other bind address requires credentials")
        return f"{s.mode.value} mode on {s.host}: every /graphql request needs an API key or a bearer token"

    async def __call__(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        headers = request_headers(scope)
        if self._metrics_scraper(scope, headers):  # Prometheus with CRMGRAPH_METRICS_TOKEN: /metrics only
            await app(scope, receive, send)
            return
        admitted = await self.admit(scope, headers, send)
        if admitted is None:
            return
        effective, limit_headers = admitted
        if scope["path"].rstrip("/") in ADMIN_ONLY and effective.role is not Role.ADMIN:
            await _json(send, 403, {"data": None, "errors": [{"message": "admins only",
                                                               "extensions": {"code": "FORBIDDEN"}}]},
                        limit_headers)
            return
        try:
            receive = await self._documents(effective, scope, receive, headers)
        except DocumentRefused as exc:
            await self.refuse_document(exc, send, limit_headers)
            return
        scope.setdefault("state", {})["access"] = effective
        await app(scope, receive, with_headers(send, limit_headers))

    async def admit(self, scope: Scope, headers: dict[str, str],
                    send: Send) -> tuple[Access, list[tuple[bytes, bytes]]] | None:
        """Credentials and rate limit: the caller's access and the ``RateLimit-*`` headers,
        or None when it answered the refusal (401, 429, 503)."""
        try:
            access = await self.authenticator.resolve(headers)
            verdict = await self._take(access, scope)
        except AuthError as exc:
            log.info("refused credentials: %s", exc.reason)
            await self._refuse(exc, scope, send)
            return None
        except Exception:  # the store holding keys and counters did not answer: closed, never a 500
            log.exception("credential check failed")
            await _json(send, 503, {"data": None, "errors": [{
                "message": "the graph store is unavailable; try again shortly",
                "extensions": {"code": "STORE_UNAVAILABLE"}}]}, [(b"retry-after", b"1")])
            return None
        limit_headers = verdict.headers() if verdict else []
        if verdict is not None and not verdict.allowed:
            body = {"data": None, "errors": [{"message": f"rate limit reached: {verdict.limit} requests per "
                                              f"{self.settings.rate_limit_window:g} s; retry in "
                                              f"{verdict.retry_after} s",
                                              "extensions": {"code": "RATE_LIMITED"}}]}
            await _json(send, 429, body, limit_headers)
            return None
        return access or ANONYMOUS_ADMIN, limit_headers

    @staticmethod
    async def refuse_document(exc: DocumentRefused, send: Send, limit_headers: list[tuple[bytes, bytes]]) -> None:
        await _json(send, 400 if exc.code == "BAD_REQUEST" else 200, exc.body(), limit_headers)

    def _metrics_scraper(self, scope: Scope, headers: dict[str, str]) -> bool:
        token = self.settings.metrics_token.get_secret_value()
        if not token or scope["path"].rstrip("/") != "/metrics":
            return False
        given = headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())

    async def _refuse(self, exc: AuthError, scope: Scope, send: Send) -> None:
        """401 (or 503); failed credentials count against the client address, so guessing is throttled."""
        headers = [(b"www-authenticate", exc.www_authenticate().encode())] if exc.status == 401 else []
        try:
            verdict = await self.limiter.take(f"failed:{_client(scope)}", self.settings.rate_limit_anonymous)
        except Exception:  # the counters are unavailable: the refusal stands anyway
            log.exception("rate limit of failed credentials")
            verdict = None
        if verdict is not None:
            headers += verdict.headers()
            if not verdict.allowed:
                await _json(send, 429, {"data": None, "errors": [{
                    "message": f"too many failed credentials; retry in {verdict.retry_after} s",
                    "extensions": {"code": "RATE_LIMITED"}}]}, headers)
                return
        await _json(send, exc.status, exc.body(), headers)

    async def _take(self, access: Access | None, scope: Scope) -> Verdict | None:
        bucket = f"ip:{_client(scope)}" if access is None else access.caller
        s = self.settings
        limit = s.rate_limit_anonymous if access is None else int(getattr(s, f"rate_limit_{access.role.value}"))
        return await self.limiter.take(bucket, limit)

    async def _documents(self, access: Access, scope: Scope, receive: Receive, headers: dict[str, str]) -> Receive:
        """Apply trusted documents / persisted queries; returns the receive to pass on."""
        docs = self.documents
        if scope["method"] == "GET":
            params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
            if not (docs.restricted(access.role) or "persistedQuery" in params.get("extensions", "")):
                return receive
            request: dict[str, Any] = {"query": params.get("query")}
            try:
                request["extensions"] = orjson.loads(params["extensions"]) if params.get("extensions") else None
            except orjson.JSONDecodeError:
                return receive  # the view answers malformed parameters
            if docs.resolve(access.role, request):
                params["query"] = request["query"]
                scope["query_string"] = urlencode(params).encode()
            return receive
        if not docs.restricted(access.role) and "application/json" not in headers.get("content-type", "").lower():
            return receive  # the view refuses other content types
        body = await _read_body(receive)
        return replay_body(self.posted_documents(access, body), receive)

    def posted_documents(self, access: Access, body: bytes) -> bytes:
        """A POSTed body with trusted documents / persisted queries applied: ``body`` itself,
        or the body with the documents resolved; raises ``DocumentRefused``."""
        docs = self.documents
        restricted = docs.restricted(access.role)
        if not (restricted or b"persistedQuery" in body):
            return body
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            if restricted:  # whatever the content type claims: no document we can check runs
                raise DocumentRefused("BAD_REQUEST", "the body must be a JSON GraphQL request") from None
            return body
        items = data if isinstance(data, list) else [data]
        changed = False
        for item in items:
            if isinstance(item, dict):
                changed = docs.resolve(access.role, item) or changed
            elif restricted:
                raise DocumentRefused("BAD_REQUEST", "each request must be a JSON object")
        return orjson.dumps(data) if changed else body


class Gate:
    """Wraps the app; finds its ``Guard`` in ``app.state.guard`` (set by the lifespan)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") not in GUARDED:
            await self.app(scope, receive, send)
            return
        guard = await guard_of(scope, send)
        if guard is not None:
            await guard(self.app, scope, receive, send)


async def guard_of(scope: Scope, send: Send) -> Guard | None:
    """The app's ``Guard``; None when it answered 503 because there is none yet (not started,
    or started without the store): closed, not open."""
    guard: Guard | None = getattr(scope["app"].state, "guard", None)
    if guard is None:
        await _json(send, 503, {"data": None, "errors": [{"message": "starting up",
                                                           "extensions": {"code": "STORE_UNAVAILABLE"}}]}, [])
    return guard


_READ = (b"authorization", b"x-api-key", b"content-type")  # all the gate and api.auth read


def request_headers(scope: Scope) -> dict[str, str]:
    """The request headers the gate reads, decoded (the last of repeated ones); ASGI
    servers give header names in lower case."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"] if name in _READ}


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    """``send`` adding ``extra`` to the response's headers (the ``RateLimit-*`` ones)."""
    if not extra:
        return send

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return send_with_headers


def replay_body(body: bytes, then: Receive) -> Receive:
    """The body read already, once; after it, the client's own messages (a disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await then()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _json(send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> None:
    note_codes(body)  # for the request's metrics and log line
    payload = orjson.dumps(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()),
                            (b"cache-control", b"no-store"), *headers]})
    await send({"type": "http.response.body", "body": payload})
