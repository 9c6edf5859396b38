"""The compiler's Cypher, per dialect, against snapshots; and its refusals."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graph.analytics.state import RFM, SnapshotInfo, SnapshotState, utcnow
from graph.cypher.compiler import Compiler, Limits
from graph.cypher.cursor import encode_cursor
from graph.cypher.dialect import DIALECTS, FALKORDB, NEO4J
from graph.cypher.horizons import Horizons, window_for
from graph.cypher.errors import CursorError, PageSizeError, QueryInputError, QueryTooComplexError
from graph.cypher.plan import ComputedSelection, Lookup, NodeSelection, Page, RelSelection, RootConnection, SortKey
from graph.model import rel_field
from graph.sort_keys import name_key

SNAPSHOTS = Path(__file__).with_name("snapshots")
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"


def customer_360_plan() -> Lookup:
    items = RelSelection("items", rel_field("Order", "items"), NodeSelection(("Product",), {"name", "category"}),
                         {"qty", "unitPrice"}, page=Page(10), argument_path="party.orders.items")
    seller = RelSelection("seller", rel_field("Order", "seller"), NodeSelection(("Company",), {"name"}),
                          argument_path="party.orders.seller")
    orders = RelSelection("orders", rel_field("Person", "orders"),
                          NodeSelection(("Order",), {"total", "placedAt"}, [items, seller]),
                          page=Page(5), total=True, argument_path="party.orders")
    referrals = RelSelection(
        "referralsMade", rel_field("Person", "referralsMade"), NodeSelection(("Person", "Company"), {"name"}),
        {"status", "at"}, filter={"edge": {"status": {"in": ["converted", "rewarded"]}}},
        order=[SortKey("at", descending=True, on_edge=True)], page=Page(20), argument_path="party.referralsMade")
    return Lookup("person:john-smith", NodeSelection(("Person", "Company"), {"name", "age"}, [orders, referrals]))


def companies_plan() -> RootConnection:
    customers = RelSelection(
        "customers", rel_field("Company", "customers"), NodeSelection(("Person", "Company"), {"name"}),
        {"revenue", "orderCount"}, order=[SortKey("revenue", True, on_edge=True)], page=Page(3), total=True,
        argument_path="companies.customers")
    return RootConnection(
        "Company", NodeSelection(("Company",), {"name", "industry"}, [customers]),
        filter={"OR": [{"name": {"startsWith": "A"}}, {"employeeCount": {"gte": 1000}}],
                "NOT": {"industry": {"in": ["mining"]}}, "name": {"lt": "X"}},
        order=[SortKey("name")], page=Page(2, after=encode_cursor([SortKey("name")], "company:abc")),
        total=True, argument_path="companies")


def customers_after_plan() -> Lookup:
    """A nested list after a cursor: the cursor row's revenue is summed in the statement."""
    order = [SortKey("revenue", True, on_edge=True)]
    orders = RelSelection("orders", rel_field("Person", "orders"), NodeSelection(("Order",), {"total"}),
                          page=Page(2), argument_path="company.customers.orders")
    customers = RelSelection(
        "customers", rel_field("Company", "customers"), NodeSelection(("Person", "Company"), {"name"}, [orders]),
        {"revenue"}, filter={"edge": {"orderCount": {"gte": 1}}}, order=order,
        page=Page(5, after=encode_cursor(order, "person:john-smith")), total=True,
        argument_path="company.customers")
    return Lookup("company:abc-electronics", NodeSelection(("Company",), {"name"}, [customers]))


def parties_rfm_plan() -> RootConnection:
    return RootConnection("Party", NodeSelection(("Person", "Company"), {"name"}, computed=[
        ComputedSelection("rfm", "rfm"), ComputedSelection("lifetimeValue", "lifetimeValue")]),
        page=Page(50), argument_path="parties")


def with_rfm_snapshot(compiler: Compiler) -> Compiler:
    """The compiler as a service worker has it once an RFM snapshot is known."""
    state = SnapshotState(60.0)
    state.note(RFM, SnapshotInfo(utcnow(), utcnow()))
    return Compiler(compiler.dialect, compiler.limits, compiler.scope, analytics=state)


def orders_plan(after: str | None = None) -> RootConnection:
    return RootConnection("Order", NodeSelection(("Order",), {"placedAt", "status"}),
                          filter={"status": {"in": ["open", "paid"]}}, page=Page(20, after=after),
                          argument_path="orders")


def people_plan() -> RootConnection:
    return RootConnection("Person", NodeSelection(("Person",), {"name", "city"}),
                          filter={"city": {"eq": "Boston"}, "name": {"startsWith": "Jo"}}, page=Page(50),
                          argument_path="people")


def with_horizons(compiler: Compiler) -> Compiler:
    """The compiler as a service worker has it on a big graph: orders and people read an
    index window."""
    horizons = Horizons()
    horizons.update({window_for("Order", "placedAt", True): 1_767_225_600_000,  # type: ignore[dict-item]
                     window_for("Person", "name", False): name_key("John Smi")},  # type: ignore[dict-item]
                    names_keyed=True)
    return Compiler(compiler.dialect, compiler.limits, compiler.scope, horizons=horizons)


PLANS = {"customer_360": lambda c: c.lookup(customer_360_plan(), ("Party",)),
         "companies_page": lambda c: c.connection(companies_plan()),
         "customers_after": lambda c: c.lookup(customers_after_plan(), ("Company",)),
         # rfm from scratch (no snapshot known) and from the newest snapshot (one lookup)
         "parties_rfm_fresh": lambda c: c.connection(parties_rfm_plan()),
         "parties_rfm_snapshot": lambda c: with_rfm_snapshot(c).connection(parties_rfm_plan()),
         # big lists newest first: the index window, then every row if it holds no page
         "orders_window": lambda c: with_horizons(c).connection(orders_plan()),
         "orders_window_after": lambda c: with_horizons(c).connection(
             orders_plan(encode_cursor([SortKey("placedAt", True)], "order:1"))),
         # big lists by name: the window on the name's numeric key (graph.sort_keys)
         "people_window": lambda c: with_horizons(c).connection(people_plan())}


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("name", sorted(PLANS))
def test_snapshot(name: str, dialect: str) -> None:
    statement = PLANS[name](Compiler(DIALECTS[dialect]))
    text = statement.text + "\n\n// params: " + repr(sorted(statement.params.items())) + "\n"
    path = SNAPSHOTS / f"{name}.{dialect}.cypher"
    if UPDATE or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"{path.name} changed; rerun with UPDATE_SNAPSHOTS=1 if intended"


def test_dialects_differ_where_they_must() -> None:
    neo, falkor = (PLANS["customer_360"](Compiler(d)).text for d in (NEO4J, FALKORDB))
    assert neo.startswith("CYPHER 5\n") and "CALL (n0) {" in neo and "WITH n0\n" not in neo.split("{")[1]
    assert "CALL {\n  WITH n0" in falkor and "CYPHER" not in falkor
    assert "toString(" in PLANS["companies_page"](Compiler(FALKORDB)).text
    assert "toString(" not in PLANS["companies_page"](Compiler(NEO4J)).text


def test_values_only_as_parameters() -> None:
    statement = PLANS["customer_360"](Compiler(NEO4J))
    assert "john" not in statement.text and "converted" not in statement.text
    assert statement.params["p0"] == "person:john-smith"


def test_page_size_over_maximum_is_refused() -> None:
    plan = RootConnection("Person", NodeSelection(("Person",), {"name"}), page=Page(101), argument_path="people")
    with pytest.raises(PageSizeError, match=r"people\.first: 101 is over the maximum page size of 100"):
        Compiler(NEO4J).connection(plan)
    assert Compiler(NEO4J, Limits(max_page_size=200)).connection(plan).params


@pytest.mark.parametrize("cursor", ["", "%%%", "bm90IGpzb24", "eyJvIjoibmFtZTpBIiwidiI6W119", "x" * 5000])
def test_malformed_cursor_is_refused(cursor: str) -> None:
    plan = RootConnection("Person", NodeSelection(("Person",)), page=Page(5, cursor), argument_path="people")
    with pytest.raises(CursorError, match=r"people\.after"):
        Compiler(FALKORDB).connection(plan)


@pytest.mark.parametrize(("filter_", "where"), [
    ({"nmae": {"eq": "x"}}, "people.filter.nmae"),
    ({"name": {"includes": "x"}}, "people.filter.name.includes"),
    ({"AND": [{"age": {"eq": 1}}, {"bogus": {"eq": 1}}]}, "people.filter.AND[1].bogus"),
    ({"name": "x"}, "people.filter.name"),
])
def test_filter_on_unknown_field_or_operator_names_it(filter_: dict, where: str) -> None:
    plan = RootConnection("Person", NodeSelection(("Person",)), filter=filter_, argument_path="people")
    with pytest.raises(QueryInputError) as info:
        Compiler(NEO4J).connection(plan)
    assert info.value.argument == where


def test_unsortable_field_is_refused() -> None:
    plan = RootConnection("Person", NodeSelection(("Person",)), order=[SortKey("email")], argument_path="people")
    with pytest.raises(QueryInputError, match="not sortable"):
        Compiler(NEO4J).connection(plan)


def test_depth_and_fan_out_are_bounded() -> None:
    def nest(depth: int, first: int) -> NodeSelection:
        node = NodeSelection(("Person", "Company"), {"name"})
        for _ in range(depth):
            node = NodeSelection(("Person", "Company"), {"name"}, [
                RelSelection("referralsMade", rel_field("Person", "referralsMade"), node, page=Page(first),
                             argument_path="deep")])
        return node

    Compiler(NEO4J).lookup(Lookup("a", nest(6, 3)))
    with pytest.raises(QueryTooComplexError, match="deeper than 6"):
        Compiler(NEO4J).lookup(Lookup("a", nest(7, 1)))
    with pytest.raises(QueryTooComplexError, match="rows"):
        Compiler(NEO4J).lookup(Lookup("a", nest(4, 100)))


def _count_only(rows: bool) -> Lookup:
    orders = RelSelection("orders", rel_field("Person", "orders"), NodeSelection(("Order",), {"total"}),
                          page=Page(5), total=True, argument_path="party.orders", rows=rows)
    return Lookup("person:john-smith", NodeSelection(("Person",), {"name"}, [orders]))


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_only_total_count_collects_nothing(dialect: str) -> None:
    counted = Compiler(DIALECTS[dialect]).lookup(_count_only(rows=False), ("Party",))
    listed = Compiler(DIALECTS[dialect]).lookup(_count_only(rows=True), ("Party",))
    assert "count(*) AS t1" in counted.text and "count(*) AS t1" in listed.text
    assert "collect(" not in counted.text and "ORDER BY" not in counted.text
    assert "c1: c1" not in counted.text and "t1: t1" in counted.text
    assert "collect(" in listed.text


def test_only_total_count_still_checks_page_arguments() -> None:
    plan = _count_only(rows=False)
    plan.node.relations[0].page = Page(101)
    with pytest.raises(PageSizeError):
        Compiler(FALKORDB).lookup(plan)


def test_count_only_statement_passes_neo4j_front_end(cypher_linter) -> None:  # type: ignore[no-untyped-def]
    statement = Compiler(NEO4J).lookup(_count_only(rows=False), ("Party",))
    assert cypher_linter.errors(statement.text, statement.params) == []


def test_windows_only_where_they_hold() -> None:
    """Only a descending first key on the indexed timestamp, unmasked, gets the window."""
    window = with_horizons(Compiler(FALKORDB))
    assert "w0" in window.connection(orders_plan()).text
    oldest_first = RootConnection("Order", NodeSelection(("Order",), {"placedAt"}),
                                  order=[SortKey("placedAt")], page=Page(5), argument_path="orders")
    assert "w0" not in window.connection(oldest_first).text  # nulls sort first: not in any window
    assert "w0" not in Compiler(FALKORDB).connection(orders_plan()).text  # no horizon known
    assert window.cache_key != Compiler(FALKORDB).cache_key


def test_rows_found_by_id_go_through_the_entity_index() -> None:
    """Kinds have no id index of their own (graph.model.INDEXES): a list filtered by id,
    and a cursor's row, are matched with Entity too, so the planner reads Entity.id."""
    def page(filter_: dict[str, object] | None) -> str:
        return Compiler(FALKORDB).connection(RootConnection(
            "Person", NodeSelection(("Person",), {"name"}), filter=filter_, page=Page(5),
            argument_path="people")).text
    assert "MATCH (n0:Person:Entity)" in page({"id": {"in": ["person:a"]}})
    assert "MATCH (n0:Person:Entity)" in page({"AND": [{"name": {"eq": "A"}}, {"id": {"eq": "person:a"}}]})
    assert "MATCH (n0:Person)\n" in page({"name": {"eq": "A"}}) and ":Entity" not in page(None)
    after = Compiler(FALKORDB).connection(RootConnection(
        "Person", NodeSelection(("Person",), {"name"}), page=Page(5, after=encode_cursor([SortKey("name")], "p:1")),
        argument_path="people")).text
    assert "MATCH (n0:Person:Entity)\n  WHERE n0.id = " in after
