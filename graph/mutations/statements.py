"""One statement per write. Each checks its preconditions first and writes only when none
fails, inside a CALL that returns a count either way, so the statement reports *why* it
wrote nothing. Labels and types come from ``graph.model``; values are ``$parameters``."""

from __future__ import annotations

from graph.analytics.cohorts import Moves
from graph.audit import Write
from graph.cypher.dialect import Dialect
from graph.model import ALIAS, ALIAS_OF, ENTITY, NODE_KINDS, ONE_ONLY, REL_KINDS
from graph.money_rates import guard_lines
from graph.traversals.bounds import node_summary


def resolve(var: str, param: str) -> list[str]:
    """Bind ``var`` to the node with id ``$param``, following a merged party's alias."""
    return [
        f"OPTIONAL MATCH ({var}_:{ENTITY} {{id: ${param}}})",
        f"OPTIONAL MATCH ({var}_)-[:{ALIAS_OF}]->({var}_to)",
        f"WITH *, coalesce({var}_to, {var}_) AS {var}",
    ]


def is_kind(var: str, labels: tuple[str, ...]) -> str:
    return f"({var} IS NOT NULL AND ({' OR '.join(f'{var}:{label}' for label in labels)}))"


def _labels(label: str) -> str:
    return ":".join(NODE_KINDS[label].labels)


def create_node(dialect: Dialect, label: str) -> Write:
    return Write("\n".join([
        f"OPTIONAL MATCH (e:{ENTITY} {{id: $id}})",
        *dialect.call_open(("e",)),
        "  WITH e",
        "  WHERE e IS NULL",
        f"  CREATE (n:{_labels(label)} {{id: $id}})",
        "  SET n += $props",
        f"  RETURN collect({node_summary('n')}) AS made",
        "}",
        "RETURN CASE WHEN e IS NULL THEN null ELSE labels(e) END AS clash, made",
    ]), "size(made) > 0")


def upsert_node(dialect: Dialect, label: str) -> Write:
    return Write("\n".join([
        f"OPTIONAL MATCH (e:{ENTITY} {{id: $id}})",
        f"WITH e, e IS NOT NULL AND NOT e:{label} AS clash",
        *dialect.call_open(("clash",)),
        "  WITH clash",
        "  WHERE NOT clash",
        f"  MERGE (n:{_labels(label)} {{id: $id}})",
        "  SET n += $props",
        f"  RETURN collect({node_summary('n')}) AS made",
        "}",
        "RETURN CASE WHEN clash THEN labels(e) ELSE null END AS clash, made",
    ]), "size(made) > 0")


def update_node(label: str) -> Write:
    return Write("\n".join([
        f"MATCH (n:{ENTITY} {{id: $id}})",
        f"WHERE n:{label}",
        "SET n += $props",
        f"RETURN {node_summary('n')} AS node",
    ]), "true")


def update_priced(label: str, money: tuple[str, ...]) -> Write:
    """``update_node`` for a node with amounts: ``$currency`` (null: not touched) must be the
    node's currency, or, to change it, every amount the node holds is in ``$given``."""
    held = "[" + ", ".join(f"CASE WHEN n.{m} IS NULL THEN null ELSE '{m}' END" for m in money) + "]"
    return Write("\n".join([
        f"MATCH (n:{ENTITY} {{id: $id}})",
        f"WHERE n:{label}",
        f"WITH n, [m IN {held} WHERE m IS NOT NULL AND NOT m IN $given] AS missing",
        "WITH n, missing, CASE",
        "  WHEN $currency IS NULL OR coalesce(n.currency, $base) = $currency THEN null",
        "  WHEN size(missing) > 0 THEN 'currency'",
        "END AS problem",
        "CALL {",
        "  WITH n, problem",
        "  WITH n WHERE problem IS NULL",
        "  SET n += $props",
        "  RETURN count(n) AS written",
        "}",
        f"RETURN problem, missing, written, {node_summary('n')} AS node",
    ]), "written > 0")


def delete_node(dialect: Dialect, label: str) -> Write:
    """Refuses while the node has orders (placed, sold, or order lines naming a product),
    unless ``$withOrders``: then those orders go too."""
    return Write("\n".join([
        f"MATCH (n:{ENTITY} {{id: $id}})",
        f"WHERE n:{label}",
        "OPTIONAL MATCH (n)-[:PLACED|SOLD_BY|CONTAINS]-(o:Order)",
        "WITH n, collect(DISTINCT o) AS orders",
        *dialect.call_open(("n", "orders")),
        "  WITH n, orders",
        "  WHERE size(orders) = 0 OR $withOrders",
        "  FOREACH (o IN orders | DETACH DELETE o)",
        "  DETACH DELETE n",
        "  RETURN count(*) AS deleted",
        "}",
        "RETURN size(orders) AS orders, deleted",
    ]), "deleted > 0", Moves(parties=("id",), orders_of=("id",), wide=True))


def one_only_taken(type_: str, carry: tuple[str, ...] = ("a", "b"), a: str = "a", b: str = "b") -> list[str]:
    """Binds ``taken`` (beside ``carry``): whether the end of ``a``-[type_]->``b`` that may
    have only one such relationship (graph.model.ONE_ONLY: an order's seller) already has
    it with another node. Used by links and by the importer's batches."""
    one = ONE_ONLY.get(type_)
    if one is None:
        return [f"WITH {', '.join(carry)}, false AS taken"]
    pattern = f"({a})-[:{type_}]->(other)" if one.side == "start" else f"(other)-[:{type_}]->({b})"
    return [f"OPTIONAL MATCH {pattern}",
            f"WHERE other <> {b if one.side == 'start' else a}",
            f"WITH {', '.join(carry)}, count(other) > 0 AS taken"]


def set_relationship(dialect: Dialect, type_: str) -> Write:
    rel = REL_KINDS[type_]
    return Write("\n".join([
        *resolve("a", "start"),
        *resolve("b", "end"),
        *one_only_taken(type_),
        f"WITH a, b, CASE WHEN NOT {is_kind('a', rel.start)} THEN 'start' "
        f"WHEN NOT {is_kind('b', rel.end)} THEN 'end' WHEN taken THEN 'taken' END AS missing",
        *dialect.call_open(("a", "b", "missing")),
        "  WITH a, b",
        "  WHERE missing IS NULL",
        f"  MERGE (a)-[r:{rel.type}]->(b)",
        "  SET r = $props",
        "  RETURN count(r) AS made",
        "}",
        "RETURN missing, made",
    ]), "made > 0")


def remove_relationship(type_: str) -> Write:
    return Write("\n".join([
        *resolve("a", "start"),
        *resolve("b", "end"),
        f"OPTIONAL MATCH (a)-[r:{REL_KINDS[type_].type}]->(b)",
        "WITH collect(r) AS found",
        "FOREACH (r IN found | DELETE r)",
        "RETURN size(found) AS removed",
    ]), "removed > 0")


def record_order(dialect: Dialect) -> Write:
    return Write("\n".join([
        f"OPTIONAL MATCH (e:{ENTITY} {{id: $id}})",
        *resolve("c", "customer"),
        *resolve("s", "seller"),
        *dialect.call_open(()),
        "  UNWIND $items AS item",
        f"  OPTIONAL MATCH (p:{ENTITY} {{id: item.productId}})",
        "  WITH item, p",
        "  WHERE p IS NULL OR NOT p:Product",
        "  RETURN collect(item.productId) AS unknownProducts",
        "}",
        # The exchange rate the service converted the total with must still be the one in force.
        *guard_lines(dialect, "currency", "placedAt", "rateFrom", ("e", "c", "s", "unknownProducts")),
        "WITH e, c, s, unknownProducts, CASE",
        "  WHEN e IS NOT NULL THEN 'DUPLICATE_ID'",
        f"  WHEN NOT {is_kind('c', ('Party',))} THEN 'customerId'",
        f"  WHEN NOT {is_kind('s', ('Company',))} THEN 'sellerId'",
        "  WHEN size(unknownProducts) > 0 THEN 'items'",
        "  WHEN NOT rateOk THEN 'RATE_CHANGED'",
        "END AS problem",
        *dialect.call_open(("c", "s", "problem")),
        "  WITH c, s",
        "  WHERE problem IS NULL",
        f"  CREATE (o:{_labels('Order')} {{id: $id}})",
        "  SET o += $props",
        "  CREATE (c)-[:PLACED]->(o)",
        "  CREATE (o)-[:SOLD_BY]->(s)",
        "  WITH o",
        "  UNWIND $items AS item",
        f"  MATCH (p:{ENTITY} {{id: item.productId}})",
        "  CREATE (o)-[:CONTAINS {qty: item.qty, unitPrice: item.unitPrice, currency: item.currency}]->(p)",
        "  RETURN count(*) AS lines",
        "}",
        "RETURN problem, unknownProducts, lines",
    ]), "lines > 0", Moves(parties=("customer",)))


MAX_REFERRAL_DEPTH = 10_000
"""The longest referral cycle a new referral is checked against, in referrals."""


def referral_cycle(dialect: Dialect) -> list[str]:
    """``cycle``: whether ``a`` is reached from ``b`` along at most MAX_REFERRAL_DEPTH
    referrals. A shortest-path search is breadth-first: its work grows with the referrals
    reachable from ``b``, not with the number of paths (a two-wide referral ladder 30
    layers deep has 2^30 paths; enumerating them blocked every write). FalkorDB allows
    ``shortestPath`` only in WITH/RETURN, Neo4j in MATCH."""
    depth = f"*1..{MAX_REFERRAL_DEPTH}"
    if dialect.name == "neo4j":
        search = [f"  MATCH loop = shortestPath((b)-[:REFERRED{depth}]->(a))"]
    else:
        search = [f"  WITH shortestPath((b)-[:REFERRED{depth}]->(a)) AS loop"]
    return [
        *dialect.call_open(("a", "b")),
        "  WITH a, b",
        "  WHERE a IS NOT NULL AND b IS NOT NULL AND a <> b",
        *search,
        "  RETURN count(loop) > 0 AS cycle",
        "}",
    ]


def record_referral(dialect: Dialect) -> Write:
    """A referral may not close a cycle (within MAX_REFERRAL_DEPTH referrals) and a party
    is referred at most once per company (or once without one)."""
    return Write("\n".join([
        *resolve("a", "referrer"),
        *resolve("b", "referred"),
        *resolve("co", "company"),
        *referral_cycle(dialect),
        "WITH a, b, co, cycle",
        "OPTIONAL MATCH (b)<-[prior:REFERRED]-()",
        "WHERE coalesce(prior.company, '') = coalesce($company, '')",
        "WITH a, b, co, cycle, count(prior) > 0 AS already",
        "WITH a, b, CASE",
        f"  WHEN NOT {is_kind('a', ('Party',))} THEN 'referrerId'",
        f"  WHEN NOT {is_kind('b', ('Party',))} THEN 'referredId'",
        f"  WHEN $company IS NOT NULL AND NOT {is_kind('co', ('Company',))} THEN 'companyId'",
        "  WHEN a = b THEN 'SELF_REFERRAL'",
        "  WHEN cycle THEN 'REFERRAL_CYCLE'",
        "  WHEN already THEN 'ALREADY_REFERRED'",
        "END AS problem",
        *dialect.call_open(("a", "b", "problem")),
        "  WITH a, b",
        "  WHERE problem IS NULL",
        "  CREATE (a)-[r:REFERRED]->(b)",
        "  SET r = $props",
        "  RETURN count(r) AS made",
        "}",
        "RETURN problem, made",
    ]), "made > 0", Moves(parties=("referrer", "referred")))


def record_touchpoint(dialect: Dialect, label: str, first: str, second: str, second_kinds: tuple[str, ...]) -> Write:
    """An Interaction (party HAD it, WITH a company) or Feedback (party GAVE it, ABOUT a
    company, product or order)."""
    return Write("\n".join([
        f"OPTIONAL MATCH (e:{ENTITY} {{id: $id}})",
        *resolve("p", "party"),
        *resolve("t", "target"),
        "WITH e, p, t, CASE",
        "  WHEN e IS NOT NULL THEN 'DUPLICATE_ID'",
        f"  WHEN NOT {is_kind('p', ('Party',))} THEN 'partyId'",
        f"  WHEN NOT {is_kind('t', second_kinds)} THEN 'target'",
        "END AS problem",
        *dialect.call_open(("p", "t", "problem")),
        "  WITH p, t",
        "  WHERE problem IS NULL",
        f"  CREATE (n:{_labels(label)} {{id: $id}})",
        "  SET n += $props",
        f"  CREATE (p)-[:{first}]->(n)",
        f"  CREATE (n)-[:{second}]->(t)",
        f"  RETURN collect({node_summary('n')}) AS made",
        "}",
        "RETURN problem, made",
    ]), "size(made) > 0")


def merge_parties(dialect: Dialect) -> Write:
    """Move every relationship of the merged party to the survivor (MERGE: no duplicates,
    none between the two), delete it, and keep its id as an alias of the survivor."""
    lines = [
        f"MATCH (s:{ENTITY} {{id: $survivor}})",
        "WHERE s:Party",
        f"MATCH (m:{ENTITY} {{id: $merged}})",
        "WHERE m:Party",
        "WITH s, m, (s:Person AND m:Person) OR (s:Company AND m:Company) AS sameKind",
    ]
    moved = []
    for i, rel in enumerate(REL_KINDS.values()):
        if not ({"Person", "Company"} & (set(rel.start) | set(rel.end))):
            continue
        for direction in ("out", "in"):
            if direction == "out" and not {"Person", "Company"} & set(rel.start):
                continue
            if direction == "in" and not {"Person", "Company"} & set(rel.end):
                continue
            var = f"moved{i}{direction}"
            pattern_m = f"(m)-[r:{rel.type}]->(x)" if direction == "out" else f"(m)<-[r:{rel.type}]-(x)"
            pattern_s = f"(s)-[k:{rel.type}]->(x)" if direction == "out" else f"(s)<-[k:{rel.type}]-(x)"
            lines += [
                *dialect.call_open(("s", "m", "sameKind")),
                "  WITH s, m",
                "  WHERE sameKind",
                f"  MATCH {pattern_m}",
                "  WHERE x <> s AND x <> m",
                f"  MERGE {pattern_s}",
                "  SET k += properties(r)",
                "  DELETE r",
                f"  RETURN count(*) AS {var}",
                "}",
            ]
            moved.append(var)
    lines += [
        *dialect.call_open(("s", "m", "sameKind")),
        "  WITH s, m",
        "  WHERE sameKind",
        f"  OPTIONAL MATCH (old:{ALIAS})-[:{ALIAS_OF}]->(m)",
        "  WITH s, m, collect(old) AS olds",
        f"  FOREACH (a IN olds | MERGE (a)-[:{ALIAS_OF}]->(s))",
        "  DETACH DELETE m",
        f"  CREATE (:{ENTITY}:{ALIAS} {{id: $merged}})-[:{ALIAS_OF}]->(s)",
        "  RETURN count(*) AS merged",
        "}",
        f"RETURN sameKind, merged, {' + '.join(moved)} AS moved, {node_summary('s')} AS survivor",
    ]
    return Write("\n".join(lines), "merged > 0", Moves(parties=("survivor", "merged"), wide=True))
