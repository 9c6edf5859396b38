"""The ASGI app: GraphQL at /graphql (GraphiQL in dev), /explore, /healthz and /readyz."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from api import metrics, tracing
from api.fast_lane import FastLane
from api.gate import Guard
from api.guarded_view import GuardedGraphQL
from api.hygiene import strip_suggestions
from api.logs import configure_logging
from api.observe import count_statement
from api.http import GraphQLOverHTTP
from api.front_door import FrontDoor
from graph.money import set_base_currency
from api.pages import graphiql_response
from api.pages import routes as page_routes
from api.settings import Mode, Settings, load_settings
from api.startup import Startup
from graph.analytics.refresher import Refresher
from graph.analytics.state import SnapshotState
from graph.connect import open_store
from graph.cypher.horizons import Horizons
from graph.cypher.compiler import Compiler, Limits
from graph.store import StoreUnavailableError, observe_statements
from schema import build_schema
from schema.context import Context

STORE_SOCKET_ENV = "CRMGRAPH_STORE_SOCKET"
"""Set by ``crmgraph serve`` for its workers: the socket of the store it started."""


log = logging.getLogger("crmgraph")


class CRMGraphQL(FastLane, GuardedGraphQL[Context, None], GraphQLOverHTTP):
    hide_suggestions = False

    async def get_context(self, request: Any, response: Any) -> Context:
        state = request.app.state
        return Context(store=state.store, compiler=state.compiler, request=request, response=response,
                       access=request.scope["state"]["access"])  # set by api.gate.Gate, or 401 before

    async def render_graphql_ide(self, request: Any) -> Any:
        return graphiql_response()  # GraphiQL with the example tabs, its assets served locally

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        processed = await super().process_result(request, result)
        return strip_suggestions(processed) if self.hide_suggestions else processed  # type: ignore[return-value,arg-type]


def serve_app() -> Starlette:
    """The app ``crmgraph serve`` runs in each worker: ``create_app`` with the collector tuned."""
    return create_app(tune_gc=True)


def create_app(settings: Settings | None = None, *, tune_gc: bool = False) -> Starlette:
    """``tune_gc``: once started, move everything allocated so far (schema, compiled types,
    modules) out of the cyclic collector's reach (``gc.freeze``), so its full collections
    under load walk only what requests allocate — fewer long pauses in the latency tail.
    For a serving process only: tests create many apps in one process."""
    settings = settings or load_settings()
    set_base_currency(settings.base_currency)
    configure_logging(settings.json_logs)
    tracing.configure_from_environment()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_store(
            neo4j_uri=settings.database_uri,
            neo4j_user=settings.database_user,
            neo4j_password=settings.database_password.get_secret_value(),
            neo4j_database=settings.database_name,
            falkordb_socket=os.environ.get(STORE_SOCKET_ENV),
            data_dir=settings.data_dir,
            graph_name=settings.graph_name,
            start_timeout=settings.store_start_timeout,
            read_timeout=settings.query_timeout,
            write_timeout=settings.write_timeout,
            min_free_bytes=int(settings.store_min_free_mb * 1024 * 1024),
            pool_size=settings.store_pool_size,
            server_args=settings.store_server_arguments(),
            prepare=False,
        ) as store:
            app.state.store = store
            startup = app.state.startup = Startup()
            snapshots = SnapshotState(settings.analytics_max_staleness)
            refresher = app.state.refresher = Refresher(store, snapshots)
            horizons = Horizons()
            tasks: list[asyncio.Task[None]] = []
            # Every statement of this process, measured once at the store port.
            unobserve = [observe_statements(f) for f in (count_statement, metrics.record_statement,
                                                         tracing.record_statement)]

            async def finish() -> None:
                await store.ensure_schema()
                app.state.compiler = Compiler(store.dialect, Limits(max_page_size=settings.max_page_size,
                                                                    max_rows=settings.max_request_rows),
                                              analytics=snapshots, horizons=horizons)
                app.state.guard = Guard.open(settings, store)
                log.warning(app.state.guard.banner())
                key_events = app.state.guard.authenticator.key_events
                if key_events is not None:  # the key cache stays off until it hears key changes
                    tasks.append(asyncio.create_task(key_events.run()))
                if snapshots.max_staleness > 0:
                    tasks.append(asyncio.create_task(refresher.run()))
                tasks.append(asyncio.create_task(horizons.run(store)))

            try:
                if await store.loading() is not None:
                    raise StoreUnavailableError("the store is loading its data")
                await finish()  # the usual case: ready before the first request
                startup.ready.set()
            except StoreUnavailableError:  # a big graph still loading (its INFO may be slow to
                # answer then): serve /readyz meanwhile and prepare once it has (api.startup)
                log.warning("the store is still loading its data; this worker answers 503 until it is ready")
                startup.task = asyncio.create_task(startup.prepare(store, finish))
                tasks.append(startup.task)
            if tune_gc:
                gc.collect()
                gc.freeze()
            try:
                yield
            finally:
                for task in tasks:  # stop the preparation and the refresher; never wait on them for long
                    task.cancel()
                if tasks:
                    await asyncio.wait(set(tasks), timeout=5)
                for stop in unobserve:
                    stop()
                tracing.shutdown()
                metrics.process_exiting()

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        # Ready = prepared, and the store answers a trivial query within 1 s (not just a PING).
        state = request.app.state
        startup: Startup | None = getattr(state, "startup", None)
        store = getattr(state, "store", None)
        if startup is None or not startup.ready.is_set():
            body = await startup.not_ready_body(store) if startup else {"status": "starting"}
            return JSONResponse(body, status_code=503)
        try:
            await store.ping(deadline=1.0)
        except (StoreUnavailableError, AttributeError) as exc:
            loading = await store.loading() if store is not None else None
            if loading is not None:  # restarted under the service, loading its data again
                return JSONResponse({"status": "unavailable", "store": "loading",
                                     "progress": loading.as_json()}, status_code=503)
            return JSONResponse({"status": "unavailable", "reason": str(exc)}, status_code=503)
        body: dict[str, Any] = {"status": "ready", "store": store.dialect.name}
        try:
            building = await store.indexes_building()
        except StoreUnavailableError:
            building = {}
        if building:  # after a restart: built in the background, answers right but slower until then
            body["indexesBuilding"] = building
        return JSONResponse(body)

    async def root(_: Request) -> RedirectResponse:
        return RedirectResponse("/graphql")

    production = settings.mode is Mode.PROD
    graphql = CRMGraphQL(build_schema(production=production, budgets=settings.cost_budgets()),
                         graphql_ide=None if production else "graphiql",
                         allow_queries_via_get=True)  # queries only: a mutation over GET is a 405
    graphql.guard(settings.concurrency_caps(), settings.max_response_bytes)
    graphql.fast_path_enabled = settings.fast_path
    graphql.hide_suggestions = production  # "Did you mean ...?" would reveal the schema
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),  # first: routes are tried in order
            Route("/", root),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics.metrics_endpoint),  # admins or CRMGRAPH_METRICS_TOKEN (api.gate)
            *page_routes(settings, graphiql=not production),  # /explore and the pages' assets
        ],
        middleware=[Middleware(FrontDoor, settings=settings, view=graphql)],  # every check before the routes
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app
