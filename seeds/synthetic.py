"""A deterministic synthetic CRM graph: upserted in ``UNWIND $rows`` batches, or built
into an empty embedded store with ``GRAPH.BULK`` at the store's own speed.

Same spec, same graph: the graph is made of parts (a stream over a shard of
``spec.shard`` entities, ``seeds.synthetic_streams``), each drawn from a generator
seeded by (seed, stream, shard) alone, so it does not depend on which process makes
which part or on how many there are. Shape:

* companies in supply tiers (raw materials -> parts -> assemblers -> makers -> retailers),
  each supplied by 1-3 companies of the tier above, plus a few back-edges that close
  supply cycles (the traversals must cope with them);
* products made by companies, with bills of materials pointing at the tier above;
* people buying at retailers, companies buying from the tier above, 1-3 lines an order;
* referral trees with a power-law shape (preferential attachment), mostly converted;
* interactions over every channel, and employment.

Memory stays bounded: parts are made, written and dropped a few at a time; only small
per-entity tables (tiers, product makers, the referral pool) are kept whole.
"""

from __future__ import annotations

import multiprocessing
import os
import random
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graph.bulk import columns
from graph.cypher.values import epoch_ms
from graph.money import base_currency, set_base_currency
from graph.money_rates import RATE
from graph.store import Store
from graph.writes import upsert_nodes_query, upsert_relationships_query
from seeds import synthetic_streams as streams
from seeds.synthetic_streams import CHANNELS, CITIES, STATUSES, TIERS, USD_PER_UNIT

__all__ = ["CHANNELS", "CITIES", "STATUSES", "TIERS", "Generator", "SyntheticSpec", "generate_into", "import_lines"]
START = epoch_ms(datetime(2023, 1, 1, tzinfo=UTC))
SPAN = epoch_ms(datetime(2026, 11, 1, tzinfo=UTC)) - START
RATES_UPSERT = f"UNWIND $rows AS row MERGE (r:{RATE} {{currency: row.currency, validFrom: row.validFrom}}) SET r.rate = row.rate"


@dataclass(frozen=True)
class SyntheticSpec:
    people: int = 10_000
    companies: int = 1_000
    products: int = 2_000
    orders: int = 30_000
    interactions: int | None = None  # default: one per person
    referral_share: float = 0.3  # share of people who were referred by someone
    cycles: int = 5  # supply back-edges that close cycles
    seed: int = 42
    batch: int = 5_000  # rows per upsert statement (the graph does not depend on it)
    shard: int = 25_000  # entities per part (the graph depends on it, as on the seed)
    currencies: tuple[str, ...] = ("USD",)  # orders' currencies; the first ~60 %, the rest evenly

    @property
    def interaction_count(self) -> int:
        return self.people if self.interactions is None else self.interactions


Batch = tuple[str, str, list[dict[str, Any]]]  # ("node" | "rel", label or type, rows)


def person_id(i: int) -> str:
    return f"syn:person:{i}"


def company_id(i: int) -> str:
    return f"syn:company:{i}"


def product_id(i: int) -> str:
    return f"syn:product:{i}"


class Generator:
    """The graph of one spec, as batches of upsert rows (``batches``) or as GRAPH.BULK
    tables (``bulk_parts``), both from the same column parts (``seeds.synthetic_streams``)."""

    def __init__(self, spec: SyntheticSpec) -> None:
        self.spec = spec
        # Currencies draw from their own generator, so a one-currency graph is the same graph
        # whichever currencies exist.
        self.money_rng = random.Random(spec.seed * 7919 + 1)
        self.base = base_currency()
        self.rate_table = self._rate_table()

    def _rate_table(self) -> dict[str, list[tuple[int, Any]]]:
        """A rate on the first day of every month, for every currency but the base one."""
        from decimal import Decimal

        table: dict[str, list[tuple[int, Any]]] = {}
        months = []
        year, month = 2023, 1
        while epoch_ms(datetime(year, month, 1, tzinfo=UTC)) <= START + SPAN:
            months.append(epoch_ms(datetime(year, month, 1, tzinfo=UTC)))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        for code in self.spec.currencies:
            if code == self.base:
                continue
            ref = USD_PER_UNIT.get(code, 1.0) / USD_PER_UNIT.get(self.base, 1.0)
            table[code] = [(m, Decimal(f"{ref * self.money_rng.uniform(0.95, 1.05):.6g}")) for m in months]
        return table

    def rates(self) -> Iterator[Batch]:
        rows = [{"currency": code, "validFrom": start, "rate": str(rate)}
                for code, entries in self.rate_table.items() for start, rate in entries]
        if rows:
            yield "rate", RATE, rows

    def job(self, task: tuple[str, int]) -> _Job:
        rates = tuple((code, tuple((m, str(r)) for m, r in entries)) for code, entries in self.rate_table.items())
        return self.spec, self.base, rates, task

    def parts(self) -> Iterator[streams.Part]:
        """Every part in order, made here."""
        for task in streams.tasks(self.spec):
            yield _make(self.job(task))

    def batches(self) -> Iterator[Batch]:
        """Nodes before the relationships that need them, in batches of ``spec.batch`` rows."""
        yield from self.rates()
        for part in self.parts():
            for table in part:
                rows = columns.rows(table)
                for at in range(0, len(rows), self.spec.batch):
                    yield table.kind, table.name, rows[at:at + self.spec.batch]

    def bulk_parts(self, workers: int = 0) -> Iterator[list[columns.Encoded]]:
        """Every part encoded for GRAPH.BULK, in order; made by ``workers`` processes
        (0: here). The parts are the same whoever makes them."""
        jobs = [self.job(task) for task in streams.tasks(self.spec)]
        if workers <= 0:
            yield from map(_encoded, jobs)
            return
        window = 2 * workers  # parts made ahead of the loader: memory stays bounded
        # Forked, not spawned: a spawned worker imports the caller's main module again
        # (a script without a __main__ guard would run twice). The workers only compute.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            pending: deque[Future[list[columns.Encoded]]] = deque()
            for job in jobs:
                pending.append(pool.submit(_encoded, job))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    def estimated_rows(self) -> int:
        s = self.spec
        return (s.companies + s.people + s.products + 2 * s.companies + s.products * 2 + s.orders * 5
                + int(s.people * s.referral_share) + 3 * s.interaction_count + s.people // 2)


_Job = tuple["SyntheticSpec", str, tuple[tuple[str, tuple[tuple[int, str], ...]], ...], tuple[str, int]]


def _make(job: _Job) -> streams.Part:
    spec, base, rates, (stream, shard) = job
    if base_currency() != base:  # a worker process starts with the default
        set_base_currency(base)
    return streams.part(spec, streams.world(spec, rates), stream, shard)


def _encoded(job: _Job) -> list[columns.Encoded]:
    at = streams.offsets(job[0])
    return [columns.encode_table(table, at) for table in _make(job)]


def default_workers(spec: SyntheticSpec) -> int:
    """Processes for a bulk build. Making the parts costs about 0.3 µs a row, loading
    them about 2.5 µs of the store's single thread: on two cores the parts are made
    here while the store loads (worker processes would only take the store's core;
    measured at 100k parties: 5.6 s here, 11.5 s with two workers, 5.2 s for the store
    alone). With more cores, the spare ones; none for a small graph either way."""
    if spec.people + spec.orders < 200_000:
        return 0
    return max(0, min(len(os.sched_getaffinity(0)) - 2, 4))


def send_parts(parts: Iterable[list[columns.Encoded]], client: Any, graph: str,
               progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """GRAPH.BULK commands of the parts, on ``client``; ``progress(rows)`` after each part."""
    from graph.bulk.send import EncodedSender

    sender = EncodedSender(client, graph)
    done = 0
    try:
        for part in parts:
            for table in part:
                sender.add(table)
                done += table.count
            if progress is not None:
                progress(done)
    except BaseException:
        sender.abandon()
        raise
    return sender.finish()


async def generate_into(store: Store, spec: SyntheticSpec,
                        progress: Callable[[int, int], None] | None = None,
                        bulk: bool | None = False, workers: int | None = None) -> dict[str, int]:
    """Write the synthetic graph; ``progress(rows_done, rows_estimated)`` after each batch.

    ``bulk=None``: into an empty embedded store through ``GRAPH.BULK`` (``graph.bulk``),
    at the store's own speed, with the constraints and indexes built afterwards, else as
    upserts; ``bulk=True`` insists on the bulk path; ``False`` (the default) upserts.
    The bulk path needs the store to itself: a write by anyone else while it runs (a
    service's analytics refresher writing its lock) would take a node id it counts on.
    ``crmgraph seed`` asks for it only when it started the store itself (it then holds
    the data folder's lock, so nothing else can reach the store). The bulk path makes
    its parts in ``workers`` processes (default: none for a small graph, else one per
    core, at most 4) while the store loads the ones made before.
    """
    from graph.analytics import cohorts
    from graph.bulk.new_graph import build_new_graph, can_bulk_load, is_empty

    gen = Generator(spec)
    total = gen.estimated_rows()
    if bulk is None:
        bulk = can_bulk_load(store) and await is_empty(store)
    if bulk:
        chosen = default_workers(spec) if workers is None else workers

        def load(client: Any) -> dict[str, int]:
            return send_parts(gen.bulk_parts(chosen), client, store.graph_name,  # type: ignore[attr-defined]
                              None if progress is None else (lambda done: progress(done, max(total, done))))

        counts = await build_new_graph(store, load)  # type: ignore[arg-type]
        rates = [row for _, _, rows in gen.rates() for row in rows]
        if rates:  # the exchange-rate table is not graph data: written once the graph is in
            await store.write(RATES_UPSERT, {"rows": rates})
        await cohorts.build(store, cohorts.LONG_BUILD)  # the referral cohort counters, counted once
        return counts
    # These upserts do not move the referral cohort counters: distrusted meanwhile, counted after.
    await cohorts.invalidate(store)
    counts = {"nodes": 0, "relationships": 0}
    done = 0
    for kind, name, rows in gen.batches():
        if not rows:
            continue
        if kind == "rate":
            await store.write(RATES_UPSERT, {"rows": rows})
        elif kind == "node":
            await store.write(upsert_nodes_query(name), {"rows": rows})
            counts["nodes"] += len(rows)
        else:
            await store.write(upsert_relationships_query(name), {"rows": rows})
            counts["relationships"] += len(rows)
        done += len(rows)
        if progress is not None:
            progress(done, max(total, done))
    await cohorts.build(store, cohorts.LONG_BUILD)
    return counts


def import_lines(spec: SyntheticSpec) -> Iterator[dict[str, Any]]:
    """The synthetic graph as `crmgraph import` lines (date-times as ISO-8601), streamed."""
    from graph.model import NODE_KINDS, REL_KINDS

    from graph.cypher.values import decode_props
    from graph.money import Money

    for kind, name, rows in Generator(spec).batches():
        if kind == "rate":
            for row in rows:
                day = datetime.fromtimestamp(row["validFrom"] / 1000, UTC).date().isoformat()
                yield {"exchangeRate": row["currency"], "validFrom": day, "rate": row["rate"]}
            continue
        props_of = NODE_KINDS[name].props if kind == "node" else REL_KINDS[name].props
        for row in rows:
            props = {}
            # Computed properties (an order's base total) are the importer's to work out.
            decoded = decode_props([p for p in props_of if p.name in row["props"]], row["props"])
            for key, value in decoded.items():
                if next(p for p in props_of if p.name == key).computed:
                    continue
                if isinstance(value, Money):
                    value = str(value.amount)
                props[key] = value.isoformat() if isinstance(value, datetime) else value
            if kind == "node":
                yield {"node": name, "id": row["id"], **props}
            else:
                yield {"rel": name, "from": row["start"], "to": row["end"], **props}
