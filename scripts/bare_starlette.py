"""The floors for ``scripts/bench_api.py``, served by uvicorn with the same loop, HTTP parser
and logging as ``crmgraph serve`` in prod.

    .venv/bin/python -m uvicorn scripts.bare_starlette:app --loop uvloop --http httptools --no-access-log

- ``/graphql``: a bare Starlette JSON endpoint, the floor of ``{ __typename }``.
- ``/floor``: the statements in the JSON file named by ``CRMGRAPH_FLOOR_FILE`` (a list of
  ``[cypher, parameters]``, written by the benchmark; read again when it changes), sent in
  order through the service's own store adapter on the socket ``CRMGRAPH_FLOOR_SOCKET``
  as the fast path sends them (``Store.fetch``: command bytes built once, the wire, the
  answer decoder), answered with their row counts.
  No GraphQL, no credentials, no limits, no response built from the rows: what one HTTP
  request and the statements cost this stack at the least. Nothing in a request chooses
  the statement.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from graph.cypher.compiler import Statement
from graph.falkordb_store import FalkorDBStore


async def typename(_: Request) -> JSONResponse:
    return JSONResponse({"data": {"__typename": "Query"}})


def _rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return rows


class Floor:
    def __init__(self) -> None:
        self.store: FalkorDBStore | None = None
        self.loaded: tuple[float, list[Statement]] = (-1.0, [])

    def statements(self) -> list[Statement]:
        path = Path(os.environ["CRMGRAPH_FLOOR_FILE"])
        mtime = path.stat().st_mtime
        if mtime != self.loaded[0]:
            self.loaded = (mtime, [Statement(text, params, _rows) for text, params in orjson.loads(path.read_bytes())])
        return self.loaded[1]

    async def answer(self, request: Request) -> Response:
        await request.body()
        if self.store is None:
            self.store = FalkorDBStore(os.environ["CRMGRAPH_FLOOR_SOCKET"], "crm", 64)
        counts = [len(await self.store.fetch(statement)) for statement in self.statements()]
        return Response(orjson.dumps({"rows": counts}), media_type="application/json")


app = Starlette(routes=[Route("/graphql", typename, methods=["GET", "POST"]),
                        Route("/floor", Floor().answer, methods=["POST"])])
