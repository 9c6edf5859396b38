"""Indirect customers of a company: parties that buy from companies downstream of it.

Downstream means reached through ``SUPPLIES`` chains, reselling for one of those
(``RESELLS_FOR``), or selling a product that contains the company's products
(``COMPONENT_OF``). Direct customers of the company are left out. The answer is grouped
by intermediary — the company the party bought from — with the revenue of those orders,
and paged by revenue (highest first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graph.cypher.compiler import Statement
from graph.cypher.cursor import MISSING_ROW, decode_cursor, encode_cursor
from graph.cypher.dialect import Dialect
from graph.cypher.errors import CursorError, PageSizeError
from graph.cypher.plan import SortKey
from graph.model import UNCOUNTED
from graph.cypher import scope as sc_
from graph.cypher.scope import UNSCOPED, Projection, Scope
from graph.traversals.bounds import Bounds, checked_id, node_data

_ORDER = [SortKey("revenue", descending=True)]
MAX_GROUP_PAGE = 100
MAX_CUSTOMERS_PER_GROUP = 100


@dataclass
class CustomerShare:
    node: dict[str, Any]
    revenue: int  # minor units of the base currency
    orders: int


@dataclass
class IntermediaryGroup:
    intermediary: dict[str, Any]
    routes: list[str]  # SUPPLY, RESALE, COMPONENT
    path: list[dict[str, Any]]  # shortest known route from the company to the intermediary
    revenue: int  # minor units of the base currency
    orders: int
    customer_count: int
    customers: list[CustomerShare]
    cursor: str


@dataclass
class IndirectCustomers:
    company: dict[str, Any]
    depth: int
    total_intermediaries: int
    total_customers: int
    total_revenue: int  # minor units of the base currency
    groups: list[IntermediaryGroup] = field(default_factory=list)
    has_next_page: bool = False
    has_previous_page: bool = False


def _best_paths(var: str, pattern: str, route: str | None, into: str, keep: str) -> list[str]:
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


def indirect_customers(dialect: Dialect, company_id: str, bounds: Bounds, first: int, after: str | None,
                       per_group: int, argument: str, scope: Scope = UNSCOPED, only: Projection = None) -> Statement:
    checked_id(company_id, f"{argument}.id")
    bounds = bounds.checked(argument)
    sc_.root(scope, company_id, f"{argument}.companyId")
    sc_.depth(scope, bounds.depth, argument)
    node_summary = lambda var: sc_.summary(scope, var, only)  # noqa: E731
    if not 0 <= first <= MAX_GROUP_PAGE:
        raise PageSizeError(f"{argument}.first", f"must be between 0 and {MAX_GROUP_PAGE}")
    if not 0 <= per_group <= MAX_CUSTOMERS_PER_GROUP:
        raise PageSizeError(f"{argument}.customersPerIntermediary", f"must be between 0 and {MAX_CUSTOMERS_PER_GROUP}")
    after_id = decode_cursor(after, _ORDER, f"{argument}.after") if after is not None else None
    d = bounds.depth
    # An order row counts unless cancelled or returned, bought by a direct customer or by
    # the company itself. Direct customers are nodes: a node comparison per row, where ids
    # would cost a property read and string comparisons.
    counted = "NOT o.status IN $uncounted AND NOT c IN direct AND c <> x"
    lines = [
        "MATCH (x:Entity {id: $id})",
        "WHERE x:Company",
        *_best_paths("s", f"(x)-[:SUPPLIES*1..{d}]->(s:Company)", "SUPPLY", "supply", "x"),
        *_best_paths("r", f"(x)-[:SUPPLIES*0..{d - 1}]->(:Company)<-[:RESELLS_FOR]-(r:Company)", "RESALE",
                     "resale", "x, supply"),
        *_best_paths("q", f"(x)-[:MAKES]->(:Product)-[:COMPONENT_OF*1..{d}]->(q:Product)", None,
                     "containing", "x, supply, resale"),
        "WITH x, supply + resale AS via, containing, [(dc)-[:PLACED]->(:Order)-[:SOLD_BY]->(x) | dc] AS direct",
        "WITH x, via, containing, direct, [v IN via | v.id] AS vids",
        # Orders of the products containing the company's: few, kept as rows. Those sold by
        # an intermediary of the chain are among its orders anyway; the others add
        # intermediaries of their own (``extra``).
        *dialect.call_open(("x", "containing", "direct", "vids")),
        "  UNWIND containing AS q",
        "  MATCH (:Entity {id: q.id})<-[:CONTAINS]-(o:Order)-[:SOLD_BY]->(s:Company)",
        "  MATCH (o)<-[:PLACED]-(c:Party)",
        f"  WITH q, s, o, c, {counted} AND s <> x AS counted, s.id IN vids AS inChain",
        "  WHERE counted",
        "  RETURN collect({s: s.id, o: o.id, c: c.id, t: o.baseTotal, q: q.id}) AS byProduct,",
        "         collect(CASE WHEN NOT inChain THEN c END) AS extraCustomers",
        "}",
        "WITH x, via, containing, direct, vids, byProduct, extraCustomers,"
        " [row IN byProduct WHERE NOT row.s IN vids] AS extra",
        # The intermediaries of the chain: their orders are counted and summed per
        # intermediary as they are matched, with each one's distinct customers kept as
        # nodes for the total (a filter after a WITH keeps FalkorDB's planner starting
        # from the index lookup).
        *dialect.call_open(("x", "vids", "direct")),
        "  UNWIND vids AS sid",
        "  WITH DISTINCT x, direct, sid",
        "  MATCH (s:Entity {id: sid})<-[:SOLD_BY]-(o:Order)<-[:PLACED]-(c:Party)",
        f"  WITH s, o, c, {counted} AS counted",
        "  WHERE counted",
        "  WITH DISTINCT s, o, c",
        "  WITH s.id AS sid, collect(DISTINCT c) AS buyers, sum(o.baseTotal) AS revenue, count(o) AS orders",
        "  RETURN collect({id: sid, customers: size(buyers), revenue: revenue, orders: orders}) AS chainGroups,",
        "         collect(buyers) AS chainBuyers",
        "}",
        *dialect.call_open(("extra",)),
        "  UNWIND extra AS row",
        "  WITH DISTINCT row.s AS sid, row.o AS oid, row.c AS cid, row.t AS total",
        "  WITH sid, count(DISTINCT cid) AS customers, sum(total) AS revenue, count(oid) AS orders",
        "  RETURN collect({id: sid, customers: customers, revenue: revenue, orders: orders}) AS extraGroups",
        "}",
        *dialect.call_open(("chainGroups", "extraGroups")),
        "  UNWIND chainGroups + extraGroups AS g",
        "  WITH g",
        "  ORDER BY g.revenue DESC, g.id",
        "  RETURN collect(g) AS groups",
        "}",
        # An order has one seller (graph.model.ONE_ONLY: imports and links refuse a second),
        # so it is in one group: the total revenue is the groups'
        # sum. Customers buy from several intermediaries: counted once.
        *dialect.call_open(("chainBuyers", "extraCustomers")),
        "  UNWIND chainBuyers + [extraCustomers] AS buyers",
        "  UNWIND buyers AS c",
        "  RETURN count(DISTINCT c) AS customers",
        "}",
        "WITH x, via, containing, direct, vids, byProduct, extra, groups, customers,"
        " reduce(total = 0, g IN groups | total + g.revenue) AS revenue,",
        # The cursor names a group; its revenue is read from the groups this statement just
        # summed, so the comparison is between the very same numbers (never a printed copy).
        "     [g IN groups WHERE g.id = $afterId] AS cur",
        "WITH x, via, containing, direct, vids, byProduct, extra, groups, customers, revenue, cur,",
        "     [g IN groups WHERE $afterId IS NULL OR (size(cur) > 0 AND (g.revenue < cur[0].revenue "
        "OR (g.revenue = cur[0].revenue AND g.id > cur[0].id)))][0..$cut] AS page",
        # Top customers, for the groups on the page only.
        *dialect.call_open(("x", "vids", "direct", "page")),
        "  UNWIND [g IN page WHERE g.id IN vids | g.id] AS sid",
        "  WITH DISTINCT x, direct, sid",
        "  MATCH (s:Entity {id: sid})<-[:SOLD_BY]-(o:Order)<-[:PLACED]-(c:Party)",
        f"  WITH s, o, c, {counted} AS counted",
        "  WHERE counted",
        "  WITH DISTINCT s, o, c",
        "  WITH s.id AS sid, c.id AS cid, sum(o.baseTotal) AS revenue, count(o) AS orders",
        "  ORDER BY revenue DESC, cid",
        "  WITH sid, collect({id: cid, revenue: revenue, orders: orders})[0..$perGroup] AS top",
        "  RETURN collect({id: sid, top: top}) AS chainTops",
        "}",
        *dialect.call_open(("extra", "page")),
        "  UNWIND extra AS row",
        "  WITH page, row",
        "  WHERE row.s IN [g IN page | g.id]",
        "  WITH DISTINCT row.s AS sid, row.o AS oid, row.c AS cid, row.t AS total",
        "  WITH sid, cid, sum(total) AS revenue, count(oid) AS orders",
        "  ORDER BY revenue DESC, cid",
        "  WITH sid, collect({id: cid, revenue: revenue, orders: orders})[0..$perGroup] AS top",
        "  RETURN collect({id: sid, top: top}) AS extraTops",
        "}",
        # A group reached through products names the product whose route is the shortest
        # (then the least id): the route shown when the intermediary is not on the chain.
        "WITH x, via, containing, groups, customers, revenue, cur,",
        "     [g IN page | {id: g.id, customers: g.customers, revenue: g.revenue, orders: g.orders,",
        "      top: head([t IN chainTops + extraTops WHERE t.id = g.id | t.top]),",
        "      q: reduce(best = null, c IN [c IN containing WHERE c.id IN [r IN byProduct WHERE r.s = g.id | r.q]] |",
        "         CASE WHEN best IS NULL OR size(c.path) < size(best.path)",
        "              OR (size(c.path) = size(best.path) AND c.id < best.id) THEN c ELSE best END).id}] AS page",
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
    params = {"id": company_id, "uncounted": list(UNCOUNTED), "perGroup": per_group, "cut": first + 1,
              "afterId": after_id, **scope.params()}
    if scope.partner:  # counts and revenue per intermediary, without naming the people
        params["perGroup"] = 0

    def decode(records: list[dict[str, Any]]) -> IndirectCustomers | None:
        if not records:
            return None
        rec = records[0]
        if after_id is not None and rec["cursorMissing"] is not False:
            raise CursorError(f"{argument}.after", MISSING_ROW)
        nodes = {s["props"]["id"]: node_data(s) for s in rec["summaries"]}
        via = {}
        for v in rec["via"]:  # supply first, then resale: keep the first (shortest) per company
            via.setdefault(v["id"], v)
        containing = {c["id"]: c for c in rec["containing"]}
        result = IndirectCustomers(node_data(rec["company"]) or {}, bounds.depth, rec["intermediaries"],
                                   rec["customers"], int(rec["revenue"] or 0),
                                   has_next_page=len(rec["page"]) > first, has_previous_page=after is not None)
        for g in rec["page"][:first]:
            routes, path_ids = [], []
            if g["id"] in via:
                routes.append(via[g["id"]]["route"])
                path_ids = via[g["id"]]["path"]
            if g["q"] is not None:
                routes.append("COMPONENT")
                if not path_ids:
                    path_ids = containing[g["q"]]["path"] + [g["id"]]
            result.groups.append(IntermediaryGroup(
                nodes.get(g["id"]) or {}, routes, [nodes[i] for i in path_ids if nodes.get(i)],
                int(g["revenue"]), int(g["orders"]), int(g["customers"]),
                [CustomerShare(nodes.get(t["id"]) or {}, int(t["revenue"]), int(t["orders"])) for t in g["top"]],
                encode_cursor(_ORDER, g["id"]),
            ))
        return result

    return Statement(dialect.statement(lines), params, decode)
