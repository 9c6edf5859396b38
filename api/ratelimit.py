"""Rate limits: a token bucket per caller, in requests.

Each role has a bucket of ``limit`` requests that refills evenly over ``window`` seconds
(settings ``rate_limit_<role>``, ``rate_limit_window``). A request takes one token; with
none left it is refused with 429 and ``Retry-After`` before anything runs.

- Embedded FalkorDB: the buckets live in its Redis server and one Lua script takes tokens
  atomically, so all workers of the service share them (time from the server's clock).
  A worker *leases* tokens: one script call takes up to ``k`` tokens of the shared bucket
  and the worker spends them locally, so a busy caller costs one store round trip per
  ``k`` requests instead of one per request. ``k = min(limit // (8 x workers), 32)``, at
  least 1: small limits (under 16 per window per worker) stay exact, one round trip per
  request. A lease is spent within ``LEASE_SECONDS`` (or an eighth of the window, if
  shorter); what is left then goes back to the bucket with the worker's next call. While
  a worker holds one lease call in flight per bucket, its other requests for that bucket
  wait for it instead of sending their own.

  Bounds. The shared bucket never goes below zero and a request is refused only when the
  bucket itself is empty (a refusal is exact; tokens leased to another worker are not
  lent). Leased tokens are taken from the bucket before they are spent, while the bucket
  keeps refilling, so over any interval a caller may pass at most ``workers x k``
  requests more than the exact bucket would admit: at most ``limit / 8``. Its
  ``RateLimit-Remaining`` is the bucket's tokens at the last lease plus this worker's
  unspent ones: it counts down one per request, and may overstate by the other workers'
  unspent leases (at most ``(workers - 1) x k``).
- Neo4j: there is no shared Redis, so each worker keeps its own buckets in memory: with
  N workers (or N hosts) a caller gets up to N x the limit. Put a shared limiter (or the
  load balancer's) in front when that matters.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

# Takes up to ARGV[3] tokens, after putting back ARGV[4] unspent leased ones.
# Returns {tokens granted, tokens left (floor), ms until one token, ms until full}.
# REPL_NONE keeps the counters out of the append-only file: they need no durability, and
# with `appendfsync always` every take would otherwise wait for an fsync (3 ms measured).
_TAKE = """
redis.set_repl(redis.REPL_NONE)
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local back = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then tokens = capacity; at = now end
tokens = math.min(capacity, tokens + math.max(0, now - at) * per_ms + back)
local granted = math.max(0, math.min(want, math.floor(tokens)))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
local to_full = math.ceil((capacity - tokens) / per_ms)
redis.call('PEXPIRE', KEYS[1], to_full + 1000)
local to_one = 0
if tokens < 1 then to_one = math.ceil((1 - tokens) / per_ms) end
return {granted, math.floor(tokens), to_one, to_full}
"""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the bucket is full again
    retry_after: int  # seconds until the next request can pass (0 when allowed)

    def headers(self) -> list[tuple[bytes, bytes]]:
        out = [(b"ratelimit-limit", str(self.limit).encode()),
               (b"ratelimit-remaining", str(self.remaining).encode()),
               (b"ratelimit-reset", str(self.reset).encode())]
        if not self.allowed:
            out.append((b"retry-after", str(self.retry_after).encode()))
        return out


class RateLimiter(ABC):
    def __init__(self, window: float) -> None:
        self.window = window

    async def take(self, bucket: str, limit: int) -> Verdict | None:
        """Take one token from ``bucket`` (capacity ``limit``); None when unlimited."""
        if limit <= 0:
            return None
        allowed, remaining, to_one_ms, to_full_ms = await self._take(bucket, limit, limit / (self.window * 1000))
        return Verdict(bool(allowed), limit, max(0, int(remaining)), math.ceil(to_full_ms / 1000),
                       0 if allowed else max(1, math.ceil(to_one_ms / 1000)))

    @abstractmethod
    async def _take(self, bucket: str, capacity: int, per_ms: float) -> tuple[int, int, float, float]: ...


WORKERS_ENV = "CRMGRAPH_SERVE_WORKERS"
"""Set by ``crmgraph serve``: how many workers share the buckets (sizes the leases)."""
LEASE_MAX = 32
LEASE_SECONDS = 1.0
MAX_BUCKETS = 100_000


def serve_workers() -> int:
    try:
        return max(1, int(os.environ.get(WORKERS_ENV, "1")))
    except ValueError:
        return 1


@dataclass
class _Lease:
    """Tokens of one bucket this worker took from the store and has not spent yet."""

    tokens: int = 0
    expires: float = 0.0  # time.monotonic() after which the rest goes back
    remaining: int = 0  # the shared bucket's tokens (floor) right after the lease
    reset: int = 0
    pending: asyncio.Future[Verdict | None] | None = None  # the lease call in flight


class RedisRateLimiter(RateLimiter):
    """Buckets in Redis, shared by every worker; tokens leased in batches (module docs)."""

    def __init__(self, redis: Any, window: float, workers: int = 1, lease_max: int = LEASE_MAX) -> None:
        super().__init__(window)
        self._script = redis.register_script(_TAKE)
        self.workers = max(1, workers)
        self.lease_max = lease_max
        self.lease_seconds = min(LEASE_SECONDS, window / 8)
        self._leases: dict[str, _Lease] = {}

    def lease_size(self, limit: int) -> int:
        return max(1, min(limit // (8 * self.workers), self.lease_max))

    async def take(self, bucket: str, limit: int) -> Verdict | None:
        size = self.lease_size(limit) if limit > 0 else 1
        if size == 1:
            return await super().take(bucket, limit)  # exact: one round trip per request
        while True:
            lease = self._leases.get(bucket)
            if lease is None:
                if len(self._leases) >= MAX_BUCKETS:
                    self._leases.clear()  # a flood of callers: their unspent leases are dropped
                lease = self._leases[bucket] = _Lease()
            if lease.tokens > 0 and time.monotonic() < lease.expires:
                lease.tokens -= 1
                return Verdict(True, limit, lease.remaining + lease.tokens, lease.reset, 0)
            if lease.pending is None:
                return await self._lease(lease, bucket, limit, size)
            refused = await asyncio.shield(lease.pending)
            if refused is not None and lease.tokens == 0:
                return refused  # the bucket was empty a moment ago, for this request too

    async def _lease(self, lease: _Lease, bucket: str, limit: int, size: int) -> Verdict:
        back, lease.tokens = lease.tokens, 0  # expired: what is left goes back to the bucket
        done = lease.pending = asyncio.get_running_loop().create_future()
        refused: Verdict | None = None
        try:
            granted, remaining, to_one, to_full = await self._call(bucket, limit, limit / (self.window * 1000),
                                                                   size, back)
            lease.remaining, lease.reset = max(0, remaining), math.ceil(to_full / 1000)
            if granted < 1:
                refused = Verdict(False, limit, lease.remaining, lease.reset, max(1, math.ceil(to_one / 1000)))
                return refused
            lease.tokens, lease.expires = granted - 1, time.monotonic() + self.lease_seconds
            return Verdict(True, limit, lease.remaining + lease.tokens, lease.reset, 0)
        finally:
            lease.pending = None
            done.set_result(refused)

    async def _take(self, bucket: str, capacity: int, per_ms: float) -> tuple[int, int, float, float]:
        return await self._call(bucket, capacity, per_ms, 1, 0)

    async def _call(self, bucket: str, capacity: int, per_ms: float, want: int,
                    back: int) -> tuple[int, int, float, float]:
        granted, remaining, to_one, to_full = await self._script(keys=[f"crmgraph:rate:{bucket}"],
                                                                 args=[capacity, repr(per_ms), want, back])
        return int(granted), int(remaining), float(to_one), float(to_full)


class LocalRateLimiter(RateLimiter):
    """Buckets in this process (Neo4j deployments): per worker, see the module docs."""

    MAX_BUCKETS = MAX_BUCKETS

    def __init__(self, window: float) -> None:
        super().__init__(window)
        self._buckets: dict[str, tuple[float, float]] = {}

    async def _take(self, bucket: str, capacity: int, per_ms: float) -> tuple[int, int, float, float]:
        now = time.monotonic() * 1000
        tokens, at = self._buckets.get(bucket, (float(capacity), now))
        tokens = min(capacity, tokens + max(0.0, now - at) * per_ms)
        allowed = tokens >= 1
        if allowed:
            tokens -= 1
        if len(self._buckets) >= self.MAX_BUCKETS:
            self._buckets.clear()  # a flood of new callers: start over rather than grow
        self._buckets[bucket] = (tokens, now)
        to_one = 0.0 if tokens >= 1 else (1 - tokens) / per_ms
        return int(allowed), math.floor(tokens), to_one, (capacity - tokens) / per_ms


def rate_limiter_for(store: Any, window: float, workers: int | None = None) -> RateLimiter:
    redis = getattr(store, "redis", None)
    if redis is None:
        return LocalRateLimiter(window)
    return RedisRateLimiter(redis, window, workers if workers is not None else serve_workers())
