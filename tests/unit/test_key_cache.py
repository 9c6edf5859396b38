"""The worker's cache of verified API keys, and the authenticator's use of it (no store: a counting fake)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.auth import AuthError, Authenticator
from api.settings import load_settings
from graph.access import Role
from graph.key_cache import KeyCache
from graph.key_events import UNANNOUNCED_SECONDS, key_cache_for
from graph.keys import ApiKey, KeyStore, digest, new_key

PEPPER = b"p" * 64


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def cache_and_clocks(seconds: float = 30, size: int = 10) -> tuple[KeyCache, Clock, Clock]:
    mono, wall = Clock(), Clock()
    wall.now = datetime.now(UTC).timestamp()
    return KeyCache(seconds, size, clock=mono, wall=wall), mono, wall


def test_a_verified_key_is_served_only_to_its_own_secret() -> None:
    cache, _, _ = cache_and_clocks()
    key, record = new_key(PEPPER, Role.PARTNER, company_id="company:acme", scope_depth=3)
    assert cache.get(record.id, digest(PEPPER, key)) is None
    cache.put(record, cache.epoch)
    assert cache.get(record.id, digest(PEPPER, key)) == record.access()
    wrong = f"crm_{record.id}_{'A' * 43}"
    assert cache.get(record.id, digest(PEPPER, wrong)) is None  # a miss: the store's check decides
    assert cache.get(record.id, digest(PEPPER, key)) == record.access()  # the entry was left alone
    assert cache.get(record.id, "") is None


def test_an_entry_expires_after_the_cache_lifetime_or_with_the_key_whichever_is_first() -> None:
    cache, mono, wall = cache_and_clocks(seconds=30)
    key, record = new_key(PEPPER, Role.ADMIN)
    cache.put(record, cache.epoch)
    mono.now += 29.9
    assert cache.get(record.id, digest(PEPPER, key)) is not None
    mono.now += 0.1
    assert cache.get(record.id, digest(PEPPER, key)) is None and len(cache) == 0

    soon = datetime.fromtimestamp(wall.now, UTC) + timedelta(seconds=5)
    key, record = new_key(PEPPER, Role.ADMIN, expires=soon)
    cache.put(record, cache.epoch)
    wall.now += 4.9
    assert cache.get(record.id, digest(PEPPER, key)) is not None
    wall.now += 0.1
    assert cache.get(record.id, digest(PEPPER, key)) is None and len(cache) == 0


def test_the_size_bound_evicts_the_least_recently_used() -> None:
    cache, _, _ = cache_and_clocks(size=3)
    made = [new_key(PEPPER, Role.ANALYST) for _ in range(4)]
    for _, record in made[:3]:
        cache.put(record, cache.epoch)
    assert cache.get(made[0][1].id, digest(PEPPER, made[0][0])) is not None  # the first is now the newest
    cache.put(made[3][1], cache.epoch)
    assert len(cache) == 3
    assert cache.get(made[1][1].id, digest(PEPPER, made[1][0])) is None
    assert all(cache.get(r.id, digest(PEPPER, k)) is not None for k, r in (made[0], made[2], made[3]))


def test_off_suspended_revoked_or_read_before_a_change_is_not_kept() -> None:
    key, record = new_key(PEPPER, Role.ADMIN)
    off = KeyCache(0, 10)
    off.put(record, off.epoch)
    assert not off.enabled and not off.active and off.get(record.id, digest(PEPPER, key)) is None

    cache, _, _ = cache_and_clocks()
    cache.put(replace(record, revoked=datetime.now(UTC)), cache.epoch)
    assert len(cache) == 0

    read_at = cache.epoch  # a read starts, a change of another key is announced, the read ends
    cache.drop("0123456789ab")
    cache.put(record, read_at)
    assert len(cache) == 0

    cache.put(record, cache.epoch)
    cache.drop(record.id)
    assert cache.get(record.id, digest(PEPPER, key)) is None

    cache.put(record, cache.epoch)
    cache.suspend()
    assert not cache.active and len(cache) == 0
    cache.put(record, cache.epoch)
    assert len(cache) == 0
    cache.resume()
    cache.put(record, cache.epoch)
    assert cache.active and cache.get(record.id, digest(PEPPER, key)) is not None


class CountingKeys(KeyStore):
    """Key records in a dict; counts reads and writes (the round trips a store would see)."""

    def __init__(self, announces: bool = False) -> None:
        super().__init__()
        self.announces_changes = announces
        self.records: dict[str, ApiKey] = {}
        self.gets = 0
        self.sets: list[tuple[str, str]] = []

    async def put(self, record: ApiKey) -> None:
        self.records[record.id] = record

    async def get(self, key_id: str) -> ApiKey | None:
        self.gets += 1
        await asyncio.sleep(0)
        return self.records.get(key_id)

    async def all(self) -> list[ApiKey]:
        return list(self.records.values())

    async def _set(self, key_id: str, field: str, value: str) -> bool:
        self.sets.append((key_id, field))
        if key_id in self.records and field == "revoked":
            self.records[key_id] = replace(self.records[key_id], revoked=datetime.fromisoformat(value))
        return key_id in self.records


def authenticator(tmp_path: Path, keys: KeyStore, **settings: object) -> Authenticator:
    return Authenticator(load_settings(mode="prod", data_dir=tmp_path, **settings), keys, PEPPER)


async def test_a_cached_key_costs_no_store_read_and_a_wrong_secret_still_does(tmp_path: Path) -> None:
    keys = CountingKeys()
    auth = authenticator(tmp_path, keys)
    key, record = new_key(PEPPER, Role.EDITOR, name="ci")
    await keys.put(record)
    for _ in range(5):
        assert (await auth.resolve({"x-api-key": key})) == record.access()
    assert keys.gets == 1
    await asyncio.sleep(0.01)
    assert keys.sets == [(record.id, "last_used")]  # once, off the request's path

    for _ in range(3):  # a guesser of a cached id: refused, asks the store like any unknown key
        with pytest.raises(AuthError, match="invalid API key"):
            await auth.resolve({"x-api-key": f"crm_{record.id}_{'A' * 43}"})
    assert keys.gets == 4
    unknown = f"crm_000000000000_{'A' * 43}"
    for _ in range(2):  # refusals are never cached
        with pytest.raises(AuthError, match="invalid API key"):
            await auth.resolve({"x-api-key": unknown})
    assert keys.gets == 6
    assert (await auth.resolve({"x-api-key": key})) == record.access() and keys.gets == 6


async def test_off_every_request_reads_the_key(tmp_path: Path) -> None:
    keys = CountingKeys()
    auth = authenticator(tmp_path, keys, key_cache_seconds=0)
    key, record = new_key(PEPPER, Role.EDITOR)
    await keys.put(record)
    for _ in range(3):
        await auth.resolve({"x-api-key": key})
    assert keys.gets == 3


async def test_where_changes_are_announced_the_cache_waits_for_the_channel(tmp_path: Path) -> None:
    keys = CountingKeys(announces=True)  # like Redis, but with no listener to run: stays off
    auth = authenticator(tmp_path, keys)
    key, record = new_key(PEPPER, Role.EDITOR)
    await keys.put(record)
    for _ in range(3):
        await auth.resolve({"x-api-key": key})
    assert keys.gets == 3 and auth.key_events is None and not auth.key_cache.active


def test_without_a_channel_a_key_is_kept_a_second_at_most() -> None:
    cache, listener = key_cache_for(CountingKeys(), 30, 100)
    assert cache.seconds == UNANNOUNCED_SECONDS and cache.active and listener is None
    cache, _ = key_cache_for(CountingKeys(), 0, 100)
    assert not cache.enabled


async def test_a_presented_key_is_hashed_once_and_the_memo_stays_bounded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import api.auth

    hashed: list[str] = []
    monkeypatch.setattr(api.auth, "digest", lambda pepper, key: hashed.append(key) or digest(pepper, key))
    keys = CountingKeys()
    auth = authenticator(tmp_path, keys, key_cache_size=16)
    key, record = new_key(PEPPER, Role.EDITOR)
    await keys.put(record)
    for _ in range(5):
        assert (await auth.resolve({"x-api-key": key})) == record.access()
    assert hashed == [key]
    for i in range(100):  # a flood of made-up keys: each refused, the memo never past its bound
        with pytest.raises(AuthError, match="invalid API key"):
            await auth.resolve({"x-api-key": f"crm_{i:012d}_{'A' * 43}"})
        assert len(auth._digests) <= 16
    assert (await auth.resolve({"x-api-key": key})) == record.access()
    with pytest.raises(AuthError, match="invalid API key"):  # the memo holds digests, never verdicts
        await auth.resolve({"x-api-key": key[:-1] + ("B" if key[-1] != "B" else "C")})
