"""Bulk import and export against real stores: round trip, rejected lines, reruns,
interruption, and a store killed in the middle of an import."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from graph.io.exporter import export_lines, neighbourhood
from graph.io.importer import Importer, Source
from graph.io.rows import RowError
from graph.store import Store, StoreUnavailableError
from seeds.loader import load
from seeds.stories import build
from seeds.synthetic import SyntheticSpec, import_lines
from tests.integration.test_seeds import fingerprint

EXAMPLES = Path(__file__).resolve().parents[2] / "seeds" / "examples"


def canonical(lines: list[dict[str, Any]]) -> set[bytes]:
    return {orjson.dumps(line, option=orjson.OPT_SORT_KEYS) for line in lines}


async def exported(store: Store, scope: list[str] | None = None) -> list[dict[str, Any]]:
    return [line async for line in export_lines(store, scope)]


def write_lines(path: Path, lines: list[Any]) -> Path:
    path.write_bytes(b"".join((orjson.dumps(x) if not isinstance(x, bytes) else x) + b"\n" for x in lines))
    return path


def synthetic_lines(spec: SyntheticSpec) -> list[dict[str, Any]]:
    return list(import_lines(spec))


async def test_round_trip_gives_the_same_graph(empty_store: Store, tmp_path: Path) -> None:
    await load(empty_store, build())
    await empty_store.write("MATCH (p:Entity {id: 'person:john-smith'}) "
                            "CREATE (:Entity:Alias {id: 'person:j-smith'})-[:ALIAS_OF]->(p)")
    before_lines, before = await exported(empty_store), await fingerprint(empty_store)
    file = write_lines(tmp_path / "crm.jsonl", before_lines)
    await empty_store.clear()
    report = await Importer(empty_store, batch=17).run(Source(file))
    assert report.rejected == 0 and report.written == len(before_lines)
    assert await fingerprint(empty_store) == before
    assert canonical(await exported(empty_store)) == canonical(before_lines)


async def test_neighbourhood_export(seeded_store: Store) -> None:
    scope = await neighbourhood(seeded_store, "company:xyz-manufacturing", 1)
    assert {"company:abc-steel", "company:apex-motors", "person:linda-martinez"} <= set(scope)
    lines = await exported(seeded_store, scope)
    ids = {line["id"] for line in lines if "node" in line}
    assert ids == set(scope)
    assert all(line["from"] in ids and line["to"] in ids for line in lines if "rel" in line)


async def test_rejected_lines_are_reported_and_the_rest_lands(empty_store: Store, tmp_path: Path) -> None:
    file = write_lines(tmp_path / "mixed.jsonl", [
        {"rel": "WORKS_FOR", "from": "person:a", "to": "company:c", "title": "CTO"},  # before its nodes: fine
        {"node": "Person", "id": "person:a", "name": "A", "age": 30},
        {"node": "Company", "id": "company:c", "name": "C"},
        {"node": "Person", "id": "person:b", "name": "B", "age": "thirty"},
        {"node": "Person", "id": "person:d", "name": "D", "age": -4},
        {"rel": "SUPPLIES", "from": "company:c", "to": "company:nowhere"},
        {"node": "Spaceship", "id": "x"},
        b"{not json",
        {"rel": "SUPPLIES", "from": "company:c", "to": "company:c"},
        {"node": "Product", "id": "product:p", "name": "P", "price": 3.5, "sneaky": "MATCH (n) DETACH DELETE n"},
    ])
    errors: list[RowError] = []
    report = await Importer(empty_store, batch=2, on_rejected=errors.append).run(Source(file))
    reasons = {e.line: e.reason for e in errors}
    assert set(reasons) == {4, 5, 6, 7, 8, 9, 10}
    assert "age" in reasons[4] and "age" in reasons[5] and "Spaceship" in reasons[7]
    assert "no Company" in reasons[6] and "itself" in reasons[9] and "sneaky" in reasons[10]
    assert report.written == 3 and report.rejected == 7
    first = await fingerprint(empty_store)
    assert first[:2] == (2, 1)
    again = await Importer(empty_store, batch=3).run(Source(file))  # idempotent
    assert again.written == 3 and await fingerprint(empty_store) == first


async def test_csv_examples(empty_store: Store) -> None:
    await load(empty_store, build())
    for name, kind in (("people.csv", "Person"), ("companies.csv", "Company"), ("supplies.csv", "SUPPLIES")):
        report = await Importer(empty_store).run(Source(EXAMPLES / name, "csv", kind))
        assert report.rejected == 0 and report.written == 2
    rows = await empty_store.read("MATCH (:Entity {id: 'company:midwest-alloys'})-[r:SUPPLIES]->(c) "
                                  "RETURN c.id AS c, r.products AS p, r.singleSource AS s")
    assert rows == [{"c": "company:xyz-manufacturing", "p": ["steel sheet", "steel coil"], "s": False}]
    report = await Importer(empty_store).run(Source(EXAMPLES / "crm.jsonl"))
    assert report.rejected == 0


async def test_interrupted_import_completes_on_rerun(empty_store: Store, tmp_path: Path) -> None:
    lines = synthetic_lines(SyntheticSpec(people=300, companies=40, products=80, orders=500, seed=2))
    file = write_lines(tmp_path / "big.jsonl", lines)

    class Stop(Exception):
        pass

    def stop_after_three(report: Any) -> None:
        if report.written >= 300:
            raise Stop

    with pytest.raises(Stop):
        await Importer(empty_store, batch=100, on_progress=stop_after_three).run(Source(file))
    partial = await fingerprint(empty_store)
    await Importer(empty_store, batch=100).run(Source(file))
    complete = await fingerprint(empty_store)
    assert partial[0] < complete[0]
    await empty_store.clear()
    await Importer(empty_store, batch=1000).run(Source(file))
    assert await fingerprint(empty_store) == complete


async def test_store_killed_mid_import_then_rerun(tmp_path: Path) -> None:
    lines = synthetic_lines(SyntheticSpec(people=600, companies=60, products=120, orders=1200, seed=4))
    file = write_lines(tmp_path / "crash.jsonl", lines)
    server = EmbeddedFalkorDB(tmp_path / "db")
    server.start()
    store = FalkorDBStore(str(server.socket_path), "crash")
    await store.ensure_schema()

    def kill_after_some(report: Any) -> None:
        if report.written >= 1500 and server.process is not None and server.process.poll() is None:
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait(5)

    with pytest.raises(StoreUnavailableError):
        await Importer(store, batch=250, on_progress=kill_after_some).run(Source(file))
    await store.close()
    server.stop()
    with EmbeddedFalkorDB(tmp_path / "db") as again:
        store = FalkorDBStore(str(again.socket_path), "crash")
        survived = await fingerprint(store)
        assert 0 < survived[0]
        report = await Importer(store, batch=250).run(Source(file))
        assert report.rejected == 0
        recovered = await fingerprint(store)
        await store.clear()
        await Importer(store, batch=5000).run(Source(file))
        assert recovered == await fingerprint(store)
        await store.close()


def test_import_command(tmp_path: Path) -> None:
    crmgraph = str(Path(sys.executable).with_name("crmgraph"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMGRAPH_")}
    env["CRMGRAPH_DATA_DIR"] = str(tmp_path / "data")
    bad = write_lines(tmp_path / "in.jsonl", [{"node": "Person", "id": "person:z", "name": "Z"},
                                              {"node": "Person", "id": "person:y", "name": 7}])
    done = subprocess.run([crmgraph, "import", str(bad)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 rows written, 1 rejected" in " ".join(done.stderr.split())
    report = [orjson.loads(x) for x in (tmp_path / "in.jsonl.rejected.jsonl").read_bytes().splitlines()]
    assert report == [{"line": 2, "reason": "name: Input should be a valid string"}]


def _nodes(socket_path: Path) -> int:
    import redis

    if not socket_path.exists():
        return 0
    try:
        reply = redis.Redis(unix_socket_path=str(socket_path)).execute_command(
            "GRAPH.RO_QUERY", "crm", "MATCH (n:Entity) RETURN count(n)")
        return int(reply[1][0][0])
    except (redis.RedisError, IndexError, ValueError):
        return 0


def test_ctrl_c_says_how_far_it_got_and_a_rerun_completes(tmp_path: Path) -> None:
    crmgraph = str(Path(sys.executable).with_name("crmgraph"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMGRAPH_")}
    env["CRMGRAPH_DATA_DIR"] = str(tmp_path / "data")
    file = write_lines(tmp_path / "big.jsonl", synthetic_lines(SyntheticSpec(
        people=8_000, companies=200, products=500, orders=15_000, interactions=0, seed=9)))
    proc = subprocess.Popen([crmgraph, "import", str(file), "--batch", "250", "--no-bulk"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Interrupt once some batches are in: watch the store the import started.
        socket_path = tmp_path / "data" / "falkordb.sock"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _nodes(socket_path) < 2000:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted in the" in err and "run the same command again" in " ".join(err.split())
    assert "Traceback" not in err
    again = subprocess.run([crmgraph, "import", str(file)], env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    # Into an empty folder: GRAPH.BULK, the same graph as the upserts gave.
    clean_env = {**env, "CRMGRAPH_DATA_DIR": str(tmp_path / "clean")}
    subprocess.run([crmgraph, "import", str(file)], env=clean_env, capture_output=True, timeout=300, check=True)
    exports = [subprocess.run([crmgraph, "export"], env=e, capture_output=True, timeout=120, check=True).stdout
               for e in (env, clean_env)]
    assert canonical([orjson.loads(x) for x in exports[0].splitlines()]) == \
        canonical([orjson.loads(x) for x in exports[1].splitlines()])
