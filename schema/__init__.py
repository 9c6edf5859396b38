"""The GraphQL schema: Strawberry types, inputs and thin resolvers. No database drivers here."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from schema.introspection import TypeNamesOnlyIntrospectionRule
from schema.mutations import Mutation
from schema.query import TYPES, Query

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5000


def is_unexpected(error: GraphQLError) -> bool:
    """Only errors we did not raise on purpose are masked: ours name the argument."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def build_schema(*, production: bool = False) -> strawberry.Schema:
    # Factories, so each request gets fresh extension instances.
    extensions: list[Callable[[], SchemaExtension]] = [
        partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
        partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
    ]
    if production:
        extensions += [
            partial(AddValidationRules, [TypeNamesOnlyIntrospectionRule]),
            partial(MaskErrors, should_mask_error=is_unexpected),
        ]
    return strawberry.Schema(query=Query, mutation=Mutation, types=TYPES,  # type: ignore[arg-type]
                             extensions=extensions)
