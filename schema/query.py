"""Root fields. Each one compiles its whole selection into one statement, runs it, converts."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Optional

import strawberry
from strawberry.types import Info

from graph.cypher.horizons import cost_note
from graph.cypher.plan import Lookup, Page, RootConnection
from graph.model import NODE_KINDS
from schema.inputs import input_to_dict
from schema.plans import COMPILED_ROOTS, RootPlan, run_plan, static_selection
from schema.registry import BUILDER, REGISTRY
from schema.selection import SelectionReader, sort_keys
from schema.types import DEFAULT_PAGE_SIZE, Node, list_arguments

PARTY = ("Person", "Company")

# Root lists: field name -> (label matched, concrete labels, description)
ROOT_LISTS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "parties": ("Party", PARTY, "People and companies."),
    "people": ("Person", ("Person",), "People: consumers and contacts."),
    "companies": ("Company", ("Company",), "Companies, whatever their roles."),
    "products": ("Product", ("Product",), "Products and services."),
    "orders": ("Order", ("Order",), "Orders, newest first by default."),
    "segments": ("Segment", ("Segment",), "Customer segments."),
}

# Root lookups: field name -> (labels the id may have; empty = any, description)
ROOT_LOOKUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "node": ((), tuple(NODE_KINDS), "Any node by its external id; null when there is none."),
    "party": (("Party",), PARTY, "A person or company by id: the customer 360 entry point."),
    "person": (("Person",), ("Person",), "A person by id."),
    "company": (("Company",), ("Company",), "A company by id."),
    "product": (("Product",), ("Product",), "A product by id."),
    "order": (("Order",), ("Order",), "An order by id."),
}


def lookup_plan(raw: Any, key: str, id: str, labels: tuple[str, ...]) -> RootPlan:
    """A root lookup (``party(id:)`` ...): its whole selection, one statement."""
    node = SelectionReader(raw).node_selection(list(raw.field_nodes), raw.return_type, key)
    plan = Lookup(id, node, f"{key}.id")
    return RootPlan(lambda compiler: compiler.lookup(plan, labels), BUILDER.to_object, static_selection(node))


def list_plan(raw: Any, key: str, label: str, first: int, after: str | None, filter: Any,
              order_by: Any, conn: tuple[type, type]) -> RootPlan:
    """A root list (``people(first:, filter:, orderBy:)`` ...): its whole selection, one statement."""
    reader = SelectionReader(raw)
    nodes, _, total, _ = reader.connection_parts(list(raw.field_nodes), raw.return_type)
    node = reader.node_selection(nodes, reader._node_type_of(raw.return_type), key)
    plan = RootConnection(label, node, filter=input_to_dict(filter), order=sort_keys(order_by),
                          page=Page(first, after), total=total, argument_path=key)
    return RootPlan(lambda compiler: compiler.connection(plan),
                    partial(BUILDER.to_connection, conn_cls=conn[0], edge_cls=conn[1]), static_selection(node))


def _lookup_field(labels: tuple[str, ...], targets: tuple[str, ...], doc: str) -> Any:
    result = Node if not labels else BUILDER.gql_types[targets]

    async def resolve(self: Any, info: Info, id: strawberry.ID) -> Any:
        return await run_plan(info.context, lookup_plan(info._raw_info, info.path.key, str(id), labels))

    resolve.__annotations__ = {
        "info": Info,
        "id": Annotated[strawberry.ID, strawberry.argument(description="External id.")],
        "return": Optional[result],  # noqa: UP045
    }
    return strawberry.field(resolve, description=doc)


def _list_field(label: str, targets: tuple[str, ...], doc: str) -> Any:
    conn = BUILDER.connection(targets, None)
    filter_cls, order_cls = BUILDER.root_inputs(targets)

    async def resolve(self: Any, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None,
                      filter: Any = None, order_by: Any = None) -> Any:
        return await run_plan(info.context, list_plan(info._raw_info, info.path.key, label, first, after,
                                                      filter, order_by, conn))

    # Nullable, so one root field's error leaves its siblings' data in place.
    list_arguments(resolve, Optional[conn[0]], filter_cls, order_cls)  # noqa: UP045
    return strawberry.field(resolve, description=doc + cost_note(label))


def _lookup_from_args(raw: Any, key: str, args: dict[str, Any], *, labels: tuple[str, ...]) -> RootPlan:
    return lookup_plan(raw, key, str(args["id"]), labels)


def _list_from_args(raw: Any, key: str, args: dict[str, Any], *, label: str, conn: tuple[type, type]) -> RootPlan:
    return list_plan(raw, key, label, args.get("first", DEFAULT_PAGE_SIZE), args.get("after"),
                     args.get("filter"), args.get("order_by"), conn)


def _build_query() -> type:
    from schema.audit import AuditQuery
    from schema.exchange_rates import ExchangeRateQuery
    from schema.traversals import TraversalQuery

    namespace: dict[str, Any] = {}
    for name, (labels, targets, doc) in ROOT_LOOKUPS.items():
        namespace[name] = _lookup_field(labels, targets, doc)
        COMPILED_ROOTS[name] = partial(_lookup_from_args, labels=labels)
    for name, (label, targets, doc) in ROOT_LISTS.items():
        namespace[name] = _list_field(label, targets, doc)
        COMPILED_ROOTS[name] = partial(_list_from_args, label=label, conn=BUILDER.connection(targets, None))
    return strawberry.type(type("Query", (TraversalQuery, AuditQuery, ExchangeRateQuery), namespace),
                           description="Reads. Each root field runs as one bounded Cypher statement.")


Query = _build_query()
TYPES = list(REGISTRY.objects.values())
