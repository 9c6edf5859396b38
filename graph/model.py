"""The data model as allow-lists.

Every label, relationship type and property name that can reach a Cypher statement is
declared here; the compiler refuses anything else. The GraphQL schema builds its filter
and ordering inputs from the same declarations, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

ENTITY = "Entity"
"""Shared label of every node: one unique constraint on ``Entity.id`` makes ids global."""
ALIAS = "Alias"
ALIAS_OF = "ALIAS_OF"
"""A merged party's id lives on as an ``(:Entity:Alias {id})-[:ALIAS_OF]->(survivor)``,
so old references still resolve and the id cannot be reused."""


class PropType(Enum):
    ID = "ID"
    STRING = "String"
    INT = "Int"
    FLOAT = "Float"
    BOOL = "Boolean"
    DATETIME = "DateTime"  # stored as epoch milliseconds (see graph.cypher.values)
    STRING_LIST = "StringList"
    MONEY = "Money"  # stored as integer minor units of a currency (see graph.money)


@dataclass(frozen=True)
class Prop:
    name: str
    type: PropType
    doc: str
    sortable: bool = False
    currency: str | None = None
    """Money only: the sibling property naming its currency; None: the base currency."""
    computed: bool = False
    """Set by the service when it writes (e.g. an order's base-currency total), never taken as input."""


@dataclass(frozen=True)
class NodeKind:
    label: str
    doc: str
    props: tuple[Prop, ...]
    extra_labels: tuple[str, ...] = ()
    default_sort: tuple[str, bool] = ("id", False)  # (property, descending)

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.label, *self.extra_labels, ENTITY)

    def prop(self, name: str) -> Prop | None:
        return next((p for p in self.props if p.name == name), None)


def _p(name: str, type_: PropType, doc: str, sortable: bool = False) -> Prop:
    return Prop(name, type_, doc, sortable)


def _money(name: str, doc: str, sortable: bool = True, currency: str | None = "currency",
           computed: bool = False) -> Prop:
    return Prop(name, PropType.MONEY, doc, sortable, currency, computed)


_CURRENCY = _p("currency", PropType.STRING, "ISO 4217 currency code of the amounts (default: the base currency).")
_MONEY_SORT = " Sorts by currency code, then amount."


S, I, F, B, D, L = (PropType.STRING, PropType.INT, PropType.FLOAT, PropType.BOOL,
                    PropType.DATETIME, PropType.STRING_LIST)

_ID = _p("id", PropType.ID, "Stable external id, unique across the whole graph.", True)
_PARTY = (
    _ID,
    _p("name", S, "Display name.", True),
    _p("email", S, "Primary e-mail address."),
    _p("phone", S, "Primary phone number."),
    _p("city", S, "City.", True),
    _p("region", S, "State, province or region."),
    _p("country", S, "ISO 3166-1 alpha-2 country code.", True),
    _p("createdAt", D, "When the party entered the CRM.", True),
)

PERSON = NodeKind(
    "Person",
    "A person: an individual consumer or a contact at a company.",
    _PARTY + (
        _p("firstName", S, "Given name.", True),
        _p("lastName", S, "Family name.", True),
        _p("age", I, "Age in years.", True),
        _p("occupation", S, "Occupation, e.g. 'marketing professional'."),
    ),
    extra_labels=("Party",),
    default_sort=("name", False),
)
COMPANY = NodeKind(
    "Company",
    "A business. Its roles (customer, supplier, reseller) are relationships, not types.",
    _PARTY + (
        _p("industry", S, "Industry, e.g. 'steel', 'automotive', 'consumer electronics'.", True),
        _p("employeeCount", I, "Number of employees.", True),
        _p("website", S, "Web site URL."),
    ),
    extra_labels=("Party",),
    default_sort=("name", False),
)
PRODUCT = NodeKind(
    "Product",
    "A product or service that is made, sold or used as a component.",
    (
        _ID,
        _p("sku", S, "Stock keeping unit.", True),
        _p("name", S, "Product name.", True),
        _p("category", S, "Category, e.g. 'laptop', 'warranty', 'steel sheet', 'car'.", True),
        _money("price", "List price per unit, in `currency`." + _MONEY_SORT),
        _money("cost", "Unit cost in `currency`, where known; an order line's margin is "
                       "qty x (unitPrice - cost) when the order is in the same currency." + _MONEY_SORT),
        _CURRENCY,
    ),
    default_sort=("name", False),
)
ORDER = NodeKind(
    "Order",
    "A purchase: placed by a party, sold by a company, containing products.",
    (
        _ID,
        _p("placedAt", D, "When the order was placed.", True),
        _p("channel", S, "Sales channel: store, web, phone, contract, marketplace.", True),
        _money("total", "Order total in `currency`: the sum of quantity x unit price, exact." + _MONEY_SORT),
        _CURRENCY,
        _money("baseTotal", "The total in the base currency, converted when the order was recorded at "
                            "`exchangeRate` (the rate in force on the day it was placed), rounded half to "
                            "even to the base currency's minor unit. Every revenue figure sums these.",
               currency=None, computed=True),
        Prop("exchangeRate", S, "Units of the base currency per unit of `currency` used for `baseTotal`, "
                                "as a decimal string (\"1\" for an order in the base currency).", computed=True),
        _p("status", S, "open, paid, shipped, delivered, cancelled or returned.", True),
        _p("paymentMethod", S, "credit_card, debit_card, invoice, cash, transfer."),
    ),
    default_sort=("placedAt", True),
)
INTERACTION = NodeKind(
    "Interaction",
    "One touchpoint between a party and a company, on any channel.",
    (
        _ID,
        _p("channel", S, "email, phone, chat, sms, social, store or web.", True),
        _p("direction", S, "inbound (from the party) or outbound (from the company).", True),
        _p("at", D, "When it happened.", True),
        _p("sentiment", F, "Sentiment from -1 (negative) to 1 (positive).", True),
        _p("summary", S, "Short summary of what was said or done."),
    ),
    default_sort=("at", True),
)
FEEDBACK = NodeKind(
    "Feedback",
    "A review, NPS answer or survey response given by a party.",
    (
        _ID,
        _p("kind", S, "review, nps or survey.", True),
        _p("rating", I, "Star rating 1-5 (reviews, surveys).", True),
        _p("nps", I, "Net promoter answer 0-10 (nps).", True),
        _p("text", S, "Free text."),
        _p("at", D, "When it was given.", True),
    ),
    default_sort=("at", True),
)
SEGMENT = NodeKind(
    "Segment",
    "A named group of parties with shared traits or behaviour.",
    (
        _ID,
        _p("name", S, "Segment name.", True),
        _p("description", S, "What the members have in common."),
    ),
    default_sort=("name", False),
)

NODE_KINDS: dict[str, NodeKind] = {
    k.label: k for k in (PERSON, COMPANY, PRODUCT, ORDER, INTERACTION, FEEDBACK, SEGMENT)
}
PARTY_KINDS = (PERSON, COMPANY)

UNCOUNTED = ("cancelled", "returned")
"""Order statuses that count nowhere: not as revenue, lifetime value, RFM or risk."""


@dataclass(frozen=True)
class RelKind:
    type: str
    start: tuple[str, ...]
    end: tuple[str, ...]
    doc: str
    props: tuple[Prop, ...] = ()


_SINCE = _p("since", D, "When the relationship began.", True)
_UNTIL = _p("until", D, "When it ended, if it has.", True)

REL_KINDS: dict[str, RelKind] = {r.type: r for r in (
    RelKind("PLACED", ("Person", "Company"), ("Order",), "A party placed an order."),
    RelKind("SOLD_BY", ("Order",), ("Company",), "The company that sold an order."),
    RelKind("CONTAINS", ("Order",), ("Product",), "An order line.", (
        _p("qty", I, "Quantity ordered.", True),
        _money("unitPrice", "Price per unit on this order, in the order's currency." + _MONEY_SORT),
        _p("currency", S, "The order's currency (ISO 4217), copied onto the line."),
    )),
    RelKind("SUPPLIES", ("Company",), ("Company",), "A supplier delivers to a customer company.", (
        _p("products", L, "What is supplied (product names or categories)."),
        _p("sharePct", F, "Share of the customer's need for these products, 0-100.", True),
        _p("leadTimeDays", I, "Lead time in days.", True),
        _p("singleSource", B, "True when the customer has no other supplier for them.", True),
        _p("contractEnd", D, "When the supply contract ends.", True),
        _SINCE, _UNTIL,
    )),
    RelKind("COMPONENT_OF", ("Product",), ("Product",), "Bill of materials: a part of a product.", (
        _p("qty", I, "How many of the part go into one unit.", True),
    )),
    RelKind("MAKES", ("Company",), ("Product",), "A company makes a product.", (_SINCE,)),
    RelKind("RESELLS_FOR", ("Company",), ("Company",), "A reseller sells another company's goods.", (
        _p("channelType", S, "distributor, retailer, dealer, marketplace.", True),
        _p("region", S, "Where the reseller sells.", True),
        _SINCE, _UNTIL,
    )),
    RelKind("REFERRED", ("Person", "Company"), ("Person", "Company"), "A party referred another.", (
        _p("at", D, "When the referral was made.", True),
        _p("channel", S, "How: word_of_mouth, email, social, link.", True),
        _p("status", S, "invited, converted, rewarded or rejected.", True),
        _p("company", PropType.ID, "Id of the company the referral was for, if any.", True),
    )),
    RelKind("WORKS_FOR", ("Person",), ("Company",), "Employment or contact role.", (
        _p("title", S, "Job title.", True),
        _p("isPrimary", B, "The person's main employer.", True),
        _SINCE, _UNTIL,
    )),
    RelKind("SUBSIDIARY_OF", ("Company",), ("Company",), "Corporate ownership.", (_SINCE,)),
    RelKind("HAD", ("Person", "Company"), ("Interaction",), "A party took part in an interaction."),
    RelKind("WITH", ("Interaction",), ("Company",), "The company on the other side."),
    RelKind("GAVE", ("Person", "Company"), ("Feedback",), "A party gave feedback."),
    RelKind("ABOUT", ("Feedback",), ("Company", "Product", "Order"), "What the feedback is about."),
    RelKind("IN_SEGMENT", ("Person", "Company"), ("Segment",), "Segment membership.", (_SINCE,)),
)}

Direction = Literal["out", "in"]


@dataclass(frozen=True)
class Hop:
    rel: str
    direction: Direction
    label: str | None = None  # label of the node this hop arrives at (None: any)


@dataclass(frozen=True)
class Aggregate:
    """An edge property computed over the intermediate nodes of a multi-hop field."""

    prop: Prop
    function: Literal["count", "sum", "max", "min"]
    of: str | None = None  # property of the intermediate node; None counts them


@dataclass(frozen=True)
class RelField:
    """A traversal a GraphQL field may follow from a node of ``owner``."""

    owner: str  # label the field hangs off ("Party" covers Person and Company)
    name: str
    hops: tuple[Hop, ...]
    targets: tuple[str, ...]
    many: bool
    doc: str
    aggregates: tuple[Aggregate, ...] = ()
    default_sort: tuple[str, bool] | None = None  # (property, descending)

    @property
    def rel(self) -> RelKind | None:
        """The relationship whose properties form the edge, for single-hop fields."""
        return REL_KINDS[self.hops[0].rel] if len(self.hops) == 1 else None

    @property
    def edge_props(self) -> tuple[Prop, ...]:
        if self.aggregates:
            return tuple(a.prop for a in self.aggregates)
        rel = self.rel
        return rel.props if rel else ()

    def edge_prop(self, name: str) -> Prop | None:
        return next((p for p in self.edge_props if p.name == name), None)


def _one(owner: str, name: str, rel: str, d: Direction, targets: tuple[str, ...], doc: str,
         many: bool = True, sort: tuple[str, bool] | None = None) -> RelField:
    label = targets[0] if len(targets) == 1 else ("Party" if set(targets) == {"Person", "Company"} else None)
    return RelField(owner, name, (Hop(rel, d, label),), targets, many, doc, default_sort=sort)


_PARTIES = ("Person", "Company")
_NEWEST = ("at", True)

REL_FIELDS: tuple[RelField, ...] = (
    _one("Party", "orders", "PLACED", "out", ("Order",), "Orders this party placed.", sort=("placedAt", True)),
    _one("Party", "referralsMade", "REFERRED", "out", _PARTIES, "Parties this party referred."),
    _one("Party", "referredBy", "REFERRED", "in", _PARTIES, "Parties that referred this party."),
    _one("Party", "interactions", "HAD", "out", ("Interaction",), "Touchpoints on every channel.", sort=_NEWEST),
    _one("Party", "feedback", "GAVE", "out", ("Feedback",), "Reviews, NPS answers and surveys given.", sort=_NEWEST),
    _one("Party", "segments", "IN_SEGMENT", "out", ("Segment",), "Segments this party belongs to."),
    _one("Person", "employers", "WORKS_FOR", "out", ("Company",), "Companies this person works for."),
    _one("Company", "employees", "WORKS_FOR", "in", ("Person",), "People who work for this company."),
    _one("Company", "suppliers", "SUPPLIES", "in", ("Company",), "Direct suppliers (tier 1 upstream)."),
    _one("Company", "suppliesTo", "SUPPLIES", "out", ("Company",), "Companies this one supplies (its business customers)."),
    _one("Company", "products", "MAKES", "out", ("Product",), "Products this company makes."),
    _one("Company", "sales", "SOLD_BY", "in", ("Order",), "Orders this company sold.", sort=("placedAt", True)),
    _one("Company", "resellers", "RESELLS_FOR", "in", ("Company",), "Companies that resell for this one."),
    _one("Company", "resellsFor", "RESELLS_FOR", "out", ("Company",), "Companies this one resells for."),
    _one("Company", "parent", "SUBSIDIARY_OF", "out", ("Company",), "Parent company.", many=False),
    _one("Company", "subsidiaries", "SUBSIDIARY_OF", "in", ("Company",), "Subsidiaries."),
    _one("Company", "feedbackAbout", "ABOUT", "in", ("Feedback",), "Feedback about this company.", sort=_NEWEST),
    _one("Company", "interactionsWith", "WITH", "in", ("Interaction",), "Touchpoints with this company.", sort=_NEWEST),
    RelField(
        "Company", "customers",
        (Hop("SOLD_BY", "in", "Order"), Hop("PLACED", "in", "Party")),
        _PARTIES, True,
        "Direct customers: parties that placed orders this company sold.",
        aggregates=(
            Aggregate(_p("orderCount", I, "Orders this customer placed with the company.", True), "count"),
            Aggregate(_money("revenue", "Sum of those orders' totals in the base currency (`Order.baseTotal`; "
                                        "cancelled and returned orders count here too).", currency=None),
                      "sum", "baseTotal"),
            Aggregate(_p("lastOrderAt", D, "When the latest of them was placed.", True), "max", "placedAt"),
        ),
    ),
    _one("Product", "components", "COMPONENT_OF", "in", ("Product",), "Parts that go into this product."),
    _one("Product", "usedIn", "COMPONENT_OF", "out", ("Product",), "Products this one is a part of."),
    _one("Product", "makers", "MAKES", "in", ("Company",), "Companies that make this product."),
    _one("Product", "orders", "CONTAINS", "in", ("Order",), "Orders containing this product.", sort=("placedAt", True)),
    _one("Order", "items", "CONTAINS", "out", ("Product",), "Order lines: products with quantity and unit price."),
    _one("Order", "seller", "SOLD_BY", "out", ("Company",), "The company that sold the order.", many=False),
    _one("Order", "customer", "PLACED", "in", _PARTIES, "The party that placed the order.", many=False),
    _one("Interaction", "party", "HAD", "in", _PARTIES, "The party on this touchpoint.", many=False),
    _one("Interaction", "company", "WITH", "out", ("Company",), "The company on this touchpoint.", many=False),
    _one("Feedback", "author", "GAVE", "in", _PARTIES, "Who gave the feedback.", many=False),
    _one("Feedback", "about", "ABOUT", "out", ("Company", "Product", "Order"), "What it is about.", many=False),
    _one("Segment", "members", "IN_SEGMENT", "in", _PARTIES, "Parties in this segment."),
)


def rel_field(owner: str, name: str) -> RelField:
    """Look a traversal up by the concrete label it starts from."""
    owners = {owner, "Party"} if owner in ("Person", "Company") else {owner}
    for f in REL_FIELDS:
        if f.owner in owners and f.name == name:
            return f
    raise KeyError(f"{owner}.{name}")


@dataclass(frozen=True)
class OneOnly:
    """A relationship a node has at most one of: an order's seller and its customer."""

    side: Literal["start", "end"]  # the end of the relationship that has only one
    owner: str  # that end's label
    field: str  # the GraphQL field that reads it

    def problem(self) -> str:
        article = "an" if self.owner[0] in "AEIOU" else "a"
        return f"{article} {self.owner} has one {self.field}: this {self.owner} already has another"


def _one_only() -> dict[str, OneOnly]:
    """From the single-valued one-hop fields: which relationship types a node has one of."""
    out: dict[str, OneOnly] = {}
    for f in REL_FIELDS:
        if not f.many and len(f.hops) == 1:
            hop = f.hops[0]
            out[hop.rel] = OneOnly("start" if hop.direction == "out" else "end", f.owner, f.name)
    return out


ONE_ONLY = _one_only()
"""Relationship type -> the end that has one (Order SOLD_BY, PLACED an Order, ...)."""


NAME_KEY = "nameKey"
NAME_KEYED = ("Person", "Company", "Product")
"""Kinds whose lists sort by name and hold, beside it, its numeric key (``graph.sort_keys``):
stored only, never in the schema, set by every write that sets a name."""


@dataclass(frozen=True)
class IndexSpec:
    label: str
    prop: str
    unique: bool = False


INDEXES: tuple[IndexSpec, ...] = (
    # Every id lookup goes through this one: a statement matching a kind by id names
    # Entity too, ``(n:Person:Entity {id: $id})``, so no kind has an id index of its own.
    IndexSpec(ENTITY, "id", unique=True),
    IndexSpec("Person", "name"),
    IndexSpec("Company", "name"),
    IndexSpec("Product", "name"),
    *(IndexSpec(label, NAME_KEY) for label in (*NAME_KEYED, "Party")),
    IndexSpec("Product", "sku"),
    IndexSpec("Order", "placedAt"),
    IndexSpec("Interaction", "at"),
    # graph.audit: not an Entity, never reached by the API's reads
    IndexSpec("AuditEvent", "at"),
    IndexSpec("AuditEvent", "event", unique=True),
    # graph.analytics.state: snapshots of whole-base figures and the refresh lock; not
    # Entities, never reached by the API's reads
    IndexSpec("AnalyticsSnapshot", "kind"),
    IndexSpec("AnalyticsLock", "name", unique=True),
    # graph.analytics.cohorts: referral cohort counters moved by each write
    IndexSpec("CohortCount", "month", unique=True),
    IndexSpec("CohortCountsBuilt", "name", unique=True),
    # graph.money_rates: the exchange-rate table, outside Entity
    IndexSpec("ExchangeRate", "currency"),
)

RETIRED_INDEXES: tuple[IndexSpec, ...] = tuple(IndexSpec(k.label, "id") for k in NODE_KINDS.values())
"""Indexes older versions created and ``ensure_schema`` drops: each kind's own ``id`` index
duplicated ``Entity.id`` (every node twice in the id indexes), and FalkorDB rebuilds every
index when it loads its snapshot (at 1M parties they took a fifth of the restart)."""
