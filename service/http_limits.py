"""Connection limits: how long a client may take to send a request's headers and its body,
and how large its request line and headers may be. uvicorn has none of the three for its
httptools protocol (only a keep-alive timeout between requests), so a client that trickles
its headers or body, or sends a header of 64 MB, holds a connection (and, for the header,
the event loop: httptools joins the pieces of one header as they come) for as long as it
likes.

`protocol_class(settings)` is uvicorn's httptools protocol with those limits, given to
`uvicorn.run(http=...)` (service/cli.py). httptools rather than h11: it is the parser uvicorn
picks by default, several times faster than the pure-Python h11, and h11's own size limit
(`h11_max_incomplete_event_size`) would still leave both timeouts to be written; they are
the same few callbacks on either.

The limits are the ones the common servers have: nginx's `client_header_timeout`,
`client_body_timeout` and `large_client_header_buffers`, Node.js's `headersTimeout` and
`maxHeaderSize`, Go's `ReadHeaderTimeout` and `MaxHeaderBytes`, Apache's mod_reqtimeout:

- Headers: a connection that has not sent a whole request line and headers within
  `header_timeout_seconds` of opening (or of the previous answer on a kept-alive
  connection) is closed: with 408 REQUEST_TIMEOUT when part of a request arrived, silently
  when nothing did (an idle connection, like an expired keep-alive).
- Body: a body that has not arrived whole within `body_timeout_seconds` of its headers is
  answered 408 REQUEST_TIMEOUT (when nothing was answered yet) and the connection closed.
  The application sees the client leave (`http.disconnect`).
- Size: a request line and headers over `max_header_bytes` get 431 HEADERS_TOO_LARGE as soon
  as the bytes received pass the limit, before the parser has seen more than one read of
  them.

Every refusal is the service's JSON error (`{"errors": [{"message", "extensions": {"code",
"requestId", "limit"}}]}`, X-Request-Id, in the language of the Accept-Language received so
far), as is httptools' own "not HTTP at all" (400 BAD_REQUEST, which uvicorn answers in plain
text). After a refusal the connection lingers for `LINGER_SECONDS`, reading and dropping
what the client still sends (up to `LINGER_BYTES`), so that it can read the answer instead
of a reset (nginx's lingering close); then it is closed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from .authentication import request_id_from
from .front_door import BAD_REQUEST, HEADERS_TOO_LARGE, REQUEST_TIMEOUT, encode, error_entry
from .i18n import negotiate
from .settings import Settings

log = logging.getLogger("customer_context")

#: uvicorn's names this module leans on beyond HttpToolsProtocol's public callbacks (its
#: parser callbacks and asyncio.Protocol's): tests/test_connection_limits.py checks that
#: they are still there, so an upgrade of uvicorn that renames one fails a test, not a
#: client's connection.
UVICORN_INTERNALS = {
    "HttpToolsProtocol": ("_unset_keepalive_if_required", "_should_upgrade", "_unsupported_upgrade_warning",
                          "handle_websocket_upgrade", "on_response_complete"),
    "protocol state": ("parser", "transport", "flow", "cycle", "url", "headers", "server_state", "logger", "loop"),
    "RequestResponseCycle": ("disconnected", "message_event", "response_started", "response_complete"),
    "FlowControl": ("read_paused", "resume_reading"),
    "module": ("STATUS_LINE",),
}

#: How long a refused connection goes on reading (and dropping) what its client sends, and
#: how much of it at most: enough for any client that sent a little too much to read its
#: answer; a client that goes on sending (a 64 MB header) is cut off rather than read.
LINGER_SECONDS = 2.0
LINGER_BYTES = 1 << 20

#: A body's deadline is put off by this much at a time while the service itself holds the
#: body back (uvicorn stops reading once 64 KiB wait unread): the client is not slow then.
PAUSED_GRACE_SECONDS = 1.0

# What a connection is reading.
_HEAD, _BODY, _BETWEEN = "head", "body", "between"


def protocol_class(settings: Settings) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with the settings' connection limits."""
    return type(
        "LimitedHttpToolsProtocol",
        (LimitedHttpToolsProtocol,),
        {
            "header_timeout": settings.header_timeout_seconds,
            "body_timeout": settings.body_timeout_seconds,
            "max_header_bytes": settings.max_header_bytes,
        },
    )


class _HeadersTooLarge(Exception):
    pass


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with header and body timeouts and a header size limit (module
    docstring); `protocol_class` sets the three limits."""

    header_timeout: float = Settings.header_timeout_seconds
    body_timeout: float = Settings.body_timeout_seconds
    max_header_bytes: int = Settings.max_header_bytes

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading = _HEAD
        self._head_bytes = 0  # of the request whose head is being read
        self._timer: asyncio.TimerHandle | None = None
        self._refused = False
        self._dropped = 0

    # -- the connection ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout, self._header_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:  # lingering: dropped
            self._dropped += len(data)
            if self._dropped > LINGER_BYTES:
                self._close()
            return
        self._unset_keepalive_if_required()
        if self._reading != _BODY:
            self._head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self._disarm()
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, _HeadersTooLarge):
                self._refuse_headers_too_large()
            else:
                self.logger.info("invalid HTTP request received: %s", exc)
                self._refuse(400, BAD_REQUEST, "bad_http", reason=str(exc) or "the parser refused it")
            return
        if self._reading == _HEAD and self._head_bytes > self.max_header_bytes:
            self._refuse_headers_too_large()

    def send_400_response(self, msg: str) -> None:
        self._refuse(400, BAD_REQUEST, "bad_http", reason=msg)

    # -- parser callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading = _HEAD

    def on_headers_complete(self) -> None:
        self._disarm()
        # The bytes counted in data_received may include a body that came in the same read;
        # the head itself, as parsed, is what the limit is about.
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.max_header_bytes:
            raise _HeadersTooLarge  # stops the parser; data_received answers
        self._reading = _BODY
        super().on_headers_complete()
        if not (self.parser.should_upgrade() and self._should_upgrade()):
            self._arm(self.body_timeout, self._body_timed_out)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()
        self._reading, self._head_bytes = _BETWEEN, 0
        if self.cycle is not None and self.cycle.response_complete:
            # Answered before its body was read (a 401, a 413): the next request's turn.
            self._arm(self.header_timeout, self._header_timed_out)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._reading != _BODY and not self.transport.is_closing():
            self._arm(self.header_timeout, self._header_timed_out)

    # -- timeouts ------------------------------------------------------------------------

    def _arm(self, delay: float, callback: Any) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.loop.call_later(delay, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _header_timed_out(self) -> None:
        self._timer = None
        if self.transport.is_closing() or self._reading == _BODY:
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # the service is answering; the next answer arms the timer again
        if self._head_bytes == 0:
            self.transport.close()  # nothing of a request came: an idle connection
            return
        log.info("closing a connection whose request headers did not arrive within %s s (408)", self.header_timeout)
        self._refuse(408, REQUEST_TIMEOUT, "header_timeout", limit=self.header_timeout)

    def _body_timed_out(self) -> None:
        self._timer = None
        if self.transport.is_closing() or self._reading != _BODY:
            return
        if self.flow.read_paused:
            self._arm(PAUSED_GRACE_SECONDS, self._body_timed_out)
            return
        cycle = self.cycle
        log.info("closing a connection whose request body did not arrive within %s s (408)", self.body_timeout)
        if cycle is None or cycle.response_started:
            self.transport.close()  # answered already (or answering): nothing more to say
            return
        # The application waits for the body: it hears that the client left, and its
        # answer, if it tries one, goes nowhere.
        cycle.disconnected = True
        cycle.message_event.set()
        self._refuse(408, REQUEST_TIMEOUT, "body_timeout", limit=self.body_timeout)

    # -- refusals ------------------------------------------------------------------------

    def _refuse_headers_too_large(self) -> None:
        log.info("refusing a request whose line and headers pass %s bytes (431)", self.max_header_bytes)
        self._refuse(431, HEADERS_TOO_LARGE, "headers_too_large", limit=self.max_header_bytes)

    def _refuse(self, status: int, code: str, key: str, /, **params: Any) -> None:
        """Answer with the service's JSON error and close, lingering (module docstring)."""
        if self._refused or self.transport.is_closing():
            return
        self._refused = True
        self._disarm()
        self._unset_keepalive_if_required()
        received = {name: value for name, value in reversed(self.headers or [])}  # the first of each counts
        locale = negotiate(_text(received.get(b"accept-language")))
        request_id = request_id_from(_text(received.get(b"x-request-id")))
        body = encode({"errors": [error_entry(locale, code, key, request_id=request_id, **params)]})
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: ", str(len(body)).encode(), b"\r\n",
            b"x-request-id: ", request_id.encode(), b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.flow.resume_reading()
        self.loop.call_later(LINGER_SECONDS, self._close)

    def _close(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()

    def eof_received(self) -> bool | None:
        if self._refused:
            self._close()  # the client is done sending: the lingering is over
        return None


def _text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None
