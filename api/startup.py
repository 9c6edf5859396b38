"""Start serving before the store has loaded its data.

A big graph takes a while to load after a restart (the store reads its snapshot, then
replays the tail of its log). ``crmgraph serve`` starts the embedded store and the HTTP
workers at once; each worker prepares in the background (waits for the store to load,
checks its schema, opens the credential gate and the analytics refresher) while:

* ``/healthz`` answers 200 (the process is up);
* ``/readyz`` answers 503 with ``{"status": "starting", "store": "loading",
  "progress": {...}}`` (the store's own loading figures) or ``"store": "preparing"``;
* everything else answers 503 ``STORE_UNAVAILABLE`` with ``Retry-After`` and the same
  progress in ``extensions``: nothing reaches a resolver before the service is ready.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from graph.connect import ProgressLog, wait_until_loaded
from graph.store import Store, StoreUnavailableError

log = logging.getLogger("crmgraph")

OPEN_WHILE_STARTING = ("/healthz", "/readyz")
RETRY_SECONDS = 5


class Startup:
    """Whether this worker is ready, and what it is waiting for."""

    def __init__(self) -> None:
        self.ready = asyncio.Event()
        self.failure: str | None = None
        self.task: asyncio.Task[None] | None = None

    async def prepare(self, store: Store, finish: Callable[[], Awaitable[None]],
                      retry: float = 0.5) -> None:
        """Wait for the store to load and answer, then run ``finish``; retries while the
        store is unavailable (it may be restarting), gives up on any other error."""
        progress = ProgressLog()
        started = asyncio.get_running_loop().time()
        waited = False
        while True:
            try:
                if await store.loading(timeout=5.0) is not None:
                    waited = True
                    await wait_until_loaded(store, on_progress=progress)
                await finish()
                break
            except StoreUnavailableError as exc:
                waited = True
                log.debug("store not ready yet: %s", exc)
                await asyncio.sleep(retry)
            except Exception as exc:  # a schema that cannot be created: stay unready, say why
                self.failure = f"{type(exc).__name__}: {exc}"
                log.exception("the service could not prepare the store; it stays unready")
                return
        if waited:
            log.warning("the store has loaded its data: ready after %.1f s",
                        asyncio.get_running_loop().time() - started)
        self.ready.set()

    async def not_ready_body(self, store: Store | None) -> dict[str, Any]:
        """What ``/readyz`` says while this worker is not ready."""
        if self.failure is not None:
            return {"status": "failed", "store": "unprepared", "reason": self.failure}
        state = await store.loading() if store is not None else None
        if state is not None:
            return {"status": "starting", "store": "loading", "progress": state.as_json()}
        return {"status": "starting", "store": "preparing"}


class StartupGate:
    """Answer 503 ``STORE_UNAVAILABLE`` for everything but the probes until ready."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and await self.refused(scope, send):
            return
        await self.app(scope, receive, send)

    @staticmethod
    async def refused(scope: dict[str, Any], send: Any) -> bool:
        """Answer 503 if this worker is not ready and the path is not a probe; whether it did."""
        startup: Startup | None = getattr(scope["app"].state, "startup", None) if "app" in scope else None
        if startup is None or startup.ready.is_set() or scope["path"].rstrip("/") in OPEN_WHILE_STARTING:
            return False
        body = await startup.not_ready_body(getattr(scope["app"].state, "store", None))
        message = ("the graph store is loading its data; try again shortly" if body["store"] == "loading"
                   else "the service is starting; try again shortly")
        extensions = {"code": "STORE_UNAVAILABLE", **{k: v for k, v in body.items() if k != "status"}}
        payload = orjson.dumps({"data": None, "errors": [{"message": message, "extensions": extensions}]})
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode()),
                                (b"retry-after", str(RETRY_SECONDS).encode()),
                                (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": payload})
        return True
