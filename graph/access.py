"""Who is asking: the role and, for partners, the company whose subgraph they may see.

The compiler and the traversal builders consult an ``Access`` for every statement they
write (partner scoping happens inside the Cypher); the API layer decides which ``Access``
a request gets from its credentials (``api.auth``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

DEFAULT_SCOPE_DEPTH = 2
ANONYMOUS = "anonymous"


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    ANALYST = "analyst"
    PARTNER = "partner"


@dataclass(frozen=True)
class Access:
    role: Role
    company_id: str | None = None  # partners only: the company whose subgraph they see
    scope_depth: int = DEFAULT_SCOPE_DEPTH  # partners: SUPPLIES hops up and down from it
    key_id: str | None = None  # API key id, for the audit trail and rate limits (never the secret)
    subject: str | None = None  # JWT subject, or a name for the caller

    @property
    def partner(self) -> bool:
        return self.role is Role.PARTNER

    @property
    def caller(self) -> str:
        """A stable, secret-free name of the caller for logs, audit and rate limits."""
        if self.key_id:
            return f"key:{self.key_id}"
        if self.subject and self.subject != ANONYMOUS:
            return f"sub:{self.subject}"
        return ANONYMOUS


ANONYMOUS_ADMIN = Access(Role.ADMIN, subject=ANONYMOUS)
"""Dev mode on loopback: GraphiQL works without credentials."""


# -- what each role may run ----------------------------------------------------------------

READERS = frozenset({Role.ADMIN, Role.EDITOR, Role.ANALYST})
EVERYONE = frozenset(Role)
WRITERS = frozenset({Role.ADMIN, Role.EDITOR})
ADMINS = frozenset({Role.ADMIN})

PARTNER_QUERIES = frozenset({
    "node", "party", "person", "company", "product", "order",
    "parties", "people", "companies", "products", "orders",
    "supplyChain", "indirectCustomers", "disruptionImpact", "baseCurrency", "exchangeRates",
})
"""Root reads a partner may run; each is scoped to its company inside the statement."""
ADMIN_QUERIES = frozenset({"auditLog"})
ADMIN_MUTATIONS = frozenset({"deletePerson", "deleteCompany", "mergeParties"})
"""Deleting or merging parties loses history: admins only."""


def allowed_roles(operation: str, field: str) -> frozenset[Role]:
    """The roles that may use root ``field`` of ``operation`` (query or mutation)."""
    if operation == "mutation":
        return ADMINS if field in ADMIN_MUTATIONS else WRITERS
    if field in ADMIN_QUERIES:
        return ADMINS
    return EVERYONE if field in PARTNER_QUERIES else READERS
