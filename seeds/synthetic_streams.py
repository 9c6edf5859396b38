"""The synthetic graph's parts, column by column, one shard at a time.

A part is one stream (companies, people, orders, ...) over one shard of its entities
(``spec.shard`` of them), drawn from a generator seeded by (seed, stream, shard) alone:
a part is the same whichever process makes it and whatever else is made, so the graph
depends on the spec only, not on the number of processes. Draws are numpy vectors, a
column at a time; only the referral trees (preferential attachment, sequential by
nature) loop in Python.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from graph.bulk.columns import Codes, Const, Ends, Formatted, Table
from graph.money import base_currency, convert, exponent
from graph.money_rates import lookup
from seeds import names

if TYPE_CHECKING:
    from seeds.synthetic import SyntheticSpec

TIERS = ("raw materials", "components", "assemblies", "manufacturing", "retail")
CHANNELS = ("email", "phone", "chat", "sms", "social", "store", "web")
STATUSES = ("invited", "converted", "rewarded", "rejected")
CITIES = ("Chicago", "Detroit", "Pittsburgh", "Cleveland", "Austin", "Denver", "Seattle", "Boston")
USD_PER_UNIT = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0067, "CHF": 1.12, "CAD": 0.74, "AUD": 0.66,
                "KWD": 3.25, "SEK": 0.095, "INR": 0.012, "BRL": 0.2, "MXN": 0.055}
"""Rough reference rates the synthetic exchange-rate table wanders around (±5 % a month)."""
PERSON, COMPANY, PRODUCT, ORDER, INTERACTION = (f"syn:{k}:" for k in
                                                ("person", "company", "product", "order", "interaction"))
NODE_ORDER = (COMPANY, PERSON, PRODUCT, ORDER, INTERACTION)
"""Nodes are made in this order (bulk internal ids follow it)."""
STREAMS = ("companies", "people", "products", "supply", "referrals", "orders", "interactions", "employment")

Part = list[Table]


def rng(spec: SyntheticSpec, stream: str, shard: int) -> np.random.Generator:
    return np.random.default_rng([spec.seed, STREAMS.index(stream), shard])


def node_counts(spec: SyntheticSpec) -> dict[str, int]:
    has_catalogue = spec.companies > 0 and spec.products > 0
    return {COMPANY: spec.companies, PERSON: spec.people, PRODUCT: spec.products if spec.companies else 0,
            ORDER: spec.orders if has_catalogue else 0,
            INTERACTION: spec.interaction_count if spec.people and spec.companies else 0}


def offsets(spec: SyntheticSpec) -> dict[str, int]:
    """The first internal id of each kind of node."""
    out, acc = {}, 0
    for prefix, count in ((p, node_counts(spec)[p]) for p in NODE_ORDER):
        out[prefix] = acc
        acc += count
    return out


def tasks(spec: SyntheticSpec) -> list[tuple[str, int]]:
    """Every part as (stream, shard), nodes before the relationships that need them."""
    counts = node_counts(spec)
    out: list[tuple[str, int]] = []

    def sharded(stream: str, count: int) -> None:
        out.extend((stream, s) for s in range(-(-count // spec.shard)))

    sharded("companies", counts[COMPANY])
    sharded("people", counts[PERSON])
    sharded("products", counts[PRODUCT])
    if spec.companies:
        out.append(("supply", 0))
    if spec.people > 1:
        out.append(("referrals", 0))
    sharded("orders", counts[ORDER])
    sharded("interactions", counts[INTERACTION])
    if spec.companies:
        sharded("employment", spec.people)
    return out


class World:
    """What every part of one spec shares: company tiers, product makers, exchange rates."""

    def __init__(self, spec: SyntheticSpec, rate_table: dict[str, list[tuple[int, Any]]]) -> None:
        from seeds.synthetic import SPAN, START

        self.spec, self.start, self.span = spec, START, SPAN
        n = max(spec.companies, 1)
        weights = (1, 2, 3, 2, 4)  # contiguous tier blocks, wider at the bottom (many retailers)
        bounds = np.round(n * np.cumsum(weights) / sum(weights)).astype(np.int64)
        self.tier_end = bounds
        self.tier_start = np.concatenate([[0], bounds[:-1]])
        self.maker = (np.random.default_rng([spec.seed, 99]).integers(0, spec.companies, spec.products)
                      if spec.companies else np.zeros(0, np.int64))
        self.by_maker = np.argsort(self.maker, kind="stable")
        self.made = np.bincount(self.maker, minlength=n)
        self.made_from = np.concatenate([[0], np.cumsum(self.made)[:-1]])
        self.rate_table = rate_table

    def tier_of(self, company: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.tier_end, company, side="right")

    def company_in(self, r: np.random.Generator, tier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A random company of each tier (and whether the tier has one; tiers < 0 have none)."""
        safe = np.clip(tier, 0, len(TIERS) - 1)
        lo, hi = self.tier_start[safe], self.tier_end[safe]
        ok = (tier >= 0) & (hi > lo)
        return lo + np.floor(r.random(len(tier)) * np.maximum(hi - lo, 1)).astype(np.int64), ok

    def when(self, r: np.random.Generator, count: int) -> np.ndarray:
        return self.start + r.integers(0, self.span, count)


@lru_cache(maxsize=4)
def world(spec: SyntheticSpec, rate_key: tuple[tuple[str, tuple[tuple[int, str], ...]], ...]) -> World:
    from decimal import Decimal

    return World(spec, {code: [(m, Decimal(r)) for m, r in entries] for code, entries in rate_key})


def minor(usd: np.ndarray, currency: np.ndarray, codes: tuple[str, ...]) -> np.ndarray:
    """Prices drawn in dollars as minor units of each row's currency (rounded to cents first)."""
    per_unit = np.array([USD_PER_UNIT.get(c, 1.0) for c in codes])[currency]
    scale = np.array([10 ** exponent(c) for c in codes], dtype=np.float64)[currency]
    return np.rint(np.round(usd, 2) / per_unit * scale).astype(np.int64)


def _unique_first(candidates: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Which of each row's candidate columns to keep: the first ``wanted`` draws, repeats dropped."""
    keep = np.arange(candidates.shape[1])[None, :] < wanted[:, None]
    for j in range(1, candidates.shape[1]):
        for i in range(j):
            keep[:, j] &= ~(keep[:, i] & (candidates[:, i] == candidates[:, j]))
    return keep


def _range(spec: SyntheticSpec, shard: int, count: int) -> np.ndarray:
    return np.arange(shard * spec.shard, min(count, (shard + 1) * spec.shard), dtype=np.int64)


def part(spec: SyntheticSpec, w: World, stream: str, shard: int) -> Part:
    r = rng(spec, stream, shard)
    return _STREAMS[stream](spec, w, r, shard)


def _companies(spec: SyntheticSpec, w: World, r: np.random.Generator, shard: int) -> Part:
    i = _range(spec, shard, spec.companies)
    n = len(i)
    return [Table("node", "Company", n, Formatted(COMPANY + "%d", i), props={
        "name": Codes(names.COMPANIES, names.pick(i, len(names.COMPANIES))), "industry": Codes(TIERS, w.tier_of(i)),
        "city": Codes(CITIES, r.integers(0, len(CITIES), n)), "country": Const("US"),
        "employeeCount": ((r.pareto(1.2, n) + 1) * 20).astype(np.int64), "createdAt": w.when(r, n)})]


def _people(spec: SyntheticSpec, w: World, r: np.random.Generator, shard: int) -> Part:
    i = _range(spec, shard, spec.people)
    n = len(i)
    who = names.pick(i, len(names.PEOPLE))  # PEOPLE is every first name with every last name
    return [Table("node", "Person", n, Formatted(PERSON + "%d", i), props={
        "name": Codes(names.PEOPLE, who), "firstName": Codes(names.FIRST, who // len(names.LAST)),
        "lastName": Codes(names.LAST, who % len(names.LAST)),
        "age": r.integers(18, 86, n), "city": Codes(CITIES, r.integers(0, len(CITIES), n)), "country": Const("US"),
        "createdAt": w.when(r, n)})]


def _products(spec: SyntheticSpec, w: World, r: np.random.Generator, shard: int) -> Part:
    i = _range(spec, shard, spec.products)
    n = len(i)
    base = base_currency()
    price = np.round(r.lognormal(4, 1.2, n), 2)
    cost = np.round(price * r.uniform(0.4, 0.9, n), 2)
    here = np.zeros(n, np.int64)
    return [Table("node", "Product", n, Formatted(PRODUCT + "%d", i), props={
        "sku": Formatted("SKU-%07d", i), "name": Codes(names.PRODUCTS, names.pick(i, len(names.PRODUCTS))),
        "category": Codes(TIERS, w.tier_of(w.maker[i])), "price": minor(price, here, (base,)),
        "cost": minor(cost, here, (base,)), "currency": Const(base)})]


def _supply(spec: SyntheticSpec, w: World, r: np.random.Generator, shard: int) -> Part:
    c = np.arange(spec.companies, dtype=np.int64)
    tier = w.tier_of(c)
    # Each company of a tier below the top is supplied by 1-3 companies of the tier above.
    candidates = np.stack([w.company_in(r, tier - 1)[0] for _ in range(3)], axis=1)
    _, has_tier = w.company_in(r, tier - 1)
    keep = _unique_first(candidates, r.integers(1, 4, len(c))) & has_tier[:, None]
    customer = np.repeat(c, keep.sum(axis=1))
    supplier = candidates[keep]
    single = (keep.sum(axis=1) == 1)[customer]
    # Back-edges that close cycles: from a company up its own supply chain to the top tier.
    back: dict[tuple[int, int], None] = {}
    if spec.companies > 10:
        suppliers_of: dict[int, list[int]] = {}
        for s, k in zip(supplier.tolist(), customer.tolist()):
            suppliers_of.setdefault(k, []).append(s)
        for _ in range(spec.cycles):
            lower = int(w.company_in(r, r.integers(1, len(TIERS), 1))[0][0])
            node = lower
            while w.tier_of(np.array([node]))[0] > 0 and node in suppliers_of:
                ups = suppliers_of[node]
                node = ups[int(r.integers(0, len(ups)))]
            if node != lower and w.tier_of(np.array([node]))[0] == 0:
                back[(lower, node)] = None
    if back:
        pairs = np.array(list(back), dtype=np.int64)
        supplier = np.concatenate([supplier, pairs[:, 0]])
        customer = np.concatenate([customer, pairs[:, 1]])
        single = np.concatenate([single, np.zeros(len(pairs), bool)])
    n = len(supplier)
    since = w.when(r, n)
    supplies = Table("rel", "SUPPLIES", n, start=Ends(COMPANY, supplier), end=Ends(COMPANY, customer), props={
        "products": Codes(tuple([t] for t in TIERS), w.tier_of(supplier)),
        "sharePct": np.where(single, 100.0, np.round(r.uniform(10, 90, n), 1)),
        "leadTimeDays": r.integers(2, 61, n), "singleSource": single, "since": since,
        "contractEnd": w.when(r, n) + w.span})
    p = np.arange(spec.products, dtype=np.int64)
    makes = Table("rel", "MAKES", len(p), start=Ends(COMPANY, w.maker), end=Ends(PRODUCT, p),
                  props={"since": w.when(r, len(p))})
    # Bills of materials: up to three parts each, made one tier up.
    part_tier = w.tier_of(w.maker)
    parts = r.integers(0, max(spec.products, 1), (len(p), 3))
    keep = _unique_first(parts, r.integers(0, 4, len(p)))
    keep &= (parts != p[:, None]) & (part_tier[parts] == (part_tier - 1)[:, None]) & (part_tier > 0)[:, None]
    whole = np.repeat(p, keep.sum(axis=1))
    bom = Table("rel", "COMPONENT_OF", len(whole), start=Ends(PRODUCT, parts[keep]), end=Ends(PRODUCT, whole),
                props={"qty": r.integers(1, 9, len(whole))})
    return [supplies, makes, bom]


def _orders(spec: SyntheticSpec, w: World, r: np.random.Generator, shard: int) -> Part:
    i = _range(spec, shard, spec.orders)
    n = len(i)
    b2b = np.ones(n, bool) if spec.people == 0 else r.random(n) < 0.2
    buyer_company = r.integers(0, spec.companies, n)
    up, up_ok = w.company_in(r, w.tier_of(buyer_company) - 1)
    retail, retail_ok = w.company_in(r, np.full(n, len(TIERS) - 1))
    seller = np.where(b2b, up, retail)
    seller = np.where(np.where(b2b, up_ok, retail_ok), seller, r.integers(0, spec.companies, n))
    buyer_person = r.integers(0, max(spec.people, 1), n)
    # Lines: 1-3 products from the seller's catalogue (any product if it makes none).
    made = w.made[seller]
    pick = w.made_from[seller][:, None] + np.floor(r.random((n, 3)) * np.maximum(made, 1)[:, None]).astype(np.int64)
    products = np.where((made > 0)[:, None], w.by_maker[np.minimum(pick, spec.products - 1)],
                        r.integers(0, spec.products, n)[:, None])
    keep = _unique_first(products, r.integers(1, 4, n))
    qty = r.integers(1, np.where(b2b, 501, 4)[:, None], (n, 3))
    codes = spec.currencies
    if len(codes) == 1:
        currency = np.zeros(n, np.int64)
    else:
        currency = np.where(r.random(n) < 0.6, 0, 1 + r.integers(0, len(codes) - 1, n))
    price = minor(r.lognormal(4, 1.0, (n, 3)), np.repeat(currency[:, None], 3, axis=1), codes)
    total = (qty * price * keep).sum(axis=1)
    placed_at = w.when(r, n)
    base_total, rate_text = total.copy(), np.zeros(n, np.int64)
    rate_vocab: dict[str, int] = {"1": 0}
    base = base_currency()
    for row in np.flatnonzero(np.array([c != base for c in codes])[currency]).tolist():
        code = codes[currency[row]]
        applied = lookup(w.rate_table, code, int(placed_at[row]))
        base_total[row] = convert(int(total[row]), code, applied.rate, base)
        rate_text[row] = rate_vocab.setdefault(str(applied.rate), len(rate_vocab))
    channel = np.where(b2b, 0, 1 + r.integers(0, 3, n))
    status = r.choice(4, n, p=[1 / 6, 1 / 6, 1 / 6, 1 / 2])
    order = Table("node", "Order", n, Formatted(ORDER + "%d", i), props={
        "placedAt": placed_at, "channel": Codes(("contract", "store", "web", "phone"), channel), "total": total,
        "currency": Codes(codes, currency), "baseTotal": base_total, "exchangeRate": Codes(tuple(rate_vocab), rate_text),
        "status": Codes(("open", "paid", "shipped", "delivered"), status),
        "paymentMethod": Codes(("credit_card", "invoice"), b2b.astype(np.int64))})
    line_order = np.repeat(i, keep.sum(axis=1))
    return [
        order,
        Table("rel", "PLACED", int(b2b.sum()), start=Ends(COMPANY, buyer_company[b2b]), end=Ends(ORDER, i[b2b])),
        Table("rel", "PLACED", int((~b2b).sum()), start=Ends(PERSON, buyer_person[~b2b]), end=Ends(ORDER, i[~b2b])),
        Table("rel", "SOLD_BY", n, start=Ends(ORDER, i), end=Ends(COMPANY, seller)),
        Table("rel", "CONTAINS", len(line_order), start=Ends(ORDER, line_order), end=Ends(PRODUCT, products[keep]),
              props={"qty": qty[keep], "unitPrice": price[keep],
                     "currency": Codes(codes, np.repeat(currency, keep.sum(axis=1)))}),
    ]


def _referrals(spec: SyntheticSpec, w: World, r: np.random.Generator, shard: int) -> Part:
    """Preferential attachment: a referrer is picked in proportion to 1 + 2 x referrals made
    (a few prolific referrers, as referral programmes see)."""
    people = spec.people
    referred = np.sort(r.choice(people - 1, int((people - 1) * spec.referral_share), replace=False) + 1)
    draws = r.random(len(referred)).tolist()
    pool: list[int] = [0]  # person 0 is the first root
    referrers: list[int] = []
    last = 0
    for person, u in zip(referred.tolist(), draws):
        pool.extend(range(last + 1, person))  # everyone before this person may refer
        last = person
        referrer = pool[int(u * len(pool))]
        pool += (referrer, referrer)  # the rich get richer
        pool.append(person)
        referrers.append(referrer)
    n = len(referred)
    return [Table("rel", "REFERRED", n, start=Ends(PERSON, np.array(referrers, np.int64)),
                  end=Ends(PERSON, referred), props={
                      "at": w.when(r, n),
                      "channel": Codes(("word_of_mouth", "email", "social", "link"), r.integers(0, 4, n)),
                      "status": Codes(STATUSES, r.choice(4, n, p=np.array([2, 6, 2, 1]) / 11))})]


def _interactions(spec: SyntheticSpec, w: World, r: np.random.Generator, shard: int) -> Part:
    i = _range(spec, shard, spec.interaction_count)
    n = len(i)
    return [
        Table("node", "Interaction", n, Formatted(INTERACTION + "%d", i), props={
            "channel": Codes(CHANNELS, r.integers(0, len(CHANNELS), n)),
            "direction": Codes(("inbound", "outbound"), r.integers(0, 2, n)), "at": w.when(r, n),
            "sentiment": np.round(r.uniform(-1, 1, n), 2)}),
        Table("rel", "HAD", n, start=Ends(PERSON, r.integers(0, spec.people, n)), end=Ends(INTERACTION, i)),
        Table("rel", "WITH", n, start=Ends(INTERACTION, i), end=Ends(COMPANY, r.integers(0, spec.companies, n))),
    ]


def _employment(spec: SyntheticSpec, w: World, r: np.random.Generator, shard: int) -> Part:
    p = _range(spec, shard, spec.people)
    p = p[p % 2 == 0]  # half the people have an employer on file
    n = len(p)
    return [Table("rel", "WORKS_FOR", n, start=Ends(PERSON, p), end=Ends(COMPANY, r.integers(0, spec.companies, n)),
                  props={"isPrimary": np.ones(n, bool), "since": w.when(r, n)})]


_STREAMS = {"companies": _companies, "people": _people, "products": _products, "supply": _supply,
            "orders": _orders, "referrals": _referrals, "interactions": _interactions, "employment": _employment}
