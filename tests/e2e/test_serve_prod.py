"""`crmgraph serve` in prod: one worker per CPU by default (less one for the embedded
store), no access log line per request,
and JSON bodies (orjson) that any JSON parser reads back."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest

from api.cli import default_workers
from api.settings import Mode
from tests.e2e.test_keys_serve import create
from tests.e2e.test_serve import Service, services  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e

LOOKUP = '{ party(id: "person:john-smith") { name ... on Person { age } } }'


def test_prod_defaults(tmp_path: Path, services: list[Service]) -> None:  # noqa: F811
    service = Service(tmp_path, "--seed", env={"CRMGRAPH_MODE": "prod"})
    services.append(service)
    service.wait_ready()
    key = create(tmp_path, "--role", "analyst", "--name", "prod-defaults")  # prod: credentials
    for _ in range(3):
        response = httpx.post(service.url + "/graphql", content=json.dumps({"query": LOOKUP}),
                              headers={"content-type": "application/json", "authorization": f"Bearer {key}"},
                              timeout=30)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert json.loads(response.content)["data"] == {"party": {"name": "John Smith", "age": 35}}
    bad = httpx.post(service.url + "/graphql", content=b"{not json", headers={"content-type": "application/json"})
    assert bad.status_code == 400
    code, out = service.stop()
    assert code == 0, out
    assert "POST /graphql" not in out, "prod writes no access log line per request"
    cpus = len(os.sched_getaffinity(0))
    assert out.count("Started server process") == default_workers(Mode.PROD) == max(1, cpus - 1)
    assert default_workers(Mode.PROD, embedded=False) == cpus  # a Neo4j server has cores of its own


def test_dev_keeps_one_worker_and_the_access_log(tmp_path: Path, services: list[Service]) -> None:  # noqa: F811
    service = Service(tmp_path, "--seed")
    services.append(service)
    service.wait_ready()
    httpx.post(service.url + "/graphql", json={"query": LOOKUP}, timeout=30)
    code, out = service.stop()
    assert code == 0, out
    assert "POST /graphql" in out
    assert out.count("Started server process") == 1
