"""A first import into an empty embedded store goes through GRAPH.BULK: the same graph,
the same refused lines with the same reasons, and the schema holding afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from redis.exceptions import ResponseError

from graph.analytics import cohorts
from graph.bulk.new_graph import NotEmptyError
from graph.embedded import EmbeddedFalkorDB
from graph.falkordb_store import FalkorDBStore
from graph.io.importer import Importer, Source
from graph.io.rows import RowError
from graph.model import INDEXES
from seeds.synthetic import SyntheticSpec, import_lines
from tests.conftest import graph_pair
from tests.integration.test_import_export import canonical, exported, write_lines
from tests.integration.test_seeds import fingerprint

SPEC = SyntheticSpec(people=200, companies=30, products=50, orders=400, seed=5, currencies=("USD", "EUR", "JPY"))
AWKWARD: list[Any] = [
    {"rel": "WORKS_FOR", "from": "person:a", "to": "company:c", "title": "CTO"},  # before its nodes: fine
    {"node": "Person", "id": "person:a", "name": "A", "age": 30},
    {"node": "Company", "id": "company:c", "name": "C"},
    {"node": "Person", "id": "person:a", "name": "A", "city": "Oslo"},  # the same node again: merged
    {"node": "Person", "id": "company:c", "name": "clash"},  # the id of a Company
    {"node": "Person", "id": "person:b", "name": "B", "age": "thirty"},
    {"rel": "SUPPLIES", "from": "company:c", "to": "company:nowhere"},
    {"rel": "WORKS_FOR", "from": "company:c", "to": "person:a"},  # ends of the wrong kinds
    {"node": "Spaceship", "id": "x"},
    b"{not json",
    {"rel": "SUPPLIES", "from": "company:c", "to": "company:c"},
    {"rel": "WORKS_FOR", "from": "person:a", "to": "company:c", "title": "CTO"},  # again: one relationship
    {"alias": "person:a-dup", "of": "person:a"},
    {"alias": "person:c-dup", "of": "company:nowhere"},
    {"node": "Order", "id": "order:eur", "placedAt": "2023-01-15T00:00:00Z", "total": "2.50", "currency": "EUR"},
    {"exchangeRate": "EUR", "validFrom": "2023-01-01", "rate": "9.9"},  # an order converted with another
    {"exchangeRate": "USD", "validFrom": "2023-01-01", "rate": "1"},  # the base currency
    {"node": "Order", "id": "order:x", "placedAt": "2020-01-01T00:00:00Z", "total": "1.5", "currency": "EUR"},
    {"node": "Order", "id": "order:y", "placedAt": "2024-01-01T00:00:00Z", "total": "1.239", "currency": "USD"},
    {"node": "Company", "id": "company:d", "name": "D"},
    {"rel": "SOLD_BY", "from": "order:eur", "to": "company:c"},
    {"rel": "SOLD_BY", "from": "order:eur", "to": "company:d"},  # a second seller
    {"rel": "SOLD_BY", "from": "order:eur", "to": "company:c"},  # the same seller again: fine
    {"rel": "PLACED", "from": "person:a", "to": "order:eur"},
    {"rel": "PLACED", "from": "company:d", "to": "order:eur"},  # a second customer
]


@pytest.fixture
async def two_stores(falkordb_server: EmbeddedFalkorDB) -> AsyncIterator[tuple[FalkorDBStore, FalkorDBStore]]:
    async with graph_pair(falkordb_server, ("import_bulk", "import_upsert")) as pair:
        yield pair


async def _import(store: FalkorDBStore, file: Path, bulk: bool | None) -> tuple[Any, list[tuple[int, str]]]:
    errors: list[RowError] = []
    report = await Importer(store, batch=97, on_rejected=errors.append, bulk=bulk).run(Source(file))
    return report, sorted((e.line, e.reason) for e in errors)


async def test_bulk_import_builds_the_graph_the_upserts_build(two_stores: tuple[FalkorDBStore, FalkorDBStore],
                                                              tmp_path: Path) -> None:
    bulk, upsert = two_stores
    lines = list(import_lines(SPEC))
    assert "exchangeRate" in lines[0]  # the rates come first, as in an export
    file = write_lines(tmp_path / "crm.jsonl", lines + AWKWARD)
    bulk_report, bulk_errors = await _import(bulk, file, None)
    upsert_report, upsert_errors = await _import(upsert, file, False)
    assert bulk_errors == upsert_errors
    assert {reason for line, reason in bulk_errors if line - len(lines) in (22, 25)} == {
        "an Order has one seller: this Order already has another",
        "an Order has one customer: this Order already has another"}
    first = len(lines)
    assert {line - first for line, _ in bulk_errors} == {5, 6, 7, 8, 9, 10, 11, 14, 16, 17, 18, 19, 22, 25}
    assert (bulk_report.lines, bulk_report.written, bulk_report.rejected) == \
        (upsert_report.lines, upsert_report.written, upsert_report.rejected)
    assert await fingerprint(bulk) == await fingerprint(upsert)
    assert canonical(await exported(bulk)) == canonical(await exported(upsert))
    rates = "MATCH (r:ExchangeRate) RETURN r.currency AS c, r.validFrom AS f, r.rate AS r ORDER BY c, f"
    assert await bulk.read(rates) == await upsert.read(rates) != []
    # The referral cohort counters: counted after the bulk load, moved batch by batch by the upserts.
    counters = "MATCH (c:CohortCount) RETURN properties(c) AS c ORDER BY c.month"
    assert [dict(r["c"]) for r in await bulk.read(counters)] == [dict(r["c"]) for r in await upsert.read(counters)]
    assert await cohorts.is_built(bulk)
    # Only the bulk store was built by GRAPH.BULK: the same file again upserts (a rerun changes nothing).
    again, errors = await _import(bulk, file, None)
    assert errors == upsert_errors and await fingerprint(bulk) == await fingerprint(upsert)


async def test_constraints_and_indexes_hold_after_a_bulk_import(two_stores: tuple[FalkorDBStore, FalkorDBStore],
                                                                tmp_path: Path) -> None:
    bulk, _ = two_stores
    file = write_lines(tmp_path / "crm.jsonl", list(import_lines(SPEC)))
    await _import(bulk, file, True)
    indexes = await bulk.read("CALL db.indexes() YIELD label, properties, status RETURN label, properties, status")
    have = {(row["label"], prop) for row in indexes for prop in row["properties"]}
    assert {(spec.label, spec.prop) for spec in INDEXES} <= have
    assert all(row["status"] == "OPERATIONAL" for row in indexes)
    with pytest.raises(ResponseError, match="(?i)unique"):
        await bulk.write("CREATE (:Company:Party:Entity {id: 'syn:person:3', name: 'dup'})")
    plan = await bulk.redis.execute_command("GRAPH.EXPLAIN", bulk.graph_name,
                                            "MATCH (n:Person:Entity {id: 'syn:person:3'}) RETURN n.name")
    assert any("Index Scan" in line for line in plan), plan


async def test_a_graph_with_nodes_keeps_the_upsert_path(two_stores: tuple[FalkorDBStore, FalkorDBStore],
                                                        tmp_path: Path) -> None:
    store, _ = two_stores
    await store.write("CREATE (:Person:Party:Entity {id: 'person:one', name: 'One'})")
    file = write_lines(tmp_path / "crm.jsonl", [orjson.loads(orjson.dumps(x)) for x in AWKWARD[:4]])
    with pytest.raises(NotEmptyError):
        await _import(store, file, True)
    report, errors = await _import(store, file, None)
    assert errors == [] and report.written == 4
    assert (await store.read("MATCH (n:Entity) RETURN count(n) AS n")) == [{"n": 3}]
