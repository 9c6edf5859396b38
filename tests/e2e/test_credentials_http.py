"""Credentials, rate limits, trusted documents and browser hygiene over HTTP, in-process.

The real app with its lifespan (an embedded store in a temp folder) behind Starlette's
TestClient; ``test_keys_serve.py`` does the same through ``crmgraph serve --workers 2``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.settings import load_settings
from graph.access import Role
from graph.keys import key_store_for
from tests.credentials import LOCAL, bearer, mint_key
from tests.jwt_keys import AUDIENCE, ISSUER, SECRET, hs256, unsigned

PING = {"query": "{ __typename }"}


@contextmanager
def app(tmp_path: Path, **settings: object) -> Iterator[TestClient]:
    with TestClient(create_app(load_settings(data_dir=tmp_path, **settings)), base_url=LOCAL) as client:
        yield client


def unauthenticated(response: object, why: str | None = None) -> None:
    assert response.status_code == 401, response.text  # type: ignore[attr-defined]
    header = response.headers["www-authenticate"]  # type: ignore[attr-defined]
    assert header.startswith('Bearer realm="crmgraph"')
    if why is not None:
        assert 'error="invalid_token"' in header and why in header, header
    body = response.json()  # type: ignore[attr-defined]
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_prod_needs_a_valid_key_for_graphql_and_nothing_for_health(tmp_path: Path) -> None:
    with app(tmp_path, mode="prod") as client:
        unauthenticated(client.post("/graphql", json=PING))
        unauthenticated(client.get("/graphql", params=PING))
        assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200
        key = mint_key(client, Role.ANALYST)
        assert client.post("/graphql", json=PING, headers=bearer(key)).json()["data"] == {"__typename": "Query"}
        assert client.post("/graphql", json=PING, headers={"x-api-key": key}).status_code == 200
        key_id = key.split("_")[1]
        wrong = f"crm_{key_id}_" + "A" * 43
        unauthenticated(client.post("/graphql", json=PING, headers=bearer(wrong)), "invalid API key")
        unauthenticated(client.post("/graphql", json=PING, headers=bearer("crm_000000000000_" + "A" * 43)),
                        "invalid API key")
        unauthenticated(client.post("/graphql", json=PING, headers=bearer("crm_nonsense")), "invalid API key")
        basic = client.post("/graphql", json=PING, headers={"authorization": "Basic YTpi"})
        assert basic.status_code == 401 and 'error="invalid_request"' in basic.headers["www-authenticate"]
        unauthenticated(client.post("/graphql", json=PING, headers=bearer("eyJhbGciOi.x.y")), "not configured")
        unauthenticated(client.post("/graphql", json=PING, headers={"x-api-key": "eyJhbGciOi.x.y"}), "invalid API key")
        unauthenticated(client.get("/metrics"))  # whoever adds /metrics: it is guarded, for admins only
        assert client.get("/metrics", headers=bearer(key)).status_code == 403
        assert client.get("/metrics", headers=bearer(mint_key(client))).status_code == 200  # admin

        expired = mint_key(client, Role.ADMIN, expires=datetime.now(UTC) + timedelta(seconds=1))
        assert client.post("/graphql", json=PING, headers=bearer(expired)).status_code == 200
        time.sleep(1.1)
        unauthenticated(client.post("/graphql", json=PING, headers=bearer(expired)), "API key expired")

        keys = key_store_for(client.app.state.store)  # type: ignore[attr-defined]
        assert client.portal.call(keys.revoke, key_id)  # type: ignore[union-attr]
        unauthenticated(client.post("/graphql", json=PING, headers=bearer(key)), "API key revoked")
        record = client.portal.call(keys.get, key_id)  # type: ignore[union-attr]
        assert record.last_used is not None


def test_jwt_bearer_tokens_over_http(tmp_path: Path) -> None:
    with app(tmp_path, mode="prod", jwt_secret=SECRET, jwt_issuer=ISSUER, jwt_audience=AUDIENCE) as client:
        good = client.post("/graphql", json=PING, headers=bearer(hs256(role="editor")))
        assert good.json()["data"] == {"__typename": "Query"}
        assert good.headers["ratelimit-limit"] == "600"
        unauthenticated(client.post("/graphql", json=PING, headers=bearer(hs256(exp=int(time.time()) - 100))),
                        "token expired")
        unauthenticated(client.post("/graphql", json=PING, headers=bearer(hs256(aud="other"))), "audience")
        unauthenticated(client.post("/graphql", json=PING, headers=bearer(unsigned())), "algorithm 'none'")


def test_dev_mode_is_anonymous_admin_only_on_loopback(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="crmgraph")
    with app(tmp_path / "a", mode="dev") as client:
        assert client.post("/graphql", json=PING).status_code == 200
        assert client.app.state.guard.authenticator.anonymous_admin  # type: ignore[attr-defined]
    assert "anonymous requests act as ADMIN" in caplog.text
    caplog.clear()
    with app(tmp_path / "b", mode="dev", host="0.0.0.0") as client:
        unauthenticated(client.post("/graphql", json=PING))
        assert "every /graphql request needs an API key" in caplog.text
        assert client.post("/graphql", json=PING, headers=bearer(mint_key(client))).status_code == 200


def test_rate_limit_headers_count_down_then_429_until_the_bucket_refills(tmp_path: Path) -> None:
    with app(tmp_path, mode="prod", rate_limit_admin=3, rate_limit_window=2) as client:
        client.headers.update(bearer(mint_key(client)))
        answers = [client.post("/graphql", json=PING) for _ in range(3)]
        assert [r.status_code for r in answers] == [200, 200, 200]
        assert [r.headers["ratelimit-remaining"] for r in answers] == ["2", "1", "0"]
        assert all(r.headers["ratelimit-limit"] == "3" for r in answers)
        assert all(1 <= int(r.headers["ratelimit-reset"]) <= 2 for r in answers)
        limited = client.post("/graphql", json={"query": 'mutation { deletePerson(id: "person:x") { id } }'})
        assert limited.status_code == 429
        assert limited.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        wait = int(limited.headers["retry-after"])
        assert 1 <= wait <= 2 and limited.headers["ratelimit-remaining"] == "0"
        time.sleep(wait)
        assert client.post("/graphql", json=PING).status_code == 200
        other = client.post("/graphql", json=PING, headers=bearer(mint_key(client)))  # its own bucket
        assert other.headers["ratelimit-remaining"] == "2"


def test_anonymous_dev_callers_are_limited_per_client_address(tmp_path: Path) -> None:
    with app(tmp_path, rate_limit_anonymous=2, rate_limit_window=60) as client:
        assert [client.post("/graphql", json=PING).status_code for _ in range(3)] == [200, 200, 429]


def test_failed_credentials_are_throttled_per_client_address(tmp_path: Path) -> None:
    with app(tmp_path, mode="prod", rate_limit_anonymous=3, rate_limit_window=60) as client:
        key = mint_key(client)
        guesses = [client.post("/graphql", json=PING, headers=bearer(f"crm_{key.split('_')[1]}_{'A' * 43}"))
                   for _ in range(4)]
        assert [r.status_code for r in guesses] == [401, 401, 401, 429]
        assert [r.headers["ratelimit-remaining"] for r in guesses] == ["2", "1", "0", "0"]
        assert int(guesses[-1].headers["retry-after"]) >= 1
        assert client.post("/graphql", json=PING, headers=bearer(key)).status_code == 200  # the key holder is not


def test_only_configured_hosts_are_served(tmp_path: Path) -> None:
    with app(tmp_path) as client:
        for host in ("127.0.0.1:8000", "localhost", "[::1]:8000"):
            assert client.post("/graphql", json=PING, headers={"host": host}).status_code == 200, host
        rebound = client.post("/graphql", json=PING, headers={"host": "attacker.example"})
        assert rebound.status_code == 400 and "ratelimit-limit" not in rebound.headers
        assert client.get("/graphql", headers={"host": "attacker.example", "accept": "text/html"}).status_code == 400
        assert client.get("/healthz", headers={"host": "10.0.0.7:8000"}).status_code == 200  # probes
    with app(tmp_path, allowed_hosts="api.example.com") as client:
        assert client.post("/graphql", json=PING, headers={"host": "api.example.com"}).status_code == 200
        assert client.post("/graphql", json=PING, headers={"host": "localhost"}).status_code == 400


def test_cors_only_for_configured_origins(tmp_path: Path) -> None:
    preflight = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
    with app(tmp_path / "a") as client:
        answer = client.post("/graphql", json=PING, headers={"origin": "https://evil.example"})
        assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers
        pre = client.options("/graphql", headers={"origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in pre.headers
    with app(tmp_path / "b", cors_origins="https://portal.example") as client:
        ok = client.post("/graphql", json=PING, headers={"origin": "https://portal.example"})
        assert ok.headers["access-control-allow-origin"] == "https://portal.example"
        assert "ratelimit-remaining" in ok.headers["access-control-expose-headers"].lower()
        pre = client.options("/graphql", headers={"origin": "https://portal.example", **preflight})
        assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "https://portal.example"
        evil = client.post("/graphql", json=PING, headers={"origin": "https://evil.example"})
        assert "access-control-allow-origin" not in evil.headers


TYPO = {"query": "{ persn(id: \"x\") { id } }"}


def test_no_field_suggestions_in_prod(tmp_path: Path) -> None:
    with app(tmp_path / "dev") as client:
        assert "Did you mean" in client.post("/graphql", json=TYPO).json()["errors"][0]["message"]
    with app(tmp_path / "prod", mode="prod") as client:
        client.headers.update(bearer(mint_key(client)))
        for document in (TYPO, {"query": "{ people(orderBy: [{field: NAM, direction: ASC}]) { totalCount } }"}):
            errors = client.post("/graphql", json=document).json()["errors"]
            assert errors and all("Did you mean" not in e["message"] for e in errors), errors
            assert "person" not in errors[0]["message"].replace("persn", "")


def test_browser_style_requests_stay_refused(tmp_path: Path) -> None:
    with app(tmp_path) as client:
        mutation = 'mutation { createCompany(input: {id: "company:x", name: "X"}) { id } }'
        for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
            sent = client.post("/graphql", content=orjson.dumps({"query": mutation}), headers={"content-type": kind})
            assert sent.status_code in (400, 415), (kind, sent.status_code)
        assert client.get("/graphql", params={"query": mutation}).status_code in (400, 405)
        assert client.post("/graphql", json={"query": '{ company(id: "company:x") { id } }'}).json()[
            "data"] == {"company": None}  # nothing was created


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def persisted(digest: str, query: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    if query is not None:
        body["query"] = query
    return body


def test_trusted_documents_restrict_a_role_and_persisted_queries_send_only_the_hash(tmp_path: Path) -> None:
    portal = "query Portal { __typename }"
    trusted = tmp_path / "trusted.json"
    trusted.write_text(orjson.dumps({"partner": [portal]}).decode())
    with app(tmp_path / "data", mode="prod", trusted_documents=trusted) as client:
        partner = bearer(mint_key(client, Role.PARTNER, company="company:acme"))
        admin = bearer(mint_key(client, Role.ADMIN))

        def code(body: dict[str, object], headers: dict[str, str]) -> str | None:
            answer = client.post("/graphql", json=body, headers=headers).json()
            return answer["errors"][0]["extensions"]["code"] if answer.get("errors") else None

        assert client.post("/graphql", json={"query": portal}, headers=partner).json()["data"] == {
            "__typename": "Query"}
        assert code(persisted(sha(portal)), partner) is None  # hash only
        assert code(PING, partner) == "FORBIDDEN_DOCUMENT"
        assert code(persisted(sha(PING["query"]), PING["query"]), partner) == "FORBIDDEN_DOCUMENT"
        assert code(persisted(sha("{ unknown }")), partner) == "PERSISTED_QUERY_NOT_FOUND"
        batch = client.post("/graphql", json=[{"query": portal}, PING], headers=partner).json()
        assert batch["errors"][0]["extensions"]["code"] == "FORBIDDEN_DOCUMENT"
        wrong = client.post("/graphql", json=persisted(sha("x"), portal), headers=partner)
        assert wrong.status_code == 400
        for kind in ("Application/JSON", "text/plain", "application/graphql"):  # no way around the check
            sent = client.post("/graphql", content=orjson.dumps(PING), headers={**partner, "content-type": kind})
            assert sent.status_code in (200, 400) and sent.json()["errors"], kind
            assert sent.json().get("data") is None
        raw = client.post("/graphql", content=b"{ __typename }", headers={**partner, "content-type": "text/plain"})
        assert raw.status_code == 400

        # Unrestricted roles run anything; Apollo's protocol registers a document on first sight.
        other = "query Other { __typename }"
        assert code(PING, admin) is None
        assert code(persisted(sha(portal)), admin) is None  # trusted documents are known to all
        assert code(persisted(sha(other)), admin) == "PERSISTED_QUERY_NOT_FOUND"
        assert code(persisted(sha(other), other), admin) is None
        assert code(persisted(sha(other)), admin) is None


def test_persisted_queries_over_get_in_dev(tmp_path: Path) -> None:
    document = "query ByGet { __typename }"
    with app(tmp_path) as client:
        ext = orjson.dumps(persisted(sha(document))["extensions"]).decode()
        missing = client.get("/graphql", params={"extensions": ext}).json()
        assert missing["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        assert client.get("/graphql", params={"query": document, "extensions": ext}).json()["data"] == {
            "__typename": "Query"}
        assert client.get("/graphql", params={"extensions": ext}).json()["data"] == {"__typename": "Query"}
