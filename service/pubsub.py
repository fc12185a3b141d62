"""The publish/subscribe port: how live events reach subscriptions, in this process and in
every other process serving the same data.

A plugin provides the implementation through the `pubsub(settings, store)` hook: the built-in
memory plugin an in-process one, the mongo plugin one that carries events through a MongoDB
change stream. What travels is the domain events subscriptions show (`LIVE_EVENTS`); a
backend that crosses processes turns them into plain documents with `to_message` and back
with `from_message`.

Within a process, `Fanout` hands each event to every local subscriber. Every subscriber has a
bounded queue, filled without ever waiting: a subscriber that falls more than `queue_size`
events behind is ended with `SubscriberTooSlow` (its client hears why and subscribes again),
so a slow or vanished subscriber costs a bounded amount of memory and never holds up a
publisher or the other subscribers. Ending it, rather than dropping its oldest events, is
deliberate: an agent's desktop that silently missed an event would show a wrong open list,
while one that is told re-reads it.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from .documents import from_document, to_document
from .events import ActivityRecorded, OpenListEntryAdded, OpenListEntryJoined, OpenListEntryResolved
from .metrics import subscription_closed, subscription_opened

log = logging.getLogger("customer_context.pubsub")

#: The domain events subscriptions show, by the name a message carries.
LIVE_EVENTS: dict[str, type] = {
    cls.__name__: cls for cls in (ActivityRecorded, OpenListEntryAdded, OpenListEntryJoined, OpenListEntryResolved)
}

#: Decides whether a subscriber wants an event (called in the publishing process's loop).
Accept = Callable[[Any], bool]


class PubSubUnavailable(Exception):
    """Live events cannot be carried right now (e.g. MongoDB without a replica set); the
    message says why, for the operator and the client."""


class EventsLost(Exception):
    """Events meant for the subscriber may have been lost on the way (a backend that carries
    them between processes could not resume after an outage from where it stopped); the
    subscriber is ended so that its client re-reads what it shows instead of trusting it."""


class SubscriberTooSlow(Exception):
    """The subscriber fell more than `limit` events behind and was ended."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} undelivered events")
        self.limit = limit


class Subscription:
    """One subscriber's events, as an async iterator, through a bounded queue. `close()` (or
    leaving `async with`) unsubscribes; the iterator then ends."""

    def __init__(self, queue_size: int, accept: Accept | None, on_close: Callable[[Subscription], None]) -> None:
        self._queue: collections.deque[Any] = collections.deque()
        self._size = queue_size
        self._accept = accept
        self._on_close = on_close
        self._wake = asyncio.Event()
        self._ended = False
        self._error: BaseException | None = None

    def offer(self, event: Any) -> None:
        """Queue `event` if this subscriber wants it. Never waits: past the queue's bound the
        subscriber is ended with SubscriberTooSlow instead."""
        if self._ended:
            return
        try:
            if self._accept is not None and not self._accept(event):
                return
        except Exception:  # a subscriber's filter must not break delivery to the others
            log.exception("a subscriber's event filter failed; ending that subscriber")
            self.end(SubscriberTooSlow(self._size))
            return
        if len(self._queue) >= self._size:
            log.warning("a subscriber fell more than %d events behind; ending its subscription", self._size)
            self.end(SubscriberTooSlow(self._size))
            return
        self._queue.append(event)
        self._wake.set()

    def end(self, error: BaseException | None = None) -> None:
        """No more events: the iterator ends (after raising `error`, if given, at once:
        what was still queued is dropped, the subscriber is to re-read anyway)."""
        if self._ended:
            return
        self._ended = True
        self._error = error
        if error is not None:
            self._queue.clear()
        self._wake.set()
        self._on_close(self)

    @property
    def pending(self) -> int:
        """Events queued and not yet taken."""
        return len(self._queue)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Any:
        while True:
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            if self._queue:
                return self._queue.popleft()
            if self._ended:
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()

    async def close(self) -> None:
        self.end()
        self._queue.clear()

    aclose = close  # what async-iterator consumers (graphql-core) call when they stop early

    def map(self, convert: Callable[[Any], Any]) -> Mapped:
        """The events, each passed through `convert`; closing it closes this subscription."""
        return Mapped(self, convert)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()


class Mapped:
    """An async iterator over another's items, converted; `aclose` reaches the source even if
    iteration never started (an async generator would skip its cleanup then)."""

    def __init__(self, source: Any, convert: Callable[[Any], Any]) -> None:
        self._source = source
        self._convert = convert

    def __aiter__(self) -> Mapped:
        return self

    async def __anext__(self) -> Any:
        return self._convert(await self._source.__anext__())

    async def aclose(self) -> None:
        await self._source.aclose()

    def map(self, convert: Callable[[Any], Any]) -> Mapped:
        return Mapped(self, convert)


class Fanout:
    """This process's subscribers: `deliver` offers an event to each, synchronously and
    without waiting (see `Subscription.offer`). Implementations of PubSub build on it."""

    def __init__(self, queue_size: int) -> None:
        if queue_size < 1:
            raise ValueError("a subscriber's queue holds at least one event")
        self.queue_size = queue_size
        self._subscribers: set[Subscription] = set()
        self.closed = False

    def subscribe(self, accept: Accept | None = None) -> Subscription:
        subscription = Subscription(self.queue_size, accept, self._left)
        if self.closed:
            subscription.end()
        else:
            self._subscribers.add(subscription)
            subscription_opened()
        return subscription

    def _left(self, subscription: Subscription) -> None:
        if subscription in self._subscribers:
            self._subscribers.discard(subscription)
            subscription_closed()

    def deliver(self, event: Any) -> None:
        for subscription in list(self._subscribers):
            subscription.offer(event)

    def fail_all(self, error: BaseException) -> None:
        """End every subscriber with `error` (the events can no longer reach them)."""
        for subscription in list(self._subscribers):
            subscription.end(error)

    def close(self) -> None:
        self.closed = True
        for subscription in list(self._subscribers):
            subscription.end()

    def __len__(self) -> int:
        return len(self._subscribers)


@runtime_checkable
class PubSub(Protocol):
    """What the `pubsub` hook returns. The service calls `publish` from one background task
    (never from a request, so a slow implementation delays events, not mutations) and
    `close` once at shutdown."""

    async def publish(self, event: Any) -> None:
        """Send one of the `LIVE_EVENTS` to every subscriber, in every process. Raise on
        failure (the service logs it and goes on with the next event)."""
        ...

    async def subscribe(self, accept: Accept | None = None) -> Subscription:
        """A new subscriber: events published from now on for which `accept(event)` holds
        (all, when None). When this returns, no later event can be missed. Raise
        PubSubUnavailable when events cannot be carried."""
        ...

    async def close(self) -> None:
        """Stop: end every subscription and release connections."""
        ...


def to_message(event: Any) -> dict[str, Any]:
    """A live event as a plain document (`documents` codec): {"type": name, "event": {...}}."""
    name = type(event).__name__
    if name not in LIVE_EVENTS:
        raise TypeError(f"{name} is not a live event")
    return {"type": name, "event": to_document(event)}


def from_message(message: dict[str, Any]) -> Any:
    """The event `to_message` made; ValueError for a message of an unknown type."""
    cls = LIVE_EVENTS.get(message.get("type", ""))
    if cls is None:
        raise ValueError(f"unknown live event type {message.get('type')!r}")
    return from_document(cls, message["event"])
