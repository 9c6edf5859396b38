"""The budget follows the caller's role (``Context.access``), and a refused request sends
no statement to the store; an allowed one reports what it cost."""

from __future__ import annotations

import time

import strawberry

from graph.access import Access, Role
from graph.cost import CostBudgets
from graph.cypher.compiler import Compiler
from graph.store import Store
from schema import build_schema
from schema.context import Context
from schema.cost import estimate_fields

BUDGETS = CostBudgets(per_role={Role.ADMIN: 50_000, Role.EDITOR: 50_000, Role.ANALYST: 500, Role.PARTNER: 50})
LIST = "{ people(first: 30) { nodes { id orders(first: 10) { nodes { id } } } } }"  # 31 + 31 x 11 rows


async def run(schema: strawberry.Schema, store: Store, role: Role, query: str) -> tuple[object, list[str]]:
    sent: list[str] = []
    stop = store.add_listener(lambda q, _p: sent.append(q))
    try:
        context = Context(store, Compiler(store.dialect), access=Access(role, subject="tester"))
        return await schema.execute(query, context_value=context), sent
    finally:
        stop()


async def test_each_role_gets_its_own_budget(seeded_store: Store) -> None:
    schema = build_schema(budgets=BUDGETS)
    allowed, sent = await run(schema, seeded_store, Role.ADMIN, LIST)
    assert allowed.errors is None and len(sent) == 1
    assert allowed.extensions["cost"] == {"requested": 372, "budget": 50_000, "rows": 372, "maxRows": 50_000}

    refused, sent = await run(schema, seeded_store, Role.PARTNER, LIST)
    assert refused.data is None and sent == []
    error = refused.errors[0]
    assert error.extensions == {"code": "QUERY_TOO_COSTLY", "estimate": 372, "budget": 50}
    assert "372" in error.message and "partner" in error.message

    analyst, _ = await run(schema, seeded_store, Role.ANALYST, LIST)
    assert analyst.errors is None and analyst.extensions["cost"]["budget"] == 500


async def test_the_rows_bound_holds_whatever_the_budget(seeded_store: Store) -> None:
    schema = build_schema(budgets=CostBudgets(per_role={Role.ADMIN: 10**9}, max_rows=100))
    refused, sent = await run(schema, seeded_store, Role.ADMIN, LIST)
    assert sent == [] and refused.errors[0].extensions == {
        "code": "RESULT_TOO_LARGE", "limit": "rows", "estimate": 372, "maxRows": 100}


async def test_errors_before_execution_still_report_the_budget(seeded_store: Store) -> None:
    result, sent = await run(build_schema(budgets=BUDGETS), seeded_store, Role.ANALYST, "{ nope }")
    assert result.errors and sent == []
    assert result.extensions["cost"]["requested"] == 0 and result.extensions["cost"]["budget"] == 500


def fragment_chain(n: int) -> str:
    """A 1 kB document whose fragments, expanded where spread, are 2^n selections."""
    frags = " ".join(f"fragment F{i} on Person {{ ... on Person {{ ...F{i + 1} }} ... on Party {{ ...F{i + 1} }} }}"
                     for i in range(n))
    return "{ people(first: 1) { nodes { ...F0 } } } " + frags + f" fragment F{n} on Person {{ name }}"


async def test_fragments_spread_again_and_again_are_refused_before_validation_expands_them(
        seeded_store: Store) -> None:
    schema = build_schema()
    start = time.monotonic()
    result, sent = await run(schema, seeded_store, Role.ADMIN, fragment_chain(24))  # ~16 M selections
    assert time.monotonic() - start < 5  # expanding them (depth limit, aliases, resolvers) took minutes
    assert sent == [] and result.errors[0].extensions["code"] == "QUERY_TOO_COSTLY"
    assert result.errors[0].extensions["estimate"] > 10**7
    small, sent = await run(schema, seeded_store, Role.ADMIN, fragment_chain(6))
    assert small.errors is None and len(sent) == 1


async def test_the_estimate_bounds_rows_exactly_as_the_compiler_does(seeded_store: Store) -> None:
    """For every root field of the suite's documents: a per-statement row bound equal to the
    field's estimated rows lets it run, one row less makes the compiler refuse it (when it
    has nested lists). So the request-wide rows budget is the sum of the compiler's bounds."""
    from graphql import parse

    from graph.cypher.compiler import Limits
    from tests.documents import CORPUS

    schema = build_schema(budgets=CostBudgets(per_role={Role.ADMIN: 10**9}, max_rows=10**9))
    checked = 0
    for document, variables in CORPUS:
        fields = estimate_fields(schema._schema, parse(document), None, variables)
        for key, cost in fields.items():
            if not key or cost.rows <= 1:
                continue
            for max_rows, refused in ((cost.rows, False), (cost.rows - 1, None)):
                context = Context(seeded_store, Compiler(seeded_store.dialect, Limits(max_rows=max_rows)))
                result = await schema.execute(document, variable_values=variables, context_value=context)
                codes = {e.extensions.get("code") for e in result.errors or [] if e.path and e.path[0] == key}
                if refused is False:
                    assert "QUERY_TOO_COMPLEX" not in codes, (key, cost, document[:80])
                elif "QUERY_TOO_COMPLEX" in codes:
                    checked += 1
    assert checked >= 5  # the bound is tight for the fields with nested lists
