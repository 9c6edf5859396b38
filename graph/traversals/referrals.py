"""Referral trees below a party and referral chains above it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.cypher.compiler import Statement
from graph.cypher.dialect import Dialect
from graph.cypher.scope import Projection
from graph.cypher.values import decode_props
from graph.model import REL_KINDS, UNCOUNTED
from graph.traversals.bounds import (Bounds, EdgeRead, checked_id, edges_among, edges_column, node_data,
                                     node_summary, reach)

CONVERTED = ("converted", "rewarded")
"""A referral counts as converted once it reached one of these statuses."""
_REFERRED = REL_KINDS["REFERRED"].props


@dataclass
class ReferralNode:
    node: dict[str, Any]
    generation: int  # 1 = referred by the root (tree) / the root's referrer (chain)


@dataclass
class ReferralEdge:
    start: str
    end: str
    props: dict[str, Any]


@dataclass
class Generation:
    generation: int
    invited: int
    converted: int
    revenue: int  # minor units of the base currency

    @property
    def conversion_rate(self) -> float:
        return self.converted / self.invited if self.invited else 0.0


@dataclass
class ReferralTree:
    root: dict[str, Any]
    depth: int
    nodes: list[ReferralNode]
    edges: list[ReferralEdge]
    generations: list[Generation]
    truncated: bool


def _reached(arrow: str) -> list[str]:
    return reach("Party", f"(root){arrow}(n:Party)", "generation")


def _edges(dialect: Dialect, only: Projection, edges: EdgeRead) -> list[str]:
    among = ["WITH root, reached, generations, [r IN reached | r.node.props.id] + [root.id] AS ids",
             *edges_among(dialect, "REFERRED", "Party", edges)] if edges != "none" else []
    return [*among, f"RETURN {node_summary('root', only)} AS root, reached, {edges_column(edges)}, generations"]


def referral_tree(dialect: Dialect, root_id: str, bounds: Bounds, argument: str, only: Projection = None,
                  edges: EdgeRead = "props") -> Statement:
    """Descendants to ``depth`` generations with per-generation counts over all of them
    (the node list is cut at ``limit``; the counts are not)."""
    checked_id(root_id, f"{argument}.id")
    bounds = bounds.checked(argument)
    arrow = f"-[:REFERRED*1..{bounds.depth}]->"
    lines = [
        *_reached(arrow),
        # Per generation, over everyone reached: invited, converted, revenue.
        "OPTIONAL MATCH (n)<-[inv:REFERRED]-()",
        "WITH root, n, generation, collect(inv.status) AS statuses",
        "OPTIONAL MATCH (n)-[:PLACED]->(o:Order)",
        "WHERE NOT o.status IN $uncounted",
        "WITH root, n, generation, statuses, sum(o.baseTotal) AS revenue",
        "ORDER BY generation, n.id",
        "WITH root, collect(CASE WHEN n IS NULL THEN null ELSE "
        f"{{node: {node_summary('n', only)}, generation: generation, revenue: revenue, "
        "converted: any(s IN statuses WHERE s IN $converted)} END) AS everyone",
        "WITH root, everyone[0..$limit] AS reached, size(everyone) > $limit AS cut, "
        "[g IN range(1, $depth) | {generation: g, "
        "invited: size([e IN everyone WHERE e.generation = g]), "
        "converted: size([e IN everyone WHERE e.generation = g AND e.converted]), "
        "revenue: reduce(total = 0, e IN [x IN everyone WHERE x.generation = g] | total + e.revenue)}] AS generations",
        "WITH root, reached, generations + [{cut: cut}] AS generations",
        *_edges(dialect, only, edges),
    ]
    params = {"id": root_id, "limit": bounds.limit, "depth": bounds.depth, "edgeCap": bounds.limit * 4,
              "uncounted": list(UNCOUNTED), "converted": list(CONVERTED)}

    def decode(records: list[dict[str, Any]]) -> ReferralTree | None:
        if not records:
            return None
        rec = records[0]
        *gens, cut = rec["generations"]
        return ReferralTree(
            node_data(rec["root"]) or {}, bounds.depth,
            [ReferralNode(node_data(r["node"]) or {}, r["generation"]) for r in rec["reached"]],
            _decode_edges(rec["edges"]),
            [Generation(g["generation"], g["invited"], g["converted"], int(g["revenue"] or 0))
             for g in gens if g["invited"]],
            bool(cut["cut"]),
        )

    return Statement(dialect.statement(lines), params, decode)


@dataclass
class ReferralChain:
    party: dict[str, Any]
    depth: int
    referrers: list[ReferralNode]  # nearest first: 1 = who referred the party
    edges: list[ReferralEdge]
    truncated: bool


def referral_chain(dialect: Dialect, party_id: str, bounds: Bounds, argument: str, only: Projection = None,
                   edges: EdgeRead = "props") -> Statement:
    """Who referred the party, who referred them, ... up to ``depth`` (cycles end)."""
    checked_id(party_id, f"{argument}.id")
    bounds = bounds.checked(argument)
    lines = [
        *_reached(f"<-[:REFERRED*1..{bounds.depth}]-"),
        "ORDER BY generation, n.id",
        "LIMIT $cut",
        f"WITH root, collect(CASE WHEN n IS NULL THEN null ELSE {{node: {node_summary('n', only)}, generation: generation}} END) AS reached",
        "WITH root, reached, [] AS generations",
        *_edges(dialect, only, edges),
    ]
    params = {"id": party_id, "cut": bounds.limit + 1, "edgeCap": bounds.limit * 4}

    def decode(records: list[dict[str, Any]]) -> ReferralChain | None:
        if not records:
            return None
        rec = records[0]
        reached = rec["reached"]
        return ReferralChain(
            node_data(rec["root"]) or {}, bounds.depth,
            [ReferralNode(node_data(r["node"]) or {}, r["generation"]) for r in reached[: bounds.limit]],
            _decode_edges(rec["edges"]), len(reached) > bounds.limit)

    return Statement(dialect.statement(lines), params, decode)


def _decode_edges(raw: list[dict[str, Any]]) -> list[ReferralEdge]:
    return [ReferralEdge(e["start"], e["end"], decode_props(_REFERRED, e["props"])
                         if "props" in e else {})  # no properties when nothing reads them
            for e in raw]
