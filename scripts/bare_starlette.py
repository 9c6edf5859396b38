"""The floor for ``scripts/bench_api.py``: a bare Starlette JSON endpoint, served by uvicorn
with the same loop, HTTP parser and logging as ``crmgraph serve`` in prod.

    .venv/bin/python -m uvicorn scripts.bare_starlette:app --loop uvloop --http httptools --no-access-log
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def typename(_: Request) -> JSONResponse:
    return JSONResponse({"data": {"__typename": "Query"}})


app = Starlette(routes=[Route("/graphql", typename, methods=["GET", "POST"])])
