"""The mongo backend against a real MongoDB, run only when CUSTOMER_CONTEXT_TEST_MONGODB_URL
names one (docs/storage-backends.md, "Testing against a real replica set or sharded
cluster"): what mongomock-motor cannot show.

- Fault injection with `configureFailPoint` (the server needs `--setParameter
  enableTestCommands=1`): a change stream's getMore failing with a closed connection, with
  error 286 (history lost), and a primary stepping down (`replSetStepDown`); events
  published during the outage still arrive, or the subscribers are told EVENTS_LOST.
- Query plans with `explain("executionStats")` on 100,000 documents: every list is an index
  scan, never an in-memory sort, and a page deep in a list examines about as many keys as
  the page holds; fuzzy matching reads a bounded part of a block; counts stop at the limit.
- What the double cannot encode: BSON, timeoutMS, commitQuorum.

Each test gets a database of its own (`cc_test_…`), dropped afterwards. The storage
conformance suite runs against the same server from test_mongo.py.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from plugins.mongo import ChangeStreamPubSub, MongoStore
from plugins.mongo.codec import customer_document, record_document
from plugins.mongo.pubsub import COLLECTION
from service.conformance import T0, activity, customer
from service.domain.identity import Identity
from service.domain.name_keys import blocking_keys
from service.events import ActivityRecorded
from service.domain.association import Outcome
from service.pubsub import EventsLost, PubSubUnavailable
from service.settings import Settings

REAL_URL = os.environ.get("CUSTOMER_CONTEXT_TEST_MONGODB_URL", "")
pytestmark = pytest.mark.skipif(
    not REAL_URL, reason="needs a MongoDB server: set CUSTOMER_CONTEXT_TEST_MONGODB_URL to run against a real server"
)

#: Documents for the query plan checks.
MANY = 100_000
PAGE = 20


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def database() -> Iterator[str]:
    name = f"cc_test_{uuid.uuid4().hex[:12]}"
    yield name
    from pymongo import MongoClient

    with MongoClient(REAL_URL, serverSelectionTimeoutMS=5000) as client:
        client.drop_database(name)


def settings(database: str, **more: Any) -> Settings:
    return Settings(mongodb_url=REAL_URL, mongodb_database=database, **more)


# --- fault injection ----------------------------------------------------------------------


async def fail_point(client: Any, mode: Any, data: dict[str, Any] | None = None) -> None:
    """configureFailPoint failCommand; skips the test when the server does not allow it."""
    from pymongo.errors import OperationFailure

    command: dict[str, Any] = {"configureFailPoint": "failCommand", "mode": mode}
    if data is not None:
        command["data"] = data
    try:
        await client.admin.command(command)
    except OperationFailure as exc:
        pytest.skip(f"the server does not allow configureFailPoint (start it with enableTestCommands=1): {exc}")


def recorded(n: int) -> ActivityRecorded:
    return ActivityRecorded(activity(n), "suite", Outcome.ADDED_TO_OPEN_LIST)


async def two_processes(database: str):
    from pymongo import AsyncMongoClient

    clients = [AsyncMongoClient(REAL_URL, serverSelectionTimeoutMS=5000) for _ in range(2)]
    s = Settings(subscription_queue_size=100, mongodb_events_ttl_seconds=600)
    a, b = (ChangeStreamPubSub(c[database][COLLECTION], s) for c in clients)
    try:
        subscription = await b.subscribe()
    except PubSubUnavailable as exc:
        pytest.skip(f"CUSTOMER_CONTEXT_TEST_MONGODB_URL is not a replica set: {exc}")
    return clients, a, b, subscription


async def ids_within(subscription: Any, n: int, seconds: float) -> list[str]:
    return [(await asyncio.wait_for(subscription.__anext__(), seconds)).activity.id for _ in range(n)]


@pytest.mark.parametrize("times", [1, 3])
def test_a_getmore_on_a_closed_connection_loses_no_event(database, times):
    """Once: the driver resumes by itself; three times: the service's own reopen does."""

    async def main():
        clients, a, b, subscription = await two_processes(database)
        try:
            await a.publish(recorded(1))
            assert await ids_within(subscription, 1, 30) == ["act00001"]
            await fail_point(clients[1], {"times": times}, {"failCommands": ["getMore"], "closeConnection": True})
            for n in (2, 3, 4):
                await a.publish(recorded(n))
            assert await ids_within(subscription, 3, 60) == ["act00002", "act00003", "act00004"]
        finally:
            await fail_point(clients[1], "off")
            await a.close()
            await b.close()
            for c in clients:
                await c.close()

    run(main())


def test_history_lost_on_a_getmore_tells_the_subscribers(database):
    async def main():
        clients, a, b, subscription = await two_processes(database)
        try:
            await a.publish(recorded(1))
            assert await ids_within(subscription, 1, 30) == ["act00001"]
            await fail_point(clients[1], {"times": 1}, {"failCommands": ["getMore"], "errorCode": 286})
            with pytest.raises(EventsLost):
                await asyncio.wait_for(subscription.__anext__(), 60)
            again = await b.subscribe()  # watching again, from now
            await a.publish(recorded(2))
            assert await ids_within(again, 1, 30) == ["act00002"]
        finally:
            await fail_point(clients[1], "off")
            await a.close()
            await b.close()
            for c in clients:
                await c.close()

    run(main())


def test_a_stepdown_loses_no_event_or_says_so(database):
    from pymongo.errors import OperationFailure, PyMongoError

    async def main():
        clients, a, b, subscription = await two_processes(database)
        try:
            await a.publish(recorded(1))
            assert await ids_within(subscription, 1, 30) == ["act00001"]
            try:
                await clients[0].admin.command({"replSetStepDown": 10, "force": True})
            except OperationFailure as exc:
                pytest.skip(f"the server refused replSetStepDown: {exc}")
            except PyMongoError:
                pass  # the connection closing under the command is the step-down itself
            published = []
            for n in (2, 3, 4):
                for _attempt in range(60):  # until a new primary takes writes
                    try:
                        await a.publish(recorded(n))
                        published.append(f"act{n:05d}")
                        break
                    except PyMongoError:
                        await asyncio.sleep(0.5)
            try:
                assert await ids_within(subscription, len(published), 90) == published
            except EventsLost:
                pass  # told, never silent: the other acceptable outcome
        finally:
            await a.close()
            await b.close()
            for c in clients:
                await c.close()

    run(main())


# --- query plans on 100,000 documents ------------------------------------------------------


def stages(plan: Any) -> list[str]:
    """Every stage name in an explain plan (classic, SBE `queryPlan` or sharded `shards`)."""
    found: list[str] = []
    if isinstance(plan, dict):
        if isinstance(plan.get("stage"), str):
            found.append(plan["stage"])
        for value in plan.values():
            found += stages(value)
    elif isinstance(plan, list):
        for value in plan:
            found += stages(value)
    return found


class Captured:
    """Keeps the last find() the store made on a collection, to explain the same query."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection
        self.last: dict[str, Any] = {}
        self.finds: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)

    def find(self, *args: Any, **kwargs: Any) -> Any:
        self.last = {"args": args, "kwargs": kwargs}
        self.finds.append(self.last)
        cursor = self._collection.find(*args, **kwargs)
        outer = self

        class Chain:
            def sort(self, order):
                outer.last["sort"] = order
                nonlocal cursor
                cursor = cursor.sort(order)
                return self

            def limit(self, n):
                outer.last["limit"] = n
                nonlocal cursor
                cursor = cursor.limit(n)
                return self

            async def to_list(self, length=None):
                return await cursor.to_list(length)

        return Chain()

    async def explain_last(self, find: dict[str, Any] | None = None) -> dict[str, Any]:
        """explain() of the last find (or of `find`, one of `finds`), run again as it was."""
        find = find or self.last
        cursor = self._collection.find(*find["args"], **find["kwargs"])
        if "sort" in find:
            cursor = cursor.sort(find["sort"])
        if "limit" in find:
            cursor = cursor.limit(find["limit"])
        return await cursor.explain()


@pytest.fixture(scope="module")
def populated():
    """A database with MANY customers and MANY activities, migrated; dropped afterwards."""
    if not REAL_URL:
        pytest.skip("needs a MongoDB server")
    name = f"cc_test_{uuid.uuid4().hex[:12]}"

    async def fill():
        store = MongoStore(settings(name))
        await store.migrate()
        names = ["Novák", "Svoboda", "Dvořák", "Černý", "Procházka", "Kučera", "Veselý", "Horák"]
        for start in range(0, MANY, 10_000):
            await store._customers.insert_many(
                [customer_document(customer(i, last_name=names[i % len(names)] + f" {i:06d}")) for i in range(start, start + 10_000)]
            )
            await store._activities.insert_many(
                [
                    record_document(activity(i, customer_id=f"cust{i % 500:05d}" if i % 3 else None, occurred=i))
                    for i in range(start, start + 10_000)
                ]
            )
        await store.close()

    run(fill())
    yield name
    from pymongo import MongoClient

    with MongoClient(REAL_URL, serverSelectionTimeoutMS=5000) as client:
        client.drop_database(name)


async def deep_page(store: MongoStore, collection_attr: str, call) -> tuple[dict[str, Any], Any]:
    """Page to about 90 % of a list (cursor of its 90,000th item), then explain that page."""
    captured = Captured(getattr(store, collection_attr))
    setattr(store, collection_attr, captured)
    page = await call(None, PAGE)
    far = await call(None, int(MANY * 0.9))  # one long page, for a deep cursor
    cursor = far.items[-1][0]
    page = await call(cursor, PAGE)
    assert len(page.items) == PAGE
    return await captured.explain_last(), page


def assert_index_only_walk(explained: dict[str, Any], page_size: int) -> None:
    names = stages(explained.get("queryPlanner", {}).get("winningPlan", {}))
    assert "IXSCAN" in names, names
    assert "SORT" not in names and "COLLSCAN" not in names, names  # no in-memory sort, no scan
    stats = explained["executionStats"]
    # A keyset page reads its own entries (and the bound's few ties), not the 90,000 before it.
    assert stats["totalKeysExamined"] <= 3 * (page_size + 1) + 10, stats["totalKeysExamined"]
    assert stats["totalDocsExamined"] <= 2 * (page_size + 1) + 10, stats["totalDocsExamined"]


def test_a_deep_customer_page_walks_the_sort_index_from_the_cursor(populated):
    async def main():
        store = MongoStore(settings(populated))
        await store.open()
        explained, _ = await deep_page(store, "_customers", lambda after, n: store.search_customers([], first=n, after=after))
        assert_index_only_walk(explained, PAGE)
        await store.close()

    run(main())


@pytest.mark.parametrize("customer_id, unassociated", [(None, None), ("cust00007", None), (None, True)])
def test_a_deep_activity_page_newest_first_walks_its_index_backwards(populated, customer_id, unassociated):
    async def main():
        store = MongoStore(settings(populated))
        await store.open()
        call = lambda after, n: store.list_activities(customer_id=customer_id, unassociated=unassociated, first=n, after=after)  # noqa: E731
        captured = Captured(store._activities)
        store._activities = captured
        first = await call(None, PAGE)
        # Deep in the list: a cursor with one page left after it.
        deep = (first.total_count if first.total_count_exact else int(MANY * 0.9)) - 2 * PAGE
        assert deep > 0, first.total_count
        middle = await call(first.items[-1][0], deep)
        page = await call(middle.items[-1][0], PAGE)
        assert page.items
        assert_index_only_walk(await captured.explain_last(), PAGE)
        await store.close()

    run(main())


def test_counts_stop_at_the_limit_and_unfiltered_ones_read_metadata(populated):
    async def main():
        store = MongoStore(settings(populated))
        await store.open()
        everyone = await store.search_customers([], first=1, after=None)
        assert (everyone.total_count, everyone.total_count_exact) == (MANY, False)  # estimatedDocumentCount
        novak = await store.search_customers(["novak"], first=1, after=None)  # 12,500 of them
        assert (novak.total_count, novak.total_count_exact) == (store.exact_count_limit, False)
        one = await store.list_activities(customer_id="cust00007", unassociated=None, first=1, after=None)
        assert one.total_count_exact and one.total_count == len(
            [i for i in range(MANY) if i % 3 and i % 500 == 7]
        )
        await store.close()

    run(main())


def test_fuzzy_candidates_read_a_bounded_part_of_each_block_from_the_index(populated):
    async def main():
        store = MongoStore(settings(populated))
        await store.open()
        captured = Captured(store._customers)
        store._customers = captured
        # A caller named like one of the 100,000: its blocks hold about 1,400 customers each.
        keys = sorted(blocking_keys(Identity.of_customer(customer(8, last_name="Novák 000008"))))
        found = await store.find_customers_by_blocking_keys(keys, limit=10)
        assert found and found[0].id == "cust00008"  # shares every key
        block_reads = [f for f in captured.finds if "_blocking" in f["args"][0]]
        assert len(block_reads) == len(keys)
        for read in block_reads:
            explained = await captured.explain_last(read)
            names = stages(explained["queryPlanner"]["winningPlan"])
            assert "IXSCAN" in names and "SORT" not in names and "COLLSCAN" not in names, names
            assert explained["executionStats"]["totalKeysExamined"] <= store.block_read_limit + 1
        await store.close()

    run(main())


# --- what only a real server does --------------------------------------------------------


def test_an_operation_past_the_requests_time_is_stopped(database):
    from service import storage
    from service.storage import StoreUnavailable

    async def main():
        store = MongoStore(settings(database))
        await store.open()
        await store.insert_customer(customer(1))
        token = storage.request_deadline.set(asyncio.get_running_loop().time() - 1)  # already over
        try:
            with pytest.raises(StoreUnavailable, match="did not finish within"):
                await store.get_customers(["cust00001"])
        finally:
            storage.request_deadline.reset(token)
        assert (await store.get_customers(["cust00001"]))[0] is not None
        await store.close()

    run(main())


def test_migrate_builds_with_a_commit_quorum_and_refuses_nothing(database):
    async def main():
        store = MongoStore(settings(database, mongodb_commit_quorum="majority", mongodb_index_build_timeout_seconds=300))
        report = await store.migrate()
        assert report.layout["layout"] >= 3
        await store.open()
        await store.close()

    run(main())


def test_times_survive_bson_to_the_microsecond(database):
    async def main():
        store = MongoStore(settings(database))
        await store.open()
        precise = customer(1)
        precise = type(precise)(**{**{f: getattr(precise, f) for f in precise.__dataclass_fields__}, "updated_at": T0 + timedelta(microseconds=123456)})
        await store.insert_customer(precise)
        assert (await store.get_customers([precise.id]))[0] == precise
        await store.close()

    run(main())
