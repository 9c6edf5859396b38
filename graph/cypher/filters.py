"""Typed filter inputs to Cypher predicates. Property names come from the model only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graph.cypher.dialect import Dialect
from graph.cypher.errors import QueryInputError
from graph.cypher.params import Params
from graph.cypher.values import to_store
from graph.model import Prop, PropType

_COMPARE = {"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_STRING = {"startsWith": "STARTS WITH", "endsWith": "ENDS WITH", "contains": "CONTAINS"}
_ORDERED = {PropType.ID, PropType.STRING, PropType.INT, PropType.FLOAT, PropType.DATETIME}
_TEXT = {PropType.ID, PropType.STRING}

OPERATORS: dict[PropType, tuple[str, ...]] = {
    PropType.ID: ("eq", "ne", "in", "notIn", "startsWith", "isNull"),
    PropType.STRING: ("eq", "ne", "in", "notIn", "lt", "lte", "gt", "gte",
                      "startsWith", "endsWith", "contains", "isNull"),
    PropType.INT: ("eq", "ne", "in", "notIn", "lt", "lte", "gt", "gte", "isNull"),
    PropType.FLOAT: ("eq", "ne", "in", "notIn", "lt", "lte", "gt", "gte", "isNull"),
    PropType.BOOL: ("eq", "ne", "isNull"),
    PropType.DATETIME: ("eq", "ne", "lt", "lte", "gt", "gte", "isNull"),
    PropType.STRING_LIST: ("includes", "isNull"),
}
"""Which operators each property type accepts; the GraphQL inputs are built from this."""

Resolve = Callable[[str], tuple[str, Prop] | None]
"""Maps a filter key to (Cypher expression, property), or None when it is not allowed."""


def compile_filter(filter_: dict[str, Any] | None, resolve: Resolve, params: Params,
                   argument: str, dialect: Dialect) -> str | None:
    """A predicate for ``filter_``, or None when it constrains nothing."""
    if not filter_:
        return None
    if not isinstance(filter_, dict):
        raise QueryInputError(argument, "must be an input object")
    parts: list[str] = []
    for key, value in filter_.items():
        if value is None:
            continue
        where = f"{argument}.{key}"
        if key in ("AND", "OR"):
            if not isinstance(value, list):
                raise QueryInputError(where, "must be a list of filters")
            subs = [s for i, v in enumerate(value)
                    if (s := compile_filter(v, resolve, params, f"{where}[{i}]", dialect))]
            if subs:
                parts.append("(" + f" {key} ".join(subs) + ")")
            elif key == "OR" and value == []:
                parts.append("false")
        elif key == "NOT":
            sub = compile_filter(value, resolve, params, where, dialect)
            if sub:
                parts.append(f"NOT ({sub})")
        else:
            found = resolve(key)
            if found is None:
                raise QueryInputError(where, "no such field to filter on")
            expr, prop = found
            parts.extend(_field_predicates(expr, prop, value, params, where, dialect))
    return " AND ".join(parts) if parts else None


def _field_predicates(expr: str, prop: Prop, ops: Any, params: Params, where: str,
                      dialect: Dialect) -> list[str]:
    if not isinstance(ops, dict):
        raise QueryInputError(where, "must be an object of operators, e.g. {eq: ...}")
    allowed = OPERATORS[prop.type]
    out: list[str] = []
    for op, value in ops.items():
        if value is None:
            continue
        if op not in allowed:
            raise QueryInputError(f"{where}.{op}", f"not an operator for {prop.type.value} fields")
        if op == "isNull":
            out.append(f"{expr} IS NULL" if value else f"{expr} IS NOT NULL")
            continue
        stored = to_store(prop.type, value)
        if op in ("in", "notIn"):
            if not isinstance(stored, list):
                raise QueryInputError(f"{where}.{op}", "must be a list")
            pred = f"{expr} IN {params.add(stored)}"
            out.append(pred if op == "in" else f"NOT {pred}")
        elif op == "includes":
            out.append(f"{params.add(stored)} IN {expr}")
        elif op in _STRING:
            out.append(f"{expr} {_STRING[op]} {params.add(stored)}")
        else:
            if op not in ("eq", "ne") and prop.type not in _ORDERED:
                raise QueryInputError(f"{where}.{op}", "field is not ordered")
            operand = expr
            if op not in ("eq", "ne") and prop.type in _TEXT:
                operand = dialect.string_range_operand(expr)
            out.append(f"{operand} {_COMPARE[op]} {params.add(stored)}")
    return out
