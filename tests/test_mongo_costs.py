"""What a mongo backend request costs stays bounded as the data grows (on mongomock-motor;
the query plans themselves are checked against a real server in test_mongo_real.py):
counts are exact up to a limit and say so beyond it (totalCountIsExact), keyset pages bound
their leading sort field, fuzzy matching reads a bounded part of each block."""

from __future__ import annotations

import asyncio

import pytest
from mongomock_motor import AsyncMongoMockClient

from plugins.mongo import MongoStore
from plugins.mongo.codec import keyset
from service.domain.identity import Identity
from service.domain.name_keys import blocking_keys
from service.domain.records import Customer
from service.conformance import customer
from service.hookspecs import hookimpl
from service.settings import Settings
from service.storage import StorageBackend

from .helpers import GraphQLClient, create_customer, make_client


class SmallCountMongo:
    """Backend "mongo-small": the mongo store on mongomock-motor counting exactly up to 3."""

    @hookimpl
    def storage_backends(self):
        def make(settings):
            store = MongoStore(settings, client=AsyncMongoMockClient())
            store.exact_count_limit = 3
            return store

        return [StorageBackend("mongo-small", make, "test double")]


@pytest.fixture
def gql():
    yield from make_client(Settings(backend="mongo-small"), plugins=[SmallCountMongo()])


CUSTOMERS = """query Customers($q: String) { customers(search: $q, first: 1) { totalCount totalCountIsExact edges { node { id } } } }"""


def test_a_long_list_says_its_count_is_an_estimate(gql: GraphQLClient):
    for name in ["Novák", "Nováková", "Novotný", "Novák", "Dvořák"]:
        create_customer(gql, lastName=name)
    # Unfiltered: the collection's size from its metadata, no scan.
    assert gql(CUSTOMERS, {"q": None})["customers"] | {"edges": None} == {"totalCount": 5, "totalCountIsExact": False, "edges": None}
    # Filtered, more matches than the limit: counting stops at it.
    assert gql(CUSTOMERS, {"q": "nov"})["customers"]["totalCount"] == 3
    assert gql(CUSTOMERS, {"q": "nov"})["customers"]["totalCountIsExact"] is False
    # Up to the limit: exact (Novák twice, Nováková).
    small = gql(CUSTOMERS, {"q": "novák"})["customers"]
    assert (small["totalCount"], small["totalCountIsExact"]) == (3, True)
    assert gql(CUSTOMERS, {"q": "dvorak"})["customers"]["totalCountIsExact"] is True


def test_the_memory_store_counts_exactly():
    for gql in make_client(Settings()):
        for name in ["Novák", "Nováková", "Novotný", "Novák"]:
            create_customer(gql, lastName=name)
        assert gql(CUSTOMERS, {"q": None})["customers"] | {"edges": None} == {"totalCount": 4, "totalCountIsExact": True, "edges": None}


def test_keyset_pages_bound_their_leading_sort_field():
    after = keyset(["_sort"], ["novak", "cust1"], descending=False)
    assert after == {
        "$and": [
            {"_sort": {"$gte": "novak"}},
            {"$or": [{"_sort": {"$gt": "novak"}}, {"_sort": "novak", "_id": {"$gt": "cust1"}}]},
        ]
    }
    before = keyset(["occurred_at"], ["2026-11-25", "act9"], descending=True)
    assert before["$and"][0] == {"occurred_at": {"$lte": "2026-11-25"}}
    assert keyset([], ["x"], descending=False) == {"_id": {"$gt": "x"}}


class CountingFinds:
    """A customers collection that keeps how many documents each find returned."""

    def __init__(self, collection) -> None:
        self._collection = collection
        self.returned: list[int] = []

    def __getattr__(self, name):
        return getattr(self._collection, name)

    def find(self, *args, **kwargs):
        outer = self
        cursor = self._collection.find(*args, **kwargs)

        class Counted:
            def sort(self, *a, **k):
                nonlocal cursor
                cursor = cursor.sort(*a, **k)
                return self

            def limit(self, n):
                nonlocal cursor
                cursor = cursor.limit(n)
                return self

            async def to_list(self, length=None):
                docs = await cursor.to_list(length)
                outer.returned.append(len(docs))
                return docs

        return Counted()


def test_fuzzy_candidates_read_a_bounded_part_of_each_block_likeliest_first():
    async def main():
        store = MongoStore(Settings(), client=AsyncMongoMockClient())
        await store.open()
        store.block_read_limit = 4
        for i in range(10):  # one common name: a block of 10
            await store.insert_customer(customer(i, first_name="Jan", last_name="Novák"))
        await store.insert_customer(customer(99, first_name="Jana", last_name="Novák"))
        counting = store._customers = CountingFinds(store._customers)
        keys = sorted(blocking_keys(Identity("Jan", "Novák")))
        found = await store.find_customers_by_blocking_keys(keys, limit=3)
        assert counting.returned and max(counting.returned) <= 4  # never a whole block
        assert len(found) == 3 and all(isinstance(c, Customer) for c in found)
        # The likeliest first: sharing every key, by id, within the part read.
        assert [c.id for c in found] == ["cust00000", "cust00001", "cust00002"]
        store.block_read_limit = 1000
        everyone = await store.find_customers_by_blocking_keys(keys, limit=20)
        assert {c.id for c in everyone} >= {f"cust{i:05d}" for i in range(10)}
        await store.close()

    asyncio.run(main())
