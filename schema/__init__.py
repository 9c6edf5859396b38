"""The GraphQL schema: Strawberry types, inputs and thin resolvers. No database drivers here."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from schema.query import TYPES, Query

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5000


def _unexpected(error: GraphQLError) -> bool:
    """Only errors we did not raise on purpose are masked: ours name the argument."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def build_schema(*, production: bool = False) -> strawberry.Schema:
    extensions: list[SchemaExtension | type[SchemaExtension]] = [
        QueryDepthLimiter(max_depth=MAX_DEPTH),
        MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        MaxTokensLimiter(max_token_count=MAX_TOKENS),
    ]
    if production:
        extensions += [
            AddValidationRules([NoSchemaIntrospectionCustomRule]),
            MaskErrors(should_mask_error=_unexpected),
        ]
    return strawberry.Schema(query=Query, types=TYPES, extensions=extensions)
