"""The statements `crmgraph doctor` sends to Neo4j pass Neo4j's own front end; a broken one does not."""

from __future__ import annotations

import pytest

from graph.neo4j_store import COMPONENTS, SHOW_CONSTRAINTS, SHOW_INDEXES
from tests.cypher_lint import CypherLinter


@pytest.mark.parametrize("statement", [SHOW_INDEXES, SHOW_CONSTRAINTS, COMPONENTS])
def test_doctor_statements_are_valid_neo4j(cypher_linter: CypherLinter, statement: str) -> None:
    cypher_linter.assert_valid("CYPHER 5 " + statement)


def test_a_broken_show_is_caught(cypher_linter: CypherLinter) -> None:
    assert cypher_linter.errors("CYPHER 5 SHOW INDEXES YIELD labelsOrTypes WHERE RETURN x")
