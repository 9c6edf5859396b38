"""Load a dataset idempotently: every node and relationship is merged by id."""

from __future__ import annotations

from graph.store import Store
from graph.writes import node_row, relationship_row, upsert_nodes, upsert_relationships
from seeds.stories import Dataset

BATCH = 1000


async def load(store: Store, dataset: Dataset) -> dict[str, int]:
    """Write ``dataset``; returns how many nodes and relationships it holds. The upserts
    do not move the referral cohort counters: they are distrusted meanwhile, counted after."""
    from graph.analytics import cohorts

    await cohorts.invalidate(store)
    counts = {"nodes": 0, "relationships": 0}
    for label, rows in dataset.nodes.items():
        converted = [node_row(label, row) for row in rows]
        for i in range(0, len(converted), BATCH):
            await upsert_nodes(store, label, converted[i:i + BATCH])
        counts["nodes"] += len(converted)
    for type_, rels in dataset.rels.items():
        converted = [relationship_row(type_, a, b, props) for a, b, props in rels]
        for i in range(0, len(converted), BATCH):
            await upsert_relationships(store, type_, converted[i:i + BATCH])
        counts["relationships"] += len(converted)
    await cohorts.build(store, cohorts.LONG_BUILD)
    return counts
