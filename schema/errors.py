"""Errors the API returns: a message naming the argument, and a stable ``code``."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TypeVar

from graphql import GraphQLError

from graph.cypher.errors import QueryInputError
from graph.store import QueryTimeoutError, StoreReadOnlyError, StoreUnavailableError

T = TypeVar("T")

LOG = logging.getLogger("crmgraph.errors")
REQUEST_ID: ContextVar[str | None] = ContextVar("crmgraph_request_id", default=None)
"""The id of the HTTP request being served (set by ``api.http``); errors quote it."""


def request_id() -> str:
    """The current request's id, or a fresh one (then kept for the rest of this task)."""
    current = REQUEST_ID.get()
    if current is None:
        current = uuid.uuid4().hex
        REQUEST_ID.set(current)
    return current


def internal_error(exc: BaseException) -> GraphQLError:
    """An error nobody raised on purpose: logged in full, reported by request id only, so
    the store's own text (statement fragments, variable names) never reaches a client."""
    rid = request_id()
    LOG.error("internal error in request %s", rid, exc_info=exc)
    return GraphQLError(f"internal error; quote request id {rid} to the operator",
                        extensions={"code": "INTERNAL", "requestId": rid})


def input_error(exc: QueryInputError) -> GraphQLError:
    return GraphQLError(str(exc), extensions={"code": exc.code, "argument": exc.argument})


async def translating(call: Callable[[], Awaitable[T]],
                      passthrough: tuple[type[Exception], ...] = ()) -> T:
    """Run ``call``; input and store errors become GraphQL errors with an extensions code,
    ``passthrough`` errors are re-raised for the caller to translate, and anything else
    becomes an ``INTERNAL`` error carrying the request id."""
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
    except (GraphQLError, *passthrough):
        raise
    except Exception as exc:  # noqa: BLE001 - the store's own errors, whatever their class
        raise internal_error(exc) from exc
