"""The plugin system: built-ins arrive through entry points; a partner's backend, strategy,
lifecycle hook or event observer plugs in without a line of the service changing."""

from __future__ import annotations

import asyncio

import pluggy
import pytest
from starlette.testclient import TestClient

from plugins.memory import MemoryStore
from service import plugins
from service.app import create_app
from service.cli import main
from service.domain.records import Candidate, MatchReason
from service.hookspecs import hookimpl
from service.matching import MatchingStrategySpec
from service.settings import ConfigurationError, Settings
from service.storage import StorageBackend

from .helpers import CREATE_FROM_ENTRY, make_client, record


BUILT_IN = {"plugins.memory", "plugins.mongo", "plugins.exact_match", "plugins.fuzzy_match"}


def test_builtin_plugins_are_discovered_through_the_entry_point_group():
    pm = plugins.plugin_manager()
    ours = {plugin.__name__ for plugin, dist in pm.list_plugin_distinfo() if dist.project_name == "customer-context"}
    assert ours == BUILT_IN
    assert {"memory", "mongo"} <= set(plugins.storage_backends(pm, Settings()))
    assert {"exact", "fuzzy"} <= set(plugins.matching_strategies(pm, Settings()))


@pytest.mark.parametrize(
    "settings, message, known",
    [
        (Settings(backend="postgres"), "unknown storage backend 'postgres' (--backend); known: ", {"memory", "mongo"}),
        (Settings(matching="psychic"), "unknown matching strategy 'psychic' (--matching); known: ", {"exact", "fuzzy"}),
    ],
)
def test_unknown_names_stop_startup_listing_the_known_ones(settings, message, known):
    with pytest.raises(ConfigurationError) as err:
        create_app(settings)
    assert str(err.value).startswith(message)
    assert known <= set(str(err.value).removeprefix(message).split(", "))


def test_cli_refuses_unknown_backend_with_the_known_names(capsys):
    assert main(["serve", "--backend", "nope", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "unknown storage backend 'nope'" in err and "known: memory, mongo" in err


def test_a_misspelled_hook_fails_at_load_not_silently():
    class Typo:
        @hookimpl
        def storage_backend(self):  # the hook is storage_backends
            return []

    with pytest.raises(pluggy.PluginValidationError):
        plugins.plugin_manager([Typo()])


def test_two_plugins_offering_one_name_stop_startup():
    class Another:
        @hookimpl
        def storage_backends(self):
            return [StorageBackend("memory", MemoryStore)]

    with pytest.raises(ConfigurationError, match="two plugins offer a storage backend named 'memory'"):
        create_app(Settings(), extra_plugins=[Another()])


class CountingStore(MemoryStore):
    """A partner's backend: the memory store, counting the writes it receives."""

    def __init__(self, settings):
        super().__init__(settings)
        self.inserts = 0

    async def insert_customer(self, customer):
        self.inserts += 1
        await super().insert_customer(customer)


class PartnerBackend:
    @hookimpl
    def storage_backends(self, settings):
        return [StorageBackend("counting", CountingStore, "test backend")]


def test_a_partner_backend_is_chosen_by_name_and_serves_the_api():
    app = create_app(Settings(backend="counting"), extra_plugins=[PartnerBackend()])
    with TestClient(app) as http:
        entry = http.post("/graphql", json={"query": 'mutation { recordActivity(input: {channel: CALL, sender: {name: "Ada"}}) { ... on RecordActivitySuccess { openListEntry { id } } } }'}).json()
        entry_id = entry["data"]["recordActivity"]["openListEntry"]["id"]
        http.post("/graphql", json={"query": CREATE_FROM_ENTRY, "variables": {"entryId": entry_id}})
        store = app.state.runtime.store
        assert isinstance(store, CountingStore) and store.inserts == 1


class EveryoneIsAda:
    """A partner's matching strategy: every activity belongs to the customer named Ada."""

    def __init__(self, settings):
        pass

    async def candidates(self, sender, store, *, limit):
        page = await store.search_customers(["ada"], first=1, after=None)
        return [Candidate(c.id, 0.99, (MatchReason("name", "TEST", 1.0),)) for _, c in page.items]


class PartnerMatching:
    @hookimpl
    def matching_strategies(self):
        return [MatchingStrategySpec("ada", EveryoneIsAda, "test strategy")]


def test_a_partner_matching_strategy_is_chosen_by_name():
    for client in make_client(Settings(matching="ada"), plugins=[PartnerMatching()]):
        ada = client('mutation { createCustomer(input: {firstName: "Ada"}) { ... on CreateCustomerSuccess { customer { id } } } }')
        result = record(client, phone="+420 601 999 999")
        assert result["outcome"] == "ASSOCIATED"
        assert result["customer"]["id"] == ada["createCustomer"]["customer"]["id"]
        assert result["candidates"][0]["score"] == 0.99


class Recorder:
    def __init__(self):
        self.calls = []

    @hookimpl
    def startup(self, runtime):
        async def later():
            await asyncio.sleep(0)
            self.calls.append(("startup", runtime.settings.backend))

        return later()

    @hookimpl
    def shutdown(self):
        self.calls.append(("shutdown",))

    @hookimpl
    def domain_event(self, event):
        self.calls.append(type(event).__name__)


def test_lifecycle_hooks_and_domain_events_reach_plugins():
    recorder = Recorder()
    for client in make_client(plugins=[recorder]):
        assert recorder.calls == [("startup", "memory")]
        entry_id = record(client, name="Jan Novák")["openListEntry"]["id"]
        client(CREATE_FROM_ENTRY, {"entryId": entry_id})
        record(client, name="Other")
    assert recorder.calls == [
        ("startup", "memory"),
        "ActivityRecorded",
        "OpenListEntryAdded",
        "CustomerCreated",
        "OpenListEntryResolved",
        "ActivityAssociated",
        "ActivityRecorded",
        "OpenListEntryAdded",
        ("shutdown",),
    ]


def test_a_failing_observer_never_reaches_the_client_nor_undoes_the_change():
    class Broken:
        @hookimpl
        def domain_event(self, event):
            raise RuntimeError("webhook down")

    recorder = Recorder()
    for client in make_client(plugins=[Broken(), recorder]):
        result = record(client, name="Jan")
        assert result["outcome"] == "ADDED_TO_OPEN_LIST"
        assert client("{ openList { totalCount } }")["openList"]["totalCount"] == 1
    assert "OpenListEntryAdded" in recorder.calls


def test_a_failing_startup_hook_stops_the_service():
    class BadStart:
        @hookimpl
        def startup(self):
            raise RuntimeError("cannot open connection")

    app = create_app(Settings(), extra_plugins=[BadStart()])
    with pytest.raises(RuntimeError, match="cannot open connection"):
        with TestClient(app):
            pass


class FailingInsertStore(MemoryStore):
    async def insert_customer(self, customer):
        raise ConnectionError("store went away")


class FailingInsert:
    @hookimpl
    def storage_backends(self):
        return [StorageBackend("failing", FailingInsertStore)]


def test_a_failed_customer_insert_puts_the_entry_back_on_the_open_list():
    for client in make_client(Settings(backend="failing"), plugins=[FailingInsert()]):
        entry_id = record(client, name="Jan")["openListEntry"]["id"]
        body = client.raw(CREATE_FROM_ENTRY, {"entryId": entry_id})
        assert body["errors"][0]["extensions"]["code"] == "INTERNAL_ERROR"
        entries = client("{ openList { edges { node { id status } } } }")["openList"]["edges"]
        assert [(e["node"]["id"], e["node"]["status"]) for e in entries] == [(entry_id, "OPEN")]


def test_contact_changes_reach_event_observers():
    recorder = Recorder()
    for client in make_client(plugins=[recorder]):
        customer = client('mutation { createCustomer(input: {organizationName: "ACME"}) { ... on CreateCustomerSuccess { customer { id } } } }')
        customer_id = customer["createCustomer"]["customer"]["id"]
        added = client(
            'mutation($c: ID!) { addContact(customerId: $c, input: {lastName: "Nová", role: ADDITIONAL}) { ... on AddContactSuccess { contact { id } } } }',
            {"c": customer_id},
        )
        contact_id = added["addContact"]["contact"]["id"]
        client('mutation($id: ID!) { updateContact(id: $id, expectedVersion: 1, input: {role: MAIN}) { __typename } }', {"id": contact_id})
        client('mutation($id: ID!) { removeContact(id: $id) { __typename } }', {"id": contact_id})
    assert [c for c in recorder.calls if isinstance(c, str) and c.startswith("Contact")] == [
        "ContactAdded",
        "ContactChanged",
        "ContactRemoved",
    ]
