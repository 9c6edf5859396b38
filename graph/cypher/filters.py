"""Typed filter inputs to Cypher predicates. Property names come from the model only.

A filter is read into a small boolean tree, bounded while it is read (depth, number of
terms, values per ``in``), then normalised before any Cypher is written:

- ``NOT`` is pushed down to the operators (negation normal form, De Morgan), so no
  ``NOT`` wraps a group;
- nested ``AND``s and ``OR``s are flattened, constants folded (``OR: []`` is false,
  an empty filter is true);
- ``eq``/``in`` alternatives on one field become one ``IN $list`` (and negated ones in a
  conjunction one ``NOT … IN $list``);
- parentheses are written only where an ``OR`` sits inside an ``AND``.

Why: FalkorDB's Cypher parser backtracks on nesting, so parse time doubles with each
parenthesis or ``NOT`` level (9 × ``NOT (AND (…))``, 208 bytes, took 89 s), and a long
chain of ``OR`` crashed it. After normalisation the nesting is at most the number of
``AND``/``OR`` alternations, which the depth bound caps, and the statement grows linearly
with the filter. Each rewrite is exact in Cypher's three-valued logic (De Morgan and
double negation hold there; a negated operator stays ``NOT (x op v)``, null on a missing
property, as before); tests compare the result with a Python evaluation on FalkorDB.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from graph.cypher.dialect import Dialect
from graph.cypher.errors import QueryInputError
from graph.cypher.params import Params
from graph.cypher.values import to_store
from graph.input_limits import (
    MAX_FILTER_DEPTH,
    MAX_FILTER_TERMS,
    MAX_IN_VALUES,
    InputTooLargeError,
)
from graph.model import NAME_KEY, NAME_KEYED, NODE_KINDS, Prop, PropType
from graph.money import (
    CURRENCIES,
    MoneyInputError,
    base_currency,
    parse_decimal,
    scaled_floor,
)
from graph.sort_keys import prefix_range
from graph.text_rules import text_problem

_COMPARE = {"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_STRING = {"startsWith": "STARTS WITH", "endsWith": "ENDS WITH", "contains": "CONTAINS"}
_ORDERED = {PropType.ID, PropType.STRING, PropType.INT, PropType.FLOAT, PropType.DATETIME, PropType.MONEY}
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
    PropType.MONEY: ("eq", "ne", "in", "notIn", "lt", "lte", "gt", "gte", "isNull"),
}
"""Which operators each property type accepts; the GraphQL inputs are built from this."""

Resolve = Callable[[str], tuple[str, Prop] | None]
"""Maps a filter key to (Cypher expression, property), or None when it is not allowed."""


@dataclass(frozen=True)
class Term:
    """One operator on one field: ``expr op value``, negated or not. ``in`` holds a list."""

    expr: str
    prop: Prop
    op: str
    value: Any
    negated: bool = False
    currency: str | None = None  # money: the expression of the amount's currency (values by currency)


@dataclass(frozen=True)
class Group:
    """``AND`` (``all_``) or ``OR`` of its items."""

    all_: bool
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


@dataclass(frozen=True)
class Const:
    value: bool


Node = Term | Group | Not | Const
TRUE, FALSE = Const(True), Const(False)


def compile_filter(filter_: dict[str, Any] | None, resolve: Resolve, params: Params,
                   argument: str, dialect: Dialect, name_keys: bool = False) -> str | None:
    """A predicate for ``filter_``, or None when it constrains nothing. ``name_keys``:
    every named node's key is known to match its name (``graph.cypher.horizons``), so a
    name prefix may also be read as a key range."""
    if not filter_:
        return None
    tree = _Reader(resolve).read(filter_, argument, 0)
    tree = simplify(to_nnf(tree, False))
    if tree == TRUE:
        return None
    if tree == FALSE:
        return "false"
    return _emit(tree, params, dialect, inside_and=True, ranges=name_keys)


# --- reading, bounded ------------------------------------------------------------------

@dataclass
class _Reader:
    resolve: Resolve
    terms: int = field(default=0)
    values: int = field(default=0)

    def count(self, where: str) -> None:
        self.terms += 1
        if self.terms > MAX_FILTER_TERMS:
            raise InputTooLargeError(where, f"a filter may hold at most {MAX_FILTER_TERMS} operators "
                                            "and AND/OR/NOT terms", MAX_FILTER_TERMS)

    def read(self, filter_: Any, argument: str, depth: int) -> Node:
        if not isinstance(filter_, dict):
            raise QueryInputError(argument, "must be an input object")
        if depth > MAX_FILTER_DEPTH:
            raise InputTooLargeError(argument, f"filters nest AND/OR/NOT at most {MAX_FILTER_DEPTH} "
                                               "levels deep", MAX_FILTER_DEPTH)
        parts: list[Node] = []
        for key, value in filter_.items():
            if value is None:
                continue
            where = f"{argument}.{key}"
            if key in ("AND", "OR"):
                if not isinstance(value, list):
                    raise QueryInputError(where, "must be a list of filters")
                self.count(where)
                if len(value) > MAX_FILTER_TERMS:
                    raise InputTooLargeError(where, f"a filter may hold at most {MAX_FILTER_TERMS} operators "
                                                    "and AND/OR/NOT terms", MAX_FILTER_TERMS)
                parts.append(Group(key == "AND", tuple(
                    self.read(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value) if v is not None)))
            elif key == "NOT":
                self.count(where)
                parts.append(Not(self.read(value, where, depth + 1)))
            else:
                found = self.resolve(key)
                if found is None:
                    raise QueryInputError(where, "no such field to filter on")
                expr, prop = found
                terms = self.operators(expr, prop, value, where)
                if prop.type is PropType.MONEY and prop.currency is not None:
                    sibling = self.resolve(prop.currency)
                    terms = [Term(t.expr, t.prop, t.op, t.value, t.negated, sibling[0] if sibling else None)
                             if isinstance(t, Term) else t for t in terms]
                parts += terms
        return Group(True, tuple(parts))

    def operators(self, expr: str, prop: Prop, ops: Any, where: str) -> list[Node]:
        if not isinstance(ops, dict):
            raise QueryInputError(where, "must be an object of operators, e.g. {eq: ...}")
        allowed = OPERATORS[prop.type]
        out: list[Node] = []
        for op, value in ops.items():
            if value is None:
                continue
            at = f"{where}.{op}"
            if op not in allowed:
                raise QueryInputError(at, f"not an operator for {prop.type.value} fields")
            self.count(at)
            if op == "isNull":
                out.append(Term(expr, prop, op, bool(value)))
                continue
            if op in ("in", "notIn"):
                if not isinstance(value, list | tuple):
                    raise QueryInputError(at, "must be a list")
                self.values += len(value)
                if self.values > MAX_IN_VALUES:
                    raise InputTooLargeError(at, f"in and notIn lists of one filter hold at most {MAX_IN_VALUES} "
                                                 f"values altogether (got {self.values})", MAX_IN_VALUES)
            elif op in ("lt", "lte", "gt", "gte") and prop.type not in _ORDERED:
                raise QueryInputError(at, "field is not ordered")
            _check_text(value, at)
            stored = _money_operand(op, value, prop, at) if prop.type is PropType.MONEY else to_store(prop.type, value)
            if op == "notIn":
                out.append(Term(expr, prop, "in", list(stored), negated=True))
            elif op == "in":
                out.append(Term(expr, prop, "in", list(stored)))
            else:
                out.append(Term(expr, prop, op, stored))
        return out


_NO_AMOUNT = 0.5
"""Equal to no stored amount (amounts are whole minor units): what ``eq 0.005`` compares
with in a currency of two decimals, so it matches nothing and ``ne`` matches everything."""


def _minor_bound(op: str, amount: Decimal, places: int) -> int | float:
    """The whole number of minor units that makes ``x op amount`` exact for integer ``x``."""
    floor, exact = scaled_floor(amount, places)
    if exact:
        return floor
    if op in ("gt", "lte"):
        return floor
    if op in ("gte", "lt"):
        return floor + 1
    return _NO_AMOUNT


def _money_operand(op: str, value: Any, prop: Prop, where: str) -> Any:
    """A decimal amount (or a list of them) as minor units: one value per currency (a map
    the statement indexes by the row's currency), or one value for a base-currency amount."""
    def amount(v: Any) -> Decimal:
        try:
            return parse_decimal(v)
        except MoneyInputError as exc:
            raise QueryInputError(where, str(exc)) from None

    def bound(v: Any, places: int) -> Any:
        return _minor_bound(op, amount(v), places)

    def per_places(places: int) -> Any:
        if op in ("in", "notIn"):
            return [b for b in (bound(v, places) for v in value) if b != _NO_AMOUNT]
        return bound(value, places)

    if prop.currency is None:
        return per_places(CURRENCIES[base_currency()])
    return {code: per_places(places) for code, places in CURRENCIES.items()}


def _check_text(value: Any, where: str) -> None:
    for item in value if isinstance(value, list | tuple) else (value,):
        if isinstance(item, str) and (problem := text_problem(item)):
            raise QueryInputError(where, problem)


# --- normalising -----------------------------------------------------------------------

def to_nnf(node: Node, negate: bool) -> Node:
    """``node`` (negated when ``negate``) with NOT only on operators (De Morgan)."""
    match node:
        case Const(value):
            return Const(value != negate)
        case Not(item):
            return to_nnf(item, not negate)
        case Group(all_, items):
            return Group(all_ != negate, tuple(to_nnf(i, negate) for i in items))
        case Term():
            return Term(node.expr, node.prop, node.op, node.value, node.negated != negate, node.currency)
    raise TypeError(node)


def simplify(node: Node) -> Node:
    """Flatten nested groups of one kind, fold constants, merge ``eq``/``in`` alternatives."""
    if not isinstance(node, Group):
        return node
    items: list[Node] = []
    for item in (simplify(i) for i in node.items):
        if isinstance(item, Group) and item.all_ == node.all_:
            items += item.items  # already flat and folded
        elif item == Const(node.all_):
            continue  # the identity: true in AND, false in OR
        elif item == Const(not node.all_):
            return item  # the absorbing element
        else:
            items.append(item)
    items = _merge_in(items, negated=node.all_)
    if not items:
        return Const(node.all_)
    return items[0] if len(items) == 1 else Group(node.all_, tuple(items))


def _merge_in(items: list[Node], negated: bool) -> list[Node]:
    """In an OR, ``x = a OR x IN [b, c]`` is ``x IN [a, b, c]``; in an AND the negated
    ones merge the same way (NOT x = a AND NOT x IN [b] is NOT x IN [a, b]). Exact in
    three-valued logic: both sides are null exactly when ``x`` is null."""
    merged: dict[str, list[Any]] = {}
    first: dict[str, int] = {}
    out: list[Node | None] = []
    for item in items:
        if (isinstance(item, Term) and item.negated == negated and item.op in ("eq", "in")
                and item.prop.type not in (PropType.STRING_LIST, PropType.MONEY)):
            values = item.value if item.op == "in" else [item.value]
            if item.expr in merged:
                merged[item.expr] += values
                continue
            merged[item.expr] = list(values)
            first[item.expr] = len(out)
        out.append(item)
    for expr, at in first.items():
        term = out[at]
        assert isinstance(term, Term)
        values = merged[expr]
        if len(values) > 1 or term.op == "in":
            out[at] = Term(expr, term.prop, "in", values, negated)
    return [i for i in out if i is not None]


# --- writing ---------------------------------------------------------------------------

def _emit(node: Node, params: Params, dialect: Dialect, inside_and: bool, ranges: bool) -> str:
    """Cypher text; an OR inside an AND (or at the top, which callers AND-join) gets
    parentheses, nothing else does (AND binds tighter than OR, NOT tighter than AND).
    ``ranges``: a name prefix here may add its key range (not under an OR, where no index
    serves it and it would only add work per row)."""
    match node:
        case Const(value):
            return "true" if value else "false"
        case Term():
            return _term(node, params, dialect, ranges)
        case Group(all_, items):
            text = (" AND " if all_ else " OR ").join(_emit(i, params, dialect, all_, ranges and all_)
                                                      for i in items)
            return f"({text})" if inside_and and not all_ else text
    raise TypeError(node)


def _operand(term: Term, params: Params) -> str:
    """The parameter a term compares with; per currency, the entry for the row's currency
    (a missing currency is the base currency)."""
    if term.prop.type is PropType.MONEY and term.prop.currency is not None:
        currency = f"coalesce({term.currency}, {params.add(base_currency())})" if term.currency else \
            params.add(base_currency())
        return f"{params.add(term.value)}[{currency}]"
    return params.add(term.value)


_KEYED_NAMES = tuple(NODE_KINDS[label].prop("name") for label in NAME_KEYED)


def _key_range(term: Term, params: Params) -> str:
    """For ``name startsWith`` on a kind with name keys (graph.sort_keys): the range of keys
    those names have, which the key's index answers (FalkorDB scans every node of the label
    for STARTS WITH: 83 ms at 1M people, 0.3 ms with the range). Not for a negated term:
    false where STARTS WITH is null would flip under its NOT."""
    var, _, prop = term.expr.partition(".")
    if term.negated or not term.value or prop != "name" or not var.isidentifier() \
            or not any(term.prop is p for p in _KEYED_NAMES):
        return ""  # an empty prefix: every name; the whole range is slower than a scan
    low, high = prefix_range(term.value)
    key = f"{var}.{NAME_KEY}"
    return f"{key} >= {params.add(low)} AND {key} <= {params.add(high)} AND "


def _term(term: Term, params: Params, dialect: Dialect, ranges: bool = False) -> str:
    expr, op, value = term.expr, term.op, term.value
    if op == "isNull":
        return f"{expr} IS NULL" if value != term.negated else f"{expr} IS NOT NULL"
    if op == "in":
        text = f"{expr} IN {_operand(term, params)}"
    elif op == "includes":
        text = f"{params.add(value)} IN {expr}"
    elif op in _STRING:
        ranged = _key_range(term, params) if ranges and op == "startsWith" else ""
        text = f"{ranged}{expr} {_STRING[op]} {params.add(value)}"
    else:
        operand = expr
        if op not in ("eq", "ne") and term.prop.type in _TEXT:
            operand = dialect.string_range_operand(expr)
        text = f"{operand} {_COMPARE[op]} {_operand(term, params)}"
    return f"NOT {text}" if term.negated else text
