"""The anonymous column of the role matrix, over HTTP: in prod every root field and every
mutation of the schema is refused (401) and nothing is written; in dev on loopback an
anonymous caller acts as admin, so every mutation runs (and is audited as `anonymous`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.settings import load_settings
from schema import build_schema
from seeds.loader import load
from seeds.stories import build
from tests.credentials import LOCAL
from tests.integration.test_role_matrix import MUTATIONS, SETUP

pytestmark = pytest.mark.e2e
LAST = ("deletePerson", "deleteCompany", "deleteProduct", "mergeParties")
FOOTPRINT = "MATCH (n:Entity) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) AS n, count(r) AS r"


def footprint(client: TestClient) -> dict[str, int]:
    store = client.app.state.store  # type: ignore[attr-defined]
    return client.portal.call(store.read, FOOTPRINT)[0]  # type: ignore[union-attr]


def documents() -> list[tuple[str, str]]:
    """Every root field (its type name is enough to reach the role check) and every
    mutation's working example, read from the schema."""
    query_type = build_schema()._schema.query_type
    assert query_type is not None
    reads = [(name, f"{{ {name} {{ __typename }} }}") for name in query_type.fields]
    writes = [(name, "mutation { " + MUTATIONS[name].replace("{r}", "anon") + " }")
              for name in sorted(MUTATIONS, key=lambda n: n in LAST)]
    return reads + writes


def test_prod_refuses_every_root_field_and_mutation_without_credentials(tmp_path: Path) -> None:
    with TestClient(create_app(load_settings(mode="prod", data_dir=tmp_path)), base_url=LOCAL) as client:
        client.portal.call(load, client.app.state.store, build())  # type: ignore[attr-defined,union-attr]
        before = footprint(client)
        for name, document in documents():
            response = client.post("/graphql", json={"query": document})
            assert response.status_code == 401, (name, response.text)
            assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert "www-authenticate" in response.headers
        assert footprint(client) == before


def test_dev_on_loopback_lets_anonymous_act_as_admin(tmp_path: Path) -> None:
    with TestClient(create_app(load_settings(mode="dev", data_dir=tmp_path, rate_limit_anonymous=0)),
                    base_url=LOCAL) as client:
        client.portal.call(load, client.app.state.store, build())  # type: ignore[attr-defined,union-attr]
        for name in SETUP:
            document = "mutation { " + MUTATIONS[name].replace("{r}", "anon-setup") + " }"
            assert "errors" not in client.post("/graphql", json={"query": document}).json()
        for name, document in documents():
            body = client.post("/graphql", json={"query": document}).json()
            codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or []}
            assert "FORBIDDEN" not in codes and "UNAUTHENTICATED" not in codes, (name, body)
            if name in MUTATIONS:
                assert not codes, (name, body)
        log = client.post("/graphql", json={"query": "{ auditLog(first: 500) { nodes { actor operation } } }"}).json()
        done = {n["operation"] for n in log["data"]["auditLog"]["nodes"] if n["actor"] == "anonymous"}
        assert set(MUTATIONS) <= done
