"""A deterministic synthetic CRM graph, streamed into the store in ``UNWIND $rows`` batches.

Same spec and seed, same graph: every id and value comes from one seeded generator, in
a fixed order. Shape:

* companies in supply tiers (raw materials -> parts -> assemblers -> makers -> retailers),
  each supplied by 1-3 companies of the tier above, plus a few back-edges that close
  supply cycles (the traversals must cope with them);
* products made by companies, with bills of materials pointing at the tier above;
* people buying at retailers, companies buying from the tier above, 1-3 lines an order;
* referral trees with a power-law shape (preferential attachment), mostly converted;
* interactions over every channel, and employment.

Memory stays flat in the number of rows: rows are produced batch by batch and only
small per-entity tables (tiers, referral weights) are kept.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graph.cypher.values import epoch_ms
from graph.money import base_currency, convert, exponent, to_minor
from graph.money_rates import RATE, lookup
from graph.store import Store
from graph.writes import upsert_nodes_query, upsert_relationships_query

TIERS = ("raw materials", "components", "assemblies", "manufacturing", "retail")
CHANNELS = ("email", "phone", "chat", "sms", "social", "store", "web")
STATUSES = ("invited", "converted", "rewarded", "rejected")
CITIES = ("Chicago", "Detroit", "Pittsburgh", "Cleveland", "Austin", "Denver", "Seattle", "Boston")
START = epoch_ms(datetime(2023, 1, 1, tzinfo=UTC))
SPAN = epoch_ms(datetime(2026, 11, 1, tzinfo=UTC)) - START
USD_PER_UNIT = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0067, "CHF": 1.12, "CAD": 0.74, "AUD": 0.66,
                "KWD": 3.25, "SEK": 0.095, "INR": 0.012, "BRL": 0.2, "MXN": 0.055}
"""Rough reference rates the synthetic exchange-rate table wanders around (±5 % a month)."""
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
    batch: int = 5_000
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
    def __init__(self, spec: SyntheticSpec) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        n = max(spec.companies, 1)
        # Tier of company i: contiguous blocks, wider at the bottom (many retailers).
        weights = (1, 2, 3, 2, 4)
        bounds, acc = [], 0
        for w in weights:
            acc += w
            bounds.append(round(n * acc / sum(weights)))
        self.tier_start = [0] + bounds[:-1]
        self.tier_end = bounds
        self.product_maker = [self.rng.randrange(n) for _ in range(spec.products)] if spec.companies else []
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

    def currency(self) -> str:
        codes = self.spec.currencies
        if len(codes) == 1:
            return codes[0]
        return codes[0] if self.money_rng.random() < 0.6 else self.money_rng.choice(codes[1:])

    def local_minor(self, usd: float, currency: str) -> int:
        """A price drawn in dollars, as minor units of ``currency`` (rounded to its unit)."""
        if currency == "USD":
            return to_minor(round(usd, 2), "USD")
        local = usd / USD_PER_UNIT.get(currency, 1.0)
        return round(local * 10 ** exponent(currency))

    def rates(self) -> Iterator[Batch]:
        rows = [{"currency": code, "validFrom": start, "rate": str(rate)}
                for code, entries in self.rate_table.items() for start, rate in entries]
        if rows:
            yield "rate", RATE, rows

    def tier_of(self, company: int) -> int:
        return next(t for t, end in enumerate(self.tier_end) if company < end)

    def company_in(self, tier: int) -> int | None:
        lo, hi = self.tier_start[tier], self.tier_end[tier]
        return self.rng.randrange(lo, hi) if hi > lo else None

    def when(self) -> int:
        return START + self.rng.randrange(SPAN)

    # -- streams (each yields row dicts in the upsert format) -----------------------------

    def companies(self) -> Iterator[Batch]:
        yield from self._nodes("Company", self.spec.companies, lambda i: {
            "id": company_id(i), "props": {
                "name": f"Company {i}", "industry": TIERS[self.tier_of(i)],
                "city": self.rng.choice(CITIES), "country": "US",
                "employeeCount": int(self.rng.paretovariate(1.2) * 20), "createdAt": self.when()}})

    def people(self) -> Iterator[Batch]:
        yield from self._nodes("Person", self.spec.people, lambda i: {
            "id": person_id(i), "props": {
                "name": f"Person {i}", "firstName": "Person", "lastName": str(i),
                "age": self.rng.randint(18, 85), "city": self.rng.choice(CITIES), "country": "US",
                "createdAt": self.when()}})

    def products(self) -> Iterator[Batch]:
        def row(i: int) -> dict[str, Any]:
            price = round(self.rng.lognormvariate(4, 1.2), 2)
            cost = round(price * self.rng.uniform(0.4, 0.9), 2)
            return {"id": product_id(i), "props": {
                "sku": f"SKU-{i:07d}", "name": f"Product {i}", "category": TIERS[self.tier_of(self.product_maker[i])],
                "price": self.local_minor(price, self.base), "cost": self.local_minor(cost, self.base),
                "currency": self.base}}
        if self.spec.companies:
            yield from self._nodes("Product", self.spec.products, row)

    def _nodes(self, label: str, count: int, make: Callable[[int], dict[str, Any]]) -> Iterator[Batch]:
        for start in range(0, count, self.spec.batch):
            yield "node", label, [make(i) for i in range(start, min(count, start + self.spec.batch))]

    def supply_chain(self) -> Iterator[Batch]:
        rows: list[dict[str, Any]] = []
        makes: list[dict[str, Any]] = []
        bom: list[dict[str, Any]] = []
        for c in range(self.spec.companies):
            tier = self.tier_of(c)
            if tier > 0:
                suppliers = {self.company_in(tier - 1) for _ in range(self.rng.randint(1, 3))} - {None}
                for s in suppliers:
                    rows.append(self._supplies(s, c, len(suppliers) == 1))  # type: ignore[arg-type]
            if len(rows) >= self.spec.batch:
                yield "rel", "SUPPLIES", rows
                rows = []
        # A relationship once per pair, as the upserts leave it (the last draw wins), so the
        # bulk load (which refuses a repeated pair) builds the same graph.
        back: dict[tuple[int, int], dict[str, Any]] = {}
        for _ in range(self.spec.cycles if self.spec.companies > 10 else 0):
            lower = self.company_in(self.rng.randrange(1, len(TIERS)))
            upper = self.company_in(0)
            if lower is not None and upper is not None:
                back[(lower, upper)] = self._supplies(lower, upper, False)  # closes a cycle upstream
        rows.extend(back.values())
        if rows:
            yield "rel", "SUPPLIES", rows
        for p, maker in enumerate(self.product_maker):
            makes.append({"start": company_id(maker), "end": product_id(p), "props": {"since": self.when()}})
            tier = self.tier_of(maker)
            if tier > 0 and self.spec.products:
                parts: dict[int, dict[str, Any]] = {}
                for _ in range(self.rng.randint(0, 3)):
                    part = self.rng.randrange(self.spec.products)
                    if part != p and self.tier_of(self.product_maker[part]) == tier - 1:
                        parts[part] = {"start": product_id(part), "end": product_id(p),
                                       "props": {"qty": self.rng.randint(1, 8)}}
                bom.extend(parts.values())
            if len(makes) >= self.spec.batch:
                yield "rel", "MAKES", makes
                makes = []
            if len(bom) >= self.spec.batch:
                yield "rel", "COMPONENT_OF", bom
                bom = []
        if makes:
            yield "rel", "MAKES", makes
        if bom:
            yield "rel", "COMPONENT_OF", bom

    def _supplies(self, supplier: int, customer: int, single: bool) -> dict[str, Any]:
        return {"start": company_id(supplier), "end": company_id(customer), "props": {
            "products": [TIERS[self.tier_of(supplier)]], "sharePct": 100.0 if single else round(self.rng.uniform(10, 90), 1),
            "leadTimeDays": self.rng.randint(2, 60), "singleSource": single, "since": self.when(),
            "contractEnd": self.when() + SPAN}}

    def orders(self) -> Iterator[Batch]:
        if not self.spec.companies or not self.spec.products:
            return
        by_maker: dict[int, list[int]] = {}
        for p, maker in enumerate(self.product_maker):
            by_maker.setdefault(maker, []).append(p)
        retail = len(TIERS) - 1
        for start in range(0, self.spec.orders, self.spec.batch):
            nodes, placed, sold, lines = [], [], [], []
            for i in range(start, min(self.spec.orders, start + self.spec.batch)):
                b2b = self.spec.people == 0 or self.rng.random() < 0.2
                if b2b:
                    buyer_c = self.rng.randrange(self.spec.companies)
                    tier = self.tier_of(buyer_c)
                    seller = self.company_in(tier - 1) if tier > 0 else None
                    buyer = company_id(buyer_c)
                else:
                    seller, buyer = self.company_in(retail), person_id(self.rng.randrange(self.spec.people))
                if seller is None:
                    seller = self.rng.randrange(self.spec.companies)
                catalogue = by_maker.get(seller) or [self.rng.randrange(self.spec.products)]
                oid = f"syn:order:{i}"
                currency = self.currency()
                total = 0
                for p in {self.rng.choice(catalogue) for _ in range(self.rng.randint(1, 3))}:
                    qty = self.rng.randint(1, 500 if b2b else 3)
                    price = self.local_minor(round(self.rng.lognormvariate(4, 1.0), 2), currency)
                    total += qty * price
                    lines.append({"start": oid, "end": product_id(p),
                                  "props": {"qty": qty, "unitPrice": price, "currency": currency}})
                placed_at = self.when()
                rate = lookup(self.rate_table, currency, placed_at)
                nodes.append({"id": oid, "props": {
                    "placedAt": placed_at, "channel": "contract" if b2b else self.rng.choice(("store", "web", "phone")),
                    "total": total, "currency": currency,
                    "baseTotal": convert(total, currency, rate.rate, self.base), "exchangeRate": str(rate.rate),
                    "status": self.rng.choice(("open", "paid", "shipped", "delivered", "delivered", "delivered")),
                    "paymentMethod": "invoice" if b2b else "credit_card"}})
                placed.append({"start": buyer, "end": oid, "props": {}})
                sold.append({"start": oid, "end": company_id(seller), "props": {}})
            yield "node", "Order", nodes
            yield "rel", "PLACED", placed
            yield "rel", "SOLD_BY", sold
            yield "rel", "CONTAINS", lines

    def referrals(self) -> Iterator[Batch]:
        """Preferential attachment: a referrer is picked in proportion to 1 + referrals made."""
        people = self.spec.people
        referred = self.rng.sample(range(1, people), int((people - 1) * self.spec.referral_share)) if people > 1 else []
        referred.sort()
        pool: list[int] = [0]  # person 0 is the first root
        rows: list[dict[str, Any]] = []
        last = 0
        for person in referred:
            pool.extend(range(last + 1, person))  # everyone before this person may refer
            last = person
            referrer = self.rng.choice(pool)
            pool.append(referrer)  # the rich get richer
            pool.append(person)
            rows.append({"start": person_id(referrer), "end": person_id(person), "props": {
                "at": self.when(), "channel": self.rng.choice(("word_of_mouth", "email", "social", "link")),
                "status": self.rng.choices(STATUSES, weights=(2, 6, 2, 1))[0]}})
            if len(rows) >= self.spec.batch:
                yield "rel", "REFERRED", rows
                rows = []
        if rows:
            yield "rel", "REFERRED", rows

    def interactions(self) -> Iterator[Batch]:
        if not self.spec.people or not self.spec.companies:
            return
        count = self.spec.interaction_count
        for start in range(0, count, self.spec.batch):
            nodes, had, with_ = [], [], []
            for i in range(start, min(count, start + self.spec.batch)):
                iid = f"syn:interaction:{i}"
                nodes.append({"id": iid, "props": {
                    "channel": self.rng.choice(CHANNELS), "direction": self.rng.choice(("inbound", "outbound")),
                    "at": self.when(), "sentiment": round(self.rng.uniform(-1, 1), 2)}})
                had.append({"start": person_id(self.rng.randrange(self.spec.people)), "end": iid, "props": {}})
                with_.append({"start": iid, "end": company_id(self.rng.randrange(self.spec.companies)), "props": {}})
            yield "node", "Interaction", nodes
            yield "rel", "HAD", had
            yield "rel", "WITH", with_

    def employment(self) -> Iterator[Batch]:
        if not self.spec.companies:
            return
        rows = []
        for p in range(0, self.spec.people, 2):  # half the people have an employer on file
            rows.append({"start": person_id(p), "end": company_id(self.rng.randrange(self.spec.companies)),
                         "props": {"isPrimary": True, "since": self.when()}})
            if len(rows) >= self.spec.batch:
                yield "rel", "WORKS_FOR", rows
                rows = []
        if rows:
            yield "rel", "WORKS_FOR", rows

    def batches(self) -> Iterator[Batch]:
        """Nodes before the relationships that need them."""
        for stream in (self.rates, self.companies, self.people, self.products, self.supply_chain, self.orders,
                       self.referrals, self.interactions, self.employment):
            yield from stream()

    def estimated_rows(self) -> int:
        s = self.spec
        return (s.companies + s.people + s.products + 2 * s.companies + s.products * 2 + s.orders * 5
                + int(s.people * s.referral_share) + 3 * s.interaction_count + s.people // 2)


async def generate_into(store: Store, spec: SyntheticSpec,
                        progress: Callable[[int, int], None] | None = None,
                        bulk: bool | None = False) -> dict[str, int]:
    """Write the synthetic graph; ``progress(rows_done, rows_estimated)`` after each batch.

    ``bulk=None``: into an empty embedded store through ``GRAPH.BULK`` (``graph.bulk``),
    at the store's own speed, with the constraints and indexes built afterwards, else as
    upserts; ``bulk=True`` insists on the bulk path; ``False`` (the default) upserts.
    The bulk path needs the store to itself: a write by anyone else while it runs (a
    service's analytics refresher writing its lock) would take a node id it counts on.
    ``crmgraph seed`` asks for it only when it started the store itself (it then holds
    the data folder's lock, so nothing else can reach the store).
    """
    from graph.analytics import cohorts
    from graph.bulk.new_graph import can_bulk_load, is_empty, load_new_graph

    gen = Generator(spec)
    total = gen.estimated_rows()
    if bulk is None:
        bulk = can_bulk_load(store) and await is_empty(store)
    if bulk:
        report = None if progress is None else (lambda done: progress(done, max(total, done)))
        rates: list[dict[str, Any]] = []

        def graph_batches() -> Iterator[Batch]:
            for batch in gen.batches():
                if batch[0] == "rate":
                    rates.extend(batch[2])
                else:
                    yield batch

        counts = await load_new_graph(store, graph_batches(), report)  # type: ignore[arg-type]
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
