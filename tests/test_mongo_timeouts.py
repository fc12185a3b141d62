"""Every mongo backend call is bounded in time, by what is left of the request
(service.storage.request_deadline) or else by --request-timeout-seconds, and a renamed
customer's contacts are re-keyed with retryable writes that resume after an interruption.
On mongomock-motor, with collections that record or fail."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from mongomock_motor import AsyncMongoMockClient
from pymongo import _csot  # private: the timeout pymongo.timeout() set, read by the double below
from pymongo.errors import AutoReconnect, ExecutionTimeout

from plugins.mongo import MongoStore
from plugins.mongo.contacts import PENDING
from service import storage
from service.conformance import contact, customer
from service.domain.contact_directory import ContactQuery, ContactSort
from service.settings import Settings
from service.storage import StoreUnavailable


def run(coro):
    return asyncio.run(coro)


class Watched:
    """A collection that notes the time bound in force at each call, and can fail the
    n-th call of one method with an error."""

    def __init__(self, collection) -> None:
        self._collection = collection
        self.bounds: list[float | None] = []
        self.calls: dict[str, int] = {}
        self.fail: dict[str, tuple[int, BaseException]] = {}

    def __getattr__(self, name):
        target = getattr(self._collection, name)
        if not callable(target) or name.startswith("_"):
            return target

        def call(*args, **kwargs):
            self.bounds.append(_csot.get_timeout())
            self.calls[name] = self.calls.get(name, 0) + 1
            when = self.fail.get(name)
            if when is not None and self.calls[name] >= when[0]:
                raise when[1]
            return target(*args, **kwargs)

        return call


async def opened(**settings) -> MongoStore:
    store = MongoStore(Settings(**settings), client=AsyncMongoMockClient())
    await store.open()
    return store


def test_each_call_gets_what_is_left_of_the_request():
    async def main():
        store = await opened(request_timeout_seconds=7)
        watched = store._customers = Watched(store._customers)
        await store.get_customers(["x"])
        assert watched.bounds[-1] == 7  # no request: the request limit itself
        token = storage.request_deadline.set(asyncio.get_running_loop().time() + 2.5)
        try:
            await store.get_customers(["x"])
            assert 2.0 < watched.bounds[-1] <= 2.5
        finally:
            storage.request_deadline.reset(token)
        token = storage.request_deadline.set(asyncio.get_running_loop().time() - 1)  # already over
        try:
            await store.get_customers(["x"])
            assert 0 < watched.bounds[-1] <= 0.001  # the least bound, never "no limit" (0)
        finally:
            storage.request_deadline.reset(token)
        await store.close()

    run(main())


def test_a_call_that_runs_out_of_time_is_store_unavailable_naming_the_bound():
    async def main():
        store = await opened(request_timeout_seconds=3)
        watched = store._customers = Watched(store._customers)
        watched.fail["find"] = (1, ExecutionTimeout("operation exceeded time limit", 50))
        with pytest.raises(StoreUnavailable, match="did not finish within 3000 ms"):
            await store.get_customers(["x"])
        await store.close()

    run(main())


def test_the_client_bounds_every_operation():
    store = MongoStore(Settings(mongodb_url="mongodb://127.0.0.1:1", request_timeout_seconds=12))
    assert store.client.options.timeout == 12  # timeoutMS: change streams and migrations too
    run(store.close())


def test_a_rename_interrupted_half_way_is_finished_by_the_next_write_and_by_migrate():
    async def main():
        store = await opened()
        acme = customer(1, first_name=None, last_name=None, organization_name="Acme")
        await store.insert_customer(acme)
        for i in range(6):
            await store.insert_contact(contact(i, acme.id))
        watched = store._contacts = Watched(store._contacts)
        # A failover the driver's one retry does not ride out, at the fourth contact.
        watched.fail["update_one"] = (4, AutoReconnect("primary stepped down"))
        renamed = replace(acme, version=2, organization_name="Zeta")
        await store.update_customer(renamed, 1)  # the customer is written: the change succeeded
        assert (await store.get_customers([acme.id]))[0].organization_name == "Zeta"
        assert watched.calls.get("update_many", 0) == 0  # never a non-retryable multi-document write
        assert PENDING in await store._customers.find_one({"_id": acme.id})
        keys = [d["_cv"] for d in await store._contacts.find({"customer_id": acme.id}).to_list(None)]
        assert sorted(keys) == [1, 1, 1, 2, 2, 2]  # half-way

        del watched.fail["update_one"]
        report = await store.migrate()
        assert report.renames_resumed == 1
        assert [d["_cv"] for d in await store._contacts.find({"customer_id": acme.id}).to_list(None)] == [2] * 6
        assert PENDING not in await store._customers.find_one({"_id": acme.id})
        assert (await store.migrate()).renames_resumed == 0  # nothing left: idempotent
        page = await store.search_contacts(ContactQuery(order=ContactSort.CUSTOMER), first=10, after=None)
        assert {c.customer_id for _, c in page.items} == {acme.id} and page.total_count == 6
        await store.close()

    run(main())


def test_the_next_write_of_the_customer_finishes_a_rename_left_half_way():
    async def main():
        store = await opened()
        acme = customer(1, first_name=None, last_name=None, organization_name="Acme")
        await store.insert_customer(acme)
        for i in range(3):
            await store.insert_contact(contact(i, acme.id))
        watched = store._contacts = Watched(store._contacts)
        watched.fail["update_one"] = (2, AutoReconnect("connection reset"))
        await store.update_customer(replace(acme, version=2, organization_name="Zeta"), 1)
        del watched.fail["update_one"]
        # A change that is not a rename still carries the mark and finishes the re-keying.
        await store.update_customer(replace(acme, version=3, organization_name="Zeta", external_id="crm-7"), 2)
        assert [d["_cv"] for d in await store._contacts.find({"customer_id": acme.id}).to_list(None)] == [3] * 3
        assert PENDING not in await store._customers.find_one({"_id": acme.id})
        await store.close()

    run(main())
