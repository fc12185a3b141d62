"""The HTTP layer tells the store how long a request has left (service.storage.request_deadline),
so a backend can give up on a store call when its client has (the mongo backend's
pymongo.timeout()): for queries run in the request's own task, the common known ones; never for
mutations, which are left to finish after a timeout (cancelling between two writes could leave
half of one done)."""

from __future__ import annotations

from plugins.memory import MemoryStore
from service import storage
from service.hookspecs import hookimpl
from service.plugins import StorageBackend
from service.settings import Settings

from .helpers import make_client

SEARCH = "query Find($q: String!) { customers(search: $q) { totalCount } }"
CREATE = """mutation Create($input: CustomerInput!) {
  createCustomer(input: $input) { __typename } }"""


class SeenBackend:
    """A throwaway backend "seen": the memory store noting the time left at each call."""

    def __init__(self) -> None:
        self.remaining: list[float | None] = []
        remaining = self.remaining

        class SeenStore(MemoryStore):
            async def search_customers(self, tokens, *, first, after):
                remaining.append(storage.remaining_seconds())
                return await super().search_customers(tokens, first=first, after=after)

            async def insert_customer(self, customer):
                remaining.append(storage.remaining_seconds())
                return await super().insert_customer(customer)

        self.store_class = SeenStore

    @hookimpl
    def storage_backends(self):
        return [StorageBackend("seen", self.store_class, "test double")]


def test_a_known_query_tells_the_store_its_time_left_and_a_mutation_does_not():
    plugin = SeenBackend()
    for gql in make_client(Settings(backend="seen", request_timeout_seconds=7.0), plugins=[plugin]):
        for _ in range(3):  # the first request parses the document; later ones run it known
            assert gql(SEARCH, {"q": "novak"})["customers"]["totalCount"] == 0
        known = plugin.remaining[-1]
        assert known is not None and 0 < known <= 7.0
        plugin.remaining.clear()
        gql(CREATE, {"input": {"firstName": "Jana", "lastName": "Nováková"}})
        gql(CREATE, {"input": {"firstName": "Eva", "lastName": "Dvořáková"}})
        assert plugin.remaining == [None, None]
    assert storage.request_deadline.get() is None  # nothing leaks out of a request
