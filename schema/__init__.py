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

from graph.cost import CostBudgets
from schema.cost import CostLimiter
from schema.error_codes import ErrorCodes
from schema.introspection import TypeNamesOnlyIntrospectionRule, TypesAnswerNothing
from schema.document_cache import DocumentCache, DocumentLRU
from schema.fastpath import FastPath
from schema.mutations import Mutation
from schema.permissions import RolePermissions, document_roles
from schema.query import TYPES, Query

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5000


def is_unexpected(error: GraphQLError) -> bool:
    """Only errors we did not raise on purpose are masked: ours name the argument."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def build_schema(*, production: bool = False, budgets: CostBudgets | None = None,
                 document_cache_size: int = 256) -> strawberry.Schema:
    # Factories, so each request gets fresh extension instances. The document cache is one
    # per schema, shared by its requests: a document is parsed and validated (depth, alias
    # and token limits included) once; roles are still checked at every request.
    documents = DocumentLRU(document_cache_size)
    extensions: list[Callable[[], SchemaExtension]] = [
        ErrorCodes,  # first in, last out: it sees every error, masked or not
        partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
        partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        RolePermissions,
        partial(CostLimiter, budgets=budgets),  # one budget per request, before anything runs
        partial(DocumentCache, cache=documents),  # after the cost check: it refuses fragment bombs first
    ]
    if production:
        extensions += [
            partial(AddValidationRules, [TypeNamesOnlyIntrospectionRule]),
            TypesAnswerNothing,
            partial(MaskErrors, should_mask_error=is_unexpected),
        ]
    document_roles(Query, "query")
    document_roles(Mutation, "mutation")
    schema = strawberry.Schema(query=Query, mutation=Mutation, types=TYPES,  # type: ignore[arg-type]
                               extensions=extensions)
    schema.documents = documents  # type: ignore[attr-defined]  # for tests and benchmarks
    # Cached query documents served from their compiled plans (schema/fastpath.py); the
    # view asks it first and falls back to normal execution.
    schema.fast_path = FastPath(schema, budgets or CostBudgets())  # type: ignore[attr-defined]
    return schema
