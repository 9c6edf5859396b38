"""Key changes announced to the workers' key caches over the embedded store's pub/sub (real FalkorDB)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from api.auth import AuthError, Authenticator
from api.settings import load_settings
from graph.access import Role
from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from graph.key_events import CHANNEL, KeyChangeListener, KeyChangeUnconfirmed, announce
from graph.keys import ApiKey, RedisKeyStore, key_store_for, new_key

PEPPER = b"p" * 64


class CountingKeys(RedisKeyStore):
    """The real Redis adapter, counting the key reads (store round trips) it makes."""

    gets = 0

    async def get(self, key_id: str) -> ApiKey | None:
        self.gets += 1
        return await super().get(key_id)


@pytest.fixture
async def store(falkordb_server: EmbeddedFalkorDB) -> AsyncIterator[FalkorDBStore]:
    opened = FalkorDBStore(str(falkordb_server.socket_path), "key-events-test")
    try:
        yield opened
    finally:
        names = [name async for name in opened.redis.scan_iter(match="crmgraph:key*")]
        if names:
            await opened.redis.delete(*names)
        await opened.close()


class Worker:
    """One API worker's authenticator with its listener running, on its own connections."""

    def __init__(self, socket_path: str, tmp_path: Path) -> None:
        self.store = FalkorDBStore(socket_path, "key-events-test")
        self.keys = CountingKeys(self.store.redis, None, socket_path)
        self.auth = Authenticator(load_settings(mode="prod", data_dir=tmp_path), self.keys, PEPPER)
        assert self.auth.key_events is not None
        self.listener: KeyChangeListener = self.auth.key_events
        self.task = asyncio.create_task(self.listener.run())

    async def subscribed(self) -> None:
        await asyncio.wait_for(self.listener.subscribed.wait(), 5)

    async def resolve(self, key: str) -> Any:
        return await self.auth.resolve({"x-api-key": key})

    async def close(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.store.close()


@pytest.fixture
async def workers(store: FalkorDBStore, tmp_path: Path) -> AsyncIterator[list[Worker]]:
    started = [Worker(store.socket_path, tmp_path) for _ in range(2)]
    try:
        for worker in started:
            await worker.subscribed()
        yield started
    finally:
        for worker in started:
            await worker.close()


async def test_a_revocation_reaches_every_cached_worker_before_it_returns(
        store: FalkorDBStore, workers: list[Worker]) -> None:
    keys = key_store_for(store)  # the CLI's side: its own connection
    key, record = new_key(PEPPER, Role.ANALYST)
    await keys.put(record)
    for worker in workers:
        for _ in range(5):
            assert (await worker.resolve(key)).key_id == record.id
        assert worker.keys.gets == 1  # read once, then served from the cache
    assert await keys.revoke(record.id) and keys.confirmed == 2
    for worker in workers:
        assert len(worker.auth.key_cache) == 0
        with pytest.raises(AuthError, match="API key revoked"):
            await worker.resolve(key)
    assert await keys.revoke(record.id)  # again: announced again, confirmed again
    await store.redis.publish(CHANNEL, b"not a key change")  # ignored, and the workers go on listening
    assert await keys.revoke(record.id) and keys.confirmed == 2


async def test_an_unsubscribed_worker_reads_the_store_every_time_until_it_is_back(
        store: FalkorDBStore, workers: list[Worker]) -> None:
    worker = workers[0]
    for each in workers:  # a window wide enough to look at them while they are off
        each.listener.retry_seconds = 2.0
    key, record = new_key(PEPPER, Role.EDITOR)
    other, other_record = new_key(PEPPER, Role.EDITOR)
    keys = key_store_for(store)
    await keys.put(record)
    await keys.put(other_record)
    for each in (key, key, other, other):
        await worker.resolve(each)
    assert worker.keys.gets == 2

    await store.redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")  # the channel's connections drop
    for _ in range(100):
        if not worker.listener.subscribed.is_set():
            break
        await asyncio.sleep(0.01)
    assert not worker.auth.key_cache.active and len(worker.auth.key_cache) == 0
    before = worker.keys.gets
    await worker.resolve(key)
    await worker.resolve(key)
    assert worker.keys.gets == before + 2  # bypassed: nothing could be missed meanwhile
    assert await keys.revoke(other_record.id) and keys.confirmed == 0  # nobody listening: none to wait for
    with pytest.raises(AuthError, match="API key revoked"):
        await worker.resolve(other)

    for each in workers:
        await each.subscribed()  # subscribed again by themselves
    before = worker.keys.gets
    assert worker.auth.key_cache.active
    await worker.resolve(key)
    await worker.resolve(key)
    assert worker.keys.gets == before + 1
    assert await key_store_for(store).revoke(record.id)
    with pytest.raises(AuthError, match="API key revoked"):
        await worker.resolve(key)


async def test_a_subscriber_that_does_not_confirm_fails_the_change_loudly(store: FalkorDBStore) -> None:
    silent = store.redis.pubsub()  # subscribed, never acknowledging
    await silent.subscribe(CHANNEL)
    await silent.get_message(timeout=1)
    try:
        with pytest.raises(KeyChangeUnconfirmed, match="1 of 1 API worker"):
            await announce(store.redis, "0123456789ab", timeout=0.3)
    finally:
        await silent.aclose()
    assert await announce(store.redis, "0123456789ab", timeout=0.3) == 0  # nobody listening: nothing to wait for
