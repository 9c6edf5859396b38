"""Prod logs are JSON lines: each parses, carries the request id, and never a secret."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import httpx
import pytest
import redis
from starlette.testclient import TestClient

from api.app import create_app
from api.logs import JsonLines, configure_logging
from api.settings import load_settings
from tests.credentials import LOCAL, bearer, mint_key
from tests.e2e.test_keys_serve import create
from tests.e2e.test_serve import Service, services  # noqa: F401 - fixture

LOOKUP = 'query Lookup { party(id: "person:john-smith") { name } }'


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_prod_serve_writes_only_json_lines(tmp_path: Path, services: list[Service]) -> None:  # noqa: F811
    service = Service(tmp_path, "--seed", env={"CRMGRAPH_MODE": "prod", "CRMGRAPH_LOG_REQUESTS": "true",
                                               "CRMGRAPH_DATABASE_PASSWORD": "db-secret-do-not-log"})
    services.append(service)
    service.wait_ready()
    key = create(tmp_path, "--role", "analyst", "--name", "logs")
    _, key_id, secret = key.split("_", 2)
    for n in range(3):
        response = httpx.post(service.url + "/graphql", json={"query": LOOKUP}, timeout=30,
                              headers={"authorization": f"Bearer {key}", "x-request-id": f"trace-me-{n}"})
        assert response.status_code == 200 and response.headers["x-request-id"] == f"trace-me-{n}"
    generated = httpx.post(service.url + "/graphql", json={"query": LOOKUP}, timeout=30,
                           headers={"authorization": f"Bearer {key}"}).headers["x-request-id"]
    refused = httpx.post(service.url + "/graphql", json={"query": LOOKUP}, timeout=30,
                         headers={"authorization": f"Bearer crm_{key_id}_{'A' * 43}"})
    assert refused.status_code == 401
    code, out = service.stop()
    assert code == 0, out
    lines = json_lines(out)  # every line of the service's output is one JSON object
    assert all({"ts", "level", "logger", "message"} <= set(line) for line in lines)
    requests = {line["request_id"]: line for line in lines if line["logger"] == "crmgraph.requests"}
    for rid in (*(f"trace-me-{n}" for n in range(3)), generated):
        line = requests[rid]
        assert line["operation"] == "Lookup" and line["caller"] == f"key:{key_id}"
        assert line["status"] == 200 and line["outcome"] == "ok" and line["error_codes"] == []
        assert line["statements"] == 1 and line["rows"] == 1 and float(line["duration_ms"]) > 0  # type: ignore[arg-type]
    refusal = next(line for line in requests.values() if line["status"] == 401)
    assert refusal["error_codes"] == ["UNAUTHENTICATED"] and refusal["caller"] is None
    assert secret not in out and "A" * 43 not in out and "db-secret-do-not-log" not in out


def test_prod_logs_no_line_per_request_by_default(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with TestClient(create_app(load_settings(mode="prod", data_dir=tmp_path)), base_url=LOCAL) as client:
        headers = bearer(mint_key(client))
        caplog.set_level(logging.INFO)
        for _ in range(5):
            assert client.post("/graphql", json={"query": LOOKUP}, headers=headers).status_code == 200
    assert [r for r in caplog.records if r.name == "crmgraph.requests"] == []


def test_an_internal_error_gets_a_json_line_with_its_request(tmp_path: Path) -> None:
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(JsonLines())
    logging.getLogger("crmgraph").addHandler(handler)
    try:
        # the graph's key holds a string: every statement fails with the store's own error
        with TestClient(create_app(load_settings(mode="prod", data_dir=tmp_path, graph_name="broken")),
                        base_url=LOCAL) as client:
            headers = bearer(mint_key(client))
            redis.Redis(unix_socket_path=str(tmp_path / "falkordb.sock")).set("broken", "not a graph")
            response = client.post("/graphql", json={"query": LOOKUP}, headers={"x-request-id": "req-500", **headers})
            assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL"
    finally:
        logging.getLogger("crmgraph").removeHandler(handler)
        configure_logging(False)
    lines = [line for line in json_lines(sink.getvalue()) if line.get("request_id") == "req-500"]
    summary = next(line for line in lines if line["logger"] == "crmgraph.requests")
    assert summary["level"] == "warning" and summary["error_codes"] == ["INTERNAL"]
    assert summary["operation"] == "Lookup" and str(summary["caller"]).startswith("key:")
    error = next(line for line in lines if line["logger"] == "crmgraph.errors")
    assert "WRONGTYPE" in str(error["exception"])  # the full error goes to the log, not to the client
    assert "WRONGTYPE" not in response.text
