"""Connecting to MongoDB: the client, a bounded ping, errors that name the server without
its credentials, and the one place that papers over the driver differences."""

from __future__ import annotations

import asyncio
import functools
import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import unquote_plus

import pymongo
from pymongo.errors import ConnectionFailure, PyMongoError

from service.storage import StoreUnavailable, remaining_seconds

T = TypeVar("T")


async def resolved(value: Any) -> Any:
    """Await `value` if it is awaitable. PyMongo's asyncio client makes `aggregate()`,
    `watch()`, `list_indexes()` and `close()` coroutines; Motor and mongomock-motor return
    the cursor (or None) directly. Every such call goes through here."""
    return await value if inspect.isawaitable(value) else value


def redact(url: str) -> str:
    """The connection string without user, password and options (options may hold secrets
    too), for messages and logs: "mongodb://***@db1:27017,db2:27017/customers"."""
    url = re.sub(r"(?<=://)[^@/?#]*@", "***@", url, count=1)
    return url.split("?", 1)[0]


def make_client(url: str, timeout_ms: int, operation_timeout_ms: int) -> Any:
    """PyMongo's asyncio client, giving up on an unreachable server after `timeout_ms` and
    on any operation after `operation_timeout_ms` (`timeoutMS`: the server is told too, so
    it stops the work; a half-open connection cannot hang a call)."""
    from pymongo import AsyncMongoClient

    try:
        return AsyncMongoClient(
            url,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            timeoutMS=operation_timeout_ms,
            appname="customer-context",
        )
    except (PyMongoError, ValueError, TypeError) as exc:  # a malformed URL, a bad option, no DNS record
        raise StoreUnavailable(f"cannot use the MongoDB URL {redact(url)}: {_brief(exc, url)}") from None


async def ping(db: Any, url: str, timeout_ms: int) -> None:
    """Return when the server answers; StoreUnavailable within about `timeout_ms` when not."""
    # The driver gives up after timeout_ms (server selection) and says why; the guard
    # behind it, a little later, bounds a server that accepts connections but never answers.
    guard = timeout_ms / 1000 + 0.5
    try:
        await asyncio.wait_for(db.command("ping"), guard)
    except TimeoutError:
        raise StoreUnavailable(f"MongoDB at {redact(url)} did not answer within {timeout_ms} ms") from None
    except ConnectionFailure as exc:
        raise StoreUnavailable(
            f"MongoDB at {redact(url)} did not answer within {timeout_ms} ms: {_brief(exc, url)}"
        ) from None
    except PyMongoError as exc:  # it answered, with an error (authentication, say)
        raise StoreUnavailable(f"MongoDB at {redact(url)} refused the ping: {_brief(exc, url)}") from None


def _brief(exc: Exception, url: str) -> str:
    """The driver's reason, short, and without the URL's user and password should the
    driver have quoted them."""
    text = str(exc)
    userinfo = re.search(r"://([^@/?#]*)@", url)
    if userinfo:
        password = userinfo.group(1).partition(":")[2]
        secrets = {userinfo.group(1), password, unquote_plus(password)}
        for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
            text = text.replace(secret, "***")
    # Server selection errors append a long topology description; the reason comes first.
    text = text.split(", Timeout:", 1)[0].split(" (configured timeouts:", 1)[0]
    return text if len(text) <= 300 else text[:297] + "..."


#: The shortest bound a call gets: pymongo.timeout(0) would mean "no limit at all".
LEAST_SECONDS = 0.001


def call_seconds(ceiling: float) -> float:
    """How long one store call may take: what is left of the current request's time
    (service.storage.request_deadline), at most `ceiling`."""
    left = remaining_seconds()
    return max(LEAST_SECONDS, ceiling if left is None else min(left, ceiling))


def unavailable_on_connection_loss(method: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Bound the call by the request's remaining time (`pymongo.timeout`: every operation in
    it gets a `timeoutMS` of what is left), and turn the driver's "cannot reach the server"
    and "ran out of time" errors into StoreUnavailable."""

    @functools.wraps(method)
    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        seconds = call_seconds(self.operation_timeout_seconds)
        try:
            with pymongo.timeout(seconds):
                return await method(self, *args, **kwargs)
        except ConnectionFailure as exc:
            raise StoreUnavailable(f"MongoDB at {redact(self.url)} is unreachable: {_brief(exc, self.url)}") from exc
        except PyMongoError as exc:
            if not exc.timeout:
                raise
            raise StoreUnavailable(
                f"MongoDB at {redact(self.url)} did not finish within {seconds * 1000:.0f} ms: {_brief(exc, self.url)}"
            ) from exc

    return wrapper
