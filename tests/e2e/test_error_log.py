"""Refusals are answers, not incidents: no traceback for them; an unexpected error is logged
once, with the request id the response carries in ``X-Request-Id``."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import redis
from starlette.testclient import TestClient

from tests.credentials import LOCAL, bearer, mint_key

from api.app import create_app
from api.settings import load_settings

REFUSED = 'mutation { createPerson(input: {id: "not an id", name: "x"}) { id } }'


def _execution_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "strawberry.execution"]


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_refused_input_logs_no_traceback(tmp_path: Path, caplog: pytest.LogCaptureFixture, mode: str) -> None:
    with TestClient(create_app(load_settings(mode=mode, data_dir=tmp_path)), base_url=LOCAL) as client:
        headers = bearer(mint_key(client)) if mode == "prod" else {}
        caplog.set_level(logging.INFO)
        for _ in range(20):
            body = client.post("/graphql", json={"query": REFUSED}, headers=headers).json()
            assert body["errors"][0]["extensions"]["code"]  # a typed refusal
        assert client.post("/graphql", json={"query": "{ nope }"}, headers=headers).json()["errors"]  # a bad document
    assert _execution_records(caplog) == []
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_an_unexpected_error_is_logged_once_with_the_request_id(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, mode: str) -> None:
    # A real store fault no resolver expects: the graph's key holds a string, so every
    # statement on it fails with the store's WRONGTYPE error.
    with TestClient(create_app(load_settings(mode=mode, data_dir=tmp_path, graph_name="broken")),
                    base_url=LOCAL) as client:
        headers = bearer(mint_key(client)) if mode == "prod" else {}
        redis.Redis(unix_socket_path=str(tmp_path / "falkordb.sock")).set("broken", "not a graph")
        caplog.set_level(logging.INFO)
        response = client.post("/graphql", json={"query": '{ party(id: "person:x") { id } }'},
                               headers={"x-request-id": "req-42", **headers})
        assert response.headers["x-request-id"] == "req-42"
        assert response.json()["errors"]
        generated = client.get("/healthz").headers["x-request-id"]
        assert len(generated) == 16 and generated != "req-42"
    # Logged once, with the traceback and the request id: by the resolver's translation into
    # an INTERNAL error (schema.errors), and not again by strawberry's execution log.
    records = [r for r in caplog.records if "req-42" in r.getMessage()]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert records[0].exc_info is not None  # the traceback, once
    assert _execution_records(caplog) == []
