"""The document cache: a document is parsed and validated once, its limit verdicts are
kept with it, and roles are still checked at every request."""

from __future__ import annotations

import pytest

from graph.access import Access, Role
from graph.store import Store
from schema import MAX_DEPTH, build_schema
from schema.document_cache import DocumentLRU
from tests.conftest import GraphQLClient

LOOKUP = '{ party(id: "person:john-smith") { name } }'


@pytest.fixture
def fresh(seeded_store: Store) -> GraphQLClient:
    """A schema of its own, so the cache counters start at zero."""
    return GraphQLClient(build_schema(), seeded_store)


def cache_of(client: GraphQLClient) -> DocumentLRU:
    return client.schema.documents  # type: ignore[attr-defined, no-any-return]


async def test_a_document_is_parsed_and_validated_once(fresh: GraphQLClient) -> None:
    first = await fresh.data(LOOKUP)
    second = await fresh.data(LOOKUP)
    assert first == second == {"party": {"name": "John Smith"}}
    cache = cache_of(fresh)
    assert (cache.misses, cache.hits) == (1, 1)
    assert len(fresh.statements) == 2, "the cache must not skip the statement itself"


async def test_variables_and_operation_names_share_the_entry(fresh: GraphQLClient) -> None:
    doc = "query A($id: ID!) { party(id: $id) { name } } query B { __typename }"
    a = await fresh.schema.execute(doc, variable_values={"id": "person:john-smith"}, operation_name="A",
                                   context_value=_ctx(fresh))
    b = await fresh.schema.execute(doc, operation_name="B", context_value=_ctx(fresh))
    assert a.errors is None and a.data == {"party": {"name": "John Smith"}}
    assert b.errors is None and b.data == {"__typename": "Query"}
    assert cache_of(fresh).misses == 1


async def test_limit_verdicts_are_cached_with_the_document(fresh: GraphQLClient) -> None:
    deep = "{ party(id: \"person:john-smith\") { " + "referredBy { node { " * 8 + "name" + " } }" * 8 + " } }"
    first = await fresh.execute(deep)
    second = await fresh.execute(deep)
    assert first.errors and second.errors
    assert [e.message for e in first.errors] == [e.message for e in second.errors]
    assert any(f"exceeds maximum operation depth of {MAX_DEPTH}" in e.message for e in second.errors)
    assert cache_of(fresh).hits == 1
    assert fresh.statements == [], "an invalid document runs nothing"


async def test_roles_are_checked_at_every_request(fresh: GraphQLClient) -> None:
    doc = "{ segmentSummary { segment } }"
    partner = Access(Role.PARTNER, company_id="company:abc-electronics")
    analyst = Access(Role.ANALYST)
    for _ in range(2):
        denied = await fresh.execute(doc, access=partner)
        assert [e.extensions for e in denied.errors or []] == [{"code": "FORBIDDEN", "field": "segmentSummary"}]
        allowed = await fresh.execute(doc, access=analyst)
        assert allowed.errors is None, allowed.errors
    assert cache_of(fresh).misses == 1


async def test_a_syntax_error_is_reported_and_not_cached(fresh: GraphQLClient) -> None:
    for _ in range(2):
        result = await fresh.execute("{ party(id: ")
        assert result.errors and "Syntax Error" in result.errors[0].message
    assert len(cache_of(fresh)) == 0


async def test_too_many_tokens_still_refused(fresh: GraphQLClient) -> None:
    doc = "{ " + " ".join(f"a{i}: __typename" for i in range(2600)) + " }"
    for _ in range(2):
        result = await fresh.execute(doc)
        assert result.errors and "more than 5000 tokens" in result.errors[0].message
    assert len(cache_of(fresh)) == 0


def test_the_cache_is_bounded() -> None:
    cache = DocumentLRU(size=2)
    for text in ("{ a }", "{ b }", "{ c }", "{ a }"):
        assert cache.document(text, {}) is not None
    assert len(cache) == 2 and cache.misses == 4


def _ctx(client: GraphQLClient) -> object:
    from graph.cypher.compiler import Compiler
    from schema.context import Context

    return Context(client.store, Compiler(client.store.dialect))
