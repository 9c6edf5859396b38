"""Key records and rate-limit buckets in a real store: both adapters of each port."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from api.ratelimit import LocalRateLimiter, RateLimiter, RedisRateLimiter
from graph.access import Role
from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from graph.keys import GraphKeyStore, KeyStore, RedisKeyStore, key_store_for, new_key
from graph.store import Store

PEPPER = b"p" * 64


@pytest.fixture
async def falkordb(falkordb_server: EmbeddedFalkorDB) -> AsyncIterator[FalkorDBStore]:
    store = FalkorDBStore(str(falkordb_server.socket_path), "keys-test")
    await _forget(store)  # the server is shared with the graphs of other tests: only our keys go
    try:
        yield store
    finally:
        await _forget(store)
        await store.close()


async def _forget(store: FalkorDBStore) -> None:
    names = [name async for name in store.redis.scan_iter(match="crmgraph:*")]
    if names:
        await store.redis.delete(*names)


@pytest.fixture(params=["redis", "graph"])
async def keys(request: pytest.FixtureRequest, falkordb: FalkorDBStore, empty_store: Store) -> KeyStore:
    if request.param == "redis":
        return RedisKeyStore(falkordb.redis)
    return GraphKeyStore(empty_store)  # Neo4j's adapter, run here on each backend's Cypher


def test_each_store_gets_its_own_kind_of_key_store(falkordb: FalkorDBStore) -> None:
    assert isinstance(key_store_for(falkordb), RedisKeyStore)


async def test_key_lifecycle_in_the_store(keys: KeyStore) -> None:
    _, first = new_key(PEPPER, Role.PARTNER, name="acme", company_id="company:acme", scope_depth=3)
    _, second = new_key(PEPPER, Role.ADMIN)
    await keys.put(first)
    await keys.put(second)
    assert await keys.get(first.id) == first
    assert await keys.get("000000000000") is None
    assert {k.id for k in await keys.all()} == {first.id, second.id}
    await keys.touch(first.id)
    await keys.touch(first.id)  # within the minute: not written again
    used = await keys.get(first.id)
    assert used is not None and used.last_used is not None
    assert await keys.revoke(first.id)
    revoked = await keys.get(first.id)
    assert revoked is not None and revoked.revoked is not None and revoked.last_used == used.last_used
    assert not await keys.revoke("000000000000")
    assert await keys.get("000000000000") is None  # revoking an unknown id made no stub


async def test_key_nodes_stay_out_of_the_graph_the_api_reads(empty_store: Store) -> None:
    await GraphKeyStore(empty_store).put(new_key(PEPPER, Role.ADMIN)[1])
    assert await empty_store.read("MATCH (n:Entity) RETURN count(n) AS n") == [{"n": 0}]
    rows = await empty_store.read("MATCH (k:ApiKey) RETURN properties(k) AS p")
    assert len(rows) == 1 and "keyId" in rows[0]["p"] and "id" not in rows[0]["p"]


@pytest.fixture(params=["redis", "local"])
def limiter(request: pytest.FixtureRequest, falkordb: FalkorDBStore) -> RateLimiter:
    return RedisRateLimiter(falkordb.redis, 1.0) if request.param == "redis" else LocalRateLimiter(1.0)


async def test_the_bucket_counts_down_refuses_at_the_limit_and_refills(limiter: RateLimiter) -> None:
    verdicts = [await limiter.take("key:a", 4) for _ in range(5)]
    assert [v.remaining for v in verdicts if v] == [3, 2, 1, 0, 0]
    assert [v.allowed for v in verdicts if v] == [True, True, True, True, False]
    refused = verdicts[-1]
    assert refused is not None and refused.retry_after == 1 and refused.reset == 1 and refused.limit == 4
    assert dict(refused.headers())[b"retry-after"] == b"1"
    other = await limiter.take("key:b", 4)  # buckets are per caller
    assert other is not None and other.allowed and other.remaining == 3
    await asyncio.sleep(refused.retry_after)
    again = await limiter.take("key:a", 4)
    assert again is not None and again.allowed
    assert await limiter.take("key:a", 0) is None  # 0: unlimited


async def test_concurrent_takes_never_overdraw_the_shared_bucket(falkordb: FalkorDBStore) -> None:
    limiter = RedisRateLimiter(falkordb.redis, 3600.0)
    start = time.monotonic()
    verdicts = await asyncio.gather(*(limiter.take("key:busy", 25) for _ in range(60)))
    assert sum(v.allowed for v in verdicts if v) == 25
    assert time.monotonic() - start < 30  # does not hang


def _counting(limiter: RedisRateLimiter) -> list[int]:
    """The store calls ``limiter`` makes: the tokens each one asked for."""
    calls: list[int] = []
    call = limiter._call

    async def counted(bucket: str, capacity: int, per_ms: float, want: int, back: int) -> tuple[int, int, float, float]:
        calls.append(want)
        return await call(bucket, capacity, per_ms, want, back)

    limiter._call = counted  # type: ignore[method-assign]
    return calls


async def test_a_busy_caller_leases_tokens_in_batches(falkordb: FalkorDBStore) -> None:
    limiter = RedisRateLimiter(falkordb.redis, 3600.0, workers=2)
    assert limiter.lease_size(800) == 32 and limiter.lease_size(160) == 10 and limiter.lease_size(15) == 1
    calls = _counting(limiter)
    verdicts = [await limiter.take("key:lease", 800) for _ in range(40)]
    assert calls == [32, 32]  # two store round trips for 40 requests
    assert [v.remaining for v in verdicts if v] == list(range(799, 759, -1))  # still one less per request
    assert all(v is not None and v.allowed and v.limit == 800 for v in verdicts)


async def test_leases_of_two_workers_never_overdraw_and_refuse_only_an_empty_bucket(falkordb: FalkorDBStore) -> None:
    workers = [RedisRateLimiter(falkordb.redis, 3600.0, workers=2) for _ in range(2)]
    allowed = [0, 0]
    refused = [False, False]
    while not all(refused):
        for i, limiter in enumerate(workers):
            verdict = await limiter.take("key:shared", 160)
            assert verdict is not None
            if verdict.allowed:
                assert not refused[i]  # once the shared bucket is empty it stays so (no refill to speak of)
                allowed[i] += 1
            else:
                refused[i] = True
                assert verdict.remaining == 0 and verdict.retry_after >= 1
    assert sum(allowed) == 160 and min(allowed) >= 70  # exact here: every leased token was spent


async def test_an_expired_lease_goes_back_to_the_bucket(falkordb: FalkorDBStore) -> None:
    limiter = RedisRateLimiter(falkordb.redis, 3600.0)
    limiter.lease_seconds = 0.05
    calls = _counting(limiter)
    first = await limiter.take("key:idle", 800)
    assert first is not None and first.remaining == 799
    await asyncio.sleep(0.1)
    second = await limiter.take("key:idle", 800)  # the 31 unspent tokens went back first
    assert second is not None and second.allowed and second.remaining == 798 and calls == [32, 32]
    other = RedisRateLimiter(falkordb.redis, 3600.0)  # another worker: 3 spent, 31 leased to the first
    third = await other.take("key:idle", 800)
    assert third is not None and third.remaining == 800 - 3 - 31
