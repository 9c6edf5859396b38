#!/usr/bin/env python3
"""Filter statements at the input bounds, on the real embedded FalkorDB (not a test).

    .venv/bin/python scripts/bench_filters.py [--people 20000]

Prints, per filter: the Cypher size, the time FalkorDB takes to EXPLAIN it (parse and
plan) and to run it over --people Person nodes. "old" rows rebuild the statement the
compiler wrote before filters were normalised (every group parenthesised, NOT around it).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from falkordb.asyncio import FalkorDB

from graph.cypher.dialect import FALKORDB
from graph.cypher.filters import compile_filter
from graph.cypher.params import Params
from graph.embedded import EmbeddedFalkorDB
from graph.input_limits import MAX_FILTER_DEPTH, MAX_FILTER_TERMS, MAX_IN_VALUES
from graph.model import NODE_KINDS

PERSON = {p.name: p for p in NODE_KINDS["Person"].props}


def wrapped(levels: int) -> dict[str, Any]:
    leaf: dict[str, Any] = {"name": {"eq": "n1"}}
    for _ in range(levels):
        leaf = {"NOT": {"AND": [leaf]}}
    return leaf


def old_wrapped(levels: int) -> str:
    text = "n.name = $p0"
    for _ in range(levels):
        text = f"NOT (({text}))"
    return text


def alternating(depth: int, width: int) -> dict[str, Any]:
    """OR of ANDs of ORs ... with NOTs, ``depth`` levels, ``width`` items per group."""
    counter = iter(range(10**6))

    def build(level: int) -> dict[str, Any]:
        if level == depth:
            return {"age": {"gt": next(counter) % 90}}
        key = "OR" if level % 2 == 0 else "AND"
        return {"NOT": {key: [build(level + 1) for _ in range(width)]}} if level % 3 == 2 else \
            {key: [build(level + 1) for _ in range(width)]}
    return build(0)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedFalkorDB(Path(tmp))
        server.start()
        try:
            graph = FalkorDB(unix_socket_path=str(server.socket_path)).select_graph("bench")
            await graph.query("UNWIND range(1, $n) AS i CREATE (:Person {id: 'person:' + toString(i), "
                              "name: 'n' + toString(i), age: i % 90})", {"n": args.people})
            resolve = lambda key: (f"n.{key}", PERSON[key]) if key in PERSON else None  # noqa: E731
            cases: list[tuple[str, str, dict[str, Any]]] = []
            for levels in (3, 4, 5, 6):
                cases.append((f"old: {levels} x NOT(AND(...))", old_wrapped(levels), {"p0": "n1"}))
            cases.append((f"new: {MAX_FILTER_DEPTH // 2} x NOT(AND(...)) (the depth bound)", "", wrapped(MAX_FILTER_DEPTH // 2)))
            for depth, width in ((4, 3), (6, 2)):
                cases.append((f"new: alternating OR/AND/NOT, {depth} groups deep, {width} wide", "",
                              alternating(depth, width)))
            cases.append((f"new: OR of {MAX_FILTER_TERMS - 1} eq (one IN)", "",
                          {"OR": [{"name": {"eq": f"n{i}"}} for i in range(MAX_FILTER_TERMS - 1)]}))
            cases.append((f"new: in with {MAX_IN_VALUES} ids", "",
                          {"id": {"in": [f"person:{i}" for i in range(MAX_IN_VALUES)]}}))
            print(f"{'filter':58} {'chars':>6} {'explain s':>10} {'run s':>8} {'rows':>6}")
            for name, text, data in cases:
                params: dict[str, Any]
                if not text:
                    p = Params()
                    text = compile_filter(data, resolve, p, "filter", FALKORDB) or "true"
                    params = p.values
                else:
                    params = data
                query = f"MATCH (n:Person) WHERE {text} RETURN count(n) AS c // {time.time_ns()}"
                started = time.perf_counter()
                await graph.explain(query, params)
                explained = time.perf_counter() - started
                started = time.perf_counter()
                rows = (await graph.query(query + " ", params)).result_set[0][0]
                ran = time.perf_counter() - started
                print(f"{name:58} {len(text):6} {explained:10.3f} {ran:8.3f} {rows:6}")
        finally:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
