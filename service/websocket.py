"""Subscriptions over WebSocket at /graphql: the graphql-transport-ws protocol only (the
legacy subscriptions-transport-ws protocol, also named `graphql-ws`, is refused with 4406).

- Authentication happens in `connection_init`: its payload carries the credential as HTTP's
  header would, `{"authorization": "Bearer ..."}` (`Authorization` too), checked by the same
  code (`authentication.authenticate`), with the same rules: no tokens file means local
  development mode, where a connection without a credential is the local developer. A
  missing or bad credential closes the socket with 4403 Forbidden. The actor is fixed for
  the connection's life.
- Bounds: connections per process (`--max-websocket-connections`; one more is accepted and
  closed at once with 1013 Try Again Later), subscriptions per connection
  (`--max-subscriptions-per-connection`; one more gets an `error` TOO_MANY_SUBSCRIPTIONS),
  time to `connection_init` (`--connection-init-timeout-seconds`; then 4408), message size
  (the server's, see cli.py), a subscriber's queue (service/pubsub.py).
- Only subscriptions: a query or mutation sent over the socket gets an `error`
  SUBSCRIPTIONS_ONLY (they have their limits, timeout and status codes on HTTP).
- The language of messages is the handshake's Accept-Language (browsers send it), or
  `acceptLanguage` in the connection_init payload.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET

from .authentication import authenticate
from .domain.access import Actor, Role
from .i18n import negotiate
from .schema.context import Context, RecordLoader, request_id_of
from .schema.subscriptions import coded_error
from .settings import Settings

log = logging.getLogger("customer_context.websocket")

#: Before connection_init is acknowledged nobody may see anything.
NOBODY = Actor("anonymous", Role.CUSTOMER)


def connection_context(runtime: Any, websocket: WebSocket) -> Context:
    """One context for the connection's life. Its loaders do not cache: an event is resolved
    long after the one before, and must show the records as they are then."""
    ctx = Context(
        runtime=runtime,
        actor=NOBODY,
        locale=negotiate(websocket.headers.get("accept-language")),
        request=websocket,
        response=None,
        request_id=request_id_of(websocket),
    )
    store = runtime.store
    ctx.customers = RecordLoader(load_fn=store.get_customers, cache=False)
    ctx.activities = RecordLoader(load_fn=store.get_activities, cache=False)
    ctx.entries = RecordLoader(load_fn=store.get_open_list_entries, cache=False)
    ctx.connection_params = None  # Strawberry puts connection_init's payload here
    ctx.streams = True  # subscriptions may start (schema/subscriptions.py)
    return ctx


def credential_of(params: Any) -> Any:
    """The `authorization` (or `Authorization`) of a connection_init payload, as sent."""
    if not isinstance(params, dict):
        return None
    return params.get("authorization", params.get("Authorization"))


class _SubscriptionsOnly:
    """The schema as the socket handler sees it: `stream` runs subscriptions, and answers a
    query or mutation with an `error` SUBSCRIPTIONS_ONLY."""

    def __init__(self, schema: Any, settings: Settings) -> None:
        self._schema = schema
        self._max_tokens = settings.max_query_tokens

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schema, name)

    async def stream(self, query: Any, variable_values: Any = None, context_value: Any = None, root_value: Any = None,
                     operation_name: Any = None, **kwargs: Any) -> Any:
        if self._is_other_operation(query, operation_name):
            return _refusal(context_value)
        return await self._schema.stream(
            query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            **kwargs,
        )

    def _is_other_operation(self, query: Any, operation_name: Any) -> bool:
        """Whether the document names a query or mutation to run. Anything unclear (it does not
        parse, names no operation) is left to the schema, which reports it as on HTTP; the
        document is at most --max-query-tokens long, so reading it twice costs little."""
        if not isinstance(query, str):
            return False
        try:
            document = parse(query, max_tokens=self._max_tokens)
        except GraphQLError:
            return False
        operation = get_operation_ast(document, operation_name if isinstance(operation_name, str) else None)
        return operation is not None and operation.operation is not OperationType.SUBSCRIPTION


async def _refusal(ctx: Any) -> Any:
    error = coded_error(ctx, "SUBSCRIPTIONS_ONLY", "subscriptions_only")
    error.extensions["requestId"] = getattr(ctx, "request_id", None)
    yield PreExecutionError(data=None, errors=[error])


class TransportHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws with the service's coded errors."""

    async def handle_connection_init(self, message: Any) -> None:
        try:
            await super().handle_connection_init(message)
        except Exception:  # the store failed while checking a customer credential, say
            log.exception("connection_init of websocket %s failed", getattr(self.context, "request_id", "?"))
            await self.websocket.close(code=4500, reason="Internal server error")

    async def handle_subscribe(self, message: Any) -> None:
        limit = self.view.settings.max_subscriptions_per_connection
        if self.connection_acknowledged and message["id"] not in self.operations and len(self.operations) >= limit:
            error = coded_error(self.context, "TOO_MANY_SUBSCRIPTIONS", "too_many_subscriptions", limit=limit)
            error.extensions["requestId"] = self.context.request_id
            await self.send_message({"id": message["id"], "type": "error", "payload": [error.formatted]})
            return
        await super().handle_subscribe(message)


class SubscriptionsView(GraphQL):
    """Strawberry's ASGI view for WebSocket requests to /graphql (HTTP goes to GraphQLApp)."""

    graphql_transport_ws_handler_class = TransportHandler

    def __init__(self, schema: Any, settings: Settings) -> None:
        super().__init__(
            _SubscriptionsOnly(schema, settings),
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=settings.connection_init_timeout_seconds),
            max_subscriptions_per_connection=None,  # TransportHandler counts, with a coded error
            # Pages of other origins only when the operator lists them (as CORS on HTTP).
            allowed_origins=frozenset(settings.origins),
        )
        self.settings = settings
        self.connections = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":  # pragma: no cover - the route takes WebSockets only
            return
        runtime = scope["app"].state.runtime
        if runtime is None or self.connections >= self.settings.max_websocket_connections:
            websocket = WebSocket(scope, receive, send)
            wanted = websocket.scope.get("subprotocols") or []
            await websocket.accept(subprotocol=GRAPHQL_TRANSPORT_WS_PROTOCOL if GRAPHQL_TRANSPORT_WS_PROTOCOL in wanted else None)
            reason = "Too many connections; try again later" if runtime is not None else "The service is starting or stopping"
            log.warning("websocket refused: %s (%d open)", reason, self.connections)
            await websocket.close(code=1013, reason=reason)
            return
        self.connections += 1
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.connections -= 1

    async def get_context(self, request: Any, response: Any) -> Context:
        return connection_context(request.app.state.runtime, request)

    async def on_ws_connect(self, context: Context) -> Any:
        runtime = context.runtime
        params = context.connection_params
        language = params.get("acceptLanguage") if isinstance(params, dict) else None
        if isinstance(language, str):
            context.locale = negotiate(language)
        credential = credential_of(params)
        actor = None
        if credential is None or isinstance(credential, str):  # anything else is no credential we know
            actor = await authenticate(
                credential, runtime.staff, runtime.store, customer_accounts=runtime.settings.customer_accounts
            )
        if actor is None:
            log.info("websocket %s refused: no valid credential (4403)", context.request_id)
            raise ConnectionRejectionError()
        context.actor = actor
        return UNSET
