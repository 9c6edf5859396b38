"""The ASGI app with its real lifespan (embedded store included), in dev and prod mode."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from api.app import create_app
from api.settings import load_settings
from tests.credentials import LOCAL, bearer, mint_key

INTROSPECT = {"query": "{ __schema { queryType { name } } }"}


def test_dev_mode_has_graphiql_and_introspection(tmp_path: Path) -> None:
    with TestClient(create_app(load_settings(mode="dev", data_dir=tmp_path)), base_url=LOCAL) as client:
        assert client.get("/readyz").json() == {"status": "ready", "store": "falkordb"}
        assert "graphiql" in client.get("/graphql", headers={"accept": "text/html"}).text.lower()
        assert client.post("/graphql", json=INTROSPECT).json()["data"]["__schema"]["queryType"]["name"] == "Query"
        assert client.get("/", follow_redirects=False).headers["location"] == "/graphql"


def test_prod_mode_turns_graphiql_and_introspection_off(tmp_path: Path) -> None:
    with TestClient(create_app(load_settings(mode="prod", data_dir=tmp_path)), base_url=LOCAL) as client:
        client.headers.update(bearer(mint_key(client)))
        assert client.get("/graphql", headers={"accept": "text/html"}).status_code != 200
        body = client.post("/graphql", json=INTROSPECT).json()
        assert body.get("data") is None and "introspection" in body["errors"][0]["message"].lower()
        ok = client.post("/graphql", json={"query": '{ party(id: "nobody") { id } }'}).json()
        assert ok["data"] == {"party": None} and "errors" not in ok
        assert ok["extensions"]["cost"]["requested"] >= 1  # every response reports its cost
        bad = client.post("/graphql", json={"query": '{ people(first: 1000) { totalCount } }'}).json()
        assert bad["errors"][0]["extensions"]["code"] == "PAGE_SIZE_EXCEEDED"  # ours are not masked


def test_malformed_requests_are_client_errors_not_500(tmp_path: Path) -> None:
    with TestClient(create_app(load_settings(data_dir=tmp_path)), base_url=LOCAL) as client:
        assert client.post("/graphql", content=b"{not json", headers={"content-type": "application/json"}).status_code == 400
        assert client.post("/graphql", json={"query": "{ people { "}).status_code == 200  # GraphQL syntax error
        assert client.post("/graphql", json={"query": "{ nope }"}).json()["errors"]


def test_readyz_lists_indexes_still_being_built(tmp_path: Path) -> None:
    """After a restart on a big graph the store builds its indexes after loading
    (graph.embedded): ready, with the ones not built yet, whose statements scan meanwhile."""
    with TestClient(create_app(load_settings(mode="dev", data_dir=tmp_path)), base_url=LOCAL) as client:
        store = client.app.state.store  # type: ignore[attr-defined]

        async def building() -> dict[str, str]:
            return {"Order": "[Indexing] 1200/3000000: UNDER CONSTRUCTION"}

        store.indexes_building = building
        assert client.get("/readyz").json() == {
            "status": "ready", "store": "falkordb",
            "indexesBuilding": {"Order": "[Indexing] 1200/3000000: UNDER CONSTRUCTION"}}
