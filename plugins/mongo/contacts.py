"""The mongo backend's contacts collection and the contact directory.

A contact document holds the record, its search terms as "FIELD:term" strings (`_terms`),
`_can_communicate`, and every sort key precomputed in `_sort`: one per (order, language) for
the language-sensitive orders, one per order for the others. The CUSTOMER order's customer
part (`_sort.CUSTOMER_<locale>`, the customer's display name) is shared by all contacts of a
customer: a rename rewrites it, one retryable write per contact, and `_cv` (the customer
version it was made from) keeps an older rename from overwriting a newer one.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from pymongo.errors import DuplicateKeyError

from service.domain.collation import sort_key
from service.domain.contact_directory import LANGUAGE_SENSITIVE, ContactField, ContactQuery, ContactSort
from service.domain.display_name import customer_display_name
from service.domain.records import Contact, Customer
from service.storage import DuplicateId, InvalidCursor, Page, RecordNotFound, StaleVersion

from .codec import (
    STORED_LOCALES,
    WITHOUT_DERIVED,
    contact_own_fields,
    contact_sort_fields,
    contact_token_filter,
    customer_part_keys,
    encodable,
    encode_cursor,
    nest,
    record_from,
    sort_field,
)
from .connection import unavailable_on_connection_loss as guarded

#: On a customer document: its contacts' customer sort keys are being rewritten (a rename).
PENDING = "_contacts_pending"
#: Contacts re-keyed per batch after a rename.
RENAME_BATCH = 500

#: Letters and digraphs that some supported language sorts its own way: two locales give
#: this text the same key only if they sort everything alike.
_PROBE = "a ä á b c č ć ch d dž đ ð e é h i ı l lj ł n nj o ô ö ő ø r ř s š ß t þ u ü ű y z ž æ œ å aa Aa AA Ch CH"

#: Every `_sort` path a contact document has.
ALL_SORT_PATHS = tuple(
    "_sort." + sort_field(order, loc)
    for order in ContactSort
    for loc in (STORED_LOCALES if order in LANGUAGE_SENSITIVE else ("",))
)


@functools.lru_cache(maxsize=64)
def key_locale(locale: str) -> str | None:
    """The stored locale whose sort keys are `locale`'s ("cs-CZ" -> "cs", unknown -> "en",
    as `service.domain.collation.sort_key` reads them); "" stays "" (insensitive orders)."""
    if not locale or locale in STORED_LOCALES:
        return locale
    probe = sort_key(_PROBE, locale)
    return next((loc for loc in STORED_LOCALES if sort_key(_PROBE, loc) == probe), None)


class ContactCollection:
    """Mixed into MongoStore, which sets `_contacts` and `_customers` (collections)."""

    _contacts: Any
    _customers: Any

    async def _customer_name(self, customer_id: str) -> tuple[str | None, int]:
        """The customer's display name and version (None and 0 when there is none)."""
        doc = await self._customers.find_one({"_id": customer_id}, WITHOUT_DERIVED)
        if doc is None:
            return None, 0
        customer = record_from(Customer, doc)
        return customer_display_name(customer), customer.version

    def _customer_fields(self, name: str | None, version: int) -> dict[str, Any]:
        return {**customer_part_keys(name), "_cv": version}

    async def _follow_customer(self, customer_id: str, seen_version: int, scope: dict[str, Any]) -> None:
        """After writing a contact whose customer part came from customer version
        `seen_version`: if the customer changed meanwhile, bring it up to date. Either
        this read sees the rename, or the rename's writes run after the contact was written
        and cover it. `scope` names the contact by `_id`: one retryable write."""
        name, version = await self._customer_name(customer_id)
        if version != seen_version:
            await self._contacts.update_one(
                {**scope, "customer_id": customer_id, "_cv": {"$lt": version}},
                {"$set": self._customer_fields(name, version)},
            )

    async def _customer_renamed(self, customer: Customer) -> None:
        """A customer's display name changed (version `customer.version` is stored, marked
        `_contacts_pending`): re-key its contacts in the CUSTOMER order, unless a newer
        version already did, then clear the mark.

        One write per contact, each on `_id` and so retryable (the driver retries it once
        across a failover, which an `update_many` is not), in `_id` order a batch at a time.
        Idempotent (`_cv < version`): when it stops half-way, the mark stays on the
        customer and the next write of the customer or `customer-context migrate` finishes
        it (`resume_renames`)."""
        fields = self._customer_fields(customer_display_name(customer), customer.version)
        stale: dict[str, Any] = {"customer_id": customer.id, "_cv": {"$lt": customer.version}}
        last = None
        while True:
            query = stale if last is None else {**stale, "_id": {"$gt": last}}
            ids = [d["_id"] for d in await self._contacts.find(query, {"_id": 1}).sort([("_id", 1)]).limit(RENAME_BATCH).to_list(None)]
            for contact_id in ids:
                await self._contacts.update_one({**stale, "_id": contact_id}, {"$set": fields})
            if len(ids) < RENAME_BATCH:
                break
            last = ids[-1]
        await self._customers.update_one(
            {"_id": customer.id, "version": customer.version}, {"$unset": {PENDING: ""}}
        )

    async def resume_renames(self) -> int:
        """Finish every customer rename whose contacts were left half-way; how many."""
        done = 0
        async for doc in self._customers.find({PENDING: {"$exists": True}}, WITHOUT_DERIVED):
            await self._customer_renamed(record_from(Customer, doc))
            done += 1
        return done

    async def _contact_derived(self, contact: Contact) -> dict[str, Any]:
        """Every derived field of a contact, as a `$set` (migrations.py rewrites with it)."""
        name, version = await self._customer_name(contact.customer_id)
        fields = {**contact_own_fields(contact), **self._customer_fields(name, version)}
        return nest({k: v for k, v in fields.items() if k.startswith("_")})

    # records -----------------------------------------------------------------------------
    @guarded
    async def insert_contact(self, contact: Contact) -> None:
        name, version = await self._customer_name(contact.customer_id)
        doc = {"_id": contact.id, **nest({**contact_own_fields(contact), **self._customer_fields(name, version)})}
        try:
            await self._contacts.insert_one(doc)
        except DuplicateKeyError:
            raise DuplicateId(contact.id) from None
        await self._follow_customer(contact.customer_id, version, {"_id": contact.id})

    @guarded
    async def get_contacts(self, ids: Sequence[str]) -> list[Contact | None]:
        docs = await self._by_ids(self._contacts, ids)  # type: ignore[attr-defined]
        return [record_from(Contact, docs.get(i)) for i in ids]

    @guarded
    async def update_contact(self, contact: Contact, expected_version: int) -> None:
        own = contact_own_fields(contact)
        # The usual case: same customer, so the customer part of the sort keys stays.
        result = await self._contacts.update_one(
            {"_id": contact.id, "version": expected_version, "customer_id": contact.customer_id}, {"$set": own}
        )
        if result.matched_count:
            return
        current = await self._contacts.find_one({"_id": contact.id}, {"version": 1, "customer_id": 1})
        if current is None:
            raise RecordNotFound(contact.id)
        if current["version"] != expected_version:
            raise StaleVersion(current["version"])
        # Moved to another customer: its name makes the customer part now. customer_id is
        # part of a documented shard key: the filter names its current value.
        name, version = await self._customer_name(contact.customer_id)
        result = await self._contacts.update_one(
            {"_id": contact.id, "version": expected_version, "customer_id": current["customer_id"]},
            {"$set": {**own, **self._customer_fields(name, version)}},
        )
        if result.matched_count == 0:
            await self._raise_conflict(self._contacts, contact.id)  # type: ignore[attr-defined]
        await self._follow_customer(contact.customer_id, version, {"_id": contact.id})

    @guarded
    async def delete_contact(self, contact_id: str) -> None:
        result = await self._contacts.delete_one({"_id": contact_id})
        if result.deleted_count == 0:
            raise RecordNotFound(contact_id)

    # the directory -----------------------------------------------------------------------
    @staticmethod
    def _filter(q: ContactQuery) -> dict[str, Any]:
        clauses: list[dict[str, Any]] = []
        if q.customer_id is not None:
            clauses.append({"customer_id": q.customer_id})
        if q.role is not None:
            clauses.append({"role": q.role.value})
        if q.reminder_contact is not None:
            clauses.append({"reminder_contact": q.reminder_contact})
        if q.can_communicate is not None:
            clauses.append({"_can_communicate": q.can_communicate})
        fields = q.search_in or frozenset(ContactField)
        for token in dict.fromkeys(q.tokens):
            clauses.append(contact_token_filter(token, fields))
        if not clauses:
            return {}
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    @staticmethod
    def _after(q: ContactQuery, cursor: str | None, width: int) -> list[str] | None:
        if cursor is None:
            return None
        try:
            order, descending, locale, keys, cid = json.loads(cursor)
        except (ValueError, TypeError, RecursionError) as exc:
            raise InvalidCursor(cursor) from exc
        if (order, descending, locale) != (q.order.value, q.descending, q.sort_locale):
            raise InvalidCursor(cursor)  # a cursor from another ordering of the list
        if not (isinstance(keys, list) and len(keys) == width and all(isinstance(k, str) for k in [*keys, cid])):
            raise InvalidCursor(cursor)
        if not all(encodable(k) for k in [*keys, cid]):
            raise InvalidCursor(cursor)
        return [*keys, cid]

    @guarded
    async def search_contacts(self, query: ContactQuery, *, first: int, after: str | None) -> Page[Contact]:
        stored = key_locale(query.sort_locale)
        if stored is None:
            raise ValueError(f"no stored sort keys sort like locale {query.sort_locale!r}")
        fields = contact_sort_fields(query.order, stored)
        after_key = self._after(query, after, len(fields))
        # Leave out what the page does not need: the terms and the other orders' keys.
        projection = {"_terms": 0, "_cv": 0, "_can_communicate": 0, **{p: 0 for p in ALL_SORT_PATHS if p not in fields}}
        prefix_parts = [query.order.value, query.descending, query.sort_locale]
        return await self._page(  # type: ignore[attr-defined]
            self._contacts,
            Contact,
            self._filter(query),
            fields,
            after_key,
            descending=query.descending,
            first=first,
            cursor_of=lambda keys, i: encode_cursor([*prefix_parts, keys, i]),
            projection=projection,
        )
