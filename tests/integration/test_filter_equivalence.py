"""The filter compiler's rewrites (NOT pushed down, groups flattened, eq merged into IN)
keep the meaning exactly: random filters over random small graphs, run on the real
FalkorDB, select the same nodes as a Python evaluation in Cypher's three-valued logic
(a missing property is null; NOT null is null; WHERE keeps only true)."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.cypher.dialect import FALKORDB
from graph.cypher.filters import OPERATORS, compile_filter
from graph.cypher.params import Params
from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from graph.model import Prop, PropType

PROPS = {p.name: p for p in (
    Prop("name", PropType.STRING, ""), Prop("age", PropType.INT, ""), Prop("score", PropType.FLOAT, ""),
    Prop("vip", PropType.BOOL, ""), Prop("tags", PropType.STRING_LIST, ""))}
WORDS = st.sampled_from(["", "a", "b", "ab", "ba", "abc"])
VALUES: dict[PropType, st.SearchStrategy[Any]] = {
    PropType.STRING: WORDS, PropType.INT: st.integers(0, 3), PropType.FLOAT: st.sampled_from([0.0, 1.0, 1.5, 2]),
    PropType.BOOL: st.booleans(), PropType.STRING_LIST: st.lists(WORDS, max_size=3)}


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


NODES = st.lists(st.fixed_dictionaries({name: maybe(VALUES[p.type]) for name, p in PROPS.items()}),
                 min_size=1, max_size=6)


def operators(prop: Prop) -> st.SearchStrategy[dict[str, Any]]:
    element = WORDS if prop.type is PropType.STRING_LIST else VALUES[prop.type]
    choices = {}
    for op in OPERATORS[prop.type]:
        if op == "isNull":
            choices[op] = st.booleans()
        elif op in ("in", "notIn"):
            choices[op] = st.lists(element, max_size=3)
        else:
            choices[op] = element
    return st.dictionaries(st.sampled_from(sorted(choices)), st.nothing(), max_size=0) | st.sampled_from(
        sorted(choices)).flatmap(lambda op: st.fixed_dictionaries({op: choices[op]}))


LEAF = st.sampled_from(sorted(PROPS)).flatmap(lambda name: st.fixed_dictionaries({name: operators(PROPS[name])}))
FILTERS = st.recursive(
    LEAF | st.just({}),
    lambda inner: (st.fixed_dictionaries({"NOT": inner})
                   | st.fixed_dictionaries({"AND": st.lists(inner, max_size=3)})
                   | st.fixed_dictionaries({"OR": st.lists(inner, max_size=3)})
                   | st.tuples(inner, inner).map(lambda t: {**t[0], **t[1]})),
    max_leaves=10)


# --- the oracle: three-valued logic in Python --------------------------------------------

def _and(values: list[bool | None]) -> bool | None:
    return False if False in values else (None if None in values else True)


def _or(values: list[bool | None]) -> bool | None:
    return True if True in values else (None if None in values else False)


def _op(x: Any, op: str, v: Any) -> bool | None:
    if op == "isNull":
        return (x is None) == v
    if x is None:
        return None
    match op:
        case "eq": return bool(x == v)
        case "ne": return bool(x != v)
        case "lt": return bool(x < v)
        case "lte": return bool(x <= v)
        case "gt": return bool(x > v)
        case "gte": return bool(x >= v)
        case "in": return x in v
        case "notIn": return x not in v
        case "startsWith": return bool(x.startswith(v))
        case "endsWith": return bool(x.endswith(v))
        case "contains": return v in x
        case "includes": return v in x
    raise AssertionError(op)


def evaluate(filter_: dict[str, Any], node: dict[str, Any]) -> bool | None:
    parts: list[bool | None] = []
    for key, value in filter_.items():
        if key == "AND":
            parts.append(_and([evaluate(f, node) for f in value]))
        elif key == "OR":
            parts.append(_or([evaluate(f, node) for f in value]))
        elif key == "NOT":
            inner = evaluate(value, node)
            parts.append(None if inner is None else not inner)
        else:
            parts += [_op(node[key], op, v) for op, v in value.items()]
    return _and(parts)


async def test_compiled_filters_select_what_three_valued_logic_selects(falkordb_server: EmbeddedFalkorDB) -> None:
    socket = str(falkordb_server.socket_path)

    @settings(max_examples=250, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(NODES, FILTERS)
    def attempt(nodes: list[dict[str, Any]], filter_: dict[str, Any]) -> None:
        params = Params()
        where = compile_filter(filter_, lambda key: (f"n.{key}", PROPS[key]) if key in PROPS else None,
                               params, "filter", FALKORDB)
        expected = sorted(i for i, node in enumerate(nodes) if evaluate(filter_, node) is True)

        async def go() -> list[int]:
            store = FalkorDBStore(socket, "filter-equivalence")
            try:
                await store.write("MATCH (n) DELETE n")
                rows = [{"i": i, "props": {k: v for k, v in node.items() if v is not None}}
                        for i, node in enumerate(nodes)]
                await store.write("UNWIND $rows AS row CREATE (n:T {i: row.i}) SET n += row.props", {"rows": rows})
                text = "MATCH (n:T)" + (f" WHERE {where}" if where else "") + " RETURN n.i AS i ORDER BY i"
                return [r["i"] for r in await store.read(text, params.values)]
            finally:
                await store.close()

        got = asyncio.run(go())
        assert got == expected, (filter_, where, params.values, nodes)

    await asyncio.to_thread(attempt)
