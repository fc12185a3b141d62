"""One log line per GraphQL HTTP request, on the logger `customer_context.requests`.

In production (`log_format` json, or auto in production mode) the line is one JSON object
that a log collector reads without patterns:

    {"event": "request", "requestId": "...", "method": "POST", "operation": "ScreenPop",
     "type": "query", "actor": "agent-7", "status": 200, "outcome": "ok",
     "durationMs": 1.42, "errorCodes": []}

In development it is the same facts readable:

    request 5f0c... POST ScreenPop (query) by agent-7: 200 ok in 1.42 ms

What it never holds: a token or any part of one, variables, the document, a customer's
name, phone or email, the client's address. The actor is an id (a staff id from the
tokens file, or `account:<id>` for a customer account); the operation name is the one the
client chose for its document. Health probes and static files are not logged.
"""

from __future__ import annotations

import logging
import sys

import orjson

from .observation import Observation

log = logging.getLogger("customer_context.requests")


class RequestLog:
    """A sink for service/observation.py: writes `observation` as one line."""

    def __init__(self, *, json_lines: bool) -> None:
        self.json_lines = json_lines

    def __call__(self, observation: Observation) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        line = self.json_line(observation) if self.json_lines else self.text_line(observation)
        log.info("%s", line)

    @staticmethod
    def json_line(o: Observation) -> str:
        return orjson.dumps(
            {
                "event": "request",
                "requestId": o.request_id,
                "method": o.method,
                "operation": o.operation,
                "type": o.operation_type,
                "actor": o.actor_id,
                "status": o.status,
                "outcome": o.outcome(),
                "durationMs": round(o.seconds * 1000, 3),
                "errorCodes": o.codes,
            }
        ).decode()

    @staticmethod
    def text_line(o: Observation) -> str:
        what = f"{o.operation or '(anonymous)'} ({o.operation_type})" if o.operation_type else "(no operation)"
        codes = f" [{', '.join(o.codes)}]" if o.codes else ""
        return (
            f"request {o.request_id or '-'} {o.method} {what} by {o.actor_id or 'nobody'}: "
            f"{o.status} {o.outcome()} in {o.seconds * 1000:.2f} ms{codes}"
        )


def log_to_stderr_as_lines() -> None:
    """The server's own process (cli.py): request lines go to stderr as they are, one a line,
    without the prefix the other loggers' lines carry, so that a JSON line stays JSON."""
    if any(getattr(handler, "request_lines", False) for handler in log.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.request_lines = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.propagate = False
