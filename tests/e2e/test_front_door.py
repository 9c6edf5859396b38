"""The front door's one pass (api/front_door.py) answers what the chain of middleware
answers: status, headers in order and body bytes, for accepted requests and for every kind
of refusal, each request sent through the chain and then through the one pass."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from starlette.testclient import TestClient

from api.app import create_app
from api.front_door import FrontDoor
from api.settings import load_settings
from graph.access import Role
from tests.credentials import LOCAL, bearer, mint_key

PING = {"query": "{ __typename }"}
LOOKUP = {"query": 'query Lookup($id: ID!) { party(id: $id) { name } }', "variables": {"id": "person:none"}}
PORTAL = "query Portal { __typename }"
JSON = {"content-type": "application/json"}
VOLATILE = ("x-request-id", "ratelimit-remaining", "ratelimit-reset")  # counts down, fresh per request


def _front_door(client: TestClient) -> FrontDoor:
    layer: Any = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, FrontDoor):
        layer = layer.app
    return layer


@contextmanager
def _app(tmp_path: Path, **settings: object) -> Iterator[tuple[TestClient, FrontDoor]]:
    trusted = tmp_path / "trusted.json"
    trusted.write_text(orjson.dumps({"partner": [PORTAL]}).decode())
    app = create_app(load_settings(data_dir=tmp_path / "data", mode="prod", trusted_documents=trusted, **settings))
    with TestClient(app, base_url=LOCAL, raise_server_exceptions=False) as client:  # 500s compared too
        client.post("/graphql", json=PING)  # builds the middleware stack
        yield client, _front_door(client)


def _seen(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, "-" if k in VOLATILE else v) for k, v in response.headers.multi_items()]
    return response.status_code, headers, response.content


def _both(client: TestClient, door: FrontDoor, body: bytes | Any, headers: dict[str, str]) -> None:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    answers = []
    for one_pass in (False, True):
        door.one_pass = one_pass
        try:
            answers.append(_seen(client.post("/graphql", content=content, headers=headers)))
        finally:
            door.one_pass = True
    assert answers[0] == answers[1], (body, headers)


def _sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def test_the_one_pass_answers_what_the_chain_answers(tmp_path: Path) -> None:
    with _app(tmp_path, rate_limit_admin=10_000, cors_origins="https://portal.example") as (client, door):
        admin = {**JSON, **bearer(mint_key(client, Role.ADMIN))}
        partner = {**JSON, **bearer(mint_key(client, Role.PARTNER, company="company:acme"))}
        deep: Any = 1
        for _ in range(40):
            deep = [deep]
        cases: list[tuple[bytes | Any, dict[str, str]]] = [
            (PING, admin), (LOOKUP, admin), ({**LOOKUP, "operationName": "Lookup"}, admin),
            ({"query": "{ nope }"}, admin), ({"query": "mutation { nope }"}, admin), ([PING, LOOKUP], admin),
            (b'{"query": "{ __typename }", "variables": {"s": "\\ud800"}}', admin),
            (b"", admin), (b"{ __typename }", admin), (b"[1, 2", admin), (b"null", admin), (b'"text"', admin),
            ({"query": "{ __typename }", "variables": {"deep": deep}}, admin),
            ({"query": "{ __typename }", "variables": {"long": list(range(20_000))}}, admin),
            ({"query": "{ __typename " + "a" * 200_000 + " }"}, admin),
            (PING, {**admin, "accept": "application/graphql-response+json"}),
            ({"query": "{ nope }"}, {**admin, "accept": "application/graphql-response+json"}),
            (PING, {**admin, "accept": "multipart/mixed"}),
            (PING, {**admin, "origin": "https://portal.example"}), (PING, {**admin, "origin": "https://evil.example"}),
            (PING, {**admin, "host": "evil.example"}), (PING, {**admin, "content-length": "99999999"}),
            (PING, JSON), (PING, {**JSON, "authorization": "Bearer crm_nonsense"}),
            (PING, {**JSON, "x-api-key": admin["authorization"].removeprefix("Bearer ")}),
            ({"query": PORTAL}, partner), (PING, partner), ([{"query": PORTAL}, PING], partner),
            ({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": _sha(PORTAL)}}}, partner),
            ({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": _sha("{ x }")}}}, admin),
            ({"query": PORTAL, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": _sha("x")}}}, partner),
            (b"{ __typename }", partner),
        ]
        for body, headers in cases:
            _both(client, door, body, headers)
        client.app.state.startup.ready.clear()  # type: ignore[attr-defined]
        _both(client, door, PING, admin)
        client.app.state.startup.ready.set()  # type: ignore[attr-defined]


def test_rate_limit_refusals_are_the_same(tmp_path: Path) -> None:
    with _app(tmp_path, rate_limit_admin=2, rate_limit_window=60, rate_limit_anonymous=1) as (client, door):
        admin = {**JSON, **bearer(mint_key(client, Role.ADMIN))}
        client.post("/graphql", json=PING, headers=admin)
        client.post("/graphql", json=PING, headers=admin)
        _both(client, door, PING, admin)  # both over the limit: 429
        _both(client, door, PING, {**JSON, "authorization": "Bearer crm_nonsense"})  # failed credentials
