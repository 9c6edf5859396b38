"""Keeping the snapshots within the staleness allowed, from inside the service.

Every worker runs a ``Refresher``: it polls the newest snapshot of each kind (one
indexed lookup each) so its compiler knows whether reads may use them, and when one is
older than half the staleness allowed it takes the store's refresh lock and recomputes
it. The lock is a node ``(:AnalyticsLock {name, holder, until})`` set in one statement
(FalkorDB runs writes one at a time; on Neo4j the MERGE takes the node's write lock),
with an expiry so a worker that dies holding it delays the next refresh by at most
``LOCK_TTL`` seconds: only one worker refreshes at a time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from datetime import timedelta

from graph.analytics import cohorts
from graph.analytics.snapshots import latest, refresh_kind
from graph.analytics.state import KINDS, LOCK_LABEL, REFERRALS, SnapshotState, utcnow
from graph.cypher.name_keys import recheck_name_keys
from graph.cypher.values import epoch_ms
from graph.store import QueryTimeoutError, Store

log = logging.getLogger("crmgraph.analytics")

LOCK_NAME = "analytics-refresh"
LOCK_TTL = 120.0  # seconds; renewed between kinds; left to expire when a worker stops mid-refresh
MAX_BACKOFF = 300.0  # seconds between attempts after failures in a row


async def acquire(store: Store, holder: str, ttl: float = LOCK_TTL) -> bool:
    """Take the refresh lock for ``ttl`` seconds unless another holder has it unexpired."""
    now = utcnow()
    records = await store.write(store.dialect.statement([
        f"MERGE (l:{LOCK_LABEL} {{name: $name}})",
        "WITH l WHERE l.until IS NULL OR l.until < $now OR l.holder = $holder",
        "SET l.holder = $holder, l.until = $until RETURN l.holder AS holder"]),
        {"name": LOCK_NAME, "holder": holder, "now": epoch_ms(now),
         "until": epoch_ms(now + timedelta(seconds=ttl))})
    return bool(records) and records[0]["holder"] == holder


async def release(store: Store, holder: str) -> None:
    await store.write(store.dialect.statement([
        f"MATCH (l:{LOCK_LABEL} {{name: $name}}) WHERE l.holder = $holder SET l.until = 0"]),
        {"name": LOCK_NAME, "holder": holder})


class Refresher:
    """Polls and refreshes the snapshots for one process (see the module's doc)."""

    def __init__(self, store: Store, state: SnapshotState, holder: str | None = None) -> None:
        self.store = store
        self.state = state
        self.holder = holder or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.refreshes = 0
        self.counters_built = True  # as of the latest sync

    @property
    def interval(self) -> float:
        """Seconds between polls: a quarter of the staleness allowed, within 0.05-5 s."""
        return min(max(self.state.max_staleness / 4, 0.05), 5.0)

    async def sync(self) -> list[str]:
        """Learn the newest snapshot of each kind; return the kinds due for a refresh. While
        the referral cohort counters are built, reads take the cohorts from them, so their
        snapshot is not kept up (it is the fallback while the counters are being built)."""
        due = []
        self.counters_built = await cohorts.is_built(self.store)
        for kind in KINDS:
            if kind == REFERRALS and self.counters_built:
                continue
            found = await latest(self.store, kind, values=False)
            info = found[0] if found else None
            if info is None:
                self.state.known.pop(kind, None)
            else:
                self.state.known[kind] = info
            if info is None or info.staleness() > self.state.max_staleness / 2:
                due.append(kind)
        return due

    async def tick(self) -> None:
        due = await self.sync()
        if (not due and self.counters_built) or not await acquire(self.store, self.holder):
            return
        try:
            for kind in due:  # first: the referral snapshot is what reads use until the counters are built
                await acquire(self.store, self.holder)  # renew between kinds
                info = await refresh_kind(self.store, kind)
                self.state.note(kind, info)
                self.refreshes += 1
                log.debug("analytics snapshot %s refreshed in %.3f s", kind,
                          (info.computed_at - info.as_of).total_seconds())
            if not self.counters_built:
                await acquire(self.store, self.holder)
                try:
                    months = await cohorts.build(self.store)
                except QueryTimeoutError:
                    log.warning("counting the referral cohort counters from scratch takes longer than the "
                                "store's write limit; run `crmgraph analytics refresh` once (no limit); "
                                "meanwhile referralStats reads the snapshot")
                    raise
                self.counters_built = True
                self.refreshes += 1
                log.info("referral cohort counters counted from scratch: %d months", months)
        except asyncio.CancelledError:
            raise  # the service is stopping: no more store calls; the lock expires by itself
        except BaseException:
            await release(self.store, self.holder)
            raise
        await release(self.store, self.holder)

    async def run(self) -> None:
        """Poll and refresh until cancelled. A failure is logged and retried after a pause
        that doubles with each failure in a row (up to ``MAX_BACKOFF``), so a refresh that
        cannot finish (the store is down, or the scan runs past CRMGRAPH_QUERY_TIMEOUT on
        a big graph) does not keep the store busy; reads compute from scratch meanwhile."""
        failures = 0
        while True:
            try:
                await self.tick()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the store may be down or read-only; reads fall back
                failures += 1
                log.warning("analytics refresh failed (%d in a row): %s", failures, exc)
            pause = self.interval if not failures else min(self.interval * 2 ** failures, MAX_BACKOFF)
            await asyncio.sleep(pause)


async def force_refresh(store: Store, holder: str = "cli", recount: bool = False) -> dict[str, float]:
    """Recompute every kind now (``crmgraph analytics refresh``), waiting for the lock up
    to a minute; returns each kind's compute seconds. The referral cohort counters are
    counted from scratch when they are not built, or with ``recount``, which also checks
    every name's sort key (``graph.cypher.name_keys``)."""
    deadline = utcnow() + timedelta(seconds=60)
    while not await acquire(store, holder):
        if utcnow() > deadline:
            raise TimeoutError("another process holds the analytics refresh lock")
        await asyncio.sleep(0.2)
    try:
        out = {}
        if recount or not await cohorts.is_built(store):
            began = utcnow()
            await cohorts.build(store, cohorts.LONG_BUILD)
            out["cohort-counters"] = (utcnow() - began).total_seconds()
        if recount:  # derived data kept by every write, like the counters: checked the same way
            began = utcnow()
            await recheck_name_keys(store)
            out["name-keys"] = (utcnow() - began).total_seconds()
        for kind in KINDS:
            info = await refresh_kind(store, kind)
            out[kind] = (info.computed_at - info.as_of).total_seconds()
        return out
    finally:
        await release(store, holder)
