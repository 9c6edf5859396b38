"""Rate limits: a token bucket per caller, in requests.

Each role has a bucket of ``limit`` requests that refills evenly over ``window`` seconds
(settings ``rate_limit_<role>``, ``rate_limit_window``). A request takes one token; with
none left it is refused with 429 and ``Retry-After`` before anything runs.

- Embedded FalkorDB: the buckets live in its Redis server and one Lua script takes a token
  atomically, so all workers of the service share them (time from the server's clock).
- Neo4j: there is no shared Redis, so each worker keeps its own buckets in memory: with
  N workers (or N hosts) a caller gets up to N x the limit. Put a shared limiter (or the
  load balancer's) in front when that matters.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

# Returns {allowed (0/1), tokens left (floor), ms until one token, ms until full}.
# REPL_NONE keeps the counters out of the append-only file: they need no durability, and
# with `appendfsync always` every take would otherwise wait for an fsync (3 ms measured).
_TAKE = """
redis.set_repl(redis.REPL_NONE)
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then tokens = capacity; at = now end
tokens = math.min(capacity, tokens + math.max(0, now - at) * per_ms)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
local to_full = math.ceil((capacity - tokens) / per_ms)
redis.call('PEXPIRE', KEYS[1], to_full + 1000)
local to_one = 0
if tokens < 1 then to_one = math.ceil((1 - tokens) / per_ms) end
return {allowed, math.floor(tokens), to_one, to_full}
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


class RedisRateLimiter(RateLimiter):
    """Buckets in Redis, shared by every worker; one atomic script per request."""

    def __init__(self, redis: Any, window: float) -> None:
        super().__init__(window)
        self._script = redis.register_script(_TAKE)

    async def _take(self, bucket: str, capacity: int, per_ms: float) -> tuple[int, int, float, float]:
        allowed, remaining, to_one, to_full = await self._script(keys=[f"crmgraph:rate:{bucket}"],
                                                                 args=[capacity, repr(per_ms)])
        return int(allowed), int(remaining), float(to_one), float(to_full)


class LocalRateLimiter(RateLimiter):
    """Buckets in this process (Neo4j deployments): per worker, see the module docs."""

    MAX_BUCKETS = 100_000

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


def rate_limiter_for(store: Any, window: float) -> RateLimiter:
    redis = getattr(store, "redis", None)
    return RedisRateLimiter(redis, window) if redis is not None else LocalRateLimiter(window)
