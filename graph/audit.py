"""The audit trail: who wrote what, recorded by the write statement itself.

Every write statement the mutations and the importer send is a ``Write``: its text and
the Cypher condition under which it wrote something (``ok``). While an ``Audit`` is in
force (``auditing``), ``Store.write`` appends to the statement a clause that creates an
``(:AuditEvent)`` when ``ok`` holds — in the same statement, so in the same transaction:
a write whose audit record did not land did not land either. Audit events carry no
``Entity`` label, so no API query, export or traversal ever reaches them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from graph.cypher.cursor import decode_values, encode_values
from graph.cypher.errors import PageSizeError
from graph.cypher.plan import SortKey
from graph.ids import valid_id

AUDIT_LABEL = "AuditEvent"
MAX_IDS = 1000
"""Ids kept per event (a bulk import batch names many); ``idCount`` has the full number."""


class Write(str):
    """A write statement that knows when it wrote something, and which parties' referral
    cohorts it may move (``graph.analytics.cohorts.Moves``; None: none)."""

    ok: str
    moves: Any

    def __new__(cls, text: str, ok: str, moves: Any = None) -> Write:
        self = super().__new__(cls, text)
        self.ok = ok
        self.moves = moves
        return self


@dataclass(frozen=True)
class Audit:
    actor: str  # "key:<id>", "sub:<jwt subject>", "cli:<user>", "anonymous": never a secret
    operation: str  # the mutation's field name, "import", "keys.create", ...


_current: ContextVar[Audit | None] = ContextVar("crmgraph_audit", default=None)


@contextmanager
def auditing(audit: Audit) -> Iterator[None]:
    """Record every write made inside the block as done by ``audit.actor``."""
    token = _current.set(audit)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> Audit | None:
    return _current.get()


def touched_ids(params: Mapping[str, Any]) -> list[str]:
    """The ids a write names: top-level id parameters, order lines' products, import rows."""
    out: list[str] = []
    for key, value in params.items():
        if key.startswith("audit"):
            continue
        if isinstance(value, str) and valid_id(value) and key not in ("channel", "status"):
            out.append(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    out += [v for k, v in item.items() if k in ("id", "productId", "start", "end")
                            and valid_id(v)]
    return list(dict.fromkeys(out))


AUDIT_EVENT = f"""\
CREATE (ev:{AUDIT_LABEL} {{event: $auditEvent, at: $auditAt, actor: $auditActor,
                          operation: $auditOperation, ids: $auditIds, idCount: $auditIdCount}})
RETURN count(ev) AS audited"""
"""An event on its own, for writes outside the graph (API keys kept beside it)."""


def event_params(audit: Audit, ids: list[str]) -> dict[str, Any]:
    return {"auditEvent": uuid.uuid4().hex, "auditAt": int(time.time() * 1000), "auditActor": audit.actor,
            "auditOperation": audit.operation, "auditIds": ids[:MAX_IDS], "auditIdCount": len(ids)}


def _columns(projection: str) -> list[str]:
    """The column names of a RETURN's projection list."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(projection):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(projection[start:i])
            start = i + 1
    items.append(projection[start:])
    names = []
    for item in items:
        item = item.strip()
        head, sep, alias = item.rpartition(" AS ")
        names.append(alias.strip() if sep else item)
    return names


def with_audit(statement: Write, audit: Audit, params: Mapping[str, Any],
               call_open: Any) -> tuple[str, dict[str, Any]]:
    """``statement`` with an audit event created where its ``ok`` holds."""
    text = str(statement)
    cut = text.rfind("\nRETURN ")
    if cut < 0:
        raise ValueError("an audited write must end with a RETURN")
    projection = text[cut + len("\nRETURN "):]
    columns = _columns(projection)
    ids = touched_ids(params)
    lines = [
        text[:cut],
        f"WITH {projection}",
        *call_open(tuple(columns)),
        f"  WITH {', '.join(columns)}",
        f"  WHERE {statement.ok}",
        f"  CREATE (ev:{AUDIT_LABEL} {{event: $auditEvent, at: $auditAt, actor: $auditActor,",
        "                          operation: $auditOperation, ids: $auditIds, idCount: $auditIdCount})",
        "  RETURN count(ev) AS audited",
        "}",
        f"RETURN {', '.join(columns)}",
    ]
    return "\n".join(lines), {**params, **event_params(audit, ids)}


# -- reading it back --------------------------------------------------------------------------

_ORDER = [SortKey("at", descending=True)]
MAX_PAGE = 500

AUDIT_PAGE = f"""\
MATCH (ev:{AUDIT_LABEL})
WHERE ($since IS NULL OR ev.at >= $since)
  AND ($actor IS NULL OR ev.actor = $actor)
  AND ($touched IS NULL OR $touched IN ev.ids)
  AND ($afterAt IS NULL OR ev.at < $afterAt OR (ev.at = $afterAt AND ev.event < $afterEvent))
WITH ev
ORDER BY ev.at DESC, ev.event DESC
LIMIT $cut
RETURN ev {{.event, .at, .actor, .operation, .ids, .idCount}} AS ev"""


@dataclass(frozen=True)
class AuditEvent:
    event: str
    at: int  # epoch ms
    actor: str
    operation: str
    ids: list[str]
    id_count: int
    cursor: str


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    has_next_page: bool


async def read_audit(store: Any, *, first: int = 50, after: str | None = None, since_ms: int | None = None,
                     actor: str | None = None, touched: str | None = None, argument: str = "auditLog") -> AuditPage:
    """Newest first, keyset-paged by (at, event)."""
    if not 1 <= first <= MAX_PAGE:
        raise PageSizeError(f"{argument}.first", f"must be between 1 and {MAX_PAGE}")
    after_at, after_event = decode_values(after, _ORDER, f"{argument}.after") if after else (None, None)
    rows = await store.read(AUDIT_PAGE, {"since": since_ms, "actor": actor, "touched": touched,
                                         "afterAt": after_at, "afterEvent": after_event, "cut": first + 1})
    events = [AuditEvent(r["ev"]["event"], r["ev"]["at"], r["ev"]["actor"], r["ev"]["operation"],
                         list(r["ev"].get("ids") or []), r["ev"].get("idCount") or 0,
                         encode_values(_ORDER, [r["ev"]["at"], r["ev"]["event"]]))
              for r in rows[:first]]
    return AuditPage(events, len(rows) > first)
