"""Migrations of the mongo backend are explicit (`customer-context migrate`): a process
serves only a database in its own layout and says what to do otherwise; migrate builds the
indexes with the operator's commit quorum and timeout, drops retired ones, rewrites what an
older release stored, and catches what old processes wrote during a rolling upgrade. Two
stores of different layout versions share one mongomock-motor client."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from mongomock_motor import AsyncMongoMockClient
from starlette.testclient import TestClient

from plugins.mongo import MongoStore, migrations
from plugins.mongo.codec import DERIVED_VERSION, LAYOUT_VERSION, customer_document
from plugins.mongo.indexes import INDEXES
from service import cli
from service.app import create_app
from service.domain.collation import COLLATION_VERSION
from service.domain.contact_directory import ContactQuery
from service.conformance import contact, customer
from service.hookspecs import hookimpl
from service.settings import ConfigurationError, Settings
from service.storage import StorageBackend

ROOT = Path(__file__).resolve().parent.parent


def run(coro):
    return asyncio.run(coro)


async def older_release(client) -> None:
    """What a database left by layout 2 looks like: its mark, its index, documents whose
    derived fields that release computed (no `_dv`; search terms and sort keys of its own)."""
    db = client["customer_context"]
    await db["service_meta"].insert_one({"_id": "derived_fields", "version": "layout 2, collation 1"})
    await db["customers"].create_index([("_blocking", 1)], name="customers_blocking")
    doc = customer_document(customer(1, first_name="Jan", last_name="Novák"))
    doc.pop("_dv")
    doc["_terms"] = []  # not findable by the current search
    await db["customers"].insert_one(doc)


@pytest.fixture
def quorum_calls(monkeypatch):
    """The createIndexes options and pymongo.timeout() deadlines migrate used (mongomock
    knows no commitQuorum: it is taken off before the double builds the indexes)."""
    calls: dict[str, list] = {"options": [], "timeouts": []}
    collection_class = type(AsyncMongoMockClient()["d"]["c"])
    original = collection_class.create_indexes

    def create_indexes(self, models, **options):
        calls["options"].append(options)
        return original(self, models)

    monkeypatch.setattr(collection_class, "create_indexes", create_indexes)
    real_timeout = migrations.pymongo.timeout

    def timeout(seconds):
        calls["timeouts"].append(seconds)
        return real_timeout(seconds)

    monkeypatch.setattr(migrations.pymongo, "timeout", timeout)
    return calls


def test_a_process_refuses_an_older_layout_and_migrate_brings_it_up_to_date(quorum_calls):
    async def main():
        client = AsyncMongoMockClient()
        await older_release(client)
        settings = Settings(mongodb_commit_quorum="majority", mongodb_index_build_timeout_seconds=120)
        store = MongoStore(settings, client=client)
        with pytest.raises(migrations.LayoutMismatch) as refused:
            await store.open()
        assert "older than this release's (layout 3" in str(refused.value)
        assert "run `customer-context migrate`" in str(refused.value)
        assert quorum_calls["options"] == []  # open() built nothing

        quorum_calls["timeouts"].clear()
        report = await store.migrate()
        assert quorum_calls["options"] == [{"commitQuorum": "majority"}] * len(INDEXES)
        assert set(quorum_calls["timeouts"]) == {120}
        assert report.indexes_dropped == ["customers_blocking"] and report.rewritten == {"customers": 1, "contacts": 0}
        indexes = await client["customer_context"]["customers"].index_information()
        assert "customers_blocking" not in indexes and "customers_blocking_id" in indexes

        await store.open()  # now it serves
        found = await store.search_customers(["novak"], first=5, after=None)
        assert [c.id for _, c in found.items] == ["cust00001"]
        assert (await store.migrate()).rewritten == {"customers": 0, "contacts": 0}  # again: nothing left to do
        await store.close()

    run(main())


def test_a_process_older_than_the_database_refuses_to_serve_it():
    async def main():
        client = AsyncMongoMockClient()
        newer = MongoStore(Settings(), client=client)
        await newer.open()
        await newer.insert_customer(customer(1))
        await newer._meta.update_one({"_id": "layout"}, {"$set": {"layout": LAYOUT_VERSION + 1}})
        old = MongoStore(Settings(), client=client)
        with pytest.raises(migrations.LayoutMismatch, match="newer than this release's .*upgrade this process"):
            await old.open()

    run(main())


def test_a_changed_collation_needs_a_migration():
    async def main():
        client = AsyncMongoMockClient()
        store = MongoStore(Settings(), client=client)
        await store.open()
        await store.insert_customer(customer(1))
        await store._meta.update_one({"_id": "layout"}, {"$set": {"collation": COLLATION_VERSION - 1}})
        with pytest.raises(migrations.LayoutMismatch, match="migrate"):
            await MongoStore(Settings(), client=client).open()

    run(main())


def test_an_index_added_without_a_layout_bump_still_needs_a_migration(monkeypatch):
    async def main():
        client = AsyncMongoMockClient()
        store = MongoStore(Settings(), client=client)
        await store.open()
        await store.insert_customer(customer(1))
        await store.close()
        wanted = {**INDEXES, "customers": [*INDEXES["customers"], ("customers_external", [("external_id", 1)])]}
        monkeypatch.setattr(migrations, "INDEXES", wanted)
        monkeypatch.setitem(migrations.CURRENT, "indexes", migrations.index_fingerprint())
        newer = MongoStore(Settings(), client=client)
        with pytest.raises(migrations.LayoutMismatch, match="other indexes.*run `customer-context migrate`"):
            await newer.open()
        await newer.migrate()
        assert "customers_external" in await client["customer_context"]["customers"].index_information()
        await newer.open()
        await newer.close()

    run(main())


def test_what_old_processes_wrote_during_a_rolling_upgrade_is_caught_by_migrating_again():
    async def main():
        client = AsyncMongoMockClient()
        new = MongoStore(Settings(), client=client)
        await new.open()
        await new.insert_customer(customer(1, first_name="Eva", last_name="Dvořáková"))
        await new.insert_contact(contact(1, "cust00001", last_name="Čapek"))
        # An old process, still serving, writes with its own derived fields and no _dv.
        stale = customer_document(customer(2, first_name="Jan", last_name="Novák"))
        stale.pop("_dv")
        stale["_terms"] = []
        await new._customers.insert_one(stale)
        await new._contacts.update_one({"_id": "cont00001"}, {"$set": {"_sort": {}, "_terms": []}, "$unset": {"_dv": ""}})
        assert (await new.search_customers(["novak"], first=5, after=None)).total_count == 0
        report = await new.migrate()
        assert report.rewritten == {"customers": 1, "contacts": 1}  # only what old code wrote
        assert [c.id for _, c in (await new.search_customers(["novak"], first=5, after=None)).items] == ["cust00002"]
        page = await new.search_contacts(ContactQuery(tokens=("capek",), locale="cs"), first=5, after=None)
        assert [c.id for _, c in page.items] == ["cont00001"]
        assert (await new._customers.find_one({"_id": "cust00002"}))["_dv"] == DERIVED_VERSION
        await new.close()

    run(main())


def test_a_new_empty_database_is_set_up_on_first_start():
    async def main():
        client = AsyncMongoMockClient()
        store = MongoStore(Settings(), client=client)
        await store.open()
        marker = await store._meta.find_one({"_id": "layout"})
        assert {k: marker[k] for k in ("layout", "collation")} == {"layout": LAYOUT_VERSION, "collation": COLLATION_VERSION}
        await store.close()

    run(main())


class OlderDatabase:
    """Backend "mongo-older": the mongo store on a mongomock database an older release left."""

    @hookimpl
    def storage_backends(self):
        client = AsyncMongoMockClient()
        run(older_release(client))
        return [StorageBackend("mongo-older", lambda settings: MongoStore(settings, client=client), "test double")]


def test_the_service_does_not_start_on_an_older_layout_and_says_what_to_run():
    app = create_app(Settings(backend="mongo-older"), extra_plugins=[OlderDatabase()])
    with pytest.raises(migrations.LayoutMismatch, match="run `customer-context migrate`"):
        with TestClient(app):
            pass


def test_the_migrate_command_on_a_backend_without_a_layout_has_nothing_to_do(capsys):
    assert cli.main(["migrate", "--backend", "memory"]) == 0
    assert "backend memory has no layout to migrate" in capsys.readouterr().err


def test_the_migrate_command_refuses_an_unreachable_server_in_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "service", "migrate", "--backend", "mongo", "--mongodb-url", "mongodb://127.0.0.1:1",
         "--mongodb-timeout-ms", "500", "--mongodb-commit-quorum", "majority", "--mongodb-index-build-timeout-seconds", "60"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        "customer-context: cannot start: MongoDB at mongodb://127.0.0.1:1 did not answer within 500 ms"
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "setting, value, message",
    [
        ("mongodb_commit_quorum", "all of them", "mongodb commit quorum must be votingMembers, majority, a number"),
        ("mongodb_index_build_timeout_seconds", 0.0, "mongodb index build timeout seconds must be a positive number"),
        ("mongodb_index_build_timeout_seconds", float("nan"), "mongodb index build timeout seconds must be a positive number"),
    ],
)
def test_the_migration_settings_are_checked(setting, value, message):
    with pytest.raises(ConfigurationError, match=message):
        Settings(**{setting: value}).validate()


def test_a_number_as_commit_quorum_is_sent_as_a_number(quorum_calls):
    async def main():
        store = MongoStore(Settings(mongodb_commit_quorum="2"), client=AsyncMongoMockClient())
        await store.migrate()

    run(main())
    assert quorum_calls["options"][0] == {"commitQuorum": 2}
