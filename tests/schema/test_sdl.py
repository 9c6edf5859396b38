"""The schema as clients see it: an SDL snapshot, and documentation everywhere."""

from __future__ import annotations

import os
from pathlib import Path

import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
)

SNAPSHOT = Path(__file__).with_name("schema.graphql")


def test_sdl_snapshot(schema: strawberry.Schema) -> None:
    sdl = str(schema) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not SNAPSHOT.exists():
        SNAPSHOT.write_text(sdl)
    assert sdl == SNAPSHOT.read_text(), "schema changed; rerun with UPDATE_SNAPSHOTS=1 if intended"


def test_every_type_field_argument_and_value_is_documented(schema: strawberry.Schema) -> None:
    missing: list[str] = []
    for name, type_ in schema._schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID", "DateTime"):
            continue
        if not type_.description:
            missing.append(name)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                missing += [f"{name}.{field_name}({a})" for a, arg in field.args.items() if not arg.description]
        elif isinstance(type_, GraphQLInputObjectType):
            missing += [f"{name}.{f}" for f, field in type_.fields.items() if not field.description]
        elif isinstance(type_, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in type_.values.items() if not value.description]
        elif isinstance(type_, GraphQLUnionType):
            pass
    assert missing == []


def test_lists_are_connections_with_bounded_pages(schema: strawberry.Schema) -> None:
    query = schema._schema.query_type
    assert query is not None
    for name in ("people", "companies", "parties", "products", "orders", "segments"):
        field = query.fields[name]
        assert set(field.args) == {"first", "after", "filter", "orderBy"}
        assert field.args["first"].default_value == 20
    person = schema._schema.type_map["Person"]
    assert isinstance(person, GraphQLObjectType)
    assert set(person.fields["orders"].args) == {"first", "after", "filter", "orderBy"}
