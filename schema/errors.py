"""Errors the API returns: a message naming the argument, and a stable ``code``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from graphql import GraphQLError

from graph.cypher.errors import QueryInputError
from graph.store import QueryTimeoutError, StoreReadOnlyError, StoreUnavailableError

T = TypeVar("T")


def input_error(exc: QueryInputError) -> GraphQLError:
    return GraphQLError(str(exc), extensions={"code": exc.code, "argument": exc.argument})


async def translating(call: Callable[[], Awaitable[T]]) -> T:
    """Run ``call``; input and store errors become GraphQL errors with an extensions code."""
    try:
        return await call()
    except QueryInputError as exc:
        raise input_error(exc) from exc
    except QueryTimeoutError as exc:
        raise GraphQLError(f"{exc}; ask for less (smaller depth, pages or window)",
                           extensions={"code": "QUERY_TIMEOUT"}) from exc
    except StoreReadOnlyError as exc:
        raise GraphQLError(f"{exc}", extensions={"code": "STORE_READ_ONLY"}) from exc
    except StoreUnavailableError as exc:
        raise GraphQLError("the graph store is unavailable; try again shortly",
                           extensions={"code": "STORE_UNAVAILABLE"}) from exc
