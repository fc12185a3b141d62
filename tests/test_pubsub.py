"""The publish/subscribe port without a server: bounded subscriber queues, subscribers that
go away, the publisher that never holds up a mutation, the `pubsub` hook, and both
implementations (in-process; MongoDB change streams through a stand-in, and through a real
replica set when CUSTOMER_CONTEXT_TEST_MONGODB_URL names one)."""

from __future__ import annotations

import asyncio
import importlib
import os
import uuid
from datetime import UTC, datetime

import pytest
from mongomock_motor import AsyncMongoMockClient
from starlette.testclient import TestClient
from pymongo.errors import AutoReconnect, NotPrimaryError, OperationFailure, ServerSelectionTimeoutError

from plugins.memory import InProcessPubSub
from plugins.mongo import ChangeStreamPubSub, MongoStore
from plugins.mongo.pubsub import COLLECTION
from service.app import create_app
from service.documents import from_json, to_json
from service.domain.association import Outcome
from service.domain.records import (
    Activity,
    Candidate,
    Channel,
    Customer,
    Direction,
    EntryStatus,
    MatchReason,
    OpenListEntry,
    Prefill,
    Sender,
)
from service.events import ActivityRecorded, CustomerCreated, OpenListEntryAdded, OpenListEntryResolved
from service.hookspecs import hookimpl
from service.live import LivePublisher, build_pubsub
from service.plugins import plugin_manager
from service.pubsub import EventsLost, Fanout, PubSub, PubSubUnavailable, SubscriberTooSlow, from_message, to_message
from service.settings import ConfigurationError, Settings

from .helpers import RECORD, make_client, record

#: The module (the package's `pubsub` is the hook function of the same name).
MONGO_PUBSUB = importlib.import_module("plugins.mongo.pubsub")
T0 = datetime(2026, 11, 25, 8, 0, 0, 123456, tzinfo=UTC)


def run(coro):
    return asyncio.run(coro)


def activity(n: int = 1, agent: str | None = "agent-1") -> Activity:
    return Activity(
        id=f"a{n}",
        version=1,
        created_at=T0,
        updated_at=T0,
        created_by="admin",
        channel=Channel.CALL,
        direction=Direction.INBOUND,
        sender=Sender(name="Eva Svobodová", phone="601 123 456", phone_e164="+420601123456"),
        occurred_at=T0,
        agent_id=agent,
        open_list_entry_id=f"e{n}",
    )


def entry(n: int = 1, agent: str | None = "agent-1", status: EntryStatus = EntryStatus.OPEN) -> OpenListEntry:
    return OpenListEntry(
        id=f"e{n}",
        version=1,
        created_at=T0,
        updated_at=T0,
        created_by="admin",
        activity_id=f"a{n}",
        agent_id=agent,
        prefill=Prefill(first_name="Eva", last_name="Svobodová", phone="601 123 456"),
        candidates=(Candidate("c1", 0.5, (MatchReason("name", "FUZZY", 0.5),)),),
        status=status,
    )


def recorded(n: int = 1, agent: str | None = "agent-1") -> ActivityRecorded:
    return ActivityRecorded(
        activity(n, agent),
        "admin",
        Outcome.ADDED_TO_OPEN_LIST,
        None,
        entry(n, agent),
        (Candidate("c1", 0.5, (MatchReason("name", "FUZZY", 0.5),)),),
    )


async def take(subscription, n: int) -> list:
    return [await asyncio.wait_for(subscription.__anext__(), 5) for _ in range(n)]


# --- Fanout and Subscription: the bounded queues -------------------------------------------


def test_every_subscriber_gets_every_event_in_order():
    async def main():
        fanout = Fanout(10)
        a, b = fanout.subscribe(), fanout.subscribe()
        for n in range(3):
            fanout.deliver(n)
        assert await take(a, 3) == [0, 1, 2] and await take(b, 3) == [0, 1, 2]

    run(main())


def test_a_subscriber_that_falls_behind_is_ended_and_the_others_are_not_held_up():
    async def main():
        fanout = Fanout(3)
        slow, fast = fanout.subscribe(), fanout.subscribe()
        got = []
        for n in range(10):
            fanout.deliver(n)  # never waits, whoever reads or not
            got.append(await fast.__anext__())
        assert got == list(range(10))
        # The slow one had 3 queued when the 4th came: ended at once, its queue dropped.
        assert slow.pending == 0 and len(fanout) == 1
        with pytest.raises(SubscriberTooSlow) as raised:
            await slow.__anext__()
        assert raised.value.limit == 3
        with pytest.raises(StopAsyncIteration):
            await slow.__anext__()

    run(main())


def test_memory_stays_bounded_however_many_events_a_stalled_subscriber_misses():
    async def main():
        fanout = Fanout(5)
        stalled = fanout.subscribe()
        for n in range(10_000):
            fanout.deliver(n)
            assert stalled.pending <= 5

    run(main())


def test_a_subscriber_that_goes_away_is_forgotten():
    async def main():
        fanout = Fanout(3)
        gone, staying = fanout.subscribe(), fanout.subscribe()
        async with gone:
            fanout.deliver(1)
        assert len(fanout) == 1
        for n in range(10):  # nothing queues up for the one that left
            fanout.deliver(n)
            assert gone.pending == 0
            await staying.__anext__()
        with pytest.raises(StopAsyncIteration):
            await gone.__anext__()

    run(main())


def test_a_waiting_subscriber_that_is_cancelled_leaves_no_trace():
    async def main():
        fanout = Fanout(3)
        subscription = fanout.subscribe()

        async def consume():
            async with subscription:
                async for _ in subscription:
                    pass

        task = asyncio.create_task(consume())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert len(fanout) == 0

    run(main())


def test_only_accepted_events_are_queued_and_count_towards_the_bound():
    async def main():
        fanout = Fanout(2)
        evens = fanout.subscribe(lambda n: n % 2 == 0)
        for n in range(5):
            fanout.deliver(n)  # 0, 2, 4 accepted: more than 2, so...
        with pytest.raises(SubscriberTooSlow):
            await take(evens, 3)
        odd_only = fanout.subscribe(lambda n: n % 2 == 1)
        for n in range(4):
            fanout.deliver(n)
        assert await take(odd_only, 2) == [1, 3]

    run(main())


def test_a_failing_filter_ends_only_its_own_subscriber():
    async def main():
        fanout = Fanout(3)
        broken = fanout.subscribe(lambda event: 1 / 0)
        fine = fanout.subscribe()
        fanout.deliver("x")
        assert await take(fine, 1) == ["x"]
        with pytest.raises(SubscriberTooSlow):
            await broken.__anext__()

    run(main())


def test_closing_a_mapped_stream_unsubscribes_even_before_the_first_event():
    async def main():
        fanout = Fanout(3)
        mapped = fanout.subscribe().map(str).map(len)
        assert len(fanout) == 1
        await mapped.aclose()  # what graphql-core does when a client completes early
        assert len(fanout) == 0

    run(main())


def test_closing_the_fanout_ends_every_subscription():
    async def main():
        fanout = Fanout(3)
        a = fanout.subscribe()
        fanout.deliver(1)
        fanout.close()
        assert await take(a, 1) == [1]
        with pytest.raises(StopAsyncIteration):
            await a.__anext__()
        late = fanout.subscribe()
        with pytest.raises(StopAsyncIteration):
            await late.__anext__()

    run(main())


# --- the messages that cross processes ------------------------------------------------------


def test_live_events_survive_the_trip_as_a_json_document():
    for event in (
        recorded(),
        OpenListEntryAdded(entry(), "agent-1"),
        OpenListEntryResolved(entry(status=EntryStatus.CREATED), "agent-1"),
    ):
        assert from_message(from_json(to_json(to_message(event)))) == event
    customer = Customer(id="c1", version=1, created_at=T0, updated_at=T0, created_by="admin", first_name="Eva")
    associated = ActivityRecorded(activity(), "admin", Outcome.ASSOCIATED, customer, None, ())
    assert from_message(from_json(to_json(to_message(associated)))) == associated


def test_only_live_events_are_messages():
    customer = Customer(id="c1", version=1, created_at=T0, updated_at=T0, created_by="admin", first_name="Eva")
    with pytest.raises(TypeError):
        to_message(CustomerCreated(customer, "admin"))
    with pytest.raises(ValueError):
        from_message({"type": "CustomerCreated", "event": {}})


# --- the publisher: a mutation only ever appends to a bounded queue --------------------------


class StuckPubSub(InProcessPubSub):
    """A pub/sub whose publish never returns (a network that hangs)."""

    def __init__(self) -> None:
        super().__init__(10)
        self.started = asyncio.Event()

    async def publish(self, event) -> None:
        self.started.set()
        await asyncio.Event().wait()


class FailingPubSub(InProcessPubSub):
    def __init__(self) -> None:
        super().__init__(10)
        self.attempts = 0

    async def publish(self, event) -> None:
        self.attempts += 1
        if self.attempts == 1:
            raise RuntimeError("the network is down")
        await super().publish(event)


def test_a_stuck_pub_sub_holds_up_no_domain_event_and_its_queue_is_bounded(monkeypatch):
    monkeypatch.setattr("service.live.FLUSH_SECONDS", 0.1)

    async def main():
        publisher = LivePublisher(queue_size=3)
        pubsub = StuckPubSub()
        await publisher.start(pubsub)
        publisher.domain_event(recorded(0))
        await asyncio.wait_for(pubsub.started.wait(), 5)
        for n in range(1, 11):
            assert publisher.domain_event(recorded(n)) is None  # returns at once, every time
        assert publisher.dropped == 7 and [e.activity.id for e in publisher._outbox] == ["a8", "a9", "a10"]
        await asyncio.wait_for(publisher.stop(), 10)  # gives up on the stuck one

    run(main())


def test_a_failed_publish_is_logged_and_the_next_event_goes_out(caplog):
    async def main():
        publisher = LivePublisher(queue_size=10)
        pubsub = FailingPubSub()
        subscription = await pubsub.subscribe()
        await publisher.start(pubsub)
        publisher.domain_event(recorded(1))
        publisher.domain_event(recorded(2))
        (event,) = await take(subscription, 1)
        assert event.activity.id == "a2"
        await publisher.stop()
        with pytest.raises(StopAsyncIteration):  # stop() closed the pub/sub
            await subscription.__anext__()

    run(main())
    assert "publishing a live event (ActivityRecorded) failed" in caplog.text


def test_only_live_events_are_published():
    async def main():
        publisher = LivePublisher(queue_size=10)
        pubsub = InProcessPubSub(10)
        subscription = await pubsub.subscribe()
        await publisher.start(pubsub)
        customer = Customer(id="c1", version=1, created_at=T0, updated_at=T0, created_by="admin", first_name="Eva")
        publisher.domain_event(CustomerCreated(customer, "admin"))
        publisher.domain_event(OpenListEntryAdded(entry(), "admin"))
        (event,) = await take(subscription, 1)
        assert isinstance(event, OpenListEntryAdded)
        await publisher.stop()

    run(main())


# --- the hook -------------------------------------------------------------------------------


class RecordingPubSub(InProcessPubSub):
    def __init__(self) -> None:
        super().__init__(10)
        self.published: list = []
        self.closed = False

    async def publish(self, event) -> None:
        self.published.append(event)
        await super().publish(event)

    async def close(self) -> None:
        self.closed = True
        await super().close()


class PartnerPubSub:
    """A throwaway plugin offering its own pub/sub for every store."""

    def __init__(self) -> None:
        self.made: list[RecordingPubSub] = []

    @hookimpl
    def pubsub(self, settings, store):
        self.made.append(RecordingPubSub())
        return self.made[-1]


def test_the_pubsub_hook_supplies_the_pub_sub_events_go_through():
    plugin = PartnerPubSub()
    for gql in make_client(plugins=[plugin]):
        result = record(gql, name="Eva Svobodová")
        (pubsub,) = plugin.made
        assert gql.http.app.state.runtime.pubsub is pubsub
    kinds = [type(e).__name__ for e in pubsub.published]
    assert kinds == ["ActivityRecorded", "OpenListEntryAdded"]
    screen_pop = pubsub.published[0]
    assert screen_pop.outcome is Outcome.ADDED_TO_OPEN_LIST and result["outcome"] == "ADDED_TO_OPEN_LIST"
    assert screen_pop.entry is not None and screen_pop.entry.prefill.first_name == "Eva"
    assert pubsub.closed  # closed at shutdown


def test_the_memory_plugin_serves_any_store_no_other_plugin_claims():
    pm = plugin_manager()
    assert isinstance(build_pubsub(pm, Settings(), object()), InProcessPubSub)
    assert isinstance(build_pubsub(pm, Settings(), MongoStore(client=AsyncMongoMockClient())), ChangeStreamPubSub)


def test_no_pub_sub_or_a_wrong_one_stops_startup():
    pm = plugin_manager(entry_points=False)
    with pytest.raises(ConfigurationError, match="no plugin provides live events"):
        build_pubsub(pm, Settings(), object())

    class Wrong:
        @hookimpl
        def pubsub(self):
            return "not a pub/sub"

    pm.register(Wrong())
    with pytest.raises(ConfigurationError, match="does not implement service.pubsub.PubSub"):
        build_pubsub(pm, Settings(), object())


def test_both_built_in_pub_subs_implement_the_protocol():
    assert isinstance(InProcessPubSub(), PubSub)
    assert isinstance(ChangeStreamPubSub(AsyncMongoMockClient()["db"][COLLECTION]), PubSub)


# --- MongoDB change streams, through a stand-in ----------------------------------------------


class FakeChangeStream:
    """What ChangeStreamPubSub uses of PyMongo's AsyncChangeStream: `try_next()` (one getMore:
    a change, or None after an empty batch), `resume_token` (the last change's token, or the
    post-batch token after an empty batch: the newest change the stream has looked past),
    `alive` and `close()`. `fail(exc)` makes the next getMore raise `exc`."""

    def __init__(self, events: FakeEvents, start: int) -> None:
        self.events = events
        self.queue: asyncio.Queue = asyncio.Queue()
        self.resume_token = {"_data": start}
        self.alive = True
        self.closed = False

    def fail(self, exc: BaseException) -> None:
        self.queue.put_nowait(exc)

    async def try_next(self):
        try:
            item = await asyncio.wait_for(self.queue.get(), 0.01)
        except TimeoutError:
            if self.queue.empty():
                # An empty batch: everything inserted so far has been seen.
                self.resume_token = {"_data": len(self.events.changes) - 1}
                return None
            item = self.queue.get_nowait()  # it arrived as the wait ran out
        if isinstance(item, BaseException):
            self.closed = True  # what it would have delivered is lost with it
            raise item
        self.resume_token = item["_id"]
        return item

    async def close(self) -> None:
        self.closed = True


class FakeEvents:
    """The `events` collection as far as ChangeStreamPubSub uses it, shared by several
    "processes": inserts land in a mongomock collection and in every open change stream,
    each change with a resume token; `watch(start_after=...)` replays what came after it.
    `refuse` holds errors the next `watch` calls raise, one each."""

    def __init__(self, collection, *, standalone: bool = False) -> None:
        self.collection = collection
        self.standalone = standalone
        self.changes: list[dict] = []
        self.streams: list[FakeChangeStream] = []
        self.refuse: list[BaseException] = []
        self.watches: list = []
        self.oplog_starts = 0  # the first change the server still has

    def age(self, n: int) -> None:
        """n changes the streams' pipeline leaves out (TTL removals of old events), after
        which the oplog has forgotten everything before them."""
        for _ in range(n):
            self.changes.append({"_id": {"_data": len(self.changes)}, "operationType": "delete"})
        self.oplog_starts = len(self.changes) - 1

    async def insert_one(self, document: dict) -> None:
        await self.collection.insert_one(document)
        change = {"_id": {"_data": len(self.changes)}, "operationType": "insert", "fullDocument": dict(document)}
        self.changes.append(change)
        for stream in self.streams:
            if not stream.closed:
                stream.queue.put_nowait(change)

    async def create_index(self, *args, **kwargs):
        return await self.collection.create_index(*args, **kwargs)

    async def watch(self, pipeline, start_after=None, max_await_time_ms=None):
        self.watches.append(start_after)
        if self.standalone:
            raise OperationFailure("The $changeStream stage is only supported on replica sets", code=40573)
        if self.refuse:
            raise self.refuse.pop(0)
        if start_after is not None and start_after["_data"] < self.oplog_starts - 1:
            raise OperationFailure("Resume of change stream was not possible, as the resume point may no longer be in the oplog", code=286)
        stream = FakeChangeStream(self, len(self.changes) - 1)
        if start_after is not None:
            for change in self.changes[start_after["_data"] + 1 :]:
                if change["operationType"] == "insert":
                    stream.queue.put_nowait(change)
        self.streams.append(stream)
        return stream


def mongo_pair(**settings):
    collection = AsyncMongoMockClient()["cc"][COLLECTION]
    events = FakeEvents(collection)
    s = Settings(subscription_queue_size=settings.pop("queue", 100), **settings)
    return events, ChangeStreamPubSub(events, s), ChangeStreamPubSub(events, s)


def test_an_event_published_by_one_process_reaches_the_subscribers_of_another():
    async def main():
        events, process_a, process_b = mongo_pair()
        here = await process_a.subscribe()
        there = await process_b.subscribe(lambda e: e.activity.agent_id == "agent-1")
        await process_a.publish(recorded(1, "agent-2"))
        await process_a.publish(recorded(2, "agent-1"))
        assert [e.activity.id for e in await take(here, 2)] == ["a1", "a2"]
        (event,) = await take(there, 1)
        assert event == recorded(2, "agent-1")  # exactly as published
        stored = await events.collection.find_one({})
        assert stored["type"] == "ActivityRecorded" and isinstance(stored["at"], datetime)
        indexes = await events.collection.index_information()
        assert indexes["expire_events"]["expireAfterSeconds"] == 3600
        await process_a.close()
        await process_b.close()

    run(main())


def test_one_change_stream_per_process_however_many_subscribers():
    async def main():
        events, process, _ = mongo_pair()
        for _ in range(5):
            await process.subscribe()
        assert len(events.watches) == 1
        await process.close()

    run(main())


def test_a_standalone_server_refuses_subscriptions_with_a_reason():
    async def main():
        events = FakeEvents(AsyncMongoMockClient()["cc"][COLLECTION], standalone=True)
        pubsub = ChangeStreamPubSub(events)
        with pytest.raises(PubSubUnavailable, match="need a replica set or a sharded cluster"):
            await pubsub.subscribe()
        await pubsub.publish(recorded())  # publishing still works: other processes may watch

    run(main())


def test_a_client_without_change_streams_refuses_subscriptions_with_a_reason():
    async def main():
        pubsub = ChangeStreamPubSub(AsyncMongoMockClient()["cc"][COLLECTION])  # mongomock: no watch()
        with pytest.raises(PubSubUnavailable, match="change streams"):
            await pubsub.subscribe()

    run(main())


@pytest.fixture
def waits(monkeypatch) -> list[int]:
    """The failure counts the change stream's backoff was asked about, in order (no waiting)."""
    asked: list[int] = []

    def retry_wait(failures: int) -> float:
        asked.append(failures)
        return 0.001

    monkeypatch.setattr(MONGO_PUBSUB, "retry_wait", retry_wait)
    return asked


def test_a_broken_change_stream_resumes_where_it_left_off(waits):
    async def main():
        events, process_a, process_b = mongo_pair()
        subscription = await process_b.subscribe()
        await process_a.publish(recorded(1))
        assert [e.activity.id for e in await take(subscription, 1)] == ["a1"]
        events.streams[0].fail(AutoReconnect("primary stepped down"))
        await process_a.publish(recorded(2))  # the broken stream never delivers these...
        await process_a.publish(recorded(3))
        # ... and they come back through the resumed stream.
        assert [e.activity.id for e in await take(subscription, 2)] == ["a2", "a3"]
        assert events.watches[0] is None and events.watches[1] == {"_data": 0}
        await process_a.close()
        await process_b.close()

    run(main())


def test_a_stream_that_breaks_before_any_event_resumes_from_its_post_batch_token(waits):
    async def main():
        events, process_a, process_b = mongo_pair()
        await process_a.publish(recorded(0))  # before anyone watched: not for this subscriber
        subscription = await process_b.subscribe()
        await asyncio.sleep(0.05)  # a few empty batches: the token is the post-batch one
        # The primary steps down; the election outlasts server selection three times over,
        # and events are published meanwhile (by a process that already sees the new primary).
        events.refuse = [ServerSelectionTimeoutError("no primary")] * 3
        events.streams[0].fail(NotPrimaryError("not primary"))
        await process_a.publish(recorded(1))
        await process_a.publish(recorded(2))
        assert [e.activity.id for e in await take(subscription, 2)] == ["a1", "a2"]
        assert events.watches[1:] == [{"_data": 0}] * 4  # from the token, never from "now"
        assert waits[:4] == [0, 1, 2, 3]  # backing off while the election lasts
        await process_a.close()
        await process_b.close()

    run(main())


def test_a_quiet_spell_longer_than_the_oplog_window_loses_nothing(waits):
    async def main():
        events, process_a, process_b = mongo_pair()
        subscription = await process_b.subscribe()
        await process_a.publish(recorded(1))
        await take(subscription, 1)
        # Hours without a live event: only changes the stream leaves out, and the oplog
        # forgets the last event. The empty batches' token has moved on with them.
        events.age(50)
        await asyncio.sleep(0.05)
        events.streams[0].fail(AutoReconnect("connection reset"))
        await process_a.publish(recorded(2))
        assert [e.activity.id for e in await take(subscription, 1)] == ["a2"]  # not EVENTS_LOST
        assert events.watches[-1] == {"_data": 50}
        await process_a.close()
        await process_b.close()

    run(main())


def test_the_backoff_starts_again_once_the_reopened_stream_answers(waits):
    async def main():
        events, process_a, process_b = mongo_pair()
        subscription = await process_b.subscribe()
        events.refuse = [AutoReconnect("connection closed")] * 2
        events.streams[0].fail(AutoReconnect("connection closed"))
        await process_a.publish(recorded(1))
        await take(subscription, 1)
        assert waits == [0, 1, 2]
        events.streams[-1].fail(AutoReconnect("connection closed again"))
        await process_a.publish(recorded(2))
        await take(subscription, 1)
        assert waits == [0, 1, 2, 0]  # the counter was reset by the answered round trip
        await process_a.close()
        await process_b.close()

    run(main())


def test_a_mongos_read_preference_error_while_a_shard_elects_loses_nothing(waits):
    async def main():
        events, process_a, process_b = mongo_pair()
        subscription = await process_b.subscribe()
        await process_a.publish(recorded(1))
        await take(subscription, 1)
        events.refuse = [OperationFailure("Could not find host matching read preference", code=133)]
        events.streams[0].fail(OperationFailure("Encountered non-retryable error during query", code=133))
        await process_a.publish(recorded(2))
        assert [e.activity.id for e in await take(subscription, 1)] == ["a2"]  # not ended
        assert events.watches[1:] == [{"_data": 0}, {"_data": 0}]
        await process_a.close()
        await process_b.close()

    run(main())


@pytest.mark.parametrize(
    "where, error",
    [
        ("getMore", OperationFailure("Resume of change stream was not possible", code=286)),
        ("reopen", OperationFailure("Resume of change stream was not possible", code=286)),
        ("reopen", OperationFailure("change stream fatal error", code=280)),
        ("reopen", OperationFailure("the resume token is not valid", code=260)),
    ],
)
def test_subscribers_are_told_when_events_were_lost_and_new_ones_are_served(waits, where, error, caplog):
    async def main():
        events, process_a, process_b = mongo_pair()
        subscription = await process_b.subscribe()
        other = await process_b.subscribe()
        await process_a.publish(recorded(1))
        await take(subscription, 1)
        if where == "reopen":
            events.refuse = [AutoReconnect("connection closed"), error]
            events.streams[0].fail(AutoReconnect("connection closed"))
        else:
            events.streams[0].fail(error)
        with pytest.raises(EventsLost):
            await take(subscription, 1)
        with pytest.raises(EventsLost):
            await take(other, 1)
        again = await process_b.subscribe()  # waits for the stream to watch again, from now
        assert events.watches[-1] is None
        await process_a.publish(recorded(2))
        assert [e.activity.id for e in await take(again, 1)] == ["a2"]
        await process_a.close()
        await process_b.close()

    run(main())
    assert "ending 2 subscriptions with EVENTS_LOST" in caplog.text


def test_history_lost_is_told_apart_from_transient_errors():
    lost = [OperationFailure("x", code=286), OperationFailure("x", code=280), OperationFailure("x", code=260)]
    transient = [
        AutoReconnect("x"),
        NotPrimaryError("x"),
        ServerSelectionTimeoutError("x"),
        OperationFailure("x", code=133),
        OperationFailure("x", code=189),
        OperationFailure("x", code=286, details={"errorLabels": ["ResumableChangeStreamError"]}),
        PubSubUnavailable("x"),
    ]
    assert [MONGO_PUBSUB.history_lost(e) for e in lost] == [True] * 3
    assert [MONGO_PUBSUB.history_lost(e) for e in transient] == [False] * len(transient)
    labelled = OperationFailure("x", code=1, details={"errorLabels": ["NonResumableChangeStreamError"]})
    assert MONGO_PUBSUB.history_lost(labelled)


def test_a_transient_error_opening_the_first_stream_refuses_the_subscription_with_a_reason():
    async def main():
        events, process, _ = mongo_pair()
        events.refuse = [OperationFailure("Could not find host matching read preference", code=133)]
        with pytest.raises(PubSubUnavailable, match="cannot open the live events change stream"):
            await process.subscribe()
        assert (await process.subscribe()).pending == 0  # the next attempt opens it
        await process.close()

    run(main())


class FakeChangeStreams:
    """A throwaway plugin: live events through ChangeStreamPubSub over FakeEvents."""

    events: FakeEvents

    @hookimpl
    def pubsub(self, settings, store):
        self.events = FakeEvents(AsyncMongoMockClient()["cc"][COLLECTION])
        return ChangeStreamPubSub(self.events, settings)


SCREEN_POP = "subscription { activityRecorded { activity { id } } }"


def test_a_client_hears_events_lost_in_its_language_and_can_subscribe_again(monkeypatch):
    monkeypatch.setattr(MONGO_PUBSUB, "retry_wait", lambda failures: 0.001)
    plugin = FakeChangeStreams()
    with TestClient(create_app(Settings(), extra_plugins=[plugin])) as client:
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"], headers={"Accept-Language": "de"}) as ws:
            ws.send_json({"type": "connection_init", "payload": {}})
            assert ws.receive_json() == {"type": "connection_ack"}
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SCREEN_POP}})
            ws.send_json({"type": "ping"})
            assert ws.receive_json() == {"type": "pong"}
            first = record_over_http(client)
            assert ws.receive_json()["payload"]["data"]["activityRecorded"]["activity"]["id"] == first
            # The server no longer has the stream's place in its oplog.
            client.portal.call(plugin.events.streams[0].fail, OperationFailure("history lost", code=286))
            message = ws.receive_json()
            assert message["type"] == "next" and message["payload"]["data"] is None
            (error,) = message["payload"]["errors"]
            assert error["extensions"]["code"] == "EVENTS_LOST"
            assert error["message"].startswith("Live-Aktualisierungen wurden unterbrochen")
            assert ws.receive_json() == {"id": "1", "type": "complete"}
            ws.send_json({"id": "2", "type": "subscribe", "payload": {"query": SCREEN_POP}})
            ws.send_json({"type": "ping"})
            assert ws.receive_json() == {"type": "pong"}
            second = record_over_http(client)
            message = ws.receive_json()
            assert message["id"] == "2" and message["payload"]["data"]["activityRecorded"]["activity"]["id"] == second


def record_over_http(client: TestClient) -> str:
    variables = {"input": {"channel": "CALL", "sender": {"name": "Eva Svobodová"}, "agentId": "agent-1"}}
    body = client.post("/graphql", json={"query": RECORD, "variables": variables}).json()
    return body["data"]["recordActivity"]["activity"]["id"]


def test_a_document_the_service_cannot_read_is_skipped(caplog):
    async def main():
        events, process_a, process_b = mongo_pair()
        subscription = await process_b.subscribe()
        await events.insert_one({"type": "FromTheFuture", "body": '{"type": "FromTheFuture", "event": {}}'})
        await process_a.publish(recorded(1))
        assert [e.activity.id for e in await take(subscription, 1)] == ["a1"]
        await process_a.close()
        await process_b.close()

    run(main())
    assert "skipped an event the service cannot read (type 'FromTheFuture')" in caplog.text


# --- MongoDB change streams, for real ---------------------------------------------------------

REAL_URL = os.environ.get("CUSTOMER_CONTEXT_TEST_MONGODB_URL", "")


@pytest.mark.skipif(
    not REAL_URL,
    reason="needs a MongoDB replica set: set CUSTOMER_CONTEXT_TEST_MONGODB_URL to run against a real server",
)
def test_change_streams_carry_events_between_processes_on_a_real_server():
    async def main():
        from pymongo import AsyncMongoClient

        name = f"cc_test_{uuid.uuid4().hex[:12]}"
        clients = [AsyncMongoClient(REAL_URL, serverSelectionTimeoutMS=5000) for _ in range(2)]
        try:
            settings = Settings(subscription_queue_size=10, mongodb_events_ttl_seconds=60)
            process_a, process_b = (ChangeStreamPubSub(c[name][COLLECTION], settings) for c in clients)
            try:
                subscription = await process_b.subscribe(lambda e: e.activity.agent_id == "agent-1")
            except PubSubUnavailable as exc:
                pytest.skip(f"CUSTOMER_CONTEXT_TEST_MONGODB_URL is not a replica set: {exc}")
            await process_a.publish(recorded(1, "agent-2"))
            await process_a.publish(recorded(2, "agent-1"))
            (event,) = await take(subscription, 1)
            assert event == recorded(2, "agent-1")
            indexes = await clients[0][name][COLLECTION].index_information()
            assert indexes["expire_events"]["expireAfterSeconds"] == 60
            await process_a.close()
            await process_b.close()
        finally:
            await clients[0].drop_database(name)
            for client in clients:
                await client.close()

    run(main())
