"""The service keeps the analytics snapshots: with its real lifespan and a 1 s staleness
setting, answers come from snapshots that are never older than the setting and equal a
fresh computation; ``crmgraph analytics refresh`` forces one."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from starlette.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.settings import load_settings
from graph.analytics.snapshots import latest
from graph.analytics.state import RFM
from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from seeds.loader import load
from seeds.stories import build
from tests.credentials import LOCAL

SEGMENTS = "{ segmentSummary%s { segment customers revenue { amount currency } snapshot { asOf computedAt stalenessSeconds fresh } } }"
RFM_DOC = '{ person(id: "person:john-smith") { rfm { score snapshot { stalenessSeconds fresh } } } }'
STATS = "{ referralStats { month invites converted snapshot { stalenessSeconds fresh } } }"


def seed(data_dir: Path) -> None:
    server = EmbeddedFalkorDB(data_dir)
    server.start()

    async def go() -> None:
        store = FalkorDBStore(str(server.socket_path), "crm")
        await store.ensure_schema()
        await load(store, build())
        await store.close()

    try:
        asyncio.run(go())
    finally:
        server.stop()


def test_service_answers_from_snapshots_within_the_staleness_setting(tmp_path: Path) -> None:
    seed(tmp_path)
    setting = 1.0
    with TestClient(create_app(load_settings(data_dir=tmp_path, analytics_max_staleness=setting,
                                             rate_limit_anonymous=0)), base_url=LOCAL) as client:
        def ask(query: str) -> dict:
            body = client.post("/graphql", json={"query": query}).json()
            assert "errors" not in body, body
            return body["data"]

        deadline = time.monotonic() + 20  # the first refresh: does not hang
        while ask(SEGMENTS % "")["segmentSummary"][0]["snapshot"]["fresh"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        served = {"segments": 0, "rfm": 0, "stats": 0}
        stop = time.monotonic() + 3.0
        while time.monotonic() < stop:
            for key, query, pick in (("segments", SEGMENTS % "", lambda d: d["segmentSummary"]),
                                     ("rfm", RFM_DOC, lambda d: [d["person"]["rfm"]]),
                                     ("stats", STATS, lambda d: d["referralStats"])):
                for item in pick(ask(query)):
                    assert item["snapshot"]["stalenessSeconds"] <= setting
                    served[key] += not item["snapshot"]["fresh"]
            time.sleep(0.05)
        assert all(served.values()), served  # each analytic was answered from a snapshot
        # The snapshot's figures are the fresh computation's (nothing was written meanwhile).
        snap, fresh = ask(SEGMENTS % "")["segmentSummary"], ask(SEGMENTS % "(fresh: true)")["segmentSummary"]
        assert {s["snapshot"]["fresh"] for s in fresh} == {True}
        assert [(s["segment"], s["customers"]) for s in snap] == [(s["segment"], s["customers"]) for s in fresh]
        assert sum(s["customers"] for s in snap) > 0

    # The command line forces a refresh on the stopped service's store.
    result = CliRunner().invoke(cli, ["analytics", "refresh", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "rfm: refreshed" in result.output and "referrals: refreshed" in result.output
    server = EmbeddedFalkorDB(tmp_path)
    server.start()

    async def newest() -> float:
        store = FalkorDBStore(str(server.socket_path), "crm")
        try:
            found = await latest(store, RFM, values=False)
            assert found is not None
            return found[0].staleness()
        finally:
            await store.close()

    try:
        assert asyncio.run(newest()) < 60  # the one the command just wrote
    finally:
        server.stop()


STOP_LOOP = """
import random, sys, tempfile, time
from pathlib import Path
from starlette.testclient import TestClient
from api.app import create_app
from api.settings import load_settings
rng = random.Random(1)
for _ in range(12):
    with tempfile.TemporaryDirectory() as d:
        with TestClient(create_app(load_settings(data_dir=Path(d))), base_url="http://127.0.0.1") as client:
            time.sleep(rng.random() * 0.3)  # stop at a random point of the first refresh
            client.post("/graphql", json={"query": "{ segmentSummary { customers } }"})
print("stopped 12 times")
"""


def test_service_stops_while_the_refresher_is_busy() -> None:
    """Stopping the app mid-refresh used to hang its shutdown (a store call from a
    cancelled refresher); twelve starts and stops at random points must finish."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", STOP_LOOP], capture_output=True, text=True, timeout=240,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    assert "stopped 12 times" in done.stdout
