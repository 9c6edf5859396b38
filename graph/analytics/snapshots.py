"""Computing, writing and reading analytics snapshots (see ``graph.analytics.state``).

A refresh computes each kind from scratch with the same statements a fresh read runs,
writes it as a new node, then deletes the older nodes of that kind: a read, which takes
the newest node, never waits and never sees half a snapshot.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from graph.analytics.state import KINDS, REFERRALS, RFM, SNAPSHOT_LABEL, SnapshotInfo, Values, utcnow
from graph.analytics.stats import (
    Cohort,
    SegmentSummary,
    cohort_statement,
    month_start,
    month_starts,
    next_month,
    referral_range,
    rfm_cells,
    summarize,
)
from graph.cypher.values import EPOCH, epoch_ms, from_store
from graph.model import PropType
from graph.store import Store

PROPS: dict[str, tuple[str, ...]] = {
    # quintile boundaries (recency, frequency, monetary), then customers and revenue per segment
    RFM: ("tr", "tf", "tm", "segments", "customers", "revenue"),
    # per cohort month (epoch ms): referrers, invites, converted, mean days to convert (-1: none)
    REFERRALS: ("months", "referrers", "invites", "converted", "days"),
}
NO_DAYS = -1.0


async def compute_rfm(store: Store) -> Values:
    tr, tf, tm, cells = await store.fetch(rfm_cells(store.dialect))
    segments = summarize(cells)
    return {
        "tr": [int(v) for v in tr if v is not None], "tf": [int(v) for v in tf if v is not None],
        "tm": [int(v) for v in tm if v is not None],
        "segments": [s.segment for s in segments], "customers": [s.customers for s in segments],
        "revenue": [int(s.revenue) for s in segments],
    }


async def compute_referrals(store: Store) -> Values:
    lo, hi = await store.fetch(referral_range(store.dialect))
    if lo is None or hi is None:
        return {name: [] for name in PROPS[REFERRALS]}
    start = month_start(from_store(PropType.DATETIME, lo))
    end = next_month(from_store(PropType.DATETIME, hi))
    cohorts: list[Cohort] = await store.fetch(cohort_statement(store.dialect, month_starts(start, end), start, end))
    cohorts = [c for c in cohorts if c.invites]
    return {
        "months": [epoch_ms(c.month) for c in cohorts], "referrers": [c.referrers for c in cohorts],
        "invites": [c.invites for c in cohorts], "converted": [c.converted for c in cohorts],
        "days": [NO_DAYS if c.days_to_convert is None else float(c.days_to_convert) for c in cohorts],
    }


COMPUTE: dict[str, Callable[[Store], Awaitable[Values]]] = {RFM: compute_rfm, REFERRALS: compute_referrals}


async def write_snapshot(store: Store, kind: str, info: SnapshotInfo, values: Values) -> None:
    """Add the new snapshot, then drop the older ones of its kind (two statements: in
    between, reads already take the new one)."""
    names = PROPS[kind]
    props = ", ".join(f"{name}: $v_{name}" for name in names)
    params: dict[str, Any] = {f"v_{name}": values[name] for name in names}
    params |= {"kind": kind, "asOf": epoch_ms(info.as_of), "computedAt": epoch_ms(info.computed_at)}
    create = f"CREATE (:{SNAPSHOT_LABEL} {{kind: $kind, asOf: $asOf, computedAt: $computedAt, {props}}})"
    await store.write(store.dialect.statement([create]), params)
    drop = f"MATCH (s:{SNAPSHOT_LABEL} {{kind: $kind}}) WHERE s.asOf < $asOf DELETE s"
    await store.write(store.dialect.statement([drop]), {"kind": kind, "asOf": params["asOf"]})


async def refresh_kind(store: Store, kind: str) -> SnapshotInfo:
    """Compute ``kind`` from scratch and store it as the newest snapshot."""
    as_of = utcnow()
    async with store.long_read():  # a whole-base scan: this process's writes wait, not the store
        values = await COMPUTE[kind](store)
    info = SnapshotInfo(as_of, utcnow())
    await write_snapshot(store, kind, info, values)
    return info


async def refresh(store: Store, kinds: tuple[str, ...] = KINDS) -> dict[str, SnapshotInfo]:
    return {kind: await refresh_kind(store, kind) for kind in kinds}


def _moment(ms: int | None) -> datetime:
    return from_store(PropType.DATETIME, ms) or EPOCH


def _info(rec: dict[str, Any]) -> SnapshotInfo:
    return SnapshotInfo(_moment(rec["asOf"]), _moment(rec["computedAt"]))


async def latest(store: Store, kind: str, *, values: bool = True) -> tuple[SnapshotInfo, Values] | None:
    """The newest snapshot of ``kind`` (one indexed lookup), or None."""
    names = PROPS[kind] if values else ()
    extra = "".join(f", s.{name} AS {name}" for name in names)
    records = await store.read(store.dialect.statement([
        f"MATCH (s:{SNAPSHOT_LABEL} {{kind: $kind}}) WITH s ORDER BY s.asOf DESC LIMIT 1",
        f"RETURN s.asOf AS asOf, s.computedAt AS computedAt{extra}"]), {"kind": kind})
    if not records:
        return None
    rec = records[0]
    return _info(rec), {name: list(rec[name] or []) for name in names}


def segments_of(info: SnapshotInfo, values: Values) -> list[SegmentSummary]:
    return [SegmentSummary(name, int(c), int(r), info)
            for name, c, r in zip(values["segments"], values["customers"], values["revenue"], strict=True)]


def cohorts_of(info: SnapshotInfo, values: Values, months: list[datetime]) -> list[Cohort]:
    """The snapshot's cohorts for ``months`` (a month without invitations has zeros)."""
    by_month = {int(m): i for i, m in enumerate(values["months"])}
    out = []
    for month in months:
        i = by_month.get(epoch_ms(month))
        if i is None:
            out.append(Cohort(month, 0, 0, 0, None, info))
            continue
        days = float(values["days"][i])
        out.append(Cohort(month, int(values["referrers"][i]), int(values["invites"][i]),
                          int(values["converted"][i]), None if days == NO_DAYS else days, info))
    return out
