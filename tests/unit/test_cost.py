"""The request-wide cost estimate: a pure function of (schema, document, operation, variables)."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse

from graph import cost as model
from graph.access import Access, Role
from graph.cost import Cost, CostBudgets
from schema import build_schema
from schema.cost import estimate

SCHEMA = build_schema()._schema
HEAVY = 'indirectCustomers(companyId: "company:x", maxDepth: 10) { totalCustomers }'


def cost(document: str, variables: dict[str, Any] | None = None, operation: str | None = None) -> Cost:
    return estimate(SCHEMA, parse(document), operation, variables)


def test_nested_lists_cost_the_product_of_their_pages_like_the_compiler_bounds_them() -> None:
    doc = "{ people(first: 100) { nodes { orders(first: 20) { nodes { items(first: 10) { nodes { name } } } } } } }"
    assert cost(doc).rows == 101 + 101 * 21 + 101 * 21 * 11
    assert cost(doc).units == cost(doc).rows  # no filter, no count, no traversal: one unit a row
    assert cost("{ people { nodes { id } } }").rows == 21  # the default page of 20


def test_every_root_field_and_alias_counts() -> None:
    one = cost("{ " + HEAVY + " }")
    thirty = cost("{ " + " ".join(f"a{i}: {HEAVY}" for i in range(30)) + " }")
    assert thirty == one.times(30)
    assert thirty.units > CostBudgets().for_role(Role.ADMIN) >= one.units
    lists = cost("{ a: people(first: 50) { nodes { id } } b: companies(first: 50) { nodes { id } } }")
    assert lists.rows == 102


def test_fields_merged_by_response_key_count_once_and_skipped_ones_not_at_all() -> None:
    merged = cost("{ parties(first: 10) { nodes { ...P ... on Company { orders(first: 10) { nodes { id } } } } } }"
                  " fragment P on Person { orders(first: 10) { nodes { id } } }")
    assert merged.rows == 11 + 11 * 11
    skipped = cost("query($no: Boolean!) { people(first: 10) { nodes { orders(first: 10) @skip(if: $no) "
                   "{ nodes { id } } } } }", {"no": True})
    assert skipped.rows == 11


def test_variables_and_filters_are_counted() -> None:
    doc = "query($n: Int!, $f: PersonFilter) { people(first: $n, filter: $f) { nodes { id } } }"
    small = cost(doc, {"n": 10, "f": {"name": {"eq": "x"}}})
    assert small.rows == 11
    huge = cost(doc, {"n": 10, "f": {"id": {"in": [f"person:{i}" for i in range(100_000)]}}})
    assert huge.units > 100_000 > CostBudgets().for_role(Role.ADMIN)
    counted = cost("{ people(first: 10) { totalCount } }")
    assert counted.units == 11 + model.TOTAL_COUNT


def test_traversals_cost_depth_times_limit_and_whole_base_analytics_a_lot() -> None:
    assert cost('{ supplyChain(companyId: "company:x") { truncated } }').units == 3 * 200
    deep = cost('{ supplyChain(companyId: "company:x", maxDepth: 10, limit: 1000) { truncated } }')
    assert deep.units == 10_000
    heavy = cost('{ disruptionImpact(companyId: "company:x", maxDepth: 10, limit: 1000) { truncated } }')
    assert heavy.units == model.HEAVY_TRAVERSAL * 10_000
    # the largest one the arguments allow fits a budget; two of them do not
    assert heavy.units <= CostBudgets().for_role(Role.ADMIN) < heavy.times(2).units
    assert cost("{ segmentSummary { segment } }").units == model.SEGMENT_SUMMARY
    assert cost('{ a: shortestPath(from: "a", to: "b", maxDepth: 6) { length } }').units == model.PATH_BASE * 64


def test_operation_name_picks_the_operation_and_mutations_cost_a_write() -> None:
    doc = "query Small { people(first: 1) { nodes { id } } } query Big { people(first: 100) { nodes { id } } }"
    assert cost(doc, operation="Small").rows == 2
    assert cost(doc, operation="Big").rows == 101
    assert cost(doc).units == 0  # ambiguous: nothing will run
    write = cost('mutation { a: createPerson(input: {id: "person:z1", name: "Z"}) { id } '
                 'b: createPerson(input: {id: "person:z2", name: "Z"}) { id } }')
    assert write.units >= 2 * model.WRITE


def test_invalid_variables_estimate_nothing_because_nothing_runs() -> None:
    assert cost("query($n: Int!) { people(first: $n) { nodes { id } } }", {"n": "many"}) == Cost()


@pytest.mark.parametrize("role, budget", [(Role.ADMIN, 50_000), (Role.PARTNER, 10_000)])
def test_the_budget_comes_from_the_callers_role(role: Role, budget: int) -> None:
    assert CostBudgets().for_access(Access(role, company_id="company:x")) == budget
    custom = CostBudgets(per_role={Role.ANALYST: 7, Role.ADMIN: 9})
    assert custom.for_role(Role.ANALYST) == 7 and custom.for_role(Role.PARTNER) == 7  # unknown: the smallest


def test_fragments_spread_again_and_again_cost_what_expanding_them_costs() -> None:
    def chain(n: int) -> str:
        frags = " ".join(f"fragment F{i} on Person {{ ... on Person {{ ...F{i + 1} }} ... on Party {{ ...F{i + 1} }} }}"
                         for i in range(n))
        return "{ people(first: 1) { nodes { ...F0 } } } " + frags + f" fragment F{n} on Person {{ name }}"

    assert cost(chain(8)).units == 2  # 2^8 selections: free
    assert cost(chain(20)).units > 10**7 > CostBudgets().for_role(Role.ADMIN)  # 1 kB, refused
    assert cost(chain(500)).units >= 10**12  # counted without expanding anything
