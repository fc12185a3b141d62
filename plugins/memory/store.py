"""The embedded default store: dicts for records, sorted indexes for every list and lookup.

Single process by design. Every method does its work without awaiting in the middle, so on
one event loop each call is atomic: a compare-and-set on `version` cannot interleave.

With a data file (`--data-file`, see `.journal`) every write is checked, then journaled
(written and fsync'ed), then applied, still without an await in between: a write that
fails its check journals nothing, and one the caller saw succeed is on disk.
"""

from __future__ import annotations

import asyncio
import heapq
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from service.domain.display_name import customer_display_name
from service.domain.identity import Identity
from service.domain.name_keys import blocking_keys
from service.domain.records import Activity, Customer, EntryStatus, OpenListEntry
from service.domain.search import customer_search_terms, customer_sort_key
from service.storage import DuplicateId, InvalidCursor, Page, RecordNotFound, StaleVersion

from .contacts import ContactTables
from .index import IdSets, SortedIndex, take
from .journal import CompactionMark, Journal

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
    except (ValueError, TypeError, RecursionError) as exc:  # RecursionError: "[[[[..." nested past the limit
        raise InvalidCursor(cursor) from exc


class _Collector:
    """Stands in for a SortedIndex while loaded records are indexed: `add` appends, and
    `settle` sorts once into the real index."""

    def __init__(self) -> None:
        self.keys: list = []

    def add(self, key: Any) -> None:
        self.keys.append(key)

    def settle(self) -> SortedIndex:
        self.keys.sort()
        return SortedIndex.from_sorted(self.keys)


class MemoryStore(ContactTables):
    """Storage in this process's memory: lost at exit, unless a data file is given
    (`settings.data_file`, or `data_file=`), which journals every write and is replayed by
    `open()`. `compact_min_lines` overrides `journal.COMPACT_MIN_LINES`."""

    def __init__(self, settings: Any = None, *, data_file: str | None = None, compact_min_lines: int | None = None) -> None:
        if data_file is None:
            data_file = getattr(settings, "data_file", "") or ""
        self.data_file = data_file
        self._journal: Journal | None = Journal(data_file, compact_min_lines=compact_min_lines) if data_file else None
        self._compaction: asyncio.Task | None = None  # the running background compaction
        self._init_contacts()
        self._customers: dict[str, Customer] = {}
        self._customer_keys: dict[str, tuple[str, str]] = {}
        self._customer_order: SortedIndex[tuple[str, str]] = SortedIndex()
        # A customer's search terms and blocking keys are not kept: the record being
        # replaced gives them again (`_unindex_customer`).
        self._term_ids = IdSets()
        self._terms: SortedIndex[str] = SortedIndex()
        self._by_phone = IdSets()
        self._by_email = IdSets()
        self._by_blocking_key = IdSets()

        self._activities: dict[str, Activity] = {}
        self._activity_all: SortedIndex[tuple[datetime, str]] = SortedIndex()
        self._activity_by_customer: dict[str | None, SortedIndex[tuple[datetime, str]]] = defaultdict(SortedIndex)
        # Activities without a customer by agent: an agent's list leaves out other agents'
        # waiting callers by merging its own and the unassigned ones, not by skipping others'.
        self._waiting_by_agent: dict[str | None, SortedIndex[tuple[datetime, str]]] = defaultdict(SortedIndex)

        self._entries: dict[str, OpenListEntry] = {}
        self._open_all: SortedIndex[tuple[datetime, str]] = SortedIndex()
        self._open_by_agent: dict[str | None, SortedIndex[tuple[datetime, str]]] = defaultdict(SortedIndex)
        #: sender_key -> the id of the OPEN entry the sender's next activity joins.
        self._open_by_sender: dict[str, str] = {}

    # lifecycle -------------------------------------------------------------------------
    async def open(self) -> None:
        if self._journal is not None:
            if self._live_records():
                raise RuntimeError("a MemoryStore with a data file is opened before it is written to")
            self._journal.open(self._replay_put, self._replay_delete)
            try:
                self._index_loaded()
            except BaseException:
                self._journal.close()
                raise
            if self._journal.wants_compaction(self._live_records()):
                self._journal.compact(self._all_records())

    async def close(self) -> None:
        if self._journal is not None:
            await self.compaction_finished()
            self._journal.close()

    async def compaction_finished(self) -> None:
        """Wait for a running background compaction (close() does; tests do)."""
        while self._compaction is not None:
            await asyncio.shield(self._compaction)

    async def ping(self) -> None:
        if self._journal is not None:
            self._journal.check()

    # durability --------------------------------------------------------------------------
    def _write_ahead(self, op: str, kind: str, payload: Any) -> None:
        """Journal one write that passed its checks, before it is applied (no-op without a
        data file). Starts a background compaction first when the journal has grown past its
        threshold: the records in memory are then exactly what the journal holds."""
        journal = self._journal
        if journal is None:
            return
        if journal.wants_compaction(self._live_records()):
            self._start_compaction(journal)
        journal.append(op, kind, payload)

    def _start_compaction(self, journal: Journal) -> None:
        """Snapshot the live records as they are now (before this write) in a worker thread,
        so requests and writes go on meanwhile; the records are immutable, so taking the
        list of them is all that happens here."""
        mark = journal.begin_compaction()
        if mark is None:
            return
        records = list(self._all_records())
        self._compaction = asyncio.get_running_loop().create_task(self._compact(journal, mark, records))

    async def _compact(self, journal: Journal, mark: CompactionMark, records: list) -> None:
        try:
            try:
                await asyncio.to_thread(journal.write_snapshot, records, mark)
            except BaseException as exc:
                journal.compaction_failed(exc)
                if not isinstance(exc, Exception):
                    raise
                return
            journal.finish_compaction(mark)
        finally:
            self._compaction = None

    def _live_records(self) -> int:
        return len(self._customers) + len(self._contacts) + len(self._activities) + len(self._entries)

    def _all_records(self):
        """Every live record as (kind, record): what a snapshot holds."""
        for kind, table in (
            ("customers", self._customers),
            ("contacts", self._contacts),
            ("activities", self._activities),
            ("open_list_entries", self._entries),
        ):
            for record in table.values():
                yield kind, record

    # Replay fills the tables only; `_index_loaded` then indexes the survivors in one pass.
    def _table(self, kind: str) -> dict[str, Any]:
        tables = {
            "customers": self._customers,
            "contacts": self._contacts,
            "activities": self._activities,
            "open_list_entries": self._entries,
        }
        if kind not in tables:
            raise ValueError(f"unknown record kind {kind!r}")
        return tables[kind]

    def _replay_put(self, kind: str, record: Any) -> None:
        self._table(kind)[record.id] = record

    def _replay_delete(self, kind: str, record_id: str) -> None:
        if kind != "contacts":
            raise ValueError(f"{kind} are never deleted")
        if self._contacts.pop(record_id, None) is None:
            raise ValueError(f"deletes contact {record_id!r}, which does not exist")

    def _index_loaded(self) -> None:
        """Index every record in the tables (the store's indexes being empty). Sorted
        indexes collect their keys and sort them once: inserting keys one by one into a
        growing sorted list would cost O(n) each."""
        self._customer_order, self._terms = _Collector(), _Collector()  # type: ignore[assignment]
        self._activity_all, self._open_all = _Collector(), _Collector()  # type: ignore[assignment]
        self._activity_by_customer = defaultdict(_Collector)  # type: ignore[arg-type]
        self._waiting_by_agent = defaultdict(_Collector)  # type: ignore[arg-type]
        self._open_by_agent = defaultdict(_Collector)  # type: ignore[arg-type]
        self._open_by_sender = {}
        for c in self._customers.values():
            self._index_customer(c)
        for a in self._activities.values():
            self._index_activity(a)
        for e in self._entries.values():
            self._index_entry(e)
        self._customer_order = self._customer_order.settle()
        self._terms = self._terms.settle()
        self._activity_all, self._open_all = self._activity_all.settle(), self._open_all.settle()
        self._activity_by_customer = defaultdict(SortedIndex, {k: v.settle() for k, v in self._activity_by_customer.items()})
        self._waiting_by_agent = defaultdict(SortedIndex, {k: v.settle() for k, v in self._waiting_by_agent.items()})
        self._open_by_agent = defaultdict(SortedIndex, {k: v.settle() for k, v in self._open_by_agent.items()})
        self._index_loaded_contacts(_Collector)

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
        for term in customer_search_terms(c):
            if self._term_ids.add(term, c.id):
                self._terms.add(term)
        for p in c.phones:
            self._by_phone.add(p.e164, c.id)
        for e in c.emails:
            self._by_email.add(e.normalized, c.id)
        for key in blocking_keys(Identity.of_customer(c)):
            self._by_blocking_key.add(key, c.id)

    def _unindex_customer(self, c: Customer) -> None:
        self._customer_order.discard(self._customer_keys.pop(c.id))
        # `c` is the record indexed: its terms and keys are those `_index_customer` added.
        for term in customer_search_terms(c):
            if self._term_ids.discard(term, c.id):
                self._terms.discard(term)
        for p in c.phones:
            self._by_phone.discard(p.e164, c.id)
        for e in c.emails:
            self._by_email.discard(e.normalized, c.id)
        for key in blocking_keys(Identity.of_customer(c)):
            self._by_blocking_key.discard(key, c.id)

    def _put_customer(self, customer: Customer) -> None:
        previous = self._customers.get(customer.id)
        if previous is not None:
            self._unindex_customer(previous)
        self._customers[customer.id] = customer
        self._index_customer(customer)
        if previous is not None and customer_display_name(previous) != customer_display_name(customer):
            self._customer_renamed(customer.id)

    async def insert_customer(self, customer: Customer) -> None:
        if customer.id in self._customers:
            raise DuplicateId(customer.id)
        self._write_ahead("put", "customers", customer)
        self._put_customer(customer)

    async def get_customers(self, ids: Sequence[str]) -> list[Customer | None]:
        return [self._customers.get(i) for i in ids]

    async def update_customer(self, customer: Customer, expected_version: int) -> None:
        self._check_version(self._customers, customer.id, expected_version, customer.version)
        self._write_ahead("put", "customers", customer)
        self._put_customer(customer)

    async def find_customers_by_identifiers(
        self, *, phones: Sequence[str], emails: Sequence[str], limit: int
    ) -> list[Customer]:
        ids: set[str] = set()
        for p in phones:
            self._by_phone.update(ids, p)
        for e in emails:
            self._by_email.update(ids, e)
        return [self._customers[i] for i in sorted(ids)[:limit]]

    async def find_customers_by_blocking_keys(self, keys: Sequence[str], *, limit: int) -> list[Customer]:
        # Customers sharing more of the keys first: when a common name's blocks hold more
        # than `limit`, the likeliest candidates are the ones kept.
        shared: Counter[str] = Counter()
        for key in set(keys):
            shared.update(self._by_blocking_key.iter(key))
        best = heapq.nsmallest(limit, shared.items(), key=lambda item: (-item[1], item[0]))
        return [self._customers[i] for i, _count in best]

    def _ids_with_prefix(self, token: str) -> set[str]:
        out: set[str] = set()
        # Terms from `token` on, in order, start with it until the first one that does not.
        for term in self._terms.iter_from(token):
            if not term.startswith(token):
                break
            self._term_ids.update(out, term)
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
        if a.customer_id is None:
            self._waiting_by_agent[a.agent_id].add(key)

    def _unindex_activity(self, a: Activity) -> None:
        key = (a.occurred_at, a.id)
        self._activity_all.discard(key)
        self._activity_by_customer[a.customer_id].discard(key)
        if a.customer_id is None:
            self._waiting_by_agent[a.agent_id].discard(key)

    def _put_activity(self, activity: Activity) -> None:
        previous = self._activities.get(activity.id)
        if previous is not None:
            self._unindex_activity(previous)
        self._activities[activity.id] = activity
        self._index_activity(activity)

    async def insert_activity(self, activity: Activity) -> None:
        if activity.id in self._activities:
            raise DuplicateId(activity.id)
        self._write_ahead("put", "activities", activity)
        self._put_activity(activity)

    async def get_activities(self, ids: Sequence[str]) -> list[Activity | None]:
        return [self._activities.get(i) for i in ids]

    async def update_activity(self, activity: Activity, expected_version: int) -> None:
        self._check_version(self._activities, activity.id, expected_version, activity.version)
        self._write_ahead("put", "activities", activity)
        self._put_activity(activity)

    async def list_activities(
        self,
        *,
        customer_id: str | None,
        unassociated: bool | None,
        first: int,
        after: str | None,
        visible_to_agent: str | None = None,
    ) -> Page[Activity]:
        after_key = _decode(after, dated=True)
        if visible_to_agent is not None and customer_id is None and unassociated is not False:
            # Only these lists hold activities without a customer, so only they are narrowed.
            return self._activities_for_agent(visible_to_agent, unassociated, first, after, after_key)
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

    def _activities_for_agent(
        self, agent_id: str, unassociated: bool | None, first: int, after: str | None, after_key: tuple | None
    ) -> Page[Activity]:
        """Every activity (or, with `unassociated`, those without a customer) but other
        agents' waiting callers."""
        own = self._waiting_by_agent.get(agent_id) or SortedIndex()
        unassigned = self._waiting_by_agent.get(None) or SortedIndex()
        waiting = heapq.merge(
            own.iter_after(after_key, descending=True), unassigned.iter_after(after_key, descending=True), reverse=True
        )
        if unassociated:
            keys, more = take(waiting, first)
            total = len(own) + len(unassigned)
        else:
            # Activities with a customer come from the index of all, skipping the other
            # agents' waiting ones that lie between this page's items: most activities get
            # a customer, so few do (an index of associated activities would avoid even
            # that, at a pointer per activity).
            def keep(k: tuple) -> bool:
                a = self._activities[k[1]]
                return a.customer_id is not None or a.agent_id in (None, agent_id)

            keys, more = take(self._activity_all.iter_after(after_key, descending=True), first, keep)
            all_waiting = len(self._activity_by_customer.get(None) or ())
            total = len(self._activity_all) - all_waiting + len(own) + len(unassigned)
        items = [(_encode(k), self._activities[k[1]]) for k in keys]
        return Page(items, total, more, after is not None)

    # open list -------------------------------------------------------------------------
    def _index_entry(self, e: OpenListEntry) -> None:
        if e.status is EntryStatus.OPEN:
            key = (e.created_at, e.id)
            self._open_all.add(key)
            self._open_by_agent[e.agent_id].add(key)
            if e.sender_key is not None:
                self._open_by_sender[e.sender_key] = e.id

    def _unindex_entry(self, e: OpenListEntry) -> None:
        key = (e.created_at, e.id)
        self._open_all.discard(key)
        self._open_by_agent[e.agent_id].discard(key)
        if e.sender_key is not None and self._open_by_sender.get(e.sender_key) == e.id:
            del self._open_by_sender[e.sender_key]

    def _put_entry(self, entry: OpenListEntry) -> None:
        previous = self._entries.get(entry.id)
        if previous is not None:
            self._unindex_entry(previous)
        self._entries[entry.id] = entry
        self._index_entry(entry)

    async def insert_open_list_entry(self, entry: OpenListEntry) -> None:
        if entry.id in self._entries:
            raise DuplicateId(entry.id)
        self._write_ahead("put", "open_list_entries", entry)
        self._put_entry(entry)

    async def add_to_open_list(self, entry: OpenListEntry) -> OpenListEntry:
        # No await between the look-up and the write: the event loop makes the step atomic.
        joined_id = self._open_by_sender.get(entry.sender_key) if entry.sender_key is not None else None
        if joined_id is None:
            if entry.id in self._entries:
                raise DuplicateId(entry.id)
            self._write_ahead("put", "open_list_entries", entry)
            self._put_entry(entry)
            return entry
        current = self._entries[joined_id]
        joined = replace(
            current,
            version=current.version + 1,
            updated_at=entry.updated_at,
            more_activity_ids=(*current.more_activity_ids, entry.activity_id),
        )
        self._write_ahead("put", "open_list_entries", joined)
        self._put_entry(joined)
        return joined

    async def get_open_list_entries(self, ids: Sequence[str]) -> list[OpenListEntry | None]:
        return [self._entries.get(i) for i in ids]

    async def update_open_list_entry(self, entry: OpenListEntry, expected_version: int) -> None:
        self._check_version(self._entries, entry.id, expected_version, entry.version)
        self._write_ahead("put", "open_list_entries", entry)
        self._put_entry(entry)

    async def list_open_list_entries(
        self, *, agent_id: str | None, first: int, after: str | None
    ) -> Page[OpenListEntry]:
        after_key = _decode(after, dated=True)
        index = self._open_all if agent_id is None else (self._open_by_agent.get(agent_id) or SortedIndex())
        keys, more = take(index.iter_after(after_key), first)
        items = [(_encode(k), self._entries[k[1]]) for k in keys]
        return Page(items, len(index), more, after is not None)
