"""Every error a client gets carries ``extensions.code``: the typed refusals raised on
purpose already do; this fills in the rest, as the GraphQL servers clients know do
(``GRAPHQL_PARSE_FAILED``, ``GRAPHQL_VALIDATION_FAILED``, ``BAD_USER_INPUT`` for variables
that do not fit their types, ``INTERNAL`` for anything unexpected, with the request id)."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from schema.errors import request_id


def code_for(error: GraphQLError) -> str:
    if error.original_error is not None and not isinstance(error.original_error, GraphQLError):
        return "INTERNAL"
    message = error.message
    if message.startswith("Syntax Error") or "more than" in message and "tokens" in message:
        return "GRAPHQL_PARSE_FAILED"
    if message.startswith("Variable '$") or message.startswith("Argument '") and "invalid value" in message:
        return "BAD_USER_INPUT"
    if error.path is None:
        return "GRAPHQL_VALIDATION_FAILED"
    return "INTERNAL"


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in (result.errors if result is not None else None) or []:
            extensions = error.extensions if error.extensions is not None else {}
            if "code" not in extensions:
                extensions["code"] = code_for(error)
                if extensions["code"] == "INTERNAL":
                    extensions["requestId"] = request_id()  # the id the response's X-Request-Id carries
                error.extensions = extensions
