"""The mongo backend's layout (indexes, derived fields) and the step that brings a database
to it: `customer-context migrate`, run once per release by the operator, instead of index
builds and rewrites inside every process's `open()`.

`service_meta` holds the layout a database is in (`{_id: "layout", layout, collation}`). A
process serves only a database in exactly its own layout (`check`): an older one is refused
with the command to run, a newer one (this process is the old release) with "upgrade it".
A database with no records at all is a new installation: `check` migrates it at once
(building indexes on empty collections takes no time).

Every customer and contact document carries `_dv`, the version of the code that computed
its derived fields (search terms, sort keys, blocking keys). `migrate` rewrites the
documents whose `_dv` is not the current one, each with a compare-and-set on its record
version, so it is idempotent and can be stopped and run again; run it once more after a
rolling upgrade has replaced the last old process, to catch what those wrote meanwhile.
Index builds go through `createIndexes` with the operator's commit quorum, each bounded by
the operator's timeout (`pymongo.timeout`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pymongo
from pymongo import IndexModel
from pymongo.errors import OperationFailure

from service.domain.collation import COLLATION_VERSION
from service.domain.records import Contact, Customer
from service.storage import StoreUnavailable

from .codec import DERIVED_VERSION, LAYOUT_VERSION, WITHOUT_DERIVED, customer_derived, record_from
from .indexes import INDEXES, RETIRED_INDEXES

log = logging.getLogger("customer_context.mongo.migrations")

MARKER = "layout"


def index_fingerprint() -> str:
    """A digest of every index this code wants: an index added or changed without a bump of
    LAYOUT_VERSION still needs a migrate before a process serves."""
    text = json.dumps(sorted((c, name, keys) for c, specs in INDEXES.items() for name, keys in specs))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


#: What this code needs of a database.
CURRENT = {"layout": LAYOUT_VERSION, "collation": COLLATION_VERSION, "indexes": index_fingerprint()}
#: Documents rewritten per batch.
BATCH = 500
#: MongoDB's "index not found" (dropping a retired index that is already gone).
INDEX_NOT_FOUND = 27


class LayoutMismatch(StoreUnavailable):
    """The database is in another layout than this code's; the message says what to do."""


@dataclass
class Report:
    """What one `migrate` did."""

    indexes_built: list[str] = field(default_factory=list)
    indexes_dropped: list[str] = field(default_factory=list)
    rewritten: dict[str, int] = field(default_factory=dict)
    renames_resumed: int = 0
    layout: dict[str, Any] = field(default_factory=dict)


def describe(marker: dict[str, Any] | None) -> str:
    if marker is None:
        return "an older release's layout (no layout mark)"
    same_indexes = marker.get("indexes") == CURRENT["indexes"]
    return f"layout {marker.get('layout')} (collation {marker.get('collation')}{'' if same_indexes else ', other indexes'})"


async def check(store: Any) -> None:
    """Return if the store's database is in this code's layout (migrating a new, empty
    database first); LayoutMismatch otherwise."""
    marker = await store._meta.find_one({"_id": MARKER})
    if marker is not None and {k: marker.get(k) for k in CURRENT} == CURRENT:
        return
    if marker is None and await _empty(store):
        log.info("a new MongoDB database: creating its indexes")
        await migrate(store)
        return
    if marker is not None and marker.get("layout", 0) > LAYOUT_VERSION:
        raise LayoutMismatch(
            f"the MongoDB database {store.database_name} is in {describe(marker)}, newer than this release's "
            f"(layout {LAYOUT_VERSION}): upgrade this process to the release that migrated it"
        )
    raise LayoutMismatch(
        f"the MongoDB database {store.database_name} is in {describe(marker)}, older than this release's "
        f"(layout {LAYOUT_VERSION}, collation {COLLATION_VERSION}): run `customer-context migrate` with the same "
        "--backend and --mongodb-* settings first (docs/operations.md, \"Migrations\")"
    )


async def _empty(store: Any) -> bool:
    for collection in (store._customers, store._contacts, store._activities, store._entries):
        if await collection.find_one({}, {"_id": 1}) is not None:
            return False
    return True


async def migrate(
    store: Any,
    *,
    commit_quorum: str | int | None = None,
    timeout_seconds: float | None = None,
    progress: Callable[[str], None] = log.info,
) -> Report:
    """Bring the store's database to this code's layout: build missing indexes, drop retired
    ones, rewrite stale derived fields, finish renames left half-way, then mark the layout. Safe to run again and to run
    while older processes serve (they keep working; run it again once they are gone)."""
    db = store.database
    report = Report()
    options: dict[str, Any] = {} if commit_quorum is None else {"commitQuorum": commit_quorum}
    for collection, specs in INDEXES.items():
        models = [IndexModel(keys, name=name) for name, keys in specs]
        progress(f"{collection}: building {len(models)} indexes (those that exist are kept)")
        # One createIndexes per collection: the server builds them in one pass over the data.
        with pymongo.timeout(timeout_seconds):
            await db[collection].create_indexes(models, **options)
        report.indexes_built += [name for name, _ in specs]
    for collection, names in RETIRED_INDEXES.items():
        for name in names:
            try:
                with pymongo.timeout(timeout_seconds):
                    await db[collection].drop_index(name)
            except OperationFailure as exc:
                if exc.code != INDEX_NOT_FOUND and "not found" not in str(exc):
                    raise
                continue
            progress(f"{collection}: dropped the retired index {name}")
            report.indexes_dropped.append(name)
    report.rewritten["customers"] = await _rewrite(store._customers, Customer, _customer_fields(store), progress)
    report.rewritten["contacts"] = await _rewrite(store._contacts, Contact, store._contact_derived, progress)
    report.renames_resumed = await store.resume_renames()
    if report.renames_resumed:
        progress(f"customers: {report.renames_resumed} renames whose contacts were left half-way finished")
    await store._meta.update_one({"_id": MARKER}, {"$set": CURRENT}, upsert=True)
    report.layout = dict(CURRENT)
    progress(f"the database is in layout {LAYOUT_VERSION} (collation {COLLATION_VERSION})")
    return report


def _customer_fields(store: Any) -> Callable[[Customer], Any]:
    async def fields(customer: Customer) -> dict[str, Any]:
        return customer_derived(customer)

    return fields


async def _rewrite(collection: Any, cls: type, derived: Callable[[Any], Any], progress: Callable[[str], None]) -> int:
    """Recompute the derived fields of every document whose `_dv` is not this code's, in
    `_id` order, a batch at a time; each write is a compare-and-set on the record's version
    (a record changed meanwhile was written by current code, or is caught next time)."""
    done, last = 0, None
    stale: dict[str, Any] = {"_dv": {"$ne": DERIVED_VERSION}}
    while True:
        query = stale if last is None else {**stale, "_id": {"$gt": last}}
        docs = await collection.find(query, WITHOUT_DERIVED).sort([("_id", 1)]).limit(BATCH).to_list(None)
        for doc in docs:
            record = record_from(cls, doc)
            await collection.update_one({"_id": record.id, "version": record.version}, {"$set": await derived(record)})
        done += len(docs)
        if docs:
            progress(f"{collection.name}: {done} documents with derived fields of an older release rewritten")
        if len(docs) < BATCH:
            return done
        last = docs[-1]["_id"]
