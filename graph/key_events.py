"""Key changes told to every API worker, so a cached key (``graph.key_cache``) is revoked at once.

On the embedded store (a Redis server) each worker subscribes to ``CHANNEL``. A key change
(``crmgraph keys revoke``, or any other change of a key record) is written to the store
first, then ``announce`` publishes the key's id with a reply list and waits until every
worker that received it has dropped the key from its cache and pushed an acknowledgement.
``PUBLISH`` answers how many subscribers received the message, so the count waited for is
exact, with no race against a worker joining or leaving meanwhile.

A worker that is not subscribed (starting, or its connection lost and not yet back) keeps
its cache suspended: every request reads the key from the store, so it cannot miss a
change. When it subscribes again it starts with an empty cache.

Neo4j has no channel: there the cache keeps a key at most ``UNANNOUNCED_SECONDS``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from typing import TYPE_CHECKING, Any

import orjson
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from graph.key_cache import KeyCache

if TYPE_CHECKING:
    from graph.keys import KeyStore

log = logging.getLogger("crmgraph.auth")

CHANNEL = "crmgraph:key-changes"
REPLY_PREFIX = "crmgraph:key-acks:"
CONFIRM_SECONDS = 5.0
"""How long ``announce`` waits for the workers' acknowledgements."""
UNANNOUNCED_SECONDS = 1.0
"""The cache's bound where key changes are not announced (Neo4j)."""
_KEY_ID = re.compile(r"^[0-9a-f]{12}$")
_REPLY = re.compile(rf"^{re.escape(REPLY_PREFIX)}[0-9a-f]{{16}}$")


class KeyChangeUnconfirmed(RuntimeError):
    """Some workers did not confirm a key change in time; the change itself is in the store."""

    def __init__(self, key_id: str, confirmed: int, expected: int, seconds: float) -> None:
        super().__init__(
            f"key {key_id} is changed in the store, but {expected - confirmed} of {expected} API worker(s) did "
            f"not confirm within {seconds:g} s that they dropped it from their key cache: they may go on "
            "accepting its previous state for up to CRMGRAPH_KEY_CACHE_SECONDS. Run the command again to "
            "retry (it is safe to repeat); a worker that stays silent is stuck or not a crmgraph worker")
        self.key_id = key_id
        self.confirmed = confirmed
        self.expected = expected


async def announce(redis: Any, key_id: str, timeout: float = CONFIRM_SECONDS) -> int:
    """Tell every subscribed worker that ``key_id`` changed; return how many confirmed, once all have."""
    reply = REPLY_PREFIX + secrets.token_hex(8)
    expected = int(await redis.publish(CHANNEL, orjson.dumps({"id": key_id, "reply": reply})))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    confirmed = 0
    try:
        while confirmed < expected:
            left = deadline - loop.time()
            if left <= 0 or await redis.blpop([reply], timeout=max(left, 0.01)) is None:
                raise KeyChangeUnconfirmed(key_id, confirmed, expected, timeout)
            confirmed += 1
    finally:
        if expected:
            await redis.delete(reply)
    return confirmed


class KeyChangeListener:
    """One worker's subscription: drops changed keys from its cache; suspends the cache while unsubscribed."""

    def __init__(self, socket_path: str, redis: Any, cache: KeyCache, retry_seconds: float = 0.5) -> None:
        self._socket_path = socket_path
        self._redis = redis  # the store's client: acknowledgements (a subscribed connection cannot send them)
        self._cache = cache
        self.retry_seconds = retry_seconds
        self.subscribed = asyncio.Event()
        self._lost = False

    async def run(self) -> None:
        """Listen until cancelled, subscribing again whenever the connection is lost."""
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the store went away: answer from it alone until it is back
                if not self._lost:
                    log.warning("key change channel lost (%s): API keys are read from the store on every request "
                                "until it is back", exc or type(exc).__name__)
                self._lost = True
            finally:
                self.subscribed.clear()
                self._cache.suspend()
            await asyncio.sleep(self.retry_seconds)

    async def _listen(self) -> None:
        # No retries inside the client: a lost connection must reach us (and suspend the
        # cache) rather than be silently reconnected while messages were missed.
        client = Redis(unix_socket_path=self._socket_path, socket_timeout=None, socket_connect_timeout=2,
                       retry=Retry(NoBackoff(), 0))
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(CHANNEL)
            while True:
                message = await pubsub.get_message(timeout=None)
                if message is None:
                    continue
                if message["type"] == "subscribe":
                    self._cache.resume()
                    self.subscribed.set()
                    if self._lost:
                        log.warning("key change channel back: the key cache is on again")
                        self._lost = False
                elif message["type"] == "message":
                    await self._changed(message["data"])
        finally:
            await pubsub.aclose()
            await client.aclose()

    async def _changed(self, data: bytes) -> None:
        try:
            event = orjson.loads(data)
            key_id, reply = event["id"], event.get("reply")
        except (orjson.JSONDecodeError, KeyError, TypeError):
            log.warning("ignored a malformed key change message")
            return
        if isinstance(key_id, str) and _KEY_ID.match(key_id):
            self._cache.drop(key_id)
        else:
            self._cache.resume()  # not a key we know how to drop: drop them all
        if isinstance(reply, str) and _REPLY.match(reply):
            pipe = self._redis.pipeline(transaction=False)
            pipe.rpush(reply, 1)
            pipe.expire(reply, 60)
            await pipe.execute()


def key_cache_for(keys: KeyStore, seconds: float, size: int) -> tuple[KeyCache, KeyChangeListener | None]:
    """The worker's key cache for ``keys``, and the listener that keeps it honest (to run) if any."""
    if keys.announces_changes:
        cache = KeyCache(seconds, size, active=False)  # on once subscribed
        return cache, keys.listener(cache) if cache.enabled else None
    return KeyCache(min(seconds, UNANNOUNCED_SECONDS), size), None


__all__ = ["CHANNEL", "KeyChangeListener", "KeyChangeUnconfirmed", "announce", "key_cache_for"]
