"""Subscriptions over WebSocket at /graphql: the graphql-transport-ws protocol only (the
legacy subscriptions-transport-ws protocol, also named `graphql-ws`, is refused with 4406).

- Authentication happens in `connection_init`: its payload carries the credential as HTTP's
  header would, `{"authorization": "Bearer ..."}` (`Authorization` too), checked by the same
  code (`authentication.authenticate`), with the same rules: no tokens file means local
  development mode, where a connection without a credential is the local developer. A
  missing or bad credential closes the socket with 4403 Forbidden. The actor is fixed for
  the connection's life.
- Bounds (service/websocket_limits.py counts the slots): sockets not yet acknowledged have a
  budget of their own, per process (`--max-pending-websockets`) and per client address
  (`--max-pending-websockets-per-client`), and `--connection-init-timeout-seconds` to send
  `connection_init` (then 4408); acknowledged connections are counted per process
  (`--max-websocket-connections`) and per actor (`--max-websocket-connections-per-actor`).
  A socket over a cap is closed with 1013 Try Again Later, so strangers holding pending
  sockets never take an authenticated client's slot. Messages per socket are a token
  bucket (`--websocket-messages-per-second`, `--websocket-message-burst`; faster: 4429).
  Subscriptions per connection (`--max-subscriptions-per-connection`; one more gets an
  `error` TOO_MANY_SUBSCRIPTIONS), message size (the server's, see cli.py), a subscriber's
  queue (service/pubsub.py).
- Every message is checked for the protocol's shape before it is acted on: anything but a
  JSON object of a known `type` with the fields that type needs closes the socket with 4400
  and a reason (graphql-transport-ws's code), never an exception.
- Subscription documents are parsed and validated once per text and limits (the fast
  path's DocumentCache) and handed to Strawberry ready (service/schema/prepared.py).
- Only subscriptions: a query or mutation sent over the socket gets an `error`
  SUBSCRIPTIONS_ONLY (they have their limits, timeout and status codes on HTTP).
- The language of messages is the handshake's Accept-Language (browsers send it), or
  `acceptLanguage` in the connection_init payload.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import orjson
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived, WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET

from .authentication import authenticate
from .domain.access import Actor, Role
from .fastpath.documents import DocumentCache
from .i18n import DEFAULT, negotiate
from .schema.context import Context, RecordLoader, request_id_of
from .schema.limits import limit_error, limits_of, list_too_long_error, result_size_error
from .schema.prepared import use_prepared
from .schema.subscriptions import coded_error
from .settings import Settings
from .turns import take_turn
from .websocket_limits import TRY_AGAIN_LATER, Slot, SocketBudget, TokenBucket

log = logging.getLogger("customer_context.websocket")


class _InvalidUtf8IsTheClients(logging.Filter):
    """uvicorn's WebSocket protocol (websockets-sansio) logs a text frame of invalid UTF-8
    as an error with a traceback, though the mistake is the client's and uvicorn closes the
    socket with 1007 as RFC 6455 says: logged as a warning, without the traceback. Leans on
    uvicorn's wording; tests/test_websocket_limits.py's real-server test catches a change."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "Invalid UTF-8 sequence received from client." and record.levelno >= logging.ERROR:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True


logging.getLogger("uvicorn.error").addFilter(_InvalidUtf8IsTheClients())

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

    def __init__(self, schema: Any) -> None:
        self._schema = schema
        #: Parsed and validated subscription documents: a screen pop's document is the same
        #: for every agent, and parsing and validating it for each of 6,000 subscriptions
        #: held the event loop for half a minute (benchmarks/websocket_subscribe.py).
        self.documents = DocumentCache(schema._schema)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schema, name)

    async def stream(self, query: Any, variable_values: Any = None, context_value: Any = None, root_value: Any = None,
                     operation_name: Any = None, **kwargs: Any) -> Any:
        await take_turn()  # thousands of subscribe messages at once must not hold the loop
        name = operation_name if isinstance(operation_name, str) else None
        limits = limits_of(context_value)
        prepared = self.documents.get(query, limits) if isinstance(query, str) else None
        if prepared is not None:
            operation = prepared.operation(name)
            if operation is not None and operation.operation is not OperationType.SUBSCRIPTION:
                return _refusal(context_value)
            if operation is not None:
                # The cache keys an operation by its own name, which a request may leave out.
                key = operation.name.value if operation.name else None
                error = self._budget_error(prepared, key, operation, variable_values, limits, context_value)
                if error is not None:
                    return _refused(context_value, error)
            use_prepared(query, prepared.document)  # this operation's own task: nobody else sees it
        else:
            refusal = self._refusal_of_unprepared(query, name, limits, context_value)
            if refusal is not None:
                return refusal
        return await self._schema.stream(
            query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            **kwargs,
        )

    def _budget_error(self, prepared: Any, name: str | None, operation: Any, variables: Any, limits: Any, ctx: Any) -> Any:
        """The list-input and result-size budgets, checked as the fast path checks them
        (Strawberry's path checks them when execution starts, which a subscription's does
        not wait for)."""
        schema, locale = self._schema._schema, getattr(ctx, "locale", DEFAULT)
        found = prepared.guard(schema, name).check(variables)
        if found is not None:
            return list_too_long_error(found, locale)
        if prepared.may_be_costly(schema, name, limits):
            return result_size_error(schema, prepared.document, operation, variables, limits, locale)
        return None

    def _refusal_of_unprepared(self, query: Any, operation_name: str | None, limits: Any, ctx: Any) -> Any:
        """For a document that did not validate: a refusal when it names a query or mutation
        (its errors are not for a query's sender to see) or is over the token limit (worded
        as on HTTP, QUERY_TOO_LARGE), else None and the schema reports it as on HTTP. The
        document is at most --max-query-tokens long, so reading it twice costs little."""
        if not isinstance(query, str):
            return None
        try:
            document = parse(query, max_tokens=limits.tokens)
        except GraphQLError as error:
            if error.message.endswith(f"Document contains more than {limits.tokens} tokens. Parsing aborted."):
                locale = getattr(ctx, "locale", DEFAULT)
                return _refused(ctx, limit_error(locale, "QUERY_TOO_LARGE", "query_too_large", limit=limits.tokens))
            return None
        operation = get_operation_ast(document, operation_name)
        if operation is not None and operation.operation is not OperationType.SUBSCRIPTION:
            return _refusal(ctx)
        return None


async def _refusal(ctx: Any) -> Any:
    async for result in _refused(ctx, coded_error(ctx, "SUBSCRIPTIONS_ONLY", "subscriptions_only")):
        yield result


async def _refused(ctx: Any, error: GraphQLError) -> Any:
    error.extensions = {**(error.extensions or {}), "requestId": getattr(ctx, "request_id", None)}
    yield PreExecutionError(data=None, errors=[error])


def malformed(message: Any) -> str | None:
    """Why a decoded message is not one graphql-transport-ws knows, or None. The shapes are
    the protocol's (graphql-ws's validateMessage): Strawberry's handler indexes into a message
    as if it had them, and raised on `[]` or on a `subscribe` whose payload is a list."""
    if not isinstance(message, dict):
        return "WebSocket message must be a JSON object"
    kind = message.get("type")
    if not isinstance(kind, str):
        return "WebSocket message must have a string type"
    if kind in ("subscribe", "complete"):
        if not isinstance(message.get("id"), str) or not message["id"]:
            return f"A {kind} message must have a non-empty string id"
    if kind == "subscribe":
        payload = message.get("payload")
        if not isinstance(payload, dict):
            return "A subscribe message's payload must be an object"
        if not isinstance(payload.get("query"), str):
            return "A subscribe message's payload must have a string query"
        for key, kind, wording in (("variables", dict, "an object"), ("operationName", str, "a string"),
                                   ("extensions", dict, "an object")):
            if payload.get(key) is not None and not isinstance(payload[key], kind):
                return f"A subscribe message's {key} must be {wording}"
    return None


class _Refused(Exception):
    """The connection may not go on: close it with `code` and `reason`."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class TransportHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws with the service's coded errors, message checks and rate."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = self.view.settings
        self.bucket = TokenBucket(settings.websocket_messages_per_second, settings.websocket_message_burst)

    async def handle(self) -> None:
        # Strawberry's loop, with every message checked for its shape and counted against the
        # socket's rate before it is acted on.
        self.on_request_accepted()
        try:
            try:
                async for message in self.websocket.iter_json():
                    if not self.bucket.take():
                        await self._too_fast()
                        return
                    problem = malformed(message)
                    if problem is not None:
                        await self.handle_invalid_message(problem)
                        return
                    await self.handle_message(message)
            except NonTextMessageReceived:
                await self.handle_invalid_message("WebSocket message type must be text")
            except NonJsonMessageReceived:
                await self.handle_invalid_message("WebSocket message must be valid JSON")
        except WebSocketDisconnected:
            pass
        finally:
            await self.shutdown()

    async def _too_fast(self) -> None:
        settings = self.view.settings
        rate = f"{settings.websocket_messages_per_second:g}"
        log.warning(
            "websocket %s closed: more than %s messages a second (4429)", getattr(self.context, "request_id", "?"), rate
        )
        await self.websocket.close(code=4429, reason=f"Too many messages: at most {rate} a second")

    async def handle_connection_init(self, message: Any) -> None:
        try:
            await super().handle_connection_init(message)
        except _Refused as refused:
            await self.websocket.close(code=refused.code, reason=refused.reason)
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


#: Where a socket's slot waits in the ASGI scope for its context (made later, by Strawberry).
_SLOT = "customer_context.websocket_slot"


def client_address(scope: Scope) -> str:
    """The peer's address (uvicorn puts a trusted proxy's X-Forwarded-For there)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class SubscriptionsView(GraphQL):
    """Strawberry's ASGI view for WebSocket requests to /graphql (HTTP goes to GraphQLApp)."""

    graphql_transport_ws_handler_class = TransportHandler

    def __init__(self, schema: Any, settings: Settings) -> None:
        super().__init__(
            _SubscriptionsOnly(schema),
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=settings.connection_init_timeout_seconds),
            max_subscriptions_per_connection=None,  # TransportHandler counts, with a coded error
            # Pages of other origins only when the operator lists them (as CORS on HTTP).
            allowed_origins=frozenset(settings.origins),
        )
        self.settings = settings
        self.budget = SocketBudget(settings)

    def decode_json(self, data: str | bytes) -> object:
        # orjson refuses what json.loads raised other errors for (RecursionError at a depth
        # of some thousands, ValueError past 4,300 digits): a JSONDecodeError, so 4400.
        return orjson.loads(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":  # pragma: no cover - the route takes WebSockets only
            return
        runtime = scope["app"].state.runtime
        slot = self.budget.open(client_address(scope)) if runtime is not None else "The service is starting or stopping"
        if isinstance(slot, str):
            websocket = WebSocket(scope, receive, send)
            wanted = websocket.scope.get("subprotocols") or []
            await websocket.accept(subprotocol=GRAPHQL_TRANSPORT_WS_PROTOCOL if GRAPHQL_TRANSPORT_WS_PROTOCOL in wanted else None)
            log.warning(
                "websocket refused: %s (%d waiting for connection_init, %d open)", slot, self.budget.pending, self.budget.admitted
            )
            await websocket.close(code=TRY_AGAIN_LATER, reason=slot)
            return
        scope[_SLOT] = slot
        try:
            await super().__call__(scope, receive, send)
        finally:
            slot.release()

    async def get_context(self, request: Any, response: Any) -> Context:
        ctx = connection_context(request.app.state.runtime, request)
        ctx.slot = request.scope[_SLOT]
        return ctx

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
        slot: Slot = context.slot
        refusal = slot.admit(actor.id)
        if refusal is not None:
            log.warning(
                "websocket %s of %s refused: %s (%d open)", context.request_id, actor.id, refusal, self.budget.admitted
            )
            raise _Refused(TRY_AGAIN_LATER, refusal)
        context.actor = actor
        return UNSET
