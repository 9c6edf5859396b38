"""GraphQL selection sets to ``graph.cypher.plan`` objects.

Walks the field nodes of one root field with the same rules the executor uses:
fragments, inline fragments on interfaces and unions, ``@include``/``@skip`` with
variables, aliases. The result says exactly what the response will read, so one
statement can fetch it all.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_composite_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values
from graphql.utilities import type_from_ast

from graph.cypher.compiler import props_of
from graph.cypher.plan import ComputedSelection, NodeSelection, Page, RelSelection, SortKey
from graph.model import NODE_KINDS, rel_field
from schema.inputs import input_to_dict

NODE_INTERFACE = "Node"  # schema.types.Node: anything with a stable external id

Grouped = dict[str, tuple[str, list[FieldNode]]]  # response key -> (field name, nodes)
COMPUTED_FIELDS = {"lifetimeValue": "lifetimeValue", "rfm": "rfm"}  # GraphQL field -> computed field


def _python_names(args: dict[str, Any]) -> dict[str, Any]:
    return {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): v for k, v in args.items()}


class SelectionReader:
    def __init__(self, info: GraphQLResolveInfo) -> None:
        self.info = info
        self.schema = info.schema
        # Strawberry's executor hands resolvers the plain coerced dict; graphql-core's
        # argument helpers want its VariableValues container.
        raw: Any = info.variable_values
        self.variables = raw if hasattr(raw, "coerced") else VariableValues({}, dict(raw or {}))

    # -- collecting --------------------------------------------------------------------

    def _included(self, node: FieldNode | FragmentSpreadNode | InlineFragmentNode) -> bool:
        variables = self.variables
        skip = get_directive_values(GraphQLSkipDirective, node, variables)
        if skip and skip.get("if"):
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, variables)
        return not (include is not None and not include.get("if"))

    def _applies(self, condition: Any, runtime: set[str]) -> bool:
        if condition is None:
            return True
        type_ = type_from_ast(self.schema, condition)
        if type_ is None:
            return False
        if is_abstract_type(type_):
            return any(t.name in runtime for t in self.schema.get_possible_types(type_))
        return type_.name in runtime

    def collect(self, nodes: list[FieldNode], runtime: set[str]) -> Grouped:
        """Sub-fields of ``nodes`` for an object of any type in ``runtime``."""
        grouped: Grouped = {}
        for node in nodes:
            if node.selection_set is not None:
                self._visit(node.selection_set, runtime, grouped, set())
        return grouped

    def _visit(self, selection_set: SelectionSetNode, runtime: set[str], grouped: Grouped,
               seen: set[str]) -> None:
        for sel in selection_set.selections:
            if not self._included(sel):  # type: ignore[arg-type]
                continue
            if isinstance(sel, FieldNode):
                key = sel.alias.value if sel.alias else sel.name.value
                grouped.setdefault(key, (sel.name.value, []))[1].append(sel)
            elif isinstance(sel, InlineFragmentNode):
                if self._applies(sel.type_condition, runtime):
                    self._visit(sel.selection_set, runtime, grouped, seen)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                fragment = self.info.fragments.get(name)
                fragment = getattr(fragment, "definition", fragment)  # graphql-core 3.3 wraps it
                if fragment is None or name in seen:
                    continue
                if self._applies(fragment.type_condition, runtime):
                    self._visit(fragment.selection_set, runtime, grouped, seen | {name})

    def arguments(self, parent: GraphQLObjectType | Any, field_name: str, node: FieldNode) -> dict[str, Any]:
        field_def = parent.fields[field_name]
        return get_argument_values(field_def, node, self.variables)

    # -- plans -------------------------------------------------------------------------

    def runtime_types(self, gql_type: Any) -> list[GraphQLObjectType]:
        named = get_named_type(gql_type)
        if is_abstract_type(named):
            return list(self.schema.get_possible_types(named))
        return [named]

    def node_props_read(self, nodes: list[FieldNode], gql_type: Any) -> frozenset[str] | None:
        """The properties read of the nodes (of types implementing ``Node``) anywhere below
        ``nodes``: a traversal returns those, not every property
        (``graph.cypher.scope.summary``). None when a node is asked for anything but its
        properties and ``__typename``: it then returns whole nodes."""
        named = get_named_type(gql_type)
        if not is_composite_type(named):
            return frozenset()
        runtime = self.runtime_types(named)
        node = named.name == NODE_INTERFACE or any(
            i.name == NODE_INTERFACE for t in runtime for i in t.interfaces)
        known = props_of(tuple(t.name for t in runtime if t.name in NODE_KINDS)) if node else {}
        read: set[str] = set()
        for field_name, field_nodes in self.collect(nodes, {t.name for t in runtime}).values():
            if field_name == "__typename":
                continue
            if node:
                if field_name not in known:
                    return None
                read.add(field_name)
                continue
            found = next((t.fields[field_name] for t in runtime if field_name in t.fields), None)
            below = None if found is None else self.node_props_read(field_nodes, found.type)
            if below is None:
                return None
            read |= below
        return frozenset(read)

    def node_selection(self, nodes: list[FieldNode], gql_type: Any, path: str) -> NodeSelection:
        types = self.runtime_types(gql_type)
        targets = tuple(t.name for t in types if t.name in NODE_KINDS)
        known = props_of(targets)
        sel = NodeSelection(targets)
        for key, (name, field_nodes) in self.collect(nodes, {t.name for t in types}).items():
            if name.startswith("__"):
                continue
            if name in known:
                sel.props.add(name)
                continue
            if name in COMPUTED_FIELDS:
                owner = next(t for t in types if name in t.fields)
                args = self.arguments(owner, name, field_nodes[0])
                sel.computed.append(ComputedSelection(key, COMPUTED_FIELDS[name], _python_names(args)))
                continue
            # One response key may mean different relationships on different types
            # (`node { ... on Product { orders } ... on Person { orders } }`): each is read
            # from its own types' fragments, with its own arguments, and decoded only for them.
            by_field: dict[Any, list[GraphQLObjectType]] = {}
            for owner in (t for t in types if name in t.fields):
                try:
                    by_field.setdefault(rel_field(owner.name, name), []).append(owner)
                except KeyError:  # a field not backed by the graph reads nothing from it
                    continue
            for rf, owners in by_field.items():
                own_nodes = (field_nodes if len(by_field) == 1
                             else self.collect(nodes, {o.name for o in owners}).get(key, ("", []))[1])
                if not own_nodes:
                    continue
                args = self.arguments(owners[0], name, own_nodes[0])
                sel.relations.append(self.relation(key, rf, own_nodes, owners[0].fields[name].type, args,
                                                   f"{path}.{key}"))
        return sel

    def relation(self, key: str, rf: Any, nodes: list[FieldNode], gql_type: Any,
                 args: dict[str, Any], path: str) -> RelSelection:
        if not rf.many:
            node = self.node_selection(nodes, gql_type, path)
            return RelSelection(key, rf, node, argument_path=path)
        node_nodes, edge_props, total, rows = self.connection_parts(nodes, gql_type)
        node_type = self._node_type_of(gql_type)
        return RelSelection(
            key, rf, self.node_selection(node_nodes, node_type, path),
            edge_props={p.name for p in rf.edge_props} & edge_props,
            filter=input_to_dict(args.get("filter")),
            order=sort_keys(args.get("order_by", args.get("orderBy"))),
            page=Page(args.get("first", 20), args.get("after")),
            total=total,
            argument_path=path,
            rows=rows,
        )

    def _node_type_of(self, connection_type: Any) -> Any:
        edge_type = get_named_type(get_named_type(connection_type).fields["edges"].type)
        return edge_type.fields["node"].type

    def connection_parts(self, nodes: list[FieldNode],
                         conn_type: Any) -> tuple[list[FieldNode], set[str], bool, bool]:
        """Node field nodes (from ``edges.node`` and ``nodes``), edge props, totalCount,
        and whether anything reads the rows (edges, nodes, pageInfo)."""
        conn = get_named_type(conn_type)
        node_nodes: list[FieldNode] = []
        edge_props: set[str] = set()
        total = False
        rows = False
        for name, field_nodes in self.collect(nodes, {conn.name}).values():
            rows = rows or name in ("nodes", "edges", "pageInfo")
            if name == "totalCount":
                total = True
            elif name == "nodes":
                node_nodes += field_nodes
            elif name == "edges":
                edge_type = get_named_type(conn.fields["edges"].type)
                for sub, sub_nodes in self.collect(field_nodes, {edge_type.name}).values():
                    if sub == "node":
                        node_nodes += sub_nodes
                    elif not sub.startswith("__") and sub != "cursor":
                        edge_props.add(sub)
        return node_nodes, edge_props, total, rows


def sort_keys(order_by: Any) -> list[SortKey]:
    keys = []
    for item in order_by or []:
        data = input_to_dict(item)
        where, prop = data["field"].split(":", 1)
        keys.append(SortKey(prop, data.get("direction") == "DESC", on_edge=where == "edge"))
    return keys
