"""The compiled fast path (schema/fastpath.py) answers byte for byte what normal execution
answers: every document of the suite (tests/documents.py, tests/field_pairs.py) and random
documents drawn from the schema, through the real app in prod mode, as an admin and as a
partner, each sent with the fast path off and then on, response bodies compared as bytes
(and status and media type). The fast path must actually serve most of them, send one
statement per root field, and leave mutations, traversals and refusals to the normal path."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.guarded_view import GuardedGraphQL
from api.settings import load_settings
from graph.access import Role, allowed_roles
from schema.plans import COMPILED_ROOTS
from seeds.loader import load
from seeds.stories import build
from tests.credentials import LOCAL, bearer, mint_key
from tests.documents import CORPUS, PARTNER_CORPUS, SEED_TRAVERSAL_VARIABLES, TRAVERSALS
from tests.field_pairs import documents

PARTNER_COMPANY = "company:abc-steel"
VOLATILE = re.compile(rb'"(stalenessSeconds|requestId)":[^,}]*')
FRACTION = re.compile(rb"-?\d+\.\d+(e-?\d+)?")


def _headers(response: Any) -> list[tuple[str, str]]:
    """Every header in order, the request id's value aside (fresh per request)."""
    return [(k, "-" if k == "x-request-id" else (v if k != "content-length" else "n"))
            for k, v in response.headers.multi_items()]


def _stable(body: bytes) -> bytes:
    """What must not change between two runs of a document whose answer moves with the
    clock (predictive lifetime values, staleness): everything but those figures."""
    return FRACTION.sub(b"F", VOLATILE.sub(b"", body))


class App:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.view = next(r.endpoint for r in client.app.routes if getattr(r, "path", "") == "/graphql")  # type: ignore[attr-defined]
        assert isinstance(self.view, GuardedGraphQL)
        self.fast = self.view.schema.fast_path  # type: ignore[attr-defined]
        self.statements: list[str] = []
        client.app.state.store.add_listener(lambda q, _p: self.statements.append(q))  # type: ignore[attr-defined]
        self.keys = {"admin": bearer(mint_key(client, Role.ADMIN)),
                     "partner": bearer(mint_key(client, Role.PARTNER, company=PARTNER_COMPANY))}

    def post(self, who: str, query: str, variables: dict[str, Any] | None, fast: bool) -> Any:
        self.view.fast_path_enabled = fast
        try:
            return self.client.post("/graphql", content=orjson.dumps({"query": query, "variables": variables}),
                                    headers={**self.keys[who], "content-type": "application/json"})
        finally:
            self.view.fast_path_enabled = True

    def compare(self, who: str, query: str, variables: dict[str, Any] | None = None) -> bool:
        """Both paths give the same bytes; True when the fast path served it."""
        slow = self.post(who, query, variables, fast=False)  # also validates and caches the document
        served = self.fast.served
        fast = self.post(who, query, variables, fast=True)
        assert fast.status_code == slow.status_code
        assert _headers(fast) == _headers(slow), (who, query)
        if fast.content != slow.content:  # only what changes between two normal runs may differ
            again = self.post(who, query, variables, fast=False)
            assert again.content != slow.content, ("the fast path's bytes differ", who, query, variables)
            assert _stable(fast.content) == _stable(slow.content), (who, query, variables)
        return bool(self.fast.served > served)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    settings = load_settings(mode="prod", data_dir=Path(tmp_path_factory.mktemp("fastpath")),
                             rate_limit_admin=0, rate_limit_partner=0, analytics_max_staleness=0)
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        client.portal.call(load, client.app.state.store, build())  # type: ignore[attr-defined]
        yield App(client)


def _compiled_only(query: str) -> bool:
    return not any(re.search(rf"\b{name}\s*\(", query) for name in
                   ("segmentSummary", "referralStats", "auditLog"))


@pytest.mark.parametrize("who", ["admin", "partner"])
def test_suite_documents_identical(app: App, who: str) -> None:
    served = 0
    corpus = [*CORPUS, *PARTNER_CORPUS, (TRAVERSALS, SEED_TRAVERSAL_VARIABLES),
              ('{ party(id: "person:john-smith") { name } }', None), ("{ __typename }", None),
              ("query Q($id: ID!) { a: party(id: $id) { name } b: person(id: $id) { age } __typename }",
               {"id": "person:john-smith"})]
    for query, variables in corpus:
        served += app.compare(who, query, variables)
    assert served >= len(CORPUS) // 2, "the fast path served too few of the suite's documents"


@pytest.mark.parametrize("who", ["admin", "partner"])
def test_field_pair_documents_identical(app: App, who: str) -> None:
    schema = app.view.schema._schema  # type: ignore[attr-defined]
    docs = [d.text for d in documents(schema)]
    served = sum(app.compare(who, text, None) for text in docs)
    eligible = sum(_compiled_only(text) for text in docs)
    assert served >= eligible // 2, (served, eligible)


@pytest.mark.parametrize("who", ["admin", "partner"])
def test_random_documents_identical(app: App, who: str) -> None:
    import hypothesis_graphql
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.integration.test_partner_scope import with_real_ids

    schema = app.view.schema._schema  # type: ignore[attr-defined]
    ids = ["person:john-smith", "company:abc-steel", "company:xyz-manufacturing", "person:anna-kowalski",
           "product:probook-x15", "order:abc-1001", "company:abc-electronics", "person:nobody"]
    counts = {"served": 0, "all": 0}
    roots = sorted(f for f in COMPILED_ROOTS if Role(who) in allowed_roles("query", f))  # else nothing is served

    @settings(max_examples=60, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(document=hypothesis_graphql.from_schema(schema, fields=roots, allow_x00=False),
           shift=st.integers(0, len(ids) - 1))
    def check(document: str, shift: int) -> None:
        text = with_real_ids(schema, document, ids[shift:] + ids[:shift])
        counts["all"] += 1
        counts["served"] += app.compare(who, text, None)

    check()
    # Enough to prove the fast path is exercised (the bytes are compared either way); a
    # partner's random documents fall back more often (out-of-scope roots, refusals).
    assert counts["served"] >= counts["all"] // (3 if who == "admin" else 4), counts


def test_one_statement_per_root_field_on_the_fast_path(app: App) -> None:
    doc = """query($id: ID!) { a: party(id: $id) { name orders(first: 2) { totalCount nodes { total { amount currency } } } }
              b: people(first: 3) { nodes { name } } c: company(id: "company:abc-steel") { name } __typename
              d: supplyChain(companyId: "company:abc-steel", maxDepth: 2) { nodes { tier node { id } } } }"""
    variables = {"id": "person:john-smith"}
    app.post("admin", doc, variables, fast=False)  # validated and cached
    for who in ("admin", "partner"):
        app.statements.clear()
        served = app.fast.served
        response = app.post(who, doc, variables, fast=True)
        assert "errors" not in response.json(), response.json()
        assert app.fast.served == served + 1
        assert len(app.statements) == 4, app.statements  # four compiled root fields, __typename none


def test_what_the_fast_path_leaves_to_normal_execution(app: App) -> None:
    # the first request of a document always executes normally (it validates it)
    first = '{ product(id: "product:probook-x15") { name price { amount currency } } }'
    served = app.fast.served
    app.post("admin", first, None, fast=True)
    assert app.fast.served == served
    # a mutation, an analytics root field, a depth out of range, a refused root field, an
    # over-budget request, a bad id, a bad cursor
    cases = [
        ('mutation { deletePerson(id: "person:nobody") }', None, "admin"),
        ("{ segmentSummary { segment customers } }", None, "admin"),
        ('{ shortestPath(from: "person:anna-kowalski", to: "company:brightwave-tech", maxDepth: 99) { length } }',
         None, "admin"),
        ('{ segments { nodes { name } } }', None, "partner"),
        ("{ a: people(first: 100) { nodes { orders(first: 100) { nodes { id } } } } }", None, "partner"),
        ('{ party(id: "not an id") { name } }', None, "admin"),
        ('query($after: String) { people(after: $after) { nodes { id } } }', {"after": "bad"}, "admin"),
    ]
    for query, variables, who in cases:
        for _ in range(2):
            served = app.fast.served
            app.compare(who, query, variables)
            assert app.fast.served == served, query


def test_money_like_object_types_need_nothing_special(app: App) -> None:
    """Object-typed fields with resolvers of their own (analytics, connections, pageInfo)
    are completed by calling their Strawberry resolvers: the same bytes, served fast."""
    doc = """{ party(id: "person:john-smith") { lifetimeValue { orderCount historicRevenue { amount currency } }
              orders(first: 2) { pageInfo { hasNextPage endCursor } edges { cursor node { total { amount currency } placedAt } } } } }"""
    app.compare("admin", doc)
    assert app.compare("admin", doc)



@pytest.mark.parametrize("accept", ["application/graphql-response+json", "application/json", "*/*",
                                    "application/graphql-response+json;q=0.5, application/json"])
def test_media_types_and_get_identical(app: App, accept: str) -> None:
    doc = '{ party(id: "person:john-smith") { name } }'
    answers = []
    for fast in (False, True, True):
        app.view.fast_path_enabled = fast
        try:
            served = app.fast.served
            post = app.client.post("/graphql", json={"query": doc}, headers={**app.keys["admin"], "accept": accept})
            get = app.client.get("/graphql", params={"query": doc}, headers={**app.keys["admin"], "accept": accept})
            answers.append((post.status_code, _headers(post), post.content, get.status_code, _headers(get),
                            get.content))
            if fast:
                assert app.fast.served == served + 2  # the POST by the lane, the GET by the view's hook
        finally:
            app.view.fast_path_enabled = True
    assert answers[0] == answers[1] == answers[2]
