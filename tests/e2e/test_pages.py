"""The browser pages over HTTP (in-process app): /explore, GraphiQL and their assets, in dev
and prod. What they draw is tested in a real browser (tests/browser)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from starlette.testclient import TestClient

from api.app import create_app
from api.examples import EXAMPLES
from api.pages import CHECKOUT_NODE_MODULES, VENDOR
from api.settings import load_settings
from tests.credentials import LOCAL, bearer, mint_key

HTML = {"accept": "text/html"}


def _scripts_and_styles(html: str) -> list[str]:
    return re.findall(r'<script[^>]*\ssrc="([^"]+)"', html) + re.findall(r'<link[^>]*\shref="([^"]+)"', html)


def test_dev_serves_explore_and_graphiql_with_local_assets_only(tmp_path: Path) -> None:
    with TestClient(create_app(load_settings(mode="dev", data_dir=tmp_path)), base_url=LOCAL) as client:
        page = client.get("/explore")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "connect-src 'self'" in page.headers["content-security-policy"]
        assert 'data-graphiql="/graphql"' in page.text  # the "Open in GraphiQL" button has somewhere to go
        graphiql = client.get("/graphql", headers=HTML)
        assert graphiql.status_code == 200 and "script-src 'self'" in graphiql.headers["content-security-policy"]
        for html in (page.text, graphiql.text):
            refs = [r for r in _scripts_and_styles(html) if r != "data:,"]
            assert refs and all(r.startswith("/") and not r.startswith("//") for r in refs), refs
            for ref in refs:  # every file the pages load is served here
                asset = client.get(ref)
                assert asset.status_code == 200, ref
                assert asset.headers["content-type"].split(";")[0] in ("text/javascript", "text/css"), ref
                assert asset.headers["x-content-type-options"] == "nosniff"
                assert len(asset.content) > 200, ref


def test_graphiql_embeds_a_tab_per_example(tmp_path: Path) -> None:
    with TestClient(create_app(load_settings(mode="dev", data_dir=tmp_path)), base_url=LOCAL) as client:
        html = client.get("/graphql", headers=HTML).text
    embedded = re.search(r'<script type="application/json" id="crmgraph-tabs">(.*?)</script>', html, re.S)
    assert embedded is not None
    tabs = json.loads(embedded.group(1))
    assert [t["query"] for t in tabs] == [e.document for e in EXAMPLES]
    assert [json.loads(t["variables"]) for t in tabs] == [e.variables for e in EXAMPLES]
    assert "</script" not in embedded.group(1).lower()  # nothing in a document could close the element


def test_prod_serves_the_page_but_no_data_without_credentials(tmp_path: Path) -> None:
    with TestClient(create_app(load_settings(mode="prod", data_dir=tmp_path)), base_url=LOCAL) as client:
        page = client.get("/explore")
        assert page.status_code == 200 and 'data-graphiql=""' in page.text  # GraphiQL is off in prod
        assert client.get("/assets/vendor/cytoscape.min.js").status_code == 200
        assert client.get("/graphql", headers=HTML).status_code != 200
        search = {"query": '{ parties(first: 1) { nodes { id } } }'}
        assert client.post("/graphql", json=search).status_code == 401  # the page's calls need a key
        answer = client.post("/graphql", json=search, headers=bearer(mint_key(client, "analyst")))
        assert answer.status_code == 200 and "errors" not in answer.json()


def test_only_listed_assets_are_served(tmp_path: Path) -> None:
    with TestClient(create_app(load_settings(data_dir=tmp_path)), base_url=LOCAL) as client:
        for path in ("/assets/vendor/package.json", "/assets/vendor/..%2F..%2Fpyproject.toml",
                     "/assets/..%2Fpages.py", "/assets/explore.html", "/assets/vendor/%2Fetc%2Fpasswd"):
            assert client.get(path).status_code == 404, path
        assert client.get("/explore", headers={"host": "evil.example"}).status_code == 400  # hosts checked


def test_missing_npm_packages_say_how_to_install_them(tmp_path: Path) -> None:
    empty = tmp_path / "node_modules"
    empty.mkdir()
    settings = load_settings(data_dir=tmp_path / "data", node_modules=empty)
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        answer = client.get("/assets/vendor/cytoscape.min.js")
        assert answer.status_code == 503 and "make install" in answer.text


def test_every_vendor_file_is_installed_by_package_json() -> None:
    package = json.loads((Path(__file__).parents[2] / "package.json").read_text())
    for relative in VENDOR.values():
        name = "/".join(relative.split("/")[:2]) if relative.startswith("@") else relative.split("/")[0]
        assert name in package["dependencies"], name
        assert (CHECKOUT_NODE_MODULES / relative).is_file(), relative
