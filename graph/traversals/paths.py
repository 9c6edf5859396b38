"""Shortest path between two parties over chosen relationship types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from graph.cypher.compiler import Statement
from graph.cypher.dialect import Dialect
from graph.cypher.errors import QueryInputError
from graph.cypher.scope import Projection
from graph.cypher.values import decode_props
from graph.model import REL_KINDS
from graph.traversals.bounds import Bounds, checked_id, node_data, node_summary

PathDirection = Literal["OUTGOING", "INCOMING", "BOTH"]
MAX_PATH_DEPTH = 6
"""Shortest-path search cost grows with the number of paths of each length; past six
hops on a dense graph it is no longer a request-time question."""


@dataclass
class PathStep:
    type: str
    start: str
    end: str
    props: dict[str, Any]


PathPart = Literal["nodes", "relationships"]
ALL_PARTS: frozenset[PathPart] = frozenset(("nodes", "relationships"))


@dataclass
class Path:
    nodes: list[dict[str, Any]]  # empty unless "nodes" was asked for
    relationships: list[PathStep]  # empty unless "relationships" was asked for
    length: int


def shortest_path(dialect: Dialect, source: str, target: str, types: list[str], direction: PathDirection,
                  bounds: Bounds, argument: str, parts: frozenset[PathPart] = ALL_PARTS,
                  only: Projection = None) -> Statement:
    """``parts``: what the statement returns besides the length; a selection of ``length``
    alone returns no node maps nor relationships (a path's properties are most of its answer).
    ``only``: the node properties the selection reads (None: all)."""
    checked_id(source, f"{argument}.from")
    checked_id(target, f"{argument}.to")
    bounds = bounds.checked(argument, max_depth=MAX_PATH_DEPTH)
    if not types:
        raise QueryInputError(f"{argument}.types", "name at least one relationship type")
    unknown = [t for t in types if t not in REL_KINDS]
    if unknown:
        raise QueryInputError(f"{argument}.types", f"unknown relationship types {unknown}")
    types = sorted(set(types))
    lines = ["MATCH (a:Entity {id: $from})", "WHERE a:Party", "MATCH (b:Entity {id: $to})", "WHERE b:Party"]
    params: dict[str, Any] = {"from": source, "to": target}
    if source == target:  # the empty path, alike on both stores (SPpaths finds none)
        nodes = f"[{node_summary('a', only)}]" if "nodes" in parts else "[]"
        lines.append(f"RETURN {nodes} AS nodes, [] AS relationships, 0 AS length")
        return Statement(dialect.statement(lines), params, _decode)
    if dialect.name == "neo4j":
        left, right = {"OUTGOING": ("-", "->"), "INCOMING": ("<-", "-"), "BOTH": ("-", "-")}[direction]
        pattern = f"(a){left}[:{'|'.join(types)}*1..{bounds.depth}]{right}(b)"
        lines.append(f"OPTIONAL MATCH path = shortestPath({pattern})")
    else:
        # FalkorDB's shortestPath() is directed-only and limited to WITH/RETURN; its
        # algo.SPpaths procedure takes a direction and a length bound.
        lines += [
            "CALL algo.SPpaths({sourceNode: a, targetNode: b, relTypes: $types, "
            "relDirection: $direction, maxLen: $depth, pathCount: 1})",
            "YIELD path",
        ]
        params |= {"types": types, "depth": bounds.depth, "direction": direction.lower()}
    nodes = f"[n IN nodes(path) | {node_summary('n', only)}]" if "nodes" in parts else "[]"
    relationships = ("[r IN relationships(path) | {type: type(r), start: startNode(r).id, end: endNode(r).id, "
                     "props: properties(r)}]" if "relationships" in parts else "[]")
    lines += [
        "WITH path",
        "WHERE path IS NOT NULL",
        f"RETURN {nodes} AS nodes,",
        f"       {relationships} AS relationships,",
        "       length(path) AS length",
        "LIMIT 1",
    ]
    return Statement(dialect.statement(lines), params, _decode)


def _decode(records: list[dict[str, Any]]) -> Path | None:
    if not records:
        return None
    rec = records[0]
    steps = []
    for r in rec["relationships"]:
        props = decode_props(REL_KINDS[r["type"]].props, r["props"])
        steps.append(PathStep(r["type"], r["start"], r["end"], props))
    return Path([node_data(n) or {} for n in rec["nodes"]], steps, rec["length"])
