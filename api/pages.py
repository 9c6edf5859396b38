"""Browser pages: the graph explorer at /explore and the GraphiQL page, served with their
libraries from the app itself (npm packages in node_modules/, installed by ``make install``).

Nothing here reads the graph: the pages are static and call ``/graphql`` like any client,
with the caller's credentials (an API key or bearer token typed into the page). So in
production they hold no data until the user gives a key the API accepts. The libraries come
from an allow-list (never a path from the request) and every page is sent with a Content
Security Policy that lets it load scripts and connect only to this origin: no CDN.
"""

from __future__ import annotations

import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from api.examples import default_tabs
from api.settings import Settings

STATIC = Path(__file__).with_name("static")
CHECKOUT_NODE_MODULES = Path(__file__).resolve().parents[1] / "node_modules"

OWN_ASSETS = {  # /assets/<name> -> api/static/<name>
    "explore.js": "text/javascript",
    "explore.css": "text/css",
    "graphiql-tabs.js": "text/javascript",
}
VENDOR = {  # /assets/vendor/<name> -> node_modules/<path>, the files Strawberry's GraphiQL loads
    "cytoscape.min.js": "cytoscape/dist/cytoscape.min.js",
    "react.production.min.js": "react/umd/react.production.min.js",
    "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.min.js": "graphiql/graphiql.min.js",
    "graphiql.min.css": "graphiql/graphiql.min.css",
    "plugin-explorer.umd.js": "@graphiql/plugin-explorer/dist/index.umd.js",
    "plugin-explorer.css": "@graphiql/plugin-explorer/dist/style.css",
}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
PAGE_HEADERS = {"content-security-policy": CSP, "x-content-type-options": "nosniff",
                "referrer-policy": "no-referrer", "cache-control": "no-cache"}


def node_modules(settings: Settings) -> Path:
    return settings.node_modules or CHECKOUT_NODE_MODULES


def _embed_json(value: object) -> str:
    """JSON safe inside a <script type="application/json"> element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def graphiql_html() -> str:
    """The GraphiQL page with its example tabs (served by the GraphQL view in dev)."""
    return (STATIC / "graphiql.html").read_text().replace("{{ TABS }}", _embed_json(default_tabs()))


def graphiql_response() -> HTMLResponse:
    return HTMLResponse(graphiql_html(), headers=PAGE_HEADERS)


def routes(settings: Settings, *, graphiql: bool) -> list[BaseRoute]:
    modules = node_modules(settings)
    page = (STATIC / "explore.html").read_text().replace("{{ GRAPHIQL }}", "/graphql" if graphiql else "")

    async def explore(_: Request) -> Response:
        return HTMLResponse(page, headers=PAGE_HEADERS)

    async def own(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in OWN_ASSETS:
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(STATIC / name, media_type=OWN_ASSETS[name],
                            headers={"cache-control": "no-cache", "x-content-type-options": "nosniff"})

    async def vendor(request: Request) -> Response:
        relative = VENDOR.get(request.path_params["name"])
        if relative is None:
            return PlainTextResponse("not found", status_code=404)
        path = modules / relative
        if not path.is_file():
            return PlainTextResponse(f"{relative} is not installed in {modules}: run `make install` "
                                     "(or set CRMGRAPH_NODE_MODULES)", status_code=503)
        media = "text/css" if relative.endswith(".css") else "text/javascript"
        return FileResponse(path, media_type=media, headers={"cache-control": "public, max-age=3600",
                                                             "x-content-type-options": "nosniff"})

    return [
        Route("/explore", explore),
        Route("/assets/vendor/{name}", vendor),
        Route("/assets/{name}", own),
    ]
