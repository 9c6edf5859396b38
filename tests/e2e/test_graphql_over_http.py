"""GraphQL over HTTP (https://graphql.github.io/graphql-over-http/): graphql-http's own
audit (``serverAudits`` from the npm package, by the spec's editor) against `crmgraph
serve` on loopback, in dev and prod mode; and the media type rules, one by one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.http import prefers_graphql_response
from api.settings import load_settings
from tests.credentials import LOCAL, bearer, mint_key
from tests.e2e.test_keys_serve import create
from tests.e2e.test_serve import Service, services  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
AUDIT = Path(__file__).with_name("graphql_http_audit.mjs")
AUDIT_COUNT = 61
GQL = "application/graphql-response+json"


def run_audit(url: str, authorization: str | None = None) -> dict:
    """Every audit of graphql-http against ``url``; ``authorization``, when given, is sent
    as the Authorization header of each request (for servers that require a credential)."""
    node = shutil.which("node")
    assert node, "Node.js is needed for graphql-http's audit"
    env = {k: v for k, v in os.environ.items() if k != "CRMGRAPH_AUDIT_AUTHORIZATION"}
    if authorization is not None:
        env["CRMGRAPH_AUDIT_AUTHORIZATION"] = authorization
    out = subprocess.run([node, str(AUDIT), url], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_graphql_http_audit_passes_in_full(tmp_path: Path, services: list[Service], mode: str) -> None:  # noqa: F811
    # prod: every request needs a credential; the audit sends an admin key (rate limit off)
    service = Service(tmp_path, env={"CRMGRAPH_MODE": mode, "CRMGRAPH_RATE_LIMIT_ADMIN": "0"})
    services.append(service)
    service.wait_ready()
    authorization = f"Bearer {create(tmp_path, '--role', 'admin', '--name', 'audit')}" if mode == "prod" else None
    report = run_audit(service.url + "/graphql", authorization)
    failed = [f"{r['id']} {r['status']}: {r['name']} ({r['reason']})" for r in report["results"] if r["status"] != "ok"]
    assert failed == []
    assert (report["ok"], report["warn"], report["error"]) == (AUDIT_COUNT, 0, 0)


@pytest.mark.parametrize(("accept", "expected"), [
    (None, False), ("", False), ("*/*", False), ("application/json", False),
    (GQL, True), (f"{GQL}, application/json;q=0.9", True), (f"application/json, {GQL}", True),
    (f"application/json, {GQL};q=0.5", False), (f"{GQL};q=0", False), ("application/*", False),
])
def test_media_type_choice(accept: str | None, expected: bool) -> None:
    assert prefers_graphql_response(accept) is expected


def test_status_and_body_under_each_media_type(tmp_path: Path) -> None:
    with TestClient(create_app(load_settings(mode="dev", data_dir=tmp_path)), base_url=LOCAL) as client:
        def post(query: str, accept: str | None, variables: dict | None = None) -> tuple[int, str, dict]:
            headers = {"accept": accept} if accept else {}
            r = client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
            return r.status_code, r.headers["content-type"], r.json()

        for accept in (None, "application/json"):  # the old behaviour, unchanged
            status, media, body = post("{ people { ", accept)
            assert (status, media) == (200, "application/json") and body["data"] is None
            status, media, body = post("{ nope }", accept)
            assert (status, body["data"]) == (200, None)

        status, media, body = post("{ people { ", GQL)  # parse failure
        assert (status, media) == (400, f"{GQL}; charset=utf-8") and "data" not in body and body["errors"]
        status, _, body = post("{ nope }", GQL)  # validation failure
        assert status == 400 and "data" not in body
        status, _, body = post("query ($id: ID!) { party(id: $id) { id } }", GQL, {"id": 7.5})  # coercion
        assert status == 400 and "data" not in body
        status, _, body = post("query ($id: ID!) { party(id: $id) { id } }", GQL, {"id": "person:nobody"})
        assert (status, body["data"], "errors" in body) == (200, {"party": None}, False)
        # Executed, with a field error: 200 and data, as the spec says.
        status, _, body = post("{ people(first: 1000) { totalCount } }", GQL)
        assert status == 200 and "data" in body and body["errors"][0]["extensions"]["code"] == "PAGE_SIZE_EXCEEDED"


def test_request_ids(tmp_path: Path) -> None:
    with TestClient(create_app(load_settings(mode="dev", data_dir=tmp_path)), base_url=LOCAL) as client:
        query = {"query": "{ __typename }"}
        given = client.post("/graphql", json=query, headers={"x-request-id": "abc-123"})
        assert given.headers["x-request-id"] == "abc-123"
        fresh = client.post("/graphql", json=query, headers={"x-request-id": "no spaces\tor tabs"})
        assert len(fresh.headers["x-request-id"]) >= 16 and fresh.headers["x-request-id"] != "abc-123"
        assert fresh.headers.get_list("x-request-id") == [fresh.headers["x-request-id"]]  # one id, once


def test_prod_answers_type_names_only(tmp_path: Path) -> None:
    with TestClient(create_app(load_settings(mode="prod", data_dir=tmp_path)), base_url=LOCAL) as client:
        headers = bearer(mint_key(client))

        def errors(query: str) -> list:
            return client.post("/graphql", json={"query": query}, headers=headers).json().get("errors") or []

        # accepted (conformance checks send it), and null for every name: it tells nothing
        for name in ("Company", "NoSuchType"):
            answer = client.post("/graphql", json={"query": f'{{ __type(name: "{name}") {{ name }} }}'},
                                 headers=headers).json()
            assert answer["data"] == {"__type": None} and "errors" not in answer
        for query in ('{ __type(name: "Company") { fields { name } } }', '{ __type(name: "Company") { kind } }',
                      '{ __type(name: "Company") { description } }', "{ __schema { queryType { name } } }",
                      '{ __type(name: "Company") { ... on __Type { description } } }'):
            assert errors(query) and "introspection is disabled" in errors(query)[0]["message"], query
        mutation = client.get("/graphql", params={"query": "mutation { __typename }"}, headers=headers)
        assert mutation.status_code in (400, 405) and "data" not in mutation.text  # GET answers queries only
