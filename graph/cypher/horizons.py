"""Index windows for the first pages of big lists.

FalkorDB never walks an index in order: ``orders(first: 50)`` sorts every order (1 s at
3M orders), ``people(first: 50)`` every person. It does answer a range predicate on an
indexed number from the index, in milliseconds. So for a root list whose first sort key
has a window — an indexed timestamp, newest first (``Order.placedAt``,
``Interaction.at``), or a name, A to Z, through its numeric key (``graph.sort_keys``) —
the statement first reads only the rows on the near side of a *horizon*: the key of about
the ``WINDOW_ROWS``-th row in that order. If at least a page (plus the one extra row) of
them passes the filter, visibility and cursor, that page is the answer: every row outside
the window sorts after every row inside it (a timestamp older than the horizon, or null,
which sorts lowest; a name whose key is above the horizon's). Otherwise the same
statement sorts the whole list, as it would without a window. The answer never depends on
the horizon; only its cost does. A stale horizon only widens the window for rows added
since, and rows deleted from it make the statement fall back.

The horizons are whole-list statistics each process reads from the store at start and
refreshes every ``REFRESH_SECONDS`` (one sort of each list's keys; off the request path).
Each refresh first gives a key to any named node without one (a graph written by an
older version), so that every node is in the index the window reads.
A list with fewer than ``WINDOW_ROWS`` rows has no horizon: its sort is cheap. Nor has
one whose horizon key is shared by so many rows that the window would hold more than
``MAX_WINDOW_ROWS`` (names alike in their first characters, orders bulk-loaded with one
timestamp): reading that many through the index costs more than the sort it saves.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graph.cypher.name_keys import backfill_name_keys
from graph.model import INDEXES, NAME_KEY, NAME_KEYED, NODE_KINDS, PropType

if TYPE_CHECKING:
    from graph.store import Store

WINDOW_ROWS = 2000  # well over the largest page (1,000), so deep first pages stay in it
MAX_WINDOW_ROWS = 10 * WINDOW_ROWS
REFRESH_SECONDS = 300.0
log = logging.getLogger("crmgraph.horizons")


@dataclass(frozen=True)
class Window:
    """A root list of ``label`` whose order starts with ``sort`` in this direction reads
    the rows whose indexed ``key`` is on the near side of the horizon first."""

    label: str
    sort: str
    key: str
    descending: bool

    @property
    def near(self) -> str:
        """How a row's key compares to the horizon when the row is in the window."""
        return ">=" if self.descending else "<="


def _windows() -> tuple[Window, ...]:
    indexed = {(spec.label, spec.prop) for spec in INDEXES}
    out = []
    for kind in NODE_KINDS.values():
        prop, desc = kind.default_sort
        types = {p.name: p.type for p in kind.props}
        if desc and (kind.label, prop) in indexed and types.get(prop) in (PropType.DATETIME, PropType.INT):
            out.append(Window(kind.label, prop, prop, True))
        if not desc and prop == "name" and kind.label in NAME_KEYED and (kind.label, NAME_KEY) in indexed:
            out.append(Window(kind.label, prop, NAME_KEY, False))
    if ("Party", NAME_KEY) in indexed:  # ``parties``: people and companies, by name
        out.append(Window("Party", "name", NAME_KEY, False))
    return tuple(out)


WINDOWS = _windows()
WINDOWED = tuple((w.label, w.sort) for w in WINDOWS)


def window_for(label: str, sort: str, descending: bool) -> Window | None:
    return next((w for w in WINDOWS if (w.label, w.sort, w.descending) == (label, sort, descending)), None)


def _known(window: Window) -> None:
    """Labels and properties come from the model only: one of its windows."""
    if window not in WINDOWS:
        raise ValueError(f"no window for {window}")


def cost_note(label: str) -> str:
    """What a root list's description says about the cost of its orders."""
    windows = [w for w in WINDOWS if w.label == label]
    if not windows:
        return " Every page sorts the rows the filter lets through."
    orders = " or ".join(f"by {w.sort} {'newest first' if w.descending else 'A to Z'}" for w in windows)
    return (f" Ordered {orders} (the default), the first pages read an index; other orders, deep pages "
            "and filters few rows pass sort every row the filter lets through.")


def horizon_statement(window: Window) -> str:
    """The key of the ``$skip``-th row in the window's order (no row: the list is smaller)."""
    _known(window)
    return "\n".join([
        f"MATCH (n:{window.label})",
        f"WHERE n.{window.key} IS NOT NULL",
        f"WITH n.{window.key} AS k",
        f"ORDER BY k {'DESC' if window.descending else 'ASC'}",
        "SKIP $skip",
        "LIMIT 1",
        "RETURN k",
    ])


def window_size_statement(window: Window) -> str:
    """How many rows a window at ``$horizon`` holds, counted from the index."""
    _known(window)
    return "\n".join([
        f"MATCH (n:{window.label})",
        f"WHERE n.{window.key} {window.near} $horizon",
        "RETURN count(n) AS rows",
    ])


@dataclass
class Horizons:
    """This process's horizons; ``version`` moves when they change, so a compiled
    statement cached under the old ones is compiled again."""

    values: dict[Window, int] = field(default_factory=dict)
    names_keyed: bool = False  # every named node had its key at the last refresh
    version: int = 0

    def get(self, window: Window) -> int | None:
        return self.values.get(window)

    def update(self, found: dict[Window, int], names_keyed: bool | None = None) -> None:
        keyed = self.names_keyed if names_keyed is None else names_keyed
        if found != self.values or keyed != self.names_keyed:
            self.values = found
            self.names_keyed = keyed
            self.version += 1

    async def refresh(self, store: Store, rows_in_window: int = WINDOW_ROWS,
                      max_rows: int = MAX_WINDOW_ROWS) -> None:
        try:
            await backfill_name_keys(store)
            keyed = True
        except Exception as exc:  # a name without its key would be outside the window: no name windows
            log.warning("name keys not checked, lists by name sort every row: %s", exc)
            keyed = False
        found: dict[Window, int] = {}
        for window in WINDOWS:
            if window.key == NAME_KEY and not keyed:
                continue
            rows: list[dict[str, Any]] = await store.read(horizon_statement(window), {"skip": rows_in_window})
            if not rows or not isinstance(rows[0]["k"], int):
                continue
            size = await store.read(window_size_statement(window), {"horizon": rows[0]["k"]})
            if size and size[0]["rows"] <= max_rows:
                found[window] = rows[0]["k"]
        self.update(found, keyed)

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
