#!/usr/bin/env python3
"""indirectCustomers and disruptionImpact: the statements before issue 9's rewrite against
today's, on the same store, in one run.

    .venv/bin/python scripts/bench_heavy_traversals.py            # 100k parties, ~1M relationships
    .venv/bin/python scripts/bench_heavy_traversals.py --people 2000 --companies 200 --products 400 \\
        --orders 4000 --interactions 2000 --repeat 3

The graph is generated once into --data-dir (reused on later runs with the same sizes) and
served by an embedded FalkorDB started here (or one already serving it: --socket). For
depths 2, 4 and 6 and --roots raw-material companies, each statement is sent straight to
the store, old and new alternately, and every pair of answers is decoded and compared
(they must be equal but for one documented latitude, see ``same``, or the script exits
non-zero). It prints the p50 of each per root, new / old, and the median of those ratios
per depth.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.cypher.compiler import Statement  # noqa: E402
from graph.cypher.dialect import FALKORDB, Dialect  # noqa: E402
from graph.cypher.scope import UNSCOPED, Scope  # noqa: E402
from graph.cypher import scope as sc_  # noqa: E402
from graph.embedded import EmbeddedFalkorDB  # noqa: E402
from graph.falkordb_store import FalkorDBStore  # noqa: E402
from graph.traversals.bounds import Bounds  # noqa: E402
from graph.traversals.disruption import disruption_impact  # noqa: E402
from graph.traversals.indirect import indirect_customers  # noqa: E402
from scripts.bench_traversals import ensure_graph, percentile  # noqa: E402

console = Console(width=150)
WINDOW = (datetime(2025, 11, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))

# -- the statements as they were before the rewrite (main at 8e9edae) ---------------------


def _old_best_paths(var: str, pattern: str, route: str | None, into: str, keep: str) -> list[str]:
    """Lines collecting, for every node ``var`` matched by ``pattern``, one shortest path."""
    item = f"{{id: {var}.id, path: [n IN nodes(best) | n.id]" + (f", route: '{route}'" if route else "") + "}"
    return [
        f"OPTIONAL MATCH p = {pattern}",
        f"WHERE {var} <> x",
        f"WITH {keep}, {var}, p",
        "ORDER BY length(p)",
        f"WITH {keep}, {var}, collect(p)[0] AS best",
        f"WITH {keep}, collect(CASE WHEN {var} IS NULL THEN null ELSE {item} END) AS {into}",
    ]


def old_indirect_text(dialect: Dialect, d: int, scope: Scope = UNSCOPED) -> str:
    node_summary = lambda var: sc_.summary(scope, var)  # noqa: E731
    lines = [
        "MATCH (x:Entity {id: $id})",
        "WHERE x:Company",
        *_old_best_paths("s", f"(x)-[:SUPPLIES*1..{d}]->(s:Company)", "SUPPLY", "supply", "x"),
        *_old_best_paths("r", f"(x)-[:SUPPLIES*0..{d - 1}]->(:Company)<-[:RESELLS_FOR]-(r:Company)", "RESALE",
                     "resale", "x, supply"),
        *_old_best_paths("q", f"(x)-[:MAKES]->(:Product)-[:COMPONENT_OF*1..{d}]->(q:Product)", None,
                     "containing", "x, supply, resale"),
        "WITH x, supply + resale AS via, containing, [(dc)-[:PLACED]->(:Order)-[:SOLD_BY]->(x) | dc.id] AS direct",
        *dialect.call_open(("via",)),
        "  UNWIND via AS v",
        "  MATCH (s:Entity {id: v.id})<-[:SOLD_BY]-(o:Order)<-[:PLACED]-(c:Party)",
        # Filtering after a WITH keeps FalkorDB's planner starting from the index lookup
        # (with the WHERE on the MATCH it scanned every order for each intermediary).
        "  WITH s, o, c",
        "  WHERE NOT o.status IN $uncounted",
        "  RETURN collect({s: s.id, o: o.id, c: c.id, t: o.baseTotal, q: null}) AS bySeller",
        "}",
        *dialect.call_open(("containing",)),
        "  UNWIND containing AS q",
        "  MATCH (:Entity {id: q.id})<-[:CONTAINS]-(o:Order)-[:SOLD_BY]->(s:Company)",
        "  MATCH (o)<-[:PLACED]-(c:Party)",
        "  WITH q, s, o, c",
        "  WHERE NOT o.status IN $uncounted",
        "  RETURN collect({s: s.id, o: o.id, c: c.id, t: o.baseTotal, q: q.id}) AS byProduct",
        "}",
        "WITH x, via, containing, [row IN bySeller + byProduct WHERE NOT row.c IN direct "
        "AND row.c <> x.id AND row.s <> x.id] AS rows",
        *dialect.call_open(("rows",)),
        "  UNWIND rows AS row",
        "  WITH row.s AS sid, row.o AS oid, row.c AS cid, row.t AS total, collect(row.q) AS qs",
        "  WITH sid, cid, sum(total) AS revenue, count(oid) AS orders, collect(head(qs)) AS q1",
        "  ORDER BY revenue DESC, cid",
        "  WITH sid, collect({id: cid, revenue: revenue, orders: orders})[0..$perGroup] AS top,",
        "       count(cid) AS customers, sum(revenue) AS revenue, sum(orders) AS orders, collect(head(q1)) AS q2",
        "  ORDER BY revenue DESC, sid",
        "  RETURN collect({id: sid, top: top, customers: customers, revenue: revenue, orders: orders, "
        "q: head(q2)}) AS groups",
        "}",
        *dialect.call_open(("rows",)),
        "  UNWIND rows AS row",
        "  WITH DISTINCT row.o AS oid, row.c AS cid, row.t AS total",
        "  RETURN count(DISTINCT cid) AS customers, sum(total) AS revenue",
        "}",
        # The cursor names a group; its revenue is read from the groups this statement just
        # summed, so the comparison is between the very same numbers (never a printed copy).
        "WITH x, via, containing, groups, customers, revenue, [g IN groups WHERE g.id = $afterId] AS cur",
        "WITH x, via, containing, groups, customers, revenue, cur,",
        "     [g IN groups WHERE $afterId IS NULL OR (size(cur) > 0 AND (g.revenue < cur[0].revenue "
        "OR (g.revenue = cur[0].revenue AND g.id > cur[0].id)))][0..$cut] AS page",
        "WITH x, via, containing, groups, customers, revenue, page, cur,",
        "     reduce(ids = [], g IN page | ids + [g.id] + [t IN g.top | t.id]) AS pageIds",
        *dialect.call_open(("pageIds", "via", "containing", "page")),
        *(["  WITH pageIds AS wanted"] if scope.partner else [  # partners: no route through others' nodes
            "  WITH pageIds + reduce(ids = [], v IN via | ids + CASE WHEN v.id IN pageIds THEN v.path ELSE [] END)",
            "       + reduce(ids = [], c IN containing | ids + CASE WHEN c.id IN [g IN page | g.q] THEN c.path ELSE [] END)",
            "       AS wanted"]),
        "  UNWIND wanted AS nid",
        "  WITH DISTINCT nid",
        "  MATCH (n:Entity {id: nid})",
        f"  RETURN collect({node_summary('n')}) AS summaries",
        "}",
        f"RETURN {node_summary('x')} AS company, size(groups) AS intermediaries, customers, revenue, "
        "page, via, containing, summaries, size(cur) = 0 AS cursorMissing",
    ]
    return dialect.statement(lines)


def old_disruption_text(dialect: Dialect, d: int, scope: Scope = UNSCOPED) -> str:
    node_summary = lambda var: sc_.summary(scope, var)  # noqa: E731
    products, open_orders, customers = (
        ("[p IN products WHERE p.tier = 0]", "[]", "[]") if scope.partner
        else ("products", "openOrders", "customers"))
    lines = [
        "MATCH (x:Entity {id: $id})",
        "WHERE x:Company",
        f"OPTIONAL MATCH p = (x)-[:SUPPLIES*1..{d}]->(hc:Company)",
        "WHERE hc <> x",
        "WITH x, hc, min(length(p)) AS tier",
        "ORDER BY tier, hc.id",
        "WITH x, collect(CASE WHEN hc IS NULL THEN null ELSE {id: hc.id, tier: tier} END) AS hit",
        "WITH x, hit, [h IN hit | h.id] + [x.id] AS hitIds",
        *dialect.call_open(("hit", "hitIds")),
        "  UNWIND hit[0..$limit] AS h",
        "  MATCH (c:Entity {id: h.id})",
        "  OPTIONAL MATCH (alt:Company)-[:SUPPLIES]->(c)",
        "  WHERE NOT alt.id IN hitIds",
        "  WITH h, c, count(alt) AS alternatives",
        "  ORDER BY h.tier, h.id",
        f"  RETURN collect({{node: {node_summary('c')}, tier: h.tier, alternatives: alternatives}}) AS companies",
        "}",
        *dialect.call_open(("x", "hitIds")),
        "  MATCH (x)-[:MAKES]->(own:Product)",
        f"  MATCH bp = (own)-[:COMPONENT_OF*0..{d}]->(q:Product)",
        "  WITH hitIds, q, min(length(bp)) AS tier",
        "  OPTIONAL MATCH (m:Company)-[:MAKES]->(q)",
        "  WHERE NOT m.id IN hitIds",
        "  WITH q, tier, count(m) AS makers",
        "  ORDER BY tier, q.id",
        f"  RETURN collect({{node: {node_summary('q')}, tier: tier, makers: makers}}) AS products",
        "}",
        "WITH x, hit, hitIds, companies, products, [p IN products | p.node.props.id] AS productIds",
        *dialect.call_open(("productIds",)),
        "  UNWIND productIds AS pid",
        "  MATCH (part:Entity {id: pid})-[:COMPONENT_OF]->(whole:Product)",
        "  WHERE whole.id IN productIds",
        "  RETURN collect({part: part.id, whole: whole.id}) AS bom",
        "}",
        *dialect.call_open(("hitIds",)),
        "  UNWIND hitIds AS sid",
        "  MATCH (:Entity {id: sid})<-[:SOLD_BY]-(o:Order)",
        "  RETURN collect(o.id) AS bySeller",
        "}",
        *dialect.call_open(("productIds",)),
        "  UNWIND productIds AS pid",
        "  MATCH (:Entity {id: pid})<-[:CONTAINS]-(o:Order)",
        "  RETURN collect(o.id) AS byProduct",
        "}",
        *dialect.call_open(("bySeller", "byProduct")),
        "  UNWIND bySeller + byProduct AS oid",
        "  WITH DISTINCT oid",
        "  MATCH (o:Entity {id: oid})",
        "  WITH o",
        "  WHERE NOT o.status IN $uncounted",
        "  MATCH (o)<-[:PLACED]-(c:Party)",
        "  WITH o, c, o.status IN $open AS isOpen, o.placedAt >= $from AND o.placedAt < $to AS inWindow",
        "  WHERE isOpen OR inWindow",
        "  WITH o, c, isOpen, inWindow",
        "  ORDER BY o.placedAt DESC, o.id",
        "  WITH collect(CASE WHEN isOpen THEN {o: o, c: c} END) AS openOnes,",
        "       sum(CASE WHEN isOpen THEN o.baseTotal ELSE 0 END) AS openValue,",
        "       sum(CASE WHEN inWindow THEN o.baseTotal ELSE 0 END) AS atRisk,",
        "       collect(DISTINCT c.id) AS customerIds",
        "  RETURN size(openOnes) AS openCount, openValue, atRisk, customerIds,",
        f"         [a IN openOnes[0..$limit] | {{order: {node_summary('a.o')}, customer: {node_summary('a.c')}}}] AS openOrders",
        "}",
        *dialect.call_open(("customerIds",)),
        "  UNWIND customerIds[0..$limit] AS cid",
        "  MATCH (c:Entity {id: cid})",
        f"  RETURN collect({node_summary('c')}) AS customers",
        "}",
        f"RETURN {node_summary('x')} AS company, size(hit) AS hitCount, companies, {products} AS products, bom,",
        f"       openCount, openValue, atRisk, {open_orders} AS openOrders, size(customerIds) AS customerCount, "
        f"{customers} AS customers",
    ]
    return dialect.statement(lines)


# -- the run ------------------------------------------------------------------------------


def roots(companies: int, count: int) -> list[str]:
    """Raw-material companies (the synthetic generator's first tier, the first twelfth of
    the companies), spread over it: the roots with the longest chains below them,
    ``syn:company:0`` (the issue's figures) first."""
    tier = max(1, companies // 12)
    step = max(1, tier // count)
    return [f"syn:company:{i}" for i in range(0, tier, step)][:count]


Case = tuple[str, Callable[[str, int], Statement], Callable[[int], str]]
CASES: list[Case] = [
    ("indirectCustomers", lambda root, d: indirect_customers(FALKORDB, root, Bounds(d, 200), 20, None, 10, "b"),
     lambda d: old_indirect_text(FALKORDB, d)),
    ("disruptionImpact", lambda root, d: disruption_impact(FALKORDB, root, *WINDOW, Bounds(d, 200), "b"),
     lambda d: old_disruption_text(FALKORDB, d)),
]


def plain(value: Any) -> Any:
    """A decoded answer as plain data, for comparing two of them."""
    return json.loads(json.dumps(asdict(value) if value is not None else None, default=str, sort_keys=True))


def same(new: Any, old: Any) -> bool:
    """Equal answers. One latitude: an intermediary reached only through products may have
    several routes; the old statement named the one FalkorDB's aggregation happened to
    list first, the new one the shortest (then the least product id). There the routes
    must join the same ends, the new one no longer than the old one."""
    if new is None or old is None or "groups" not in new:
        return bool(new == old)
    for gn, go in zip(new["groups"], old["groups"], strict=False):
        if gn["routes"] == go["routes"] == ["COMPONENT"] and gn["path"] != go["path"]:
            if not gn["path"] or not go["path"] or len(gn["path"]) > len(go["path"]) \
                    or (gn["path"][0], gn["path"][-1]) != (go["path"][0], go["path"][-1]):
                return False
            gn["path"] = go["path"] = None
    return bool(new == old)


async def measure(args: argparse.Namespace, socket_path: Path) -> tuple[list[list[str]], int]:
    store = FalkorDBStore(str(socket_path))
    store.read_timeout = 120
    rows: list[list[str]] = []
    mismatches = 0
    for depth in (2, 4, 6):
        for name, new, old_text in CASES:
            ratios = []
            for root in roots(args.companies, args.roots):
                old_ms: list[float] = []
                new_ms: list[float] = []
                st = new(root, depth)
                old = Statement(old_text(depth), st.params, st.decode)
                for i in range(args.repeat + 1):  # the first round warms the plan caches
                    answers: dict[str, Any] = {}
                    pair = (("old", old, old_ms), ("new", st, new_ms))
                    for role, statement, times in pair[::-1] if i % 2 else pair:
                        started = time.perf_counter()
                        records = await store.read(statement.text, statement.params)
                        elapsed = (time.perf_counter() - started) * 1000
                        if i:
                            times.append(elapsed)
                        answers[role] = plain(statement.decode(records))
                    if not same(answers["new"], answers["old"]):
                        mismatches += 1
                        console.print(f"[red]{name} depth {depth} {root}: old and new answers differ[/red]")
                p_old, p_new = percentile(old_ms, .5), percentile(new_ms, .5)
                ratios.append(p_new / p_old)
                rows.append([name, str(depth), root, f"{p_old:.1f}", f"{p_new:.1f}", f"{p_new / p_old:.2f}"])
                console.print(" · ".join(rows[-1]))
            rows.append([name, str(depth), "median of the roots", "", "", f"{percentile(ratios, .5):.2f}"])
    await store.close()
    return rows, mismatches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--people", type=int, default=95_000)
    parser.add_argument("--companies", type=int, default=5_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--interactions", type=int, default=150_000)
    parser.add_argument("--roots", type=int, default=4, help="roots per depth")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per root and statement")
    parser.add_argument("--socket", type=Path, help="a FalkorDB already serving the graph (its unix socket)")
    args = parser.parse_args()
    if args.socket:
        rows, mismatches = asyncio.run(measure(args, args.socket))
    else:
        ensure_graph(args)
        with EmbeddedFalkorDB(args.data_dir) as db:
            rows, mismatches = asyncio.run(measure(args, db.socket_path))
    table = Table(title=f"old and new statements, {args.roots} roots x {args.repeat} runs per depth (ms, raw Cypher)")
    for column in ("traversal", "depth", "root", "old p50", "new p50", "new / old"):
        table.add_column(column, justify="left" if column in ("traversal", "root") else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if mismatches:
        raise SystemExit(f"{mismatches} answers differ between the old and new statements")
    console.print("every answer of the new statements equals the old one's")


if __name__ == "__main__":
    main()
