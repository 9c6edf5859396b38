"""Filter and ordering inputs, built from the model's allow-lists.

Each node kind gets ``<Kind>Filter`` (its properties with typed operators, plus
``AND``/``OR``/``NOT``) and each relationship list whose edges carry properties gets an
``<Edge>EdgeFilter``; ordering is a list of ``{field, direction}`` over sortable fields.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Optional

import strawberry
from strawberry.types.base import StrawberryObjectDefinition

from graph.cypher.filters import OPERATORS
from graph.model import Prop, PropType

SCALARS: dict[PropType, Any] = {
    PropType.ID: strawberry.ID,
    PropType.STRING: str,
    PropType.INT: int,
    PropType.FLOAT: float,
    PropType.BOOL: bool,
    PropType.DATETIME: datetime,
    PropType.STRING_LIST: list[str],
    PropType.MONEY: Decimal,  # in filters: an amount in the compared value's currency
}

_OP_DOCS = {
    "eq": "Equal to.", "ne": "Not equal to.", "in": "Equal to one of.", "notIn": "Equal to none of.",
    "lt": "Less than.", "lte": "Less than or equal to.", "gt": "Greater than.",
    "gte": "Greater than or equal to.", "startsWith": "Starts with (case-sensitive).",
    "endsWith": "Ends with (case-sensitive).", "contains": "Contains (case-sensitive).",
    "isNull": "true: the value is missing; false: it is present.",
    "includes": "The list contains this value.",
}


def _operator_input(type_: PropType) -> type:
    scalar = SCALARS[type_]
    element = str if type_ is PropType.STRING_LIST else scalar
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    for op in OPERATORS[type_]:
        python = op + "_" if op == "in" else op
        if op in ("in", "notIn"):
            annotations[python] = Optional[list[element]]  # noqa: UP045 - runtime annotation
        elif op == "isNull":
            annotations[python] = Optional[bool]  # noqa: UP045
        else:
            annotations[python] = Optional[element]  # noqa: UP045
        namespace[python] = strawberry.field(default=None, name=op, description=_OP_DOCS[op])
    namespace["__annotations__"] = annotations
    name = {PropType.BOOL: "Boolean", PropType.STRING_LIST: "StringList"}.get(type_, type_.value)
    if type_ is PropType.MONEY:
        return strawberry.input(type("MoneyFilter", (), namespace), description=(
            "Operators for an amount; all given must hold. Values are decimal amounts compared, exactly, "
            "in each item's own currency (`total: {gt: \"100\"}` is 100 USD for a USD order and 100 EUR "
            "for a EUR order); combine with a filter on `currency` to compare one currency."))
    cls = type(f"{name}Filter", (), namespace)
    return strawberry.input(cls, description=f"Operators for a {name} field; all given must hold.")


OPERATOR_INPUTS: dict[PropType, type] = {t: _operator_input(t) for t in PropType}


def filter_input(name: str, props: tuple[Prop, ...], what: str) -> type:
    """``<name>`` with one operator input per property and the boolean combinators."""
    cls = type(name, (), {})
    annotations: dict[str, Any] = {}
    for prop in props:
        annotations[prop.name] = Optional[OPERATOR_INPUTS[prop.type]]  # noqa: UP045
        setattr(cls, prop.name, strawberry.field(default=None, description=prop.doc))
    annotations["AND"] = Optional[list[cls]]  # type: ignore[valid-type]  # noqa: UP045
    annotations["OR"] = Optional[list[cls]]  # type: ignore[valid-type]  # noqa: UP045
    annotations["NOT"] = Optional[cls]  # noqa: UP045
    cls.AND = strawberry.field(default=None, description="All of these hold.")  # type: ignore[attr-defined]
    cls.OR = strawberry.field(default=None, description="At least one of these holds.")  # type: ignore[attr-defined]
    cls.NOT = strawberry.field(default=None, description="This does not hold.")  # type: ignore[attr-defined]
    cls.__annotations__ = annotations
    return strawberry.input(cls, description=f"Filter on {what}.")


@strawberry.enum(description="Sort direction.")
class Direction(Enum):
    ASC = strawberry.enum_value("ASC", description="Smallest first; missing values first.")
    DESC = strawberry.enum_value("DESC", description="Largest first; missing values last.")


def _screaming(name: str) -> str:
    out = "".join("_" + c if c.isupper() else c.upper() for c in name)
    return out.lstrip("_")


def order_input(name: str, node_props: tuple[Prop, ...], edge_props: tuple[Prop, ...],
                what: str) -> type:
    """``<name>`` = ``{field, direction}`` over the sortable node (and edge) properties."""
    members: dict[str, Any] = {}
    for prop in node_props:
        if prop.sortable:
            members[_screaming(prop.name)] = strawberry.enum_value(f"node:{prop.name}", description=prop.doc)
    for prop in edge_props:
        if prop.sortable:
            members["EDGE_" + _screaming(prop.name)] = strawberry.enum_value(
                f"edge:{prop.name}", description=f"Edge: {prop.doc}")
    field_enum = strawberry.enum(Enum(f"{name}Field", members),  # type: ignore[misc]
                                 description=f"Fields {what} can be ordered by.")
    cls = type(name, (), {
        "__annotations__": {"field": field_enum, "direction": Direction},
        "field": strawberry.field(description="What to order by."),
        "direction": strawberry.field(default=Direction.ASC, description="ASC or DESC."),
    })
    return strawberry.input(cls, description=(
        f"One ordering key for {what}; the id breaks ties. A key is a sort of the rows the "
        "list matches, not an index walk: on a root list (people, parties, ...) every node "
        "of its kind that passes the filter is read (a scan, linear in the graph; see the "
        "README's scale figures), on a relationship list only the parent's own rows. One "
        "exception: the root `orders` list newest first (its default, placedAt DESC) reads "
        "the newest orders from the placedAt index first and sorts every order only when "
        "they do not hold the page. A selective filter on an indexed field (id, name, sku, "
        "placedAt, at) narrows what is sorted."))


def input_to_dict(value: Any) -> Any:
    """A Strawberry input object as the plain dict the compiler reads (GraphQL names)."""
    if isinstance(value, list):
        return [input_to_dict(v) for v in value]
    if isinstance(value, dict):
        return {k: input_to_dict(v) for k, v in value.items() if v is not None}
    if isinstance(value, Enum):
        inner = value.value  # an EnumValueDefinition where the member has docs
        return getattr(inner, "value", inner)
    definition: StrawberryObjectDefinition | None = getattr(value, "__strawberry_definition__", None)
    if definition is None or not dataclasses.is_dataclass(value):
        return value
    out = {}
    for f in definition.fields:
        item = getattr(value, f.python_name)
        if item is None or item is strawberry.UNSET:
            continue
        out[f.graphql_name or f.python_name] = input_to_dict(item)
    return out
