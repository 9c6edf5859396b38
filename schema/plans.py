"""Root fields answered by one compiled statement, as plans both execution paths share.

A ``RootPlan`` is what a root field's resolver builds from its arguments and selection:
how to compile its one statement with a (caller-scoped) compiler, and how to convert the
decoded rows into the field's Strawberry value. The resolvers run it (``run_plan``), and
``schema.fastpath`` keeps it on a cached document's entry and runs it without
graphql-core's per-field execution: one compiler, one plan, two ways to run it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graph.cypher.compiler import Compiler, Statement
from graph.cypher.plan import NodeSelection
from schema.context import Context
from schema.errors import translating


@dataclass(frozen=True)
class RootPlan:
    compile: Callable[[Compiler], Statement]
    convert: Callable[[Any], Any]  # the decoded rows -> the field's Strawberry value
    cacheable: bool = True  # the statement depends only on the plan and the caller's scope


PlanBuilder = Callable[[Any, str, dict[str, Any]], RootPlan]
"""(resolve info, response key, the resolver's converted arguments by Python name) -> plan."""

COMPILED_ROOTS: dict[str, PlanBuilder] = {}
"""Root field name -> its plan builder; filled by ``schema.query`` and ``schema.traversals``."""


async def run_plan(ctx: Context, plan: RootPlan) -> Any:
    """Compile with the caller's compiler, run, convert; errors become typed GraphQL errors."""

    async def run() -> Any:
        return await ctx.store.fetch(plan.compile(ctx.compiler))

    return plan.convert(await translating(run))


def static_selection(node: NodeSelection) -> bool:
    """No computed field anywhere below (their preludes read the analytics snapshot state,
    which moves, so such statements are compiled for every request)."""
    return not node.computed and all(static_selection(rel.node) for rel in node.relations)
