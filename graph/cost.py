"""The cost model: what one request may ask of the store, in cost units and rows.

A cost unit is roughly one row the store reads or returns. A request's estimate is the
sum over every root field and alias, computed before anything runs:

- a list: each level returns at most ``first + 1`` rows per parent row (the compiler's
  bound), so a connection nested in a connection costs the product of their page sizes;
- a filter: each predicate, combinator and ``in`` value is work on every candidate row
  of its list (``FILTER_UNIT`` per item, per parent row);
- ``totalCount``: a count over every match (``TOTAL_COUNT`` per parent row);
- computed fields: ``lifetimeValue`` reads a party's orders, ``rfm`` also needs the
  quintiles of the whole base once per statement;
- traversals: depth x limit, weighted by how much of the graph each step reads
  (measured in ``scripts/bench_traversals.py``: indirect customers and disruption impact
  aggregate every order downstream, so they weigh more);
- whole-base analytics (``segmentSummary``, ``referralStats``): a fixed, large cost;
- reading the selection: field selections beyond ``FREE_SELECTIONS`` once fragments are
  expanded where they are spread (no document within the token limit reaches it without
  spreading fragments repeatedly).

Budgets are per role; ``CostBudgets.for_role`` is the one place that maps a caller to
its budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from graph.access import Access, Role
from graph.traversals.bounds import DEFAULT_DEPTH, DEFAULT_LIMIT

ROW = 1
FILTER_UNIT = 1
TOTAL_COUNT = 100
LIFETIME_VALUE = 10
RFM_PER_NODE = 10
RFM_WHOLE_BASE = 5_000
WRITE = 20
SEGMENT_SUMMARY = 10_000
REFERRAL_STATS = 5_000
HEAVY_TRAVERSAL = 5  # weight of indirectCustomers and disruptionImpact per depth x limit
PATH_BASE = 10  # shortestPath: PATH_BASE x 2^depth (candidate paths grow with depth)
FREE_SELECTIONS = 5_000  # field selections (fragments expanded where spread) that cost nothing
SELECTION_UNIT = 10  # per field selection beyond those (~15 us of validation each)


@dataclass(frozen=True)
class Cost:
    """What part of a request asks for: cost units and rows returned (upper bounds)."""

    units: int = 0
    rows: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.units + other.units, self.rows + other.rows)

    def times(self, factor: int) -> Cost:
        return Cost(self.units * factor, self.rows * factor)


def _arg(args: dict[str, Any], name: str, default: int) -> int:
    value = args.get(name)
    return value if isinstance(value, int) and value > 0 else default


def traversal_cost(field_name: str, args: dict[str, Any]) -> Cost | None:
    """The cost of a traversal or whole-base root field, from its arguments (GraphQL
    names); None for a field that is not one."""
    depth = _arg(args, "maxDepth", DEFAULT_DEPTH)
    limit = _arg(args, "limit", DEFAULT_LIMIT)
    if field_name == "supplyChain":
        return Cost(depth * limit, 2 * limit)  # nodes and the edges among them
    if field_name in ("referralTree", "referralChain"):
        return Cost(depth * limit, 2 * limit + depth)
    if field_name == "disruptionImpact":
        return Cost(HEAVY_TRAVERSAL * depth * limit, 4 * limit)  # companies, products, orders, customers
    if field_name == "indirectCustomers":
        first = _arg(args, "first", 20)
        per = _arg(args, "customersPerIntermediary", 10)
        return Cost(HEAVY_TRAVERSAL * depth * DEFAULT_LIMIT + first * (per + 1), first * (per + depth + 1))
    if field_name == "shortestPath":
        depth = _arg(args, "maxDepth", 4)
        return Cost(PATH_BASE * 2 ** min(depth, 20), 2 * depth + 1)
    if field_name == "segmentSummary":
        return Cost(SEGMENT_SUMMARY, 16)
    if field_name == "referralStats":
        return Cost(REFERRAL_STATS, 64)
    return None


def filter_size(value: Any) -> int:
    """Items in a filter (predicates, combinators, list values): the work per row it adds.
    Iterative, so any nesting is counted."""
    size = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, str | int | float | bool | Enum):
            size += 1
        elif isinstance(item, dict):
            size += 1
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            size += 0 if item else 1
            stack.extend(item)
        else:
            size += 1
    return size


@dataclass(frozen=True)
class CostBudgets:
    """Budgets of one request, per role, and the request-wide result bounds."""

    per_role: dict[Role, int] = field(default_factory=lambda: {
        Role.ADMIN: 50_000, Role.EDITOR: 50_000, Role.ANALYST: 50_000, Role.PARTNER: 10_000})
    max_rows: int = 50_000  # rows one request may return, all root fields together
    max_bytes: int = 16 * 1024 * 1024  # bytes of one response body

    def for_role(self, role: Role) -> int:
        found = self.per_role.get(role)  # not .get(role, min(...)): that takes the min every request
        return found if found is not None else min(self.per_role.values())

    def for_access(self, access: Access) -> int:
        """The cost budget of a request made with ``access``: the one place that decides."""
        return self.for_role(access.role)
