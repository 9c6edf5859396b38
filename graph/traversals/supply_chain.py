"""Supply chain of a company (SUPPLIES) or a product (COMPONENT_OF and who makes each part),
upstream or downstream, tier by tier."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from graph.cypher.compiler import Statement
from graph.cypher.dialect import Dialect
from graph.cypher.values import decode_props
from graph.model import REL_KINDS
from graph.cypher import scope as sc_
from graph.cypher.errors import OutOfScopeError
from graph.cypher.scope import UNSCOPED, Projection, Scope
from graph.traversals.bounds import Bounds, EdgeRead, checked_id, edges_among, edges_column, node_data, reach

ChainDirection = Literal["UPSTREAM", "DOWNSTREAM"]

_SUPPLIES = {p.name: p for p in REL_KINDS["SUPPLIES"].props}


@dataclass
class ChainNode:
    node: dict[str, Any]
    tier: int
    paths: int  # simple paths (no node twice) from the root within the depth
    single_source: bool = False  # an end of a single-source link among the chain's edges
    makers: list[dict[str, Any]] = field(default_factory=list)  # products: who makes them


@dataclass
class ChainEdge:
    start: str
    end: str
    type: str
    tier: int
    props: dict[str, Any]


@dataclass
class SupplyChain:
    root: dict[str, Any]
    direction: ChainDirection
    depth: int
    nodes: list[ChainNode]
    edges: list[ChainEdge]
    truncated: bool


def supply_chain(dialect: Dialect, root_id: str, kind: Literal["Company", "Product"],
                 direction: ChainDirection, bounds: Bounds, argument: str,
                 scope: Scope = UNSCOPED, only: Projection = None, edges: EdgeRead = "props") -> Statement:
    """``only``: the node properties the selection reads (None: all); ``edges``: what it reads of the links
    (a node's ``singleSource`` reads their properties: they decide it)."""
    checked_id(root_id, f"{argument}.id")
    bounds = bounds.checked(argument)
    if scope.partner and kind != "Company":
        raise OutOfScopeError(f"{argument}.productId", "outside the scope of this key")
    sc_.root(scope, root_id, f"{argument}.companyId")
    sc_.depth(scope, bounds.depth, argument)
    node_summary = lambda var: sc_.summary(scope, var, only)  # noqa: E731
    rel = "SUPPLIES" if kind == "Company" else "COMPONENT_OF"
    # Upstream of a company: who supplies it; of a product: what goes into it.
    arrow = f"<-[:{rel}*1..{bounds.depth}]-" if direction == "UPSTREAM" else f"-[:{rel}*1..{bounds.depth}]->"
    lines = [
        *reach(kind, f"(root){arrow}(n:{kind})", "tier", simple_paths=True),
        "ORDER BY tier, n.id",
        "LIMIT $cut",
        f"WITH root, collect(CASE WHEN n IS NULL THEN null ELSE {{node: {node_summary('n')}, tier: tier, paths: paths}} END) AS reached",
        "WITH root, reached, [r IN reached | r.node.props.id] + [root.id] AS ids",
        *edges_among(dialect, rel, kind, edges),
    ]
    if kind == "Product":
        lines += [
            *dialect.call_open(("ids",)),
            "  UNWIND ids AS pid",
            "  MATCH (c:Company)-[:MAKES]->(made:Entity {id: pid})",
            "  WITH pid, c",
            "  LIMIT $edgeCap",
            f"  RETURN collect({{product: pid, maker: {node_summary('c')}}}) AS makers",
            "}",
            f"RETURN {node_summary('root')} AS root, reached, {edges_column(edges)}, makers",
        ]
    else:
        lines.append(f"RETURN {node_summary('root')} AS root, reached, {edges_column(edges)}, [] AS makers")
    params = {"id": root_id, "cut": bounds.limit + 1, "edgeCap": bounds.limit * 10, **scope.params()}

    def decode(records: list[dict[str, Any]]) -> SupplyChain | None:
        if not records:
            return None
        rec = records[0]
        reached = rec["reached"]
        truncated = len(reached) > bounds.limit
        nodes = [ChainNode(node_data(r["node"]) or {}, r["tier"], r["paths"]) for r in reached[: bounds.limit]]
        tiers = {n.node["props"]["id"]: n.tier for n in nodes}
        tiers[rec["root"]["props"]["id"]] = 0
        edges = [ChainEdge(e["start"], e["end"], rel, max(tiers.get(e["start"], 0), tiers.get(e["end"], 0)),
                           _edge_props(rel, e.get("props")))
                 for e in rec["edges"] if e["start"] in tiers and e["end"] in tiers]
        by_id = {n.node["props"]["id"]: n for n in nodes}
        if kind == "Company":
            # Both ends of every single-source link of the chain: the customer depends on a
            # single source, and the supplier is one (whichever way the chain is walked).
            for e in edges:
                if e.props.get("singleSource"):
                    for end in (e.start, e.end):
                        if end in by_id:
                            by_id[end].single_source = True
        else:
            makers: dict[str, list[dict[str, Any]]] = {}
            for m in rec["makers"]:
                makers.setdefault(m["product"], []).append(node_data(m["maker"]) or {})
            for pid, n in by_id.items():
                n.makers = makers.get(pid, [])
                n.single_source = len(n.makers) == 1
        return SupplyChain(node_data(rec["root"]) or {}, direction, bounds.depth, nodes, edges, truncated)

    return Statement(dialect.statement(lines), params, decode)


def _edge_props(rel: str, raw: dict[str, Any] | None) -> dict[str, Any]:
    if raw is None:  # not asked of the store
        return {}
    return decode_props(REL_KINDS[rel].props, raw)
