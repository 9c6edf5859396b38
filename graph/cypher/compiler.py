"""Selection plans to Cypher: one statement per root field, bounded in depth and fan-out.

Nested lists are ``CALL`` subqueries that end in ``collect()`` (nested pattern
comprehensions silently return nothing on FalkorDB). Each list is ordered by its sort
keys plus the node id as a tie-breaker, cut at ``first + 1`` rows (the extra row tells
whether there is a next page) and sorted again after its own subqueries, so the order
holds on both stores whatever the planner does with subquery rows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from graph.cypher.cursor import MISSING_ROW, decode_cursor, encode_cursor
from graph.cypher.dialect import Dialect
from graph.cypher.errors import CursorError, InvalidIdError, PageSizeError, QueryInputError, QueryTooComplexError
from graph.cypher.filters import compile_filter
from graph.cypher.horizons import Horizons, Window, window_for
from graph.cypher.params import Params
from graph.cypher.scope import UNSCOPED, Scope
from graph.cypher.plan import (
    ComputedSelection,
    Lookup,
    NodeSelection,
    Page,
    RelSelection,
    RootConnection,
    SortKey,
)
from graph.cypher.values import decode_props, sort_sentinel
from graph.model import ALIAS, ALIAS_OF, ENTITY, NODE_KINDS, Prop, PropType, RelField
from graph.analytics.fields import COMPUTED, PRELUDES
from graph.analytics.state import SnapshotState
from graph.ids import valid_id

ROOT_LABELS = {**{label: (label,) for label in NODE_KINDS}, "Party": ("Person", "Company")}


@dataclass(frozen=True)
class Limits:
    max_page_size: int = 100
    max_depth: int = 6  # nested lists below a root field
    max_rows: int = 50_000  # upper bound of rows one statement may return, from the page sizes


@dataclass
class Statement:
    text: str
    params: dict[str, Any]
    decode: Callable[[list[dict[str, Any]]], Any]
    # What a store adapter derives from text and params (FalkorDB: the command bytes),
    # kept with a statement the fast path reuses for every request of a document.
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


def _needed_globals(sel: NodeSelection) -> dict[str, list[dict[str, Any]]]:
    """The preludes the computed fields anywhere in ``sel`` need, each with the arguments
    of the fields that need it."""
    names: dict[str, list[dict[str, Any]]] = {}
    for comp in sel.computed:
        for g in COMPUTED[comp.name].globals:
            names.setdefault(g, []).append(comp.args)
    for rel in sel.relations:
        for g, args in _needed_globals(rel.node).items():
            names.setdefault(g, []).extend(args)
    return names


@functools.cache  # a few dozen label tuples; decoding a node asks for its own each time
def props_of(targets: tuple[str, ...]) -> Mapping[str, Prop]:
    """The properties a node with one of ``targets`` labels can have (read-only: shared)."""
    out: dict[str, Prop] = {}
    for label in targets:
        for prop in NODE_KINDS[label].props:
            out.setdefault(prop.name, prop)
    return MappingProxyType(out)


def default_order(targets: tuple[str, ...], rel: RelField | None = None) -> list[SortKey]:
    if rel is not None and rel.default_sort is not None:
        prop, desc = rel.default_sort
        return [SortKey(prop, desc)]
    prop, desc = NODE_KINDS[targets[0]].default_sort
    return [SortKey(prop, desc)]


def _pins_id(filter_: dict[str, Any] | None) -> bool:
    """Whether a list filter pins ``id`` (at its top or in a top-level ``AND``): its rows
    are then found through the one id index, so the pattern names ``Entity`` as well as
    the kind (kinds have no id index of their own, see ``graph.model.INDEXES``)."""
    if not filter_:
        return False
    return "id" in filter_ or any(isinstance(f, dict) and _pins_id(f) for f in filter_.get("AND") or [])


@dataclass
class _Scope:
    """One list level: its variables and how to read its sort keys."""

    node: str
    rel: str | None
    aggregates: dict[str, str] = field(default_factory=dict)


class _Builder:
    def __init__(self, dialect: Dialect, limits: Limits, scope: Scope = UNSCOPED,
                 analytics: SnapshotState | None = None, name_keys: bool = False) -> None:
        self.dialect = dialect
        self.name_keys = name_keys  # name prefixes may read the name key's range (graph.cypher.horizons)
        self.limits = limits
        self.scope = scope
        self.analytics = analytics  # the snapshots a prelude may read instead of scanning
        self.params = Params()
        self._next = 0
        self.rows_bound = 1
        self.index: dict[int, tuple[int, list[SortKey]]] = {}  # id(RelSelection) -> (var, order)
        self.computed_index: dict[int, int] = {}  # id(ComputedSelection) -> var
        self.shown: dict[str, str] = {}  # nested variable -> what the projection shows of it
        # Statement-wide values some computed fields need (e.g. RFM quintile thresholds):
        # computed once in a prelude, then carried through every WITH and into every CALL.
        self.globals: list[str] = []
        self.prelude: list[str] = []

    def use_globals(self, sel: NodeSelection) -> None:
        """Add the caller's scope and the preludes the computed fields anywhere in ``sel`` need."""
        lines, variables = self.scope.prelude(self.dialect)
        self.params.values.update(self.scope.params())
        self.prelude += lines
        self.globals += variables
        for name, args in sorted(_needed_globals(sel).items()):
            lines, variables = PRELUDES[name](self.dialect, self.params, args, self.analytics)
            self.prelude += lines
            self.globals += variables

    def carry(self, *variables: str) -> str:
        return ", ".join([*variables, *self.globals])

    def call(self, *imports: str) -> list[str]:
        return self.dialect.call_open((*imports, *self.globals))

    def var(self) -> int:
        self._next += 1
        return self._next

    # -- expressions -------------------------------------------------------------------

    def node_resolver(self, var: str, targets: tuple[str, ...]) -> Callable[[str], tuple[str, Prop] | None]:
        """Filter and sort keys to expressions; what the caller may not see reads as null."""
        props = props_of(targets)
        masked = self.scope.masked
        return lambda key: (masked(var, targets, key, f"{var}.{key}"), props[key]) if key in props else None

    @staticmethod
    def edge_resolver(rel: RelField, scope: _Scope) -> Callable[[str], tuple[str, Prop] | None]:
        def resolve(key: str) -> tuple[str, Prop] | None:
            prop = rel.edge_prop(key)
            if prop is None:
                return None
            if rel.aggregates:
                return scope.aggregates[key], prop
            return f"{scope.rel}.{key}", prop
        return resolve

    def sort_exprs(self, order: list[SortKey], scope: _Scope, targets: tuple[str, ...],
                   rel: RelField | None, argument: str) -> list[tuple[str, bool]]:
        node = self.node_resolver(scope.node, targets)
        edge = self.edge_resolver(rel, scope) if rel is not None else (lambda _k: None)
        out: list[tuple[str, bool]] = []
        for key in order:
            found = edge(key.prop) if key.on_edge else node(key.prop)
            if found is None:
                raise QueryInputError(f"{argument}.orderBy", f"cannot order by {key.prop}")
            expr, prop = found
            if not prop.sortable:
                raise QueryInputError(f"{argument}.orderBy", f"{key.prop} is not sortable")
            if prop.type is PropType.MONEY and prop.currency is not None:
                # Amounts in different currencies do not compare: by currency, then amount.
                currency = (edge if key.on_edge else node)(prop.currency)
                if currency is not None:
                    out.append((f"coalesce({currency[0]}, '')", key.descending))
            out.append((f"coalesce({expr}, {sort_sentinel(prop.type)})", key.descending))
        # Ids are unique, so this makes the order total; every key is a computed expression,
        # which keeps FalkorDB's string range index out of the keyset comparisons.
        out.append((self.dialect.string_range_operand(f"{scope.node}.id"), False))
        return out

    @staticmethod
    def order_by(sort: list[tuple[str, bool]], node: str) -> str:
        """The ORDER BY of ``sort``, with the id tie-breaker as the plain property.

        The computed id (FalkorDB: ``toString(n.id)``) matters only where keys are compared
        (the keyset after a cursor); ids are strings, so sorting by either gives one order,
        and computing a string per row made a page's sort 3-6x slower (100k people: 82 ms,
        not 20 ms; 300k orders: 266 ms, not 120 ms).
        """
        keys = [*sort[:-1], (f"{node}.id", False)]
        return ", ".join(f"{e} {'DESC' if d else 'ASC'}" for e, d in keys)

    @staticmethod
    def keyset(sort: list[tuple[str, bool]], row: list[str], cursor: str) -> str:
        """Rows whose key ``row`` (one expression per entry of ``sort``) comes strictly after
        ``cursor``, a list variable holding the cursor row's key as the same statement
        computed it: exact values compared with exact values, never a printed copy."""
        ors = []
        for i, (_, desc) in enumerate(sort):
            eqs = [f"{row[j]} = {cursor}[{j}]" for j in range(i)]
            eqs.append(f"{row[i]} {'<' if desc else '>'} {cursor}[{i}]")
            ors.append("(" + " AND ".join(eqs) + ")")
        return "(" + " OR ".join(ors) + ")"

    def page_limit(self, page: Page, argument: str) -> int:
        if page.first < 0:
            raise PageSizeError(f"{argument}.first", "must not be negative")
        if page.first > self.limits.max_page_size:
            raise PageSizeError(
                f"{argument}.first", f"{page.first} is over the maximum page size of "
                f"{self.limits.max_page_size}")
        return page.first + 1

    # -- projections -------------------------------------------------------------------

    def projection(self, var: str, sel: NodeSelection, nested: list[str]) -> str:
        known = props_of(sel.targets)
        parts = [".id"]
        wanted = set(sel.props)
        # An amount is read with its currency (graph.money), selected or not.
        wanted |= {known[p].currency for p in sel.props if p in known and known[p].currency}  # type: ignore[misc]
        for p in sorted(wanted):
            if p in known and p != "id":
                expr = self.scope.masked(var, sel.targets, p, f"{var}.{p}")
                parts.append(f".{p}" if expr == f"{var}.{p}" else f"{p}: {expr}")
        parts.append(f"_labels: labels({var})")
        parts += [f"{v}: {self.shown.get(v, v)}" for v in nested]
        return f"{var} {{{', '.join(parts)}}}"

    # -- relationship lists --------------------------------------------------------------

    def pattern(self, src: str, rel: RelField, i: int) -> str:
        text = f"({src})"
        for h, hop in enumerate(rel.hops):
            last = h == len(rel.hops) - 1
            rvar = f"r{i}" if last and not rel.aggregates else ""
            nvar = f"n{i}" if last else f"v{i}_{h}"
            label = f":{hop.label}" if hop.label else ""
            arrow = ("-[", "]->") if hop.direction == "out" else ("<-[", "]-")
            text += f"{arrow[0]}{rvar}:{hop.rel}{arrow[1]}({nvar}{label})"
        return text

    def relation(self, src: str, sel: RelSelection, depth: int, fanout: int) -> tuple[list[str], int]:
        if depth > self.limits.max_depth:
            raise QueryTooComplexError(
                sel.argument_path, f"lists nest deeper than {self.limits.max_depth} levels")
        rel = sel.field
        i = self.var()
        node, rvar = f"n{i}", (None if rel.aggregates else f"r{i}")
        scope = _Scope(node, rvar, {a.prop.name: f"a{i}_{a.prop.name}" for a in rel.aggregates})
        match = ["  MATCH " + self.pattern(src, rel, i)]
        carry = [node] + ([rvar] if rvar else [])
        scoped = self.scope_predicates(src, rel, i, sel.node.targets)
        if rel.aggregates:
            if scoped:
                match.append("  WHERE " + " AND ".join(scoped))
                scoped = []
            via = f"v{i}_0"
            aggs = [f"{a.function}({via}{'.' + a.of if a.of else ''}) AS {scope.aggregates[a.prop.name]}"
                    for a in rel.aggregates]
            match.append(f"  WITH {self.carry(node)}, {', '.join(aggs)}")
            carry += list(scope.aggregates.values())

        node_filter, edge_filter = (sel.filter or {}).get("node"), (sel.filter or {}).get("edge")
        preds = scoped + [p for p in (
            compile_filter(node_filter, self.node_resolver(node, sel.node.targets), self.params,
                           f"{sel.argument_path}.filter.node", self.dialect, self.name_keys),
            compile_filter(edge_filter, self.edge_resolver(rel, scope), self.params,
                           f"{sel.argument_path}.filter.edge", self.dialect),
        ) if p]

        lines: list[str] = []
        if sel.total:
            # The match may carry the statement's globals (an aggregate WITH does), so the
            # count block imports them like every other block.
            lines += self.call(src)
            lines += match
            if preds:
                lines.append("  WHERE " + " AND ".join(preds))
            lines += [f"  RETURN count(*) AS t{i}", "}"]

        order = sel.order or default_order(sel.node.targets, rel)
        sort = self.sort_exprs(order, scope, sel.node.targets, rel, sel.argument_path)
        after = None
        if sel.page is not None:
            limit = self.page_limit(sel.page, sel.argument_path)
            if sel.page.after is not None:
                after = decode_cursor(sel.page.after, order, f"{sel.argument_path}.after")
        else:
            limit = 1
        fanout *= limit
        self.rows_bound += fanout
        if self.rows_bound > self.limits.max_rows:
            raise QueryTooComplexError(
                sel.argument_path,
                f"could return over {self.limits.max_rows} rows; ask for smaller pages")

        if not sel.rows:  # only totalCount is read: count, collect nothing
            self.index[id(sel)] = (i, order)
            return lines, i
        order_by = self.order_by(sort, scope.node)
        body = list(match)
        if preds:
            body.append("  WHERE " + " AND ".join(preds))
        cut = [f"  WITH {self.carry(*carry)}", f"  ORDER BY {order_by}", f"  LIMIT {self.params.add(limit)}"]
        nested_lines, nested = self.relations(node, sel.node, depth + 1, fanout)
        cut += ["  " + line for line in nested_lines]
        if nested:
            cut += [f"  WITH {self.carry(*carry, *nested)}", f"  ORDER BY {order_by}"]
        edge_wanted = set(sel.edge_props) | {p.currency for p in rel.edge_props
                                             if p.name in sel.edge_props and p.currency}
        edge_parts = [f"{p.name}: {self.edge_resolver(rel, scope)(p.name)[0]}"  # type: ignore[index]
                      for p in rel.edge_props if p.name in edge_wanted]
        item = (f"{{node: {self.projection(node, sel.node, nested)}, "
                f"edge: {{{', '.join(edge_parts)}}}}}")
        if after is None:
            body += cut + [f"  RETURN collect({item}) AS c{i}"]
        else:
            body += self.after_cursor(i, carry, sort, after, cut, item)
        lines += self.call(src) + body + ["}"]
        self.index[id(sel)] = (i, order)
        return lines, i

    def after_cursor(self, i: int, carry: list[str], sort: list[tuple[str, bool]], after: str,
                     cut: list[str], item: str) -> list[str]:
        """The rest of a list's subquery when it starts after the row with id ``after``.

        Every row of the list (scope and filters applied) is collected with its sort key;
        the cursor row's key is looked up in that same collection, so it is the very value
        (a sum, say) the rows are compared with, and the rows after it are cut as usual.
        ``m{i}`` tells the decoder that the cursor row is not in the list."""
        rows, key, cur, x = f"w{i}", f"k{i}", f"u{i}", f"x{i}"
        fields = ", ".join(f"{v}: {v}" for v in carry)
        keep = self.carry()
        lead = f"{keep}, " if keep else ""
        out = [
            f"  WITH {lead}collect({{{fields}, key: [{', '.join(e for e, _ in sort)}]}}) AS {rows}",
            f"  WITH {lead}{rows}, [{x} IN {rows} WHERE {x}.{carry[0]}.id = {self.params.add(after)} "
            f"| {x}.key] AS {cur}",
            *("  " + line for line in self.call(rows, cur)),
            f"    UNWIND {rows} AS {x}",
            f"    WITH {self.carry(*(f'{x}.{v} AS {v}' for v in carry), f'{x}.key AS {key}', cur)}",
            f"    WHERE size({cur}) > 0 AND "
            + self.keyset(sort, [f"{key}[{j}]" for j in range(len(sort))], f"{cur}[0]"),
            *("  " + line for line in cut),
            f"    RETURN collect({item}) AS c{i}",
            "  }",
            f"  RETURN c{i}, size({cur}) = 0 AS m{i}",
        ]
        return out

    def scope_predicates(self, src: str, rel: RelField, i: int, targets: tuple[str, ...]) -> list[str]:
        """What the caller's scope requires of every node and relationship on the field's hops."""
        out: list[str] = []
        prev = src
        for h, hop in enumerate(rel.hops):
            last = h == len(rel.hops) - 1
            var = f"n{i}" if last else f"v{i}_{h}"
            hop_targets = targets if last else ((hop.label,) if hop.label in NODE_KINDS else ())
            seen = self.scope.visible(var, hop_targets) if hop_targets else None
            start, end = (prev, var) if hop.direction == "out" else (var, prev)
            link = self.scope.relationship(hop.rel, start, end)
            out += [p for p in (seen, link) if p]
            prev = var
        return out

    def computed(self, src: str, sel: ComputedSelection, targets: tuple[str, ...]) -> tuple[list[str], int]:
        spec = COMPUTED[sel.name]
        i = self.var()
        body = spec.block(src, sel.args, self.params, targets)
        self.computed_index[id(sel)] = i
        own = self.scope.own(src)
        if own is not None:  # the projection reads it only where the caller may see it
            self.shown[f"k{i}"] = f"CASE WHEN {own} THEN k{i} END"
        return [*self.call(src), *("  " + line for line in body), f"  RETURN {spec.result} AS k{i}", "}"], i

    def relations(self, src: str, sel: NodeSelection, depth: int, fanout: int) -> tuple[list[str], list[str]]:
        """CALL blocks for the lists and computed fields of ``sel``; returns them and the
        variables they bind, which the node's projection includes."""
        lines: list[str] = []
        variables: list[str] = []
        for rel in sel.relations:
            block, i = self.relation(src, rel, depth, fanout)
            lines += block
            variables += ([f"c{i}"] if rel.rows else []) + ([f"t{i}"] if rel.total else [])
            if rel.rows and rel.page is not None and rel.page.after is not None:
                variables.append(f"m{i}")  # whether the cursor row was found (graph.cypher.compiler.after_cursor)
        for comp in sel.computed:
            block, i = self.computed(src, comp, sel.targets)
            lines += block
            variables.append(f"k{i}")
        return lines, variables


    # -- decoding ------------------------------------------------------------------------

    def decode_node(self, raw: dict[str, Any], sel: NodeSelection) -> dict[str, Any]:
        labels = raw.get("_labels") or []
        typename = next((t for t in sel.targets if t in labels), sel.targets[0])
        known = props_of((typename,))
        props = decode_props([known[k] for k in raw if k in known], raw)  # the projected ones, not every one
        rels: dict[str, Any] = {}
        for rel in sel.relations:
            if rel.field.owner not in (typename, "Party" if typename in ("Person", "Company") else typename):
                continue  # a relationship of another type under the same response key
            i, order = self.index[id(rel)]
            rows = raw.get(f"c{i}") or []
            if rel.page is None:
                rels[rel.key] = self.decode_node(rows[0]["node"], rel.node) if rows else None
            else:
                if rel.rows and rel.page.after is not None and raw.get(f"m{i}") is not False:
                    raise CursorError(f"{rel.argument_path}.after", MISSING_ROW)
                rels[rel.key] = self.decode_connection(rows, rel.node, order, rel.page,
                                                       raw.get(f"t{i}"), rel.field)
        for comp in sel.computed:
            rels[comp.key] = COMPUTED[comp.name].decode(raw.get(f"k{self.computed_index[id(comp)]}"), comp.args)
        return {"__typename": typename, "props": props, "rels": rels}

    def decode_connection(self, rows: list[dict[str, Any]], sel: NodeSelection, order: list[SortKey],
                          page: Page, total: int | None, rel: RelField | None = None) -> dict[str, Any]:
        kept = rows[: page.first]
        return {
            "edges": [{
                "cursor": encode_cursor(order, row["node"]["id"]),
                "node": self.decode_node(row["node"], sel),
                "edge": decode_props(rel.edge_props if rel else (), row.get("edge") or {}, only_present=True),
            } for row in kept],
            "hasNextPage": len(rows) > page.first,
            "hasPreviousPage": page.after is not None,
            "totalCount": total,
        }


SCOPED_COMPILERS = 512
"""Callers whose scoped compiler a compiler keeps (past that it starts again)."""


class Compiler:
    """Builds statements in one dialect, within the given limits."""

    def __init__(self, dialect: Dialect, limits: Limits | None = None, scope: Scope = UNSCOPED,
                 analytics: SnapshotState | None = None, horizons: Horizons | None = None) -> None:
        self.dialect = dialect
        self.limits = limits or Limits()
        self.scope = scope
        self.analytics = analytics  # None: analytics always compute from scratch
        self.horizons = horizons  # None: big lists always sort every row (graph.cypher.horizons)
        self._scoped: dict[Scope, Compiler] = {}

    def scoped(self, scope: Scope) -> Compiler:
        """This compiler, building every statement within ``scope`` (the caller's); one
        per scope, kept for the next request of the same caller (a few hundred at most)."""
        found = self._scoped.get(scope)
        if found is None:
            if len(self._scoped) >= SCOPED_COMPILERS:
                self._scoped.clear()
            found = self._scoped[scope] = Compiler(self.dialect, self.limits, scope, self.analytics, self.horizons)
        return found

    @property
    def cache_key(self) -> tuple[Scope, int]:
        """What a statement compiled by this compiler depends on besides its plan."""
        return self.scope, self.horizons.version if self.horizons is not None else 0

    def _builder(self) -> _Builder:
        keyed = self.horizons is not None and self.horizons.names_keyed
        return _Builder(self.dialect, self.limits, self.scope, self.analytics, keyed)

    def _window(self, plan: RootConnection, order: list[SortKey]) -> tuple[Window, int] | None:
        """(window, horizon) when this page may read an index window first."""
        if self.horizons is None or not order or order[0].on_edge:
            return None
        prop = order[0].prop
        window = window_for(plan.label, prop, order[0].descending)
        horizon = self.horizons.get(window) if window is not None else None
        if window is None or horizon is None:
            return None
        shown = self.scope.masked("n0", plan.node.targets, prop, f"n0.{prop}")
        return (window, horizon) if shown == f"n0.{prop}" else None  # a masked key is not the index's

    def lookup(self, plan: Lookup, labels: tuple[str, ...] = ()) -> Statement:
        """One node by external id (``labels`` restricts its kind), or None."""
        if not valid_id(plan.id):
            raise InvalidIdError(plan.argument_path, "malformed id")
        b = self._builder()
        b.use_globals(plan.node)
        lines = [
            *b.prelude,
            f"MATCH (x0:{ENTITY} {{id: {b.params.add(plan.id)}}})",
            # A merged party's id is an alias: it resolves to the party it was merged into.
            f"OPTIONAL MATCH (x0)-[:{ALIAS_OF}]->(a0)",
            f"WITH {b.carry('coalesce(a0, x0) AS n0')}",
        ]
        if b.globals and self.scope.partner:
            lines.append(f"WITH {b.carry('n0')}")  # FalkorDB: pattern predicates after a plain WITH
        where = [" OR ".join(f"n0:{label}" for label in labels)] if labels else [f"NOT n0:{ALIAS}"]
        visible = self.scope.visible("n0", plan.node.targets)
        if visible:
            where = [f"({where[0]})", visible]
        lines.append("WHERE " + " AND ".join(where))
        nested_lines, nested = b.relations("n0", plan.node, 1, 1)
        lines += nested_lines
        lines += [f"RETURN {b.projection('n0', plan.node, nested)} AS node", "LIMIT 1"]

        def decode(records: list[dict[str, Any]]) -> Any:
            return b.decode_node(records[0]["node"], plan.node) if records else None

        return Statement(self.dialect.statement(lines), b.params.values, decode)

    def _windowed_page(self, b: _Builder, label: str, preds: list[str], order_by: str, limit: str,
                       imports: tuple[str, ...], window: tuple[Window, int]) -> list[str]:
        """The page's rows: from the index window when it holds a page, else from every
        row (graph.cypher.horizons); ends like the plain page, at ``WITH n0 ... LIMIT``."""
        near, horizon = window
        in_window = [f"n0.{near.key} {near.near} {b.params.add(horizon)}", *preds]
        sort = [f"  WITH n0", f"  ORDER BY {order_by}", f"  LIMIT {limit}"]
        lines = [*b.call(*imports), f"  MATCH (n0:{label})", "  WHERE " + " AND ".join(in_window),
                 *sort, "  RETURN collect(n0) AS w0", "}"]
        both = b.carry("w0", *imports)  # the caller's scope too: its visibility reads them
        again = [] if self.dialect.scope_clause else [f"  WITH {both}"]  # FalkorDB: each branch imports
        lines += [*b.call("w0", *imports), f"  WITH {both} WHERE size(w0) >= {limit}",
                  "  RETURN w0 AS p0", "  UNION", *again, f"  WITH {both} WHERE size(w0) < {limit}",
                  f"  MATCH (n0:{label})", *(["  WHERE " + " AND ".join(preds)] if preds else []),
                  *sort, "  RETURN collect(n0) AS p0", "}"]
        return [*lines, "UNWIND p0 AS n0", f"WITH {b.carry('n0')}", f"ORDER BY {order_by}", f"LIMIT {limit}"]

    def connection(self, plan: RootConnection) -> Statement:
        """A page of nodes of one kind, with nested selections, as one statement."""
        b = self._builder()
        b.use_globals(plan.node)
        label = f"{plan.label}:{ENTITY}" if _pins_id(plan.filter) else plan.label
        scope = _Scope("n0", None)
        path = plan.argument_path
        where = compile_filter(plan.filter, b.node_resolver("n0", plan.node.targets), b.params,
                               f"{path}.filter", self.dialect, b.name_keys)
        visible = self.scope.visible("n0", plan.node.targets)
        where = " AND ".join(p for p in (visible, where) if p) or None
        count_where = where
        order = plan.order or default_order(plan.node.targets)
        sort = b.sort_exprs(order, scope, plan.node.targets, None, path)
        limit = b.page_limit(plan.page, path)
        preds = [where] if where else []
        order_by = b.order_by(sort, "n0")
        lines = [*b.prelude]
        after = None
        if plan.page.after is not None:
            after = decode_cursor(plan.page.after, order, f"{path}.after")
            # The cursor row, read again with the list's own visibility and filter: its key
            # as this statement computes it (u0), or nothing (an invalid cursor).
            lines += b.call()
            lines.append(f"  MATCH (n0:{plan.label}:{ENTITY})")  # by id: through Entity's index
            lines.append("  WHERE " + " AND ".join([f"n0.id = {b.params.add(after)}", *preds]))
            lines += [f"  RETURN collect([{', '.join(e for e, _ in sort)}]) AS u0", "}"]
            preds.append("size(u0) > 0 AND " + b.keyset(sort, [e for e, _ in sort], "u0[0]"))
        window = self._window(plan, order)
        if window is None:
            page = [f"MATCH (n0:{label})"]
            if preds:
                page.append("WHERE " + " AND ".join(preds))
            page += [f"WITH {b.carry('n0')}", f"ORDER BY {order_by}", f"LIMIT {b.params.add(limit)}"]
        else:
            imports = ("u0",) if after is not None else ()
            page = self._windowed_page(b, label, preds, order_by, b.params.add(limit), imports, window)
        b.rows_bound = limit
        nested_lines, nested = b.relations("n0", plan.node, 1, limit)
        page += nested_lines
        if nested:
            page += [f"WITH {b.carry('n0', *nested)}", f"ORDER BY {order_by}"]
        item = f"{{node: {b.projection('n0', plan.node, nested)}}}"
        if after is None:
            lines += page
            lines.append(f"WITH {b.carry(f'collect({item}) AS rows')}")
        else:  # in a subquery, so that a page of no rows still answers whether the cursor was found
            lines += b.call("u0")
            lines += ["  " + line for line in page]
            lines += [f"  RETURN collect({item}) AS rows", "}"]
        returned = "rows, size(u0) = 0 AS missing" if after is not None else "rows"
        if plan.total:
            lines += b.call()
            lines.append(f"  MATCH (n0:{label})")
            if count_where:
                lines.append(f"  WHERE {count_where}")
            lines += ["  RETURN count(n0) AS total", "}", f"RETURN {returned}, total"]
        else:
            lines.append(f"RETURN {returned}")

        def decode(records: list[dict[str, Any]]) -> Any:
            record = records[0] if records else {"rows": []}
            if after is not None and record.get("missing") is not False:
                raise CursorError(f"{path}.after", MISSING_ROW)
            return b.decode_connection(record["rows"], plan.node, order, plan.page, record.get("total"))

        return Statement(self.dialect.statement(lines), b.params.values, decode)
