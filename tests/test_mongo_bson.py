"""What a real server does that mongomock-motor does not: encode every filter and document
as BSON, whose UTF-8 refuses a lone surrogate (JSON's "\\ud800" escape spells one). A
crafted cursor or search word holding one is refused as not a cursor (INVALID_VALUE on
`after`) or finds nothing, never an INTERNAL_ERROR, on a double that encodes like the server."""

from __future__ import annotations

import base64
import json
from typing import Any

import bson
import pytest
from mongomock_motor import AsyncMongoMockClient

from plugins.mongo import MongoStore
from service.hookspecs import hookimpl
from service.settings import Settings
from service.storage import StorageBackend

from .helpers import GraphQLClient, create_customer, make_client


def encoded(value: Any) -> Any:
    """Encode `value` as the driver would (UnicodeEncodeError for a lone surrogate)."""
    if isinstance(value, dict):
        bson.encode(value)
    elif isinstance(value, list):
        for item in value:
            encoded(item)
    return value


class Encoding:
    """A collection that BSON-encodes every filter, document and pipeline it is given."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._collection, name)
        if not callable(target) or name.startswith("_"):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            for arg in [*args, *kwargs.values()]:
                encoded(arg)
            return target(*args, **kwargs)

        return call


class EncodingStore(MongoStore):
    def _connect(self) -> Any:
        fresh = self._db is None
        db = super()._connect()
        if fresh:
            for attr, value in list(vars(self).items()):
                if callable(getattr(value, "insert_one", None)) and not isinstance(value, Encoding):
                    setattr(self, attr, Encoding(value))
        return db


class EncodingMongo:
    @hookimpl
    def storage_backends(self):
        return [StorageBackend("mongo-bson", lambda s: EncodingStore(s, client=AsyncMongoMockClient()), "test double")]


@pytest.fixture
def gql():
    yield from make_client(Settings(backend="mongo-bson"), plugins=[EncodingMongo()])


def test_the_double_refuses_what_bson_refuses():
    with pytest.raises(UnicodeEncodeError):
        encoded({"_id": "\ud800"})


def opaque(parts: list) -> str:
    # json.dumps escapes the surrogate as \ud800, as a crafted cursor would carry it.
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


LISTS = {
    "customers": "query($after: String) { customers(first: 1, after: $after) { totalCount } }",
    "activities": "query($after: String) { activities(first: 1, after: $after) { totalCount } }",
    "openList": "query($after: String) { openList(first: 1, after: $after) { totalCount } }",
}


@pytest.mark.parametrize("field", sorted(LISTS))
def test_a_cursor_with_a_lone_surrogate_is_refused_as_not_a_cursor(gql: GraphQLClient, field):
    create_customer(gql, lastName="Novák")
    body = gql.http.post("/graphql", json={"query": LISTS[field], "variables": {"after": opaque(["\ud800", "x"])}}).json()
    (error,) = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("INVALID_VALUE", "after"), error


def test_a_contact_cursor_with_a_lone_surrogate_is_refused_as_not_a_cursor(gql: GraphQLClient):
    query = "query($after: String) { contacts(first: 1, after: $after) { totalCount } }"
    body = gql.http.post("/graphql", json={"query": query, "variables": {"after": opaque(["LAST_NAME", False, "en", ["\ud800"], "x"])}}).json()
    (error,) = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("INVALID_VALUE", "after"), error


def escaped(gql: GraphQLClient, query: str, variables: dict) -> dict:
    """POST with JSON's ASCII escapes, as a client sends a lone surrogate."""
    response = gql.http.post("/graphql", content=json.dumps({"query": query, "variables": variables}), headers={"Content-Type": "application/json"})
    return response.json()


def test_a_search_with_a_lone_surrogate_is_answered(gql: GraphQLClient):
    customer = create_customer(gql, lastName="Novák")
    # The query's words are letters and digits: the surrogate never reaches the store.
    found = escaped(gql, "query($q: String) { customers(search: $q) { totalCount edges { node { id } } } }", {"q": "nov\ud800"})
    assert found == {"data": {"customers": {"totalCount": 1, "edges": [{"node": {"id": customer["id"]}}]}}}
    contacts = escaped(gql, "query($q: String) { contacts(filter: {search: $q}) { totalCount } }", {"q": "\ud800"})
    assert contacts == {"data": {"contacts": {"totalCount": 0}}}


def test_an_unencodable_word_or_id_reaching_the_store_matches_nothing():
    import asyncio

    async def main():
        store = EncodingStore(Settings(), client=AsyncMongoMockClient())
        await store.open()
        page = await store.search_customers(["nov\ud800"], first=5, after=None)
        assert (page.items, page.total_count) == ([], 0)
        assert await store.get_customers(["\ud800"]) == [None]
        assert await store.find_customers_by_identifiers(phones=[], emails=["a\ud800@x.cz"], limit=5) == []
        assert await store.find_customers_by_blocking_keys(["\ud800"], limit=5) == []
        await store.close()

    asyncio.run(main())
