"""Depth and fan-out bounds shared by the traversals, checked before any Cypher is built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from graph.cypher.dialect import Dialect
from graph.cypher.errors import InvalidIdError, QueryInputError
from graph.cypher.scope import UNSCOPED, Projection, summary
from graph.cypher.values import decode_props
from graph.model import NODE_KINDS
from graph.ids import valid_id

DEFAULT_DEPTH = 3
MAX_DEPTH = 10
DEFAULT_LIMIT = 200
MAX_LIMIT = 1000
OPEN = ("open", "paid")
"""Order statuses of orders not yet shipped: what a disruption can still hit."""


@dataclass(frozen=True)
class Bounds:
    depth: int = DEFAULT_DEPTH
    limit: int = DEFAULT_LIMIT

    def checked(self, argument: str, max_depth: int = MAX_DEPTH) -> Bounds:
        if not 1 <= self.depth <= max_depth:
            raise QueryInputError(f"{argument}.maxDepth", f"must be between 1 and {max_depth}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise QueryInputError(f"{argument}.limit", f"must be between 1 and {MAX_LIMIT}")
        return self


def checked_id(value: str, argument: str) -> str:
    if not valid_id(value):
        raise InvalidIdError(argument, "malformed id")
    return value


SIMPLE_PATH = "all(i IN range(0, length(p)) WHERE single(m IN nodes(p) WHERE m = nodes(p)[i]))"
"""``p`` visits no node twice. Variable-length matches only refuse to reuse a relationship,
and the two stores differ in which node-revisiting paths they enumerate in a cycle."""


def reach(root_label: str, pattern: str, distance: str, *, simple_paths: bool = False) -> list[str]:
    """Lines binding ``root`` (by ``$id``) and, per node ``n`` reached by ``pattern``, its
    shortest ``distance`` and ``paths`` (the number of paths; with ``simple_paths``, of paths
    that visit no node twice). ``n`` is null when nothing is."""
    return [
        "MATCH (root:Entity {id: $id})",
        f"WHERE root:{root_label}",
        f"OPTIONAL MATCH p = {pattern}",
        "WHERE n <> root" + (f" AND {SIMPLE_PATH}" if simple_paths else ""),
        f"WITH root, n, min(length(p)) AS {distance}, count(p) AS paths",
    ]


EdgeRead = Literal["none", "ends", "props"]
"""What a traversal's selection reads of the links among the nodes it reaches: nothing (no
``edges`` field, nor anything the links decide), their ends, or their properties too."""


def edges_among(dialect: Dialect, rel: str, label: str, read: EdgeRead = "props") -> list[str]:
    """A CALL block collecting the ``rel`` relationships between nodes whose ids are in
    ``ids`` (at most ``$edgeCap``), as ``edges``: their ends, and (``read`` "props") their
    properties, which a selection reading only the ends does without. Nothing when the
    selection reads no link ("none"): the statement returns ``edges_column("none")``, and
    the store does not look for them (a quarter of a referral chain's statement)."""
    if read == "none":
        return []
    edge = "{start: a.id, end: b.id, props: properties(r)}" if read == "props" else "{start: a.id, end: b.id}"
    return [
        *dialect.call_open(("ids",)),
        "  UNWIND ids AS aid",
        f"  MATCH (a:Entity {{id: aid}})-[r:{rel}]->(b:{label})",
        "  WHERE b.id IN ids",
        "  WITH a, b, r",
        "  LIMIT $edgeCap",
        f"  RETURN collect({edge}) AS edges",
        "}",
    ]


def edges_column(read: EdgeRead) -> str:
    """The ``edges`` column of a traversal's RETURN: the block's, or an empty list."""
    return "[] AS edges" if read == "none" else "edges"


def node_summary(var: str, only: Projection = None) -> str:
    """A node as a map: the properties the selection reads (``only``; None: all of them),
    with its labels (for the GraphQL type); ``graph.cypher.scope.summary`` for traversals
    that are not scoped to a partner."""
    return summary(UNSCOPED, var, only)


def node_data(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    """``{props, labels}`` from a statement to the node dict the API layer converts.

    ``rels`` is None: nodes reached by a traversal carry their own properties only.
    """
    if summary is None:
        return None
    labels = summary.get("labels") or []
    label = next((x for x in labels if x in NODE_KINDS), None)
    if label is None:
        return None
    kind = NODE_KINDS[label]
    props = decode_props(kind.props, summary["props"], only_present=True)  # absent reads as None
    return {"__typename": label, "props": props, "rels": None}
