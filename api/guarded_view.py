"""The GraphQL view with the request-wide guards that need HTTP: fairness and bytes.

- every operation runs inside a slot of ``api.concurrency`` keyed by its caller
  (``Access.caller`` when it has credentials, else the client address); no slot in time
  is HTTP 503 with ``Retry-After`` and ``extensions.code = OVERLOADED``, and nothing runs;
- the response body is bounded (``api.result_size``): over the cap it is replaced by a
  ``RESULT_TOO_LARGE`` error, and memory is handed back after large results.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from graphql import ExecutionResult, GraphQLError
from strawberry.asgi import GraphQL
from strawberry.http.base import HTTPException  # the class its views answer as a 400

from api import observe
from api.concurrency import Caps, ConcurrencyLimiter, Overloaded
from api.result_size import LARGE, encode_bounded, release_memory
from graph.access import Access
from graph.cost import CostBudgets

C = TypeVar("C")
R = TypeVar("R")


def client_key(context: Any, request: Any) -> str:
    """Whom a request's slots belong to: its credential, or its address when anonymous."""
    access = getattr(context, "access", None)
    if isinstance(access, Access) and (access.key_id or access.subject not in (None, "anonymous")):
        return access.caller
    client = getattr(request, "client", None)
    return f"addr:{client.host if client else 'unknown'}"


class GuardedGraphQL(GraphQL[C, R], Generic[C, R]):
    limiter: ConcurrencyLimiter = ConcurrencyLimiter(Caps())
    max_bytes: int = CostBudgets().max_bytes
    fast_path_enabled: bool = True  # off: every request is executed by Strawberry (the differential test)

    def guard(self, caps: Caps, max_bytes: int) -> None:
        self.limiter = ConcurrencyLimiter(caps)
        self.max_bytes = max_bytes

    async def execute_operation(self, request: Any, request_adapter: Any, request_data: Any, context: Any,
                                root_value: Any, sub_response: Any) -> Any:
        result = await self._execute_in_slot(request, request_adapter, request_data, context, root_value,
                                             sub_response)
        observe.note_graphql(getattr(request_data, "operation_name", None),
                             getattr(request_data, "query", None), result)  # for metrics and logs
        return result

    async def _execute_in_slot(self, request: Any, request_adapter: Any, request_data: Any, context: Any,
                               root_value: Any, sub_response: Any) -> Any:
        try:
            async with self.limiter.slot(client_key(context, request)):
                return await super().execute_operation(request, request_adapter, request_data, context,
                                                       root_value, sub_response)
        except Overloaded as exc:
            sub_response.status_code = 503
            sub_response.headers["Retry-After"] = str(exc.retry_after)
            return ExecutionResult(data=None, errors=[GraphQLError(
                f"the service is busy ({exc.reason}); retry in {exc.retry_after} s",
                extensions={"code": "OVERLOADED", "retryAfter": exc.retry_after})])

    async def execute_single(self, request: Any, request_adapter: Any, sub_response: Any, context: Any,
                             root_value: Any, request_data: Any) -> Any:
        # A cached query document with a compiled plan is answered from it (schema/fastpath.py),
        # inside the slot taken above; anything else is executed by Strawberry.
        fast = getattr(self.schema, "fast_path", None)
        query = request_data.query
        if fast is not None and isinstance(query, str) and self.fast_path_enabled:
            result = await fast.execute(self.schema.documents.fast_entry(query),  # type: ignore[attr-defined]
                                        query, request_data.variables, request_data.operation_name, context)
            if result is not None:
                return result
        return await super().execute_single(request, request_adapter, sub_response, context, root_value,
                                            request_data)

    def parse_json(self, data: str | bytes) -> Any:
        # Strawberry reads fields of whatever the body holds: `null` or `"text"` were a 500.
        parsed = super().parse_json(data)
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "The request body must be a JSON object (or a list of them, batched).")
        return parsed

    def encode_json(self, data: object) -> bytes:
        return encode_bounded(data, self.max_bytes)

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        LARGE.set(False)
        response = await super().run(*args, **kwargs)
        if LARGE.get():
            release_memory()  # the result is gone by now: give its pages back
        return response
