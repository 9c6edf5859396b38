"""Who may see what, as Cypher: the partner scope, enforced inside every statement.

A partner key belongs to one company C. Its statements open with a prelude that binds
``g_sc`` (C) and ``g_chain`` (the ids of C and of every company within ``scope_depth``
``SUPPLIES`` hops upstream or downstream of it), and every node a statement reaches
must pass ``visible``; every property other than ``id`` and ``name`` of a company other
than C, or of a person who does not work for C, reads as null (``masked``). The rules,
and why, are in docs/security.md. Other roles see everything: every method returns
None (no predicate) and the statements are exactly those without a scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.access import ANONYMOUS_ADMIN, Access
from graph.cypher.dialect import Dialect
from graph.cypher.errors import OutOfScopeError, QueryInputError
from graph.model import NODE_KINDS

CHAIN, STAFF = "g_chain", "g_staff"
COMPANY_PARAM = "scopeCompany"
"""The parameter naming the partner's company, in every scoped statement."""
SC = f"(:Company {{id: ${COMPANY_PARAM}}})"
PUBLIC_PROPS = ("id", "name")
"""What a partner sees of a company or person that is in its scope but not its own."""

# Relationship types a partner sees only when one end is its own company.
OWN_ONLY = {"RESELLS_FOR", "SUBSIDIARY_OF", "WORKS_FOR", "MAKES"}
# Relationship types a partner never sees: other parties' referrals and segments.
NEVER = {"REFERRED", "IN_SEGMENT"}

# FalkorDB 4.16 evaluates a pattern predicate correctly only in a WHERE right after a
# MATCH or a plain WITH, and with the far node given by a parameter: inside CASE, after a
# renaming WITH, or against a node bound by CALL it errs or silently finds nothing. So
# predicates name the partner's company as ``(:Company {id: $scopeCompany})``, and what
# CASE needs (the chain, the company's people) comes from lists bound by the prelude.


def _or(*parts: str) -> str:
    return "(" + " OR ".join(parts) + ")"


@dataclass(frozen=True)
class Scope:
    """The visibility rules for one caller."""

    access: Access

    @property
    def partner(self) -> bool:
        return self.access.partner

    def params(self) -> dict[str, str]:
        return {COMPANY_PARAM: self.access.company_id or ""} if self.partner else {}

    # -- the prelude ---------------------------------------------------------------------

    def prelude(self, dialect: Dialect) -> tuple[list[str], list[str]]:
        """Lines binding the ids of the chain and of the company's people, and their names."""
        if not self.partner:
            return [], []
        depth = int(self.access.scope_depth)  # an int from the key's settings, 1..10
        return [
            *dialect.call_open(()),
            f"  OPTIONAL MATCH (sc:Company:Entity {{id: ${COMPANY_PARAM}}})",  # by id: Entity's index
            f"  OPTIONAL MATCH (sc)<-[:SUPPLIES*1..{depth}]-(up:Company)",
            "  WITH sc, collect(DISTINCT up.id) AS ups",
            f"  OPTIONAL MATCH (sc)-[:SUPPLIES*1..{depth}]->(down:Company)",
            "  WITH sc, ups, collect(DISTINCT down.id) AS downs",
            "  WITH sc, ups + downs + [sc.id] AS chain",
            "  OPTIONAL MATCH (sc)<-[:WORKS_FOR]-(staff:Person)",
            f"  RETURN chain AS {CHAIN}, collect(DISTINCT staff.id) AS {STAFF}",
            "}",
        ], [CHAIN, STAFF]

    # -- nodes ---------------------------------------------------------------------------

    def visible(self, var: str, targets: tuple[str, ...]) -> str | None:
        """A predicate (for a WHERE after a MATCH or a plain WITH) a node of one of
        ``targets`` must pass, or None (no restriction)."""
        if not self.partner:
            return None
        rules = [f"({var}:{label} AND {self._visible_as(var, label)})" for label in targets]
        return rules[0] if len(rules) == 1 else _or(*rules)

    @staticmethod
    def _visible_as(n: str, label: str) -> str:
        sold, placed = f"(:Order)-[:SOLD_BY]->{SC}", f"{SC}-[:PLACED]->(:Order)"
        if label == "Company":
            # the chain, its direct customers, and the sellers of its own purchases
            return _or(f"{n}.id IN {CHAIN}", f"({n})-[:PLACED]->{sold}", f"{placed}-[:SOLD_BY]->({n})")
        if label == "Person":
            return _or(f"{n}.id IN {STAFF}", f"({n})-[:PLACED]->{sold}")
        if label == "Product":
            return _or(f"{SC}-[:MAKES]->({n})", f"({n})<-[:CONTAINS]-{sold}", f"{placed}-[:CONTAINS]->({n})")
        if label == "Order":
            return _or(f"({n})-[:SOLD_BY]->{SC}", f"{SC}-[:PLACED]->({n})")
        if label == "Interaction":
            return f"({n})-[:WITH]->{SC}"
        if label == "Feedback":
            return _or(f"({n})-[:ABOUT]->{SC}", f"({n})-[:ABOUT]->{sold}",
                       f"({n})-[:ABOUT]->(:Product)<-[:MAKES]-{SC}")
        return "false"  # segments and anything added later: not until a rule says so

    def full(self, var: str, targets: tuple[str, ...]) -> str | None:
        """An expression (usable in CASE) for seeing every property, or None (always)."""
        if not self.partner or not {"Company", "Person"} & set(targets):
            return None
        rules = []
        for label in targets:
            if label == "Company":
                rules.append(f"({var}:Company AND {var}.id = ${COMPANY_PARAM})")
            elif label == "Person":
                rules.append(f"({var}:Person AND {var}.id IN {STAFF})")
            else:
                rules.append(f"{var}:{label}")
        return rules[0] if len(rules) == 1 else _or(*rules)

    def masked(self, var: str, targets: tuple[str, ...], prop: str, expr: str) -> str:
        """``expr`` (reading ``prop`` of ``var``), or null where the caller may not see it."""
        if prop in PUBLIC_PROPS:
            return expr
        full = self.full(var, targets)
        return expr if full is None else f"(CASE WHEN {full} THEN {expr} END)"

    def own(self, var: str) -> str | None:
        """Figures about a party (lifetime value, RFM): only the partner's own company's."""
        return f"{var}.id = ${COMPANY_PARAM}" if self.partner else None

    # -- relationships ---------------------------------------------------------------------

    def relationship(self, rel: str, start: str, end: str) -> str | None:
        """A predicate on a relationship of type ``rel`` between ``start`` and ``end``
        (both already visible), or None."""
        if not self.partner:
            return None
        if rel in NEVER:
            return "false"
        if rel in OWN_ONLY:
            return f"({start}.id = ${COMPANY_PARAM} OR {end}.id = ${COMPANY_PARAM})"
        if rel == "SUPPLIES":
            return f"({start}.id IN {CHAIN} AND {end}.id IN {CHAIN})"
        return None


UNSCOPED = Scope(ANONYMOUS_ADMIN)
"""Everything visible: admins, editors, analysts, and internal statements."""


# -- traversals ----------------------------------------------------------------------------
# A partner may root supplyChain, indirectCustomers and disruptionImpact only at its own
# company, no deeper than its key's scope depth; what those statements return about other
# nodes is reduced to id and name inside the statement (``summary``).


def root(scope: Scope, company_id: str, argument: str) -> None:
    if scope.partner and company_id != scope.access.company_id:
        raise OutOfScopeError(argument, "outside the scope of this key")


def depth(scope: Scope, max_depth: int, argument: str) -> None:
    if scope.partner and max_depth > scope.access.scope_depth:
        raise QueryInputError(f"{argument}.maxDepth",
                              f"at most {scope.access.scope_depth} for this key (its scope depth)")


Projection = frozenset[str] | None
"""The node properties a traversal's selection reads (model names), or None: all of them."""

_PUBLIC = ("id", "name")  # what a partner sees of any node but its own company
_NODE_PROPS = frozenset(p.name for kind in NODE_KINDS.values() for p in kind.props)


def projected(only: frozenset[str]) -> list[str]:
    """The properties a summary returns for ``only``: with the id (the statements join on
    it) and the currency beside each amount, in a stable order. Names come from the model's
    allow-list; anything else is refused."""
    unknown = only - _NODE_PROPS
    if unknown:
        raise ValueError(f"not node properties: {sorted(unknown)}")
    siblings = {p.currency for kind in NODE_KINDS.values() for p in kind.props if p.name in only and p.currency}
    return sorted(only | siblings | {"id"})


def summary(scope: Scope, var: str, only: Projection = None) -> str:
    """A node as ``{props, labels}``: the properties ``only`` names (all when None), and
    for a partner no more than id and name of anything but its own company."""
    names = None if only is None else projected(only)
    if names is None:
        props = f"properties({var})"
    else:
        props = "{" + ", ".join(f"{name}: {var}.{name}" for name in names) + "}"
    if scope.partner and (names is None or not set(names) <= set(_PUBLIC)):
        public = ", ".join(f"{name}: {var}.{name}" for name in _PUBLIC if names is None or name in names)
        props = f"CASE WHEN {var}.id = ${COMPANY_PARAM} THEN {props} ELSE {{{public}}} END"
    return f"{{props: {props}, labels: labels({var})}}"
