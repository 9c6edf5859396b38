"""A first import into an empty embedded store, through ``GRAPH.BULK``.

The file is read in the same two passes, validated and converted by the same code as
an upsert import (``graph.io.importer``: ``parse``, the money conversion with the rate
table and the file's own rate lines), and a refused line is reported with its number
and the same reason. What the batch statements would work out against the store is
worked out here over the rows read, as those statements leave it:

* a node id given again for the same kind: its properties merged, the later line's
  winning (``SET n += props``); for another kind: the later line is refused ("the id
  is already used by a node of another kind"). The first line in the file wins, where
  the upsert path keeps the kind whose batch happened to be written first;
* a relationship given again (same type and ends): the later line's properties
  (``SET r = props``); one whose end is no node of the kinds its type allows: refused;
* a rate line: checked as ``set_rate`` checks it (an order read before it and converted
  with another rate would fall under it: ``RATE_IN_USE``).

Then the nodes and relationships go to the store in ``GRAPH.BULK`` commands, the unique
constraint and indexes are built over them (``graph.bulk.new_graph``), the rates are
written, the referral cohort counters counted, and the aliases (with their own
statement and its refusals) and one audit event written. The rows are held in memory until then (a few hundred bytes each), so the
upsert path stays the one for a graph with data or a file too big for memory.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from graph.analytics import cohorts
from graph.audit import AUDIT_EVENT, current, event_params
from graph.bulk.load import Batch
from graph.io.rows import AliasRow, NodeRow, RelRow, RowError, parse
from graph.model import ALIAS, NODE_KINDS, ONE_ONLY, REL_KINDS
from graph.money import MoneyInputError, base_currency, check_currency, parse_rate
from graph.money_rates import RATE, day_ms

if TYPE_CHECKING:
    from graph.falkordb_store import FalkorDBStore
    from graph.io.importer import Importer, ImportReport, Source

RATES = (f"UNWIND $rows AS row MERGE (r:{RATE} {{currency: row.currency, validFrom: row.validFrom}}) "
         "SET r.rate = row.rate, r.setAt = row.setAt")
CLASH = "the id is already used by a node of another kind"
BATCH = 50_000


def _missing(type_: str) -> str:
    rel = REL_KINDS[type_]
    return f"no {' or '.join(rel.start)} with the `from` id, or no {' or '.join(rel.end)} with the `to` id"


class BulkImport:
    """Runs ``importer``'s import of ``source`` through GRAPH.BULK (the graph is empty)."""

    def __init__(self, importer: Importer, store: FalkorDBStore) -> None:
        self.importer = importer
        self.store = store
        self.report: ImportReport = importer.report
        self.nodes: dict[str, NodeRow] = {}  # id -> the row as merged so far
        self.rels: dict[tuple[str, str, str], RelRow] = {}
        self.one_only: dict[tuple[str, str], str] = {}  # (type, the end that has one) -> its other end
        self.aliases: list[AliasRow] = []
        self.rates: list[dict[str, Any]] = []

    def _read(self, source: Source, phase: str) -> Iterator[tuple[int, Any]]:
        self.report.phase = phase
        for number, data in self.importer.records(source, phase):
            self.report.last_line = number
            if number % 50_000 == 0:
                self.importer.on_progress(self.report)
            yield number, data

    async def run(self, source: Source) -> ImportReport:
        from graph.bulk.new_graph import load_new_graph

        money = self.importer.money
        money.rates = {}  # an empty store: the file's own rate lines only
        for number, data in self._read(source, "nodes"):
            try:
                if isinstance(data, dict) and "exchangeRate" in data:
                    self._rate(number, data)
                    continue
                row = money.convert(parse(number, data))
            except RowError as error:
                self.importer.reject(error)
                continue
            assert isinstance(row, NodeRow)
            self._node(row)
        self.importer.on_progress(self.report)
        for number, data in self._read(source, "relationships"):
            try:
                row = money.convert(parse(number, data))
            except RowError as error:
                self.importer.reject(error)
                continue
            if isinstance(row, AliasRow):
                self.aliases.append(row)
            elif isinstance(row, RelRow):
                self._rel(row)
        await load_new_graph(self.store, self._batches())
        if self.rates:
            await self.store.write(RATES, {"rows": self.rates})
        # GRAPH.BULK moves no referral cohort counter (the batch statements do): count them.
        await cohorts.build(self.store, cohorts.LONG_BUILD)
        # Aliases after the graph, by the upsert path's own statement (and its refusals).
        for at in range(0, len(self.aliases), self.importer.batch):
            await self.importer.flush(ALIAS, self.aliases[at:at + self.importer.batch])  # type: ignore[arg-type]
        await self._audit()
        self.importer.on_progress(self.report)
        return self.report

    def _node(self, row: NodeRow) -> None:
        have = self.nodes.get(row.id)
        if have is None:
            self.nodes[row.id] = row
        elif have.label != row.label:
            self.importer.reject(RowError(row.line, CLASH))
            return
        else:
            self.nodes[row.id] = NodeRow(have.line, have.label, have.id, {**have.props, **row.props})
        self.report.written += 1

    def _rel(self, row: RelRow) -> None:
        rel = REL_KINDS[row.type]
        start, end = self.nodes.get(row.start), self.nodes.get(row.end)
        if start is None or end is None or start.label not in rel.start or end.label not in rel.end:
            self.importer.reject(RowError(row.line, _missing(row.type)))
            return
        one = ONE_ONLY.get(row.type)
        if one is not None:  # the upsert path's rule: the first line in the file keeps it
            mine, other = (row.start, row.end) if one.side == "start" else (row.end, row.start)
            if self.one_only.setdefault((row.type, mine), other) != other:
                self.importer.reject(RowError(row.line, one.problem()))
                return
        key = (row.type, row.start, row.end)
        self.rels.pop(key, None)  # the later line's properties, in its place in the file
        self.rels[key] = row
        self.report.written += 1

    def _rate(self, line: int, data: dict[str, Any]) -> None:
        """``set_rate``'s checks, over the orders read so far instead of the store's."""
        if set(data) != {"exchangeRate", "validFrom", "rate"}:
            raise RowError(line, 'exchange-rate lines are {"exchangeRate": "EUR", "validFrom": "2024-01-01", '
                                 '"rate": "1.0832"}')
        try:
            code = check_currency(data["exchangeRate"])
            if code == base_currency():
                raise MoneyInputError("BASE_CURRENCY", f"{code} is the base currency: its rate is always 1")
            value = parse_rate(data["rate"])
            start = day_ms(data["validFrom"])
            entries = self.importer.money.rates.setdefault(code, [])
            later = [s for s, _ in entries if s > start]
            until = min(later) if later else None
            used = sum(1 for n in self.nodes.values() if n.label == "Order" and n.props.get("currency") == code
                       and n.props.get("placedAt", -1) >= start and (until is None or n.props["placedAt"] < until)
                       and n.props.get("exchangeRate") not in (None, str(value)))
            if used:
                raise MoneyInputError("RATE_IN_USE", f"{used} {code} order(s) placed from that day on were already "
                                                     "converted with another rate; a booked conversion does not change")
        except (MoneyInputError, ValueError) as exc:
            raise RowError(line, f"{getattr(exc, 'code', 'INVALID_VALUE')}: {exc}") from None
        entries[:] = sorted({**dict(entries), start: Decimal(value)}.items())
        self.rates = [r for r in self.rates if (r["currency"], r["validFrom"]) != (code, start)]
        self.rates.append({"currency": code, "validFrom": start, "rate": str(value),
                           "setAt": int(time.time() * 1000)})
        self.report.written += 1

    def _batches(self) -> Iterator[Batch]:
        for label in NODE_KINDS:
            rows = [{"id": n.id, "props": n.props} for n in self.nodes.values() if n.label == label]
            for at in range(0, len(rows), BATCH):
                yield "node", label, rows[at:at + BATCH]
        for type_ in REL_KINDS:
            rows = [{"start": r.start, "end": r.end, "props": r.props} for r in self.rels.values() if r.type == type_]
            for at in range(0, len(rows), BATCH):
                yield "rel", type_, rows[at:at + BATCH]

    async def _audit(self) -> None:
        audit = current()
        if audit is None or not (self.nodes or self.rels):
            return
        ids = list(self.nodes)
        params = event_params(audit, ids)
        params["auditIdCount"] = len(ids) + len(self.rels)
        await self.store.write(AUDIT_EVENT, params)

