"""What a GraphQL selection asks the graph for, free of GraphQL and of Cypher.

The schema layer builds these from the selection set; the compiler turns them into
one statement. Property names here are checked against ``graph.model`` by the compiler.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graph.model import RelField

Filter = dict[str, Any]
"""``{"prop": {"op": value}, "AND": [...], "OR": [...], "NOT": {...}}``; relationship
lists wrap it as ``{"node": Filter, "edge": Filter}``."""


@dataclass(frozen=True)
class SortKey:
    prop: str
    descending: bool = False
    on_edge: bool = False


@dataclass
class Page:
    first: int
    after: str | None = None  # opaque cursor, decoded by the compiler


@dataclass
class ComputedSelection:
    """A value computed from the graph around a node (``graph.analytics.fields``)."""

    key: str  # response key
    name: str  # registered computed field
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class NodeSelection:
    targets: tuple[str, ...]  # the concrete labels a node here may have
    props: set[str] = field(default_factory=set)
    relations: list[RelSelection] = field(default_factory=list)
    computed: list[ComputedSelection] = field(default_factory=list)


@dataclass
class RelSelection:
    key: str  # response key (alias or field name): only used in Python, never in Cypher
    field: RelField
    node: NodeSelection
    edge_props: set[str] = field(default_factory=set)
    filter: Filter | None = None
    order: list[SortKey] = field(default_factory=list)
    page: Page | None = None  # None for single-valued fields
    total: bool = False
    argument_path: str = ""  # where the arguments came from, for error messages
    rows: bool = True  # False when nothing reads the list's rows (only ``totalCount``)


@dataclass
class Lookup:
    """A root field fetching one node by external id."""

    id: str
    node: NodeSelection
    argument_path: str = "id"


@dataclass
class RootConnection:
    """A root field listing nodes of one kind (``Party`` for both party kinds)."""

    label: str
    node: NodeSelection
    filter: Filter | None = None
    order: list[SortKey] = field(default_factory=list)
    page: Page = field(default_factory=lambda: Page(first=20))
    total: bool = False
    argument_path: str = ""
