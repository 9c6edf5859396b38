"""Independent answers, computed in Python with networkx over nodes and relationships
read back from the store: what the traversals and analytics must agree with."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import networkx as nx

from graph.analytics.value import segment, thresholds, score
from graph.money import CURRENCIES, base_currency
from graph.store import Store

UNCOUNTED = {"cancelled", "returned"}
CONVERTED = {"converted", "rewarded"}


@dataclass
class Snapshot:
    labels: dict[str, set[str]] = field(default_factory=dict)
    props: dict[str, dict[str, Any]] = field(default_factory=dict)
    rels: dict[str, nx.MultiDiGraph] = field(default_factory=lambda: defaultdict(nx.MultiDiGraph))
    rates: dict[str, list[tuple[int, Decimal]]] = field(default_factory=dict)

    @classmethod
    async def read(cls, store: Store) -> Snapshot:
        snap = cls()
        for row in await store.read("MATCH (n:Entity) RETURN n.id AS id, labels(n) AS labels, properties(n) AS props"):
            snap.labels[row["id"]] = set(row["labels"])
            snap.props[row["id"]] = row["props"]
        for row in await store.read(
                "MATCH (a:Entity)-[r]->(b:Entity) RETURN a.id AS a, type(r) AS t, b.id AS b, properties(r) AS p"):
            snap.rels[row["t"]].add_edge(row["a"], row["b"], **row["p"])
        for row in await store.read("MATCH (x:ExchangeRate) RETURN x.currency AS c, x.validFrom AS v, x.rate AS r "
                                    "ORDER BY c, v"):
            snap.rates.setdefault(row["c"], []).append((row["v"], Decimal(row["r"])))
        return snap

    # -- money, in decimal arithmetic of its own ---------------------------------------------

    def rate(self, currency: str, at: int) -> Decimal:
        if currency == base_currency():
            return Decimal(1)
        return [r for v, r in self.rates[currency] if v <= at][-1]

    @staticmethod
    def amount(minor: int, currency: str) -> Decimal:
        return Decimal(minor).scaleb(-CURRENCIES[currency])  # keeps the decimals: 100 cents is 1.00

    @staticmethod
    def in_base(amount: Decimal) -> int:
        """A decimal amount of the base currency in its minor units, half to even."""
        return int((amount * Decimal(10) ** CURRENCIES[base_currency()]).quantize(Decimal(1), ROUND_HALF_EVEN))

    def base_total(self, order: str) -> int:
        """The order's total in the base currency: its own total at the rate of its day."""
        p = self.props[order]
        currency = p.get("currency") or base_currency()
        return self.in_base(self.amount(p["total"], currency) * self.rate(currency, p["placedAt"]))

    def graph(self, *types: str) -> nx.MultiDiGraph:
        g = nx.MultiDiGraph()
        for t in types:
            g.add_edges_from(self.rels[t].edges(keys=False, data=True))
        return g

    def distances(self, root: str, types: tuple[str, ...], depth: int, reverse: bool = False) -> dict[str, int]:
        g = self.graph(*types)
        if reverse:
            g = g.reverse(copy=False)
        if root not in g:
            return {}
        found = nx.single_source_shortest_path_length(g, root, cutoff=depth)
        found.pop(root, None)
        return found

    # -- orders -----------------------------------------------------------------------------

    def orders_of(self, party: str) -> list[str]:
        placed = self.rels["PLACED"]
        return [o for o in (placed.successors(party) if party in placed else [])
                if self.props[o].get("status") not in UNCOUNTED]

    def revenue(self, party: str) -> int:
        return sum(self.base_total(o) for o in self.orders_of(party))

    def margin(self, party: str) -> int | None:
        """Lines whose product cost is in the order's currency: qty x (unit price - cost),
        at the order's rate, added exactly and rounded once."""
        exact, costed = Decimal(0), False
        for o in self.orders_of(party):
            currency = self.props[o].get("currency") or base_currency()
            for _, product, d in self.rels["CONTAINS"].out_edges(o, data=True):
                cost = self.props[product].get("cost")
                if cost is None or (self.props[product].get("currency") or base_currency()) != currency:
                    continue
                costed = True
                exact += (self.amount(d["qty"] * (d["unitPrice"] - cost), currency)
                          * self.rate(currency, self.props[o]["placedAt"]))
        return self.in_base(exact) if costed else None

    def customers(self) -> dict[str, tuple[int, int, int]]:
        """party -> (latest order, order count, revenue), over parties with counted orders."""
        out = {}
        for party in self.rels["PLACED"].nodes:
            orders = self.orders_of(party)
            if orders and "Party" in self.labels.get(party, set()):
                out[party] = (max(self.props[o]["placedAt"] for o in orders), len(orders), self.revenue(party))
        return out

    def rfm(self) -> dict[str, tuple[int, int, int]]:
        customers = self.customers()
        # Monetary is scored on revenue in minor units of the base currency (exact integers).
        keys = {p: (v[0], v[1], v[2]) for p, v in customers.items()}
        cuts = [thresholds([c[i] for c in keys.values()]) for i in range(3)]
        return {p: tuple(score(v[i], cuts[i]) for i in range(3)) for p, v in keys.items()}  # type: ignore[misc]

    def segments(self) -> dict[str, tuple[int, int]]:
        customers, scores = self.customers(), self.rfm()
        out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for party, (r, f, m) in scores.items():
            cell = out[segment(r, f, m)]
            cell[0] += 1
            cell[1] += customers[party][2]
        return {k: (int(v[0]), int(v[1])) for k, v in out.items()}

    # -- referrals ----------------------------------------------------------------------------

    def cohorts(self, months: list[int], start: int, end: int) -> dict[int, tuple[int, int, int, float | None]]:
        """Cohort month (epoch ms, from ``months``) -> (referrers, invites, converted, mean days
        from invitation to the referred party's first counted order after it), over the
        invitations sent in ``[start, end)``."""
        cells: dict[int, list[Any]] = defaultdict(lambda: [set(), 0, 0, []])
        for a, b, data in self.rels["REFERRED"].edges(data=True):
            at = data.get("at")
            if at is None or not start <= at < end:
                continue
            if "Party" not in self.labels.get(a, set()) or "Party" not in self.labels.get(b, set()):
                continue
            cell = cells[max(m for m in months if m <= at)]
            cell[0].add(a)
            cell[1] += 1
            if data.get("status") in CONVERTED:
                cell[2] += 1
                after = [self.props[o]["placedAt"] for o in self.orders_of(b) if self.props[o]["placedAt"] >= at]
                if after:
                    cell[3].append((min(after) - at) / 86_400_000)
        return {m: (len(c[0]), c[1], c[2], sum(c[3]) / len(c[3]) if c[3] else None) for m, c in cells.items()}

    def generations(self, root: str, depth: int) -> dict[int, tuple[int, int, int]]:
        reached = self.distances(root, ("REFERRED",), depth)
        referred = self.rels["REFERRED"]
        out: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
        for party, gen in reached.items():
            statuses = {d.get("status") for _, _, d in referred.in_edges(party, data=True)}
            cell = out[gen]
            cell[0] += 1
            cell[1] += 1 if statuses & CONVERTED else 0
            cell[2] += self.revenue(party)
        return {g: (int(c[0]), int(c[1]), c[2]) for g, c in out.items()}

    # -- indirect customers --------------------------------------------------------------------

    def indirect(self, company: str, depth: int) -> dict[str, tuple[int, set[str]]]:
        """intermediary -> (revenue, customers)."""
        downstream = set(self.distances(company, ("SUPPLIES",), depth))
        chain = self.distances(company, ("SUPPLIES",), depth - 1) | {company: 0}
        resell = self.rels["RESELLS_FOR"]
        resellers = {r for m in chain for r in (resell.predecessors(m) if m in resell else [])} - {company}
        via = downstream | resellers
        made = [p for _, p in self.rels["MAKES"].out_edges(company)] if company in self.rels["MAKES"] else []
        containing = set()
        for p in made:
            containing |= set(self.distances(p, ("COMPONENT_OF",), depth))
        sold_by = {o: s for o, s in self.rels["SOLD_BY"].edges()}
        buyer = {o: c for c, o in self.rels["PLACED"].edges()}
        direct = {buyer[o] for o, s in sold_by.items() if s == company and o in buyer}
        orders: dict[str, str] = {}
        for o, s in sold_by.items():
            if s in via:
                orders[o] = s
        for q in containing:
            for o, _ in self.rels["CONTAINS"].in_edges(q):
                orders[o] = sold_by[o]
        groups: dict[str, list[Any]] = defaultdict(lambda: [0, set()])
        for o, s in orders.items():
            c = buyer.get(o)
            if c is None or c in direct or c == company or s == company or self.props[o]["status"] in UNCOUNTED:
                continue
            groups[s][0] += self.base_total(o)
            groups[s][1].add(c)
        return {s: (g[0], g[1]) for s, g in groups.items()}


def disruption(snap: Snapshot, company: str, depth: int, start: int, end: int) -> dict[str, Any]:
    """Hit companies (tiers), hit products, affected order ids, revenue at risk in [start, end)."""
    hit = snap.distances(company, ("SUPPLIES",), depth)
    sellers = set(hit) | {company}
    own = [p for _, p in snap.rels["MAKES"].out_edges(company)] if company in snap.rels["MAKES"] else []
    products: dict[str, int] = {}
    for p in own:
        products[p] = 0
        for q, d in snap.distances(p, ("COMPONENT_OF",), depth).items():
            products[q] = min(products.get(q, d), d)
    orders = {o for o, s in snap.rels["SOLD_BY"].edges() if s in sellers}
    for q in products:
        orders |= {o for o, _ in snap.rels["CONTAINS"].in_edges(q)}
    orders = {o for o in orders if snap.props[o]["status"] not in UNCOUNTED
              and o in snap.rels["PLACED"] and snap.rels["PLACED"].in_degree(o)}
    in_window = [o for o in orders if start <= snap.props[o]["placedAt"] < end]
    open_ = [o for o in orders if snap.props[o]["status"] in ("open", "paid")]
    buyer = {o: c for c, o in snap.rels["PLACED"].edges()}
    return {"companies": hit, "products": products, "at_risk": sum(snap.base_total(o) for o in in_window),
            "open": set(open_), "customers": {buyer[o] for o in set(in_window) | set(open_)}}


def partner_scope(snap: Snapshot, company: str, depth: int) -> tuple[set[str], set[str]]:
    """(ids a partner of ``company`` may see, ids it may see every property of), by the
    rules of docs/security.md, computed from the whole graph read back."""
    def out(t: str, n: str) -> set[str]:
        g = snap.rels[t]
        return set(g.successors(n)) if n in g else set()

    def into(t: str, n: str) -> set[str]:
        g = snap.rels[t]
        return set(g.predecessors(n)) if n in g else set()

    if company not in snap.labels or "Company" not in snap.labels[company]:
        return set(), set()
    supplies = snap.rels["SUPPLIES"]
    chain = {company}
    for graph in (supplies, supplies.reverse(copy=False)):
        if company in graph:
            chain |= set(nx.single_source_shortest_path_length(graph, company, cutoff=depth))
    staff = {p for p in into("WORKS_FOR", company) if "Person" in snap.labels[p]}
    sold = into("SOLD_BY", company)
    bought = out("PLACED", company)
    orders = sold | bought
    customers = {c for o in sold for c in into("PLACED", o)}
    sellers = {s for o in bought for s in out("SOLD_BY", o)}
    made = out("MAKES", company)
    products = made | {p for o in orders for p in out("CONTAINS", o)}
    interactions = into("WITH", company)
    feedback = into("ABOUT", company) | {f for x in sold | made for f in into("ABOUT", x)}
    visible = chain | staff | orders | customers | sellers | products | interactions | feedback
    full = {company} | staff | orders | products | interactions | feedback
    return visible, full
