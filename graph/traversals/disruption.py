"""Disruption impact: if a supplier fails, what downstream is hit, and what is at risk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graph.cypher.compiler import Statement
from graph.cypher.dialect import Dialect
from graph.cypher.errors import QueryInputError
from graph.cypher.values import epoch_ms
from graph.model import UNCOUNTED
from graph.cypher import scope as sc_
from graph.cypher.scope import UNSCOPED, Projection, Scope
from graph.traversals.bounds import OPEN, Bounds, checked_id, node_data


@dataclass
class HitCompany:
    node: dict[str, Any]
    tier: int
    alternative_suppliers: int  # suppliers outside the failing chain

    @property
    def has_alternative(self) -> bool:
        return self.alternative_suppliers > 0


@dataclass
class HitProduct:
    node: dict[str, Any]
    tier: int  # 0: made by the failing company; n: contains such a part n levels down
    other_makers: int  # makers outside the failing chain
    has_alternative: bool


@dataclass
class AffectedOrder:
    node: dict[str, Any]
    customer: dict[str, Any] | None


@dataclass
class DisruptionImpact:
    company: dict[str, Any]
    depth: int
    window_from: datetime
    window_to: datetime
    companies: list[HitCompany]
    products: list[HitProduct]
    open_orders: list[AffectedOrder]
    open_order_count: int
    open_order_value: int  # minor units of the base currency
    end_customers: list[dict[str, Any]]
    end_customer_count: int
    revenue_at_risk: int  # minor units of the base currency
    truncated: bool


def disruption_impact(dialect: Dialect, company_id: str, window_from: datetime, window_to: datetime,
                      bounds: Bounds, argument: str, scope: Scope = UNSCOPED, only: Projection = None) -> Statement:
    checked_id(company_id, f"{argument}.id")
    bounds = bounds.checked(argument)
    sc_.root(scope, company_id, f"{argument}.companyId")
    sc_.depth(scope, bounds.depth, argument)
    node_summary = lambda var: sc_.summary(scope, var, only)  # noqa: E731
    # A partner sees what is hit downstream as companies, its own products, and figures:
    # not the other companies' products, orders or customers.
    products, open_orders, customers = (
        ("[p IN products WHERE p.tier = 0]", "[]", "[]") if scope.partner
        else ("products", "openOrders", "customers"))
    if window_from >= window_to:
        raise QueryInputError(f"{argument}.from", "must be before `to`")
    d = bounds.depth
    lines = [
        "MATCH (x:Entity {id: $id})",
        "WHERE x:Company",
        f"OPTIONAL MATCH p = (x)-[:SUPPLIES*1..{d}]->(hc:Company)",
        "WHERE hc <> x",
        "WITH x, hc, min(length(p)) AS tier",
        "ORDER BY tier, hc.id",
        "WITH x, collect(CASE WHEN hc IS NULL THEN null ELSE {id: hc.id, tier: tier} END) AS hit",
        "WITH x, hit, [h IN hit | h.id] + [x.id] AS hitIds",
        *dialect.call_open(("hit", "hitIds")),
        "  UNWIND hit[0..$limit] AS h",
        "  MATCH (c:Entity {id: h.id})",
        "  OPTIONAL MATCH (alt:Company)-[:SUPPLIES]->(c)",
        "  WHERE NOT alt.id IN hitIds",
        "  WITH h, c, count(alt) AS alternatives",
        "  ORDER BY h.tier, h.id",
        f"  RETURN collect({{node: {node_summary('c')}, tier: h.tier, alternatives: alternatives}}) AS companies",
        "}",
        *dialect.call_open(("x", "hitIds")),
        "  MATCH (x)-[:MAKES]->(own:Product)",
        f"  MATCH bp = (own)-[:COMPONENT_OF*0..{d}]->(q:Product)",
        "  WITH hitIds, q, min(length(bp)) AS tier",
        "  OPTIONAL MATCH (m:Company)-[:MAKES]->(q)",
        "  WHERE NOT m.id IN hitIds",
        "  WITH q, tier, count(m) AS makers",
        "  ORDER BY tier, q.id",
        f"  RETURN collect({{node: {node_summary('q')}, tier: tier, makers: makers}}) AS products",
        "}",
        "WITH x, hit, hitIds, companies, products, [p IN products | p.node.props.id] AS productIds",
        *dialect.call_open(("productIds",)),
        "  UNWIND productIds AS pid",
        "  MATCH (part:Entity {id: pid})-[:COMPONENT_OF]->(whole:Product)",
        "  WHERE whole.id IN productIds",
        "  RETURN collect({part: part.id, whole: whole.id}) AS bom",
        "}",
        # Orders containing a hit product but sold by no hit company: few, found first, so
        # that every order is reached once, in one stream with the hit companies' orders.
        *dialect.call_open(("productIds", "hitIds")),
        "  UNWIND productIds AS pid",
        "  MATCH (:Entity {id: pid})<-[:CONTAINS]-(o:Order)",
        "  OPTIONAL MATCH (o)-[:SOLD_BY]->(seller:Company)",
        "  WITH o, max(CASE WHEN seller.id IN hitIds THEN 1 ELSE 0 END) AS soldByHit",
        "  WHERE soldByHit = 0",
        "  RETURN collect(o.id) AS otherOrders",
        "}",
        *dialect.call_open(("hitIds", "otherOrders")),
        # Every (order, customer) once, matched in one pattern from each hit company (one
        # traversal of both hops), plus those other orders.
        *_nested(dialect.call_open(("hitIds", "otherOrders"))),
        "    UNWIND hitIds AS sid",
        "    MATCH (:Entity {id: sid})<-[:SOLD_BY]-(o:Order)<-[:PLACED]-(c:Party)",
        "    RETURN o, c",
        "    UNION ALL",
        *_nested(dialect.union_branch(("otherOrders",))),
        "    UNWIND otherOrders AS oid",
        "    MATCH (o:Entity {id: oid})<-[:PLACED]-(c:Party)",
        "    RETURN o, c",
        "  }",
        "  WITH DISTINCT o, c",
        "  WITH o, c, o.status AS status, o.placedAt AS at",
        "  WITH o, c, at, NOT status IN $uncounted AS counted, status IN $open AS isOpen,",
        "       at >= $from AND at < $to AS inWindow",
        "  WHERE counted AND (isOpen OR inWindow)",
        "  WITH o, c, isOpen, inWindow, at, o.baseTotal AS total, o.id AS oid",
        "  ORDER BY at DESC, oid",
        "  WITH collect(CASE WHEN isOpen THEN [o, c] END) AS openOnes,",
        "       sum(CASE WHEN isOpen THEN total ELSE 0 END) AS openValue,",
        "       sum(CASE WHEN inWindow THEN total ELSE 0 END) AS atRisk,",
        "       collect(DISTINCT c) AS buyers",
        "  RETURN size(openOnes) AS openCount, openValue, atRisk, size(buyers) AS customerCount,",
        f"         [a IN openOnes[0..$limit] | {{order: {node_summary('a[0]')}, customer: {node_summary('a[1]')}}}] AS openOrders,",
        f"         [b IN buyers[0..$limit] | {node_summary('b')}] AS customers",
        "}",
        f"RETURN {node_summary('x')} AS company, size(hit) AS hitCount, companies, {products} AS products, bom,",
        f"       openCount, openValue, atRisk, {open_orders} AS openOrders, customerCount, "
        f"{customers} AS customers",
    ]
    params = {"id": company_id, "limit": bounds.limit, "uncounted": list(UNCOUNTED), "open": list(OPEN),
              "from": epoch_ms(window_from), "to": epoch_ms(window_to), **scope.params()}

    def decode(records: list[dict[str, Any]]) -> DisruptionImpact | None:
        if not records:
            return None
        rec = records[0]
        products = _products_with_alternatives(rec["products"], rec["bom"])
        return DisruptionImpact(
            company=node_data(rec["company"]) or {}, depth=bounds.depth,
            window_from=window_from, window_to=window_to,
            companies=[HitCompany(node_data(c["node"]) or {}, c["tier"], c["alternatives"]) for c in rec["companies"]],
            products=products[: bounds.limit],
            open_orders=[AffectedOrder(node_data(o["order"]) or {}, node_data(o["customer"])) for o in rec["openOrders"]],
            open_order_count=rec["openCount"], open_order_value=int(rec["openValue"] or 0),
            end_customers=[node_data(c) or {} for c in rec["customers"]],
            end_customer_count=rec["customerCount"], revenue_at_risk=int(rec["atRisk"] or 0),
            truncated=rec["hitCount"] > bounds.limit or len(products) > bounds.limit
            or rec["customerCount"] > bounds.limit or rec["openCount"] > bounds.limit,
        )

    return Statement(dialect.statement(lines), params, decode)


def _nested(lines: list[str]) -> list[str]:
    return [f"  {line}" for line in lines]


def _products_with_alternatives(raw: list[dict[str, Any]], bom: list[dict[str, str]]) -> list[HitProduct]:
    """A hit product has an alternative when a company outside the failing chain makes it,
    or when every hit part it is built from has one."""
    products = [HitProduct(node_data(p["node"]) or {}, p["tier"], p["makers"], False) for p in raw]
    by_id = {p.node["props"]["id"]: p for p in products}
    parts: dict[str, list[str]] = {}
    for edge in bom:
        parts.setdefault(edge["whole"], []).append(edge["part"])
    for product in sorted(products, key=lambda p: p.tier):
        hit_parts = [by_id[x] for x in parts.get(product.node["props"]["id"], []) if x in by_id]
        # Buy it elsewhere, or build it from parts that can all be had elsewhere.
        product.has_alternative = product.other_makers > 0 or (
            product.tier > 0 and bool(hit_parts)
            and all(p.has_alternative for p in hit_parts if p.tier < product.tier))
    return products


