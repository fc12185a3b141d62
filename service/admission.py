"""Admission control: at most `max_in_flight_requests` GraphQL HTTP requests run at once in
one process; one more waits up to `admission_wait_seconds` for a slot and is then refused
with 503 OVERLOADED and `Retry-After`, instead of queueing behind the others for seconds.

One event loop serves every client. Past a handful of requests in flight, more of them only
make each one slower (they take turns on one core) and make every turn of the loop longer,
so health probes and new connections wait seconds (docs/performance.md, "Under saturation":
8 kept probes fastest with as many searches answered). A request
refused at once costs the client one retry; a request queued for seconds costs it a timeout,
and a load balancer that sees the probes stall takes the whole instance out.

What counts: POST to /graphql, and GET to /graphql with any parameter of an operation, however it is
encoded (`authentication.names_an_operation`, the test authentication itself uses).
Never: /healthz, /readyz, the GraphiQL page (a GET without an operation), static files,
WebSockets (bounded by their own settings).

When a slot is taken: a GET at once; a POST once its body has arrived whole (the layers
below read it), so a client that trickles its body slowly holds a connection but no slot.
When the process is already full and requests may not wait, a POST is refused before a byte
of its body is read. The slot is given back however the request ends: answered, failed,
timed out, or left by its client.

Shedding happens before authentication: a 503 tells nothing about the service's data, so
there is nothing to protect by checking the token first, while checking it may cost a store
read (customer accounts) exactly when the store is busiest. A client without a valid token
that is admitted holds its slot only until its 401, which is answered before any work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .authentication import names_an_operation, request_id_from
from .i18n import DEFAULT, format_number, negotiate

log = logging.getLogger("customer_context")

#: Seconds between two log lines about refused requests: one line per refusal would flood
#: the log exactly when the process is busiest.
LOG_EVERY_SECONDS = 10.0

#: Seconds a refused client is told to wait (`Retry-After`): a slot frees as soon as one
#: running request ends, which under load is a matter of milliseconds; one second is the
#: shortest wait the header can ask for short of none.
RETRY_AFTER_SECONDS = 1

CODE = "OVERLOADED"

_MESSAGES = {
    "en": "The service is busy: it is already running {limit} requests, the most it runs at once. Try again in {retry} s.",
    "cs": "Služba je přetížená: už zpracovává {limit} požadavků, nejvíc, kolik zvládne najednou. Zkuste to znovu za {retry} s.",
    "sk": "Služba je preťažená: už spracúva {limit} požiadaviek, najviac, koľko zvládne naraz. Skúste to znova o {retry} s.",
    "de": "Der Dienst ist ausgelastet: Er bearbeitet bereits {limit} Anfragen, mehr nimmt er gleichzeitig nicht an. Versuchen Sie es in {retry} s erneut.",
    "nb": "Tjenesten er opptatt: den behandler allerede {limit} forespørsler, det høyeste antallet den behandler samtidig. Prøv igjen om {retry} s.",
    "sr-Latn": "Servis je preopterećen: već obrađuje {limit} zahteva, najviše koliko obrađuje istovremeno. Pokušajte ponovo za {retry} s.",
}


def overloaded_message(locale: str, limit: int) -> str:
    """The 503's message in `locale` (English where there is none)."""
    template = _MESSAGES.get(locale) or _MESSAGES[DEFAULT]
    return template.format(limit=format_number(locale, limit), retry=RETRY_AFTER_SECONDS)


class _Shed(Exception):
    """No slot came free for a request whose body has just arrived."""


class AdmissionControl:
    """Pure ASGI middleware in front of everything that reads a GraphQL request's body
    (app.py's create_app puts it outermost but for CORS).

    `media_type_of(accept)` picks the answer's media type as every other error of the
    service does (app.py's `response_media_type`)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        wait_seconds: float,
        media_type_of: Callable[[str | None], str],
        path: str = "/graphql",
    ) -> None:
        self.app, self.limit, self.wait_seconds, self.media_type_of, self.path = app, limit, wait_seconds, media_type_of, path
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unlogged = 0  # refusals since the last log line
        self._logged_at = -LOG_EVERY_SECONDS  # loop time of the last log line

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.limit <= 0 or scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "GET":
            if not names_an_operation(scope.get("query_string", b"")):
                await self.app(scope, receive, send)  # the GraphiQL page, or a 400 that costs nothing
                return
            slots = self._semaphore()
            if not await self._acquire(slots):
                await self._refuse(scope, send)
                return
            try:
                await self.app(scope, receive, send)
            finally:
                slots.release()
            return
        if method != "POST":
            await self.app(scope, receive, send)
            return
        slots = self._semaphore()
        if slots.locked() and self.wait_seconds <= 0:
            await self._refuse(scope, send)  # before a byte of the body is read
            return
        admitted = False
        started = False

        async def admitting_receive() -> Message:
            nonlocal admitted
            message = await receive()
            # Once an answer has begun (a 401 draining the body it refused), nothing more runs.
            if not (admitted or started) and message["type"] == "http.request" and not message.get("more_body", False):
                if not await self._acquire(slots):
                    raise _Shed
                admitted = True
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, admitting_receive, watched_send)
        except _Shed:
            if started:  # nothing below answers before it has read its body
                raise
            await self._refuse(scope, send)
        finally:
            if admitted:
                slots.release()

    def _semaphore(self) -> asyncio.Semaphore:
        # An asyncio.Semaphore belongs to the loop its first waiter ran on; tests run one
        # app on several loops in turn, so a new loop gets a fresh one.
        loop = asyncio.get_running_loop()
        if self._slots is None or self._loop is not loop:
            self._slots, self._loop = asyncio.Semaphore(self.limit), loop
        return self._slots

    async def _acquire(self, slots: asyncio.Semaphore) -> bool:
        if not slots.locked():
            await slots.acquire()  # does not yield while a slot is free
            return True
        if self.wait_seconds <= 0:
            return False
        try:
            async with asyncio.timeout(self.wait_seconds):
                await slots.acquire()
        except TimeoutError:
            return False
        return True

    async def _refuse(self, scope: Scope, send: Send) -> None:
        self._unlogged += 1
        now = asyncio.get_running_loop().time()
        if now - self._logged_at >= LOG_EVERY_SECONDS:
            log.warning(
                "overloaded: refused %d request(s) with 503 since the last such line (%d in flight at most, "
                "--max-in-flight-requests)",
                self._unlogged,
                self.limit,
            )
            self._unlogged, self._logged_at = 0, now
        headers = _headers(scope)
        request_id = request_id_from(headers.get("x-request-id"))
        body = orjson.dumps(
            {
                "errors": [
                    {
                        "message": overloaded_message(negotiate(headers.get("accept-language")), self.limit),
                        "extensions": {
                            "code": CODE,
                            "requestId": request_id,
                            "limit": self.limit,
                            "retryAfter": RETRY_AFTER_SECONDS,
                        },
                    }
                ]
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", self.media_type_of(headers.get("accept")).encode("latin-1")),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
                    (b"x-request-id", request_id.encode("latin-1")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name (the last of a repeated one)."""
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}

