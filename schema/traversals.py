"""Root fields that cross many hops: supply chains, indirect customers, disruption impact,
referral trees and chains, shortest paths, and whole-base statistics.

Each resolver unpacks its arguments, asks ``graph.traversals`` / ``graph.analytics`` for
one statement, runs it, and converts the result.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Annotated, Any, Optional

import strawberry
from graphql import get_named_type

from graph.money import Money as MoneyData
from schema.money import Money
from strawberry.scalars import JSON
from strawberry.types import Info

from graph.analytics import reads as analytics
from graph.analytics.stats import cohort_window
from graph.cypher.errors import QueryInputError
from graph.model import REL_KINDS
from graph.traversals import disruption as dis
from graph.traversals import indirect as ind
from graph.traversals import paths as pth
from graph.traversals import referrals as ref
from graph.traversals import supply_chain as sc
from graph.traversals.bounds import DEFAULT_DEPTH, DEFAULT_LIMIT, MAX_DEPTH, MAX_LIMIT, Bounds, EdgeRead
from schema.analytics import ReferralCohort, SegmentCount
from schema.context import Context
from schema.errors import input_error, translating
from schema.plans import COMPILED_ROOTS, RootPlan, run_plan
from schema.registry import BUILDER
from schema.selection import SelectionReader
from schema.types import Node, PageInfo

Party = BUILDER.gql_types[("Person", "Company")]
Company = BUILDER.gql_types[("Company",)]


def node(data: dict[str, Any] | None) -> Any:
    return BUILDER.to_object(data)


def node_props(raw: Any) -> frozenset[str] | None:
    """The node properties the traversal's selection reads (None: it needs whole nodes)."""
    return SelectionReader(raw).node_props_read(list(raw.field_nodes), raw.return_type)


EDGE_ENDS = frozenset({"from", "to", "type", "tier", "__typename"})  # edge fields not read from its properties


def edge_read(raw: Any, links_decide_single_source: bool = True) -> EdgeRead:
    """What the traversal's selection reads of its ``edges``: nothing, their ends, or a
    property. Its nodes' ``singleSource`` reads the properties too where the links decide
    it (a company's supply chain; a product's is decided by its makers)."""
    reader = SelectionReader(raw)
    root = get_named_type(raw.return_type)
    below = reader.collect(list(raw.field_nodes), {root.name})

    def names(field: str) -> set[str]:
        nodes = [n for name, field_nodes in below.values() if name == field for n in field_nodes]
        if not nodes:
            return set()
        return {name for name, _ in reader.collect(nodes, {get_named_type(root.fields[field].type).name}).values()}

    read = names("edges")
    if read - EDGE_ENDS or (links_decide_single_source and "singleSource" in names("nodes")):
        return "props"
    return "ends" if read else "none"


def traversal_plan(build: Any, cls: type, cacheable: bool = True) -> RootPlan:
    """A traversal's one statement, built by ``build(dialect, scope)`` with the caller's
    compiler's dialect and scope, wrapped in ``cls``."""
    return RootPlan(lambda compiler: build(compiler.dialect, compiler.scope), lambda data: _wrap(cls, data),
                    cacheable)


FRESH_DOC = ("Compute from scratch over the whole graph (a full scan) instead of reading the newest "
             "analytics snapshot.")
DEPTH_DOC = f"How many hops to follow (default {DEFAULT_DEPTH}, at most {MAX_DEPTH})."
LIMIT_DOC = (f"Most nodes to return (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}); "
             "`truncated` says when more exist.")

# -- supply chain ----------------------------------------------------------------------


@strawberry.enum(description="Which way a supply chain is walked.")
class ChainDirection(Enum):
    UPSTREAM = strawberry.enum_value("UPSTREAM", description="Towards suppliers (or components).")
    DOWNSTREAM = strawberry.enum_value("DOWNSTREAM", description="Towards customers (or products it goes into).")


@strawberry.type(description="A company or product in a supply chain, with its tier.")
class SupplyChainNode:
    data: strawberry.Private[sc.ChainNode]

    @strawberry.field(description="The company or product.")
    def node(self) -> Node:
        return node(self.data.node)

    @strawberry.field(description="Hops from the root: 1 = direct supplier / customer / component.")
    def tier(self) -> int:
        return self.data.tier

    @strawberry.field(description=(
        "Distinct paths from the root to it of at most maxDepth hops that visit no node twice "
        "(parallel relationships make distinct paths). Counted without `limit`: nodes left out "
        "still count as waypoints."))
    def paths(self) -> int:
        return self.data.paths

    @strawberry.field(description="`paths` > 1: reached by more than one such path.")
    def multiple_paths(self) -> bool:
        return self.data.paths > 1

    @strawberry.field(description=(
        "Companies: true when a SUPPLIES link marked singleSource, among this chain's `edges`, "
        "starts or ends here: the company depends on a single source in the chain, or is the "
        "single source of a company in the chain (both ends are marked, whichever the direction). "
        "The root is not a node; links outside the chain are not looked at. "
        "Products: exactly one company makes it (see `makers`)."))
    def single_source(self) -> bool:
        return self.data.single_source

    @strawberry.field(description="Products: the companies that make it (empty for companies).")
    def makers(self) -> list[Company]:  # type: ignore[valid-type]
        return [node(m) for m in self.data.makers]


@strawberry.type(description="A SUPPLIES or COMPONENT_OF relationship inside the chain.")
class SupplyChainEdge:
    data: strawberry.Private[sc.ChainEdge]

    @strawberry.field(name="from", description="Id of the supplier (or component).")
    def from_(self) -> strawberry.ID:
        return strawberry.ID(self.data.start)

    @strawberry.field(description="Id of the customer (or product it goes into).")
    def to(self) -> strawberry.ID:
        return strawberry.ID(self.data.end)

    @strawberry.field(description="SUPPLIES or COMPONENT_OF.")
    def type(self) -> str:
        return self.data.type

    @strawberry.field(description="Tier of the end farther from the root.")
    def tier(self) -> int:
        return self.data.tier

    @strawberry.field(description="SUPPLIES: what is supplied.")
    def products(self) -> Optional[list[str]]:  # noqa: UP045
        return self.data.props.get("products")

    @strawberry.field(description="SUPPLIES: share of the customer's need, 0-100.")
    def share_pct(self) -> Optional[float]:  # noqa: UP045
        return self.data.props.get("sharePct")

    @strawberry.field(description="SUPPLIES: lead time in days.")
    def lead_time_days(self) -> Optional[int]:  # noqa: UP045
        return self.data.props.get("leadTimeDays")

    @strawberry.field(description="SUPPLIES: the link's stored singleSource flag (the customer has no other "
                                  "supplier for these products); null when not recorded.")
    def single_source(self) -> Optional[bool]:  # noqa: UP045
        return self.data.props.get("singleSource")

    @strawberry.field(description="SUPPLIES: when the contract ends.")
    def contract_end(self) -> Optional[datetime]:  # noqa: UP045
        return self.data.props.get("contractEnd")

    @strawberry.field(description="COMPONENT_OF: how many go into one unit.")
    def qty(self) -> Optional[int]:  # noqa: UP045
        return self.data.props.get("qty")


@strawberry.type(description="A supply chain, tier by tier, to a bounded depth.")
class SupplyChain:
    data: strawberry.Private[sc.SupplyChain]

    @strawberry.field(description="The company or product the chain starts from.")
    def root(self) -> Node:
        return node(self.data.root)

    @strawberry.field(description="The direction walked.")
    def direction(self) -> ChainDirection:
        return ChainDirection(self.data.direction)

    @strawberry.field(description="The depth walked.")
    def max_depth(self) -> int:
        return self.data.depth

    @strawberry.field(description="Everything reached, nearest tier first, then by id; each node once.")
    def nodes(self) -> list[SupplyChainNode]:
        return [SupplyChainNode(data=n) for n in self.data.nodes]

    @strawberry.field(description="The relationships among the root and the nodes.")
    def edges(self) -> list[SupplyChainEdge]:
        return [SupplyChainEdge(data=e) for e in self.data.edges]

    @strawberry.field(description="More nodes were reached than `limit`.")
    def truncated(self) -> bool:
        return self.data.truncated


# -- indirect customers --------------------------------------------------------------------


@strawberry.enum(description="How an intermediary is downstream of the company.")
class IndirectRoute(Enum):
    SUPPLY = strawberry.enum_value("SUPPLY", description="Along SUPPLIES relationships.")
    RESALE = strawberry.enum_value("RESALE", description="Resells for a company on the supply chain (or for it).")
    COMPONENT = strawberry.enum_value("COMPONENT", description="Sells a product that contains its products.")


@strawberry.type(description="A party buying through an intermediary, with what it spent there.")
class IndirectCustomer:
    data: strawberry.Private[ind.CustomerShare]

    @strawberry.field(description="The party.")
    def party(self) -> Party:  # type: ignore[valid-type]
        return node(self.data.node)

    @strawberry.field(description="Revenue of its orders with the intermediary, in the base currency (exact).")
    def revenue(self) -> Money:
        return Money(data=MoneyData.base(self.data.revenue))

    @strawberry.field(description="Its orders with the intermediary.")
    def order_count(self) -> int:
        return self.data.orders


@strawberry.type(description="The indirect customers reached through one intermediary.")
class IntermediaryGroup:
    data: strawberry.Private[ind.IntermediaryGroup]

    @strawberry.field(description="Cursor of this group, for `after`.")
    def cursor(self) -> str:
        return self.data.cursor

    @strawberry.field(description="The company the customers bought from.")
    def intermediary(self) -> Company:  # type: ignore[valid-type]
        return node(self.data.intermediary)

    @strawberry.field(description="How it is downstream of the company.")
    def routes(self) -> list[IndirectRoute]:
        return [IndirectRoute(r) for r in self.data.routes]

    @strawberry.field(description="A shortest route from the company to the intermediary.")
    def path(self) -> list[Node]:
        return [node(n) for n in self.data.path]

    @strawberry.field(description="Revenue of indirect customers' orders with this intermediary, in the base currency (exact).")
    def revenue(self) -> Money:
        return Money(data=MoneyData.base(self.data.revenue))

    @strawberry.field(description="Those orders.")
    def order_count(self) -> int:
        return self.data.orders

    @strawberry.field(description="Distinct indirect customers of this intermediary.")
    def customer_count(self) -> int:
        return self.data.customer_count

    @strawberry.field(description="The top customers by revenue (`customersPerIntermediary`).")
    def customers(self) -> list[IndirectCustomer]:
        return [IndirectCustomer(data=c) for c in self.data.customers]


@strawberry.type(description="Indirect customers of a company, grouped by intermediary, highest revenue first.")
class IndirectCustomers:
    data: strawberry.Private[ind.IndirectCustomers]

    @strawberry.field(description="The company.")
    def company(self) -> Company:  # type: ignore[valid-type]
        return node(self.data.company)

    @strawberry.field(description="This page of intermediaries.")
    def intermediaries(self) -> list[IntermediaryGroup]:
        return [IntermediaryGroup(data=g) for g in self.data.groups]

    @strawberry.field(description="Paging over intermediaries.")
    def page_info(self) -> PageInfo:
        groups = self.data.groups
        return PageInfo(has_next_page=self.data.has_next_page, has_previous_page=self.data.has_previous_page,
                        start_cursor=groups[0].cursor if groups else None,
                        end_cursor=groups[-1].cursor if groups else None)

    @strawberry.field(description="Intermediaries in all pages.")
    def total_intermediaries(self) -> int:
        return self.data.total_intermediaries

    @strawberry.field(description="Distinct indirect customers in all pages.")
    def total_customers(self) -> int:
        return self.data.total_customers

    @strawberry.field(description="Revenue of all their orders with intermediaries, in the base currency (exact).")
    def total_revenue(self) -> Money:
        return Money(data=MoneyData.base(self.data.total_revenue))


# -- disruption ------------------------------------------------------------------------------


@strawberry.type(description="A downstream company hit by the failure.")
class ImpactedCompany:
    data: strawberry.Private[dis.HitCompany]

    @strawberry.field(description="The company.")
    def company(self) -> Company:  # type: ignore[valid-type]
        return node(self.data.node)

    @strawberry.field(description="Hops from the failing company.")
    def tier(self) -> int:
        return self.data.tier

    @strawberry.field(description="SUPPLIES links into it from companies that are neither the failing company "
                                  "nor hit within maxDepth.")
    def alternative_suppliers(self) -> int:
        return self.data.alternative_suppliers

    @strawberry.field(description="alternativeSuppliers > 0.")
    def has_alternative(self) -> bool:
        return self.data.has_alternative


@strawberry.type(description="A product hit by the failure.")
class ImpactedProduct:
    data: strawberry.Private[dis.HitProduct]

    @strawberry.field(description="The product.")
    def product(self) -> Node:
        return node(self.data.node)

    @strawberry.field(description="0: made by the failing company; n: contains such a part n levels down.")
    def tier(self) -> int:
        return self.data.tier

    @strawberry.field(description="Companies outside the failing chain that make it.")
    def other_makers(self) -> int:
        return self.data.other_makers

    @strawberry.field(description="It can be bought elsewhere, or every hit part it needs can.")
    def has_alternative(self) -> bool:
        return self.data.has_alternative


@strawberry.type(description="An open order hit by the failure.")
class AffectedOrder:
    data: strawberry.Private[dis.AffectedOrder]

    @strawberry.field(description="The order.")
    def order(self) -> Node:
        return node(self.data.node)

    @strawberry.field(description="Who placed it.")
    def customer(self) -> Optional[Party]:  # type: ignore[valid-type]  # noqa: UP045
        return node(self.data.customer)


@strawberry.type(description=(
    "What a supplier's failure hits downstream. Affected orders: sold by the failing company or a "
    "company downstream of it, or containing a hit product; cancelled and returned ones excluded."))
class DisruptionImpact:
    data: strawberry.Private[dis.DisruptionImpact]

    @strawberry.field(description="The failing company.")
    def company(self) -> Company:  # type: ignore[valid-type]
        return node(self.data.company)

    @strawberry.field(description="Downstream companies hit, nearest first.")
    def companies(self) -> list[ImpactedCompany]:
        return [ImpactedCompany(data=c) for c in self.data.companies]

    @strawberry.field(description="Products hit: its own, and those built from them.")
    def products(self) -> list[ImpactedProduct]:
        return [ImpactedProduct(data=p) for p in self.data.products]

    @strawberry.field(description="Affected orders still open or paid (not shipped), up to `limit`.")
    def open_orders(self) -> list[AffectedOrder]:
        return [AffectedOrder(data=o) for o in self.data.open_orders]

    @strawberry.field(description="How many affected orders are open or paid.")
    def open_order_count(self) -> int:
        return self.data.open_order_count

    @strawberry.field(description="Their total value, in the base currency (exact).")
    def open_order_value(self) -> Money:
        return Money(data=MoneyData.base(self.data.open_order_value))

    @strawberry.field(description="Customers of affected orders (open, or placed in the window), up to `limit`.")
    def end_customers(self) -> list[Party]:  # type: ignore[valid-type]
        return [node(c) for c in self.data.end_customers]

    @strawberry.field(description="How many such customers.")
    def end_customer_count(self) -> int:
        return self.data.end_customer_count

    @strawberry.field(description="Total of affected orders placed in the window [from, to), in the base currency (exact).")
    def revenue_at_risk(self) -> Money:
        return Money(data=MoneyData.base(self.data.revenue_at_risk))

    @strawberry.field(name="from", description="Window start.")
    def from_(self) -> datetime:
        return self.data.window_from

    @strawberry.field(description="Window end (exclusive).")
    def to(self) -> datetime:
        return self.data.window_to

    @strawberry.field(description="Some list was cut at `limit`.")
    def truncated(self) -> bool:
        return self.data.truncated


# -- referrals -------------------------------------------------------------------------------


@strawberry.type(description="A party in a referral tree or chain.")
class ReferralNode:
    data: strawberry.Private[ref.ReferralNode]

    @strawberry.field(description="The party.")
    def party(self) -> Party:  # type: ignore[valid-type]
        return node(self.data.node)

    @strawberry.field(description="Generation: 1 = referred by the root (tree) or who referred it (chain).")
    def generation(self) -> int:
        return self.data.generation


@strawberry.type(description="A REFERRED relationship.")
class ReferralEdge:
    data: strawberry.Private[ref.ReferralEdge]

    @strawberry.field(name="from", description="Id of the referrer.")
    def from_(self) -> strawberry.ID:
        return strawberry.ID(self.data.start)

    @strawberry.field(description="Id of the referred party.")
    def to(self) -> strawberry.ID:
        return strawberry.ID(self.data.end)

    @strawberry.field(description="invited, converted, rewarded or rejected.")
    def status(self) -> Optional[str]:  # noqa: UP045
        return self.data.props.get("status")

    @strawberry.field(description="When the referral was made.")
    def at(self) -> Optional[datetime]:  # noqa: UP045
        return self.data.props.get("at")

    @strawberry.field(description="How the referral was made.")
    def channel(self) -> Optional[str]:  # noqa: UP045
        return self.data.props.get("channel")

    @strawberry.field(description="Id of the company the referral was for, if any.")
    def company(self) -> Optional[strawberry.ID]:  # noqa: UP045
        value = self.data.props.get("company")
        return None if value is None else strawberry.ID(value)


@strawberry.type(description="One generation of a referral tree, counted over every member.")
class ReferralGeneration:
    data: strawberry.Private[ref.Generation]

    @strawberry.field(description="1 = referred by the root.")
    def generation(self) -> int:
        return self.data.generation

    @strawberry.field(description="Parties in this generation.")
    def invited(self) -> int:
        return self.data.invited

    @strawberry.field(description="Of them, referred with status converted or rewarded.")
    def converted(self) -> int:
        return self.data.converted

    @strawberry.field(description="converted / invited.")
    def conversion_rate(self) -> float:
        return self.data.conversion_rate

    @strawberry.field(description="Revenue of their orders (cancelled and returned excluded), in the base currency (exact).")
    def revenue(self) -> Money:
        return Money(data=MoneyData.base(self.data.revenue))


@strawberry.type(description="Everyone a party's referrals reached, to a bounded depth.")
class ReferralTree:
    data: strawberry.Private[ref.ReferralTree]

    @strawberry.field(description="The referrer at the root.")
    def root(self) -> Party:  # type: ignore[valid-type]
        return node(self.data.root)

    @strawberry.field(description="Descendants, by generation then id, up to `limit`; each once.")
    def nodes(self) -> list[ReferralNode]:
        return [ReferralNode(data=n) for n in self.data.nodes]

    @strawberry.field(description="The referrals among the root and those nodes.")
    def edges(self) -> list[ReferralEdge]:
        return [ReferralEdge(data=e) for e in self.data.edges]

    @strawberry.field(description="Per-generation counts over all descendants (not only the listed nodes).")
    def generations(self) -> list[ReferralGeneration]:
        return [ReferralGeneration(data=g) for g in self.data.generations]

    @strawberry.field(description="More descendants exist than `limit`.")
    def truncated(self) -> bool:
        return self.data.truncated


@strawberry.type(description="Who referred a party, who referred them, and so on.")
class ReferralChain:
    data: strawberry.Private[ref.ReferralChain]

    @strawberry.field(description="The party.")
    def party(self) -> Party:  # type: ignore[valid-type]
        return node(self.data.party)

    @strawberry.field(description="Referrers above it, nearest first.")
    def referrers(self) -> list[ReferralNode]:
        return [ReferralNode(data=n) for n in self.data.referrers]

    @strawberry.field(description="The referrals along the chain.")
    def edges(self) -> list[ReferralEdge]:
        return [ReferralEdge(data=e) for e in self.data.edges]

    @strawberry.field(description="More referrers exist than `limit`.")
    def truncated(self) -> bool:
        return self.data.truncated


# -- paths -----------------------------------------------------------------------------------

RelationshipType = strawberry.enum(
    Enum("RelationshipType", {t: strawberry.enum_value(t, description=r.doc) for t, r in REL_KINDS.items()}),
    description="Relationship types a path may follow.")


@strawberry.enum(description="Which way relationships may be followed.")
class PathDirection(Enum):
    OUTGOING = strawberry.enum_value("OUTGOING", description="Only from start to end node.")
    INCOMING = strawberry.enum_value("INCOMING", description="Only from end to start node.")
    BOTH = strawberry.enum_value("BOTH", description="Either way.")


@strawberry.type(description="A relationship on a path.")
class PathRelationship:
    data: strawberry.Private[pth.PathStep]

    @strawberry.field(description="Relationship type.")
    def type(self) -> str:
        return self.data.type

    @strawberry.field(name="from", description="Id of its start node (it points from here).")
    def from_(self) -> strawberry.ID:
        return strawberry.ID(self.data.start)

    @strawberry.field(description="Id of its end node.")
    def to(self) -> strawberry.ID:
        return strawberry.ID(self.data.end)

    @strawberry.field(description="Its properties (date-times as ISO-8601).")
    def properties(self) -> JSON:
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in self.data.props.items()
                if v is not None}


@strawberry.type(description="A shortest path between two parties.")
class Path:
    data: strawberry.Private[pth.Path]

    @strawberry.field(description="Relationships on it.")
    def length(self) -> int:
        return self.data.length

    @strawberry.field(description="Its nodes, from the start party to the end party.")
    def nodes(self) -> list[Node]:
        return [node(n) for n in self.data.nodes]

    @strawberry.field(description="Its relationships, in path order; each says which way it points.")
    def relationships(self) -> list[PathRelationship]:
        return [PathRelationship(data=r) for r in self.data.relationships]


DEFAULT_PATH_TYPES = ["REFERRED", "WORKS_FOR", "SUPPLIES", "RESELLS_FOR", "SUBSIDIARY_OF"]


def _window(start: datetime | None, end: datetime | None, default_days: int) -> tuple[datetime, datetime]:
    end = end or datetime.now(UTC)
    return start or end - timedelta(days=default_days), end


def _wrap(cls: type, data: Any) -> Any:
    return None if data is None else cls(data=data)


# -- plans: what each traversal root field runs, shared by its resolver and the fast path --


def supply_chain_plan(path: str, company_id: Any = None, product_id: Any = None,
                      direction: Any = ChainDirection.DOWNSTREAM, max_depth: int = DEFAULT_DEPTH,
                      limit: int = DEFAULT_LIMIT, only: frozenset[str] | None = None,
                      edges: EdgeRead = "props") -> RootPlan:
    if (company_id is None) == (product_id is None):
        raise input_error(QueryInputError(f"{path}.companyId", "give exactly one of companyId and productId"))
    kind, root = ("Company", company_id) if company_id is not None else ("Product", product_id)
    return traversal_plan(lambda d, s: sc.supply_chain(d, str(root), kind, direction.value,
                                                       Bounds(max_depth, limit), path, s, only, edges),
                          SupplyChain)


def indirect_customers_plan(path: str, company_id: Any, max_depth: int = DEFAULT_DEPTH, first: int = 20,
                            after: str | None = None, customers_per_intermediary: int = 10,
                            only: frozenset[str] | None = None) -> RootPlan:
    return traversal_plan(lambda d, s: ind.indirect_customers(
        d, str(company_id), Bounds(max_depth, DEFAULT_LIMIT), first, after, customers_per_intermediary, path, s,
        only), IndirectCustomers)


def disruption_impact_plan(path: str, company_id: Any, from_: datetime | None = None, to: datetime | None = None,
                           max_depth: int = DEFAULT_DEPTH, limit: int = DEFAULT_LIMIT,
                           only: frozenset[str] | None = None) -> RootPlan:
    start, end = _window(from_, to, 365)
    # the default window ends now: such a statement is built for each request
    return traversal_plan(lambda d, s: dis.disruption_impact(d, str(company_id), start, end,
                                                             Bounds(max_depth, limit), path, s, only),
                          DisruptionImpact, cacheable=from_ is not None and to is not None)


def referral_tree_plan(path: str, party_id: Any, max_depth: int = DEFAULT_DEPTH,
                       limit: int = DEFAULT_LIMIT, only: frozenset[str] | None = None,
                       edges: EdgeRead = "props") -> RootPlan:
    return traversal_plan(lambda d, _s: ref.referral_tree(d, str(party_id), Bounds(max_depth, limit), path, only,
                                                          edges), ReferralTree)


def referral_chain_plan(path: str, party_id: Any, max_depth: int = MAX_DEPTH, limit: int = DEFAULT_LIMIT,
                        only: frozenset[str] | None = None, edges: EdgeRead = "props") -> RootPlan:
    return traversal_plan(lambda d, _s: ref.referral_chain(d, str(party_id), Bounds(max_depth, limit), path,
                                                           only, edges), ReferralChain)


def path_parts(raw: Any) -> frozenset[pth.PathPart]:
    """Which of a path's lists the selection reads (``length`` alone reads neither)."""
    grouped = SelectionReader(raw).collect(list(raw.field_nodes), {"Path"})
    selected = {name for name, _nodes in grouped.values()}
    return frozenset(part for part in pth.ALL_PARTS if part in selected)


def shortest_path_plan(path: str, from_: Any, to: Any, types: Any = None, direction: Any = PathDirection.BOTH,
                       max_depth: int = 4, parts: frozenset[pth.PathPart] = pth.ALL_PARTS,
                       only: frozenset[str] | None = None) -> RootPlan:
    names = [t.value for t in types] if types is not None else DEFAULT_PATH_TYPES
    names = [getattr(n, "value", n) for n in names]
    return traversal_plan(lambda d, _s: pth.shortest_path(d, str(from_), str(to), names, direction.value,
                                                          Bounds(max_depth, 1), path, parts, only), Path)


def _from_args(plan: Any) -> Any:
    return lambda raw, key, args: plan(key, **args, only=node_props(raw))


def _with_edges(plan: Any) -> Any:
    return lambda raw, key, args: plan(key, **args, only=node_props(raw),
                                       edges=edge_read(raw, args.get("product_id") is None))


COMPILED_ROOTS.update({
    "supplyChain": _with_edges(supply_chain_plan),
    "indirectCustomers": _from_args(indirect_customers_plan),
    "disruptionImpact": _from_args(disruption_impact_plan),
    "referralTree": _with_edges(referral_tree_plan),
    "referralChain": _with_edges(referral_chain_plan),
    "shortestPath": lambda raw, key, args: shortest_path_plan(key, **args, parts=path_parts(raw),
                                                              only=node_props(raw)),
})


@strawberry.type
class TraversalQuery:
    @strawberry.field(description="The supply chain of a company (SUPPLIES) or a product (bill of materials and "
                                  "makers), tier by tier. Give exactly one of companyId and productId.")
    async def supply_chain(
        self, info: Info,
        company_id: Annotated[Optional[strawberry.ID], strawberry.argument(description="A company.")] = None,  # noqa: UP045
        product_id: Annotated[Optional[strawberry.ID], strawberry.argument(description="A product.")] = None,  # noqa: UP045
        direction: Annotated[ChainDirection, strawberry.argument(description="Which way to walk.")] = ChainDirection.DOWNSTREAM,
        max_depth: Annotated[int, strawberry.argument(description=DEPTH_DOC)] = DEFAULT_DEPTH,
        limit: Annotated[int, strawberry.argument(description=LIMIT_DOC)] = DEFAULT_LIMIT,
    ) -> Optional[SupplyChain]:  # noqa: UP045
        return await run_plan(info.context, supply_chain_plan(info.path.key, company_id, product_id, direction,
                                                              max_depth, limit, node_props(info._raw_info),
                                                              edge_read(info._raw_info, product_id is None)))

    @strawberry.field(description="Parties that buy from companies downstream of a company (through supply "
                                  "chains, resellers, or products containing its products), excluding its "
                                  "direct customers, grouped by intermediary with revenue.")
    async def indirect_customers(
        self, info: Info,
        company_id: Annotated[strawberry.ID, strawberry.argument(description="The company.")],
        max_depth: Annotated[int, strawberry.argument(description=DEPTH_DOC)] = DEFAULT_DEPTH,
        first: Annotated[int, strawberry.argument(description="Intermediaries per page (at most 100).")] = 20,
        after: Annotated[Optional[str], strawberry.argument(description=(
            "Cursor of the last group seen: the next page starts right after that group (revenue "
            "descending, ties by intermediary id); a group no longer in the answer fails with "
            "INVALID_CURSOR."))] = None,  # noqa: UP045
        customers_per_intermediary: Annotated[int, strawberry.argument(
            description="Top customers listed per intermediary (at most 100).")] = 10,
    ) -> Optional[IndirectCustomers]:  # noqa: UP045
        return await run_plan(info.context, indirect_customers_plan(info.path.key, company_id, max_depth, first, after,
                                                                    customers_per_intermediary,
                                                                    node_props(info._raw_info)))

    @strawberry.field(description="If a company fails: downstream companies and products hit (with "
                                  "alternatives), open orders and end customers affected, revenue at risk.")
    async def disruption_impact(
        self, info: Info,
        company_id: Annotated[strawberry.ID, strawberry.argument(description="The failing company.")],
        from_: Annotated[Optional[datetime], strawberry.argument(  # noqa: UP045
            name="from", description="Window start for revenue at risk; default `to` minus 365 days.")] = None,
        to: Annotated[Optional[datetime], strawberry.argument(description="Window end; default now.")] = None,  # noqa: UP045
        max_depth: Annotated[int, strawberry.argument(description=DEPTH_DOC)] = DEFAULT_DEPTH,
        limit: Annotated[int, strawberry.argument(description=LIMIT_DOC)] = DEFAULT_LIMIT,
    ) -> Optional[DisruptionImpact]:  # noqa: UP045
        return await run_plan(info.context, disruption_impact_plan(info.path.key, company_id, from_, to, max_depth,
                                                                   limit, node_props(info._raw_info)))

    @strawberry.field(description="Everyone a party referred, and whom they referred, to maxDepth "
                                  "generations, with counts per generation.")
    async def referral_tree(
        self, info: Info,
        party_id: Annotated[strawberry.ID, strawberry.argument(description="The referrer at the root.")],
        max_depth: Annotated[int, strawberry.argument(description=DEPTH_DOC)] = DEFAULT_DEPTH,
        limit: Annotated[int, strawberry.argument(description=LIMIT_DOC)] = DEFAULT_LIMIT,
    ) -> Optional[ReferralTree]:  # noqa: UP045
        return await run_plan(info.context, referral_tree_plan(info.path.key, party_id, max_depth, limit,
                                                               node_props(info._raw_info),
                                                               edge_read(info._raw_info)))

    @strawberry.field(description="Who referred a party, up the chain to its root (or maxDepth).")
    async def referral_chain(
        self, info: Info,
        party_id: Annotated[strawberry.ID, strawberry.argument(description="The party.")],
        max_depth: Annotated[int, strawberry.argument(description=DEPTH_DOC)] = MAX_DEPTH,
        limit: Annotated[int, strawberry.argument(description=LIMIT_DOC)] = DEFAULT_LIMIT,
    ) -> Optional[ReferralChain]:  # noqa: UP045
        return await run_plan(info.context, referral_chain_plan(info.path.key, party_id, max_depth, limit,
                                                                node_props(info._raw_info),
                                                                edge_read(info._raw_info)))

    @strawberry.field(description="A shortest path between two parties over the given relationship types; "
                                  "null when there is none within maxDepth.")
    async def shortest_path(
        self, info: Info,
        from_: Annotated[strawberry.ID, strawberry.argument(name="from", description="Start party.")],
        to: Annotated[strawberry.ID, strawberry.argument(description="End party.")],
        types: Annotated[Optional[list[RelationshipType]], strawberry.argument(  # type: ignore[valid-type]  # noqa: UP045
            description=f"Relationship types to follow; default {', '.join(DEFAULT_PATH_TYPES)}.")] = None,
        direction: Annotated[PathDirection, strawberry.argument(description="Which way.")] = PathDirection.BOTH,
        max_depth: Annotated[int, strawberry.argument(
            description=f"Most relationships on the path (default 4, at most {pth.MAX_PATH_DEPTH}).")] = 4,
    ) -> Optional[Path]:  # noqa: UP045
        return await run_plan(info.context, shortest_path_plan(info.path.key, from_, to, types, direction, max_depth,
                                                               path_parts(info._raw_info), node_props(info._raw_info)))

    @strawberry.field(description="Customers and revenue per RFM segment, over every party with orders: "
                                  "from the newest analytics snapshot (see `snapshot`: at most the "
                                  "staleness setting old; see SegmentCount for why not exact at read "
                                  "time) unless `fresh`.")
    async def segment_summary(
        self, info: Info,
        fresh: Annotated[bool, strawberry.argument(description=FRESH_DOC)] = False,
    ) -> list[SegmentCount]:
        ctx: Context = info.context
        found = await translating(lambda: analytics.segments(ctx.store, ctx.compiler.analytics, fresh=fresh))
        return [SegmentCount(data=s) for s in found]

    @strawberry.field(description="Referral K-factor (invites per referrer x conversion rate) and time to "
                                  "convert, per month invitations were sent. When `from` and `to` are month "
                                  "starts: exact at read time, from counters every write moves in its own "
                                  "transaction (`snapshot.live`; while they are first being counted, from "
                                  "the newest analytics snapshot); else, or with `fresh`, computed from "
                                  "scratch.")
    async def referral_stats(
        self, info: Info,
        from_: Annotated[Optional[datetime], strawberry.argument(  # noqa: UP045
            name="from", description="First cohort's start; default the start of the month 12 months "
                                     "before the month of `to`.")] = None,
        to: Annotated[Optional[datetime], strawberry.argument(  # noqa: UP045
            description="End (exclusive); default the end of the current month.")] = None,
        fresh: Annotated[bool, strawberry.argument(description=FRESH_DOC)] = False,
    ) -> list[ReferralCohort]:
        ctx: Context = info.context
        start, end = cohort_window(from_, to, datetime.now(UTC))
        cohorts = await translating(lambda: analytics.cohorts(ctx.store, ctx.compiler.analytics, start, end,
                                                              info.path.key, fresh=fresh))
        return [ReferralCohort(data=c) for c in cohorts]

