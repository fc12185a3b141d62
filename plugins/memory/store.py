"""The embedded default store: dicts for records, sorted indexes for every list and lookup.

Single process by design. Every method does its work without awaiting in the middle, so on
one event loop each call is atomic: a compare-and-set on `version` cannot interleave.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from service.domain.display_name import customer_display_name
from service.domain.records import Activity, Customer, EntryStatus, OpenListEntry
from service.domain.search import customer_search_terms, customer_sort_key
from service.storage import DuplicateId, InvalidCursor, Page, RecordNotFound, StaleVersion

from .contacts import ContactTables
from .index import SortedIndex, take

def _encode(key: tuple) -> str:
    return json.dumps([k.isoformat() if isinstance(k, datetime) else k for k in key], ensure_ascii=False)


def _decode(cursor: str | None, *, dated: bool) -> tuple | None:
    if cursor is None:
        return None
    try:
        first, second = json.loads(cursor)
        if not isinstance(first, str) or not isinstance(second, str):
            raise ValueError
        return (datetime.fromisoformat(first) if dated else first, second)
    except (ValueError, TypeError) as exc:
        raise InvalidCursor(cursor) from exc


class MemoryStore(ContactTables):
    """Storage in this process's memory. Lost at exit."""

    def __init__(self, settings: Any = None) -> None:
        self._init_contacts()
        self._customers: dict[str, Customer] = {}
        self._customer_keys: dict[str, tuple[str, str]] = {}
        self._customer_order: SortedIndex[tuple[str, str]] = SortedIndex()
        self._customer_terms: dict[str, set[str]] = {}
        self._term_ids: dict[str, set[str]] = defaultdict(set)
        self._terms: SortedIndex[str] = SortedIndex()
        self._by_phone: dict[str, set[str]] = defaultdict(set)
        self._by_email: dict[str, set[str]] = defaultdict(set)

        self._activities: dict[str, Activity] = {}
        self._activity_all: SortedIndex[tuple[datetime, str]] = SortedIndex()
        self._activity_by_customer: dict[str | None, SortedIndex[tuple[datetime, str]]] = defaultdict(SortedIndex)

        self._entries: dict[str, OpenListEntry] = {}
        self._open_all: SortedIndex[tuple[datetime, str]] = SortedIndex()
        self._open_by_agent: dict[str | None, SortedIndex[tuple[datetime, str]]] = defaultdict(SortedIndex)

    # lifecycle -------------------------------------------------------------------------
    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def ping(self) -> None:
        pass

    # helpers ---------------------------------------------------------------------------
    @staticmethod
    def _check_version(table: dict, record_id: str, expected_version: int, new_version: int) -> None:
        current = table.get(record_id)
        if current is None:
            raise RecordNotFound(record_id)
        if current.version != expected_version:
            raise StaleVersion(current.version)
        if new_version != expected_version + 1:
            raise ValueError("the new record's version must be expected_version + 1")

    # customers -------------------------------------------------------------------------
    def _index_customer(self, c: Customer) -> None:
        key = (customer_sort_key(c), c.id)
        self._customer_keys[c.id] = key
        self._customer_order.add(key)
        terms = customer_search_terms(c)
        self._customer_terms[c.id] = terms
        for term in terms:
            ids = self._term_ids[term]
            if not ids:
                self._terms.add(term)
            ids.add(c.id)
        for p in c.phones:
            self._by_phone[p.e164].add(c.id)
        for e in c.emails:
            self._by_email[e.normalized].add(c.id)

    def _unindex_customer(self, c: Customer) -> None:
        self._customer_order.discard(self._customer_keys.pop(c.id))
        for term in self._customer_terms.pop(c.id):
            ids = self._term_ids[term]
            ids.discard(c.id)
            if not ids:
                del self._term_ids[term]
                self._terms.discard(term)
        for p in c.phones:
            self._by_phone[p.e164].discard(c.id)
        for e in c.emails:
            self._by_email[e.normalized].discard(c.id)

    async def insert_customer(self, customer: Customer) -> None:
        if customer.id in self._customers:
            raise DuplicateId(customer.id)
        self._customers[customer.id] = customer
        self._index_customer(customer)

    async def get_customers(self, ids: Sequence[str]) -> list[Customer | None]:
        return [self._customers.get(i) for i in ids]

    async def update_customer(self, customer: Customer, expected_version: int) -> None:
        self._check_version(self._customers, customer.id, expected_version, customer.version)
        previous = self._customers[customer.id]
        self._unindex_customer(previous)
        self._customers[customer.id] = customer
        self._index_customer(customer)
        if customer_display_name(previous) != customer_display_name(customer):
            self._customer_renamed(customer.id)

    async def find_customers_by_identifiers(
        self, *, phones: Sequence[str], emails: Sequence[str], limit: int
    ) -> list[Customer]:
        ids: set[str] = set()
        for p in phones:
            ids |= self._by_phone.get(p, set())
        for e in emails:
            ids |= self._by_email.get(e, set())
        return [self._customers[i] for i in sorted(ids)[:limit]]

    def _ids_with_prefix(self, token: str) -> set[str]:
        out: set[str] = set()
        # Terms from `token` on, in order, start with it until the first one that does not.
        for term in self._terms.iter_from(token):
            if not term.startswith(token):
                break
            out |= self._term_ids[term]
        return out

    async def search_customers(self, tokens: Sequence[str], *, first: int, after: str | None) -> Page[Customer]:
        after_key = _decode(after, dated=False)
        if not tokens:
            keys, more = take(self._customer_order.iter_after(after_key), first)
            total = len(self._customer_order)
        else:
            matched: set[str] | None = None
            for token in sorted(set(tokens), key=len, reverse=True):
                ids = self._ids_with_prefix(token)
                matched = ids if matched is None else matched & ids
                if not matched:
                    break
            found = sorted(self._customer_keys[i] for i in matched or ())
            total = len(found)
            keys, more = take(SortedIndex.from_sorted(found).iter_after(after_key), first)
        items = [(_encode(k), self._customers[k[1]]) for k in keys]
        return Page(items, total, more, after is not None)

    # activities ------------------------------------------------------------------------
    def _index_activity(self, a: Activity) -> None:
        key = (a.occurred_at, a.id)
        self._activity_all.add(key)
        self._activity_by_customer[a.customer_id].add(key)

    def _unindex_activity(self, a: Activity) -> None:
        key = (a.occurred_at, a.id)
        self._activity_all.discard(key)
        self._activity_by_customer[a.customer_id].discard(key)

    async def insert_activity(self, activity: Activity) -> None:
        if activity.id in self._activities:
            raise DuplicateId(activity.id)
        self._activities[activity.id] = activity
        self._index_activity(activity)

    async def get_activities(self, ids: Sequence[str]) -> list[Activity | None]:
        return [self._activities.get(i) for i in ids]

    async def update_activity(self, activity: Activity, expected_version: int) -> None:
        self._check_version(self._activities, activity.id, expected_version, activity.version)
        self._unindex_activity(self._activities[activity.id])
        self._activities[activity.id] = activity
        self._index_activity(activity)

    async def list_activities(
        self, *, customer_id: str | None, unassociated: bool | None, first: int, after: str | None
    ) -> Page[Activity]:
        after_key = _decode(after, dated=True)
        keep = None
        if customer_id is not None:
            index = self._activity_by_customer.get(customer_id) or SortedIndex()
            if unassociated:
                index = SortedIndex()
        elif unassociated:
            index = self._activity_by_customer.get(None) or SortedIndex()
        else:
            index = self._activity_all
            if unassociated is False:
                keep = lambda k: self._activities[k[1]].customer_id is not None  # noqa: E731
        keys, more = take(index.iter_after(after_key, descending=True), first, keep)
        if keep is None:
            total = len(index)
        else:
            total = len(index) - len(self._activity_by_customer.get(None) or ())
        items = [(_encode(k), self._activities[k[1]]) for k in keys]
        return Page(items, total, more, after is not None)

    # open list -------------------------------------------------------------------------
    def _index_entry(self, e: OpenListEntry) -> None:
        if e.status is EntryStatus.OPEN:
            key = (e.created_at, e.id)
            self._open_all.add(key)
            self._open_by_agent[e.agent_id].add(key)

    def _unindex_entry(self, e: OpenListEntry) -> None:
        key = (e.created_at, e.id)
        self._open_all.discard(key)
        self._open_by_agent[e.agent_id].discard(key)

    async def insert_open_list_entry(self, entry: OpenListEntry) -> None:
        if entry.id in self._entries:
            raise DuplicateId(entry.id)
        self._entries[entry.id] = entry
        self._index_entry(entry)

    async def get_open_list_entries(self, ids: Sequence[str]) -> list[OpenListEntry | None]:
        return [self._entries.get(i) for i in ids]

    async def update_open_list_entry(self, entry: OpenListEntry, expected_version: int) -> None:
        self._check_version(self._entries, entry.id, expected_version, entry.version)
        self._unindex_entry(self._entries[entry.id])
        self._entries[entry.id] = entry
        self._index_entry(entry)

    async def list_open_list_entries(
        self, *, agent_id: str | None, first: int, after: str | None
    ) -> Page[OpenListEntry]:
        after_key = _decode(after, dated=True)
        index = self._open_all if agent_id is None else (self._open_by_agent.get(agent_id) or SortedIndex())
        keys, more = take(index.iter_after(after_key), first)
        items = [(_encode(k), self._entries[k[1]]) for k in keys]
        return Page(items, len(index), more, after is not None)
