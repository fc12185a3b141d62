"""The mongo backend: the storage conformance suite and the whole GraphQL API on
mongomock-motor (an in-process MongoDB double), a clear and fast failure when the server is
unreachable, and the same suite against a real server when CUSTOMER_CONTEXT_TEST_MONGODB_URL
names one (each store on a database of its own, dropped afterwards)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from mongomock_motor import AsyncMongoMockClient
from starlette.testclient import TestClient

from plugins.mongo import MongoStore
from plugins.mongo.codec import contact_own_keys, contact_sort_fields, customer_document, customer_part_keys
from plugins.mongo.connection import redact, resolved
from plugins.mongo.contacts import key_locale
from plugins.mongo.indexes import INDEXES
from service.app import create_app
from service.conformance import StorageConformance
from service.domain.collation import LOCALES
from service.domain.contact_directory import ContactQuery, ContactSort, contact_sort_key
from service.domain.records import Contact, Customer, EmailAddress, PhoneNumber
from service.hookspecs import hookimpl
from service.settings import Settings
from service.storage import StorageBackend, StoreUnavailable

from .helpers import CREATE_FROM_ENTRY, OPEN_LIST, GraphQLClient, create_customer, make_client, record

REAL_URL = os.environ.get("CUSTOMER_CONTEXT_TEST_MONGODB_URL", "")
needs_real_server = pytest.mark.skipif(
    not REAL_URL, reason="needs a MongoDB server: set CUSTOMER_CONTEXT_TEST_MONGODB_URL to run against a real server"
)
T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def mock_store(client: AsyncMongoMockClient | None = None, **settings) -> MongoStore:
    return MongoStore(Settings(**settings), client=client or AsyncMongoMockClient())


def run(coro):
    return asyncio.run(coro)


# --- the conformance suite ---------------------------------------------------------------


class TestMongoConformance(StorageConformance):
    """On mongomock-motor: a new in-process server per store; reopening shares it."""

    @pytest.fixture
    def store_factory(self):
        return lambda: mock_store()

    @pytest.fixture
    def reopen_factory(self):
        return lambda old: MongoStore(Settings(), client=old.client)


@needs_real_server
class TestMongoConformanceOnARealServer(StorageConformance):
    """Against CUSTOMER_CONTEXT_TEST_MONGODB_URL: each store gets a database of its own."""

    @pytest.fixture
    def databases(self):
        names: list[str] = []
        yield names
        from pymongo import MongoClient

        with MongoClient(REAL_URL, serverSelectionTimeoutMS=5000) as client:
            for name in names:
                client.drop_database(name)

    @pytest.fixture
    def store_factory(self, databases):
        def make():
            name = f"cc_test_{uuid.uuid4().hex[:12]}"
            databases.append(name)
            return MongoStore(Settings(mongodb_url=REAL_URL, mongodb_database=name))

        return make

    @pytest.fixture
    def reopen_factory(self):
        return lambda old: MongoStore(Settings(mongodb_url=REAL_URL, mongodb_database=old.database_name))


# --- the whole API on the mongo backend ---------------------------------------------------


class MockMongoBackend:
    """A throwaway plugin: backend "mongo-mock", the mongo store on mongomock-motor."""

    def __init__(self) -> None:
        self.client = AsyncMongoMockClient()

    @hookimpl
    def storage_backends(self):
        return [StorageBackend("mongo-mock", lambda settings: MongoStore(settings, client=self.client), "test double")]


@pytest.fixture
def gql():
    yield from make_client(Settings(backend="mongo-mock"), plugins=[MockMongoBackend()])


def test_the_mongo_backend_is_registered_by_its_entry_point():
    from service import plugins

    backends = plugins.storage_backends(plugins.plugin_manager(), Settings())
    assert backends["mongo"].factory is MongoStore


def test_the_open_list_flow(gql: GraphQLClient):
    result = record(gql, name="Jan Novák", email="Jan.Novak@Example.cz", phone="+420 601 123 456")
    assert result["outcome"] == "ADDED_TO_OPEN_LIST"
    entry = result["openListEntry"]
    other = record(gql, name="Eva Dvořáková", agentId="agent-2")["openListEntry"]
    listed = gql(OPEN_LIST, {"agentId": None})["openList"]
    assert [e["node"]["id"] for e in listed["edges"]] == [entry["id"], other["id"]]
    assert listed["totalCount"] == 2
    assert [e["node"]["id"] for e in gql(OPEN_LIST, {"agentId": "agent-2"})["openList"]["edges"]] == [other["id"]]

    created = gql(CREATE_FROM_ENTRY, {"entryId": entry["id"]})["createCustomerFromOpenList"]  # the prefilled form
    assert created["__typename"] == "CreateCustomerFromOpenListSuccess", created
    customer_id = created["customer"]["id"]
    assert created["entry"]["status"] == "CREATED"
    assert created["activity"]["customer"]["id"] == customer_id
    assert [e["node"]["id"] for e in gql(OPEN_LIST, {"agentId": None})["openList"]["edges"]] == [other["id"]]

    # The next call from that number lands on the customer (identifier lookup).
    again = record(gql, phone="601 123 456")
    assert again["outcome"] == "ASSOCIATED"
    assert again["customer"]["id"] == customer_id
    again = record(gql, channel="EMAIL", email="JAN.NOVAK@example.cz")
    assert again["customer"]["id"] == customer_id


def test_a_changed_phone_number_is_matched_by_the_new_one_only(gql: GraphQLClient):
    from .helpers import UPDATE_CUSTOMER

    c = create_customer(gql, firstName="Eva", phones=[{"number": "601 000 001"}])
    updated = gql(UPDATE_CUSTOMER, {"id": c["id"], "v": c["version"], "input": {"phones": [{"number": "602 000 002"}]}})
    assert updated["updateCustomer"]["__typename"] == "UpdateCustomerSuccess", updated
    assert record(gql, phone="602 000 002")["outcome"] == "ASSOCIATED"
    assert record(gql, phone="601 000 001")["outcome"] == "ADDED_TO_OPEN_LIST"


SEARCH = """query Search($q: String, $first: Int, $after: String) { customers(search: $q, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { displayName } } } }"""


@pytest.mark.parametrize(
    "query, expected",
    [
        ("novak", ["Jan Novák", "Petra Nováková"]),
        ("NOVÁKOVÁ", ["Petra Nováková"]),
        ("jorgensen", ["Ingrid Jørgensen"]),
        ("dorde", ["Đorđe Đorđević"]),
        ("jan nov", ["Jan Novák"]),
        ("nobody", []),
    ],
)
def test_customer_search_ignores_case_and_diacritics(gql: GraphQLClient, query, expected):
    for first, last in [("Jan", "Novák"), ("Petra", "Nováková"), ("Ingrid", "Jørgensen"), ("Đorđe", "Đorđević")]:
        create_customer(gql, firstName=first, lastName=last)
    found = gql(SEARCH, {"q": query})["customers"]
    assert [e["node"]["displayName"] for e in found["edges"]] == expected
    assert found["totalCount"] == len(expected)


def test_customers_page_alphabetically(gql: GraphQLClient):
    names = ["Zeman", "Čapek", "Adámek", "Novák", "Bílá"]
    for name in names:
        create_customer(gql, lastName=name)
    seen, after = [], None
    while True:
        page = gql(SEARCH, {"first": 2, "after": after})["customers"]
        seen += [e["node"]["displayName"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["Adámek", "Bílá", "Čapek", "Novák", "Zeman"]  # folded: accents ignored


ADD_CONTACT = """mutation Add($customerId: ID!, $input: ContactInput!) { addContact(customerId: $customerId, input: $input) {
  __typename ... on AddContactSuccess { contact { id } } } }"""
DIRECTORY = """query Directory($filter: ContactFilter, $orderBy: ContactOrder, $first: Int, $after: String) {
  contacts(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { lastName customer { displayName } } } } }"""


@pytest.mark.parametrize(
    "lang, names",
    [
        ("cs", ["Cibulka", "Čapek", "Dvořák", "Hrubý", "Chudoba", "Ibl", "Řezníček", "Šimek", "Žák"]),
        ("en", ["Čapek", "Chudoba", "Cibulka", "Dvořák", "Hrubý", "Ibl", "Řezníček", "Šimek", "Žák"]),
        ("nb", ["Berg", "Zahl", "Ærlig", "Østby", "Åsen"]),
    ],
)
def test_the_contact_directory_sorts_as_a_reader_of_that_language_expects(gql: GraphQLClient, lang, names):
    acme = create_customer(gql, organizationName="ACME s.r.o.")
    for name in reversed(names):
        added = gql(ADD_CONTACT, {"customerId": acme["id"], "input": {"lastName": name}})["addContact"]
        assert added["__typename"] == "AddContactSuccess", added
    seen, after = [], None
    while True:
        page = gql(DIRECTORY, {"first": 4, "after": after}, lang=lang)["contacts"]
        seen += [e["node"]["lastName"] for e in page["edges"]]
        assert page["totalCount"] == len(names)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == names
    desc = gql(DIRECTORY, {"orderBy": {"field": "LAST_NAME", "direction": "DESC"}}, lang=lang)["contacts"]
    assert [e["node"]["lastName"] for e in desc["edges"]] == names[::-1]


def test_the_directory_searches_chosen_attributes_and_follows_a_customer_rename(gql: GraphQLClient):
    from .helpers import UPDATE_CUSTOMER

    alfa = create_customer(gql, organizationName="Alfa")
    beta = create_customer(gql, organizationName="Beta")
    for customer, last, email in [(alfa, "Novák", "jana@alfa.cz"), (beta, "Kovář", "novak@beta.cz")]:
        gql(ADD_CONTACT, {"customerId": customer["id"], "input": {"lastName": last, "email": email}})
    by_name = gql(DIRECTORY, {"filter": {"search": "novak", "searchIn": ["LAST_NAME"]}})["contacts"]
    assert [e["node"]["lastName"] for e in by_name["edges"]] == ["Novák"]
    anywhere = gql(DIRECTORY, {"filter": {"search": "novak"}})["contacts"]
    assert sorted(e["node"]["lastName"] for e in anywhere["edges"]) == ["Kovář", "Novák"]

    order = {"orderBy": {"field": "CUSTOMER"}}
    assert [e["node"]["customer"]["displayName"] for e in gql(DIRECTORY, order)["contacts"]["edges"]] == ["Alfa", "Beta"]
    renamed = gql(UPDATE_CUSTOMER, {"id": alfa["id"], "v": alfa["version"], "input": {"organizationName": "Zulu"}})
    assert renamed["updateCustomer"]["__typename"] == "UpdateCustomerSuccess", renamed
    assert [e["node"]["customer"]["displayName"] for e in gql(DIRECTORY, order)["contacts"]["edges"]] == ["Beta", "Zulu"]


def test_readiness_reports_the_mongo_store(gql: GraphQLClient):
    response = gql.http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "store": "mongo-mock"}


# --- an unreachable server ----------------------------------------------------------------

CLOSED_PORT = "mongodb://cc-user:s3cret-pass@127.0.0.1:1/?authSource=admin"


def test_open_fails_fast_and_clearly_when_the_server_is_unreachable():
    store = MongoStore(Settings(mongodb_url=CLOSED_PORT, mongodb_timeout_ms=300))
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as failure:
        run(store.open())
    assert time.monotonic() - started < 5
    message = str(failure.value)
    assert "mongodb://***@127.0.0.1:1" in message and "300 ms" in message
    assert "s3cret" not in message and "cc-user" not in message


def test_ping_fails_fast_when_the_server_is_unreachable():
    async def scenario():
        store = MongoStore(Settings(mongodb_url="mongodb://127.0.0.1:1", mongodb_timeout_ms=300))
        try:
            with pytest.raises(StoreUnavailable, match="did not answer within 300 ms"):
                await store.ping()
        finally:
            await store.close()

    started = time.monotonic()
    run(scenario())
    assert time.monotonic() - started < 5


def test_the_service_does_not_start_without_its_server():
    app = create_app(Settings(backend="mongo", mongodb_url=CLOSED_PORT, mongodb_timeout_ms=300))
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match=r"mongodb://\*\*\*@127\.0\.0\.1:1"):
        with TestClient(app):
            pass
    assert time.monotonic() - started < 5


def test_a_malformed_url_is_a_clear_error():
    with pytest.raises(StoreUnavailable, match="cannot use the MongoDB URL"):
        run(MongoStore(Settings(mongodb_url="mongodb://user:pw@host:notaport")).open())


@pytest.mark.parametrize(
    "url, shown",
    [
        ("mongodb://localhost:27017", "mongodb://localhost:27017"),
        ("mongodb://u:p@db1:27017,db2:27017/cc?replicaSet=rs0&authSource=admin", "mongodb://***@db1:27017,db2:27017/cc"),
        ("mongodb+srv://u:p%40ss@cluster.example.net/", "mongodb+srv://***@cluster.example.net/"),
    ],
)
def test_messages_name_the_server_without_credentials(url, shown):
    assert redact(url) == shown


# --- the store on mongomock ---------------------------------------------------------------


def test_every_index_exists_after_open():
    async def scenario():
        store = mock_store()
        await store.open()
        for collection, specs in INDEXES.items():
            info = await store.database[collection].index_information()
            for name, keys in specs:
                assert name in info, f"{collection} lacks index {name}"
                assert [tuple(k) for k in info[name]["key"]] == [tuple(k) for k in keys]
        # and opening again (another process, a restart) is fine
        await store.open()
        await store.close()

    run(scenario())


def test_contact_indexes_stay_within_mongodbs_limit():
    assert len(INDEXES["contacts"]) + 1 <= 64  # + _id


def test_the_customer_order_pair_sorts_like_the_reference_key():
    """The CUSTOMER order sorts by (customer name key, contact LAST_NAME key): the same
    order as `contact_sort_key`'s one string, for every locale."""
    names = [None, "ACME", "Acme", "Ač", "Ach", "Ærø", "Aa", "", "Đ"]
    lasts = [None, "Nov", "Nová", "Nováček", "Chudoba", "Åsen"]
    for loc in LOCALES:
        rows = [
            (name, Contact(f"k{i}{j}", 1, T0, T0, None, customer_id="c", last_name=last))
            for i, name in enumerate(names)
            for j, last in enumerate(lasts)
        ]
        by_string = sorted(rows, key=lambda r: (contact_sort_key(r[1], r[0], ContactSort.CUSTOMER, loc), r[1].id))
        customer_part, last_name = contact_sort_fields(ContactSort.CUSTOMER, loc)
        by_pair = sorted(
            rows, key=lambda r: (customer_part_keys(r[0])[customer_part], contact_own_keys(r[1])[last_name], r[1].id)
        )
        assert [r[1].id for r in by_pair] == [r[1].id for r in by_string], loc


@pytest.mark.parametrize("locale, stored", [("cs", "cs"), ("cs-CZ", "cs"), ("no", "nb"), ("fr", "en"), ("", "")])
def test_other_locale_tags_use_the_keys_of_the_locale_that_sorts_alike(locale, stored):
    assert key_locale(locale) == stored


def test_directory_with_a_locale_tag_outside_the_stored_ones():
    async def scenario():
        store = mock_store()
        await store.open()
        await store.insert_customer(Customer("c1", 1, T0, T0, None, organization_name="ACME"))
        for i, last in enumerate(["Chudoba", "Cibulka", "Hrubý"]):
            await store.insert_contact(Contact(f"k{i}", 1, T0, T0, None, customer_id="c1", last_name=last))
        page = await store.search_contacts(ContactQuery(locale="cs-CZ"), first=10, after=None)
        assert [c.last_name for _, c in page.items] == ["Cibulka", "Hrubý", "Chudoba"]
        await store.close()

    run(scenario())


def test_timestamps_come_back_to_the_microsecond():
    async def scenario():
        store = mock_store()
        await store.open()
        exact = T0 + timedelta(microseconds=123457)
        c = Customer("c1", 1, exact, exact, "me", last_name="Přesný")
        await store.insert_customer(c)
        assert await store.get_customers(["c1"]) == [c]
        (stored,) = await store.get_customers(["c1"])
        assert stored.created_at.microsecond == 123457 and stored.created_at.utcoffset() == timedelta(0)
        await store.close()

    run(scenario())


def test_identifier_pointers_survive_a_slow_writer_of_an_older_version():
    """Version 2 drops a phone, version 3 brings it back; if version 2's clean-up runs after
    version 3 was written, the lookup still finds the customer."""

    async def scenario():
        store = mock_store()
        await store.open()
        phone = PhoneNumber("601", "+420601000001")
        c1 = Customer("c1", 1, T0, T0, None, last_name="A", phones=(phone,))
        await store.insert_customer(c1)
        c2 = replace(c1, version=2, phones=())
        c3 = replace(c1, version=3)
        # version 2 written, its clean-up not yet run
        await store._customers.replace_one({"_id": "c1"}, customer_document(c2))
        await store._add_identifiers("c1", {"phone:+420601000001"}, 3)
        await store._customers.replace_one({"_id": "c1", "version": 2}, customer_document(c3))
        await store._remove_identifiers("c1", {"phone:+420601000001"}, 2)  # the late clean-up
        found = await store.find_customers_by_identifiers(phones=["+420601000001"], emails=[], limit=5)
        assert [(c.id, c.version) for c in found] == [("c1", 3)]
        await store.close()

    run(scenario())


def test_an_extra_pointer_is_verified_away():
    async def scenario():
        store = mock_store()
        await store.open()
        c = Customer("c1", 1, T0, T0, None, last_name="A", emails=(EmailAddress("a@x.cz", "a@x.cz"),))
        await store.insert_customer(c)
        # a writer that crashed after adding its pointer, before writing the customer
        await store._add_identifiers("c1", {"email:b@x.cz"}, 2)
        assert await store.find_customers_by_identifiers(phones=[], emails=["b@x.cz"], limit=5) == []
        assert await store.find_customers_by_identifiers(phones=[], emails=["a@x.cz"], limit=5) == [c]
        await store.close()

    run(scenario())


def test_the_asyncio_client_and_motor_differences_are_papered_over():
    async def coroutine():
        return "awaited"

    async def scenario():
        assert await resolved(coroutine()) == "awaited"
        assert await resolved("direct") == "direct"

    run(scenario())


def test_the_start_command_refuses_an_unreachable_server_in_one_line():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-m", "service", "serve", "--port", "0", "--backend", "mongo",
         "--mongodb-url", "mongodb://127.0.0.1:1", "--mongodb-timeout-ms", "1000"],
        cwd=root, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("customer-context: cannot start: MongoDB at mongodb://127.0.0.1:1 did not answer within 1000 ms")
    assert "Traceback" not in result.stderr, result.stderr  # not also uvicorn's copy of it
