"""Keyset paging never repeats or skips a row, whatever the sort key.

Property-based: hypothesis builds small graphs full of ties, nulls, duplicated values
and floats that do not survive printing (0.1 + 0.2 is 0.30000000000000004, which FalkorDB
prints as 0.3; 1/3), amounts in minor units whose sums tie, and every paged field of the
schema is walked forwards page by page, for every value of its ``orderBy`` enum in both
directions, with random page sizes. The list of paged fields comes from the schema
itself, so a connection added tomorrow is walked the day it is added; a field with
``after`` the walker does not know fails the test.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import strawberry
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, get_named_type
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from graph.model import NODE_KINDS, REL_KINDS, PropType, rel_field
from seeds.loader import load
from seeds.stories import Dataset
from tests.conftest import GraphQLClient

MAX = 100  # the default maximum page size: one read of every row
PAGED_ELSEWHERE = {("Query", "indirectCustomers"): "walked by test_indirect_customers_pages_are_exact",
                   ("Query", "auditLog"): "keys are integers and ids (exact when printed); test_audit"}


@dataclass(frozen=True)
class Connection:
    owner: str  # "Query" for a root field, else the type whose field it is
    field: str
    sort_fields: tuple[str, ...]  # the values of its orderBy enum


def paged_fields(schema: Any) -> list[Connection]:
    """Every field with ``after`` in the schema, with the values its ``orderBy`` offers."""
    out = []
    for tname, t in sorted(schema.type_map.items()):
        if not isinstance(t, GraphQLObjectType) or tname.startswith("__"):
            continue
        for fname, f in t.fields.items():
            if "after" not in f.args or (tname, fname) in PAGED_ELSEWHERE:
                continue
            assert "orderBy" in f.args, f"{tname}.{fname} pages with `after` but the walker does not know it"
            sort_input = get_named_type(f.args["orderBy"].type)
            assert isinstance(sort_input, GraphQLInputObjectType)
            enum = get_named_type(sort_input.fields["field"].type)
            assert isinstance(enum, GraphQLEnumType)
            out.append(Connection(tname, fname, tuple(enum.values)))
    return out


# -- graphs ---------------------------------------------------------------------------------

THIRD = 1 / 3
FLOATS = [0.1, 0.2, 0.1 + 0.2, 0.3, THIRD, 2 * THIRD, 1.0, 1e16 + 2, None]  # 0.1+0.2 prints as 0.3
STRINGS = ["a", "b", "B", "", "é", None]
BASE = datetime(2026, 1, 1, tzinfo=UTC)


def _value(type_: PropType, r: random.Random) -> Any:
    if type_ is PropType.MONEY:  # minor units (graph.money): ties and nulls
        return r.choice([0, 10, 20, 30, 30, 10**15, None])
    if type_ is PropType.FLOAT:
        return r.choice(FLOATS)
    if type_ is PropType.INT:
        return r.choice([0, 1, 1, 2, -3, None])
    if type_ is PropType.DATETIME:
        return r.choice([BASE, BASE, BASE + timedelta(milliseconds=1), BASE + timedelta(days=9), None])
    if type_ is PropType.BOOL:
        return r.choice([True, False, None])
    if type_ is PropType.STRING_LIST:
        return r.choice([["x"], None])
    return r.choice(STRINGS)


def build_graph(seed: int, per_label: int, edges: int) -> Dataset:
    """Nodes of every kind with values drawn from small pools (ties, nulls, awkward floats),
    and random relationships of every kind between them."""
    r = random.Random(seed)
    d = Dataset()
    ids: dict[str, list[str]] = {}
    for label, kind in NODE_KINDS.items():
        count = per_label * (4 if label == "Order" else 1)
        ids[label] = [f"t:{label.lower()}:{i:02d}" for i in range(count)]
        d.nodes[label] = [{"id": i, **{p.name: _value(p.type, r) for p in kind.props if p.name != "id"}}
                          for i in ids[label]]
    for type_, rel in REL_KINDS.items():
        pairs = {(r.choice(ids[r.choice(rel.start)]), r.choice(ids[r.choice(rel.end)])) for _ in range(edges)}
        d.rels[type_] = [(a, b, {p.name: _value(p.type, r) for p in rel.props}) for a, b in sorted(pairs) if a != b]
    # every order placed by one party and sold by one of three companies: long customer lists
    parties = ids["Person"] + ids["Company"]
    d.rels["PLACED"] = [(r.choice(parties), o, {}) for o in ids["Order"]]
    d.rels["SOLD_BY"] = [(o, r.choice(ids["Company"][:3]), {}) for o in ids["Order"]]
    # sums that tie: orders of 0.10 and 0.20 from the same customer to the same seller sum
    # to 0.30 (once a float 0.30000000000000004), next to a customer whose one order is 0.30
    totals = {o["id"]: o for o in d.nodes["Order"]}
    for i, o in enumerate(ids["Order"][:6]):
        totals[o]["total"] = totals[o]["baseTotal"] = [10, 20, 30, 10, 10, 10][i]
        totals[o]["currency"] = "USD"
        totals[o]["status"] = "paid"
    seller, a, b, c = ids["Company"][0], ids["Person"][0], ids["Person"][1], ids["Company"][1]
    d.rels["PLACED"] = [x for x in d.rels["PLACED"] if x[1] not in ids["Order"][:6]] + [
        (a, ids["Order"][0], {}), (a, ids["Order"][1], {}), (b, ids["Order"][2], {}),
        (c, ids["Order"][3], {}), (c, ids["Order"][4], {}), (c, ids["Order"][5], {})]
    d.rels["SOLD_BY"] = [x for x in d.rels["SOLD_BY"] if x[0] not in ids["Order"][:6]] + [
        (o, seller, {}) for o in ids["Order"][:6]]
    return d


# -- walking --------------------------------------------------------------------------------

PAGE = "totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage endCursor }"


@dataclass
class Walk:
    alias: str
    field: str
    order: str  # the orderBy literal
    first: int
    after: str | None = None
    ids: list[str] | None = None
    pages: int = 0
    done: bool = False


LOOKUPS = {"Person": "person", "Company": "company", "Product": "product", "Order": "order"}
"""The typed root lookups; other types are reached through ``node(id:)``."""


def _document(conn: Connection, walks: list[Walk], unpaged: bool) -> tuple[str, dict[str, Any]]:
    parts, variables, decls = [], {}, ["$id: ID!"] if conn.owner != "Query" else []
    for w in walks:
        args = f"first: {MAX if unpaged else w.first}, orderBy: {w.order}"
        if not unpaged and w.after is not None:
            decls.append(f"$a_{w.alias}: String")
            variables[f"a_{w.alias}"] = w.after
            args += f", after: $a_{w.alias}"
        parts.append(f"{w.alias}: {w.field}({args}) {{ {PAGE} }}")
    body = " ".join(parts)
    if conn.owner in LOOKUPS:
        body = f"parent: {LOOKUPS[conn.owner]}(id: $id) {{ {body} }}"
    elif conn.owner != "Query":
        body = f"parent: node(id: $id) {{ ... on {conn.owner} {{ {body} }} }}"
    return f"query{'(' + ', '.join(decls) + ')' if decls else ''} {{ {body} }}", variables


async def _run(client: GraphQLClient, conn: Connection, walks: list[Walk], parent: str | None,
               unpaged: bool) -> dict[str, Any]:
    document, variables = _document(conn, walks, unpaged)
    if parent is not None:
        variables["id"] = parent
    result = await client.execute(document, variables)
    assert result.errors is None, (document, variables, result.errors)
    data = result.data
    return data if conn.owner == "Query" else (data["parent"] or {})


async def walk_connection(client: GraphQLClient, conn: Connection, parent: str | None,
                          sizes: random.Random) -> int:
    """Walk every ordering of ``conn`` (under ``parent``); returns how many rows were checked."""
    walks = [Walk(f"w{i}_{d.lower()}", conn.field, f"[{{field: {v}, direction: {d}}}]", sizes.randint(1, 3))
             for i, v in enumerate(conn.sort_fields) for d in ("ASC", "DESC")]
    full = await _run(client, conn, walks, parent, unpaged=True)
    expected = {}
    for w in walks:
        page = full[w.alias]
        assert not page["pageInfo"]["hasNextPage"], "the test graph outgrew one unpaged read"
        expected[w.alias] = [e["node"]["id"] for e in page["edges"]]
        assert page["totalCount"] == len(expected[w.alias]), (conn, w.order)
        w.ids = []
    while active := [w for w in walks if not w.done]:
        data = await _run(client, conn, active, parent, unpaged=False)
        for w in active:
            page = data[w.alias]
            got = [e["node"]["id"] for e in page["edges"]]
            assert page["totalCount"] == len(expected[w.alias]), (conn, w.order)
            assert page["pageInfo"]["hasPreviousPage"] is (w.after is not None)
            assert len(got) <= w.first
            w.ids = (w.ids or []) + got
            w.pages += 1
            assert w.pages <= len(expected[w.alias]) + 1, (conn, w.order, "the walk does not end")
            if page["pageInfo"]["hasNextPage"]:
                assert got, (conn, w.order, "an empty page that says more follow")
                w.after = page["pageInfo"]["endCursor"]
            else:
                w.done = True
    for w in walks:
        where = f"{conn.owner}.{conn.field} {w.order} first={w.first} under {parent}"
        assert w.ids == expected[w.alias], (where, w.ids, expected[w.alias])
        assert len(set(w.ids or [])) == len(w.ids or []), (where, "a row came twice")
    return sum(len(v) for v in expected.values())


def busiest_parents(data: Dataset, owner: str, field: str) -> list[str]:
    """Nodes of ``owner``, those with the longest ``field`` list first (from the data)."""
    label_of = {n["id"]: label for label, rows in data.nodes.items() for n in rows}
    hops = rel_field(owner, field).hops
    counts = {}
    for start in (n["id"] for n in data.nodes[owner]):
        reached = {start}
        for hop in hops:
            ends = {b if hop.direction == "out" else a for a, b, _ in data.rels[hop.rel]
                    if (a if hop.direction == "out" else b) in reached}
            reached = {e for e in ends if hop.label in (None, "Party") or label_of[e] == hop.label}
        counts[start] = len(reached)
    return sorted(counts, key=lambda i: (-counts[i], i))


async def test_every_paged_field_is_exact_in_every_order(schema: strawberry.Schema,
                                                         falkordb_server: EmbeddedFalkorDB) -> None:
    connections = paged_fields(schema._schema)
    assert len(connections) >= 30 and any(c.field == "customers" for c in connections)
    socket = str(falkordb_server.socket_path)
    checked = {"rows": 0}

    @settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(seed=st.integers(0, 10_000), per_label=st.integers(6, 9), edges=st.integers(25, 50),
           sizes=st.integers(0, 10_000))
    def examples(seed: int, per_label: int, edges: int, sizes: int) -> None:
        data = build_graph(seed, per_label, edges)

        async def go() -> None:
            store = FalkorDBStore(socket, "keyset")
            try:
                await store.ensure_schema()
                await store.clear()
                await load(store, data)
                client = GraphQLClient(schema, store)
                rng = random.Random(sizes)
                for conn in connections:
                    parent = None
                    if conn.owner != "Query":  # one of the busiest parents
                        parent = rng.choice(busiest_parents(data, conn.owner, conn.field)[:2])
                    checked["rows"] += await walk_connection(client, conn, parent, rng)
            finally:
                await store.clear()
                await store.close()

        asyncio.run(go())

    await asyncio.to_thread(examples)
    assert checked["rows"] > 1000  # the walks did cover rows, not empty lists
