"""The write operations: validate, run one statement, turn its answer into the written
object or a MutationError naming the field. Nothing is written when anything is refused."""

from __future__ import annotations

from typing import Any

from graph.cypher.values import epoch_ms, to_store
from graph.model import ENTITY, NODE_KINDS, ONE_ONLY, REL_KINDS, PropType
from graph.money import MoneyInputError, base_currency, check_currency, convert, to_minor
from graph.money_rates import applicable
from graph.mutations import statements as st
from graph.mutations.errors import MutationError, Problem
from graph.mutations.rules import node_model, rel_model, validate
from graph.sort_keys import keyed
from graph.store import Store
from graph.traversals.bounds import node_data

WRITABLE = ("Person", "Company", "Product")
# Relationship kinds that may be linked and unlinked directly, with the names of their ends.
LINKS: dict[str, tuple[str, str]] = {
    "SUPPLIES": ("supplierId", "customerId"),
    "RESELLS_FOR": ("resellerId", "principalId"),
    "COMPONENT_OF": ("componentId", "productId"),
    "WORKS_FOR": ("personId", "companyId"),
    "SUBSIDIARY_OF": ("subsidiaryId", "parentId"),
    "MAKES": ("companyId", "productId"),
    "IN_SEGMENT": ("partyId", "segmentId"),
}
NO_SELF_LINK = {"SUPPLIES", "RESELLS_FOR", "COMPONENT_OF", "SUBSIDIARY_OF"}


def _stored(label: str, values: dict[str, Any]) -> dict[str, Any]:
    kind = NODE_KINDS[label]
    return keyed(label, {k: to_store(kind.prop(k).type, v)  # type: ignore[union-attr]
                         for k, v in values.items() if k != "id"})


def _stored_rel(type_: str, values: dict[str, Any]) -> dict[str, Any]:
    props = {p.name: p for p in REL_KINDS[type_].props}
    return {k: to_store(props[k].type, v) for k, v in values.items() if v is not None}


def _clash(label: str, existing: list[str] | None, node_id: str) -> MutationError:
    kind = next((x for x in existing or [] if x in NODE_KINDS or x == "Alias"), "node")
    what = "a merged party's alias" if kind == "Alias" else f"a {kind}"
    return MutationError.one("id", "DUPLICATE_ID", f"{node_id} is already used by {what}")


def _writable(label: str) -> None:
    if label not in WRITABLE:
        raise ValueError(f"{label} nodes are written through their own operations")


def _money_props(label: str) -> tuple[str, ...]:
    return tuple(p.name for p in NODE_KINDS[label].props if p.type is PropType.MONEY and not p.computed)


def _amounts(values: dict[str, Any], names: tuple[str, ...], currency: str, prefix: str = "") -> list[Problem]:
    """Turn the decimal amounts among ``values`` into minor units of ``currency``, in place."""
    problems = []
    for name in names:
        if values.get(name) is not None:
            try:
                values[name] = to_minor(values[name], currency)
            except MoneyInputError as exc:
                problems.append(Problem(prefix + name, exc.code, str(exc)))
    return problems


def _currency(values: dict[str, Any], field: str = "currency") -> str:
    """The currency ``values`` name (default: the base currency), checked."""
    try:
        return check_currency(values.get(field) or base_currency())
    except MoneyInputError as exc:
        raise MutationError.one(field, exc.code, str(exc)) from None


async def create_node(store: Store, label: str, data: Any, *, upsert: bool = False) -> dict[str, Any]:
    """Create (or, with ``upsert``, create or update by id) a person, company or product."""
    _writable(label)
    values = validate(node_model(label), data)
    money = _money_props(label)
    if any(values.get(m) is not None for m in money):
        # An amount means nothing without its currency: it goes with them (the base by default).
        values["currency"] = _currency(values)
        if problems := _amounts(values, money, values["currency"]):
            raise MutationError(problems)
    elif values.get("currency") is not None:
        values["currency"] = _currency(values)
    build = st.upsert_node if upsert else st.create_node
    rows = await store.write(build(store.dialect, label), {"id": values["id"], "props": _stored(label, values)})
    row = rows[0]
    if not row["made"]:
        raise _clash(label, row["clash"], values["id"])
    return node_data(row["made"][0]) or {}


async def update_node(store: Store, label: str, node_id: str, data: Any) -> dict[str, Any]:
    """Change the given properties; a property given as null is removed."""
    _writable(label)
    _check_id(node_id, "id")
    values = validate(node_model(label, partial=True), data)
    if not values:
        raise MutationError.one("input", "EMPTY", "give at least one property to change")
    full = node_model(label).model_fields
    removed = [k for k, v in values.items() if v is None and full[k].is_required()]
    if removed:
        raise MutationError([Problem(k, "REQUIRED", "cannot be removed") for k in removed])
    money = _money_props(label)
    if not money:
        rows = await store.write(st.update_node(label), {"id": node_id, "props": _stored(label, values)})
        if not rows:
            raise MutationError.one("id", "NOT_FOUND", f"no {label} with id {node_id}")
        return node_data(rows[0]["node"]) or {}
    return await _update_priced(store, label, node_id, values, money)


async def _update_priced(store: Store, label: str, node_id: str, values: dict[str, Any],
                         money: tuple[str, ...]) -> dict[str, Any]:
    """An update of a node with amounts: they are taken in the currency the node will have,
    and a currency changes only with every stored amount given again (the statement checks
    both against the node as it is, so a concurrent change cannot slip between)."""
    if "currency" in values and values["currency"] is None:
        raise MutationError.one("currency", "REQUIRED", "cannot be removed; set another currency instead")
    if values.get("currency") is not None:
        currency = _currency(values)
    elif any(values.get(m) is not None for m in money):
        rows = await store.read(f"MATCH (n:{label}:{ENTITY} {{id: $id}}) RETURN n.currency AS currency", {"id": node_id})
        if not rows:
            raise MutationError.one("id", "NOT_FOUND", f"no {label} with id {node_id}")
        currency = rows[0]["currency"] or base_currency()
    else:
        currency = None
    if currency is not None:
        if problems := _amounts(values, money, currency):
            raise MutationError(problems)
    rows = await store.write(st.update_priced(label, money), {
        "id": node_id, "props": _stored(label, values), "currency": currency, "base": base_currency(),
        "given": [m for m in money if m in values]})
    if not rows:
        raise MutationError.one("id", "NOT_FOUND", f"no {label} with id {node_id}")
    match rows[0]["problem"]:
        case None:
            return node_data(rows[0]["node"]) or {}
        case "currency":
            missing = ", ".join(rows[0]["missing"])
            raise MutationError.one("currency", "CURRENCY_NEEDS_AMOUNTS",
                                    f"a new currency needs the amounts in it: give {missing} too")
        case _:
            raise MutationError.one("currency", "CONFLICT", "the currency changed meanwhile; send the update again")


async def delete_node(store: Store, label: str, node_id: str, with_orders: bool = False) -> str:
    _writable(label)
    _check_id(node_id, "id")
    rows = await store.write(st.delete_node(store.dialect, label), {"id": node_id, "withOrders": with_orders})
    if not rows:
        raise MutationError.one("id", "NOT_FOUND", f"no {label} with id {node_id}")
    if not rows[0]["deleted"]:
        raise MutationError.one("withOrders", "HAS_ORDERS",
                                f"{node_id} still has {rows[0]['orders']} orders; pass withOrders: true "
                                "to delete them too")
    return node_id


def _as_object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise MutationError.one("input", "INVALID_TYPE", "must be an object")
    return data


def _ids(data: dict[str, Any], fields: tuple[str, ...], problems: list[Problem]) -> dict[str, str]:
    """The checked id fields of ``data``; their problems go to ``problems``."""
    found = {}
    for field in fields:
        try:
            found[field] = _check_id(data.get(field), field)
        except MutationError as exc:
            problems += exc.problems
    return found


def _validated(model: Any, data: dict[str, Any], problems: list[Problem], prefix: str = "") -> dict[str, Any]:
    try:
        return validate(model, data, prefix)
    except MutationError as exc:
        problems += exc.problems
        return {}


def _check_id(value: Any, field: str) -> str:
    from graph.ids import ID_RULE, valid_id

    if not valid_id(value):
        raise MutationError.one(field, "INVALID_ID", ID_RULE)
    return str(value)


async def link(store: Store, type_: str, data: Any) -> dict[str, Any]:
    """Create or update the relationship ``type_`` between two nodes (idempotent)."""
    start_field, end_field = LINKS[type_]
    data = _as_object(data)
    problems: list[Problem] = []
    ends = _ids(data, (start_field, end_field), problems)
    props = _validated(rel_model(type_), {k: v for k, v in data.items() if k not in (start_field, end_field)},
                       problems)
    if problems:
        raise MutationError(problems)
    if type_ in NO_SELF_LINK and ends[start_field] == ends[end_field]:
        raise MutationError.one(end_field, "SELF_LINK", f"a {type_} relationship cannot link a node to itself")
    rows = await store.write(st.set_relationship(store.dialect, type_), {
        "start": ends[start_field], "end": ends[end_field], "props": _stored_rel(type_, props)})
    missing = rows[0]["missing"]
    if missing == "taken":
        one = ONE_ONLY[type_]
        field = start_field if one.side == "start" else end_field
        raise MutationError.one(field, "CONFLICT", one.problem())
    if missing:
        field = start_field if missing == "start" else end_field
        kinds = REL_KINDS[type_].start if missing == "start" else REL_KINDS[type_].end
        raise MutationError.one(field, "NOT_FOUND", f"no {' or '.join(kinds)} with id {ends[field]}")
    return {start_field: ends[start_field], end_field: ends[end_field], **props}


async def unlink(store: Store, type_: str, start: str, end: str) -> int:
    start_field, end_field = LINKS[type_]
    _check_id(start, start_field)
    _check_id(end, end_field)
    rows = await store.write(st.remove_relationship(type_), {"start": start, "end": end})
    if not rows[0]["removed"]:
        raise MutationError.one(end_field, "NOT_FOUND", f"no {type_} from {start} to {end}")
    return int(rows[0]["removed"])


async def record_order(store: Store, data: Any) -> dict[str, Any]:
    """An order with its lines, placed by a party and sold by a company. The total is
    computed from the lines; a total given as well must agree with it."""
    data = _as_object(data)
    problems: list[Problem] = []
    refs = _ids(data, ("customerId", "sellerId"), problems)
    items = data.get("items")
    lines: list[dict[str, Any]] = []
    if not isinstance(items, list) or not items:
        problems.append(Problem("items", "REQUIRED", "an order needs at least one item"))
    else:
        seen = set()
        for i, item in enumerate(items):
            prefix = f"items[{i}]."
            if not isinstance(item, dict):
                problems.append(Problem(f"items[{i}]", "INVALID_TYPE", "must be an object"))
                continue
            try:
                product = _check_id(item.get("productId"), prefix + "productId")
                line = validate(rel_model("CONTAINS"), {k: v for k, v in item.items() if k != "productId"}, prefix)
            except MutationError as exc:
                problems += exc.problems
                continue
            for key in ("qty", "unitPrice"):
                if line.get(key) is None:
                    problems.append(Problem(prefix + key, "REQUIRED", "Field required"))
            if product in seen:
                problems.append(Problem(prefix + "productId", "DUPLICATE_ITEM", "the product is already on the order"))
            seen.add(product)
            lines.append({"productId": product, **line})
    order = _validated(node_model("Order"),
                       {k: v for k, v in data.items() if k not in ("customerId", "sellerId", "items")}, problems)
    if problems:
        raise MutationError(problems)
    currency = _currency(order)
    order["currency"] = currency
    for i, line in enumerate(lines):
        problems += _amounts(line, ("unitPrice",), currency, f"items[{i}].")
        line["currency"] = currency
    problems += _amounts(order, ("total",), currency)
    if problems:
        raise MutationError(problems)
    computed = sum(line["qty"] * line["unitPrice"] for line in lines)  # whole minor units: exact
    if order.get("total") is not None and order["total"] != computed:
        raise MutationError.one("total", "TOTAL_MISMATCH", f"{data.get('total')} {currency} does not equal the "
                                                           f"sum of the items, {_shown(computed, currency)}")
    order["total"] = computed
    order.setdefault("status", "open")
    placed = epoch_ms(order["placedAt"])
    try:
        rate = await applicable(store, currency, placed)
    except MoneyInputError as exc:
        raise MutationError.one("currency", exc.code, str(exc)) from None
    order["baseTotal"] = convert(computed, currency, rate.rate, base_currency())
    order["exchangeRate"] = str(rate.rate)
    rows = await store.write(st.record_order(store.dialect), {
        "id": order["id"], "customer": refs["customerId"], "seller": refs["sellerId"],
        "props": _stored("Order", order), "items": lines,
        "currency": currency, "placedAt": placed, "rateFrom": rate.valid_from})
    row = rows[0]
    match row["problem"]:
        case None:
            return {**order, "customerId": refs["customerId"], "sellerId": refs["sellerId"], "items": lines}
        case "DUPLICATE_ID":
            raise MutationError.one("id", "DUPLICATE_ID", f"{order['id']} is already used")
        case "RATE_CHANGED":
            raise MutationError.one("currency", "CONFLICT", f"the {currency} exchange rate for that day changed "
                                                            "meanwhile; send the order again")
        case "items":
            raise MutationError([Problem(f"items[{i}].productId", "NOT_FOUND", f"no Product with id {line['productId']}")
                                 for i, line in enumerate(lines) if line["productId"] in row["unknownProducts"]])
        case field:
            kind = "Party" if field == "customerId" else "Company"
            raise MutationError.one(field, "NOT_FOUND", f"no {kind} with id {refs[field]}")


def _shown(minor: int, currency: str) -> str:
    from graph.money import from_minor

    return f"{from_minor(minor, currency)} {currency}"


async def record_referral(store: Store, data: Any) -> dict[str, Any]:
    data = _as_object(data)
    problems: list[Problem] = []
    refs = _ids(data, ("referrerId", "referredId"), problems)
    company = data.get("companyId")
    if company is not None:
        _ids(data, ("companyId",), problems)
    props = _validated(rel_model("REFERRED"),
                       {k: v for k, v in data.items() if k not in ("referrerId", "referredId", "companyId")},
                       problems)
    if problems:
        raise MutationError(problems)
    if refs["referrerId"] == refs["referredId"]:
        raise MutationError.one("referredId", "SELF_REFERRAL", "a party cannot refer itself")
    props.setdefault("status", "invited")
    if company is not None:
        props["company"] = company
    rows = await store.write(st.record_referral(store.dialect), {
        "referrer": refs["referrerId"], "referred": refs["referredId"], "company": company,
        "props": _stored_rel("REFERRED", props)})
    problem = rows[0]["problem"]
    messages = {
        "SELF_REFERRAL": ("referredId", "a party cannot refer itself (the ids name the same party)"),
        "REFERRAL_CYCLE": ("referredId", "the referred party already leads, through referrals, to the referrer"),
        "ALREADY_REFERRED": ("referredId", "this party was already referred" +
                             (f" for {company}" if company else "")),
    }
    if problem is None:
        return {**refs, "companyId": company, **props}
    if problem in messages:
        field, message = messages[problem]
        raise MutationError.one(field, problem, message)
    value = company if problem == "companyId" else refs[problem]
    raise MutationError.one(problem, "NOT_FOUND", f"no {'Company' if problem == 'companyId' else 'Party'} with id {value}")


async def _touchpoint(store: Store, label: str, data: Any, first: str, second: str, target_field: str,
                      kinds: tuple[str, ...]) -> dict[str, Any]:
    data = _as_object(data)
    problems: list[Problem] = []
    refs = _ids(data, ("partyId", target_field), problems)
    values = _validated(node_model(label), {k: v for k, v in data.items() if k not in ("partyId", target_field)},
                        problems)
    if problems:
        raise MutationError(problems)
    rows = await store.write(st.record_touchpoint(store.dialect, label, first, second, kinds), {
        "id": values["id"], "party": refs["partyId"], "target": refs[target_field],
        "props": _stored(label, values)})
    problem = rows[0]["problem"]
    if problem is None:
        return node_data(rows[0]["made"][0]) or {}
    if problem == "DUPLICATE_ID":
        raise MutationError.one("id", "DUPLICATE_ID", f"{values['id']} is already used")
    field = "partyId" if problem == "partyId" else target_field
    what = "Party" if field == "partyId" else " or ".join(kinds)
    raise MutationError.one(field, "NOT_FOUND", f"no {what} with id {refs[field]}")


async def record_interaction(store: Store, data: Any) -> dict[str, Any]:
    return await _touchpoint(store, "Interaction", data, "HAD", "WITH", "companyId", ("Company",))


async def record_feedback(store: Store, data: Any) -> dict[str, Any]:
    return await _touchpoint(store, "Feedback", data, "GAVE", "ABOUT", "aboutId", ("Company", "Product", "Order"))


async def merge_parties(store: Store, survivor: str, merged: str) -> dict[str, Any]:
    """Fold ``merged`` into ``survivor``: its relationships move over (no duplicates), it is
    deleted, and its id resolves to the survivor from then on."""
    _check_id(survivor, "survivorId")
    _check_id(merged, "mergedId")
    if survivor == merged:
        raise MutationError.one("mergedId", "SAME_PARTY", "cannot merge a party into itself")
    rows = await store.write(st.merge_parties(store.dialect), {"survivor": survivor, "merged": merged})
    if not rows:
        ids = {r["id"] for r in await store.read(
            "MATCH (n:Entity) WHERE n.id IN $ids AND n:Party RETURN n.id AS id", {"ids": [survivor, merged]})}
        field = "survivorId" if survivor not in ids else "mergedId"
        raise MutationError.one(field, "NOT_FOUND", f"no Party with id {survivor if field == 'survivorId' else merged}")
    if not rows[0]["sameKind"]:
        raise MutationError.one("mergedId", "KIND_MISMATCH", "a person merges only with a person, a company with a company")
    return node_data(rows[0]["survivor"]) or {}

