"""Referral cohort counters moved by each write, in the write's own statement.

A cohort month's figures (``referralStats``) are sums over referrals and over
(referrer, month) pairs, so they can be kept exact at every moment:

- per referral ``(a)-[r:REFERRED]->(b)`` with an ``at``: one invite in the month of
  ``r.at``; one conversion if its status is converted or rewarded; and then, if ``b``
  has a counted order at or after ``r.at``, the milliseconds from ``r.at`` to the first
  such order (``msSum``, ``msCount``: the mean days to convert is their quotient);
- per referrer and month it sent an invitation in: one referrer.

A write that may change these (``Moves``: the parties whose referrals or orders it
touches) is sent wrapped: before its body, the statement adds up the terms of every
referral incident to those parties and of their (referrer, month) pairs and keeps them
in a ``(:CohortWork)`` node; after its body, it adds them up again over the same
parties and moves each ``(:CohortCount {month})`` by the difference, then deletes the
work node. Whatever the body did (or refused to do), the counters then equal a
from-scratch count: each term that could change was taken out as it was and put back
as it is, in one statement, so in one transaction. The added cost is the referrals of
the touched parties (and, for a delete or merge, of their referrers) and the orders of
the referred parties among them, whatever the size of the graph.

Counters are trusted only once built from scratch (``build``, which writes the
``(:CohortCountsBuilt)`` marker): a store from before this, or one loaded outside the
wrapped writes (``GRAPH.BULK``, the seed loaders, which rebuild at the end), is counted
from scratch by the refresher first; until then reads use the snapshot as before.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graph.analytics.state import SnapshotInfo, utcnow
from graph.analytics.stats import Cohort, month_starts
from graph.cypher.dialect import Dialect
from graph.cypher.values import epoch_ms
from graph.model import ALIAS_OF, ENTITY, UNCOUNTED

COUNT_LABEL = "CohortCount"
WORK_LABEL = "CohortWork"
BUILT_LABEL = "CohortCountsBuilt"
BUILT_NAME = "referrals"
CONVERTED = ("converted", "rewarded")  # graph.traversals.referrals.CONVERTED (not imported: a cycle)
FIGURES = ("invites", "converted", "referrers", "msSum", "msCount")
_TERMS = ("inv", "conv", "refs", "ms", "n")  # the same, as a delta map's keys


@dataclass(frozen=True)
class Moves:
    """Which parties a write may change the referral cohorts of, named by its parameters:
    ``"referrer"`` is the parameter's id, ``"rows.start"`` every row's ``start``."""

    parties: tuple[str, ...] = ()  # party ids (a merged party's alias is followed)
    orders: tuple[str, ...] = ()  # order ids: the parties that placed them
    orders_of: tuple[str, ...] = ()  # ids of nodes whose orders the write may delete: those orders' placers
    wide: bool = False  # referrals into the parties may be deleted or moved: count their referrers too


_suspended: ContextVar[bool] = ContextVar("crmgraph_cohorts_suspended", default=False)


@contextmanager
def suspended() -> Iterator[None]:
    """Writes in the block do not move the counters (a bulk load that rebuilds them after)."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


def active() -> bool:
    return not _suspended.get()


def month_lines(expr: str, carry: tuple[str, ...]) -> list[str]:
    """WITH clauses binding ``mDays``...``mDoy`` from ``expr`` (epoch ms), carrying ``carry``;
    ``MONTH`` then is the first instant (epoch ms, UTC) of its month. Integer calendar
    arithmetic both stores evaluate alike (civil-from-days, H. Hinnant), one step a clause:
    FalkorDB evaluates nested list comprehensions, the one-expression form, ~100x slower."""
    steps = [("mDays", f"floor(toFloat({expr}) / 86400000.0)"), ("mZ", "mDays + 719468"),
             ("mEra", "floor(mZ / 146097.0)"), ("mDoe", "mZ - mEra * 146097"),
             ("mYoe", "floor((mDoe - floor(mDoe / 1460.0) + floor(mDoe / 36524.0) - floor(mDoe / 146096.0)) / 365.0)"),
             ("mDoy", "mDoe - (365 * mYoe + floor(mYoe / 4.0) - floor(mYoe / 100.0))")]
    lines, kept = [], list(carry)
    for name, step in steps:
        lines.append(f"WITH {', '.join(kept)}, {step} AS {name}")
        kept.append(name)
    return lines


MONTH = "toInteger((mDays - mDoy + floor((153 * floor((5 * mDoy + 2) / 153.0) + 2) / 5.0)) * 86400000)"


def _indent(lines: list[str]) -> list[str]:
    return ["  " + line for line in lines]


def terms_lines(dialect: Dialect, referrals: list[str], referrers: list[str], imports: tuple[str, ...]) -> list[str]:
    """Two CALLs adding up the cohort terms: ``referrals`` lines bind each referral once as
    ``r`` with its referred party ``cb``; ``referrers`` lines bind ``cq, r`` for each
    referral a counted referrer sent.
    Leaves ``cohortD``: a list of per-month delta maps (keys m and ``_TERMS``)."""
    return [
        *dialect.call_open(imports),
        *_indent(referrals),
        "  WITH r, cb",
        "  WHERE r.at IS NOT NULL",
        "  OPTIONAL MATCH (cb)-[:PLACED]->(cbo:Order)",
        "  WHERE cbo.placedAt >= r.at AND NOT cbo.status IN $cohortUncounted",
        "  WITH r, min(cbo.placedAt) AS first",
        *_indent(month_lines("r.at", ("r", "first"))),
        f"  WITH {MONTH} AS m, r.status IN $cohortConverted AS conv,",
        "       CASE WHEN r.status IN $cohortConverted AND first IS NOT NULL THEN first - r.at END AS ms",
        "  WITH m, count(*) AS inv, sum(CASE WHEN conv THEN 1 ELSE 0 END) AS conv, sum(ms) AS ms, count(ms) AS n",
        "  RETURN collect({m: m, inv: inv, conv: conv, refs: 0, ms: ms, n: n}) AS cohortRel",
        "}",
        *dialect.call_open(imports),
        *_indent(referrers),
        "  WITH cq, r",
        "  WHERE r.at IS NOT NULL",
        *_indent(month_lines("r.at", ("cq",))),
        f"  WITH DISTINCT cq, {MONTH} AS m",
        "  WITH m, count(*) AS refs",
        "  RETURN collect({m: m, inv: 0, conv: 0, refs: refs, ms: 0, n: 0}) AS cohortRef",
        "}",
        f"WITH {''.join(i + ', ' for i in imports)}cohortRel + cohortRef AS cohortD",
    ]


def apply_lines(dialect: Dialect, deltas: str, create: bool = False) -> list[str]:
    """A CALL moving the counters by ``deltas`` (per-month maps), added up per month."""
    sets = ", ".join(f"c.{f} = coalesce(c.{f}, 0) + {t}" for f, t in zip(FIGURES, _TERMS, strict=True))
    return [
        *dialect.call_open((deltas,)),
        f"  UNWIND {deltas} AS d",
        "  WITH d.m AS m, " + ", ".join(f"sum(d.{t}) AS {t}" for t in _TERMS),
        "  WHERE " + " OR ".join(f"{t} <> 0" for t in _TERMS),
        f"  {'CREATE' if create else 'MERGE'} (c:{COUNT_LABEL} {{month: m}})",
        f"  SET {sets}",
        "  RETURN count(c) AS cohortMoved",
        "}",
    ]


def _touched_referrals(var: str) -> list[str]:
    return [f"UNWIND {var} AS cp", "MATCH (cp)-[r:REFERRED]-(:Party)", "WITH DISTINCT r", "WITH r, endNode(r) AS cb"]


def _touched_referrers(var: str) -> list[str]:
    return [f"UNWIND {var} AS cq", "MATCH (cq)-[r:REFERRED]->(:Party)"]


def _parties_lines(dialect: Dialect, moves: Moves) -> list[str]:
    """Bind ``cohortP`` (the touched parties) and ``cohortQ`` (those whose sent referrals count)."""
    parts = []
    lines: list[str] = []
    if moves.parties:
        lines += [*dialect.call_open(()), "  UNWIND $cohortParties AS cid", f"  MATCH (cx:{ENTITY} {{id: cid}})",
                  f"  OPTIONAL MATCH (cx)-[:{ALIAS_OF}]->(ct)", "  WITH coalesce(ct, cx) AS cp", "  WHERE cp:Party",
                  "  RETURN collect(DISTINCT cp) AS cohortP1", "}"]
        parts.append("cohortP1")
    if moves.orders:
        lines += [*dialect.call_open(()), "  UNWIND $cohortOrders AS cid",
                  f"  MATCH (:{ENTITY} {{id: cid}})<-[:PLACED]-(cp:Party)",
                  "  RETURN collect(DISTINCT cp) AS cohortP2", "}"]
        parts.append("cohortP2")
    if moves.orders_of:
        lines += [*dialect.call_open(()), "  UNWIND $cohortOrdersOf AS cid",
                  f"  MATCH (:{ENTITY} {{id: cid}})-[:PLACED|SOLD_BY|CONTAINS]-(:Order)<-[:PLACED]-(cp:Party)",
                  "  RETURN collect(DISTINCT cp) AS cohortP3", "}"]
        parts.append("cohortP3")
    lines.append(f"WITH {' + '.join(parts) or '[]'} AS cohortP")
    if moves.wide:
        lines += [*dialect.call_open(("cohortP",)), "  UNWIND cohortP AS cp", "  MATCH (cq:Party)-[:REFERRED]->(cp)",
                  "  RETURN collect(DISTINCT cq) AS cohortR", "}", "WITH cohortP, cohortP + cohortR AS cohortQ"]
    else:
        lines.append("WITH cohortP, cohortP AS cohortQ")
    return lines


def _columns(projection: str) -> list[str]:
    from graph.audit import _columns as columns

    return columns(projection)


def wrap(text: str, moves: Moves, dialect: Dialect) -> str:
    """``text`` (ending with a RETURN) with the counters moved as its writes move the terms."""
    cut = text.rfind("\nRETURN ")
    if cut < 0:
        raise ValueError("a write that moves the cohort counters must end with a RETURN")
    projection = text[cut + len("\nRETURN "):]
    columns = _columns(projection)
    keep = ", ".join(f"{c}: {c}" for c in columns)
    work = ", ".join(f"{t}: [d IN cohortD | d.{t}]" for t in ("m", *_TERMS))
    before = "[i IN range(0, size(w.m) - 1) | {m: w.m[i], " + \
        ", ".join(f"{t}: -w.{t}[i]" for t in _TERMS) + "}]"
    return "\n".join([
        # the terms as they are before the body
        *_parties_lines(dialect, moves),
        *terms_lines(dialect, _touched_referrals("cohortP"), _touched_referrers("cohortQ"), ("cohortP", "cohortQ")),
        f"CREATE (w:{WORK_LABEL} {{token: $cohortToken, p: [x IN cohortP | x.id], q: [x IN cohortQ | x.id], {work}}})",
        "WITH count(w) AS cohortOpened",
        text[:cut],
        f"WITH {projection}",
        # one row whatever the body returned, so the counters move exactly once
        f"WITH collect({{{keep}}}) AS cohortRows",
        *dialect.call_open(("cohortRows",)),
        f"  MATCH (w:{WORK_LABEL} {{token: $cohortToken}})",
        *_indent([*dialect.call_open(("w",)), "  UNWIND w.p AS cid", f"  MATCH (cp:{ENTITY} {{id: cid}})",
                  "  WHERE cp:Party", "  RETURN collect(DISTINCT cp) AS cohortP", "}"]),
        *_indent([*dialect.call_open(("w",)), "  UNWIND w.q AS cid", f"  MATCH (cq:{ENTITY} {{id: cid}})",
                  "  WHERE cq:Party", "  RETURN collect(DISTINCT cq) AS cohortQ", "}"]),
        *_indent(terms_lines(dialect, _touched_referrals("cohortP"), _touched_referrers("cohortQ"),
                             ("w", "cohortP", "cohortQ"))),
        f"  WITH w, cohortD + {before} AS cohortD",
        *_indent(apply_lines(dialect, "cohortD")),
        "  DELETE w",
        "  RETURN count(*) AS cohortSettled",
        "}",
        "UNWIND cohortRows AS cohortRow",
        "RETURN " + ", ".join(f"cohortRow.{c} AS {c}" for c in columns),
    ])


def _ids(params: Mapping[str, Any], paths: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for path in paths:
        head, _, key = path.partition(".")
        value = params.get(head)
        if key:
            out += [row[key] for row in value or [] if isinstance(row, dict) and isinstance(row.get(key), str)]
        elif isinstance(value, str):
            out.append(value)
    return list(dict.fromkeys(out))


def wrap_params(moves: Moves, params: Mapping[str, Any]) -> dict[str, Any]:
    return {**params, "cohortToken": uuid.uuid4().hex, "cohortParties": _ids(params, moves.parties),
            "cohortOrders": _ids(params, moves.orders), "cohortOrdersOf": _ids(params, moves.orders_of),
            "cohortUncounted": list(UNCOUNTED), "cohortConverted": list(CONVERTED)}


# -- building from scratch, and reading -------------------------------------------------------

def build_statement(dialect: Dialect) -> str:
    """Every counter counted from scratch, with the same terms, in one statement."""
    return dialect.statement([
        f"OPTIONAL MATCH (old:{COUNT_LABEL})",
        "WITH collect(old) AS olds",
        "FOREACH (o IN olds | DELETE o)",
        "WITH count(*) AS cleared",
        *terms_lines(dialect, ["MATCH (:Party)-[r:REFERRED]->(cb:Party)"],
                     ["MATCH (cq:Party)-[r:REFERRED]->(:Party)"], ()),
        *apply_lines(dialect, "cohortD", create=True),
        f"MERGE (k:{BUILT_LABEL} {{name: $name}})",
        "SET k.builtAt = $now",
        "RETURN cohortMoved AS months",
    ])


LONG_BUILD = 600.0
"""Seconds a build may take when asked for by a load or an operator (1.7 s at 100k parties;
the longest any statement may run on the embedded store)."""


async def build(store: Any, timeout: float | None = None) -> int:
    """Count every counter from scratch: one write, so on FalkorDB other writes wait for it
    (1.7 s at 100k parties, 30k referrals). ``timeout``: seconds allowed instead of the
    store's write limit. Returns the months counted."""
    limit = store.write_timeout
    if timeout is not None:
        store.write_timeout = max(limit, timeout)
    try:
        rows = await store.write(build_statement(store.dialect), {
            "name": BUILT_NAME, "now": epoch_ms(utcnow()), "cohortUncounted": list(UNCOUNTED),
            "cohortConverted": list(CONVERTED)})
    finally:
        store.write_timeout = limit
    return int(rows[0]["months"]) if rows else 0


async def invalidate(store: Any) -> None:
    """Stop trusting the counters (before a load that bypasses them; ``build`` trusts them again)."""
    await store.write(store.dialect.statement([f"MATCH (k:{BUILT_LABEL}) DELETE k"]), {})


async def is_built(store: Any) -> bool:
    return bool(await store.read(store.dialect.statement([
        f"MATCH (k:{BUILT_LABEL} {{name: $name}}) RETURN k.builtAt AS builtAt"]), {"name": BUILT_NAME}))


def read_statement(dialect: Dialect) -> str:
    figures = ", ".join(f"{f}: c.{f}" for f in FIGURES)
    return dialect.statement([
        f"OPTIONAL MATCH (k:{BUILT_LABEL} {{name: $name}})",
        f"OPTIONAL MATCH (c:{COUNT_LABEL})",
        "WHERE k IS NOT NULL AND c.month >= $from AND c.month < $to",
        f"RETURN k.builtAt AS builtAt, collect({{month: c.month, {figures}}}) AS counts",
    ])


async def read(store: Any, start: datetime, end: datetime) -> list[Cohort] | None:
    """The cohorts of the whole months ``[start, end)`` from the counters, exact as of this
    read; None while the counters are not built."""
    rows = await store.read(read_statement(store.dialect), {"name": BUILT_NAME, "from": epoch_ms(start),
                                                             "to": epoch_ms(end)})
    if not rows or rows[0]["builtAt"] is None:
        return None
    now = utcnow()
    info = SnapshotInfo(now, now, live=True)
    found = {int(c["month"]): c for c in rows[0]["counts"] if c.get("month") is not None}
    out = []
    for month in month_starts(start, end):
        c = found.get(epoch_ms(month))
        if c is None or not c["invites"]:
            out.append(Cohort(month, 0, 0, 0, None, info))
            continue
        n = int(c["msCount"] or 0)
        days = float(c["msSum"]) / n / 86_400_000 if n else None
        out.append(Cohort(month, int(c["referrers"]), int(c["invites"]), int(c["converted"]), days, info))
    return out
