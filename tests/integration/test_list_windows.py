"""Big lists read an index window: the same pages as a sort of every row.

``graph.cypher.horizons``: the statement reads the rows on the near side of a horizon
first (orders newest first: at or after it; people, companies, products and parties A to
Z: a name key at or below it) and falls back to every row when they do not hold a page.
The answer must not depend on the horizon: for every horizon (below every key, on a tie,
above every key), filter, page size and cursor, the pages equal the plain sort's, on the
real store.
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import strawberry

from graph.access import ANONYMOUS_ADMIN, Access, Role
from graph.cypher.compiler import Compiler
from graph.cypher.horizons import WINDOWED, Horizons, window_for
from graph.cypher.name_keys import backfill_name_keys, recheck_name_keys
from graph.cypher.plan import NodeSelection, Page, RootConnection
from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from graph.io.importer import Importer, Source
from graph.model import NAME_KEY
from graph.mutations import service
from graph.sort_keys import name_key
from graph.cypher.scope import Scope
from graph.store import Store
from schema.context import Context
from seeds.loader import load
from seeds.stories import Dataset
from seeds.synthetic import SyntheticSpec, generate_into
from tests.conftest import graph_pair

BASE = datetime(2026, 1, 1, tzinfo=UTC)
TIMES = [BASE + timedelta(days=d) for d in (0, 0, 1, 2, 2, 2, 5, 9)] + [None]  # ties and nulls
STATUSES = ["open", "paid", "shipped", "delivered"]
PAGE = "edges { cursor node { id placedAt status } } pageInfo { hasNextPage endCursor }"
FILTERS = [None, '{status: {eq: "open"}}', '{status: {in: ["paid", "shipped"]}}', '{status: {eq: "returned"}}']


def orders_graph(seed: int, count: int) -> Dataset:
    r = random.Random(seed)
    d = Dataset()
    d.nodes["Person"] = [{"id": "t:person:1", "name": "P"}]
    d.nodes["Company"] = [{"id": "t:company:1", "name": "C"}]
    d.nodes["Order"] = [{"id": f"t:order:{i:03d}", "placedAt": r.choice(TIMES), "status": r.choice(STATUSES),
                         "channel": "web"} for i in range(count)]
    d.rels["PLACED"] = [("t:person:1", o["id"], {}) for o in d.nodes["Order"]]
    d.rels["SOLD_BY"] = [(o["id"], "t:company:1", {}) for o in d.nodes["Order"]]
    return d


async def walk(schema: strawberry.Schema, context: Context, first: int, filter_: str | None) -> list[Any]:
    """Every page of ``orders``, as answered."""
    pages: list[Any] = []
    after = None
    while True:
        args = [f"first: {first}"] + ([f'after: "{after}"'] if after else []) + \
            ([f"filter: {filter_}"] if filter_ else [])
        result = await schema.execute(f"{{ orders({', '.join(args)}) {{ {PAGE} }} }}", context_value=context)
        assert result.errors is None, result.errors
        page = result.data["orders"]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]


def horizons_at(value: int, label: str = "Order", sort: str = "placedAt", descending: bool = True) -> Horizons:
    window = window_for(label, sort, descending)
    assert window is not None
    horizons = Horizons()
    horizons.update({window: value})
    return horizons


@pytest.mark.parametrize("seed", [1, 2])
async def test_pages_equal_the_plain_sort_for_every_horizon(schema: strawberry.Schema, empty_store: Store,
                                                            seed: int) -> None:
    await load(empty_store, orders_graph(seed, 60))
    plain = Context(empty_store, Compiler(empty_store.dialect), access=ANONYMOUS_ADMIN)
    keys = sorted({int(t.timestamp() * 1000) for t in TIMES if t is not None})
    horizons = [keys[0] - 1, *keys, keys[-1] + 1]  # below all, on each (tied) key, above all
    sent: list[str] = []
    stop = empty_store.add_listener(lambda query, _params: sent.append(query))
    for first in (1, 4, 25):
        for filter_ in FILTERS:
            expected = await walk(schema, plain, first, filter_)
            for value in horizons:
                windowed = Context(empty_store, Compiler(empty_store.dialect, horizons=horizons_at(value)),
                                   access=ANONYMOUS_ADMIN)
                sent.clear()
                assert await walk(schema, windowed, first, filter_) == expected, (first, filter_, value)
                assert sent and all("AS w0" in query for query in sent)  # every page read the window
    stop()


async def test_a_partner_gets_the_same_pages_with_or_without_a_window(schema: strawberry.Schema,
                                                                       empty_store: Store) -> None:
    """The partner's visibility predicate is inside the window's read too: what it pages
    through is its own scope's orders, the same as the plain sort's, never more."""
    graph = orders_graph(4, 60)
    graph.nodes["Company"].append({"id": "t:company:2", "name": "Other"})
    graph.rels["SOLD_BY"] = [(o["id"], "t:company:1" if i % 3 else "t:company:2", {})
                             for i, o in enumerate(graph.nodes["Order"])]
    await load(empty_store, graph)
    access = Access(Role.PARTNER, company_id="t:company:2", scope_depth=2)
    scope = Scope(access)
    plain = Context(empty_store, Compiler(empty_store.dialect).scoped(scope), access=access)
    admin = Context(empty_store, Compiler(empty_store.dialect), access=ANONYMOUS_ADMIN)
    keys = sorted({int(t.timestamp() * 1000) for t in TIMES if t is not None})
    for first in (3, 25):
        expected = await walk(schema, plain, first, None)
        seen = {e["node"]["id"] for page in expected for e in page["edges"]}
        everyone = {e["node"]["id"] for page in await walk(schema, admin, 100, None) for e in page["edges"]}
        assert seen and seen < everyone  # the partner sees some orders, not all
        for value in (keys[0] - 1, keys[3], keys[-1] + 1):
            compiler = Compiler(empty_store.dialect, horizons=horizons_at(value)).scoped(scope)
            windowed = Context(empty_store, compiler, access=access)
            sent: list[str] = []
            stop = empty_store.add_listener(lambda query, _params: sent.append(query))
            try:
                assert await walk(schema, windowed, first, None) == expected, (first, value)
            finally:
                stop()
            assert sent and all("AS w0" in query for query in sent)  # the partner's pages read the window


async def test_refresh_finds_the_horizon_or_none(empty_store: Store) -> None:
    await load(empty_store, orders_graph(3, 30))
    rows = await empty_store.read("MATCH (o:Order) WHERE o.placedAt IS NOT NULL "
                                  "RETURN o.placedAt AS k ORDER BY k DESC")
    keys = [row["k"] for row in rows]
    horizons = Horizons()
    orders = window_for("Order", "placedAt", True)
    assert orders is not None
    await horizons.refresh(empty_store, rows_in_window=10)
    assert horizons.get(orders) == keys[10]
    assert horizons.version == 1
    await horizons.refresh(empty_store, rows_in_window=10)
    assert horizons.version == 1  # unchanged: cached statements stay
    await horizons.refresh(empty_store, rows_in_window=len(keys))
    assert horizons.get(orders) is None  # a list this small sorts cheaply


def test_windowed_lists_are_the_indexed_timestamps_and_names() -> None:
    assert ("Order", "placedAt") in WINDOWED
    assert {("Person", "name"), ("Company", "name"), ("Product", "name"), ("Party", "name")} <= set(WINDOWED)
    assert window_for("Person", "name", True) is None  # Z to A sorts every row


# Names that share key prefixes, tie, differ past the key's characters, or leave ASCII
# (where the key stops), as well as a missing name (it sorts as the empty string).
NAMES = ["Ann", "Ann", "ann", "Anna Smithson", "Anna Smithsonian", "Anna Smith", "Bo", "Émile", "Éva", "Zoë",
         "Zoe", "中村", "", "O'Neil", "Person 1", "Person 10", "Person 100", "Person 2", "😀 Smile", None]
CITIES = ["Boston", "Austin", None]
PEOPLE = "edges { cursor node { id name } } pageInfo { hasNextPage endCursor }"
NAME_FILTERS = [None, '{city: {eq: "Boston"}}', '{name: {startsWith: "Ann"}}', '{city: {eq: "Nowhere"}}']


def people_graph(seed: int, count: int) -> Dataset:
    r = random.Random(seed)
    d = Dataset()
    d.nodes["Person"] = [{"id": f"t:person:{i:03d}", "name": r.choice(NAMES), "city": r.choice(CITIES)}
                         for i in range(count)]
    d.nodes["Company"] = [{"id": f"t:company:{i:03d}", "name": r.choice(NAMES), "city": r.choice(CITIES)}
                          for i in range(count // 3)]
    return d


async def walk_list(schema: strawberry.Schema, context: Context, field: str, first: int,
                    filter_: str | None, page: str = PEOPLE) -> list[Any]:
    pages: list[Any] = []
    after = None
    while True:
        args = [f"first: {first}"] + ([f'after: "{after}"'] if after else []) + \
            ([f"filter: {filter_}"] if filter_ else [])
        result = await schema.execute(f"{{ {field}({', '.join(args)}) {{ {page} }} }}", context_value=context)
        assert result.errors is None, result.errors
        got = result.data[field]
        pages.append(got)
        if not got["pageInfo"]["hasNextPage"]:
            return pages
        after = got["pageInfo"]["endCursor"]


@pytest.mark.parametrize(("field", "label"), [("people", "Person"), ("parties", "Party")])
async def test_name_pages_equal_the_plain_sort_for_every_horizon(schema: strawberry.Schema, empty_store: Store,
                                                                 field: str, label: str) -> None:
    await load(empty_store, people_graph(7, 60))
    plain = Context(empty_store, Compiler(empty_store.dialect), access=ANONYMOUS_ADMIN)
    keys = sorted({name_key(n) for n in NAMES})
    horizons = [keys[0] - 1, *keys, keys[-1] + 1]  # below all, on each (tied) key, above all
    sent: list[str] = []
    stop = empty_store.add_listener(lambda query, _params: sent.append(query))
    try:
        for first in (1, 7, 50):
            for filter_ in NAME_FILTERS:
                expected = await walk_list(schema, plain, field, first, filter_)
                for value in horizons:
                    compiler = Compiler(empty_store.dialect, horizons=horizons_at(value, label, "name", False))
                    windowed = Context(empty_store, compiler, access=ANONYMOUS_ADMIN)
                    sent.clear()
                    got = await walk_list(schema, windowed, field, first, filter_)
                    assert got == expected, (first, filter_, value)
                    assert sent and all("AS w0" in query for query in sent)
    finally:
        stop()


async def test_a_partner_gets_the_same_parties_with_or_without_a_window(schema: strawberry.Schema,
                                                                        empty_store: Store) -> None:
    graph = people_graph(8, 45)
    graph.nodes["Company"].append({"id": "t:company:seller", "name": "Seller"})
    graph.nodes["Order"] = [{"id": f"t:order:{i}", "placedAt": BASE, "channel": "web"} for i in range(10)]
    graph.rels["PLACED"] = [(f"t:person:{i * 3:03d}", f"t:order:{i}", {}) for i in range(10)]
    graph.rels["SOLD_BY"] = [(f"t:order:{i}", "t:company:seller", {}) for i in range(10)]
    await load(empty_store, graph)
    access = Access(Role.PARTNER, company_id="t:company:seller", scope_depth=2)
    scope = Scope(access)
    plain = Context(empty_store, Compiler(empty_store.dialect).scoped(scope), access=access)
    expected = await walk_list(schema, plain, "parties", 4, None)
    seen = {e["node"]["id"] for page in expected for e in page["edges"]}
    assert seen and len(seen) < 45  # the partner sees its customers (and itself), not everyone
    for value in (0, name_key("Ann"), name_key("Zoe"), 2**62):
        compiler = Compiler(empty_store.dialect, horizons=horizons_at(value, "Party", "name", False)).scoped(scope)
        windowed = Context(empty_store, compiler, access=access)
        assert await walk_list(schema, windowed, "parties", 4, None) == expected, value


async def keys_and_names(store: Store) -> tuple[dict[str, int | None], dict[str, int]]:
    """Each named node's stored key, and the key of its stored name."""
    rows = await store.read("MATCH (n) WHERE n:Person OR n:Company OR n:Product "
                            f"RETURN n.id AS id, n.name AS name, n.{NAME_KEY} AS key")
    return {row["id"]: row["key"] for row in rows}, {row["id"]: name_key(row["name"]) for row in rows}


IMPORT_LINES = [{"node": "Person", "id": "t:person:003", "name": "Imported"},
                {"node": "Company", "id": "t:company:imp", "name": "Über GmbH"},
                {"node": "Product", "id": "t:product:imp", "name": "Gadget"}]


async def test_every_write_path_keeps_each_name_key(empty_store: Store, tmp_path: Path) -> None:
    """The window is only as right as the keys: each way a name is written sets its key."""
    await load(empty_store, people_graph(9, 12))  # the seed loader
    await service.create_node(empty_store, "Person", {"id": "t:person:new", "name": "Zed"})
    await service.create_node(empty_store, "Company", {"id": "t:company:new", "name": "Acme"}, upsert=True)
    await service.update_node(empty_store, "Person", "t:person:001", {"name": "Renamed"})
    await service.update_node(empty_store, "Person", "t:person:002", {"city": "Austin"})  # name untouched
    await service.create_node(empty_store, "Product", {"id": "t:product:1", "name": "Widget", "price": "1.50"})
    path = tmp_path / "lines.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in IMPORT_LINES))
    report = await Importer(empty_store).run(Source(path))
    assert report.rejected == 0
    stored, expected = await keys_and_names(empty_store)
    assert len(stored) > 15 and stored == expected
    assert expected["t:person:001"] == name_key("Renamed") != name_key("Person 1")


async def test_bulk_paths_store_each_name_key(falkordb_server: EmbeddedFalkorDB, tmp_path: Path) -> None:
    """GRAPH.BULK (a first import into an empty store, the synthetic generator) and the
    synthetic generator's upserts."""
    path = tmp_path / "lines.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in IMPORT_LINES))
    async with graph_pair(falkordb_server, ("keys-import", "keys-synthetic")) as (imported, synthetic):
        report = await Importer(imported, bulk=True).run(Source(path))
        assert report.rejected == 0
        stored, expected = await keys_and_names(imported)
        assert len(stored) == 3 and stored == expected
        spec = SyntheticSpec(people=40, companies=8, products=10, orders=30, seed=3)
        await generate_into(synthetic, spec, bulk=True)
        stored, expected = await keys_and_names(synthetic)
        assert len(stored) == 58 and stored == expected
        await imported.clear()
        await generate_into(imported, spec, bulk=False)
        assert await keys_and_names(imported) == (stored, expected)


async def test_backfill_keys_nodes_written_without_one(empty_store: Store) -> None:
    """A graph written before name keys existed gets them on the first refresh."""
    await load(empty_store, people_graph(10, 30))
    await empty_store.write(f"MATCH (n:Person) WHERE toString(n.id) < 't:person:020' REMOVE n.{NAME_KEY}")
    assert await backfill_name_keys(empty_store, batch=7) == 20
    rows = await empty_store.read(f"MATCH (n:Person) RETURN n.name AS name, n.{NAME_KEY} AS key")
    assert all(row["key"] == name_key(row["name"]) for row in rows)
    assert await backfill_name_keys(empty_store) == 0


async def test_no_window_where_the_horizon_key_is_shared_by_too_many_rows(empty_store: Store) -> None:
    """Names alike in their first characters share a key: a window on it would hold them
    all, which costs more than the sort it saves, so that list keeps sorting."""
    graph = Dataset()
    graph.nodes["Person"] = [{"id": f"t:person:{i:03d}", "name": f"Customer {i:03d}"} for i in range(40)]
    graph.nodes["Company"] = [{"id": f"t:company:{i:03d}", "name": f"{chr(65 + i % 26)}{i:02d} Ltd"}
                              for i in range(40)]
    await load(empty_store, graph)
    horizons = Horizons()
    await horizons.refresh(empty_store, rows_in_window=10, max_rows=20)
    people, companies = window_for("Person", "name", False), window_for("Company", "name", False)
    assert people is not None and companies is not None
    assert horizons.get(people) is None  # every "Customer ..." has one key: 40 rows > 20
    eleventh = sorted(c["name"] for c in graph.nodes["Company"])[10]
    assert horizons.get(companies) == name_key(eleventh)  # the window holds 11 companies


async def test_name_prefix_filters_read_the_key_range_and_answer_as_starts_with(
        schema: strawberry.Schema, empty_store: Store) -> None:
    """``name: {startsWith}`` also bounds the name key (graph.cypher.filters), which the
    index answers; the people found are exactly those whose name starts with the prefix,
    negated or not, for prefixes shorter and longer than the key and outside ASCII."""
    graph = people_graph(11, 60)
    await load(empty_store, graph)
    horizons = Horizons()
    await horizons.refresh(empty_store)  # every name has its key: prefixes may read ranges
    assert horizons.names_keyed
    context = Context(empty_store, Compiler(empty_store.dialect, horizons=horizons), access=ANONYMOUS_ADMIN)
    people = {p["id"]: p["name"] for p in graph.nodes["Person"]}
    prefixes = {"", "A", "Ann", "ann", "Anna Smith", "Anna Smithso", "Anna Smithsonia", "É", "Ém", "中", "😀",
                "Person 1", "Person 10", "Zo", "Zz", "O'"}
    sent: list[str] = []
    stop = empty_store.add_listener(lambda query, _params: sent.append(query))
    try:
        for prefix in sorted(prefixes):
            for negated in (False, True):
                term = f"{{name: {{startsWith: {json.dumps(prefix)}}}}}"
                filter_ = f"{{NOT: {term}}}" if negated else term
                result = await schema.execute(f"{{ people(first: 100, filter: {filter_}) {{ edges {{ node {{ id }} }} }} }}",
                                              context_value=context)
                assert result.errors is None, result.errors
                got = {e["node"]["id"] for e in result.data["people"]["edges"]}
                expected = {i for i, name in people.items() if name is not None and name.startswith(prefix) != negated}
                assert got == expected, (prefix, negated)
    finally:
        stop()
    assert any(f"{NAME_KEY} >=" in query for query in sent)


async def test_the_seed_loader_keeps_or_gives_keys_whatever_a_row_leaves_out(empty_store: Store) -> None:
    first, again = Dataset(), Dataset()
    first.nodes["Person"] = [{"id": "t:person:1", "name": "Zed"}, {"id": "t:person:2", "city": "Oslo"}]
    again.nodes["Person"] = [{"id": "t:person:1", "city": "Oslo"}]  # a re-load without the name
    await load(empty_store, first)
    await load(empty_store, again)
    stored, expected = await keys_and_names(empty_store)
    assert stored == expected == {"t:person:1": name_key("Zed"), "t:person:2": 0}


async def test_workers_backfilling_together_all_finish_with_every_key(empty_store: Store,
                                                                       falkordb_server: EmbeddedFalkorDB) -> None:
    """Two workers start on a graph without keys: each reads on until no node is left
    unkeyed (a batch the other took is read no more), so neither turns windows on early."""
    await load(empty_store, people_graph(12, 300))
    await empty_store.write(f"MATCH (n:Person) REMOVE n.{NAME_KEY}")
    if empty_store.dialect.name != "falkordb":
        pytest.skip("two connections to one FalkorDB graph")
    other = FalkorDBStore(str(falkordb_server.socket_path), empty_store.graph_name)  # type: ignore[attr-defined]
    try:
        first, second = Horizons(), Horizons()
        await asyncio.gather(first.refresh(empty_store, rows_in_window=5), second.refresh(other, rows_in_window=5))
        for horizons in (first, second):
            assert horizons.names_keyed
            unkeyed = await empty_store.read(f"MATCH (n:Person) WHERE n.{NAME_KEY} IS NULL RETURN count(n) AS n")
            assert unkeyed == [{"n": 0}]
        assert first.values == second.values
    finally:
        await other.close()


async def test_name_prefixes_read_no_key_range_until_every_key_is_known(empty_store: Store) -> None:
    """A graph from an older version has names without keys: a key range would drop them."""
    await load(empty_store, people_graph(13, 30))
    await empty_store.write(f"MATCH (n:Person) REMOVE n.{NAME_KEY}")
    plan_text = lambda compiler: compiler.connection(RootConnection(  # noqa: E731
        "Person", NodeSelection(("Person",), {"name"}), filter={"name": {"startsWith": "Ann"}},
        page=Page(10), argument_path="people")).text
    fresh = Horizons()
    assert NAME_KEY not in plan_text(Compiler(empty_store.dialect, horizons=fresh))
    await fresh.refresh(empty_store, rows_in_window=5)
    assert fresh.names_keyed
    assert f"n0.{NAME_KEY} >=" in plan_text(Compiler(empty_store.dialect, horizons=fresh))


async def test_a_recheck_corrects_keys_left_by_a_writer_that_knows_none(schema: strawberry.Schema,
                                                                         empty_store: Store) -> None:
    """A rename made around the service (an older version, Cypher by hand) leaves the old
    key; ``crmgraph analytics refresh --recount`` finds and corrects it."""
    graph = people_graph(14, 300)
    await load(empty_store, graph)
    await empty_store.write("MATCH (n:Person {id: 't:person:150'}) SET n.name = 'Aardvark'")
    await empty_store.write("MATCH (n:Person {id: 't:person:151'}) SET n.name = 'Zz Top'")
    assert await recheck_name_keys(empty_store, batch=16) == 2
    stored, expected = await keys_and_names(empty_store)
    assert stored == expected
    assert await recheck_name_keys(empty_store, batch=16) == 0
