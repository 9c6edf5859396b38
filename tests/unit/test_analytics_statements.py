"""Every Neo4j-dialect statement of the analytics snapshots (compute, write, read, lock)
and of the analytic fields read through a snapshot-aware compiler, checked by Neo4j's
own front end; and the rules that choose between a snapshot and a fresh computation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import strawberry

from graph.analytics import reads
from graph.analytics.fields import rfm_from_snapshot
from graph.analytics.refresher import Refresher, acquire, release
from graph.analytics.snapshots import latest, refresh, write_snapshot
from graph.analytics.state import REFERRALS, RFM, SnapshotInfo, SnapshotState, utcnow
from graph.analytics.stats import cohort_statement, cohort_window, month_starts, referral_range, rfm_cells, whole_months
from graph.cypher.compiler import Compiler
from graph.cypher.dialect import NEO4J
from schema.context import Context
from tests.capture import CapturingStore
from tests.cypher_lint import CypherLinter


def known(max_staleness: float = 60.0, age: float = 0.0) -> SnapshotState:
    state = SnapshotState(max_staleness)
    moment = utcnow() - timedelta(seconds=age)
    for kind in (RFM, REFERRALS):
        state.note(kind, SnapshotInfo(moment, moment))
    return state


async def test_snapshot_statements_pass_neo4j(cypher_linter: CypherLinter) -> None:
    store = CapturingStore(NEO4J)
    await refresh(store)
    await write_snapshot(store, REFERRALS, SnapshotInfo(utcnow(), utcnow()),
                         {"months": [1], "referrers": [1], "invites": [2], "converted": [1], "days": [3.5]})
    await latest(store, RFM)
    await latest(store, REFERRALS, values=False)
    await acquire(store, "me")
    await release(store, "me")
    await Refresher(store, known(age=3600)).tick()
    start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    for statement in (rfm_cells(NEO4J), referral_range(NEO4J), cohort_statement(NEO4J, month_starts(start, end),
                                                                                 start, end)):
        store.captured.append((statement.text, statement.params))
    assert len(store.captured) >= 12
    for text, params in store.captured:
        assert text.startswith("CYPHER 5\n")
        cypher_linter.assert_valid(text, params)


async def test_documents_through_snapshots_pass_neo4j(cypher_linter: CypherLinter, schema: strawberry.Schema) -> None:
    store = CapturingStore(NEO4J)
    context = Context(store, Compiler(NEO4J, analytics=known()))
    document = """{ parties(first: 50) { edges { node { id rfm { score snapshot { asOf fresh } } } } }
                    person(id: "person:john-smith") { rfm(fresh: true) { score } }
                    segmentSummary { segment customers snapshot { stalenessSeconds } }
                    referralStats { month invites } }"""
    await schema.execute(document, context_value=context)
    texts = [text for text, _ in store.captured]
    assert any("AnalyticsSnapshot" in t and "MATCH (n0:Party)" in t for t in texts)  # rfm from the snapshot
    assert any("ORDER BY v" in t and "{id: $" in t for t in texts)  # rfm(fresh: true) from scratch
    for text, params in store.captured:
        cypher_linter.assert_valid(text, params)


def test_when_the_snapshot_answers() -> None:
    assert not rfm_from_snapshot([{}], None)  # no service: from scratch
    assert not rfm_from_snapshot([{}], SnapshotState(60.0))  # nothing known
    assert rfm_from_snapshot([{}], known())
    assert not rfm_from_snapshot([{}], known(age=61))  # too old
    assert not rfm_from_snapshot([{}], known(max_staleness=0))  # snapshots off
    assert not rfm_from_snapshot([{}, {"fresh": True}], known())
    assert not rfm_from_snapshot([{"as_of": utcnow() - timedelta(hours=1)}], known())
    assert rfm_from_snapshot([{"as_of": utcnow() + timedelta(hours=1)}], known())


def test_default_cohort_window_is_whole_months() -> None:
    now = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)
    start, end = cohort_window(None, None, now)
    assert (start, end) == (datetime(2025, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert whole_months(start, end) and len(month_starts(start, end)) == 13
    start, end = cohort_window(None, datetime(2026, 3, 1, tzinfo=UTC), now)
    assert start == datetime(2025, 2, 1, tzinfo=UTC)
    assert not whole_months(datetime(2026, 1, 2, tzinfo=UTC), end)


async def test_reads_fall_back_without_a_snapshot() -> None:
    store = CapturingStore(NEO4J)
    result = await reads.segments(store, known())  # the store has none: computed from scratch
    assert {s.snapshot.fresh for s in result} == {True}
    assert any("ORDER BY v" in text for text, _ in store.captured)
