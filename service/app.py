"""The ASGI application: GraphQL (with GraphiQL) at /graphql, health at /healthz and /readyz.

GraphQL over HTTP follows the GraphQL-over-HTTP specification (tests/test_graphql_over_http.py
runs graphql-http's audit against the real server): a client that accepts
`application/graphql-response+json` gets that media type, and a request error (the
document does not parse or validate, its variables do not coerce, a limit refused it) then
comes with a 4xx status and no `data`; `application/json` (the default, and what `*/*`
gets) answers every GraphQL response with 200. Requests that are not GraphQL requests at all
(malformed JSON, a too large body or batch) get a 4xx status with a JSON body of the same
shape (`{"errors": [{"message", "extensions": {"code", "requestId", ...}}]}`) either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable, Iterable
from email.message import Message as EmailMessage
from pathlib import Path
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.http import GraphQLRequestData, process_result
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from . import live, metrics, plugins, request_json
from .admission import AdmissionControl
from .authentication import AuthenticationMiddleware, StaffDirectory, is_graphiql_page, unauthenticated
from .events import EventBus
from .fastpath import FastPath
from .front_door import BAD_REQUEST, UNSUPPORTED_MEDIA_TYPE, Refusal, encode
from .graphiql_page import customer_context_page
from .i18n import negotiate
from .metrics_endpoint import MetricsPort, metrics_endpoint
from .observation import ObserveRequests, note_result
from .request_log import RequestLog
from .runtime import Runtime
from .schema import schema
from .schema.context import build_context, request_id_of
from .schema.limits import OperationWatch, error_entry, limit_error, limits_of_settings, reset_watch, watch_operation
from .settings import ConfigurationError, Settings
from .storage import StoreUnavailable, request_deadline
from .websocket import SubscriptionsView

log = logging.getLogger("customer_context")

#: /readyz gives up on a store that has not answered within this many seconds.
READY_TIMEOUT = 2.0


STATIC_DIR = Path(__file__).parent / "static"
#: The reference Customer Context gadget (docs/gadget.md): static files, no build step.
GADGET_DIR = Path(__file__).parent / "gadget"

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"

#: Status of a request error (no `data`) answered as application/graphql-response+json, by
#: the first error's code; any other code is the client's mistake: 400.
REQUEST_ERROR_STATUS = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "INTERNAL_ERROR": 500,
    "TIMEOUT": 504,
}


def response_media_type(accept: str | None) -> str:
    """application/graphql-response+json when the client's Accept prefers it (or names it
    as much as application/json), else application/json: also for no Accept, for */*,
    and for an Accept that names neither (GraphQL-over-HTTP: legacy clients)."""
    if not accept:
        return JSON
    quality: dict[str, tuple[float, int]] = {}  # media type -> (q, specificity of the range)
    for part in accept.split(","):
        media_range, *params = (p.strip() for p in part.split(";"))
        media_range = media_range.lower()
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        for candidate in (GRAPHQL_RESPONSE_JSON, JSON):
            if media_range == candidate:
                specificity = 3
            elif media_range == "application/*":
                specificity = 2
            elif media_range == "*/*":
                specificity = 1
            else:
                continue
            if specificity > quality.get(candidate, (0.0, 0))[1]:
                quality[candidate] = (q, specificity)
    graphql_q, graphql_specificity = quality.get(GRAPHQL_RESPONSE_JSON, (0.0, 0))
    json_q, _ = quality.get(JSON, (0.0, 0))
    if graphql_q > 0 and (graphql_q > json_q or (graphql_q == json_q and graphql_specificity == 3)):
        return GRAPHQL_RESPONSE_JSON
    return JSON


def error_response(
    status: int, entry: dict[str, Any], *, media_type: str, request_id: str | None, headers: dict[str, str] | None = None
) -> Response:
    # Not JSONResponse: an error may quote the client's lone surrogate, which UTF-8 cannot carry.
    response = Response(encode({"errors": [entry]}), status_code=status, media_type=media_type, headers=headers)
    if request_id:
        response.headers["X-Request-Id"] = request_id
    return response


class _BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuses request bodies over `max_bytes` with 413 and a JSON error: at once when
    Content-Length says so, else as soon as the bytes received pass the limit (chunked
    bodies, or a Content-Length that understates). Pure ASGI: nothing is buffered here."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except _BodyTooLarge:
            if started:  # no route answers before reading its body; nothing better to do
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        request_id = request_id_of(request)
        entry = error_entry(
            negotiate(request.headers.get("accept-language")),
            "REQUEST_TOO_LARGE",
            "request_too_large",
            request_id=request_id,
            limit=self.max_bytes,
        )
        # The rest of the body is not read: the connection closes after the answer.
        response = error_response(
            413,
            entry,
            media_type=response_media_type(request.headers.get("accept")),
            request_id=request_id,
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


class KnownOperationLane:
    """The common request the short way: a POST to /graphql of one operation as plain
    `application/json`, with a declared length within the body limit, whose document is
    already parsed, validated and compiled (service/fastpath). It sits below
    `AuthenticationMiddleware`, so its body is read only once its credentials were taken;
    it is executed within the request's time and answered here, as `GraphQLApp` would,
    without its per-request machinery: Starlette's exception handling and routing,
    Strawberry's HTTP view, its request and response objects.

    Anything else (another method, path or content type, a header given twice, a body
    that is not one JSON object with a string `query`, JSON that service/request_json.py
    refuses, `extensions`, a document seen for the first time or without a plan, variables
    that do not coerce) is handed on untouched, with the body it read, before anything ran;
    the layers below answer it, errors included."""

    def __init__(self, app: ASGIApp, graphql: GraphQLApp, max_bytes: int, path: str = "/graphql") -> None:
        self.app, self.graphql, self.max_bytes, self.path = app, graphql, max_bytes, path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = scope["app"].state.runtime if scope["type"] == "http" else None
        if (
            runtime is None
            or scope["method"] != "POST"
            or scope["path"] != self.path
            or self.graphql.fastpath is None
            or "actor" not in scope.get("state", ())
        ):
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            if name in headers:  # the layers below read the first or the last: theirs to decide
                await self.app(scope, receive, send)
                return
            headers[name] = raw_value.decode("latin-1")
        length = headers.get("content-length", "")
        if (headers.get("content-type") or "").lower() not in _PLAIN_JSON or not length.isdigit() or int(length) > self.max_bytes:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        response = await self._answer(scope, runtime, headers, body)
        if response is None:
            await self.app(scope, _replay(body, receive), send)
            return
        await send(response[0])
        await send(response[1])

    async def _answer(self, scope: Scope, runtime: Runtime, headers: dict[str, str], body: bytes) -> tuple[Message, Message] | None:
        try:
            request_data = plain_request(request_json.loads(body, "body"))
        except Refusal:
            return None
        if request_data is None or request_data.query is None or request_data.extensions is not None:
            return None
        query, name = request_data.query, request_data.operation_name
        if not (name is None or type(name) is str):
            return None
        operation_type = self.graphql.fastpath.known_operation(query, name, limits_of_settings(runtime.settings))
        if operation_type is None:
            return None
        request = Request(scope)
        context = build_context(runtime, request, None)
        request.state.context = context
        result = await self.graphql.execute_known(request_data, context, operation_type)
        if result is None:
            return None
        note_result(result)
        media_type = response_media_type(headers.get("accept"))
        status, answer = http_answer(result, media_type)
        content = self.graphql.encode_json(answer)
        if isinstance(content, str):
            content = content.encode()
        start = {
            "type": "http.response.start",
            "status": status or 200,
            "headers": [
                (b"content-length", str(len(content)).encode()),
                (b"content-type", media_type.encode()),
                (b"x-request-id", context.request_id.encode()),
            ],
        }
        return start, {"type": "http.response.body", "body": content}


def plain_request(data: Any) -> GraphQLRequestData | None:
    """One operation as a JSON body holds it, when its `query`, `operationName`, `variables`
    and `extensions` have the types Strawberry's own parsing accepts (a string or null,
    objects or null); None for anything else (a batch, a wrong type), which Strawberry's
    parsing (or `GraphQLApp.parse_http_body`) words."""
    if type(data) is not dict:
        return None
    query, name = data.get("query"), data.get("operationName")
    variables, extensions = data.get("variables"), data.get("extensions")
    if (
        isinstance(query, (str, type(None)))
        and isinstance(name, (str, type(None)))
        and isinstance(variables, (dict, type(None)))
        and isinstance(extensions, (dict, type(None)))
    ):
        return GraphQLRequestData(query=query, variables=variables, operation_name=name, extensions=extensions, protocol="http")
    return None


def _require_json(content_type: str | None) -> None:
    """415 unless the media type is exactly `application/json` (parameters such as
    `charset` aside), as the standard library's email parser reads a Content-Type."""
    if not content_type:
        raise Refusal(415, UNSUPPORTED_MEDIA_TYPE, "missing_media_type", field="Content-Type")
    header = EmailMessage()
    header["content-type"] = content_type
    if header.get_content_type() != JSON:
        shown = content_type if len(content_type) <= 100 else content_type[:100] + "…"
        raise Refusal(415, UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", field="Content-Type", content_type=shown)


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` for the layers below, its body already read: once, then the client's."""
    replayed = False

    async def again() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again


class RequestRejected(Exception):
    """A request refused before GraphQL sees it, with its status, code and message."""

    def __init__(self, status: int, code: str, key: str, /, *, limit: Any = None, **params: Any) -> None:
        super().__init__(code)
        self.status, self.code, self.key, self.limit, self.params = status, code, key, limit, params


#: Content types of the common request (`GraphQLApp.parse_http_body`).
_PLAIN_JSON = frozenset({"application/json", "application/json; charset=utf-8", "application/json;charset=utf-8"})

#: Operation types a POST may run.
_POST = frozenset(OperationType.from_http("POST"))

_BATCH_ITEM_FIELDS = {"query": str, "operationName": str, "variables": dict, "extensions": dict}


class GraphQLApp(GraphQL):
    """Strawberry's ASGI view with the service's context, limits, timeout and the
    GraphQL-over-HTTP status codes and media types."""

    def __init__(self, schema, settings: Settings) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.serves_graphiql else None)
        self.settings = settings
        #: GraphiQL opening on a Customer Context example with the headers to send. Its files
        #: are served from the package (see static/update-graphiql.sh), so it works on networks
        #: without internet access; their integrity hashes still hold.
        self.graphiql_page = (
            customer_context_page(self.graphql_ide_html, needs_token=bool(settings.tokens_file)).replace(
                "https://unpkg.com/", "/static/unpkg/"
            )
            if settings.serves_graphiql
            else ""
        )
        #: Cached documents and compiled plans (service/fastpath); None: Strawberry's path only.
        self.fastpath = FastPath(schema) if settings.fastpath else None
        #: Mutations that outlived their request's timeout, finishing on their own.
        self._finishing: set[asyncio.Task] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if "actor" not in scope.get("state", ()) and not is_graphiql_page(scope, self.settings.serves_graphiql):
            # AuthenticationMiddleware lets only GraphiQL's page by without an actor; should
            # anything else get here, it runs as nobody's request rather than as anyone's.
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            for message in unauthenticated(headers):
                await send(message)
            return
        request = Request(scope, receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            response = self._http_error(request, exc)
        except RequestRejected as exc:
            response = self._rejection(request, exc)
        except Refusal as exc:
            locale, request_id, media_type = self._request_facts(request)
            response = error_response(exc.status, exc.entry(locale, request_id), media_type=media_type, request_id=request_id)
        except ClientDisconnect:
            # The client left (or service/http_limits.py closed a body that did not arrive in
            # time): nobody to answer.
            log.info("request %s: the client left before its body arrived", request_id_of(request))
            return
        await response(scope, receive, send)

    # -- context and response shape ---------------------------------------------------

    async def get_context(self, request, response) -> Any:
        context = build_context(request.app.state.runtime, request, response)
        request.state.context = context
        return context

    async def get_sub_response(self, request: Request) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = response_media_type(request.headers.get("accept"))
        request.state.sub_response = sub_response
        return sub_response

    def create_response(self, response_data, sub_response: Response) -> Response:
        response = Response(self.encode_json(response_data), status_code=200, media_type=sub_response.media_type or JSON)
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response

    async def process_result(self, request: Request, result: ExecutionResult) -> dict[str, Any]:
        note_result(result)
        sub_response = getattr(request.state, "sub_response", None)
        status, data = http_answer(result, sub_response.media_type if sub_response is not None else JSON)
        if status is not None:
            sub_response.status_code = status
        return data

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(self.graphiql_page)

    # -- batches ------------------------------------------------------------------------

    def _validate_batch_request(self, request_data: list[Any], protocol) -> None:
        if transport := self._get_stream_transport(protocol):
            raise HTTPException(400, transport.batching_error)
        if not request_data:
            raise HTTPException(400, "an empty batch (JSON array) holds no operation")
        if len(request_data) > self.settings.max_batch_size:
            raise RequestRejected(
                400, "BATCH_TOO_LARGE", "batch_too_large", limit=self.settings.max_batch_size, count=len(request_data)
            )
        for number, item in enumerate(request_data):
            if not isinstance(item, dict):
                raise HTTPException(400, f"operation {number} of the batch is not a JSON object")
            for name, kind in _BATCH_ITEM_FIELDS.items():
                if item.get(name) is not None and not isinstance(item[name], kind):
                    what = "a string" if kind is str else "an object"
                    raise HTTPException(400, f"`{name}` of operation {number} of the batch must be {what} or null")

    # -- timeout ------------------------------------------------------------------------

    async def execute_operation(self, request, request_adapter, request_data, context, root_value, sub_response):
        if isinstance(request_data, list):
            # Batching is outside GraphQL-over-HTTP: a list of results, each with its own
            # errors, answered like application/json always is.
            sub_response.media_type = JSON
        request.state.deadline = asyncio.get_running_loop().time() + self.settings.request_timeout_seconds
        return await super().execute_operation(request, request_adapter, request_data, context, root_value, sub_response)

    async def execute_single(self, request, request_adapter, sub_response, context, root_value, request_data):
        in_place = self.fastpath is not None and self.fastpath.is_known_query(request_data, context)
        return await self.within_deadline(
            lambda watch: self._execute_single(request, request_adapter, sub_response, context, root_value, request_data, watch),
            context,
            request.state.deadline,
            in_place=in_place,
        )

    async def execute_known(self, request_data: GraphQLRequestData, context: Any, operation_type: OperationType) -> ExecutionResult | None:
        """One POSTed operation whose document has a compiled plan (`KnownOperationLane`),
        within the request's time; None when the fast path leaves it (its variables do not
        coerce), before anything ran."""
        deadline = asyncio.get_running_loop().time() + self.settings.request_timeout_seconds
        d = request_data
        return await self.within_deadline(
            lambda watch: self.fastpath.execute(d.query, d.variables, d.operation_name, d.extensions, context, None, _POST, watch),
            context,
            deadline,
            in_place=operation_type is OperationType.QUERY,
        )

    async def within_deadline(
        self, operation: Callable[[OperationWatch], Awaitable[Any]], context: Any, deadline: float, *, in_place: bool
    ) -> Any:
        """`operation(watch)` within what is left of the request's time. On time out, a query
        is cancelled; a mutation is left to finish (cancelling it between two writes could
        leave half of it done) while the client hears TIMEOUT at once.

        A query of a document the fast path knows (`in_place`) has nothing to leave
        finishing: it runs in the request's own task under a timeout, without a task and a
        wait of its own."""
        watch = OperationWatch()
        token = watch_operation(watch)  # a task copies the context, and with it `watch`
        if in_place:
            # A known query: its store calls may give up when the request does (a backend
            # reads storage.request_deadline). Not for mutations, which are left to finish.
            deadline_token = request_deadline.set(deadline)
            try:
                timeout = asyncio.timeout(max(0.0, deadline - asyncio.get_running_loop().time()))
                try:
                    async with timeout:
                        return await operation(watch)
                except TimeoutError:
                    if not timeout.expired():
                        raise
                    return self._timed_out(None, watch, context)
            finally:
                request_deadline.reset(deadline_token)
                reset_watch(token)
        try:
            task = asyncio.ensure_future(operation(watch))
        finally:
            reset_watch(token)
        try:
            done, _ = await asyncio.wait({task}, timeout=max(0.0, deadline - asyncio.get_running_loop().time()))
        except asyncio.CancelledError:  # the request itself was cancelled (shutdown)
            self._let_go(task, watch, getattr(context, "request_id", "?"))
            raise
        if done:
            return task.result()
        return self._timed_out(task, watch, context)

    async def _execute_single(self, request, request_adapter, sub_response, context, root_value, request_data, watch):
        if self.fastpath is not None:
            allowed = OperationType.from_http(request_adapter.method)
            if not self.allow_queries_via_get and request_adapter.method == "GET":
                allowed = allowed - {OperationType.QUERY}
            d = request_data
            result = await self.fastpath.execute(
                d.query, d.variables, d.operation_name, d.extensions, context, root_value, allowed, watch
            )
            if result is not None:
                return result
        return await super().execute_single(request, request_adapter, sub_response, context, root_value, request_data)

    async def parse_http_body(self, request: Any) -> Any:
        """The common request, a POST of one operation as plain `application/json`, read
        without Strawberry's general parsing (content-type parsing, stream transports: this
        view has none); its checks on `query`, `variables` and `extensions` are the same.
        Anything else, or anything odd, is left to Strawberry's own, once its content type is
        known to be JSON: Strawberry's own check would take any type that contains
        `application/json` (`application/jsonx`, `application/json-patch+json`)."""
        if request.method == "POST":
            if not self._stream_transport_map and (request.content_type or "").lower() in _PLAIN_JSON:
                request_data = plain_request(self.parse_json(await request.get_body()))
                if request_data is not None:
                    return request_data
            _require_json(request.content_type)
        request_data = await super().parse_http_body(request)
        if not isinstance(request_data, list) and not isinstance(request_data.operation_name, (str, type(None))):
            raise Refusal(400, BAD_REQUEST, "operation_name_type", field="operationName")
        return request_data

    def parse_json(self, data: str | bytes) -> Any:
        body = request_json.loads(data, "body")
        if not isinstance(body, (dict, list)):
            raise Refusal(400, BAD_REQUEST, "json_not_operation", field="body")
        return body

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        parsed = dict(params)
        for name in ("variables", "extensions"):
            if parsed.get(name):
                parsed[name] = request_json.loads(parsed[name], name)
        return parsed

    def encode_json(self, data: Any) -> bytes | str:
        try:
            return orjson.dumps(data)
        except (TypeError, orjson.JSONEncodeError):  # lone surrogates, huge ints: the standard library copes
            return super().encode_json(data)

    def _timed_out(self, task: asyncio.Task | None, watch: OperationWatch, context: Any) -> ExecutionResult:
        limit = self.settings.request_timeout_seconds
        request_id = getattr(context, "request_id", None)
        log.warning(
            "request %s timed out after %s s%s",
            request_id,
            limit,
            " (its mutation is left to finish)" if watch.is_mutation else "",
        )
        if task is not None:
            self._let_go(task, watch, request_id)
        error = limit_error(
            getattr(context, "locale", "en"), "TIMEOUT", "timeout_mutation" if watch.is_mutation else "timeout", limit=limit
        )
        if request_id:
            error.extensions["requestId"] = request_id
        return ExecutionResult(data=None, errors=[error])

    def _let_go(self, task: asyncio.Task, watch: OperationWatch, request_id: Any) -> None:
        if not watch.is_mutation:
            task.cancel()

        def finished(task: asyncio.Task) -> None:
            self._finishing.discard(task)
            if task.cancelled():
                return
            if (exc := task.exception()) is not None:
                log.error("request %s failed after its timeout", request_id, exc_info=exc)
            elif watch.is_mutation:
                log.info("the mutation of timed-out request %s has finished", request_id)

        self._finishing.add(task)
        task.add_done_callback(finished)

    # -- errors outside GraphQL ---------------------------------------------------------

    def _request_facts(self, request: Request) -> tuple[str, str, str]:
        """(locale, request id, media type) of a request answered with an error."""
        context = getattr(request.state, "context", None)
        locale = getattr(context, "locale", None) or negotiate(request.headers.get("accept-language"))
        request_id = getattr(context, "request_id", None) or request_id_of(request)
        return locale, request_id, response_media_type(request.headers.get("accept"))

    def _http_error(self, request: Request, exc: HTTPException) -> Response:
        locale, request_id, media_type = self._request_facts(request)
        headers = None
        if exc.status_code == 404:
            status, entry = 404, error_entry(locale, "GRAPHIQL_DISABLED", "graphiql_disabled", request_id=request_id)
        elif isinstance(exc.__cause__, InvalidOperationTypeError) and request.method == "GET":
            # GraphQL-over-HTTP: a mutation over GET is 405.
            status, headers = 405, {"Allow": "POST"}
            entry = error_entry(locale, "METHOD_NOT_ALLOWED", "bad_request", request_id=request_id, reason=exc.reason)
        else:
            status = exc.status_code if 400 <= exc.status_code < 500 else 400
            entry = error_entry(locale, "BAD_REQUEST", "bad_request", request_id=request_id, reason=exc.reason)
        return error_response(status, entry, media_type=media_type, request_id=request_id, headers=headers)

    def _rejection(self, request: Request, exc: RequestRejected) -> Response:
        locale, request_id, media_type = self._request_facts(request)
        entry = error_entry(locale, exc.code, exc.key, request_id=request_id, limit=exc.limit, **exc.params)
        return error_response(exc.status, entry, media_type=media_type, request_id=request_id)


def _is_request_error(result: ExecutionResult) -> bool:
    """No data and no error at a field: the request failed as a whole (parse, validation,
    variables, a limit, a timeout) rather than some of its fields."""
    return result.data is None and bool(result.errors) and all(e.path is None for e in result.errors)


def http_answer(result: ExecutionResult, media_type: str) -> tuple[int | None, dict[str, Any]]:
    """(status, JSON body) of one operation's result; status None: the view's default, 200.
    GraphQL-over-HTTP: answered as application/graphql-response+json, a request error has
    no `data` and a 4xx (or 5xx) status."""
    data = process_result(result)
    if media_type == GRAPHQL_RESPONSE_JSON and _is_request_error(result):
        data.pop("data", None)
        code = ((result.errors[0].extensions or {}).get("code")) if result.errors else None
        return REQUEST_ERROR_STATUS.get(code, 400), data
    return None, data


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


def _count_request(observation: Any) -> None:
    metrics.count_request(
        metrics.operation_label(observation.operation),
        observation.operation_type or "(none)",
        observation.outcome(),
        observation.seconds,
        observation.codes,
    )


async def index(request: Request) -> RedirectResponse:
    return RedirectResponse("/graphql")


def create_app(settings: Settings | None = None, *, extra_plugins: Iterable[Any] = (), freeze_after_startup: bool = False) -> Starlette:
    """Build the app. Plugin and setting errors (unknown backend or strategy names) raise
    ConfigurationError here, before anything listens.

    `freeze_after_startup` (the CLI's server, which owns its process) moves everything alive
    once start-up is done out of the cyclic garbage collector's sight (`gc.freeze`)."""
    settings = settings or Settings()
    pm = plugins.plugin_manager(extra_plugins)
    backend = plugins.choose_storage(pm, settings)
    strategy = plugins.choose_matching(pm, settings)
    # Staff tokens are read once, before anything listens: a bad file stops startup.
    staff = StaffDirectory.load(settings.tokens_file) if settings.tokens_file else None
    # Live events (subscriptions): published from domain events, through the plugins' pub/sub.
    publisher = live.LivePublisher(settings.publish_queue_size)
    pm.register(publisher, name="live-events")
    if settings.metrics:
        pm.register(metrics.MatchingDecisions(), name="metrics-matching-decisions")
    metrics_port = MetricsPort(settings.host, settings.metrics_port) if settings.metrics and settings.metrics_port else None
    # Only with --otel is OpenTelemetry imported at all (service/tracing.py).
    traces = None
    if settings.otel:
        from . import tracing

        traces = tracing.load()
        if traces is not None:
            traces.trace_resolvers(schema)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        store = plugins.build_store(backend, settings)
        if settings.metrics:
            metrics.time_store_calls(store)
        if traces is not None:
            traces.trace_store_calls(store)
        matcher = plugins.build_matcher(strategy, settings)
        try:
            await store.open()
        except (ConfigurationError, StoreUnavailable) as exc:
            # The CLI reports it in one line (exit 2) instead of a server traceback.
            app.state.startup_error = exc
            raise
        events = EventBus(pm)
        runtime = Runtime(settings=settings, store=store, matcher=matcher, events=events, plugin_manager=pm, staff=staff)
        events.runtime = runtime
        try:
            runtime.pubsub = live.build_pubsub(pm, settings, store)
            await publisher.start(runtime.pubsub)
            await plugins.call_startup(pm, runtime)
            if freeze_after_startup:
                # What start-up loaded (the schema, a memory store's records and indexes) lives
                # as long as the process: out of the cyclic collector's sight, so a full
                # collection no longer walks every record while requests wait.
                gc.collect()
                gc.freeze()
            if metrics_port is not None:
                try:
                    metrics_port.start(store)
                except ConfigurationError as exc:
                    app.state.startup_error = exc  # the CLI says it in one line
                    raise
            app.state.runtime = runtime
            log.info("customer context ready: backend=%s matching=%s", backend.name, strategy.name)
            yield
        finally:
            app.state.runtime = None
            if metrics_port is not None:
                metrics_port.stop()
            metrics.process_exited()
            await plugins.call_each_safely(pm.hook.shutdown, "shutdown", runtime=runtime)
            await publisher.stop()
            await store.close()

    graphql = GraphQLApp(schema, settings)
    routes = [
        Route("/", index),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *([Route("/metrics", metrics_endpoint)] if settings.metrics and not settings.metrics_port else []),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", SubscriptionsView(schema, settings)),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        Mount("/gadget", StaticFiles(directory=GADGET_DIR, html=True), name="gadget"),
    ]
    middleware = [
        # First, so that a request refused for want of a slot costs no body read and no
        # lane; before authentication for the reasons service/admission.py gives.
        Middleware(
            AdmissionControl,
            limit=settings.max_in_flight_requests,
            wait_seconds=settings.admission_wait_seconds,
            media_type_of=response_media_type,
        ),
        # A declared length over the limit is refused from the headers alone (413), then
        # authentication comes before anything that reads a body or parses a document (the
        # lane included): a client without a valid token gets its 401 from the headers alone.
        Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
        Middleware(AuthenticationMiddleware, serves_graphiql=settings.serves_graphiql),
        Middleware(KnownOperationLane, graphql=graphql, max_bytes=settings.max_body_bytes),
    ]
    if settings.origins:
        # Pages of a partner's origin call the API from the browser: CORS answers their
        # preflight (before authentication: it carries no token) and marks every answer,
        # 401s and 413s included, as readable there. Tokens travel in a header, never in
        # cookies, so no credentials mode.
        middleware.insert(0, Middleware(
            CORSMiddleware,
            allow_origins=list(settings.origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Accept", "Accept-Language", "X-Request-Id"],
            expose_headers=["X-Request-Id"],
            max_age=600,
        ))
    # Outermost: every answer of /graphql is counted and logged, a shed 503 or a CORS
    # preflight's included.
    sinks = (*([_count_request] if settings.metrics else []), RequestLog(json_lines=settings.logs_json))
    middleware.insert(0, Middleware(ObserveRequests, sinks=sinks, tracer=traces))
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.metrics_port = metrics_port
    app.state.runtime = None
    app.state.startup_error = None
    app.state.settings = settings
    return app
