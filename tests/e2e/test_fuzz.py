"""Fuzz the running service: documents drawn by hypothesis-graphql from the live schema
(queries and mutations, hostile strings with NUL bytes and any code point), POSTed to
`crmgraph serve --seed` on loopback. Every answer must be a JSON GraphQL response under
the size bound, never a 5xx, and every error must carry ``extensions.code``."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from graphql import build_client_schema, get_introspection_query

from tests.e2e.test_serve import Service

pytestmark = pytest.mark.e2e
MAX_BYTES = 16 * 1024 * 1024
BUDGET_SECONDS = 90


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    svc = Service(tmp_path_factory.mktemp("fuzz"), "--seed")
    try:
        svc.wait_ready(120)
        yield svc
    finally:
        svc.stop()


def test_hostile_documents_get_typed_answers(service: Service) -> None:
    import hypothesis_graphql
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    with httpx.Client(base_url=service.url, timeout=60) as http:
        introspection = http.post("/graphql", json={"query": get_introspection_query()}).json()
        schema = build_client_schema(introspection["data"])
        started = time.monotonic()
        stats = {"sent": 0, "errors": 0}

        from hypothesis_graphql import nodes

        when = st.one_of(st.datetimes().map(lambda d: d.isoformat() + "Z"), st.text(max_size=30))
        amounts = st.one_of(st.decimals(allow_nan=False, allow_infinity=False).map(str), st.text(max_size=30))
        days = st.one_of(st.dates().map(lambda d: d.isoformat()), st.text(max_size=12))
        scalars = {"DateTime": when.map(nodes.String), "Decimal": amounts.map(nodes.String),
                   "Date": days.map(nodes.String),
                   "JSON": st.one_of(st.text(max_size=20).map(nodes.String), st.integers().map(nodes.Int))}
        documents = st.one_of(
            # any code point, lone surrogates too
            hypothesis_graphql.from_schema(schema, codec=None, custom_scalars=scalars),
            hypothesis_graphql.from_schema(schema, allow_x00=True, custom_scalars=scalars),
        )

        @settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
        @given(document=documents)
        def attempt(document: str) -> None:
            if time.monotonic() - started > BUDGET_SECONDS:
                return  # bounded in time: the examples left pass untried
            response = http.post("/graphql", json={"query": document})
            stats["sent"] += 1
            assert response.status_code < 500 or response.status_code == 503 and (
                response.json()["errors"][0]["extensions"]["code"] in ("OVERLOADED", "STORE_UNAVAILABLE")), (
                document, response.status_code, response.text[:500])
            assert len(response.content) <= MAX_BYTES
            body = response.json()
            for error in body.get("errors") or []:
                stats["errors"] += 1
                assert (error.get("extensions") or {}).get("code"), (document, error)

        attempt()
        assert stats["sent"] >= 50 and stats["errors"] > 0
        assert http.get("/readyz").status_code == 200  # and the service is still up
