"""What one GraphQL HTTP request was and how it ended, gathered while it runs and handed,
once answered, to the metrics (service/metrics.py) and the request log
(service/request_log.py).

`ObserveRequests` is the outermost layer (app.py's create_app), so that every answer is
seen: those of admission control (503 OVERLOADED), the body limit, authentication, the
known-operation lane and the GraphQL view alike. The layers below add what only they know
through `current()`, a context variable that the tasks they start inherit: the operation's
name and type (service/fastpath, the GraphQL view's limits extension), its result's error
codes (app.py's `http_answer` callers) and payload error codes (service/schema/errors.py).
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("customer_context")

#: Longest error body read for its codes (a refusal's JSON is a few hundred bytes).
MAX_ERROR_BODY = 64 * 1024


class Observation:
    """One request's facts. Everything but `operation`, `operation_type`, `codes` and
    `result` is filled in by `ObserveRequests`."""

    __slots__ = (
        "method", "path", "request_id", "actor_id", "operation", "operation_type", "codes", "result", "status",
        "seconds", "span",
    )

    def __init__(self, method: str, path: str) -> None:
        self.method, self.path = method, path
        self.request_id = ""
        self.actor_id: str | None = None
        self.operation: str | None = None
        self.operation_type: str | None = None
        self.codes: list[str] = []
        #: "ok", "partial" (data and errors) or "error" (no data) once a GraphQL result was made.
        self.result: str | None = None
        self.status = 0
        self.seconds = 0.0
        #: The operation's span when tracing is on (service/tracing.py).
        self.span: Any = None

    def note_operation(self, name: str | None, operation_type: Any) -> None:
        self.operation = name
        self.operation_type = getattr(operation_type, "value", None) or str(operation_type).lower()
        if self.span is not None:
            self.span.named(name, self.operation_type)

    def note_result(self, result: Any) -> None:
        """A GraphQL result (a strawberry or graphql-core ExecutionResult) was answered."""
        errors = result.errors
        if not errors:
            kind = "ok"
        else:
            kind = "error" if result.data is None else "partial"
            for error in errors:
                code = (error.extensions or {}).get("code")
                self.codes.append(code if isinstance(code, str) else "INTERNAL_ERROR")
        # A batch: the worst of its results.
        if self.result is None or _SEVERITY[kind] > _SEVERITY[self.result]:
            self.result = kind

    def outcome(self) -> str:
        """ok, partial, error (a GraphQL request error), timeout, refused (a 4xx before
        GraphQL: authentication, size, media type), shed (503 OVERLOADED), failed (5xx) or
        abandoned (the client left before an answer began)."""
        if "TIMEOUT" in self.codes:
            return "timeout"
        if self.status == 0:
            return "abandoned"
        if self.result is not None:
            return self.result
        if self.status == 503:
            return "shed"
        if self.status >= 500:
            return "failed"
        if self.status >= 400:
            return "refused"
        return "ok"


_SEVERITY = {"ok": 0, "partial": 1, "error": 2}

_CURRENT: contextvars.ContextVar[Observation | None] = contextvars.ContextVar("observation", default=None)


def current() -> Observation | None:
    """The observation of the request being served, if it is observed."""
    return _CURRENT.get()


def note_operation(name: str | None, operation_type: Any) -> None:
    observation = _CURRENT.get()
    if observation is not None:
        observation.note_operation(name, operation_type)


def note_result(result: Any) -> None:
    observation = _CURRENT.get()
    if observation is not None:
        observation.note_result(result)


def note_payload_error(code: str) -> None:
    """A typed error in a mutation's payload (VERSION_CONFLICT, INVALID_PHONE, ...)."""
    observation = _CURRENT.get()
    if observation is not None:
        observation.codes.append(code)


class ObserveRequests:
    """Pure ASGI middleware: times every HTTP request to `path`, learns how it ended and
    hands its `Observation` to each of `sinks` (and to `tracer`, when tracing is on)."""

    def __init__(self, app: ASGIApp, *, sinks: tuple[Callable[[Observation], None], ...], tracer: Any = None, path: str = "/graphql") -> None:
        self.app, self.sinks, self.tracer, self.path = app, sinks, tracer, path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        observation = Observation(scope["method"], scope["path"])
        token = _CURRENT.set(observation)
        error_body: list[bytes] | None = None
        error_size = 0

        finished = False

        def finish() -> None:
            nonlocal finished
            finished = True
            observation.seconds = time.perf_counter() - started
            actor = scope.get("state", {}).get("actor")
            observation.actor_id = getattr(actor, "id", None)
            if error_body:
                observation.codes.extend(_codes_of(b"".join(error_body)))
            if span is not None:
                span.end(observation)
            for sink in self.sinks:
                try:
                    sink(observation)
                except Exception:  # counting or logging must never cost a client its answer
                    log.exception("request %s: observing it failed", observation.request_id)

        async def observed_send(message: Message) -> None:
            nonlocal error_body, error_size
            if message["type"] == "http.response.start":
                observation.status = message["status"]
                for name, value in message.get("headers", ()):
                    if name.lower() == b"x-request-id":
                        observation.request_id = value.decode("latin-1")
                if observation.status >= 400 and observation.result is None:
                    error_body = []
            elif message["type"] == "http.response.body":
                if error_body is not None:
                    chunk = message.get("body", b"")
                    if error_size + len(chunk) <= MAX_ERROR_BODY:
                        error_body.append(chunk)
                        error_size += len(chunk)
                if not message.get("more_body", False) and not finished:
                    # Before the answer's last bytes leave: a client that has its answer
                    # finds it counted in the next scrape.
                    finish()
            await send(message)

        span = self.tracer.start(scope, observation) if self.tracer is not None else None
        try:
            await self.app(scope, receive, observed_send)
        except Exception:
            if observation.status == 0:  # Starlette's outermost layer answers it with a 500
                observation.status = 500
            raise
        finally:
            _CURRENT.reset(token)
            if not finished:  # no answer (the client left), or a failure below
                finish()
            if span is not None:
                span.detach()


def _codes_of(body: bytes) -> list[str]:
    """The `extensions.code` of each error in a JSON error body the layers answered."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return []
    errors = data.get("errors") if isinstance(data, dict) else None
    codes = []
    for error in errors if isinstance(errors, list) else ():
        code = (error.get("extensions") or {}).get("code") if isinstance(error, dict) else None
        if isinstance(code, str):
            codes.append(code)
    return codes
