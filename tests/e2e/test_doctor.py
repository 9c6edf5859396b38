"""`crmgraph doctor` against the real embedded store: healthy, an index missing (then
fixed), the store down, prod without keys, and a Neo4j URI nothing answers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis

from graph.embedded import EmbeddedFalkorDB
from tests.e2e.test_keys_serve import create
from tests.e2e.test_serve import CRMGRAPH, free_port

pytestmark = pytest.mark.e2e


def doctor(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, dict[str, str]]]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CRMGRAPH_")}
    environ.update({"CRMGRAPH_DATA_DIR": str(data_dir), **(env or {})})
    result = subprocess.run([CRMGRAPH, "doctor", "--json", *args], env=environ, capture_output=True, text=True,
                            timeout=120)
    checks = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.returncode, {c["name"]: c for c in checks}


def seed(data_dir: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CRMGRAPH_")}
    result = subprocess.run([CRMGRAPH, "seed", "--data-dir", str(data_dir)], env=environ, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_healthy_then_an_index_missing_then_fixed_then_the_store_down(tmp_path: Path) -> None:
    seed(tmp_path)
    code, checks = doctor(tmp_path)
    assert code == 0, checks
    assert all(c["status"] == "ok" for c in checks.values()), checks
    assert checks["store"]["found"].startswith("FalkorDB 4.") and "started for this check" in checks["store"]["found"]
    assert checks["constraints and indexes"]["found"].startswith("all ")
    assert "MB free" in checks["disk"]["found"]

    store = EmbeddedFalkorDB(tmp_path)  # as a running serve would hold it
    store.start()
    try:
        client = redis.Redis(unix_socket_path=str(store.socket_path))
        client.execute_command("GRAPH.QUERY", "crm", "DROP INDEX ON :Person(name)")
        code, checks = doctor(tmp_path)
        assert code == 1
        problem = checks["constraints and indexes"]
        assert problem["status"] == "fail" and problem["found"] == "missing: Person.name"
        assert "crmgraph doctor --fix" in problem["fix"]
        assert "running crmgraph serve" in checks["store"]["found"]

        code, checks = doctor(tmp_path, "--fix")
        assert code == 0 and checks["constraints and indexes"]["found"].startswith("created 1 missing")
        assert doctor(tmp_path)[0] == 0

        assert store.process is not None
        os.kill(store.process.pid, signal.SIGSTOP)  # the store hangs: answers nothing
        try:
            began = time.monotonic()
            code, checks = doctor(tmp_path)
            assert time.monotonic() - began < 60  # reported, not waited for
        finally:
            os.kill(store.process.pid, signal.SIGCONT)
        assert code == 1
        assert checks["store"]["status"] == "fail" and "not reachable" in checks["store"]["found"]
        assert "falkordb.log" in checks["store"]["fix"]
        client.close()
    finally:
        store.stop()


def test_prod_without_keys_is_a_warning(tmp_path: Path) -> None:
    seed(tmp_path)
    code, checks = doctor(tmp_path, env={"CRMGRAPH_MODE": "prod"})
    assert code == 0 and checks["keys"]["status"] == "warn"  # a fresh deployment: sound, but no caller yet
    assert "crmgraph keys create --role admin" in checks["keys"]["fix"]
    assert "CRMGRAPH_METRICS_TOKEN" in checks["metrics"]["fix"]
    create(tmp_path, "--role", "admin", "--name", "operator")
    code, checks = doctor(tmp_path, env={"CRMGRAPH_MODE": "prod", "CRMGRAPH_METRICS_TOKEN": "t" * 24})
    assert code == 0, checks
    assert checks["keys"]["found"].startswith("1 usable API keys (1 admin)")
    assert checks["key pepper"]["found"].endswith("(0600)")


def test_unreachable_neo4j_and_bad_settings(tmp_path: Path) -> None:
    uri = f"bolt://127.0.0.1:{free_port()}"  # nothing listens there
    code, checks = doctor(tmp_path, env={"CRMGRAPH_DATABASE_URI": uri, "CRMGRAPH_DATABASE_PASSWORD": "pw-not-shown"})
    assert code == 1 and checks["store"]["status"] == "fail"
    assert "CRMGRAPH_DATABASE_URI" in checks["store"]["fix"]
    assert checks["key pepper"]["status"] == "warn" and "disk" not in checks
    assert "pw-not-shown" not in json.dumps(checks)
    code, checks = doctor(tmp_path, env={"CRMGRAPH_QUERY_TIMEOUT": "-1"})
    assert code == 1 and "CRMGRAPH_QUERY_TIMEOUT" in checks["settings"]["found"]
