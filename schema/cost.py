"""One cost budget per request: the estimate of a whole document, checked before it runs.

Reading the selection itself costs too: field selections beyond ``FREE_SELECTIONS``, with
fragments expanded wherever they are spread, cost a unit each (a chain of fragments
each spreading the next twice is millions of selections in 1 kB).

``estimate`` is a pure function of (schema, document, operation name, variables): it can
be cached per document text and variables. It reads the selection the way
``schema.selection`` does (fragments, inline fragments, aliases, ``@include``/``@skip``,
fields of one response key merged), so every root field and every alias counts, and a
list's rows are bounded like the compiler bounds them (``first + 1`` per parent row).

``CostLimiter`` runs after validation and before execution: over the caller's budget the
request is refused as a whole (``QUERY_TOO_COSTLY``), over the request-wide row bound too
(``RESULT_TOO_LARGE``), and no statement runs. Every response reports
``extensions.cost``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLIncludeDirective,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
    is_abstract_type,
    is_list_type,
    is_non_null_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values, get_variable_values
from graphql.utilities import type_from_ast
from strawberry.extensions import SchemaExtension

from graph import cost as model
from graph.access import ANONYMOUS_ADMIN, Access
from graph.cost import Cost, CostBudgets
from schema.inputs import input_to_dict

Group = list[tuple[GraphQLNamedType, FieldNode]]
DEFAULT_FIRST = 20
MAX_COUNTED = 10**12


def _is_connection(t: GraphQLNamedType) -> bool:
    fields = getattr(t, "fields", None)
    return isinstance(t, GraphQLObjectType) and fields is not None and "edges" in fields and "pageInfo" in fields


def _is_graph_node(t: GraphQLNamedType) -> bool:
    if is_abstract_type(t):
        return True
    return isinstance(t, GraphQLObjectType) and any(i.name == "Node" for i in t.interfaces)


def _is_list(t: Any) -> bool:
    return is_list_type(t.of_type if is_non_null_type(t) else t)


def _filter_size(value: Any) -> int:
    try:
        return model.filter_size(input_to_dict(value))
    except RecursionError:  # nested deeper than Python can convert: nothing that deep runs
        return MAX_COUNTED


class _Estimator:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: VariableValues) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {d.name.value: d for d in document.definitions
                          if isinstance(d, FragmentDefinitionNode)}

    def included(self, node: Any) -> bool:
        try:
            skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
            include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        except GraphQLError:
            return True
        if skip and skip.get("if"):
            return False
        return not (include is not None and not include.get("if"))

    def collect(self, parts: list[tuple[GraphQLNamedType, SelectionSetNode]]) -> dict[str, Group]:
        """Fields of these selection sets by response key, fragments expanded once each
        (a fragment spread twice at one level adds nothing new); iterative, in order."""
        grouped: dict[str, Group] = {}
        visited: set[str] = set()
        stack: list[tuple[GraphQLNamedType, Any]] = [(p, iter(s.selections)) for p, s in reversed(parts)]
        while stack:
            parent, selections = stack[-1]
            sel = next(selections, None)
            if sel is None:
                stack.pop()
                continue
            if not self.included(sel):
                continue
            if isinstance(sel, FieldNode):
                key = sel.alias.value if sel.alias else sel.name.value
                grouped.setdefault(key, []).append((parent, sel))
                continue
            condition: GraphQLNamedType | None = parent
            if isinstance(sel, InlineFragmentNode):
                target = sel
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in visited:
                    continue
                visited.add(name)
                target = fragment  # type: ignore[assignment]
            else:
                continue
            if target.type_condition is not None:
                condition = type_from_ast(self.schema, target.type_condition)  # type: ignore[assignment]
            if condition is not None:
                stack.append((condition, iter(target.selection_set.selections)))
        return grouped

    def arguments(self, field_def: Any, node: FieldNode) -> dict[str, Any]:
        try:
            return get_argument_values(field_def, node, self.variables)
        except (GraphQLError, TypeError, ValueError, RecursionError):
            return {}  # execution reports it; nothing runs for this field

    def walk(self, parts: list[tuple[GraphQLNamedType, SelectionSetNode]], fanout: int) -> Cost:
        """The cost of these merged selection sets, once per each of ``fanout`` parent rows."""
        total = Cost()
        for group in self.collect(parts).values():
            total += self.field(group, fanout, root=False)
        return total

    def field(self, group: Group, fanout: int, *, root: bool) -> Cost:
        parent, node = group[0]
        name = node.name.value
        fields = getattr(parent, "fields", None)
        if name.startswith("__") or not fields or name not in fields:
            return Cost()
        field_def = fields[name]
        args = self.arguments(field_def, node)
        if root:
            traversal = model.traversal_cost(name, args)
            if traversal is not None:
                return traversal  # its results are not expanded further (NOT_LOADED_HERE)
        named = get_named_type(field_def.type)
        children = [(named, n.selection_set) for _, n in group if n.selection_set is not None]
        if name == "lifetimeValue":
            return Cost(fanout * model.LIFETIME_VALUE)
        if name == "rfm":
            return Cost(fanout * model.RFM_PER_NODE + model.RFM_WHOLE_BASE)
        if _is_connection(named):
            first = args.get("first")
            limit = (first if isinstance(first, int) and first >= 0 else DEFAULT_FIRST) + 1
            rows = fanout * limit
            units = rows * model.ROW
            filter_ = args.get("filter")
            if filter_ is not None:
                units += fanout * model.FILTER_UNIT * _filter_size(filter_)
            connection_fields = self.collect(children)
            if any(g[0][1].name.value == "totalCount" for g in connection_fields.values()):
                units += fanout * model.TOTAL_COUNT
            return Cost(units, rows) + self.walk(children, rows)
        if _is_graph_node(named) and not _is_list(field_def.type):
            return Cost(fanout * model.ROW, fanout) + self.walk(children, fanout)
        return self.walk(children, fanout)


def _fields_and_spreads(selection_set: SelectionSetNode) -> tuple[int, list[str]]:
    """Field selections under ``selection_set`` outside fragments, and the fragment
    names spread there (repeats included); iterative, so any nesting is fine."""
    fields, spreads = 0, []
    stack = [selection_set]
    while stack:
        for sel in stack.pop().selections:
            if isinstance(sel, FragmentSpreadNode):
                spreads.append(sel.name.value)
                continue
            if isinstance(sel, FieldNode):
                fields += 1
            if sel.selection_set is not None:  # type: ignore[union-attr]
                stack.append(sel.selection_set)  # type: ignore[union-attr]
    return fields, spreads


def expanded_selections(document: DocumentNode, selection_set: SelectionSetNode) -> int:
    """Field selections under ``selection_set`` with every fragment expanded where it is
    spread (repeats included): the work of reading the selection field by field. Linear
    in the document (each fragment is sized once), though the figure itself can be
    exponential: a chain of fragments each spreading the next twice."""
    parts = {d.name.value: _fields_and_spreads(d.selection_set) for d in document.definitions
             if isinstance(d, FragmentDefinitionNode)}
    sizes: dict[str, int] = {}
    for root in parts:  # sizes in post-order, with an explicit stack; cycles count nothing
        stack, on_path = [(root, 0)], {root}
        while stack:
            name, i = stack[-1]
            spreads = parts[name][1]
            if i < len(spreads):
                stack[-1] = (name, i + 1)
                nxt = spreads[i]
                if nxt in parts and nxt not in sizes and nxt not in on_path:
                    stack.append((nxt, 0))
                    on_path.add(nxt)
                continue
            sizes[name] = min(parts[name][0] + sum(sizes.get(n, 0) for n in spreads), MAX_COUNTED)
            on_path.discard(name)
            stack.pop()
    fields, spreads = _fields_and_spreads(selection_set)
    return min(fields + sum(sizes.get(n, 0) for n in spreads), MAX_COUNTED)


def selection_cost(document: DocumentNode, selection_set: SelectionSetNode) -> Cost:
    """What reading the selection costs: its field selections beyond the free ones."""
    excess = expanded_selections(document, selection_set) - model.FREE_SELECTIONS
    return Cost(max(excess, 0) * model.SELECTION_UNIT)


def estimate_fields(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
                    variables: dict[str, Any] | None) -> dict[str, Cost]:
    """The cost of each root field by response key (``""``: reading the selection)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return {}
    coerced = get_variable_values(schema, operation.variable_definitions or (), dict(variables or {}))
    if not isinstance(coerced, VariableValues):
        return {}
    root_type = schema.get_root_type(operation.operation)
    if root_type is None:
        return {}
    estimator = _Estimator(schema, document, coerced)
    costs = {"": selection_cost(document, operation.selection_set)}
    for key, group in estimator.collect([(root_type, operation.selection_set)]).items():
        part = estimator.field(group, 1, root=True)
        if operation.operation is OperationType.MUTATION:
            part += Cost(model.WRITE, 1)
        costs[key] = part
    return costs


def estimate(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
             variables: dict[str, Any] | None) -> Cost:
    """Upper bounds of the work (cost units) and rows of running ``document``: the sum over
    every root field and alias. Invalid variables or operation: zero (nothing will run)."""
    return sum(estimate_fields(schema, document, operation_name, variables).values(), Cost())


def _fmt(n: int) -> str:
    return f"{n:,}"


class CostLimiter(SchemaExtension):
    """Refuses a request over its caller's cost budget or the row bound before it runs,
    and reports ``extensions.cost = {requested, budget, rows, maxRows}`` on every response."""

    def __init__(self, *, budgets: CostBudgets | None = None) -> None:
        self.budgets = budgets or CostBudgets()
        self.cost: Cost | None = None

    def _access(self) -> Access:
        access = getattr(self.execution_context.context, "access", None)
        return access if isinstance(access, Access) else ANONYMOUS_ADMIN

    def on_validate(self) -> Iterator[None]:
        # Validation rules (depth, aliases) and the resolvers' selection reading expand
        # fragments wherever they are spread: refuse a document whose expansion alone is
        # over budget before any of them runs (a 1 kB chain of fragments took 50 s).
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            operation = get_operation_ast(document, context.operation_name)
            if operation is not None:
                cost = selection_cost(document, operation.selection_set)
                error = self.refusal(cost)
                if error is not None:
                    self.cost = cost
                    context.pre_execution_errors = [error]
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.result is None:
            self.cost = estimate(context.schema._schema, context.graphql_document,
                                 context.operation_name, context.variables)
            error = self.refusal(self.cost)
            if error is not None:
                context.result = ExecutionResult(data=None, errors=[error])
        yield

    def refusal(self, cost: Cost) -> GraphQLError | None:
        access = self._access()
        budget = self.budgets.for_access(access)
        if cost.units > budget:
            return GraphQLError(
                f"this request is estimated at {_fmt(cost.units)} cost units, over the budget of "
                f"{_fmt(budget)} for role {access.role.value}; ask for fewer aliases, smaller pages, "
                "smaller depths or limits",
                extensions={"code": "QUERY_TOO_COSTLY", "estimate": cost.units, "budget": budget})
        if cost.rows > self.budgets.max_rows:
            return GraphQLError(
                f"this request could return {_fmt(cost.rows)} rows, over the {_fmt(self.budgets.max_rows)} "
                "one request may return; ask for smaller pages or fewer aliases",
                extensions={"code": "RESULT_TOO_LARGE", "limit": "rows", "estimate": cost.rows,
                            "maxRows": self.budgets.max_rows})
        return None

    def get_results(self) -> dict[str, Any]:
        cost = self.cost or Cost()
        return {"cost": {"requested": cost.units, "budget": self.budgets.for_access(self._access()),
                         "rows": cost.rows, "maxRows": self.budgets.max_rows}}
