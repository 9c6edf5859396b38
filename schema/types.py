"""The GraphQL object types, generated from ``graph.model`` so every field has its docs.

Objects are filled from one decoded statement: scalar properties arrive as dataclass
fields, and each relationship field reads the page the root query already fetched for
its response key. No resolver below the root talks to the store.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Optional, Union

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from graph.model import NODE_KINDS, PARTY_KINDS, REL_FIELDS, NodeKind, Prop, PropType, RelField
from schema.analytics import LifetimeValue, Rfm, wrap
from schema.inputs import SCALARS, filter_input, order_input
from schema.money import Money, api_value

DEFAULT_PAGE_SIZE = 20


@strawberry.type(description="Where a page sits in its list (Relay cursor connections).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(
        description="This page was asked for with `after`, so items come before it.")
    start_cursor: Optional[str] = strawberry.field(description="Cursor of the first edge.")  # noqa: UP045
    end_cursor: Optional[str] = strawberry.field(  # noqa: UP045
        description="Cursor of the last edge: pass it as `after` for the next page.")


@strawberry.interface(description="Anything with a stable external id.")
class Node:
    id: strawberry.ID = strawberry.field(description="Stable external id, unique across the graph.")


def _prop_annotation(prop: Prop) -> Any:
    if prop.type is PropType.MONEY:
        return Optional[Money]  # noqa: UP045
    return strawberry.ID if prop.name == "id" else Optional[SCALARS[prop.type]]  # noqa: UP045


@dataclass
class Registry:
    """Everything generated, by name, for the resolvers and converters."""

    objects: dict[str, type]
    gql_types: dict[tuple[str, ...], Any]  # targets -> object, interface or union
    connections: dict[str, tuple[type, type]]  # RelField key -> (connection, edge)
    filters: dict[str, type]
    orders: dict[str, type]


def _target_name(targets: tuple[str, ...]) -> str:
    if set(targets) == {"Person", "Company"}:
        return "Party"
    if len(targets) == 1:
        return targets[0]
    return "FeedbackSubject"


def _edge_name(rf: RelField) -> str:
    if rf.aggregates:
        return rf.name[0].upper() + rf.name[1:].rstrip("s")
    rel = rf.rel
    if rel is None or not rel.props:
        return ""
    return "".join(w.capitalize() for w in rel.type.split("_"))


_PROP_NAMES = {label: frozenset(p.name for p in kind.props) for label, kind in NODE_KINDS.items()}


class TypeBuilder:
    def __init__(self) -> None:
        self.objects: dict[str, type] = {}
        self.gql_types: dict[tuple[str, ...], Any] = {}
        self.connections: dict[str, tuple[type, type]] = {}
        self.filters: dict[str, type] = {}
        self.orders: dict[str, type] = {}
        self._conn_by_name: dict[str, tuple[type, type]] = {}

    # -- inputs -----------------------------------------------------------------------

    def node_filter(self, targets: tuple[str, ...]) -> type:
        name = _target_name(targets)
        if name not in self.filters:
            props = _shared_props(targets)
            self.filters[name] = filter_input(f"{name}Filter", props, f"{name} properties")
        return self.filters[name]

    def rel_inputs(self, rf: RelField) -> tuple[type, type]:
        """``filter: {node, edge}`` and ``orderBy`` inputs of a relationship list."""
        target = _target_name(rf.targets)
        edge = _edge_name(rf)
        name = f"{target}{edge}RelationFilter"
        if name not in self.filters:
            annotations: dict[str, Any] = {"node": Optional[self.node_filter(rf.targets)]}  # noqa: UP045
            namespace: dict[str, Any] = {
                "node": strawberry.field(default=None, description=f"Filter on the {target}.")}
            if edge:
                edge_name = f"{edge}EdgeFilter"
                if edge_name not in self.filters:
                    self.filters[edge_name] = filter_input(edge_name, rf.edge_props,
                                                           f"{edge} edge properties")
                annotations["edge"] = Optional[self.filters[edge_name]]  # noqa: UP045
                namespace["edge"] = strawberry.field(
                    default=None, description="Filter on the edge's properties.")
            namespace["__annotations__"] = annotations
            self.filters[name] = strawberry.input(
                type(name, (), namespace), description=f"Filter on a list of {target}.")
        if not edge:
            return self.filters[name], self.root_inputs(rf.targets)[1]
        sort = f"{target}{edge}Sort"
        if sort not in self.orders:
            self.orders[sort] = order_input(sort, _shared_props(rf.targets), rf.edge_props,
                                            f"a list of {target}")
        return self.filters[name], self.orders[sort]

    def root_inputs(self, targets: tuple[str, ...]) -> tuple[type, type]:
        name = _target_name(targets)
        sort = f"{name}Sort"
        if sort not in self.orders:
            self.orders[sort] = order_input(sort, _shared_props(targets), (), f"{name} lists")
        return self.node_filter(targets), self.orders[sort]

    # -- connections ------------------------------------------------------------------

    def connection(self, targets: tuple[str, ...], rf: RelField | None) -> tuple[type, type]:
        target = _target_name(targets)
        edge = _edge_name(rf) if rf else ""
        name = f"{target}{edge}"
        if name in self._conn_by_name:
            return self._conn_by_name[name]
        node_type = self.gql_types[targets]
        edge_ns: dict[str, Any] = {
            "__annotations__": {"cursor": str, "node": node_type},
            "cursor": strawberry.field(description="Opaque cursor of this edge, for `after`."),
            "node": strawberry.field(description=f"The {target}."),
        }
        for prop in (rf.edge_props if rf else ()):
            edge_ns["__annotations__"][prop.name] = _prop_annotation(prop)
            edge_ns[prop.name] = strawberry.field(default=None, description=prop.doc)
        edge_cls = strawberry.type(type(f"{name}Edge", (), edge_ns),
                                   description=f"A {target} in a list, with the edge's properties.")
        conn_ns: dict[str, Any] = {
            "__annotations__": {"edges": list[edge_cls], "page_info": PageInfo,  # type: ignore[valid-type]
                                "total": strawberry.Private[Optional[int]]},  # noqa: UP045
            "edges": strawberry.field(description="The items of this page, in order."),
            "page_info": strawberry.field(description="Cursors and whether more pages exist."),
        }

        def nodes(self: Any) -> Any:
            return [e.node for e in self.edges]

        nodes.__annotations__ = {"return": list[node_type]}  # type: ignore[valid-type]

        def total_count(self: Any) -> Any:
            return int(self.total or 0)

        total_count.__annotations__ = {"return": int}

        conn_ns["nodes"] = strawberry.field(nodes, description="The nodes of this page (edges without cursors).")
        conn_ns["total_count"] = strawberry.field(
            total_count, description="How many items match the filter in all pages; counted only when asked for.")
        conn_cls = strawberry.type(type(f"{name}Connection", (), conn_ns),
                                   description=f"A page of {target} items (keyset cursors).")
        self._conn_by_name[name] = (conn_cls, edge_cls)
        return conn_cls, edge_cls

    # -- node types -------------------------------------------------------------------

    def rel_resolver(self, rf: RelField) -> Any:
        builder = self
        key = f"{rf.owner}.{rf.name}"

        if not rf.many:
            target_type = Optional[builder.gql_types[rf.targets]]  # noqa: UP045

            def single(self: Any, info: Info) -> Any:
                return builder.to_object(loaded(self, info))  # NOT_LOADED_HERE inside a traversal

            single.__annotations__ = {"info": Info, "return": target_type}
            return strawberry.field(single, description=rf.doc)

        conn_cls, edge_cls = self.connection(rf.targets, rf)
        self.connections[key] = (conn_cls, edge_cls)
        filter_cls, order_cls = self.rel_inputs(rf)

        def many(self: Any, info: Info, **_args: Any) -> Any:
            return builder.to_connection(loaded(self, info), conn_cls, edge_cls)

        list_arguments(many, conn_cls, filter_cls, order_cls)
        return strawberry.field(many, description=rf.doc)

    def build(self) -> Registry:
        # The types point at each other (Person.orders -> Order.customer -> Party), so the
        # bare classes come first, fields are attached to them, and each is decorated last:
        # Strawberry resolves field types only when the schema is assembled.
        party = type("Party", (Node,), {})
        shells = {k.label: type(k.label, (party,) if k in PARTY_KINDS else (Node,), {})
                  for k in NODE_KINDS.values()}
        self.gql_types.update({(label,): cls for label, cls in shells.items()})
        self.gql_types[("Person", "Company")] = party
        self.gql_types[("Company", "Product", "Order")] = Annotated[
            Union[shells["Company"], shells["Product"], shells["Order"]],  # noqa: UP007
            strawberry.union("FeedbackSubject", description="What feedback can be about."),
        ]

        party_props = _shared_props(("Person", "Company"))
        self._fill(party, tuple(p for p in party_props if p.name != "id"),
                   [f for f in REL_FIELDS if f.owner == "Party"], private=False)
        for name, resolver in party_analytics().items():
            setattr(party, name, resolver)
        self.objects["Party"] = strawberry.interface(
            party, description="A person or a company: anyone who can buy, sell or refer.")
        for kind in NODE_KINDS.values():
            inherited = {p.name for p in party_props} if kind in PARTY_KINDS else {"id"}
            self._fill(shells[kind.label], tuple(p for p in kind.props if p.name not in inherited),
                       [f for f in REL_FIELDS if f.owner == kind.label], private=True)
            self.objects[kind.label] = strawberry.type(shells[kind.label], description=kind.doc)
        return Registry(self.objects, self.gql_types, self.connections, self.filters, self.orders)

    def _fill(self, cls: type, props: tuple[Prop, ...], fields: list[RelField], *, private: bool) -> None:
        annotations: dict[str, Any] = {}
        for prop in props:
            annotations[prop.name] = _prop_annotation(prop)
            setattr(cls, prop.name, strawberry.field(description=prop.doc, default=None))
        for rf in fields:
            setattr(cls, rf.name, self.rel_resolver(rf))
        if private:
            # The pages fetched for this node's relationship fields, by response key.
            annotations["rels"] = strawberry.Private[dict[str, Any]]
            setattr(cls, "rels", dataclasses.field(default_factory=dict))
        cls.__annotations__ = annotations

    # -- conversion -------------------------------------------------------------------

    def to_object(self, data: dict[str, Any] | None) -> Any:
        if data is None:
            return None
        typename = data["__typename"]
        names = _PROP_NAMES[typename]
        # The properties the node has (a traversal may bring its id alone); the rest keep
        # their default, None.
        values = {name: api_value(value) for name, value in data["props"].items() if name in names}
        return self.objects[typename](**values, rels=data["rels"])

    def to_connection(self, data: dict[str, Any] | None, conn_cls: type, edge_cls: type) -> Any:
        data = data or {"edges": [], "hasNextPage": False, "hasPreviousPage": False, "totalCount": 0}
        edges = [edge_cls(cursor=e["cursor"], node=self.to_object(e["node"]),
                          **{k: api_value(v) for k, v in e["edge"].items()})
                 for e in data["edges"]]
        info = PageInfo(
            has_next_page=data["hasNextPage"], has_previous_page=data["hasPreviousPage"],
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )
        return conn_cls(edges=edges, page_info=info, total=data["totalCount"])


def loaded(node: Any, info: Info) -> Any:
    """What the root statement fetched for this field of ``node``."""
    if node.rels is None:
        raise GraphQLError(
            f"{info.field_name} is not loaded on nodes inside a traversal result; "
            "ask for it through a lookup such as party(id:) or company(id:)",
            extensions={"code": "NOT_LOADED_HERE"})
    return node.rels.get(info.path.key)


def party_analytics() -> dict[str, Any]:
    """Lifetime value and RFM on every party, computed in the root statement."""

    def lifetime_value(self: Any, info: Info, expected_lifespan_years: Annotated[float, strawberry.argument(
            description="Expected customer lifespan in years, for the predictive value.")] = 3.0,
            as_of: Annotated[Optional[datetime], strawberry.argument(  # noqa: UP045
                description="Reference time for purchase frequency; default now. Orders after it "
                            "still count.")] = None) -> Any:
        return wrap(LifetimeValue, loaded(self, info))

    def rfm(self: Any, info: Info, as_of: Annotated[Optional[datetime], strawberry.argument(  # noqa: UP045
            description="Reference time for recencyDays; default now. A time before the newest "
                        "snapshot computes the quintile boundaries from scratch.")] = None,
            fresh: Annotated[bool, strawberry.argument(description=(
                "Compute the quintile boundaries from scratch over every customer (a full scan) "
                "instead of reading the newest snapshot."))] = False) -> Any:
        return wrap(Rfm, loaded(self, info))

    lifetime_value.__annotations__["return"] = Optional[LifetimeValue]  # noqa: UP045
    rfm.__annotations__["return"] = Optional[Rfm]  # noqa: UP045
    return {
        "lifetime_value": strawberry.field(lifetime_value, description=(
            LifetimeValue.__strawberry_definition__.description
            + " Null where the caller may not see the party's figures (partners: any party but their own company).")),
        "rfm": strawberry.field(rfm, description=(
            "RFM scores and segment; null for a party without counted orders (cancelled and returned "
            "ones never count), and where the caller may not see "
            "the party's figures (partners: any party but their own company).")),
    }


def _shared_props(targets: tuple[str, ...]) -> tuple[Prop, ...]:
    """Properties every target kind has (what an interface or union list can filter on)."""
    kinds: list[NodeKind] = [NODE_KINDS[t] for t in targets]
    names = set.intersection(*({p.name for p in k.props} for k in kinds))
    return tuple(p for p in kinds[0].props if p.name in names)


def list_arguments(func: Any, conn_cls: Any, filter_cls: type, order_cls: type) -> None:
    """Give a list resolver the documented arguments every list takes."""
    params = [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("info", inspect.Parameter.KEYWORD_ONLY, annotation=Info),
        inspect.Parameter("first", inspect.Parameter.KEYWORD_ONLY, default=DEFAULT_PAGE_SIZE,
                          annotation=Annotated[int, strawberry.argument(
                              description="Page size (at most the server's maximum, 100 by default).")]),
        inspect.Parameter("after", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[Optional[str], strawberry.argument(  # noqa: UP045
                              description="Return the items after this cursor (`pageInfo.endCursor` or an edge's `cursor`). "
                                          "A cursor names its row; the next page starts right after that row as "
                                          "it is now, so walking the pages yields every row once. A cursor whose "
                                          "row is no longer in the list fails with INVALID_CURSOR.")]),
        inspect.Parameter("filter", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[Optional[filter_cls], strawberry.argument(  # noqa: UP045
                              description="Only items matching this filter.")]),
        inspect.Parameter("order_by", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[Optional[list[order_cls]], strawberry.argument(  # type: ignore[valid-type]  # noqa: UP045
                              description="Sort keys, in order (default: the list's documented order). "
                                          "Ties are broken by id, ascending, so the order is total. A missing "
                                          "value sorts as the lowest: first in ASC, last in DESC (an empty "
                                          "string, false, or a number at or below -1e300 ties with it).")]),
    ]
    func.__signature__ = inspect.Signature(params, return_annotation=conn_cls)
    func.__annotations__ = {p.name: p.annotation for p in params[1:]} | {"return": conn_cls}
