"""The ASGI application: GraphQL (with GraphiQL) at /graphql, health at /healthz and /readyz."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from strawberry.asgi import GraphQL

from . import plugins
from .events import EventBus
from .runtime import Runtime
from .schema import schema
from .schema.context import build_context
from .settings import ConfigurationError, Settings
from .storage import StoreUnavailable

log = logging.getLogger("customer_context")

#: /readyz gives up on a store that has not answered within this many seconds.
READY_TIMEOUT = 2.0


STATIC_DIR = Path(__file__).parent / "static"


class GraphQLApp(GraphQL):
    async def get_context(self, request, response) -> Any:
        return build_context(request.app.state.runtime, request, response)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        # GraphiQL's files are served from the package (see static/update-graphiql.sh), so
        # it works on networks without internet access; their integrity hashes still hold.
        return HTMLResponse(self.graphql_ide_html.replace("https://unpkg.com/", "/static/unpkg/"))


async def healthz(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def readyz(request: Request) -> JSONResponse:
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        return JSONResponse({"status": "starting"}, status_code=503)
    try:
        await asyncio.wait_for(runtime.store.ping(), READY_TIMEOUT)
    except Exception as exc:  # the store's own failure, whatever its type, means "not ready"
        log.warning("readiness check failed: %s", exc)
        return JSONResponse({"status": "unavailable", "store": runtime.settings.backend}, status_code=503)
    return JSONResponse({"status": "ready", "store": runtime.settings.backend})


async def index(request: Request) -> RedirectResponse:
    return RedirectResponse("/graphql")


def create_app(settings: Settings | None = None, *, extra_plugins: Iterable[Any] = ()) -> Starlette:
    """Build the app. Plugin and setting errors (unknown backend or strategy names) raise
    ConfigurationError here, before anything listens."""
    settings = settings or Settings()
    pm = plugins.plugin_manager(extra_plugins)
    backend = plugins.choose_storage(pm, settings)
    strategy = plugins.choose_matching(pm, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        store = plugins.build_store(backend, settings)
        matcher = plugins.build_matcher(strategy, settings)
        try:
            await store.open()
        except (ConfigurationError, StoreUnavailable) as exc:
            # The CLI reports it in one line (exit 2) instead of a server traceback.
            app.state.startup_error = exc
            raise
        events = EventBus(pm)
        runtime = Runtime(settings=settings, store=store, matcher=matcher, events=events, plugin_manager=pm)
        events.runtime = runtime
        try:
            await plugins.call_startup(pm, runtime)
            app.state.runtime = runtime
            log.info("customer context ready: backend=%s matching=%s", backend.name, strategy.name)
            yield
        finally:
            app.state.runtime = None
            await plugins.call_each_safely(pm.hook.shutdown, "shutdown", runtime=runtime)
            await store.close()

    graphql = GraphQLApp(schema, graphql_ide="graphiql" if settings.graphiql else None)
    routes = [
        Route("/", index),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.runtime = None
    app.state.startup_error = None
    app.state.settings = settings
    return app
