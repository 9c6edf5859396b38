"""Batch upserts by external id, used by the seed loader and the synthetic generator.

Labels and relationship types come from ``graph.model``; rows arrive as ``$rows``.
These do not move the referral cohort counters (``graph.analytics.cohorts``): their
callers distrust the counters first and count them from scratch when done. A live graph
is written through the mutation service or the importer, whose statements move them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graph.cypher.values import to_store
from graph.model import ENTITY, NAME_KEY, NAME_KEYED, NODE_KINDS, REL_KINDS
from graph.sort_keys import keyed
from graph.store import Store

# All labels in the MERGE pattern: an id taken by another kind then fails the unique
# constraint instead of silently gaining labels (and FalkorDB's SET n:Label is
# quadratic in the batch size).
UPSERT_NODES = """\
UNWIND $rows AS row
MERGE (n:{labels} {{id: row.id}})
SET n += row.props"""

UPSERT_RELATIONSHIPS = """\
UNWIND $rows AS row
MATCH (a:{entity} {{id: row.start}})
MATCH (b:{entity} {{id: row.end}})
MERGE (a)-[r:{type}]->(b)
SET r = row.props"""


def upsert_nodes_query(label: str) -> str:
    kind = NODE_KINDS[label]  # KeyError for anything not in the model
    query = UPSERT_NODES.format(labels=":".join(kind.labels))
    if label in NAME_KEYED:  # a row without a name keeps the node's key, or gives a new one no name's
        query += f"\nSET n.{NAME_KEY} = coalesce(n.{NAME_KEY}, 0)"
    return query


def upsert_relationships_query(type_: str) -> str:
    return UPSERT_RELATIONSHIPS.format(entity=ENTITY, type=REL_KINDS[type_].type)


def node_row(label: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """``{"id", "props"}`` with only the model's properties, in stored form."""
    kind = NODE_KINDS[label]
    props = {}
    for key, value in data.items():
        prop = kind.prop(key)
        if prop is None:
            raise KeyError(f"{label} has no property {key!r}")
        if value is not None and key != "id":
            props[key] = to_store(prop.type, value)
    return {"id": data["id"], "props": keyed(label, props)}


def relationship_row(type_: str, start: str, end: str, data: Mapping[str, Any]) -> dict[str, Any]:
    rel = REL_KINDS[type_]
    props = {}
    for key, value in data.items():
        prop = next((p for p in rel.props if p.name == key), None)
        if prop is None:
            raise KeyError(f"{type_} has no property {key!r}")
        if value is not None:
            props[key] = to_store(prop.type, value)
    return {"start": start, "end": end, "props": props}


async def upsert_nodes(store: Store, label: str, rows: Iterable[dict[str, Any]]) -> None:
    batch = list(rows)
    if batch:
        await store.write(upsert_nodes_query(label), {"rows": batch})


async def upsert_relationships(store: Store, type_: str, rows: Iterable[dict[str, Any]]) -> None:
    batch = list(rows)
    if batch:
        await store.write(upsert_relationships_query(type_), {"rows": batch})
