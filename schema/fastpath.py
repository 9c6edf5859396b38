"""The compiled fast path: a cached query answered without graphql-core's per-field execution.

A document that parsed and validated once (``schema.document_cache``) gets a compiled
plan per operation name and variables (a *variant*), kept on its cache entry:

- per root field, the same ``RootPlan`` its resolver builds (``schema.plans.COMPILED_ROOTS``, filled by ``schema.query`` and ``schema.traversals``:
  the selection read by ``SelectionReader``, compiled by the caller's scoped compiler into
  its one statement — never a second compiler), or ``__typename``;
- the cost estimate (a pure function of document, operation name and variables);
- a *completer* per root field: built once from the selection the way graphql-core's
  executor collects it (``collect_fields``/``collect_subfields``, so fragments, aliases and
  ``@include``/``@skip`` merge identically), it turns the root's converted value into the
  response dictionary by calling each field's Strawberry resolver (or reading the
  attribute) and serialising leaves with the schema's own scalar and enum ``serialize``.
  It is generic over object types and resolvers: a new object type (a ``Money`` with its
  own fields) needs nothing here, as long as its resolvers are synchronous and read at
  most ``info.field_name``, ``info.path.key`` and ``info.context``.

Per request: the role of every root field (``graph.access.allowed_roles``), the caller's
cost budget and the row bound are checked against the variant; the statements come from
the caller's scoped compiler (cached per scope unless an analytic reads a snapshot, whose
state changes), run, and are completed. Anything else returns ``None`` and the request
takes the normal path: a document not yet validated, a mutation, introspection, a root
field not served by one statement, a refused role or budget, a statement or conversion
error, a non-null field without a value, an async resolver. A failure after the
statements ran (a store error, a stale cursor) re-runs the request on the normal path, so
the client gets the normal path's error shape; successful requests send exactly one
statement per root field.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from types import CoroutineType
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLObjectType,
    GraphQLSchema,
    OperationType,
    get_operation_ast,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
)
from graphql.execution.collect_fields import FragmentDetails, collect_fields, collect_subfields
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.pyutils import Undefined, is_awaitable
from strawberry.types import ExecutionResult
from strawberry.types.arguments import convert_arguments

from graph.access import EVERYONE, Role, allowed_roles
from graph.cost import Cost, CostBudgets
from graph.cypher.compiler import Statement
from schema.cost import estimate
from schema.plans import COMPILED_ROOTS, RootPlan

BACKREF = "strawberry-definition"
VARIANTS_PER_DOCUMENT = 16  # operation name x variables combinations kept per document
SCOPES_PER_VARIANT = 8  # compiled statements kept per caller scope


class Bail(Exception):
    """This request cannot be answered here; the normal path answers it."""


Complete = Callable[[Any], Any]


@dataclass(frozen=True)
class RootInfo:
    """What ``SelectionReader`` reads of a resolve info, for a root field."""

    field_nodes: list[Any]
    return_type: Any
    schema: GraphQLSchema
    fragments: dict[str, Any]
    variable_values: dict[str, Any]


@dataclass(frozen=True)
class _Path:
    key: str
    prev: Any = None


@dataclass(frozen=True)
class FieldInfo:
    """The part of ``strawberry.Info`` a nested resolver may read on the fast path (one per
    selected field, built once): anything else raises, and the request takes the normal path."""

    field_name: str
    path: _Path


@dataclass
class Root:
    key: str
    field_name: str  # "__typename" or a key of COMPILED_ROOTS
    plan: RootPlan | None
    complete: Complete
    typename: str = ""


@dataclass
class Variant:
    """One document, one operation name, one set of variables."""

    roots: list[Root]
    cost: Cost
    cacheable: bool  # statements depend only on the caller's scope
    roles: frozenset[Role] = EVERYONE  # who may run every root field of it
    compiled: OrderedDict[Any, list[Statement]] = field(default_factory=OrderedDict)


class FastEntry:
    """The fast-path half of a document cache entry: the document and its variants."""

    def __init__(self, document: DocumentNode) -> None:
        self.document = document
        self.variants: OrderedDict[bytes, Variant | None] = OrderedDict()
        self.lock = threading.Lock()

    def variant(self, key: bytes, build: Callable[[], Variant | None]) -> Variant | None:
        with self.lock:
            if key in self.variants:
                self.variants.move_to_end(key)
                return self.variants[key]
        made = build()
        with self.lock:
            self.variants[key] = made
            while len(self.variants) > VARIANTS_PER_DOCUMENT:
                self.variants.popitem(last=False)
        return made


class Completer:
    """Builds the functions turning resolved values into response dictionaries, for one
    variant (its fragments and variables fixed)."""

    def __init__(self, strawberry_schema: Any, fragments: dict[str, FragmentDetails],
                 variables: VariableValues, operation: Any) -> None:
        self.strawberry = strawberry_schema
        self.schema: GraphQLSchema = strawberry_schema._schema
        self.fragments = fragments
        self.variables = variables
        self.operation = operation

    def arguments(self, field_def: Any, sf: Any, node: Any) -> dict[str, Any]:
        raw = get_argument_values(field_def, node, self.variables)
        return convert_arguments(raw, sf.arguments, scalar_registry=self.strawberry.schema_converter.scalar_registry,
                                 config=self.strawberry.config)

    def build(self, type_: Any, details: list[Any]) -> Complete:
        if is_non_null_type(type_):  # the null check folded into the completer it guards
            return self._build(type_.of_type, details, required=True)
        return self._build(type_, details, required=False)

    def _build(self, type_: Any, details: list[Any], *, required: bool) -> Complete:
        if is_list_type(type_):
            item = self.build(type_.of_type, details)

            def listed(value: Any) -> Any:
                if value is None:
                    return _null(required)
                return [item(v) for v in value]

            return listed
        if is_leaf_type(type_):
            serialize = type_.serialize

            def leaf(value: Any) -> Any:
                if value is None:
                    return _null(required)
                out = serialize(value)
                if out is None or out is Undefined:
                    raise Bail("a leaf that does not serialise")
                return out

            return leaf
        concrete = [type_] if isinstance(type_, GraphQLObjectType) else list(self.schema.get_possible_types(type_))
        by_type = {t.name: self.object_fields(t, details) for t in concrete}
        if isinstance(type_, GraphQLObjectType):
            fields = by_type[type_.name]

            def obj(value: Any) -> Any:
                if value is None:
                    return _null(required)
                return {key: complete(get(value)) for key, get, complete in fields}

            return obj

        def abstract(value: Any) -> Any:
            if value is None:
                return _null(required)
            definition = getattr(type(value), "__strawberry_definition__", None)
            fields = by_type.get(getattr(definition, "name", ""))
            if fields is None:
                raise Bail("a value of no possible type")
            return {key: complete(get(value)) for key, get, complete in fields}

        return abstract

    def object_fields(self, type_: GraphQLObjectType, details: list[Any]) -> list[tuple[str, Complete, Complete]]:
        collected = collect_subfields(self.schema, self.fragments, self.variables, self.operation, type_, details)
        if collected.new_defer_usages:
            raise Bail("@defer")
        out: list[tuple[str, Complete, Complete]] = []
        for key, sub in collected.grouped_field_set.items():
            if any(d.fragment_variable_values is not None or d.defer_usage is not None for d in sub):
                raise Bail("fragment variables or @defer")
            name = sub[0].node.name.value
            if name == "__typename":
                out.append((key, _constant(type_.name), _identity))
                continue
            if name.startswith("__"):
                raise Bail("introspection")
            field_def = type_.fields[name]
            out.append((key, self.getter(type_, field_def, name, key, sub), self.build(field_def.type, sub)))
        return out

    def getter(self, type_: GraphQLObjectType, field_def: Any, name: str, key: str, sub: list[Any]) -> Complete:
        sf = (field_def.extensions or {}).get(BACKREF)
        if sf is None or sf.extensions or sf.permission_classes:
            raise Bail(f"{type_.name}.{name} is not a plain Strawberry field")
        resolver = sf.base_resolver
        if resolver is None:
            return _attribute(sf.python_name)
        if resolver.is_async:
            raise Bail(f"{type_.name}.{name} resolves asynchronously")
        kwargs = self.arguments(field_def, sf, sub[0].node)
        if resolver.info_parameter is not None:
            kwargs[resolver.info_parameter.name] = FieldInfo(name, _Path(key))
        parent = [p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None]
        takes_self = resolver.self_parameter is not None
        call = resolver.wrapped_func
        if takes_self and not parent and not kwargs:  # a method of the type: most fields

            def method(value: Any) -> Any:
                return _synchronous(call(value))

            return method

        def get(value: Any) -> Any:
            extra = {p: value for p in parent}
            return _synchronous(call(value, **kwargs, **extra) if takes_self else call(**kwargs, **extra))

        return get


_NOT_AWAITABLE: set[type] = {str, int, float, bool, type(None), list, dict}
_NOT_AWAITABLE_MAX = 512  # types remembered (our object types are a few dozen)


def _synchronous(result: Any) -> Any:
    """A resolver's result, unless it is awaitable (graphql-core's own test), which the
    normal path would await: then ``Bail``. A type found not awaitable is remembered."""
    kind = type(result)
    if kind in _NOT_AWAITABLE:
        return result
    if is_awaitable(result):
        if isinstance(result, CoroutineType):
            result.close()
        raise Bail("an awaitable result")
    if len(_NOT_AWAITABLE) < _NOT_AWAITABLE_MAX and not hasattr(kind, "__await__"):
        _NOT_AWAITABLE.add(kind)
    return result


def _null(required: bool) -> None:
    if required:
        raise Bail("a non-null field without a value")
    return None


def _constant(value: Any) -> Complete:
    return lambda _: value


def _identity(value: Any) -> Any:
    return value


def _attribute(name: str) -> Complete:
    return lambda value: getattr(value, name)


class FastPath:
    """Serves cached query documents from their compiled plans (see the module doc)."""

    def __init__(self, strawberry_schema: Any, budgets: CostBudgets) -> None:
        self.strawberry = strawberry_schema
        self.budgets = budgets
        self.served = 0  # requests answered here (tests and benchmarks read it)
        self.fallbacks = 0  # requests this path looked at and left to the normal path

    # -- building --------------------------------------------------------------------

    def build(self, document: DocumentNode, operation_name: str | None,
              variables: dict[str, Any] | None) -> Variant | None:
        try:
            return self._build(document, operation_name, variables)
        except Exception:  # noqa: BLE001 - Bail, or arguments the normal path reports: not served here
            return None

    def _build(self, document: DocumentNode, operation_name: str | None,
               variables: dict[str, Any] | None) -> Variant | None:
        schema: GraphQLSchema = self.strawberry._schema
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation is not OperationType.QUERY or schema.query_type is None:
            return None
        coerced = get_variable_values(schema, operation.variable_definitions or (), dict(variables or {}))
        if not isinstance(coerced, VariableValues):
            return None  # the normal path reports the variables' errors
        fragments = {d.name.value: FragmentDetails(d) for d in document.definitions
                     if isinstance(d, FragmentDefinitionNode)}
        root_type = schema.query_type
        collected = collect_fields(schema, fragments, coerced, root_type, operation)
        if collected.new_defer_usages or not collected.grouped_field_set:
            return None
        completer = Completer(self.strawberry, fragments, coerced, operation)
        roots: list[Root] = []
        cacheable = True
        for key, details in collected.grouped_field_set.items():
            if any(d.fragment_variable_values is not None or d.defer_usage is not None for d in details):
                return None
            name = details[0].node.name.value
            if name == "__typename":
                roots.append(Root(key, name, None, _identity, root_type.name))
                continue
            builder = COMPILED_ROOTS.get(name)
            if builder is None:
                return None  # analytics, audit, introspection: the normal path
            field_def = root_type.fields[name]
            sf = field_def.extensions[BACKREF]
            if sf.extensions or sf.permission_classes:
                return None
            info = RootInfo([d.node for d in details], field_def.type, schema, fragments, dict(coerced.coerced))
            plan = builder(info, key, completer.arguments(field_def, sf, details[0].node))
            cacheable = cacheable and plan.cacheable
            roots.append(Root(key, name, plan, completer.build(field_def.type, details)))
        roles = EVERYONE.intersection(*(allowed_roles("query", r.field_name) for r in roots if r.plan is not None))
        return Variant(roots, estimate(schema, document, operation_name, variables), cacheable, roles)

    # -- serving ---------------------------------------------------------------------

    def statements(self, variant: Variant, context: Any) -> list[Statement]:
        compiler = context.compiler
        if not variant.cacheable:
            return [root.plan.compile(compiler) for root in variant.roots if root.plan is not None]
        key = compiler.cache_key
        found = variant.compiled.get(key)
        if found is None:
            found = [root.plan.compile(compiler) for root in variant.roots if root.plan is not None]
            variant.compiled[key] = found
            while len(variant.compiled) > SCOPES_PER_VARIANT:
                variant.compiled.popitem(last=False)
        return found

    async def execute(self, entry: FastEntry | None, query: str, variables: dict[str, Any] | None,
                      operation_name: str | None, context: Any) -> ExecutionResult | None:
        """The result of a request answered on the fast path, or None: take the normal path."""
        if entry is None:
            return None
        try:
            key = orjson.dumps([operation_name, variables], option=orjson.OPT_SORT_KEYS)
        except TypeError:
            return None
        variant = entry.variant(key, lambda: self.build(entry.document, operation_name, variables))
        if variant is None:
            return None
        access = context.access
        budget = self.budgets.for_access(access)
        if (variant.cost.units > budget or variant.cost.rows > self.budgets.max_rows
                or access.role not in variant.roles):
            self.fallbacks += 1
            return None  # the normal path refuses it, with its error shape
        try:
            statements = self.statements(variant, context)
        except Exception:  # noqa: BLE001 - an argument the compiler refuses: reported by the normal path
            self.fallbacks += 1
            return None
        store = context.store
        try:
            if not statements:  # __typename only
                results = []
            elif len(statements) == 1:
                results = [await store.fetch(statements[0])]
            else:
                results = list(await asyncio.gather(*(store.fetch(s) for s in statements)))
            data: dict[str, Any] = {}
            values = iter(results)
            for root in variant.roots:
                if root.plan is None:
                    data[root.key] = root.typename
                else:
                    data[root.key] = root.complete(root.plan.convert(next(values)))
        except Exception:  # noqa: BLE001 - a store or conversion error: the normal path reports it
            self.fallbacks += 1
            return None
        self.served += 1
        cost = variant.cost
        return ExecutionResult(data=data, errors=None, extensions={"cost": {
            "requested": cost.units, "budget": budget, "rows": cost.rows, "maxRows": self.budgets.max_rows}})
