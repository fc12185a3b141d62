"""Every write the mongo backend makes fits every shard key docs/operations.md suggests
(plugins/mongo/sharding.py): the storage conformance suite and the moves that change a
shard key run on mongomock-motor with each collection wrapped to record its writes, and
each write is checked against MongoDB's rules for sharded collections."""

from __future__ import annotations

import asyncio
import functools
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from mongomock_motor import AsyncMongoMockClient

from plugins.mongo import MongoStore
from plugins.mongo.sharding import SHARD_KEYS, UNSHARDED
from service.conformance import StorageConformance, activity, contact, customer
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[1]

SINGLE = {"update_one", "replace_one", "delete_one", "find_one_and_update", "find_one_and_replace", "find_one_and_delete"}
MANY = {"update_many", "delete_many"}
INSERTS = {"insert_one", "insert_many"}
WRITES = SINGLE | MANY | INSERTS | {"bulk_write"}


def equals(where: dict[str, Any], field: str) -> tuple[bool, Any]:
    """Whether the filter names `field` by equality, and the value."""
    if field not in where:
        return False, None
    value = where[field]
    if isinstance(value, dict):
        if set(value) == {"$eq"}:
            return True, value["$eq"]
        if any(k.startswith("$") for k in value):
            return False, None
    return True, value


def violations(collection: str, write: dict[str, Any]) -> list[str]:
    """What MongoDB would refuse of `write` under each shard key suggested for `collection`."""
    if collection in UNSHARDED:
        return []
    if collection not in SHARD_KEYS:
        return [f"{collection}: a collection without a documented shard key (add it to plugins/mongo/sharding.py)"]
    op, where = write["op"], write.get("filter") or {}
    found = []
    for key in SHARD_KEYS[collection]:
        fields = list(key)
        changed = [
            f for f in fields for pre, post in write["images"] if pre is not None and post is not None and pre.get(f) != post.get(f)
        ]
        if op in INSERTS:
            for doc in write["documents"]:
                found += [f"{collection}.{op}: the document lacks {f} ({key})" for f in fields if f not in doc]
        elif op in SINGLE:
            named = {f: equals(where, f) for f in fields}
            if not equals(where, "_id")[0] and not all(ok for ok, _ in named.values()):
                found.append(f"{collection}.{op} {where}: neither _id nor the whole shard key {key}")
            if write.get("upsert") and not all(ok for ok, _ in named.values()):
                found.append(f"{collection}.{op} upsert {where}: an upsert must name the whole shard key {key}")
            if changed:
                pre = write["images"][0][0]
                if not all(ok and value == pre.get(f) for f, (ok, value) in named.items()):
                    found.append(f"{collection}.{op} {where}: changes {changed} without the whole shard key {key} in the filter")
        elif op in MANY:
            if changed:
                found.append(f"{collection}.{op} {where}: changes shard key fields {changed} of {key} (only single-document writes may)")
        else:
            found.append(f"{collection}.{op}: a write this check does not know")
    return found


class Recorded:
    """A collection whose writes are recorded with the documents before and after."""

    def __init__(self, name: str, collection: Any, log: list) -> None:
        self._name, self._collection, self._log = name, collection, log

    def __getattr__(self, attr: str) -> Any:
        if attr in WRITES:
            return functools.partial(self._write, attr)
        return getattr(self._collection, attr)

    async def _write(self, op: str, *args: Any, **kwargs: Any) -> Any:
        c = self._collection
        write: dict[str, Any] = {"op": op, "upsert": kwargs.get("upsert", False), "documents": [], "images": []}
        if op in INSERTS:
            write["documents"] = [args[0]] if op == "insert_one" else list(args[0])
            result = await getattr(c, op)(*args, **kwargs)
        elif op == "bulk_write":
            result = await c.bulk_write(*args, **kwargs)
        else:
            where = write["filter"] = args[0] if args else kwargs.get("filter", {})
            before = [await c.find_one(where)] if op in SINGLE else await c.find(where).to_list(None)
            result = await getattr(c, op)(*args, **kwargs)
            for pre in before:
                post = None if pre is None else await c.find_one({"_id": pre["_id"]})
                write["images"].append((pre, post))
        self._log.append((self._name, write))
        return result


class RecordingStore(MongoStore):
    """A MongoStore whose collections record their writes into `log`."""

    def __init__(self, log: list, client: Any = None) -> None:
        super().__init__(Settings(), client=client or AsyncMongoMockClient())
        self.log = log

    def _connect(self) -> Any:
        fresh = self._db is None
        db = super()._connect()
        if fresh:
            for attr, value in list(vars(self).items()):
                if callable(getattr(value, "insert_one", None)) and not isinstance(value, Recorded):
                    setattr(self, attr, Recorded(value.name, value, self.log))
        return db


def problems(log: list) -> list[str]:
    return [v for name, write in log for v in violations(name, write)]


class TestEveryWriteOfTheConformanceSuiteFitsTheShardKeys(StorageConformance):
    @pytest.fixture
    def log(self):
        log: list = []
        yield log
        assert problems(log) == []

    @pytest.fixture
    def store_factory(self, log):
        return lambda: RecordingStore(log)

    @pytest.fixture
    def reopen_factory(self, log):
        return lambda old: RecordingStore(log, old.client)


def test_moving_an_activity_or_a_contact_to_another_customer_names_the_old_shard_key():
    log: list = []

    async def main():
        store = RecordingStore(log)
        await store.open()
        await store.insert_customer(customer(1))
        await store.insert_customer(customer(2))
        await store.insert_activity(activity(1))  # not associated yet: customer_id null
        (act,) = await store.get_activities(["act00001"])
        await store.update_activity(replace(act, version=2, customer_id="cust00001"), 1)
        await store.insert_contact(contact(1, "cust00001"))
        (con,) = await store.get_contacts(["cont00001"])
        await store.update_contact(replace(con, version=2, customer_id="cust00002"), 1)
        assert (await store.get_activities(["act00001"]))[0].customer_id == "cust00001"
        assert (await store.get_contacts(["cont00001"]))[0].customer_id == "cust00002"
        await store.close()

    asyncio.run(main())
    assert problems(log) == []
    moves = [
        (name, w["filter"])
        for name, w in log
        if w["images"] and w["images"][0][0] and w["images"][0][1]
        and w["images"][0][0].get("customer_id") != w["images"][0][1].get("customer_id")
    ]
    assert moves == [
        ("activities", {"_id": "act00001", "version": 1, "customer_id": None}),
        ("contacts", {"_id": "cont00001", "version": 1, "customer_id": "cust00001"}),
    ]


def test_a_migration_and_a_rename_write_within_the_shard_keys():
    log: list = []

    async def main():
        store = RecordingStore(log)
        await store.open()
        acme = customer(1, first_name=None, last_name=None, organization_name="Acme")
        await store.insert_customer(acme)
        for i in range(3):
            await store.insert_contact(contact(i, acme.id))
        await store.update_customer(replace(acme, version=2, organization_name="Zeta"), 1)
        await store._contacts.update_one({"_id": "cont00000"}, {"$unset": {"_dv": ""}})  # an old release's
        await store._customers.update_one({"_id": acme.id}, {"$set": {"_contacts_pending": True}})
        report = await store.migrate()
        assert report.rewritten["contacts"] == 1 and report.renames_resumed == 1
        await store.close()

    asyncio.run(main())
    assert problems(log) == []
    assert {w["op"] for _, w in log} >= {"insert_one", "update_one", "replace_one"}
    assert "update_many" not in {w["op"] for name, w in log if name == "contacts"}


def test_the_check_refuses_what_mongodb_refuses():
    pre, post = {"_id": "a", "customer_id": None}, {"_id": "a", "customer_id": "c"}
    # What the backend did before: a shard key change filtered on _id and version only.
    old = {"op": "replace_one", "filter": {"_id": "a", "version": 1}, "images": [(pre, post)], "documents": []}
    assert any("changes ['customer_id']" in v for v in violations("activities", old))
    stale_key = {**old, "filter": {"_id": "a", "version": 1, "customer_id": "c"}}
    assert any("changes ['customer_id']" in v for v in violations("activities", stale_key))
    by_term = {"op": "update_one", "filter": {"_terms": "x"}, "images": [(None, None)], "documents": []}
    assert any("neither _id nor the whole shard key" in v for v in violations("contacts", by_term))
    many = {"op": "update_many", "filter": {"customer_id": "c"}, "images": [(post, {**post, "customer_id": "d"})], "documents": []}
    assert any("only single-document writes" in v for v in violations("contacts", many))
    upsert = {"op": "update_one", "filter": {"refs": 1}, "upsert": True, "images": [(None, None)], "documents": []}
    assert any("upsert" in v for v in violations("identifiers", upsert))
    assert violations("nobody_knows", {"op": "insert_one", "documents": [{}], "images": []})


def test_the_documentation_suggests_exactly_these_shard_keys():
    text = (ROOT / "docs" / "operations.md").read_text()
    shown: dict[str, list[dict[str, Any]]] = {}
    for collection, spec in re.findall(r'sh\.shardCollection\("customer_context\.(\w+)", (\{[^}]*\})\)', text):
        key = {f: (v.strip('"') if v.startswith('"') else int(v)) for f, v in re.findall(r'(\w+): ("hashed"|-?1)', spec)}
        shown.setdefault(collection, []).append(key)
    assert shown == SHARD_KEYS
