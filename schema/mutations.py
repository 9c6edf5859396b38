"""Writes. Inputs are generated from the model like the filters; every resolver hands a
plain dict to ``graph.mutations.service``, which validates it, writes it in one statement
or refuses it whole. A refusal is a GraphQL error with ``extensions.code``, ``field`` and
``problems`` (every field and reason found)."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Optional, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON
from strawberry.types import Info

from graph.cypher.values import decode_props
from graph.model import NODE_KINDS, REL_KINDS, Prop, PropType
from graph.mutations import service
from graph.mutations.errors import MutationError
from graph.mutations.rules import REQUIRED
from graph.traversals import referrals as ref
from schema.context import Context
from schema.errors import translating
from schema.inputs import SCALARS
from schema.registry import BUILDER
from schema.traversals import ReferralEdge

T = TypeVar("T")
Order = BUILDER.gql_types[("Order",)]
Interaction = BUILDER.gql_types[("Interaction",)]
Feedback = BUILDER.gql_types[("Feedback",)]
Party = BUILDER.gql_types[("Person", "Company")]


def _gql(prop: Prop, required: bool) -> Any:
    scalar = strawberry.ID if prop.type.value == "ID" else SCALARS[prop.type]
    return scalar if required else Optional[scalar]  # noqa: UP045


def _input(name: str, description: str, fields: list[tuple[str, Any, str]]) -> type:
    """A Strawberry input; absent fields stay UNSET so a patch can tell 'not given' from null."""
    namespace: dict[str, Any] = {"__annotations__": {}}
    for field_name, annotation, doc in fields:
        namespace["__annotations__"][field_name] = annotation
        namespace[field_name] = (strawberry.field(default=strawberry.UNSET, description=doc)
                                 if _optional(annotation) else strawberry.field(description=doc))
    return strawberry.input(type(name, (), namespace), description=description)


def _optional(annotation: Any) -> bool:
    return type(None) in getattr(annotation, "__args__", ())


def _props(owner: str, props: tuple[Prop, ...], *, partial: bool = False, skip: tuple[str, ...] = ()) -> list[tuple[str, Any, str]]:
    required = ("id", *REQUIRED.get(owner, ()))
    return [(p.name, _gql(p, not partial and p.name in required), _input_doc(p))
            for p in props if p.name not in skip and not p.computed]


def _input_doc(prop: Prop) -> str:
    if prop.type is not PropType.MONEY:
        return prop.doc
    where = f"in `{prop.currency}`" if prop.currency else "in the base currency"
    return (f"{prop.doc.split(' Sorts by')[0]} A decimal amount {where} (default currency: the base currency), "
            "not negative, with at most the currency's decimals (2 for USD): \"19.99\" or 19.99; more decimals "
            "are refused (TOO_PRECISE), never rounded.")


def given(value: Any) -> Any:
    """An input object as a dict of the fields given (explicit nulls kept), GraphQL names."""
    if isinstance(value, list):
        return [given(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in value.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            item = getattr(value, f.python_name)
            if item is not strawberry.UNSET:
                out[f.graphql_name or f.python_name] = given(item)
        return out
    if isinstance(value, datetime):
        return value
    return value


async def write(call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await translating(call, passthrough=(MutationError,))
    except MutationError as exc:
        first = exc.problems[0]
        raise GraphQLError(str(exc), extensions={
            "code": first.code, "field": first.field,
            "problems": [{"field": p.field, "code": p.code, "message": p.message} for p in exc.problems]}) from exc


def store(info: Info) -> Any:
    ctx: Context = info.context
    return ctx.store


# -- inputs ----------------------------------------------------------------------------------

NODE_INPUTS = {label: _input(f"{label}Input", f"A new {label.lower()} (or, for upserts, its full new state).",
                             _props(label, NODE_KINDS[label].props)) for label in service.WRITABLE}
NODE_PATCHES = {label: _input(f"{label}Patch", f"Properties of a {label.lower()} to change; null removes one.",
                              _props(label, NODE_KINDS[label].props, partial=True, skip=("id",)))
                for label in service.WRITABLE}
LINK_INPUTS = {}
for _type, (_start, _end) in service.LINKS.items():
    _rel = REL_KINDS[_type]
    LINK_INPUTS[_type] = _input(
        "".join(w.capitalize() for w in _type.split("_")) + "Input", _rel.doc,
        [(_start, strawberry.ID, f"Id of the {' or '.join(_rel.start)} it starts from."),
         (_end, strawberry.ID, f"Id of the {' or '.join(_rel.end)} it points to."),
         *_props(_type, _rel.props, partial=True)])

OrderItemInput = _input("OrderItemInput", "One order line.", [
    ("productId", strawberry.ID, "The product."),
    ("qty", int, "Quantity, at least 1."),
    ("unitPrice", Decimal, "Price per unit in the order's currency: a decimal amount, not negative, with at "
                           "most the currency's decimals (more are refused with TOO_PRECISE, never rounded)."),
])
OrderInput = _input("OrderInput", "An order with its lines; the total is computed from them.", [
    ("customerId", strawberry.ID, "The party placing the order."),
    ("sellerId", strawberry.ID, "The company selling it."),
    ("items", list[OrderItemInput], "The lines (at least one; a product once)."),  # type: ignore[valid-type]
    *_props("Order", NODE_KINDS["Order"].props),
])
ReferralInput = _input("ReferralInput", "A referral from one party to another.", [
    ("referrerId", strawberry.ID, "Who referred."),
    ("referredId", strawberry.ID, "Who was referred."),
    ("companyId", Optional[strawberry.ID], "The company the referral is for, if any."),  # noqa: UP045
    *_props("REFERRED", REL_KINDS["REFERRED"].props, partial=True, skip=("company",)),
])
InteractionInput = _input("InteractionInput", "A touchpoint between a party and a company.", [
    ("partyId", strawberry.ID, "The party."),
    ("companyId", strawberry.ID, "The company."),
    *_props("Interaction", NODE_KINDS["Interaction"].props),
])
FeedbackInput = _input("FeedbackInput", "A review, NPS answer or survey response.", [
    ("partyId", strawberry.ID, "Who gave it."),
    ("aboutId", strawberry.ID, "The company, product or order it is about."),
    *_props("Feedback", NODE_KINDS["Feedback"].props),
])

LinkType = strawberry.enum(
    Enum("LinkType", {t: strawberry.enum_value(t, description=REL_KINDS[t].doc) for t in service.LINKS}),
    description="Relationship kinds that can be linked and unlinked directly.")


@strawberry.type(description="A relationship as written.")
class Link:
    type: str = strawberry.field(description="Relationship type.")
    from_: strawberry.ID = strawberry.field(name="from", description="Id of its start node.")
    to: strawberry.ID = strawberry.field(description="Id of its end node.")
    properties: JSON = strawberry.field(description="Its properties as written.")


def _obj(data: dict[str, Any]) -> Any:
    return BUILDER.to_object(data)


def _node_mutations() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for label in service.WRITABLE:
        out = BUILDER.gql_types[(label,)]
        snake = label.lower()

        def make(label: str = label, out: Any = out) -> dict[str, Any]:
            async def create(self: Any, info: Info, input: Any) -> Any:
                return _obj(await write(lambda: service.create_node(store(info), label, given(input))))

            async def upsert(self: Any, info: Info, input: Any) -> Any:
                return _obj(await write(lambda: service.create_node(store(info), label, given(input), upsert=True)))

            async def update(self: Any, info: Info, id: strawberry.ID, patch: Any) -> Any:
                return _obj(await write(lambda: service.update_node(store(info), label, str(id), given(patch))))

            async def delete(self: Any, info: Info, id: strawberry.ID, with_orders: bool = False) -> strawberry.ID:
                return strawberry.ID(await write(lambda: service.delete_node(store(info), label, str(id), with_orders)))

            node_input = Annotated[NODE_INPUTS[label], strawberry.argument(description=f"The {label.lower()}.")]
            node_id = Annotated[strawberry.ID, strawberry.argument(description=f"Id of the {label.lower()}.")]
            create.__annotations__ = {"info": Info, "input": node_input, "return": out}
            upsert.__annotations__ = {"info": Info, "input": node_input, "return": out}
            update.__annotations__ = {"info": Info, "id": node_id, "return": out, "patch": Annotated[
                NODE_PATCHES[label], strawberry.argument(description="What to change.")]}
            delete.__annotations__ = {
                "info": Info, "id": node_id,
                "with_orders": Annotated[bool, strawberry.argument(
                    description="Also delete its orders (placed, sold, or naming the product); "
                                "without it, a node with orders is refused.")],
                "return": strawberry.ID}
            return {
                f"create_{snake}": strawberry.mutation(create, description=f"Create a {label.lower()}; its id must be new."),
                f"upsert_{snake}": strawberry.mutation(upsert, description=f"Create a {label.lower()} or update it by id (idempotent)."),
                f"update_{snake}": strawberry.mutation(update, description=f"Change some properties of a {label.lower()}."),
                f"delete_{snake}": strawberry.mutation(delete, description=f"Delete a {label.lower()} and its relationships."),
            }

        fields |= make()
    for type_ in service.LINKS:
        def make_link(type_: str = type_) -> Any:
            start_field, end_field = service.LINKS[type_]

            async def resolve(self: Any, info: Info, input: Any) -> Link:
                data = await write(lambda: service.link(store(info), type_, given(input)))
                props = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()
                         if k not in (start_field, end_field)}
                return Link(type=type_, from_=strawberry.ID(data[start_field]), to=strawberry.ID(data[end_field]),
                            properties=props)

            resolve.__annotations__ = {"info": Info, "return": Link, "input": Annotated[
                LINK_INPUTS[type_], strawberry.argument(description="The two ends and the properties.")]}
            return strawberry.mutation(resolve, description=f"Create or update: {REL_KINDS[type_].doc}")

        fields["link_" + type_.lower()] = make_link()
    return fields


@strawberry.type
class WriteMutations:
    @strawberry.mutation(description="Remove a relationship of a linkable kind.")
    async def unlink(self, info: Info,
                     type: Annotated[LinkType, strawberry.argument(description="Relationship kind.")],  # type: ignore[valid-type]
                     from_: Annotated[strawberry.ID, strawberry.argument(name="from", description="Start id.")],
                     to: Annotated[strawberry.ID, strawberry.argument(description="End id.")]) -> int:
        return await write(lambda: service.unlink(store(info), type.value, str(from_), str(to)))

    @strawberry.mutation(description="Record an order with its items and seller; the total is computed "
                                      "from the items and must match `total` when that is given.")
    async def record_order(self, info: Info, input: Annotated[OrderInput, strawberry.argument(description="What to record.")]) -> Order:  # type: ignore[valid-type]
        data = await write(lambda: service.record_order(store(info), given(input)))
        props = decode_props(NODE_KINDS["Order"].props, data)
        return _obj({"__typename": "Order", "props": props, "rels": None})

    @strawberry.mutation(description="Record that a party referred another (no self-referral, no cycle, "
                                      "at most once per company).")
    async def record_referral(self, info: Info, input: Annotated[ReferralInput, strawberry.argument(description="What to record.")]) -> ReferralEdge:
        data = await write(lambda: service.record_referral(store(info), given(input)))
        props = {k: data.get(k) for k in ("at", "channel", "status", "company")}
        return ReferralEdge(data=ref.ReferralEdge(data["referrerId"], data["referredId"], props))

    @strawberry.mutation(description="Record an interaction between a party and a company.")
    async def record_interaction(self, info: Info, input: Annotated[InteractionInput, strawberry.argument(description="What to record.")]) -> Interaction:  # type: ignore[valid-type]
        return _obj(await write(lambda: service.record_interaction(store(info), given(input))))

    @strawberry.mutation(description="Record feedback about a company, product or order.")
    async def record_feedback(self, info: Info, input: Annotated[FeedbackInput, strawberry.argument(description="What to record.")]) -> Feedback:  # type: ignore[valid-type]
        return _obj(await write(lambda: service.record_feedback(store(info), given(input))))

    @strawberry.mutation(description="Merge two records of the same customer: the merged party's "
                                      "relationships move to the survivor (none duplicated) and its id "
                                      "keeps resolving to the survivor.")
    async def merge_parties(self, info: Info,
                            survivor_id: Annotated[strawberry.ID, strawberry.argument(description="The party kept.")],
                            merged_id: Annotated[strawberry.ID, strawberry.argument(description="The party folded in.")],
                            ) -> Party:  # type: ignore[valid-type]
        return _obj(await write(lambda: service.merge_parties(store(info), str(survivor_id), str(merged_id))))


from schema.exchange_rates import ExchangeRateMutation  # noqa: E402

Mutation = strawberry.type(type("Mutation", (WriteMutations, ExchangeRateMutation), _node_mutations()),
                           description="Writes. Each is atomic: it writes all or nothing.")
