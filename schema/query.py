"""Root fields. Each one compiles its whole selection into one statement, runs it, converts."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import strawberry
from strawberry.types import Info

from graph.cypher.plan import Lookup, Page, RootConnection
from graph.model import NODE_KINDS
from schema.context import Context
from schema.errors import translating
from schema.inputs import input_to_dict
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


async def _lookup(info: Info, id: str, labels: tuple[str, ...]) -> Any:
    ctx: Context = info.context
    raw = info._raw_info
    reader = SelectionReader(raw)
    node = reader.node_selection(list(raw.field_nodes), raw.return_type, info.path.key)

    async def run() -> Any:
        statement = ctx.compiler.lookup(Lookup(id, node, f"{info.path.key}.id"), labels)
        return await ctx.store.fetch(statement)

    return BUILDER.to_object(await translating(run))


async def _list(info: Info, label: str, first: int, after: str | None, filter: Any,
                order_by: Any, conn: tuple[type, type]) -> Any:
    ctx: Context = info.context
    raw = info._raw_info
    reader = SelectionReader(raw)
    path = info.path.key
    nodes, _, total, _ = reader.connection_parts(list(raw.field_nodes), raw.return_type)
    node = reader.node_selection(nodes, reader._node_type_of(raw.return_type), path)

    async def run() -> Any:
        plan = RootConnection(label, node, filter=input_to_dict(filter), order=sort_keys(order_by),
                              page=Page(first, after), total=total, argument_path=path)
        return await ctx.store.fetch(ctx.compiler.connection(plan))

    return BUILDER.to_connection(await translating(run), *conn)


def _lookup_field(labels: tuple[str, ...], targets: tuple[str, ...], doc: str) -> Any:
    result = Node if not labels else BUILDER.gql_types[targets]

    async def resolve(self: Any, info: Info, id: strawberry.ID) -> Any:
        return await _lookup(info, str(id), labels)

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
        return await _list(info, label, first, after, filter, order_by, conn)

    # Nullable, so one root field's error leaves its siblings' data in place.
    list_arguments(resolve, Optional[conn[0]], filter_cls, order_cls)  # noqa: UP045
    return strawberry.field(resolve, description=doc)


def _build_query() -> type:
    from schema.audit import AuditQuery
    from schema.exchange_rates import ExchangeRateQuery
    from schema.traversals import TraversalQuery

    namespace: dict[str, Any] = {}
    for name, (labels, targets, doc) in ROOT_LOOKUPS.items():
        namespace[name] = _lookup_field(labels, targets, doc)
    for name, (label, targets, doc) in ROOT_LISTS.items():
        namespace[name] = _list_field(label, targets, doc)
    return strawberry.type(type("Query", (TraversalQuery, AuditQuery, ExchangeRateQuery), namespace),
                           description="Reads. Each root field runs as one bounded Cypher statement.")


Query = _build_query()
TYPES = list(REGISTRY.objects.values())
