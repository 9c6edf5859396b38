"""Verified API keys kept in the worker for a few seconds, so the usual request asks the store nothing.

What makes it safe to serve a key from here:

- An entry holds the key's keyed hash (``HMAC-SHA256(pepper, key)``, as the record does),
  the ``Access`` it grants, and its deadlines. A hit needs the HMAC of the *presented* key
  to equal the entry's (constant-time). Anything else is a miss and the caller asks the
  store exactly as without a cache: a wrong secret for a cached id is refused by the
  store's check, in the time an unknown id takes, and neither replaces nor drops the entry.
- Only successes are kept; a refusal is never cached.
- An entry lives at most ``seconds``, never past the key's own expiry, and ``drop`` removes
  it when a change of the key is announced (``graph.key_events``).
- While the cache is suspended (the worker does not hear key changes) it serves and keeps
  nothing. ``epoch`` counts drops and suspensions: a record read from the store before
  one is not kept after it, since it may predate the change that caused it.
"""

from __future__ import annotations

import hmac
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from graph.access import Access

if TYPE_CHECKING:
    from graph.keys import ApiKey


@dataclass(frozen=True, slots=True)
class Entry:
    digest: bytes  # HMAC-SHA256(pepper, key), hex, as in the record
    access: Access
    fresh_until: float  # monotonic clock
    expires: float | None  # the key's expiry, wall clock (epoch seconds)


class KeyCache:
    """Key id -> verified record, bounded in age (``seconds``) and count (``size``, least recently used out)."""

    def __init__(self, seconds: float, size: int, *, active: bool = True,
                 clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time) -> None:
        self.seconds = seconds
        self.size = size
        self.epoch = 0
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._clock = clock
        self._wall = wall
        self._active = active and self.enabled

    @property
    def enabled(self) -> bool:
        """Configured on (``CRMGRAPH_KEY_CACHE_SECONDS`` > 0)."""
        return self.seconds > 0 and self.size > 0

    @property
    def active(self) -> bool:
        """Serving entries now (enabled, and not suspended)."""
        return self._active

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key_id: str, presented: str) -> Access | None:
        """The Access of a fresh entry for ``key_id`` whose hash equals ``presented``; else None."""
        entry = self._entries.get(key_id)
        if entry is None or not hmac.compare_digest(entry.digest, presented.encode()):
            return None
        if self._clock() >= entry.fresh_until or (entry.expires is not None and self._wall() >= entry.expires):
            del self._entries[key_id]  # the store says why from now on ("API key expired")
            return None
        self._entries.move_to_end(key_id)
        return entry.access

    def put(self, record: ApiKey, epoch: int) -> None:
        """Keep ``record``, which passed ``graph.keys.check``, read from the store at ``epoch``."""
        if not self._active or epoch != self.epoch or record.revoked is not None:
            return
        expires = record.expires.timestamp() if record.expires is not None else None
        self._entries[record.id] = Entry(record.hash.encode(), record.access(), self._clock() + self.seconds,
                                         expires)
        self._entries.move_to_end(record.id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def drop(self, key_id: str) -> None:
        """The key changed: forget it, and whatever is being read of any key right now."""
        self.epoch += 1
        self._entries.pop(key_id, None)

    def suspend(self) -> None:
        """Key changes may go unheard: serve nothing until ``resume``."""
        self._active = False
        self.epoch += 1
        self._entries.clear()

    def resume(self) -> None:
        """Key changes are heard again: start empty (any change meanwhile was missed)."""
        self.epoch += 1
        self._entries.clear()
        self._active = self.enabled


__all__ = ["Entry", "KeyCache"]
