"""Serving the metrics (service/metrics.py) to Prometheus.

Two ways, one setting (`metrics_port`):

- 0 (the default): `GET /metrics` on the service's own port, protected like the API: with a
  tokens file it takes a staff token of role ADMIN or READ_ONLY (a scraper reads, it never
  needs to write: give it its own READ_ONLY token); AGENT tokens and customer accounts get
  403, no token 401. Metrics name no customer, but they tell how busy the centre is and
  which operations its frontends run, which is not for every agent's desktop.
- a port: `/metrics` there without a token, from prometheus-client's own small server (a
  thread), for a scraper on a private network; the service's port then has no `/metrics`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, start_http_server
from starlette.requests import Request
from starlette.responses import Response

from . import metrics
from .authentication import authenticate, request_id_from, unauthenticated
from .domain.access import Role
from .front_door import encode
from .i18n import negotiate, translate
from .settings import ConfigurationError

log = logging.getLogger("customer_context.metrics")

#: Roles whose staff tokens may scrape /metrics on the service's own port.
SCRAPER_ROLES = frozenset({Role.ADMIN, Role.READ_ONLY})

#: Seconds a scrape waits for the store to count the open list before leaving it out.
COUNT_TIMEOUT = 2.0


async def metrics_endpoint(request: Request) -> Response:
    """GET /metrics: the text exposition format, for a staff token of a scraper's role."""
    runtime = request.app.state.runtime
    if runtime is None:
        return Response("starting\n", status_code=503, media_type="text/plain")
    if runtime.staff is not None:
        headers = {k.lower(): v for k, v in request.headers.items()}
        actor = await authenticate(headers.get("authorization"), runtime.staff, runtime.store, customer_accounts=False)
        if actor is None:  # the API's own 401: same body, language and WWW-Authenticate
            start, body = unauthenticated(headers)
            kept = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"] if k != b"content-length"}
            return Response(body["body"], status_code=401, headers=kept)
        if actor.role not in SCRAPER_ROLES:
            return _forbidden(request)
    open_list = await _open_list(runtime.store)
    return Response(metrics.scrape(open_list), media_type=CONTENT_TYPE_LATEST)


def _forbidden(request: Request) -> Response:
    locale = negotiate(request.headers.get("accept-language"))
    request_id = request_id_from(request.headers.get("x-request-id"))
    entry = {
        "message": translate(locale, "forbidden"),
        "extensions": {"code": "FORBIDDEN", "requestId": request_id, "field": "Authorization"},
    }
    return Response(encode({"errors": [entry]}), status_code=403, media_type="application/json", headers={"X-Request-Id": request_id})


async def _open_list(store: Any) -> int | None:
    try:
        return await asyncio.wait_for(metrics.count_open_list(store), COUNT_TIMEOUT)
    except TimeoutError:
        log.warning("metrics: the store did not count the open list within %s s", COUNT_TIMEOUT)
        return None


class MetricsPort:
    """`/metrics` on a port of its own (prometheus-client's server, in a thread); the open
    list is counted on the service's event loop, which owns the store."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._server: Any = None

    def start(self, store: Any) -> None:
        loop = asyncio.get_running_loop()

        def open_list() -> int | None:
            future = asyncio.run_coroutine_threadsafe(_open_list(store), loop)
            try:
                return future.result(COUNT_TIMEOUT + 1)
            except Exception:  # the loop is stopping, or busier than a scrape can wait
                future.cancel()
                return None

        registry = CollectorRegistry(auto_describe=False)
        registry.register(metrics.Everything(open_list))
        try:
            self._server, _thread = start_http_server(self.port, addr=self.host, registry=registry)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot serve metrics on {self.host}:{self.port} (--metrics-port): {exc.strerror or exc}"
            ) from None
        log.info("metrics on http://%s:%s/metrics", self.host, self._server.server_port)

    @property
    def bound_port(self) -> int | None:
        return self._server.server_port if self._server is not None else None

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
