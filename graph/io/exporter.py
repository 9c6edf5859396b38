"""Export the graph (or one company's neighbourhood) as JSON Lines that the importer reads
back into the same graph: every node, then every relationship, then aliases.

Pages are bounded and read in order: on FalkorDB by internal node id ranges (its string
range index is unreliable, see docs/model.md), on Neo4j by external id through the index.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from graph.cypher.values import decode_props
from graph.model import ALIAS, ALIAS_OF, ENTITY, NODE_KINDS, REL_KINDS, Prop
from graph.money import Money
from graph.money_rates import list_rates
from graph.store import Store

PAGE = 5000


def _line(kind: str, name: str, props: dict[str, Any], model: tuple[Prop, ...]) -> dict[str, Any]:
    """Values as the importer reads them: amounts as decimal strings in their currency;
    computed properties (an order's base total) left for the importer to work out again."""
    out: dict[str, Any] = {kind: name}
    wanted = tuple(p for p in model if p.name in props and props[p.name] is not None and not p.computed)
    for key, value in decode_props(wanted, props).items():
        if isinstance(value, Money):
            value = str(value.amount)
        out[key] = value.isoformat() if isinstance(value, datetime) else value
    return out


def _node_line(labels: list[str], props: dict[str, Any]) -> dict[str, Any] | None:
    label = next((x for x in labels if x in NODE_KINDS), None)
    if label is None:
        return None
    line = _line("node", label, props, NODE_KINDS[label].props)
    line["id"] = props["id"]
    return line


def _rel_line(type_: str, start: str, end: str, props: dict[str, Any]) -> dict[str, Any] | None:
    if type_ not in REL_KINDS:
        return None
    line = _line("rel", type_, props, REL_KINDS[type_].props)
    return {**line, "from": start, "to": end}


def page_statements(dialect_name: str, what: str, scoped: bool) -> tuple[str, str]:
    """(bounds or ids statement, page statement) for nodes or their outgoing relationships."""
    returns = ("RETURN labels(n) AS labels, properties(n) AS props" if what == "nodes" else
               "MATCH (n)-[r]->(m) RETURN type(r) AS type, n.id AS start, m.id AS end, properties(r) AS props")
    scope = "AND n.id IN $scope " if scoped else ""
    if dialect_name == "falkordb":
        return (f"MATCH (n:{ENTITY}) RETURN max(id(n)) AS top",
                f"MATCH (n:{ENTITY}) WHERE id(n) >= $lo AND id(n) < $hi {scope}WITH n {returns}")
    return (f"MATCH (n:{ENTITY}) WHERE n.id > $after {scope}RETURN n.id AS id ORDER BY id LIMIT $page",
            f"MATCH (n:{ENTITY}) WHERE n.id IN $ids WITH n {returns}")


async def _pages(store: Store, what: str, scope: list[str] | None) -> AsyncIterator[list[dict[str, Any]]]:
    """Nodes (``what='nodes'``) or their outgoing relationships, page by page."""
    first, page = page_statements(store.dialect.name, what, scope is not None)
    if store.dialect.name == "falkordb":
        top = (await store.read(first))[0]["top"]
        for lo in range(0, (top or 0) + 1, PAGE):
            yield await store.read(page, {"lo": lo, "hi": lo + PAGE, "scope": scope})
    else:
        after = ""
        while True:
            ids = [r["id"] for r in await store.read(first, {"after": after, "page": PAGE, "scope": scope})]
            if not ids:
                return
            yield await store.read(page, {"ids": ids})
            after = ids[-1]


def neighbourhood_statement(depth: int) -> str:
    return (f"MATCH (c:{ENTITY} {{id: $id}}) WHERE c:Company "
            f"MATCH (c)-[*0..{int(depth)}]-(n:{ENTITY}) WHERE NOT n:{ALIAS} RETURN collect(DISTINCT n.id) AS ids")


async def neighbourhood(store: Store, company: str, depth: int) -> list[str]:
    rows = await store.read(neighbourhood_statement(depth), {"id": company})
    return rows[0]["ids"] if rows else []


async def export_lines(store: Store, scope: list[str] | None = None) -> AsyncIterator[dict[str, Any]]:
    """The exchange rates, every node, then every relationship (both ends in scope), then
    aliases: rates first, so the importer converts the orders with them."""
    for rate in await list_rates(store, None, 10_000_000):
        yield {"exchangeRate": rate.currency, "validFrom": rate.valid_from.date().isoformat(), "rate": str(rate.rate)}
    aliases: list[dict[str, Any]] = []
    async for page in _pages(store, "nodes", scope):
        for row in page:
            line = _node_line(row["labels"], row["props"])
            if line is not None:
                yield line
    keep = set(scope) if scope is not None else None
    async for page in _pages(store, "relationships", scope):
        for row in page:
            if row["type"] == ALIAS_OF:
                aliases.append({"alias": row["start"], "of": row["end"]})
                continue
            if keep is not None and row["end"] not in keep:
                continue
            line = _rel_line(row["type"], row["start"], row["end"], row["props"])
            if line is not None:
                yield line
    for alias in aliases:
        yield alias
