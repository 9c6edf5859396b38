"""GraphQL documents generated from the schema itself, so a field added tomorrow is
covered by the suites that use them (the partner-leak suite first of all)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graphql import (
    Lexer,
    Source,
    TokenKind,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
)

from graph.model import NODE_KINDS

NODE_TYPES = set(NODE_KINDS) | {"Node", "Party"}
PAGE = 5


def is_connection(type_: Any) -> bool:
    named = get_named_type(type_)
    return isinstance(named, GraphQLObjectType) and {"edges", "pageInfo"} <= set(named.fields)


def _reaches_nodes(type_: Any) -> bool:
    named = get_named_type(type_)
    return is_connection(named) or named.name in NODE_TYPES


def _optional_args_only(field: GraphQLField) -> bool:
    return all(not is_non_null_type(a.type) or a.default_value is not None for a in field.args.values())


def selection(schema: GraphQLSchema, type_: Any, rel_depth: int) -> str:
    """Every leaf of ``type_``, and every object field below it; relationship fields of
    graph nodes (lists and single links) only ``rel_depth`` levels deep."""
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        parts = ["__typename"]
        for possible in schema.get_possible_types(named):
            parts.append(f"... on {possible.name} {{ {selection(schema, possible, rel_depth)} }}")
        return " ".join(parts)
    assert isinstance(named, GraphQLObjectType)
    owner_is_node = named.name in NODE_KINDS
    parts = ["__typename"]
    for name, field in named.fields.items():
        if not _optional_args_only(field):
            continue
        target = get_named_type(field.type)
        if is_leaf_type(target):
            parts.append(name)
            continue
        relationship = owner_is_node and _reaches_nodes(field.type)
        if relationship and rel_depth <= 0:
            continue
        depth = rel_depth - 1 if relationship else rel_depth
        if is_connection(target):
            edge = get_named_type(target.fields["edges"].type)
            edge_leaves = " ".join(n for n, f in edge.fields.items() if is_leaf_type(get_named_type(f.type)))
            node_type = edge.fields["node"].type
            args = f"(first: {PAGE})" if "first" in field.args else ""
            parts.append(f"{name}{args} {{ totalCount pageInfo {{ hasNextPage }} "
                         f"nodes {{ {selection(schema, node_type, depth)} }} edges {{ {edge_leaves} node {{ id }} }} }}")
        else:
            parts.append(f"{name} {{ {selection(schema, field.type, depth)} }}")
    return " ".join(parts)


ArgumentFiller = Callable[[str, GraphQLField], list[dict[str, Any]]]


def _tokens(text: str) -> int:
    lexer = Lexer(Source(text))
    count = 0
    while lexer.advance().kind is not TokenKind.EOF:
        count += 1
    return count


def root_documents(schema: GraphQLSchema, fill: ArgumentFiller, rel_depth: int = 2,
                   max_tokens: int = 4500) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(root field, document, variables) for every root query field and every set of
    arguments ``fill`` gives for it."""
    query = schema.query_type
    assert query is not None
    for name, field in query.fields.items():
        # Root fields returning graph nodes go two relationship levels down; traversal
        # results hold nodes whose lists are not loaded there (NOT_LOADED_HERE).
        depth = rel_depth if _reaches_nodes(field.type) else 0
        body = selection(schema, field.type, depth)
        while depth > 0 and _tokens(body) > max_tokens:  # e.g. `node`: every kind's every list
            depth -= 1
            body = selection(schema, field.type, depth)
        for args in fill(name, field):
            declared = ", ".join(f"${a}: {field.args[a].type}" for a in args)
            passed = ", ".join(f"{a}: ${a}" for a in args)
            head = f"query Q({declared})" if declared else "query Q"
            call = f"{name}({passed})" if passed else name
            sub = f" {{ {body} }}" if body.strip() else ""  # a scalar root field has no selection
            yield name, f"{head} {{ {call}{sub} }}", args


def walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every object in a response."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)
