"""Roles, checked once per root field: a field the caller's role may not use answers a
``FORBIDDEN`` error naming it, runs nothing, and leaves its sibling fields to answer.

The rules are ``graph.access.allowed_roles``; ``document_roles`` writes them into every
root field's description so the schema says who may use what.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from graph.access import Role, allowed_roles
from graph.audit import Audit, auditing

ROLE_ORDER = (Role.ADMIN, Role.EDITOR, Role.ANALYST, Role.PARTNER)


def forbidden(field: str, role: Role) -> GraphQLError:
    return GraphQLError(f"{field}: not allowed for the {role.value} role",
                        extensions={"code": "FORBIDDEN", "field": field})


class RolePermissions(SchemaExtension):
    """Checks the caller's role at every root field; runs every mutation under an audit
    record naming the caller (``graph.audit``)."""

    def resolve(self, _next: Callable[..., Any], root: Any, info: Info, *args: Any, **kwargs: Any) -> Any:
        if info.path.prev is not None or info.field_name.startswith("__"):  # meta fields: for everyone
            return _next(root, info, *args, **kwargs)
        operation = info.operation.operation.value
        access = info.context.access
        if access.role not in allowed_roles(operation, info.field_name):
            raise forbidden(info.path.key if isinstance(info.path.key, str) else info.field_name, access.role)
        if operation != "mutation":
            return _next(root, info, *args, **kwargs)
        return _audited(_next(root, info, *args, **kwargs), Audit(access.caller, info.field_name))


async def _audited(result: Any, audit: Audit) -> Any:
    # The resolver's coroutine runs here, inside the audit context.
    with auditing(audit):
        return await result if inspect.isawaitable(result) else result


def document_roles(type_: type, operation: str) -> type:
    """Append "Roles: …" to the description of every field of a root type."""
    for field in type_.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        name = field.graphql_name or _camel(field.python_name)
        roles = allowed_roles(operation, name)
        names = ", ".join(r.value for r in ROLE_ORDER if r in roles)
        scoped = " (partners: within their company's scope)" if Role.PARTNER in roles and operation == "query" else ""
        note = f"Roles: {names}{scoped}."
        if note not in (field.description or ""):
            field.description = f"{field.description or ''} {note}".strip()
    return type_


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
