"""The root analytics (``segmentSummary``, ``referralStats``): referral cohorts from the
counters every write moves (``graph.analytics.cohorts``: exact at the read); segments
from the newest snapshot when it is recent enough; else computed from scratch as the
statements in ``graph.analytics.stats`` do."""

from __future__ import annotations

from datetime import datetime

from graph.analytics import cohorts as counters
from graph.analytics.snapshots import cohorts_of, latest, segments_of
from graph.analytics.state import REFERRALS, RFM, SnapshotInfo, SnapshotState, Values
from graph.analytics.stats import Cohort, SegmentSummary, check_window, referral_cohorts, segment_summary, whole_months
from graph.store import Store


async def _snapshot(store: Store, state: SnapshotState | None, kind: str) -> tuple[SnapshotInfo, Values] | None:
    """The newest snapshot of ``kind`` if snapshots are on and it is recent enough."""
    if state is None or state.max_staleness <= 0:
        return None
    found = await latest(store, kind)
    if found is None:
        return None
    state.note(kind, found[0])
    return found if found[0].staleness() <= state.max_staleness else None


async def segments(store: Store, state: SnapshotState | None, *, fresh: bool = False) -> list[SegmentSummary]:
    found = None if fresh else await _snapshot(store, state, RFM)
    if found is not None:
        return segments_of(*found)
    result: list[SegmentSummary] = await store.fetch(segment_summary(store.dialect))
    return result


async def cohorts(store: Store, state: SnapshotState | None, start: datetime, end: datetime, argument: str,
                  *, fresh: bool = False) -> list[Cohort]:
    """Cohorts of ``[start, end)``: when the window is whole months, from the counters
    (exact now) or, while they are not built, from the snapshot."""
    months = check_window(start, end, argument)
    if state is not None and not fresh and whole_months(start, end):
        live = await counters.read(store, start, end)
        if live is not None:
            return live
    found = None if fresh or not whole_months(start, end) else await _snapshot(store, state, REFERRALS)
    if found is not None:
        return cohorts_of(found[0], found[1], months)
    result: list[Cohort] = await store.fetch(referral_cohorts(store.dialect, start, end, argument))
    return result
