"""Index windows for the first pages of big lists ordered newest first.

FalkorDB never walks an index in order: ``orders(first: 50)`` sorts every order (1 s at
3M orders). It does answer a range predicate on an indexed number from the index, in
milliseconds. So for a root list whose first sort key is an indexed timestamp, descending
(``Order.placedAt``, ``Interaction.at``), the statement first reads only the rows at or
after a *horizon*: the key of about the ``WINDOW_ROWS``-th newest row. If at least a
page (plus the one extra row) of them passes the filter, visibility and cursor, that page
is the answer: every row outside the window sorts after every row inside it (a smaller
key, or a null key, which sorts lowest). Otherwise the same statement sorts the whole
list, as it would without a window. The answer never depends on the horizon; only its
cost does. A stale horizon only widens the window (new rows are newer), and rows deleted
from it make the statement fall back.

The horizons are whole-list statistics each process reads from the store at start and
refreshes every ``REFRESH_SECONDS`` (one sort of the label; off the request path).
A list with fewer than ``WINDOW_ROWS`` rows has no horizon: its sort is cheap.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graph.model import INDEXES, NODE_KINDS, PropType

if TYPE_CHECKING:
    from graph.store import Store

WINDOW_ROWS = 2000  # well over the largest page (1,000), so deep first pages stay in it
REFRESH_SECONDS = 300.0
log = logging.getLogger("crmgraph.horizons")


def _windowed() -> tuple[tuple[str, str], ...]:
    """(label, property) pairs: a kind whose default order is an indexed timestamp or
    number, descending."""
    indexed = {(spec.label, spec.prop) for spec in INDEXES}
    out = []
    for kind in NODE_KINDS.values():
        prop, desc = kind.default_sort
        types = {p.name: p.type for p in kind.props}
        if desc and (kind.label, prop) in indexed and types.get(prop) in (PropType.DATETIME, PropType.INT):
            out.append((kind.label, prop))
    return tuple(out)


WINDOWED = _windowed()


def horizon_statement(label: str, prop: str) -> str:
    """The key of the ``$skip``-th newest row (no row: the list is smaller than that)."""
    if (label, prop) not in WINDOWED:
        raise ValueError(f"no window for {label}.{prop}")
    return "\n".join([
        f"MATCH (n:{label})",
        f"WHERE n.{prop} IS NOT NULL",
        f"WITH n.{prop} AS k",
        "ORDER BY k DESC",
        "SKIP $skip",
        "LIMIT 1",
        "RETURN k",
    ])


@dataclass
class Horizons:
    """This process's horizons; ``version`` moves when they change, so a compiled
    statement cached under the old ones is compiled again."""

    values: dict[tuple[str, str], int] = field(default_factory=dict)
    version: int = 0

    def get(self, label: str, prop: str) -> int | None:
        return self.values.get((label, prop))

    def update(self, found: dict[tuple[str, str], int]) -> None:
        if found != self.values:
            self.values = found
            self.version += 1

    async def refresh(self, store: Store, rows_in_window: int = WINDOW_ROWS) -> None:
        found: dict[tuple[str, str], int] = {}
        for label, prop in WINDOWED:
            rows: list[dict[str, Any]] = await store.read(horizon_statement(label, prop), {"skip": rows_in_window})
            if rows and isinstance(rows[0]["k"], int):
                found[(label, prop)] = rows[0]["k"]
        self.update(found)

    async def run(self, store: Store, every: float = REFRESH_SECONDS) -> None:
        """Refresh now, then every ``every`` seconds; a failure leaves the old ones."""
        while True:
            try:
                await self.refresh(store)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the store is busy or restarting: the lists stay correct
                log.warning("list horizons not refreshed: %s", exc)
            await asyncio.sleep(every)
