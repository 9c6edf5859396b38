"""Stream an import file into the store in batches, in two passes over the file (nodes
and aliases' targets first, then relationships), so memory stays flat whatever the file
size and lines may come in any order.

Every line is validated before it is written; a batch is one statement (all or nothing);
a line the store refuses (an endpoint that does not exist, an id used by another kind) is
reported with its number and reason, and the rest of the batch lands. Writes are upserts
by id, so running the same file again changes nothing and completes an interrupted run.
"""

from __future__ import annotations

import asyncio
import csv
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import orjson

from graph.analytics.cohorts import Moves
from graph.audit import Write
from graph.cypher.dialect import Dialect
from graph.io.rows import NodeRow, RelRow, Row, RowError, csv_record, parse
from graph.cypher.values import epoch_ms
from graph.model import ALIAS, ALIAS_OF, ENTITY, NODE_KINDS, ONE_ONLY, REL_KINDS, PropType
from graph.mutations.statements import one_only_taken
from graph.money import MoneyInputError, base_currency, check_currency, convert, to_minor
from graph.money_rates import lookup, rate_table, set_rate
from graph.store import Store

Format = Literal["jsonl", "csv"]
DONE = object()
"""Stands for a line the current pass need not read (its row was handled in pass one)."""
BATCH = 5000
IN_FLIGHT = 3


def node_batch_statement(dialect: Dialect, label: str) -> Write:
    labels = ":".join(NODE_KINDS[label].labels)
    return Write("\n".join([
        "UNWIND $rows AS row",
        f"OPTIONAL MATCH (e:{ENTITY} {{id: row.id}})",
        f"WITH row, e IS NOT NULL AND NOT e:{label} AS clash",
        "WITH collect(CASE WHEN clash THEN row.line END) AS clashes, collect(CASE WHEN NOT clash THEN row END) AS ok",
        *_write_each(dialect, "ok", "row", [f"MERGE (n:{labels} {{id: row.id}})", "SET n += row.props"]),
        "RETURN clashes, written",
    ]), "written > 0", Moves(orders=("rows.id",)) if label == "Order" else None)


def rel_batch_statement(dialect: Dialect, type_: str) -> Write:
    rel = REL_KINDS[type_]
    start = " OR ".join(f"a:{label}" for label in rel.start)
    end = " OR ".join(f"b:{label}" for label in rel.end)
    return Write("\n".join([
        "UNWIND $rows AS row",
        f"OPTIONAL MATCH (a:{ENTITY} {{id: row.start}})",
        f"OPTIONAL MATCH (b:{ENTITY} {{id: row.end}})",
        f"WITH row, a, b, a IS NOT NULL AND ({start}) AND b IS NOT NULL AND ({end}) AS fits",
        *one_only_taken(type_, ("row", "a", "b", "fits")),  # rows of one batch: told apart by their line
        "WITH collect(CASE WHEN NOT fits THEN row.line END) AS missing,",
        "     collect(CASE WHEN fits AND taken THEN row.line END) AS taken,",
        "     collect(CASE WHEN fits AND NOT taken THEN {a: a, b: b, props: row.props} END) AS ok",
        *_write_each(dialect, "ok", "item", ["WITH item.a AS a, item.b AS b, item.props AS props",
                                     f"MERGE (a)-[r:{rel.type}]->(b)", "SET r = props"]),
        "RETURN missing, taken, written",
    ]), "written > 0", REL_MOVES.get(type_))


def one_only_clashes(rows: list[RelRow]) -> list[RelRow]:
    """Rows of one batch that give the one-only end of their relationship a second other
    end (the first row in the file keeps it); the statement checks against the store."""
    one = ONE_ONLY.get(rows[0].type) if rows else None
    if one is None:
        return []
    first: dict[str, str] = {}
    clashes = []
    for row in rows:
        mine, other = (row.start, row.end) if one.side == "start" else (row.end, row.start)
        if first.setdefault(mine, other) != other:
            clashes.append(row)
    return clashes


# Which rows of a relationship batch may move the referral cohorts (graph.analytics.cohorts).
REL_MOVES = {"REFERRED": Moves(parties=("rows.start", "rows.end")), "PLACED": Moves(parties=("rows.start",))}


def _write_each(dialect: Dialect, items: str, var: str, body: list[str]) -> list[str]:
    """A CALL writing ``body`` once per element of ``items``; it always returns one row
    (``written``), so the lines refused before it are reported even when nothing is written."""
    return [
        *dialect.call_open((items,)),
        f"  UNWIND {items} AS {var}",
        *("  " + line for line in body),
        "  RETURN count(*) AS written",
        "}",
    ]


def alias_batch_statement(dialect: Dialect) -> Write:
    return Write("\n".join([
        "UNWIND $rows AS row",
        f"OPTIONAL MATCH (s:{ENTITY} {{id: row.of}})",
        f"OPTIONAL MATCH (e:{ENTITY} {{id: row.id}})",
        f"WITH row, s, s IS NOT NULL AND s:Party AND (e IS NULL OR e:{ALIAS}) AS fits",
        "WITH collect(CASE WHEN NOT fits THEN row.line END) AS missing,",
        "     collect(CASE WHEN fits THEN {s: s, id: row.id} END) AS ok",
        *_write_each(dialect, "ok", "item", [f"MERGE (a:{ENTITY}:{ALIAS} {{id: item.id}})", "WITH item, a",
                                             "WITH a, item.s AS s", f"MERGE (a)-[:{ALIAS_OF}]->(s)"]),
        "RETURN missing, written",
    ]), "written > 0")


@dataclass
class ImportReport:
    lines: int = 0
    written: int = 0
    rejected: int = 0
    last_line: int = 0  # the line read when the latest batch was written
    phase: str = "nodes"


@dataclass
class Source:
    """Lines of an import file as (line number, JSON object or RowError)."""

    path: Path
    format: Format = "jsonl"
    kind: str | None = None  # CSV: the node kind or relationship type of every record

    def records(self, phase: str = "nodes") -> Iterator[tuple[int, Any]]:
        """Lines as (number, JSON object or RowError). In the relationships pass a JSON line
        without a "rel" or "alias" key is not parsed again (a node line: done in pass one)."""
        if self.format == "jsonl":
            with self.path.open("rb") as handle:
                for number, raw in enumerate(handle, 1):
                    if not raw.strip():
                        continue
                    if phase == "relationships" and b'"rel"' not in raw and b'"alias"' not in raw:
                        yield number, DONE
                        continue
                    try:
                        yield number, orjson.loads(raw)
                    except orjson.JSONDecodeError as exc:
                        yield number, RowError(number, f"not valid JSON: {exc}")
        else:
            if self.kind is None or (self.kind not in NODE_KINDS and self.kind not in REL_KINDS):
                raise ValueError("a CSV import needs the kind of its rows (--kind Person, --kind SUPPLIES, ...)")
            if (phase == "nodes") != (self.kind in NODE_KINDS):
                return  # a CSV file holds one kind: its rows belong to one pass
            with self.path.open(newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                for record in reader:
                    number = reader.line_num
                    try:
                        row = csv_record(self.kind, record)
                        if self.kind in REL_KINDS:
                            row["from"], row["to"] = record.get("from"), record.get("to")
                        yield number, row
                    except ValueError as exc:
                        yield number, RowError(number, str(exc))

    def size(self) -> int:
        return self.path.stat().st_size


class MoneyRows:
    """Amounts of import rows into minor units of their currency; an order's base total
    from the exchange-rate table (read when the import starts, plus the file's own rate
    lines, which must come before the orders they convert)."""

    def __init__(self) -> None:
        self.rates: dict[str, list[tuple[int, Decimal]]] = {}
        self.order_currency: dict[str, str] = {}

    async def set_rate(self, store: Store, line: int, data: dict[str, Any]) -> None:
        if set(data) != {"exchangeRate", "validFrom", "rate"}:
            raise RowError(line, 'exchange-rate lines are {"exchangeRate": "EUR", "validFrom": "2024-01-01", '
                                 '"rate": "1.0832"}')
        try:
            rate = await set_rate(store, data["exchangeRate"], data["validFrom"], data["rate"],
                                  int(time.time() * 1000))
        except (MoneyInputError, ValueError) as exc:
            raise RowError(line, f"{getattr(exc, 'code', 'INVALID_VALUE')}: {exc}") from None
        entries = self.rates.setdefault(rate.currency, [])
        entries[:] = sorted({**dict(entries), epoch_ms(rate.valid_from): rate.rate}.items())

    def convert(self, row: Row) -> Row:
        try:
            if isinstance(row, NodeRow):
                return self._node(row)
            if isinstance(row, RelRow) and row.type == "CONTAINS":
                currency = check_currency(row.props.get("currency") or self.order_currency.get(row.start)
                                          or base_currency())
                props = {**row.props, "currency": currency}
                if props.get("unitPrice") is not None:
                    props["unitPrice"] = to_minor(props["unitPrice"], currency)
                return RelRow(row.line, row.type, row.start, row.end, props)
        except MoneyInputError as exc:
            raise RowError(row.line, f"{exc.code}: {exc}") from None
        return row

    def _node(self, row: NodeRow) -> NodeRow:
        money = [p.name for p in NODE_KINDS[row.label].props if p.type is PropType.MONEY and not p.computed]
        if not money:
            return row
        props = dict(row.props)
        currency = check_currency(props.get("currency") or base_currency())
        props["currency"] = currency
        for name in money:
            if props.get(name) is not None:
                props[name] = to_minor(props[name], currency)
        if row.label == "Order" and props.get("total") is not None:
            applied = lookup(self.rates, currency, int(props["placedAt"]))
            props["baseTotal"] = convert(props["total"], currency, applied.rate, base_currency())
            props["exchangeRate"] = str(applied.rate)
            self.order_currency[row.id] = currency
        return NodeRow(row.line, row.label, row.id, props)


def _phase_of(data: Any) -> str:
    if isinstance(data, dict) and ("rel" in data or "alias" in data):
        return "relationships"
    return "nodes"


class Importer:
    def __init__(self, store: Store, batch: int = BATCH,
                 on_rejected: Callable[[RowError], None] = lambda _e: None,
                 on_progress: Callable[[ImportReport], None] = lambda _r: None,
                 bulk: bool | None = False) -> None:
        self.store = store
        self.bulk = bulk  # None: GRAPH.BULK into an empty embedded store, else upserts
        self.batch = batch
        self.on_rejected = on_rejected
        self.on_progress = on_progress
        self.report = ImportReport()
        self.seen = 0  # records read, both passes together
        self._inflight: list[tuple[str, asyncio.Future[None]]] = []  # (batch key, its write)
        self.money = MoneyRows()

    def reject(self, error: RowError) -> None:
        self.report.rejected += 1
        self.on_rejected(error)

    async def run(self, source: Source) -> ImportReport:
        """``bulk=None``: a first import into an empty embedded store goes through
        GRAPH.BULK (``graph.io.bulk_import``: the same lines refused for the same reasons,
        the same graph); ``True`` insists on it; ``False`` (the default) upserts. Like
        ``seed``, the bulk path needs the store to itself (nothing else writing)."""
        if self.bulk is not False:
            from graph.bulk.new_graph import NotEmptyError, can_bulk_load, is_empty
            from graph.io.bulk_import import BulkImport

            if can_bulk_load(self.store) and await is_empty(self.store):
                return await BulkImport(self, self.store).run(source)  # type: ignore[arg-type]
            if self.bulk:
                raise NotEmptyError("bulk import needs an empty embedded store")
        try:
            return await self._run(source)
        except BaseException:
            # Interrupted or failed: settle the batches in flight (each is written whole or
            # not at all) before the store may be stopped under them.
            for _, task in self._inflight:
                task.cancel()
            await asyncio.gather(*(task for _, task in self._inflight), return_exceptions=True)
            self._inflight.clear()
            raise

    def records(self, source: Source, phase: str) -> Iterator[tuple[int, Any]]:
        """The lines of ``phase`` to handle, counted; a line that is no row at all is
        refused once, in the nodes pass. Both import paths read through this."""
        for number, data in source.records(phase):
            self.seen += 1
            if phase == "nodes":
                self.report.lines += 1
            if data is DONE:
                continue
            if isinstance(data, RowError):
                if phase == "nodes":
                    self.reject(data)
                continue
            if _phase_of(data) == phase:
                yield number, data

    async def _run(self, source: Source) -> ImportReport:
        self.money.rates = await rate_table(self.store)
        for phase in ("nodes", "relationships"):
            self.report.phase = phase
            pending: dict[str, list[Row]] = {}
            for number, data in self.records(source, phase):
                try:
                    if isinstance(data, dict) and "exchangeRate" in data:
                        # Every order before it written first: they were converted with the
                        # rates before it, and the rate's guard (RATE_IN_USE) must see them.
                        for key, bucket in pending.items():
                            if bucket:
                                await self._submit(key, bucket)
                                pending[key] = []
                        await self._drain()
                        await self.money.set_rate(self.store, number, data)
                        self.report.written += 1
                        continue
                    row = self.money.convert(parse(number, data))
                except RowError as error:
                    self.reject(error)
                    continue
                key = row.label if isinstance(row, NodeRow) else row.type if isinstance(row, RelRow) else ALIAS
                bucket = pending.setdefault(key, [])
                bucket.append(row)
                if len(bucket) >= self.batch:
                    await self._submit(key, bucket)
                    pending[key] = []
                    self.report.last_line = number
                    self.on_progress(self.report)
            for key, bucket in pending.items():
                if bucket:
                    await self._submit(key, bucket)
            await self._drain()  # every node is in before the relationships pass starts
            self.on_progress(self.report)
        return self.report

    async def _submit(self, key: str, rows: list[Row]) -> None:
        """Write batches while the next ones are parsed, at most ``IN_FLIGHT`` at a time
        (neither this process nor the store is busy all the time with one).

        Node batches of different kinds are written one kind after another, in the order
        they are submitted: an id given to two kinds goes to the kind whose batch is
        submitted first, the same on every run (concurrent batches raced for it)."""
        if key in NODE_KINDS:
            while any(other != key and other in NODE_KINDS for other, _ in self._inflight):
                await self._inflight.pop(0)[1]
        while len(self._inflight) >= IN_FLIGHT:
            await self._inflight.pop(0)[1]
        self._inflight.append((key, asyncio.ensure_future(self.flush(key, rows))))
        await asyncio.sleep(0)  # let it send, then parse on while the store works

    async def _drain(self) -> None:
        while self._inflight:
            await self._inflight.pop(0)[1]

    async def flush(self, key: str, rows: list[Row]) -> None:
        if key in NODE_KINDS:
            query = node_batch_statement(self.store.dialect, key)
            payload = [{"line": r.line, "id": r.id, "props": r.props} for r in rows]  # type: ignore[union-attr]
            problem = "the id is already used by a node of another kind"
            refused_key = "clashes"
        elif key == ALIAS:
            query = alias_batch_statement(self.store.dialect)
            payload = [{"line": r.line, "id": r.id, "of": r.of} for r in rows]  # type: ignore[union-attr]
            problem = "`of` is not a party, or the alias id is used by a node"
            refused_key = "missing"
        else:
            query = rel_batch_statement(self.store.dialect, key)
            rel = REL_KINDS[key]
            clashes = one_only_clashes(rows)  # type: ignore[arg-type]
            for row in clashes:
                self.reject(RowError(row.line, ONE_ONLY[key].problem()))
            clash_lines = {r.line for r in clashes}
            rows = [r for r in rows if r.line not in clash_lines]
            payload = [{"line": r.line, "start": r.start, "end": r.end, "props": r.props} for r in rows]  # type: ignore[union-attr]
            problem = (f"no {' or '.join(rel.start)} with the `from` id, or no {' or '.join(rel.end)} "
                       "with the `to` id")
            refused_key = "missing"
        try:
            result = await self.store.write(query, {"rows": payload})
        except Exception:
            if len(rows) == 1:
                raise
            # One row broke the whole statement (say, an id given twice to two kinds in
            # one batch): write row by row to isolate it, the rest still lands.
            for row in rows:
                try:
                    await self.flush(key, [row])
                except Exception as exc:  # noqa: BLE001 - reported with its line, import goes on
                    if "unique" not in str(exc).lower() and "constraint" not in str(exc).lower():
                        raise
                    self.reject(RowError(row.line, "the id is already used by a node of another kind"))
            return
        refused = set(result[0][refused_key]) if result else set()
        taken = set(result[0].get("taken") or ()) if result else set()
        for row in rows:
            if row.line in refused:
                self.reject(RowError(row.line, problem))
            elif row.line in taken:
                self.reject(RowError(row.line, ONE_ONLY[key].problem()))
        refused |= taken
        self.report.written += len(rows) - len(refused)


