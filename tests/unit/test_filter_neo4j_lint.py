"""Random filters, normalised by the compiler, written in the Neo4j dialect, pass Neo4j's
own parser and semantic analysis (the FalkorDB side of the same filters is checked for
meaning in tests/integration/test_filter_equivalence.py)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from graph.cypher.dialect import NEO4J
from graph.cypher.filters import compile_filter
from graph.cypher.params import Params
from tests.cypher_lint import CypherLinter
from tests.integration.test_filter_equivalence import FILTERS, PROPS


def test_random_filters_pass_the_neo4j_front_end(cypher_linter: CypherLinter) -> None:
    @settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(FILTERS)
    def attempt(filter_: dict[str, Any]) -> None:
        params = Params()
        where = compile_filter(filter_, lambda key: (f"n.{key}", PROPS[key]) if key in PROPS else None,
                               params, "filter", NEO4J)
        text = "CYPHER 5 MATCH (n:Person)" + (f" WHERE {where}" if where else "") + " RETURN n.id AS id"
        cypher_linter.assert_valid(text, params.values)

    attempt()
