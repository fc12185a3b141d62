"""OpenTelemetry traces (`--otel`, the `customer-context[otel]` extra): a SERVER span per GraphQL
HTTP request, named after its operation (`query ScreenPop`), joined to the caller's trace
when the request carries a W3C `traceparent`, with a span per working resolver and a CLIENT
span per store call beneath.

The operation span is opened by service/observation.py's `ObserveRequests`, the outermost
layer, so operations that the known-operation lane, the fast path or Strawberry's path run
are all traced alike, and so are refusals (401, 413, 503). The store's methods are wrapped
on the instance (as service/metrics.py times them), so a span of a store call is a child of
the operation whose resolvers called it.

This module is imported only when `--otel` is given: without it nothing of OpenTelemetry is
imported and the request path pays one `is None` test. Where the process has no tracer
provider of its own yet (no `opentelemetry-instrument`, no embedding application that set
one), one is made from the standard environment: `OTEL_SERVICE_NAME` (default
customer-context), `OTEL_TRACES_EXPORTER` (`otlp`, the default; `console`; `none`) and the
OTLP exporter's own `OTEL_EXPORTER_OTLP_*` variables; `OTEL_SDK_DISABLED=true` turns it off.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
from typing import Any

from .settings import ConfigurationError

log = logging.getLogger("customer_context.tracing")

#: Outcomes whose operation span is marked as an error.
FAILED = frozenset({"error", "failed", "timeout"})


def load() -> Tracing | None:
    """The tracing of this process, or None when OTEL_SDK_DISABLED says so; ConfigurationError
    when the extra is not installed."""
    try:
        from opentelemetry import trace
    except ImportError:
        raise ConfigurationError(
            "--otel needs OpenTelemetry: pip install 'customer-context[otel]' (or leave out --otel)"
        ) from None
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        log.info("OTEL_SDK_DISABLED=true: no traces")
        return None
    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider):  # nobody configured one: ours
        provider = _provider_from_environment()
        trace.set_tracer_provider(provider)
    return Tracing(trace.get_tracer("customer_context", tracer_provider=provider))


def _provider_from_environment() -> Any:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    # Resource.create reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES itself.
    provider = TracerProvider(resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "customer-context")}))
    exporter_name = os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower()
    if exporter_name == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter_name == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError:
            raise ConfigurationError(
                "--otel exports over OTLP, and opentelemetry-exporter-otlp-proto-http is not installed: "
                "pip install 'customer-context[otel]', or set OTEL_TRACES_EXPORTER=console or none"
            ) from None
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    elif exporter_name != "none":
        raise ConfigurationError(f"OTEL_TRACES_EXPORTER must be otlp, console or none, not {exporter_name!r}")
    return provider


class Tracing:
    """What service/observation.py and the app use: operation spans and traced store calls."""

    def __init__(self, tracer: Any) -> None:
        from opentelemetry import context, propagate, trace

        self.tracer, self._context, self._propagate, self._trace = tracer, context, propagate, trace

    def start(self, scope: Any, observation: Any) -> OperationSpan:
        carrier = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", ())}
        parent = self._propagate.extract(carrier)
        span = self.tracer.start_span(
            f"{scope['method']} {scope['path']}",
            context=parent,
            kind=self._trace.SpanKind.SERVER,
            attributes={"http.request.method": scope["method"], "url.path": scope["path"]},
        )
        token = self._context.attach(self._trace.set_span_in_context(span, parent))
        handle = OperationSpan(span, token, self)
        observation.span = handle
        return handle

    def trace_store_calls(self, store: Any) -> Any:
        """A CLIENT span per call of a Storage port method on `store` (open and close aside)."""
        from .storage import Storage

        for name, _ in inspect.getmembers(Storage, inspect.iscoroutinefunction):
            method = getattr(store, name, None)
            if name.startswith("_") or name in ("open", "close") or not inspect.iscoroutinefunction(method):
                continue
            try:
                setattr(store, name, self._traced(method, name))
            except AttributeError:
                log.debug("store method %s cannot be traced", name)
        return store

    def _traced(self, method: Any, name: str) -> Any:
        tracer, kind = self.tracer, self._trace.SpanKind.CLIENT

        @functools.wraps(method)
        async def traced(*args: Any, **kwargs: Any) -> Any:
            with tracer.start_as_current_span(f"store.{name}", kind=kind, attributes={"customer_context.store.method": name}):
                return await method(*args, **kwargs)

        return traced


    def trace_resolvers(self, strawberry_schema: Any) -> None:
        """An INTERNAL span per call of the resolvers that do the work: every root field's
        (Query, Mutation) and every resolver that awaits (loads through a DataLoader or the
        store). Strawberry's resolver objects are shared by every app of the process, so each
        is wrapped once, and its span is made only within a traced request (`observation`'s
        span is set): an app without --otel in the same process pays one lookup."""
        if getattr(strawberry_schema, "_customer_context_traced", False):
            return
        strawberry_schema._customer_context_traced = True
        names = strawberry_schema.config.name_converter
        for type_name, graphql_type in strawberry_schema.schema_converter.type_map.items():
            definition = getattr(graphql_type, "definition", None)
            for field in getattr(definition, "fields", None) or ():
                resolver = field.base_resolver
                if resolver is None or not callable(resolver.wrapped_func):
                    continue
                if not (resolver.is_async or type_name in ("Query", "Mutation")):
                    continue
                for prime in _RESOLVER_FACTS:  # what Strawberry reads of the resolver's own function
                    getattr(resolver, prime, None)
                resolver.wrapped_func = self._traced_resolver(resolver.wrapped_func, f"{type_name}.{names.get_graphql_name(field)}", resolver.is_async)

    def _traced_resolver(self, func: Any, name: str, is_async: bool) -> Any:
        from .observation import current

        tracer, attributes = self.tracer, {"graphql.field.path": name}

        def traced_request() -> bool:
            observation = current()
            return observation is not None and observation.span is not None

        if is_async:

            @functools.wraps(func)
            async def traced(*args: Any, **kwargs: Any) -> Any:
                if not traced_request():
                    return await func(*args, **kwargs)
                with tracer.start_as_current_span(f"resolve {name}", attributes=attributes):
                    return await func(*args, **kwargs)

        else:

            @functools.wraps(func)
            def traced(*args: Any, **kwargs: Any) -> Any:
                if not traced_request():
                    return func(*args, **kwargs)
                with tracer.start_as_current_span(f"resolve {name}", attributes=attributes):
                    return func(*args, **kwargs)

        return traced


#: Strawberry's cached facts about a resolver, taken from its own function before it is
#: wrapped (the wrapper keeps its signature through functools.wraps, but nothing is left to
#: chance).
_RESOLVER_FACTS = (
    "signature", "reserved_parameters", "arguments", "info_parameter", "root_parameter", "self_parameter",
    "parent_parameter", "name", "type_annotations", "type", "is_async",
)


class OperationSpan:
    """One request's SERVER span, renamed once its operation is known."""

    __slots__ = ("span", "token", "tracing")

    def __init__(self, span: Any, token: Any, tracing: Tracing) -> None:
        self.span, self.token, self.tracing = span, token, tracing

    def named(self, name: str | None, operation_type: str) -> None:
        # OpenTelemetry's GraphQL conventions: "{type} {name}", or the type alone.
        self.span.update_name(f"{operation_type} {name}" if name else operation_type)
        self.span.set_attribute("graphql.operation.type", operation_type)
        if name:
            self.span.set_attribute("graphql.operation.name", name)

    def end(self, observation: Any) -> None:
        span, outcome = self.span, observation.outcome()
        span.set_attribute("http.response.status_code", observation.status)
        span.set_attribute("customer_context.outcome", outcome)
        if observation.request_id:
            span.set_attribute("customer_context.request_id", observation.request_id)
        if observation.codes:
            span.set_attribute("customer_context.error_codes", list(observation.codes))
        if outcome in FAILED:
            span.set_status(self.tracing._trace.Status(self.tracing._trace.StatusCode.ERROR, outcome))
        span.end()

    def detach(self) -> None:
        self.tracing._context.detach(self.token)
