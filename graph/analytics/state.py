"""Analytics snapshots: what they are called in the store, and what a process knows of them.

A snapshot is one ``(:AnalyticsSnapshot {kind, asOf, computedAt, ...})`` node holding the
whole-base figures of one kind (RFM quintile boundaries and segment counts; referral
cohorts per month), computed from the store as it was at ``asOf``. It is not an
``Entity``: no API read reaches it. Reads take the newest of a kind; a refresh writes a
new one, then deletes the older ones, so a read never waits for a refresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

SNAPSHOT_LABEL = "AnalyticsSnapshot"
LOCK_LABEL = "AnalyticsLock"
RFM = "rfm"
REFERRALS = "referrals"
KINDS = (RFM, REFERRALS)
DEFAULT_MAX_STALENESS = 60.0

Values = dict[str, list[Any]]
"""A snapshot's figures by property name (lists: what both stores keep as a property)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SnapshotInfo:
    """Which figures an answer was computed from."""

    as_of: datetime  # the store as it was at this moment
    computed_at: datetime  # when the computation finished
    fresh: bool = False  # computed for this request rather than read from a snapshot
    live: bool = False  # read from counters every write moves: exact at ``as_of``, the moment of the read

    def staleness(self, now: datetime | None = None) -> float:
        """Seconds between ``as_of`` and ``now``."""
        return max(((now or utcnow()) - self.as_of) / timedelta(seconds=1), 0.0)


def computed_now() -> SnapshotInfo:
    moment = utcnow()
    return SnapshotInfo(moment, moment, fresh=True)


@dataclass
class SnapshotState:
    """What this process knows of the newest snapshot of each kind, and how old one may be.

    A read uses the snapshots only while the newest one it knows of is at most
    ``max_staleness`` seconds old; otherwise it computes from scratch. The newest snapshot
    in the store is never older than the one the process knows of, so a read that uses
    the snapshots never sees figures older than ``max_staleness``. ``max_staleness`` 0
    turns the snapshots off (every read computes from scratch).
    """

    max_staleness: float = DEFAULT_MAX_STALENESS
    known: dict[str, SnapshotInfo] = field(default_factory=dict)

    def note(self, kind: str, info: SnapshotInfo | None) -> None:
        if info is None:
            self.known.pop(kind, None)
        elif kind not in self.known or info.as_of >= self.known[kind].as_of:
            self.known[kind] = info

    def usable(self, kind: str, now: datetime | None = None) -> SnapshotInfo | None:
        """The newest known snapshot of ``kind`` if it is recent enough to answer from."""
        info = self.known.get(kind)
        if info is None or self.max_staleness <= 0 or info.staleness(now) > self.max_staleness:
            return None
        return info
