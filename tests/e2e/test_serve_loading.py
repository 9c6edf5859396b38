"""`crmgraph serve` on a store that is still loading its data: it waits, says so, then serves.

A real load is made to last: the data folder holds 60 keys in the snapshot part of its
append-only file, and the store is started with ``--key-load-delay`` (0.5 s a key) and
progress events every kilobyte, so it spends about 30 s loading, answering ``-LOADING``
with its progress, as it does for minutes on a graph of millions of nodes (long enough
for the HTTP worker to be up on a busy machine: it took 8-13 s here).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest
import redis

from graph.embedded import EmbeddedFalkorDB
from tests.e2e.test_serve import Service, services  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e

SLOW_LOAD = "--key-load-delay 500000 --loading-process-events-interval-bytes 1024"


def _folder_that_loads_slowly(data_dir: Path, keys: int = 60) -> None:
    with EmbeddedFalkorDB(data_dir) as server:
        client = redis.Redis(unix_socket_path=str(server.socket_path))
        for i in range(keys):
            client.set(f"test:pad:{i}", os.urandom(3000))
        client.bgrewriteaof()  # into the snapshot part, which is what loads key by key
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            info = client.info("persistence")
            if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
                break
            time.sleep(0.05)
        client.close()


def test_serve_waits_for_a_loading_store_and_reports_it(tmp_path: Path, services: list[Service]) -> None:  # noqa: F811
    _folder_that_loads_slowly(tmp_path)
    service = Service(tmp_path, env={"CRMGRAPH_STORE_SERVER_ARGS": SLOW_LOAD,
                                     "CRMGRAPH_STORE_START_TIMEOUT": "3"})  # shorter than the load
    services.append(service)
    loading: list[dict] = []
    refused: list[httpx.Response] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert service.proc.poll() is None, service.stop()[1]
        try:
            ready = httpx.get(service.url + "/readyz", timeout=2)
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        if ready.status_code == 200:
            break
        assert ready.status_code == 503
        body = ready.json()
        if body.get("store") == "loading":
            loading.append(body)
            if not refused:
                refused.append(httpx.post(service.url + "/graphql", json={"query": "{ __typename }"}, timeout=5))
        time.sleep(0.2)
    else:
        raise AssertionError("serve never became ready")

    # While it loaded: /readyz said so, with the store's own figures moving forward.
    assert loading, "the store was never seen loading"
    percents = [b["progress"]["percent"] for b in loading]
    assert all(0 <= p <= 100 for p in percents) and percents == sorted(percents)
    assert loading[0]["status"] == "starting" and loading[0]["progress"]["totalBytes"] > 0
    # ... and a query was refused cleanly, as unavailable for now, not a 500.
    assert refused[0].status_code == 503 and refused[0].headers["retry-after"]
    error = refused[0].json()["errors"][0]
    assert error["extensions"]["code"] == "STORE_UNAVAILABLE" and error["extensions"]["store"] == "loading"

    # Then it serves, on the data it loaded, past the 3 s start timeout.
    answer = httpx.post(service.url + "/graphql", json={"query": "{ __typename }"}, timeout=10)
    assert answer.status_code == 200 and answer.json()["data"] == {"__typename": "Query"}
    code, log = service.stop()
    assert code == 0, log
    assert "loading its data" in log and "loaded its data" in log
