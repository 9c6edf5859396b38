"""Graph statements to FalkorDB over a few pipelined connections, answers read by hiredis.

redis-py's asyncio client costs a worker about 125 µs of CPU per statement (a pool with a
condition variable, per-argument encoding, retry and timeout wrappers, a stream reader);
the statement itself often takes the store less. This sends the same command (the
``falkordb`` client's ``GRAPH.QUERY``/``GRAPH.RO_QUERY … --compact timeout N``, whose
answer that client still decodes) as one write on an ``asyncio.Protocol`` connection and
hands the answer to the waiting statement straight from ``data_received``.

The store answers a connection's commands in the order they came, so a connection may
carry several at once; a statement takes an idle connection, opens a new one up to
``max_connections``, and only then queues behind the least busy. A statement whose caller
was cancelled leaves its answer to be read and dropped in turn, so the connection stays
usable. One past its wait (longer than the store's own limit: the store is hung) ends its
connection, as redis-py did: those queued behind it could only be answered after it, and
the store would otherwise run every statement left in it on resuming, writes included,
after their callers were told it is unavailable. Everything else (INFO, schema changes,
key events) keeps using redis-py.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import hiredis
from redis._parsers.base import BaseParser
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import InvalidResponse
from redis.exceptions import TimeoutError as RedisTimeoutError


def pack(*parts: str | bytes) -> bytes:
    """A RESP command: an array of bulk strings."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        out += (b"$%d\r\n" % len(data), data, b"\r\n")
    return b"".join(out)


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self.lost = False
        self._reader = hiredis.Reader(protocolError=InvalidResponse, replyError=BaseParser.parse_error,
                                      encoding="utf-8", errors="strict")

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    @property
    def usable(self) -> bool:
        return not self.lost and self.transport is not None and not self.transport.is_closing()

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        while True:
            try:
                reply = self._reader.gets()
            except (InvalidResponse, UnicodeDecodeError) as exc:  # the stream is beyond repair
                self._fail(RedisConnectionError(f"FalkorDB sent an invalid answer: {exc}"))
                if self.transport is not None:
                    self.transport.close()
                return
            if reply is False:
                return
            if not self.waiting:  # nothing asked for it: the stream is out of step
                self._fail(RedisConnectionError("FalkorDB sent an answer nobody asked for"))
                if self.transport is not None:
                    self.transport.close()
                return
            future = self.waiting.popleft()
            if not future.done():  # its caller may have stopped waiting
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(RedisConnectionError(f"FalkorDB closed the connection{f': {exc}' if exc else ''}"))

    def abandon(self, error: Exception) -> None:
        """Fail every statement waiting on it, and drop the commands not yet sent."""
        self._fail(error)
        if self.transport is not None:
            self.transport.abort()

    def _fail(self, error: Exception) -> None:
        self.lost = True
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(error)


class Wire:
    """Pipelined connections to one FalkorDB unix socket."""

    def __init__(self, socket_path: str, max_connections: int) -> None:
        self.socket_path = socket_path
        self.max_connections = max(1, max_connections)
        self.wait_seconds = 30.0  # how long a statement waits for its answer (FalkorDBStore sets it)
        self._connections: list[_Connection] = []
        self._opening = asyncio.Lock()
        self._closed = False

    async def execute(self, command: bytes) -> Any:
        """Send one packed command; its answer, or the error it answered (raised)."""
        connection = self._idle() or await self._open_or_share()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        connection.waiting.append(future)
        connection.transport.write(command)  # type: ignore[union-attr]
        expiry = loop.call_later(self.wait_seconds, _expire, connection, future, self.wait_seconds)
        try:
            reply = await future
        finally:
            expiry.cancel()
        if isinstance(reply, Exception):  # not only ResponseError: -LOADING is a ConnectionError
            raise reply
        return reply

    def _idle(self) -> _Connection | None:
        for connection in self._connections:
            if not connection.waiting and connection.usable:
                return connection
        return None

    async def _open_or_share(self) -> _Connection:
        # One opening at a time: a burst with no connection yet (a cold start, or every
        # connection lost to a store restart) waits for it instead of opening one each.
        async with self._opening:
            self._connections = [c for c in self._connections if c.usable]
            if self._closed:
                raise RedisConnectionError("the store's connections are closed")
            idle = self._idle()  # one may have finished meanwhile
            if idle is not None:
                return idle
            if len(self._connections) >= self.max_connections:
                return min(self._connections, key=lambda c: len(c.waiting))
            try:
                _, connection = await asyncio.get_running_loop().create_unix_connection(_Connection, self.socket_path)
            except OSError as exc:
                raise RedisConnectionError(f"could not reach FalkorDB at {self.socket_path}: {exc}") from exc
            if self._closed:
                connection.transport.close()  # type: ignore[union-attr]
                raise RedisConnectionError("the store's connections are closed")
            self._connections.append(connection)
            return connection

    def close(self) -> None:
        self._closed = True
        for connection in self._connections:
            if connection.transport is not None:
                connection.transport.close()
        self._connections = []


def _expire(connection: _Connection, future: asyncio.Future[Any], seconds: float) -> None:
    if not future.done():
        connection.abandon(RedisTimeoutError(f"FalkorDB did not answer within {seconds:g} s"))
