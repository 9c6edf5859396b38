"""Fairness: a concurrency cap per client and for the store, with a bounded queue.

A request takes a slot of its client (``per_client``) and then one of the process
(``total``). When no slot is free it waits in a FIFO queue, at most ``queue_wait``
seconds; when its client already has ``per_client_queue`` requests waiting, or the
process ``total_queue``, it is refused at once. Refusals are ``Overloaded`` (the view
turns them into HTTP 503 with ``Retry-After`` and ``extensions.code = OVERLOADED``).
So one client's heavy requests occupy at most ``per_client`` of the store's capacity
and queue behind each other, while other clients' requests still find free slots.

The caps are per API process: with ``--workers N`` the store sees at most N x ``total``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass


class Overloaded(Exception):
    """No slot within the bounded wait, or the queue is full."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class Gate:
    """At most ``limit`` holders; waiters in FIFO order, at most ``max_waiting`` of them."""

    def __init__(self, limit: int, max_waiting: int) -> None:
        self.limit = limit
        self.max_waiting = max_waiting
        self.active = 0
        self.waiters: deque[asyncio.Future[None]] = deque()

    @property
    def idle(self) -> bool:
        return self.active == 0 and not self.waiters

    async def acquire(self, timeout: float) -> str | None:
        """Take a slot, waiting at most ``timeout`` seconds; None once held, else why not
        (``"queue full"`` or ``"wait over"``)."""
        if self.active < self.limit and not self.waiters:
            self.active += 1
            return None
        if len(self.waiters) >= self.max_waiting:
            return "queue full"
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            async with asyncio.timeout(max(timeout, 0.0)):
                await waiter
        except TimeoutError:
            self._give_up(waiter)
            return "wait over"
        except asyncio.CancelledError:
            self._give_up(waiter)
            raise
        return None

    def _give_up(self, waiter: asyncio.Future[None]) -> None:
        if waiter.done() and not waiter.cancelled():
            self.release()  # the slot was handed over just as we gave up: pass it on
        else:
            self._forget(waiter)

    def _forget(self, waiter: asyncio.Future[None]) -> None:
        try:
            self.waiters.remove(waiter)
        except ValueError:
            pass

    def release(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot moves to the waiter; active is unchanged
                return
        self.active -= 1


@dataclass(frozen=True)
class Caps:
    per_client: int = 2
    total: int = 16
    per_client_queue: int = 8
    total_queue: int = 64
    queue_wait: float = 2.0  # seconds a request may wait for a slot
    retry_after: int = 1  # seconds, sent in Retry-After with OVERLOADED


class ConcurrencyLimiter:
    def __init__(self, caps: Caps) -> None:
        self.caps = caps
        self.total = Gate(caps.total, caps.total_queue)
        self.clients: dict[str, Gate] = {}

    def _client(self, key: str) -> Gate:
        gate = self.clients.get(key)
        if gate is None:
            gate = self.clients[key] = Gate(self.caps.per_client, self.caps.per_client_queue)
        return gate

    def _drop_if_idle(self, key: str, gate: Gate) -> None:
        if gate.idle and self.clients.get(key) is gate:
            del self.clients[key]

    def try_enter(self, key: str) -> bool:
        """Take a slot of ``key`` and one of the process at once if both are free without
        waiting (the common case: no context manager, no timer); ``leave`` gives them back.
        False: nothing taken, use ``slot``."""
        client = self.clients.get(key)
        total = self.total
        if (total.active >= total.limit or total.waiters
                or (client is not None and (client.active >= client.limit or client.waiters))):
            return False
        if client is None:
            client = self.clients[key] = Gate(self.caps.per_client, self.caps.per_client_queue)
        client.active += 1
        total.active += 1
        return True

    def leave(self, key: str) -> None:
        self.total.release()
        client = self.clients[key]
        client.release()
        self._drop_if_idle(key, client)

    @asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        """Hold one of ``key``'s slots and one of the process's for the body, or raise
        ``Overloaded`` without running it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.caps.queue_wait
        client = self._client(key)
        try:
            refused = await client.acquire(self.caps.queue_wait)
        except BaseException:  # cancelled while waiting (the client went away)
            self._drop_if_idle(key, client)
            raise
        if refused is not None:
            self._drop_if_idle(key, client)
            raise Overloaded(f"too many requests of this client: {refused}", self.caps.retry_after)
        try:
            refused = await self.total.acquire(deadline - loop.time())
            if refused is not None:
                raise Overloaded(f"the service is at capacity: {refused}", self.caps.retry_after)
            try:
                yield
            finally:
                self.total.release()
        finally:
            client.release()
            self._drop_if_idle(key, client)

    def snapshot(self) -> dict[str, int]:
        """Slots in use and requests waiting, for tests and metrics."""
        return {"active": self.total.active, "waiting": len(self.total.waiters) +
                sum(len(g.waiters) for g in self.clients.values()), "clients": len(self.clients)}
