"""Analytics snapshots against from-scratch answers: the RFM scores, segment summary and
referral cohorts read from a snapshot equal the oracle (tests/oracle.py) and the fresh
statements, after random sequences of writes and refreshes; the refresher keeps the
figures within a short staleness setting; one refresher at a time holds the lock."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from graph.analytics import reads
from graph.analytics.fields import SnapshotMissingError
from graph.analytics.refresher import Refresher, acquire, release
from graph.analytics.snapshots import cohorts_of, latest, refresh
from graph.analytics.state import KINDS, REFERRALS, RFM, SNAPSHOT_LABEL, SnapshotState
from graph.analytics.stats import cohort_window, month_start, month_starts, next_month
from graph.cypher.compiler import Compiler
from graph.cypher.dialect import FALKORDB
from graph.cypher.values import epoch_ms
from graph.cypher.plan import ComputedSelection, NodeSelection, Page, RootConnection
from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from graph.store import Store
from graph.io.importer import node_batch_statement, rel_batch_statement
from seeds.synthetic import SyntheticSpec, generate_into
from tests.oracle import Snapshot

SPEC = SyntheticSpec(people=150, companies=25, products=40, orders=400, cycles=2, seed=3)
STATUSES = ("open", "paid", "shipped", "delivered", "cancelled", "returned")
REF_STATUSES = ("invited", "signed_up", "converted", "rewarded")


@pytest.fixture
async def store(falkordb_server: EmbeddedFalkorDB) -> AsyncIterator[Store]:
    s = FalkorDBStore(str(falkordb_server.socket_path), "analytics")
    await s.ensure_schema()
    await s.clear()
    await generate_into(s, SPEC)
    try:
        yield s
    finally:
        await s.clear()
        await s.close()


async def random_writes(store: Store, rng: random.Random, n: int, tag: str) -> None:
    """New orders (some cancelled), status changes, and new referrals, on random parties."""
    parties = [r["id"] for r in await store.read("MATCH (p:Party) RETURN p.id AS id ORDER BY id")]
    orders = [r["id"] for r in await store.read("MATCH (o:Order) RETURN o.id AS id ORDER BY id")]
    now = int(datetime.now(UTC).timestamp() * 1000)
    new_orders, placed, statuses, referred = [], [], [], []
    for i in range(n):
        choice = rng.random()
        if choice < 0.5:
            oid = f"t:{tag}:order:{i}"
            cents = rng.randrange(100, 90_000)
            new_orders.append({"id": oid, "props": {"placedAt": now - rng.randrange(3 * 365 * 86_400_000),
                                                    "total": cents, "baseTotal": cents, "exchangeRate": "1",
                                                    "status": rng.choice(STATUSES), "currency": "USD"}})
            placed.append({"start": rng.choice(parties), "end": oid, "props": {}})
        elif choice < 0.75:
            statuses.append({"id": rng.choice(orders), "props": {"status": rng.choice(STATUSES)}})
        else:
            a, b = rng.sample(parties, 2)
            referred.append({"start": a, "end": b, "props": {
                "at": now - rng.randrange(2 * 365 * 86_400_000), "status": rng.choice(REF_STATUSES)}})
    # Through the importer's statements: the writes that move the referral cohort counters.
    for rows in (new_orders, statuses):
        if rows:
            await store.write(node_batch_statement(store.dialect, "Order"),
                              {"rows": [{"line": i, **row} for i, row in enumerate(rows)]})
    for type_, rows in (("PLACED", placed), ("REFERRED", referred)):
        if rows:
            await store.write(rel_batch_statement(store.dialect, type_),
                              {"rows": [{"line": i, **row} for i, row in enumerate(rows)]})


def rfm_plan() -> RootConnection:
    return RootConnection("Party", NodeSelection(("Person", "Company"), {"name"}, computed=[
        ComputedSelection("rfm", "rfm")]), page=Page(100))


async def rfm_scores(store: Store, compiler: Compiler) -> tuple[dict[str, tuple[int, int, int]], set[bool]]:
    """Every party's RFM score through the compiler, and whether each came fresh."""
    plan, after, out, fresh = rfm_plan(), None, {}, set()
    while True:
        plan.page = Page(100, after)
        page = await store.fetch(compiler.connection(plan))
        for edge in page["edges"]:
            got = edge["node"]["rels"]["rfm"]
            if got is not None:
                out[edge["node"]["props"]["id"]] = (got.recency, got.frequency, got.monetary)
                fresh.add(got.snapshot.fresh)
        if not page["hasNextPage"]:
            return out, fresh
        after = page["edges"][-1]["cursor"]


def all_months(snap: Snapshot) -> tuple[datetime, datetime]:
    ats = [d["at"] for _, _, d in snap.rels["REFERRED"].edges(data=True) if d.get("at") is not None]
    first = datetime.fromtimestamp(min(ats) / 1000, UTC)
    last = datetime.fromtimestamp(max(ats) / 1000, UTC)
    return month_start(first), next_month(last)


async def assert_snapshot_matches(store: Store, state: SnapshotState) -> None:
    snap = await Snapshot.read(store)
    compiler = Compiler(FALKORDB, analytics=state)
    # RFM of every party, through the snapshot prelude: the oracle's scores.
    scores, fresh = await rfm_scores(store, compiler)
    assert fresh == {False}
    assert scores == snap.rfm()
    # The segment summary: the oracle's, and the fresh statement's.
    from_snapshot = await reads.segments(store, state)
    assert {s.snapshot.fresh for s in from_snapshot} == {False}
    computed = await reads.segments(store, state, fresh=True)
    assert {s.snapshot.fresh for s in computed} == {True}
    oracle = snap.segments()
    for got, scratch in zip(from_snapshot, computed, strict=True):
        assert (got.segment, got.customers) == (scratch.segment, scratch.customers)
        assert got.revenue == scratch.revenue  # exact: integer minor units
        assert got.customers == oracle.get(got.segment, (0, 0))[0]
        assert got.revenue == oracle.get(got.segment, (0, 0))[1]
    assert sum(s.customers for s in from_snapshot) == len(snap.customers()) > 0
    # Referral cohorts over whole months, in windows of at most 36 months.
    start, end = all_months(snap)
    months = month_starts(start, end)
    for i in range(0, len(months), 36):
        lo, hi = months[i], (months[i + 36] if i + 36 < len(months) else end)
        got = await reads.cohorts(store, state, lo, hi, "referralStats")
        scratch = await reads.cohorts(store, state, lo, hi, "referralStats", fresh=True)
        assert {(c.snapshot.fresh, c.snapshot.live) for c in got} == {(False, True)}  # the counters
        assert [(c.month, c.referrers, c.invites, c.converted) for c in got] == \
            [(c.month, c.referrers, c.invites, c.converted) for c in scratch]
        for a, b in zip(got, scratch, strict=True):
            assert a.days_to_convert == (None if b.days_to_convert is None else pytest.approx(b.days_to_convert))
        # The referral snapshot (the fallback while the counters are not built) agrees too.
        found = await latest(store, REFERRALS)
        assert found is not None
        kept = cohorts_of(found[0], found[1], month_starts(lo, hi))
        assert [(c.month, c.referrers, c.invites, c.converted) for c in kept] == \
            [(c.month, c.referrers, c.invites, c.converted) for c in scratch]
        oracle_cohorts = snap.cohorts([epoch_ms(m) for m in months], epoch_ms(lo), epoch_ms(hi))
        for c in got:
            referrers, invites, converted, days = oracle_cohorts.get(epoch_ms(c.month), (0, 0, 0, None))
            assert (c.referrers, c.invites, c.converted) == (referrers, invites, converted)
            assert c.days_to_convert == (None if days is None else pytest.approx(days))
    assert sum(c.invites for c in await reads.cohorts(store, state, months[0], months[min(36, len(months) - 1)],
                                                       "r")) > 0


async def test_snapshots_equal_from_scratch_after_random_writes_and_refreshes(store: Store) -> None:
    rng = random.Random(7)
    state = SnapshotState(max_staleness=3600)
    for round_ in range(4):
        state.known.clear()
        for kind, info in (await refresh(store)).items():
            state.note(kind, info)
        await assert_snapshot_matches(store, state)
        await random_writes(store, rng, 40, str(round_))
    # One node per kind: the refresh switched to the new one and dropped the old.
    rows = await store.read(f"MATCH (s:{SNAPSHOT_LABEL}) RETURN s.kind AS kind, count(*) AS n")
    assert {r["kind"]: r["n"] for r in rows} == dict.fromkeys(KINDS, 1)


async def test_stale_or_missing_snapshot_computes_from_scratch(store: Store) -> None:
    state = SnapshotState(max_staleness=3600)
    compiler = Compiler(FALKORDB, analytics=state)
    _, fresh = await rfm_scores(store, compiler)
    assert fresh == {True}  # nothing known yet
    assert {s.snapshot.fresh for s in await reads.segments(store, state)} == {True}
    for kind, info in (await refresh(store)).items():
        state.note(kind, info)
    _, fresh = await rfm_scores(store, compiler)
    assert fresh == {False}
    # An asOf before the snapshot, or fresh: true, computes from scratch.
    plan = rfm_plan()
    plan.node.computed[0].args["fresh"] = True
    page = await store.fetch(compiler.connection(plan))
    assert {e["node"]["rels"]["rfm"].snapshot.fresh for e in page["edges"] if e["node"]["rels"]["rfm"]} == {True}
    plan.node.computed[0].args = {"as_of": datetime(2000, 1, 1, tzinfo=UTC)}
    page = await store.fetch(compiler.connection(plan))
    assert {e["node"]["rels"]["rfm"].snapshot.fresh for e in page["edges"] if e["node"]["rels"]["rfm"]} == {True}
    # A window that is not whole months computes from scratch.
    got = await reads.cohorts(store, state, datetime(2024, 1, 15, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC), "r")
    assert {c.snapshot.fresh for c in got} == {True}
    # The snapshot removed behind the process's back: a coded error, then (once the
    # refresher has looked) from scratch.
    await store.write(f"MATCH (s:{SNAPSHOT_LABEL}) DELETE s")
    with pytest.raises(SnapshotMissingError) as caught:
        await rfm_scores(store, compiler)
    assert caught.value.code == "ANALYTICS_SNAPSHOT_GONE"
    await Refresher(store, state).sync()
    _, fresh = await rfm_scores(store, compiler)
    assert fresh == {True}
    for kind, info in (await refresh(store)).items():
        state.note(kind, info)
    # Older than the setting: from scratch.
    state.max_staleness = 0.2
    await asyncio.sleep(0.3)
    _, fresh = await rfm_scores(store, compiler)
    assert fresh == {True}
    assert {s.snapshot.fresh for s in await reads.segments(store, state)} == {True}


async def test_refresher_keeps_staleness_within_a_short_setting(store: Store) -> None:
    setting = 1.0
    state = SnapshotState(max_staleness=setting)
    refresher = Refresher(store, state)
    task = asyncio.create_task(refresher.run())
    rng = random.Random(11)
    compiler = Compiler(FALKORDB, analytics=state)
    used_snapshot = 0
    try:
        loop = asyncio.get_running_loop()
        stop = loop.time() + 4.0
        i = 0
        while loop.time() < stop:
            await random_writes(store, rng, 5, f"s{i}")
            i += 1
            page = await store.fetch(compiler.connection(rfm_plan()))
            for edge in page["edges"]:
                rfm = edge["node"]["rels"]["rfm"]
                if rfm is not None:
                    assert rfm.snapshot.staleness() <= setting
                    used_snapshot += not rfm.snapshot.fresh
            for s in await reads.segments(store, state):
                assert s.snapshot.staleness() <= setting
                used_snapshot += not s.snapshot.fresh
            start, end = cohort_window(None, None, datetime.now(UTC))
            for c in await reads.cohorts(store, state, start, end, "referralStats"):
                assert c.snapshot.live and c.snapshot.staleness() <= 0.5
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert refresher.refreshes >= 4  # it kept refreshing
    assert used_snapshot > 0  # and reads used what it wrote
    assert await latest(store, RFM, values=False) is not None
    # The referral cohorts come from the counters (built when the store was loaded): the
    # refresher leaves their snapshot alone, and they are never stale.
    assert await latest(store, REFERRALS, values=False) is None


async def test_one_refresher_holds_the_lock(store: Store) -> None:
    assert await acquire(store, "a", ttl=60)
    assert not await acquire(store, "b", ttl=60)
    assert await acquire(store, "a", ttl=60)  # renewal by the holder
    await release(store, "a")
    assert await acquire(store, "b", ttl=0.1)
    await asyncio.sleep(0.2)  # expired: another may take it
    assert await acquire(store, "a", ttl=60)
    # A refresher that cannot take the lock does not refresh.
    state = SnapshotState(max_staleness=60)
    blocked = Refresher(store, state, holder="b")
    await blocked.tick()
    assert blocked.refreshes == 0 and await latest(store, RFM) is None
    await release(store, "a")
    await blocked.tick()
    # RFM only: the referral cohorts are counted by the writes (their snapshot is the
    # fallback while the counters are not built)
    assert blocked.refreshes == 1 and state.usable(RFM) is not None


async def test_partner_scope_reads_the_snapshot_for_its_own_company_only(store: Store) -> None:
    """The scope's prelude and the snapshot's share the statement: a partner sees its own
    company's rfm (from the snapshot) and null for anyone else's."""
    from graph.access import Access, Role
    from graph.cypher.plan import Lookup
    from graph.cypher.scope import Scope

    state = SnapshotState(max_staleness=3600)
    for kind, info in (await refresh(store)).items():
        state.note(kind, info)
    snap = await Snapshot.read(store)
    scores = snap.rfm()
    own = next(p for p in sorted(scores) if "Company" in snap.labels[p])
    other = next(p for p in sorted(scores) if p != own and "Company" in snap.labels[p])
    compiler = Compiler(FALKORDB, analytics=state).scoped(Scope(Access(Role.PARTNER, company_id=own, scope_depth=3)))
    selection = NodeSelection(("Person", "Company"), {"name"}, computed=[ComputedSelection("rfm", "rfm")])
    mine = await store.fetch(compiler.lookup(Lookup(own, selection), ("Party",)))
    got = mine["rels"]["rfm"]
    assert (got.recency, got.frequency, got.monetary) == scores[own] and not got.snapshot.fresh
    theirs = await store.fetch(compiler.lookup(Lookup(other, selection), ("Party",)))
    assert theirs is None or theirs["rels"]["rfm"] is None
