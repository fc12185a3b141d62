"""Live events between service processes through MongoDB: every process inserts the events it
publishes into the `events` collection and watches that collection with one change stream,
handing what arrives to its own subscribers (`service.pubsub.Fanout`).

Change streams need a replica set or a sharded cluster (a one-member replica set will do for
development); on a standalone server subscriptions are refused with SUBSCRIPTIONS_UNAVAILABLE
and the rest of the service works as before. Documents in `events` are only a carrier (the
change stream reads the oplog, not the collection): a TTL index removes them after
`--mongodb-events-ttl-seconds`.

The stream is opened when the process gets its first subscriber and then kept. When it
breaks (a failover, a network error) it resumes from the last event seen, so nothing is
missed; if the server no longer has that point (the oplog moved on), every subscriber of the
process is ended with SUBSCRIPTIONS_UNAVAILABLE, to subscribe again and re-read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

from service.documents import from_json, to_json
from service.pubsub import Accept, Fanout, PubSubUnavailable, Subscription, from_message, to_message
from service.settings import Settings

from .connection import resolved

log = logging.getLogger("customer_context.mongo.pubsub")

COLLECTION = "events"
#: Server error codes meaning "change streams are not available here" (not a replica set).
NOT_A_REPLICA_SET = {40573, 40324}
#: Waits between attempts to reopen a broken change stream (seconds), the last one repeated.
RETRY_WAITS = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0)
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
        # The stream is open: every event inserted from here on reaches this subscriber.
        return self._fanout.subscribe(accept)

    async def _ensure_watching(self) -> None:
        async with self._lock:
            if self._task is not None and not self._task.done():
                return
            stream = await self._open(None)
            self._task = asyncio.create_task(self._watch(stream), name="mongo change stream")

    async def _open(self, resume_after: Any) -> Any:
        if not callable(getattr(type(self._events), "watch", None)):  # mongomock has no change streams
            raise PubSubUnavailable("live events need MongoDB change streams, which this MongoDB client lacks")
        try:
            return await resolved(self._events.watch(PIPELINE, resume_after=resume_after))
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
        """Deliver every inserted event; reopen the stream when it breaks, resuming after the
        last event seen."""
        token = None
        failures = 0
        while True:
            try:
                async for change in stream:
                    token = change.get("_id", token)
                    failures = 0
                    self._deliver(change.get("fullDocument"))
                # The stream ended on its own (the collection was dropped: "invalidate").
                token = None
            except asyncio.CancelledError:
                await _close(stream)
                raise
            except Exception as exc:  # the driver's errors and anything else: the stream goes on
                log.warning("the live events change stream broke (%s); reopening it", exc)
            await _close(stream)
            while True:
                await asyncio.sleep(RETRY_WAITS[min(failures, len(RETRY_WAITS) - 1)])
                failures += 1
                try:
                    stream = await self._open(token)
                    break
                except OperationFailure as exc:
                    # Cannot resume from `token` (history lost): events may have been missed.
                    log.error("cannot resume the live events change stream (%s); subscribers must re-read", exc)
                    self._fanout.fail_all(PubSubUnavailable("live events were interrupted; subscribe again"))
                    token = None
                except (PubSubUnavailable, PyMongoError) as exc:
                    log.warning("reopening the live events change stream failed (%s); trying again", exc)

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


async def _close(stream: Any) -> None:
    with contextlib.suppress(Exception):
        await resolved(stream.close())
