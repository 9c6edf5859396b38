"""Documents that select two fields together, generated from the schema by introspection.

Every object, interface and union type reachable from the root fields is reached once,
along the shortest selection path (lookups and lists before traversals, so a node type is
reached where its relationship fields are loaded). On that type each field becomes an
*item*: a scalar, an object with a minimal selection, a connection with ``totalCount``,
an inline fragment on each implementation of an interface or union, and, for a field that
takes arguments, two aliases of it with different arguments. A document selects two items.

All pairs of all types are far too many to run, so the selection is deterministic:
every kind of item with every kind (scalar, object, connection, fragment, aliases),
every item in at least two pairs, then a seeded sample up to a budget per type.
"""

from __future__ import annotations

import itertools
import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)
from graphql.pyutils import Undefined

# Ids from the seed stories (seeds/stories.py) for the arguments that name a node.
SEED_IDS = {
    "Company": "company:abc-steel", "Person": "person:john-smith", "Party": "person:john-smith",
    "Product": "product:brake-caliper-bc200", "Order": "order:abc-1001", "Node": "company:xyz-manufacturing",
    "companyId": "company:abc-steel", "partyId": "person:david-lee",
    "from": "person:john-smith", "to": "person:anna-kowalski",
}
PER_TYPE = 20  # sampled pairs per type on top of the covering ones

Composite = GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType


@dataclass(frozen=True)
class Item:
    text: str
    kind: str  # scalar | object | connection | fragment | aliases
    target: GraphQLNamedType | None  # the composite type the item leads to, if any


@dataclass(frozen=True)
class PairDocument:
    type_name: str
    first: str
    second: str
    text: str


def _literal(arg_type: object, value: object) -> str:
    if isinstance(value, str) and isinstance(get_named_type(arg_type), GraphQLEnumType):  # type: ignore[arg-type]
        return value
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_connection(t: GraphQLNamedType) -> bool:
    return isinstance(t, GraphQLObjectType) and {"edges", "pageInfo", "totalCount"} <= set(t.fields)


def _required(arg: GraphQLArgument) -> bool:
    return isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined


def _root_args(field_name: str, field: GraphQLField) -> str | None:
    """Arguments that make a root field answer from the seed graph; None if unknown."""
    parts = []
    for name, arg in field.args.items():
        if _required(arg):
            key = get_named_type(field.type).name if name == "id" else name
            if key not in SEED_IDS:
                return None
            parts.append(f'{name}: "{SEED_IDS[key]}"')
    optional_ids = [n for n, a in field.args.items()
                    if not _required(a) and get_named_type(a.type).name == "ID" and n in SEED_IDS]
    if not parts and optional_ids:  # e.g. supplyChain: one of companyId / productId
        parts.append(f'{optional_ids[0]}: "{SEED_IDS[optional_ids[0]]}"')
    return "(" + ", ".join(parts) + ")" if parts else ""


def _variant(field: GraphQLField) -> str | None:
    """Arguments that differ from the defaults, for the second alias of a field."""
    parts = []
    for name, arg in field.args.items():
        named = get_named_type(arg.type)
        if name == "first":
            parts.append("first: 1")
        elif name == "orderBy" and isinstance(named, GraphQLInputObjectType):
            sort_field = get_named_type(named.fields["field"].type)
            assert isinstance(sort_field, GraphQLEnumType)
            parts.append(f"orderBy: [{{field: {list(sort_field.values)[-1]}, direction: DESC}}]")
        elif name in ("maxDepth",):
            parts.append(f"{name}: 2")
        elif name == "asOf" or (named.name == "DateTime" and name == "to"):
            parts.append(f'{name}: "2026-06-01T00:00:00Z"')
        elif named.name == "Float":
            parts.append(f"{name}: 1.5")
        elif isinstance(named, GraphQLEnumType) and not isinstance(arg.type, GraphQLList) and name != "orderBy":
            parts.append(f"{name}: {list(named.values)[-1]}")
    return ", ".join(parts) or None


def minimal(t: GraphQLNamedType) -> str:
    """The smallest selection on ``t`` that still reads something from it."""
    if _is_connection(t):
        edge = get_named_type(t.fields["edges"].type)  # type: ignore[union-attr]
        node = get_named_type(edge.fields["node"].type)  # type: ignore[union-attr]
        return f"{{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {minimal(node)} }} }}"
    if isinstance(t, GraphQLUnionType):
        return "{ __typename " + " ".join(f"... on {m.name} {{ id }}" for m in t.types
                                          if "id" in m.fields) + " }"
    assert isinstance(t, GraphQLObjectType | GraphQLInterfaceType)
    if "id" in t.fields:
        return "{ __typename id }"
    leaves = [n for n, f in t.fields.items() if isinstance(get_named_type(f.type), GraphQLScalarType | GraphQLEnumType)
              and not any(_required(a) for a in f.args.values())]
    if leaves:
        return "{ " + leaves[0] + " }"
    return "{ __typename }"


def items(schema: GraphQLSchema, t: Composite, root: bool = False) -> list[Item]:
    out: list[Item] = []
    if isinstance(t, GraphQLUnionType):
        members: list[GraphQLObjectType] = list(t.types)
        own: dict[str, GraphQLField] = {}
    else:
        members = list(schema.get_possible_types(t)) if isinstance(t, GraphQLInterfaceType) else []
        own = dict(t.fields)
    for name, field in own.items():
        args = _root_args(name, field) if root else ""
        if args is None or (not root and any(_required(a) for a in field.args.values())):
            continue
        target = get_named_type(field.type)
        if isinstance(target, GraphQLScalarType | GraphQLEnumType):
            out.append(Item(name + args, "scalar", None))
        else:
            kind = "connection" if _is_connection(target) else "object"
            out.append(Item(f"{name}{args} {minimal(target)}", kind, target))
        variant = _variant(field)
        if variant:
            sel = "" if isinstance(target, GraphQLScalarType | GraphQLEnumType) else " " + minimal(target)
            base = args[1:-1] if args else ""
            joined = ", ".join(p for p in (base, variant) if p)
            out.append(Item(f"a1_{name}: {name}{args}{sel} a2_{name}: {name}({joined}){sel}", "aliases", None))
    for member in members:  # fragments: each implementation's own fields
        for name, field in member.fields.items():
            if name in own or any(_required(a) for a in field.args.values()):
                continue
            target = get_named_type(field.type)
            sel = "" if isinstance(target, GraphQLScalarType | GraphQLEnumType) else " " + minimal(target)
            out.append(Item(f"... on {member.name} {{ {name}{sel} }}", "fragment", None))
    return out


def reachable(schema: GraphQLSchema) -> dict[str, tuple[str, str]]:
    """type name -> (prefix, suffix) wrapping a selection on that type into a document."""
    query = schema.query_type
    assert query is not None
    found: dict[str, tuple[str, str]] = {query.name: ("{ ", " }")}
    # Lookups and lists first: node types must be reached where their lists are loaded.
    roots = sorted(items(schema, query, root=True), key=lambda i: (i.target is None or not (
        get_named_type(i.target).name in SEED_IDS or _is_connection(i.target)), i.text))
    queue: deque[tuple[Composite, str, str]] = deque()
    for item in roots:
        if item.target is not None and item.kind != "aliases":
            head = item.text.split(" {", 1)[0]
            queue.append((item.target, "{ " + head + " { ", " } }"))  # type: ignore[arg-type]
    while queue:
        t, prefix, suffix = queue.popleft()
        if t.name in found:
            continue
        found[t.name] = (prefix, suffix)
        for item in items(schema, t):
            if item.target is not None and item.kind in ("object", "connection"):
                head = item.text.split(" {", 1)[0]
                if _is_connection(item.target) and "(" not in head:
                    head += "(first: 2)"
                queue.append((item.target, prefix + head + " { ", " }" + suffix))  # type: ignore[arg-type]
    return found


def _chosen_pairs(type_name: str, its: list[Item]) -> list[tuple[Item, Item]]:
    n = len(its)
    if n < 2:
        return []
    chosen: dict[tuple[int, int], None] = {}
    by_kind: dict[str, list[int]] = {}
    for i, item in enumerate(its):
        by_kind.setdefault(item.kind, []).append(i)
    for a, b in itertools.combinations_with_replacement(sorted(by_kind), 2):  # every kind with every kind
        for i, j in itertools.product(by_kind[a], by_kind[b]):
            if i != j:
                chosen[(min(i, j), max(i, j))] = None
                break
    for i in range(n):  # every item, twice, with different neighbours
        for step in (1, n // 2):
            j = (i + max(step, 1)) % n
            if i != j:
                chosen[(min(i, j), max(i, j))] = None
    everything = list(itertools.combinations(range(n), 2))
    rng = random.Random(type_name)
    for pair in rng.sample(everything, min(PER_TYPE, len(everything))):
        chosen[pair] = None
    return [(its[i], its[j]) for i, j in chosen]


def documents(schema: GraphQLSchema) -> Iterator[PairDocument]:
    query = schema.query_type
    assert query is not None
    for type_name, (prefix, suffix) in sorted(reachable(schema).items()):
        t = schema.type_map[type_name]
        assert isinstance(t, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
        its = items(schema, t, root=t is query)
        for a, b in _chosen_pairs(type_name, its):
            yield PairDocument(type_name, a.text, b.text, prefix + a.text + " " + b.text + suffix)


def covered_fields(schema: GraphQLSchema) -> set[str]:
    """``Type.field`` for every field the generator can select (the coverage target)."""
    out: set[str] = set()
    for type_name in reachable(schema):
        t = schema.type_map[type_name]
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
            out |= {f"{type_name}.{f}" for f, field in t.fields.items()
                    if t is schema.query_type or not any(_required(a) for a in field.args.values())}
    return out
