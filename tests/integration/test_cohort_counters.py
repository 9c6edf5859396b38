"""Referral cohort counters (graph.analytics.cohorts) against from-scratch answers: after
every step of random sequences of mutations (through the mutation service and the
GraphQL schema), imports (through the importer) and snapshot refreshes, `referralStats`
read from the counters equals the fresh statement (`fresh: true`) and the oracle
(tests/oracle.py), on the real embedded store."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import strawberry

from graph.analytics import cohorts, reads
from graph.analytics.refresher import Refresher
from graph.analytics.snapshots import refresh
from graph.analytics.state import SnapshotState
from graph.analytics.stats import month_start, month_starts, next_month
from graph.cypher.compiler import Compiler
from graph.cypher.dialect import FALKORDB
from graph.cypher.values import epoch_ms
from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from graph.io.importer import Importer, Source
from graph.mutations import service
from graph.mutations.errors import MutationError
from graph.store import Store
from schema.context import Context
from seeds.synthetic import SyntheticSpec, generate_into
from tests.oracle import Snapshot

SPEC = SyntheticSpec(people=120, companies=20, products=30, orders=300, cycles=2, seed=5)
REF_STATUSES = ("invited", "converted", "rewarded", "rejected")
ORDER_STATUSES = ("open", "paid", "delivered", "cancelled", "returned")
DAY = 86_400_000


@pytest.fixture
async def store(falkordb_server: EmbeddedFalkorDB) -> AsyncIterator[Store]:
    s = FalkorDBStore(str(falkordb_server.socket_path), "cohorts")
    await s.ensure_schema()
    await s.clear()
    await generate_into(s, SPEC)  # upserts that bypass the counters, then counts them from scratch
    try:
        yield s
    finally:
        await s.clear()
        await s.close()


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


async def windows(store: Store) -> list[tuple[datetime, datetime]]:
    """Whole-month windows of at most 36 months covering every invitation."""
    rows = await store.read("MATCH (:Party)-[r:REFERRED]->(:Party) RETURN min(r.at) AS lo, max(r.at) AS hi")
    lo, hi = rows[0]["lo"], rows[0]["hi"]
    if lo is None:
        return []
    start = month_start(datetime.fromtimestamp(lo / 1000, UTC))
    end = next_month(datetime.fromtimestamp(hi / 1000, UTC))
    months = month_starts(start, end)
    return [(months[i], months[i + 36] if i + 36 < len(months) else end) for i in range(0, len(months), 36)]


async def assert_exact(store: Store, state: SnapshotState, step: str) -> int:
    """The counters' cohorts equal the fresh statement's and the oracle's; returns invites seen."""
    snap = await Snapshot.read(store)
    seen = 0
    for lo, hi in await windows(store):
        live = await reads.cohorts(store, state, lo, hi, "referralStats")
        assert {(c.snapshot.live, c.snapshot.fresh) for c in live} == {(True, False)}, step
        scratch = await reads.cohorts(store, state, lo, hi, "referralStats", fresh=True)
        assert [(c.month, c.referrers, c.invites, c.converted) for c in live] == \
            [(c.month, c.referrers, c.invites, c.converted) for c in scratch], step
        for a, b in zip(live, scratch, strict=True):
            assert a.days_to_convert == (None if b.days_to_convert is None else
                                         pytest.approx(b.days_to_convert, rel=1e-9)), step
        months = [epoch_ms(m) for m in month_starts(lo, hi)]
        oracle = snap.cohorts(months, epoch_ms(lo), epoch_ms(hi))
        for c in live:
            referrers, invites, converted, days = oracle.get(epoch_ms(c.month), (0, 0, 0, None))
            assert (c.referrers, c.invites, c.converted) == (referrers, invites, converted), step
            assert c.days_to_convert == (None if days is None else pytest.approx(days, rel=1e-9)), step
            seen += c.invites
    # Nothing left over from the writes' bookkeeping.
    assert not await store.read("MATCH (w:CohortWork) RETURN w.token AS token")
    return seen


class Writer:
    """Random writes of every kind that moves a cohort term."""

    def __init__(self, store: Store, rng: random.Random, tmp: Path) -> None:
        self.store, self.rng, self.tmp = store, rng, tmp
        self.now = epoch_ms(datetime.now(UTC))
        self.n = 0

    async def ids(self, query: str) -> list[str]:
        return [r["id"] for r in await self.store.read(query)]

    def moment(self) -> int:
        return self.now - self.rng.randrange(2 * 365 * DAY)

    async def referral(self) -> None:
        people = await self.ids("MATCH (p:Party) RETURN p.id AS id ORDER BY id")
        a, b = self.rng.sample(people, 2)
        try:
            await service.record_referral(self.store, {"referrerId": a, "referredId": b, "at": iso(self.moment()),
                                                       "status": self.rng.choice(REF_STATUSES)})
        except MutationError:
            pass  # a cycle or already referred: refused, nothing moves

    async def order(self) -> None:
        referred = await self.ids("MATCH (:Party)-[:REFERRED]->(p:Party) RETURN DISTINCT p.id AS id ORDER BY id")
        parties = referred or await self.ids("MATCH (p:Party) RETURN p.id AS id ORDER BY id")
        sellers = await self.ids("MATCH (c:Company) RETURN c.id AS id ORDER BY id")
        products = await self.ids("MATCH (p:Product) RETURN p.id AS id ORDER BY id")
        self.n += 1
        await service.record_order(self.store, {
            "id": f"order:t{self.n}", "customerId": self.rng.choice(parties), "sellerId": self.rng.choice(sellers),
            "placedAt": iso(self.moment()), "status": self.rng.choice(ORDER_STATUSES),
            "items": [{"productId": self.rng.choice(products), "qty": 1 + self.rng.randrange(3),
                       "unitPrice": f"{self.rng.randrange(1, 500)}.00"}]})

    async def imported(self) -> None:
        """One import file: new orders of referred parties, status and date changes of
        existing orders, and status and date changes of existing referrals."""
        lines: list[dict[str, Any]] = []
        referrals = await self.store.read("MATCH (a:Party)-[r:REFERRED]->(b:Party) RETURN a.id AS a, b.id AS b "
                                          "ORDER BY a, b")
        for r in self.rng.sample(referrals, min(4, len(referrals))):
            lines.append({"rel": "REFERRED", "from": r["a"], "to": r["b"], "at": iso(self.moment()),
                          "status": self.rng.choice(REF_STATUSES)})
        orders = await self.store.read("MATCH (o:Order) WHERE o.currency = 'USD' RETURN o.id AS id, "
                                       "o.total AS total ORDER BY id")
        for o in self.rng.sample(orders, min(4, len(orders))):
            lines.append({"node": "Order", "id": o["id"], "placedAt": iso(self.moment()), "currency": "USD",
                          "total": f"{o['total'] // 100}.{o['total'] % 100:02d}",
                          "status": self.rng.choice(ORDER_STATUSES)})
        referred = await self.ids("MATCH (:Party)-[:REFERRED]->(p:Party) RETURN DISTINCT p.id AS id ORDER BY id")
        for _ in range(3 if referred else 0):
            self.n += 1
            oid = f"order:i{self.n}"
            lines.append({"node": "Order", "id": oid, "placedAt": iso(self.moment()), "currency": "USD",
                          "total": "10.00", "status": self.rng.choice(ORDER_STATUSES)})
            lines.append({"rel": "PLACED", "from": self.rng.choice(referred), "to": oid})
        self.rng.shuffle(lines)
        path = self.tmp / f"batch{self.n}.jsonl"
        path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
        errors: list[Any] = []
        await Importer(self.store, batch=3, on_rejected=errors.append).run(Source(path))
        assert not errors

    async def merge(self) -> None:
        people = await self.ids("MATCH (p:Person) RETURN p.id AS id ORDER BY id")
        survivor, merged = self.rng.sample(people, 2)
        await service.merge_parties(self.store, survivor, merged)

    async def delete(self) -> None:
        if self.rng.random() < 0.5:
            people = await self.ids("MATCH (:Party)-[:REFERRED]-(p:Person) RETURN DISTINCT p.id AS id ORDER BY id")
            await service.delete_node(self.store, "Person", self.rng.choice(people), with_orders=True)
        else:
            products = await self.ids("MATCH (p:Product)<-[:CONTAINS]-(:Order) RETURN DISTINCT p.id AS id "
                                      "ORDER BY id")
            await service.delete_node(self.store, "Product", self.rng.choice(products), with_orders=True)


@pytest.mark.parametrize("seed", [1, 2])
async def test_counters_equal_from_scratch_after_random_writes_imports_and_refreshes(
        store: Store, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    state = SnapshotState(max_staleness=3600)
    writer = Writer(store, rng, tmp_path)
    assert await assert_exact(store, state, "loaded") > 0
    kinds = ["referral"] * 5 + ["order"] * 5 + ["imported"] * 3 + ["merge", "delete", "refresh"]
    done: list[str] = []
    for step in range(36):
        kind = rng.choice(kinds)
        if kind == "refresh":
            for k, info in (await refresh(store)).items():
                state.note(k, info)
        else:
            await getattr(writer, kind)()
        done.append(kind)
        await assert_exact(store, state, f"step {step}: {kind} (after {done[:-1]})")
    assert {"referral", "order", "imported"} <= set(done)


async def test_graphql_answers_from_the_counters(store: Store, schema: strawberry.Schema) -> None:
    state = SnapshotState(max_staleness=3600)
    context = Context(store, Compiler(FALKORDB, analytics=state))
    document = """mutation($a: ID!, $b: ID!, $at: DateTime!) {
        recordReferral(input: {referrerId: $a, referredId: $b, at: $at, status: "converted"}) { status } }"""
    people = [r["id"] for r in await store.read("MATCH (p:Person) WHERE NOT ()-[:REFERRED]->(p) "
                                                "RETURN p.id AS id ORDER BY id LIMIT 2")]
    at = datetime.now(UTC).replace(day=1, hour=12, microsecond=0) - timedelta(days=40)
    result = await schema.execute(document, variable_values={"a": people[0], "b": people[1], "at": at.isoformat()},
                                  context_value=context)
    assert result.errors is None, result.errors
    query = """query($fresh: Boolean!) { referralStats(fresh: $fresh) {
        month referrers invites converted averageDaysToConvert snapshot { fresh live stalenessSeconds } } }"""
    live = await schema.execute(query, variable_values={"fresh": False}, context_value=context)
    scratch = await schema.execute(query, variable_values={"fresh": True}, context_value=context)
    assert live.errors is None and scratch.errors is None, (live.errors, scratch.errors)
    assert live.data is not None and scratch.data is not None
    got, want = live.data["referralStats"], scratch.data["referralStats"]
    assert all(c["snapshot"]["live"] and not c["snapshot"]["fresh"] and c["snapshot"]["stalenessSeconds"] < 1
               for c in got)
    assert all(c["snapshot"]["fresh"] and not c["snapshot"]["live"] for c in want)
    strip = [{k: v for k, v in c.items() if k not in ("snapshot", "averageDaysToConvert")} for c in got]
    assert strip == [{k: v for k, v in c.items() if k not in ("snapshot", "averageDaysToConvert")} for c in want]
    month = next(c for c in got if c["month"].startswith(month_start(at).isoformat()[:7]))
    assert month["invites"] >= 1 and month["converted"] >= 1


async def test_counters_not_built_fall_back_then_the_refresher_builds_them(store: Store) -> None:
    state = SnapshotState(max_staleness=3600)
    lo, hi = (await windows(store))[0]
    before = await reads.cohorts(store, state, lo, hi, "r")
    await cohorts.invalidate(store)
    assert not await cohorts.is_built(store)
    fallback = await reads.cohorts(store, state, lo, hi, "r")
    assert {c.snapshot.live for c in fallback} == {False}  # from scratch (no snapshot yet)
    refresher = Refresher(store, state)
    await refresher.tick()
    assert await cohorts.is_built(store)
    again = await reads.cohorts(store, state, lo, hi, "r")
    assert {c.snapshot.live for c in again} == {True}
    assert [(c.referrers, c.invites, c.converted, c.days_to_convert) for c in again] == \
        [(c.referrers, c.invites, c.converted, c.days_to_convert) for c in before]


async def test_first_referral_and_order_of_an_empty_graph_are_counted(falkordb_server: EmbeddedFalkorDB) -> None:
    """FalkorDB plans a pattern over an unknown relationship type as empty: the store
    registers every type when it sets up its schema, so the very first ones count."""
    s = FalkorDBStore(str(falkordb_server.socket_path), "cohorts-empty")
    await s.ensure_schema()
    await s.clear()
    try:
        await cohorts.build(s)
        await service.create_node(s, "Person", {"id": "person:a", "name": "A"})
        await service.create_node(s, "Person", {"id": "person:b", "name": "B"})
        await service.create_node(s, "Company", {"id": "company:c", "name": "C"})
        await service.create_node(s, "Product", {"id": "product:p", "name": "P"})
        await service.record_referral(s, {"referrerId": "person:a", "referredId": "person:b",
                                          "at": "2025-03-10T00:00:00Z", "status": "converted"})
        await service.record_order(s, {"id": "order:1", "customerId": "person:b", "sellerId": "company:c",
                                       "placedAt": "2025-03-12T00:00:00Z",
                                       "items": [{"productId": "product:p", "qty": 1, "unitPrice": "5.00"}]})
        state = SnapshotState(max_staleness=3600)
        got = await reads.cohorts(s, state, datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC), "r")
        assert [(c.referrers, c.invites, c.converted, c.days_to_convert) for c in got] == [(1, 1, 1, 2.0)]
    finally:
        await s.clear()
        await s.close()


async def test_month_arithmetic_in_the_store(store: Store) -> None:
    """The month of an instant, as the counters' statements compute it in FalkorDB, is the
    calendar's (UTC), at and around every month boundary 1900-2200 and at random instants."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    rng = random.Random(3)
    values = [rng.randrange(-2_208_988_800_000, 7_258_118_400_000) for _ in range(2000)]
    for year in range(1900, 2201):
        for month in range(1, 13):
            first = epoch_ms(datetime(year, month, 1, tzinfo=UTC))
            values += [first - 1, first, first + 1]
    lines = ["UNWIND $values AS x", *cohorts.month_lines("x", ("x",)), f"RETURN x, {cohorts.MONTH} AS m"]
    rows = await store.read("\n".join(lines), {"values": values})
    assert len(rows) == len(values)
    for row in rows:
        assert row["m"] == epoch_ms(month_start(epoch + timedelta(milliseconds=row["x"]))), row["x"]
