"""Big lists newest first read an index window: the same pages as a sort of every row.

``graph.cypher.horizons``: the statement reads the rows at or after a horizon first and
falls back to every row when they do not hold a page. The answer must not depend on the
horizon: for every horizon (below every key, on a tie, above every key), filter, page
size and cursor, the pages equal the plain sort's, on the real store.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import strawberry

from graph.access import ANONYMOUS_ADMIN, Access, Role
from graph.cypher.compiler import Compiler
from graph.cypher.horizons import WINDOWED, Horizons
from graph.cypher.scope import Scope
from graph.store import Store
from schema.context import Context
from seeds.loader import load
from seeds.stories import Dataset

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


def horizons_at(value: int) -> Horizons:
    horizons = Horizons()
    horizons.update({("Order", "placedAt"): value})
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
    await horizons.refresh(empty_store, rows_in_window=10)
    assert horizons.get("Order", "placedAt") == keys[10]
    assert horizons.version == 1
    await horizons.refresh(empty_store, rows_in_window=10)
    assert horizons.version == 1  # unchanged: cached statements stay
    await horizons.refresh(empty_store, rows_in_window=len(keys))
    assert horizons.get("Order", "placedAt") is None  # a list this small sorts cheaply


def test_windowed_lists_are_the_indexed_timestamps() -> None:
    assert ("Order", "placedAt") in WINDOWED
    assert all(label not in ("Person", "Company", "Party") for label, _ in WINDOWED)
