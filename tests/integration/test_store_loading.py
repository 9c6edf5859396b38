"""The embedded store is waited for while it loads its data, however long past the start timeout."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import redis

from graph.connect import wait_until_loaded
from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from graph.loading import Loading, loading_from_info, parse_info, probe
from tests.e2e.test_serve_loading import SLOW_LOAD, _folder_that_loads_slowly


def test_info_fields_become_progress() -> None:
    info = parse_info("# Persistence\r\nloading:1\r\nloading_start_time:1796103436\r\n"
                      "loading_total_bytes:60985\r\nloading_loaded_bytes:18158\r\n"
                      "loading_loaded_perc:29.77\r\nloading_eta_seconds:2\r\n")
    state = loading_from_info(info)
    assert state == Loading(18158, 60985, 29.77, 2, 1796103436)
    assert state.as_json()["percent"] == 29.8 and "30%" in state.describe()
    assert loading_from_info({"loading": "0"}) is None
    assert loading_from_info({"loading": 1, "loading_eta_seconds": -1}).eta_seconds is None  # type: ignore[union-attr]


def test_start_waits_for_a_load_longer_than_the_start_timeout(tmp_path: Path) -> None:
    _folder_that_loads_slowly(tmp_path, keys=8)  # about 4 s of loading
    seen: list[Loading] = []
    server = EmbeddedFalkorDB(tmp_path, start_timeout=1.5, extra_args=tuple(SLOW_LOAD.split()))
    started = time.monotonic()
    server.start(on_progress=seen.append)
    try:
        assert time.monotonic() - started > 1.5  # past the start timeout, and not given up on
        assert seen and all(0 <= s.percent <= 100 for s in seen)
        assert probe(server.socket_path).state == "up"
        client = redis.Redis(unix_socket_path=str(server.socket_path))
        assert client.get("test:pad:0") is not None  # the data is there
        client.close()
    finally:
        server.stop()


def test_start_can_return_while_loading_and_the_adapter_says_so(tmp_path: Path) -> None:
    _folder_that_loads_slowly(tmp_path, keys=20)  # about 10 s: each round trip waits for a key
    server = EmbeddedFalkorDB(tmp_path, start_timeout=5, extra_args=tuple(SLOW_LOAD.split()))
    server.start(wait_loaded=False)

    async def check() -> None:
        store = FalkorDBStore(str(server.socket_path))
        try:
            state = await store.loading(timeout=10)  # the test's store answers between slow keys
            assert state is not None and state.total_bytes > 0
            seen: list[Loading] = []
            await asyncio.wait_for(wait_until_loaded(store, 0.1, seen.append), 60)
            assert await store.loading() is None
            await store.ensure_schema()
            await store.ping()
        finally:
            await store.close()

    try:
        assert probe(server.socket_path).state == "loading"
        asyncio.run(check())
    finally:
        server.stop()
