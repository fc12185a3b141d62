"""The mongo backend: one collection per record type, `_id` = the record's id, writes as
compare-and-set on `version`, lists paged by keyset cursors over indexed sort keys.

It uses only the collection API that PyMongo's asyncio client, Motor and mongomock-motor
share (see `connection.resolved` for the one difference that matters), and no transactions:
every write is a single-document atomic step, and where one change touches two documents
(a customer and its identifier pointers, a customer and its contacts' sort keys) the order
of the steps keeps every reader correct (see `_add_identifiers`, `contacts._follow_customer`).
"""

from __future__ import annotations

import heapq
import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError

from service.domain.display_name import customer_display_name
from service.domain.records import Activity, Customer, EntryStatus, OpenListEntry
from service.settings import Settings
from service.storage import DuplicateId, Page, RecordNotFound, StaleVersion, StoreUnavailable

from .codec import (
    WITHOUT_DERIVED,
    customer_document,
    decode_pair,
    email_key,
    encodable,
    encode_cursor,
    identifier_keys,
    keyset,
    phone_key,
    prefix,
    record_document,
    record_from,
    storable,
    timestamp,
)
from .connection import make_client, ping, redact, resolved, unavailable_on_connection_loss
from .contacts import PENDING, ContactCollection
from . import migrations

guarded = unavailable_on_connection_loss
log = logging.getLogger("customer_context.mongo")

#: A list's totalCount is exact up to this many matches, an estimate beyond (a count reads
#: every match's index entry, on every shard, per page).
EXACT_COUNT_LIMIT = 10_000
#: Fuzzy matching's candidates: at most this many ids per blocking key (a common name's
#: block), read in id order.
BLOCK_READ_LIMIT = 1_000

#: Rounds of claiming a sender's key before add_to_open_list gives up (each lost round means
#: another writer changed the claim or resolved its entry meanwhile).
CLAIM_ATTEMPTS = 10


def quorum(setting: str) -> str | int | None:
    """createIndexes' commitQuorum from the setting: a number of members, a name, or None
    (empty: the server's default, and no option a server before 4.4 would refuse)."""
    if not setting:
        return None
    return int(setting) if setting.isdigit() else setting


def both(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """The filter requiring `a` and `b` (either may be empty: no condition)."""
    if not a:
        return b
    if not b:
        return a
    return {"$and": [a, b]}


def path_value(doc: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        doc = doc[part]
    return doc


class MongoStore(ContactCollection):
    """Storage in a MongoDB database (`mongodb_url`, `mongodb_database`). Pass `client` to
    use a client made elsewhere (a Motor client, or mongomock-motor's in tests): the store
    then does not close it."""

    def __init__(self, settings: Settings | None = None, *, client: Any = None) -> None:
        settings = settings or Settings()
        self.url = settings.mongodb_url
        self.database_name = settings.mongodb_database
        self.timeout_ms = settings.mongodb_timeout_ms
        #: No call outlives a request: without a request's own deadline, this bounds it.
        self.operation_timeout_seconds = settings.request_timeout_seconds
        self.commit_quorum = quorum(settings.mongodb_commit_quorum)
        self.index_build_timeout_seconds = settings.mongodb_index_build_timeout_seconds
        #: Lists count their matches exactly up to here (docs/operations.md, "What grows").
        self.exact_count_limit = EXACT_COUNT_LIMIT
        #: Fuzzy matching reads at most this many customers of one blocking key.
        self.block_read_limit = BLOCK_READ_LIMIT
        self._client = client
        self._owns_client = client is None
        self._db: Any = None

    # lifecycle -------------------------------------------------------------------------
    def _connect(self) -> Any:
        if self._client is None:
            self._client = make_client(self.url, self.timeout_ms, int(self.operation_timeout_seconds * 1000))
        if self._db is None:
            db = self._db = self._client.get_database(self.database_name)
            self._customers = db["customers"]
            self._contacts = db["contacts"]
            self._activities = db["activities"]
            self._entries = db["open_list_entries"]
            # sender_key -> the OPEN entry a sender's next activity joins: `_id` is the key,
            # so its unique index makes a claim atomic (mongomock keeps no partial indexes).
            self._open_senders = db["open_list_senders"]
            self._identifiers = db["identifiers"]
            self._meta = db["service_meta"]
        return self._db

    @property
    def client(self) -> Any:
        """The client (for a second store over the same data, in tests); connects on first use."""
        self._connect()
        return self._client

    @property
    def database(self) -> Any:
        """The database object (for tests and tools); connects on first use."""
        return self._connect()

    @guarded
    async def open(self) -> None:
        """Connect and check the database is in this release's layout (migrations.py): no
        index builds or rewrites here, `customer-context migrate` does those."""
        self._connect()
        try:
            await self.ping()
            await migrations.check(self)
        except BaseException:
            await self.close()
            raise

    async def migrate(self, progress: Any = None) -> migrations.Report:
        """Bring the database to this release's layout (`customer-context migrate`), with
        the commit quorum and index build timeout of the settings. Not bound by a request's
        time (`guarded`): index builds have their own."""
        self._connect()
        await self.ping()
        kwargs = {} if progress is None else {"progress": progress}
        try:
            return await migrations.migrate(
                self, commit_quorum=self.commit_quorum, timeout_seconds=self.index_build_timeout_seconds, **kwargs
            )
        except ConnectionFailure as exc:
            raise StoreUnavailable(f"MongoDB at {redact(self.url)} is unreachable: {exc}") from exc

    async def close(self) -> None:
        client, self._db = self._client, None
        if self._owns_client and client is not None:
            self._client = None
            await resolved(client.close())

    async def ping(self) -> None:
        await ping(self._connect(), self.url, self.timeout_ms)

    # helpers ---------------------------------------------------------------------------
    @staticmethod
    async def _by_ids(collection: Any, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        unique = [i for i in dict.fromkeys(ids) if encodable(i)]  # others are no stored id
        if not unique:
            return {}
        docs = await collection.find({"_id": {"$in": unique}}, WITHOUT_DERIVED).to_list(None)
        return {doc["_id"]: doc for doc in docs}

    @staticmethod
    async def _insert(collection: Any, doc: dict[str, Any]) -> None:
        try:
            await collection.insert_one(doc)
        except DuplicateKeyError:
            raise DuplicateId(doc["_id"]) from None

    @staticmethod
    async def _raise_conflict(collection: Any, record_id: str, expected_version: int | None = None) -> None:
        """RecordNotFound or StaleVersion for a compare-and-set that matched nothing (or,
        given `expected_version`, would not match); returns if the stored version is it."""
        current = await collection.find_one({"_id": record_id}, {"version": 1})
        if current is None:
            raise RecordNotFound(record_id)
        if expected_version is None or current["version"] != expected_version:
            raise StaleVersion(current["version"])

    async def _replace(
        self, collection: Any, record: Any, expected_version: int, doc: dict[str, Any], *, keyed_by: str | None = None
    ) -> None:
        """Compare-and-set on version. `keyed_by` names a field a documented shard key holds
        besides `_id` (plugins/mongo/sharding.py): the filter then carries its current value,
        as MongoDB requires of a write that may change it."""
        if record.version != expected_version + 1:
            await self._raise_conflict(collection, record.id, expected_version)
            raise ValueError("the new record's version must be expected_version + 1")
        where: dict[str, Any] = {"_id": record.id, "version": expected_version}
        if keyed_by is not None:
            # The usual case first: the field keeps its value.
            result = await collection.replace_one({**where, keyed_by: doc.get(keyed_by)}, doc)
            if result.matched_count:
                return
            current = await collection.find_one({"_id": record.id}, {"version": 1, keyed_by: 1})
            if current is None:
                raise RecordNotFound(record.id)
            if current["version"] != expected_version:
                raise StaleVersion(current["version"])
            where[keyed_by] = current.get(keyed_by)
        result = await collection.replace_one(where, doc)
        if result.matched_count == 0:
            await self._raise_conflict(collection, record.id)

    async def _page(
        self,
        collection: Any,
        cls: type,
        base: dict[str, Any],
        fields: Sequence[str],
        after: Sequence[Any] | None,
        *,
        descending: bool,
        first: int,
        cursor_of: Any,
        projection: dict[str, int] | None = None,
    ) -> Page:
        """One page of `base`'s matches in (fields..., _id) order after the key `after`."""
        if not storable(base):  # a searched word no stored text can hold (a lone surrogate)
            return Page([], 0, False, after is not None)
        query = base if after is None else both(base, keyset(fields, after, descending))
        direction = -1 if descending else 1
        order = [(f, direction) for f in fields] + [("_id", direction)]
        docs = await collection.find(query, projection).sort(order).limit(first + 1).to_list(None)
        total, exact = await self._count(collection, base)
        items = [
            (cursor_of([path_value(doc, f) for f in fields], doc["_id"]), record_from(cls, doc)) for doc in docs[:first]
        ]
        return Page(items, total, len(docs) > first, after is not None, exact)

    async def _count(self, collection: Any, base: dict[str, Any]) -> tuple[int, bool]:
        """The number of `base`'s matches, exact up to `self.exact_count_limit`; beyond it
        the limit itself (filtered lists: counting stops there) or the collection's size
        from its metadata (unfiltered ones: no scan at all), and False."""
        cap = self.exact_count_limit
        if not base:
            estimate = await collection.estimated_document_count()
            if estimate > cap:
                return estimate, False
        counted = await collection.count_documents(base, limit=cap + 1)
        return (cap, False) if counted > cap else (counted, True)

    # customers -------------------------------------------------------------------------
    async def _add_identifiers(self, customer_id: str, keys: set[str], version: int) -> None:
        """Point `keys` at the customer, tagged with the version that brings them. Done
        before the customer is written, so a reader that sees the customer with the
        identifier also finds the pointer; a write that then fails leaves only an extra
        pointer, which readers verify away."""
        ref = {"customer_id": customer_id, "version": version}
        for key in sorted(keys):
            try:
                await self._identifiers.update_one({"_id": key}, {"$addToSet": {"refs": ref}}, upsert=True)
            except DuplicateKeyError:  # two upserts of a new key raced; the other created it
                await self._identifiers.update_one({"_id": key}, {"$addToSet": {"refs": ref}}, upsert=True)

    async def _remove_identifiers(self, customer_id: str, keys: set[str], version: int) -> None:
        """After the customer's version `version` (which lacks `keys`) is written: drop its
        pointers that older versions added. A later version that brings a key back adds a
        pointer tagged with its own, higher version, which this never removes, whatever
        the order in which concurrent writers get here."""
        for key in sorted(keys):
            await self._identifiers.update_one(
                {"_id": key}, {"$pull": {"refs": {"customer_id": customer_id, "version": {"$lt": version}}}}
            )
            await self._identifiers.delete_one({"_id": key, "refs": {"$size": 0}})

    @guarded
    async def insert_customer(self, customer: Customer) -> None:
        await self._add_identifiers(customer.id, identifier_keys(customer), customer.version)
        await self._insert(self._customers, customer_document(customer))

    @guarded
    async def get_customers(self, ids: Sequence[str]) -> list[Customer | None]:
        docs = await self._by_ids(self._customers, ids)
        return [record_from(Customer, docs.get(i)) for i in ids]

    @guarded
    async def update_customer(self, customer: Customer, expected_version: int) -> None:
        stored = await self._customers.find_one({"_id": customer.id}, WITHOUT_DERIVED)
        if stored is None:
            raise RecordNotFound(customer.id)
        if stored["version"] != expected_version:
            raise StaleVersion(stored["version"])
        if customer.version != expected_version + 1:
            raise ValueError("the new record's version must be expected_version + 1")
        # The compare-and-set below only succeeds if the stored document is still this one.
        previous = record_from(Customer, stored)
        old_keys, new_keys = identifier_keys(previous), identifier_keys(customer)
        # A rename (or one an earlier write left half-way) re-keys the contacts after the
        # customer is written; the mark says so until it is done.
        rekey = customer_display_name(previous) != customer_display_name(customer) or PENDING in stored
        doc = customer_document(customer)
        if rekey:
            doc[PENDING] = True
        await self._add_identifiers(customer.id, new_keys - old_keys, customer.version)
        result = await self._customers.replace_one({"_id": customer.id, "version": expected_version}, doc)
        if result.matched_count == 0:
            await self._raise_conflict(self._customers, customer.id)
        await self._remove_identifiers(customer.id, old_keys - new_keys, customer.version)
        if rekey:
            try:
                await self._customer_renamed(customer)
            except PyMongoError as exc:
                # The customer is written: the change succeeded. Its contacts keep sorting by
                # the old name until the mark is acted on (the next write, or migrate).
                log.warning("customer %s renamed; re-keying its contacts stopped (%s), to be resumed", customer.id, exc)

    @guarded
    async def find_customers_by_identifiers(
        self, *, phones: Sequence[str], emails: Sequence[str], limit: int
    ) -> list[Customer]:
        keys = [k for k in dict.fromkeys([phone_key(p) for p in phones] + [email_key(e) for e in emails]) if encodable(k)]
        if not keys:
            return []
        # Targeted reads when sharded on hashed _id: the pointers, then the customers.
        pointers = await self._identifiers.find({"_id": {"$in": keys}}).to_list(None)
        candidates = sorted({ref["customer_id"] for doc in pointers for ref in doc.get("refs", ())})
        wanted_phones, wanted_emails = set(phones), set(emails)
        found = [
            c
            for c in await self.get_customers(candidates)
            if c is not None
            and (any(p.e164 in wanted_phones for p in c.phones) or any(e.normalized in wanted_emails for e in c.emails))
        ]
        return found[:limit]

    @guarded
    async def find_customers_by_blocking_keys(self, keys: Sequence[str], *, limit: int) -> list[Customer]:
        if not keys:
            return []
        # Customers sharing more of the keys first (ties by id), as the memory store: when a
        # common name's blocks hold more than `limit`, the likeliest candidates are kept. Each
        # block is read up to `block_read_limit` ids (in id order, from the (_blocking, _id)
        # index), so a very common name costs a bounded read, not its whole block.
        shared: Counter[str] = Counter()
        for key in filter(encodable, dict.fromkeys(keys)):
            cursor = self._customers.find({"_blocking": key}, {"_id": 1}).sort([("_blocking", 1), ("_id", 1)])
            shared.update(doc["_id"] for doc in await cursor.limit(self.block_read_limit).to_list(None))
        best = heapq.nsmallest(limit, shared.items(), key=lambda item: (-item[1], item[0]))
        return [c for c in await self.get_customers([i for i, _ in best]) if c is not None]

    @guarded
    async def search_customers(self, tokens: Sequence[str], *, first: int, after: str | None) -> Page[Customer]:
        after_key = decode_pair(after, dated=False)
        words = list(dict.fromkeys(tokens))
        base: dict[str, Any] = {}
        if len(words) == 1:
            base = {"_terms": prefix(words[0])}
        elif words:
            base = {"$and": [{"_terms": prefix(w)} for w in words]}
        return await self._page(
            self._customers,
            Customer,
            base,
            ["_sort"],
            after_key,
            descending=False,
            first=first,
            cursor_of=lambda keys, i: encode_cursor([*keys, i]),
            projection={"_terms": 0},
        )

    # activities ------------------------------------------------------------------------
    @guarded
    async def insert_activity(self, activity: Activity) -> None:
        await self._insert(self._activities, record_document(activity))

    @guarded
    async def get_activities(self, ids: Sequence[str]) -> list[Activity | None]:
        docs = await self._by_ids(self._activities, ids)
        return [record_from(Activity, docs.get(i)) for i in ids]

    @guarded
    async def update_activity(self, activity: Activity, expected_version: int) -> None:
        # Associating an activity changes its customer_id, part of a documented shard key.
        await self._replace(self._activities, activity, expected_version, record_document(activity), keyed_by="customer_id")

    @guarded
    async def list_activities(
        self,
        *,
        customer_id: str | None,
        unassociated: bool | None,
        first: int,
        after: str | None,
        visible_to_agent: str | None = None,
    ) -> Page[Activity]:
        after_key = decode_pair(after, dated=True)
        # An agent's own and the unassigned waiting callers; other agents' are left out in
        # the query itself, so pages and totals count only what the agent may see.
        waiting: dict[str, Any] = {"customer_id": None}
        if visible_to_agent is not None:
            waiting["agent_id"] = {"$in": [visible_to_agent, None]}
        if customer_id is not None:
            if unassociated:
                return Page([], 0, False, after is not None)
            base: dict[str, Any] = {"customer_id": customer_id}
        elif unassociated:
            base = waiting
        elif unassociated is False:
            base = {"customer_id": {"$ne": None}}
        elif visible_to_agent is not None:
            base = {"$or": [{"customer_id": {"$ne": None}}, waiting]}
        else:
            base = {}
        return await self._page(
            self._activities,
            Activity,
            base,
            ["occurred_at"],
            after_key,
            descending=True,
            first=first,
            cursor_of=lambda keys, i: encode_cursor([*keys, i]),
        )

    # open list -------------------------------------------------------------------------
    @guarded
    async def insert_open_list_entry(self, entry: OpenListEntry) -> None:
        await self._insert(self._entries, record_document(entry))

    @guarded
    async def add_to_open_list(self, entry: OpenListEntry) -> OpenListEntry:
        # The entry is stored before it is claimed, so a claim never names a missing entry.
        await self._insert(self._entries, record_document(entry))
        if entry.sender_key is None:
            return entry
        for _ in range(CLAIM_ATTEMPTS):
            try:
                claim = await self._open_senders.find_one_and_update(
                    {"_id": entry.sender_key},
                    {"$setOnInsert": {"entry_id": entry.id}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
            except DuplicateKeyError:  # two upserts of one key at once: the other won; read it
                continue
            if claim["entry_id"] == entry.id:
                return entry
            joined = await self._entries.find_one_and_update(
                {"_id": claim["entry_id"], "status": EntryStatus.OPEN.value},
                {
                    "$push": {"more_activity_ids": entry.activity_id},
                    "$inc": {"version": 1},
                    "$set": {"updated_at": timestamp(entry.updated_at)},
                },
                projection=WITHOUT_DERIVED,
                return_document=ReturnDocument.AFTER,
            )
            if joined is not None:
                # Nobody could have joined this one: it never held the claim.
                await self._entries.delete_one({"_id": entry.id, "version": 1})
                return record_from(OpenListEntry, joined)
            # The claimed entry left the open list: release its claim, then claim again.
            await self._open_senders.delete_one({"_id": entry.sender_key, "entry_id": claim["entry_id"]})
        raise StoreUnavailable(f"the open list's sender claims kept changing under concurrent writes ({CLAIM_ATTEMPTS} attempts)")

    @guarded
    async def get_open_list_entries(self, ids: Sequence[str]) -> list[OpenListEntry | None]:
        docs = await self._by_ids(self._entries, ids)
        return [record_from(OpenListEntry, docs.get(i)) for i in ids]

    @guarded
    async def update_open_list_entry(self, entry: OpenListEntry, expected_version: int) -> None:
        await self._replace(self._entries, entry, expected_version, record_document(entry))
        if entry.status is not EntryStatus.OPEN and entry.sender_key is not None:
            await self._open_senders.delete_one({"_id": entry.sender_key, "entry_id": entry.id})

    @guarded
    async def list_open_list_entries(
        self, *, agent_id: str | None, first: int, after: str | None
    ) -> Page[OpenListEntry]:
        after_key = decode_pair(after, dated=True)
        base: dict[str, Any] = {"status": EntryStatus.OPEN.value}
        if agent_id is not None:
            base["agent_id"] = agent_id
        return await self._page(
            self._entries,
            OpenListEntry,
            base,
            ["created_at"],
            after_key,
            descending=False,
            first=first,
            cursor_of=lambda keys, i: encode_cursor([*keys, i]),
        )
