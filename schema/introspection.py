"""Introspection in production: off, except whether a type of a given name exists.

``{ __type(name: "X") { name } }`` is the one introspection query production accepts —
it is what GraphQL-over-HTTP conformance checks send to prove that variables work — and
it answers null for every name (``TypesAnswerNothing``), so it says nothing. ``__schema``, and every other field of ``__type`` (its fields, kind,
description, ...), stay refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import FieldNode, GraphQLError, get_named_type, is_introspection_type
from graphql.validation import ValidationRule
from strawberry.extensions import SchemaExtension

ALLOWED_TYPE_FIELDS = frozenset({"name", "__typename"})


class TypeNamesOnlyIntrospectionRule(ValidationRule):
    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        name = node.name.value
        parent = self.context.get_parent_type()
        if name == "__type" and parent is not None and parent is self.context.schema.query_type:
            return
        if parent is not None and parent.name == "__Type" and name in ALLOWED_TYPE_FIELDS:
            return
        type_ = get_named_type(self.context.get_type())
        if (type_ is not None and is_introspection_type(type_)) or (parent is not None and parent.name == "__Type"):
            self.report_error(GraphQLError(
                f"introspection is disabled in production; '{name}' is not answered "
                "(only __type(name:) { name } is)", node))


class TypesAnswerNothing(SchemaExtension):
    """Production: ``__type(name:)`` answers null for every name, so the one introspection
    query the rule above lets through reveals nothing about the schema."""

    def resolve(self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        if info.field_name == "__type" and info.path.prev is None:
            return None
        return _next(root, info, *args, **kwargs)
