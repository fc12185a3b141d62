"""Live events between service processes through MongoDB: every process inserts the events it
publishes into the `events` collection and watches that collection with one change stream,
handing what arrives to its own subscribers (`service.pubsub.Fanout`).

Change streams need a replica set or a sharded cluster (a one-member replica set will do for
development); on a standalone server subscriptions are refused with SUBSCRIPTIONS_UNAVAILABLE
and the rest of the service works as before. Documents in `events` are only a carrier (the
change stream reads the oplog, not the collection): a TTL index removes them after
`--mongodb-events-ttl-seconds`.

The stream is opened when the process gets its first subscriber and then kept. It resumes
from the stream's own resume token (the post-batch resume token, which moves on even while
no event arrives), never from "now", so an outage that starts before the first event loses
nothing. Errors are told apart (`history_lost`):

- transient ones (a network error, NotPrimary during an election, server selection giving
  up, a mongos read-preference error while a shard elects): reopen with backoff from the
  same token, for as long as it takes; subscribers wait and then get every event;
- history lost (ChangeStreamHistoryLost 286, ChangeStreamFatalError 280, a resume token the
  server refuses 260): events may really have been missed, so every subscriber of the
  process is ended with `EventsLost` (clients get EVENTS_LOST and re-read), and the process
  watches again from now for new subscribers.

The backoff starts again from its shortest wait once the reopened stream has answered a
round trip (an event or an empty batch).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

from service.documents import from_json, to_json
from service.pubsub import Accept, EventsLost, Fanout, PubSubUnavailable, Subscription, from_message, to_message
from service.settings import Settings

from .connection import resolved

log = logging.getLogger("customer_context.mongo.pubsub")

COLLECTION = "events"
#: Server error codes meaning "change streams are not available here" (not a replica set).
NOT_A_REPLICA_SET = {40573, 40324}
#: Server error codes meaning "the stream cannot go on from its resume token": events between
#: it and now may be gone. ChangeStreamHistoryLost (the oplog moved past the token),
#: ChangeStreamFatalError, InvalidResumeToken.
HISTORY_LOST = {286, 280, 260}
#: Waits between attempts to reopen a broken change stream (seconds), the last one repeated;
#: each is shortened by up to half at random so that the processes of a cluster do not all
#: come back at once after a failover.
RETRY_WAITS = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0)
#: How long one getMore waits on the server for new events before answering an empty batch
#: (which carries a fresh resume token).
MAX_AWAIT_MS = 1000
#: Only inserts carry events.
PIPELINE = [{"$match": {"operationType": "insert"}}]


class ChangeStreamPubSub:
    """PubSub over a MongoDB collection and a change stream on it. `collection` is the
    `events` collection of the store's database (any client the store accepts)."""

    def __init__(self, collection: Any, settings: Settings | None = None) -> None:
        settings = settings or Settings()
        self._events = collection
        self._ttl = settings.mongodb_events_ttl_seconds
        self._fanout = Fanout(settings.subscription_queue_size)
        self._indexed = False
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self._closed = False
        # Set while the stream has a place to go on from (a resume token, or open): a
        # subscriber that arrives while it has none (history lost, not yet reopened) waits.
        self._placed = asyncio.Event()
        self._open_timeout = settings.mongodb_timeout_ms / 1000

    # publishing ------------------------------------------------------------------------
    async def publish(self, event: Any) -> None:
        if not self._indexed:
            await self._create_index()
        message = to_message(event)
        # The event as one JSON string: it comes back exactly as it went (datetimes with their
        # microseconds and zone), whatever the driver does with BSON dates. `at` is for the TTL.
        await self._events.insert_one({"at": datetime.now(UTC), "type": message["type"], "body": to_json(message)})

    async def _create_index(self) -> None:
        try:
            await self._events.create_index("at", name="expire_events", expireAfterSeconds=self._ttl)
        except OperationFailure as exc:  # made earlier with another TTL: keep it, say so
            log.warning("the events collection keeps its existing TTL index: %s", exc)
        self._indexed = True

    # subscribing -----------------------------------------------------------------------
    async def subscribe(self, accept: Accept | None = None) -> Subscription:
        if self._closed:
            raise PubSubUnavailable("the service is stopping")
        await self._ensure_watching()
        try:
            await asyncio.wait_for(self._placed.wait(), self._open_timeout)
        except TimeoutError:
            raise PubSubUnavailable("the live events change stream is being reopened") from None
        # Every event inserted from here on reaches this subscriber: the stream is open, or
        # will resume from a token older than now.
        return self._fanout.subscribe(accept)

    async def _ensure_watching(self) -> None:
        async with self._lock:
            if self._task is not None and not self._task.done():
                return
            try:
                stream = await self._open(None)
            except PyMongoError as exc:  # a transient error: this subscriber may try again
                raise PubSubUnavailable(f"cannot open the live events change stream: {exc}") from None
            self._placed.set()
            self._task = asyncio.create_task(self._watch(stream), name="mongo change stream")

    async def _open(self, token: Any) -> Any:
        if not callable(getattr(type(self._events), "watch", None)):  # mongomock has no change streams
            raise PubSubUnavailable("live events need MongoDB change streams, which this MongoDB client lacks")
        try:
            # start_after (not resume_after) also continues after an invalidate event.
            return await resolved(self._events.watch(PIPELINE, start_after=token, max_await_time_ms=MAX_AWAIT_MS))
        except OperationFailure as exc:
            if exc.code in NOT_A_REPLICA_SET:
                raise PubSubUnavailable(
                    "live events need MongoDB change streams, which need a replica set or a sharded cluster "
                    "(this server is standalone)"
                ) from None
            raise
        except ConnectionFailure as exc:
            raise PubSubUnavailable(f"MongoDB is unreachable: {exc}") from None

    async def _watch(self, stream: Any) -> None:
        """Deliver every inserted event; when the stream breaks, reopen it from its resume
        token, or tell the subscribers that events were lost when that is no longer possible."""
        token = stream.resume_token
        failures = 0
        while True:
            try:
                while True:
                    change = await stream.try_next()
                    # After every answered getMore, event or not: the token has moved on.
                    token = stream.resume_token or token
                    failures = 0
                    if change is not None:
                        self._deliver(change.get("fullDocument"))
                    elif not stream.alive:
                        break  # ended on its own (the collection was dropped: "invalidate")
            except asyncio.CancelledError:
                await _close(stream)
                raise
            except Exception as exc:  # the driver's errors and anything else: the stream goes on
                if history_lost(exc):
                    self._events_lost(exc)
                    token = None
                else:
                    log.warning("the live events change stream broke (%s); resuming it", exc)
            await _close(stream)
            while True:
                await asyncio.sleep(retry_wait(failures))
                failures += 1
                try:
                    stream = await self._open(token)
                    self._placed.set()
                    break
                except Exception as exc:
                    if history_lost(exc):
                        self._events_lost(exc)
                        token = None
                    else:
                        log.warning("reopening the live events change stream failed (%s); trying again", exc)

    def _events_lost(self, exc: BaseException) -> None:
        self._placed.clear()
        log.error(
            "the live events change stream cannot resume (%s); ending %d subscriptions with EVENTS_LOST",
            exc,
            len(self._fanout),
        )
        self._fanout.fail_all(EventsLost())

    def _deliver(self, document: dict[str, Any] | None) -> None:
        if not document or "body" not in document:
            return
        try:
            event = from_message(from_json(document["body"]))
        except Exception:  # another version's event, or not one of ours: skip it, say so
            log.warning("skipped an event the service cannot read (type %r)", document.get("type"))
            return
        self._fanout.deliver(event)

    async def close(self) -> None:
        self._closed = True
        self._fanout.close()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def retry_wait(failures: int) -> float:
    """Seconds to wait before reopening after `failures` failed attempts in a row."""
    return RETRY_WAITS[min(failures, len(RETRY_WAITS) - 1)] * random.uniform(0.5, 1.0)


def history_lost(exc: BaseException) -> bool:
    """Whether the change stream cannot go on from its resume token (events may be lost), as
    opposed to a transient error to retry from the same token."""
    if not isinstance(exc, OperationFailure):
        return False
    if exc.has_error_label("ResumableChangeStreamError"):
        return False
    return exc.code in HISTORY_LOST or exc.has_error_label("NonResumableChangeStreamError")


async def _close(stream: Any) -> None:
    with contextlib.suppress(Exception):
        await resolved(stream.close())
