"""Every Neo4j-dialect statement the project emits, checked by Neo4j's own parser and
semantic analysis (``lintCypherQuery`` from @neo4j-cypher/language-support)."""

from __future__ import annotations

import pytest
import strawberry

from graph.access import ANONYMOUS_ADMIN, Access, Role
from graph.audit import Audit, Write, with_audit
from graph.cypher.compiler import Compiler
from graph.cypher.dialect import NEO4J
from graph.model import NODE_KINDS, REL_KINDS
from graph.neo4j_store import schema_statements
from graph.writes import upsert_nodes_query, upsert_relationships_query
from schema.context import Context
from tests.capture import CapturingStore
from tests.cypher_lint import CypherLinter
from tests.documents import CORPUS, PARTNER_CORPUS
from tests.unit.test_compiler import PLANS


def test_a_broken_statement_is_caught(cypher_linter: CypherLinter) -> None:
    assert cypher_linter.errors("CYPHER 5 MATCH (n:Person RETURN n")  # syntax
    assert cypher_linter.errors("CYPHER 5 MATCH (n:Person) RETURN m")  # unbound variable
    assert cypher_linter.errors("CYPHER 5 MATCH (n) WHERE n.id = $missing RETURN n")  # undeclared parameter
    assert cypher_linter.errors("CYPHER 5 MATCH (n) CALL (n) { RETURN n AS n } RETURN n")  # shadowing
    with pytest.raises(AssertionError, match="Neo4j rejects"):
        cypher_linter.assert_valid("CYPHER 5 MATCH (n:Person) RETURN m")


@pytest.mark.parametrize("name", sorted(PLANS))
def test_compiler_plans(cypher_linter: CypherLinter, name: str) -> None:
    statement = PLANS[name](Compiler(NEO4J))
    cypher_linter.assert_valid(statement.text, statement.params)


PARTNER = Access(Role.PARTNER, company_id="company:abc-steel", scope_depth=3)


@pytest.mark.parametrize("access", [ANONYMOUS_ADMIN, PARTNER], ids=["admin", "partner"])
async def test_every_document_of_the_suite(cypher_linter: CypherLinter, schema: strawberry.Schema,
                                           access: Access) -> None:
    store = CapturingStore(NEO4J)
    context = Context(store, Compiler(NEO4J), access=access)
    for document, variables in CORPUS + PARTNER_CORPUS:
        await schema.execute(document, variable_values=variables, context_value=context)
    assert len(store.captured) >= len(CORPUS) // 2
    for text, params in store.captured:
        assert text.startswith("CYPHER 5\n")
        cypher_linter.assert_valid(text, params)


def test_schema_and_write_statements(cypher_linter: CypherLinter) -> None:
    for statement in schema_statements():
        cypher_linter.assert_valid("CYPHER 5 " + statement)
    for label in NODE_KINDS:
        cypher_linter.assert_valid("CYPHER 5 " + upsert_nodes_query(label), {"rows": []})
    for type_ in REL_KINDS:
        cypher_linter.assert_valid("CYPHER 5 " + upsert_relationships_query(type_), {"rows": []})


def test_write_statements(cypher_linter: CypherLinter) -> None:
    from graph.mutations import statements as st
    from graph.mutations.service import LINKS, WRITABLE

    params = {k: None for k in ("id", "props", "start", "end", "customer", "seller", "items", "referrer",
                                "referred", "company", "party", "target", "survivor", "merged", "withOrders",
                                "currency", "placedAt", "rateFrom", "base", "given", "from", "rate", "now",
                                "at", "limit")}
    from graph.money_rates import APPLICABLE, LIST, set_rate_statement

    statements = [st.record_order(NEO4J), st.record_referral(NEO4J), st.merge_parties(NEO4J),
                  st.update_priced("Product", ("price", "cost")), set_rate_statement(NEO4J), APPLICABLE, LIST,
                  st.record_touchpoint(NEO4J, "Interaction", "HAD", "WITH", ("Company",)),
                  st.record_touchpoint(NEO4J, "Feedback", "GAVE", "ABOUT", ("Company", "Product", "Order"))]
    for label in WRITABLE:
        statements += [st.create_node(NEO4J, label), st.upsert_node(NEO4J, label), st.update_node(label),
                       st.delete_node(NEO4J, label)]
    for type_ in LINKS:
        statements += [st.set_relationship(NEO4J, type_), st.remove_relationship(type_)]
    for statement in statements:
        cypher_linter.assert_valid("CYPHER 5\n" + statement, params)
        if not isinstance(statement, Write):
            continue  # a read
        # the same statement as sent with an audit record (graph.audit)
        audited, with_params = with_audit(statement, Audit("key:k", "op"), params, NEO4J.call_open)
        cypher_linter.assert_valid("CYPHER 5\n" + audited, with_params)


def test_import_and_export_statements(cypher_linter: CypherLinter) -> None:
    from graph.io import exporter, importer
    from graph.model import NODE_KINDS, REL_KINDS

    statements = [importer.alias_batch_statement(NEO4J), exporter.neighbourhood_statement(2)]
    statements += [importer.node_batch_statement(NEO4J, label) for label in NODE_KINDS]
    statements += [importer.rel_batch_statement(NEO4J, type_) for type_ in REL_KINDS]
    for what in ("nodes", "relationships"):
        for scoped in (False, True):
            statements += list(exporter.page_statements("neo4j", what, scoped))
    params = {"rows": [], "id": "x", "after": "", "page": 1, "scope": [], "ids": []}
    for statement in statements:
        cypher_linter.assert_valid("CYPHER 5\n" + statement, params)
        if isinstance(statement, Write):
            audited, with_params = with_audit(statement, Audit("cli:me", "import"), params, NEO4J.call_open)
            cypher_linter.assert_valid("CYPHER 5\n" + audited, with_params)
    from graph.audit import AUDIT_PAGE
    cypher_linter.assert_valid("CYPHER 5\n" + AUDIT_PAGE, {k: None for k in (
        "since", "actor", "touched", "afterAt", "afterEvent", "cut")})


def test_horizon_and_name_key_statements(cypher_linter: CypherLinter) -> None:
    from graph.cypher.horizons import WINDOWS, horizon_statement, window_size_statement
    from graph.cypher.name_keys import (fix_keys_statement, key_range_statement, set_keys_statement,
                                        unkeyed_statement)
    from graph.model import NAME_KEYED

    for window in WINDOWS:
        cypher_linter.assert_valid("CYPHER 5 " + horizon_statement(window), {"skip": 2000})
        cypher_linter.assert_valid("CYPHER 5 " + window_size_statement(window), {"horizon": 0})
    for label in NAME_KEYED:
        cypher_linter.assert_valid("CYPHER 5 " + unkeyed_statement(label), {"limit": 10})
        cypher_linter.assert_valid("CYPHER 5 " + set_keys_statement(label), {"rows": []})
        cypher_linter.assert_valid("CYPHER 5 " + key_range_statement(label), {"low": 0, "high": 10})
        cypher_linter.assert_valid("CYPHER 5 " + fix_keys_statement(label), {"rows": []})
