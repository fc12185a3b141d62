"""The memory store's contact tables: records, per-attribute search terms, filter sets, and
sort indexes built on first use per (column, language) and kept current on every write."""

from __future__ import annotations

import asyncio
import heapq
import json
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from service.domain.contact_directory import (
    ContactField,
    ContactQuery,
    ContactSort,
    contact_sort_key,
    contact_terms,
)
from service.domain.display_name import customer_display_name
from service.domain.records import Contact, ContactRole, Customer
from service.storage import DuplicateId, InvalidCursor, Page, RecordNotFound, StaleVersion

from .index import IdSets, SortedIndex, take

# Max-heaps: public from Python 3.14, private (and in C) before.
_heapify_max = getattr(heapq, "heapify_max", None) or heapq._heapify_max  # type: ignore[attr-defined]
_heappop_max = getattr(heapq, "heappop_max", None) or heapq._heappop_max  # type: ignore[attr-defined]

#: Walking the sort index finds a page of evenly spread matches in about
#: page size / match density steps; allow this many times that before concluding that the
#: matches cluster elsewhere in the order and picking the page from their keys instead.
_WALK_BUDGET_FACTOR = 4


#: A search merges the entries of at most this many terms (`_SortIndex.term_entries`);
#: a token that begins more terms (a single letter) has its page picked or walked instead.
_MAX_MERGED_TERMS = 64


class _SortIndex:
    """One column's order (for one language): every contact's (key, id) entry, and, built
    on first use per search term, the entries of that term's contacts in order."""

    def __init__(self) -> None:
        self.order: SortedIndex[tuple[str, str]] = SortedIndex()
        self.key_of: dict[str, tuple[str, str]] = {}  # contact id -> its (key, id) in `order`
        # (field, term) -> the entries of the contacts with that term, ascending: a search
        # whose matches cluster in the order merges these instead of looking at every match.
        self.by_term: dict[tuple[ContactField, str], list[tuple[str, str]]] = {}
        self.by_term_entries = 0  # entries held in `by_term`

    def add(self, contact_id: str, key: str) -> tuple[str, str]:
        entry = (key, contact_id)
        self.key_of[contact_id] = entry
        self.order.add(entry)
        return entry

    def discard(self, contact_id: str) -> tuple[str, str] | None:
        entry = self.key_of.pop(contact_id, None)
        if entry is not None:
            self.order.discard(entry)
        return entry

    def term_entries(self, field: ContactField, term: str, ids: Iterable[str]) -> list[tuple[str, str]]:
        """The entries of `ids` (the contacts with `term` in `field`), ascending; kept and
        kept current (`terms_added`, `terms_removed`) from then on. Held entries are bounded
        by four per contact: past that, every term's are dropped and built again on use."""
        entries = self.by_term.get((field, term))
        if entries is None:
            entries = sorted(map(self.key_of.__getitem__, ids))
            if self.by_term_entries + len(entries) > 4 * len(self.key_of) + 1024:
                self.by_term.clear()
                self.by_term_entries = 0
            self.by_term[(field, term)] = entries
            self.by_term_entries += len(entries)
        return entries

    def terms_added(self, terms: dict[ContactField, set[str]], entry: tuple[str, str]) -> None:
        """A contact with `terms` entered the order as `entry`."""
        by_term = self.by_term
        for field, field_terms in terms.items():
            for term in field_terms:
                entries = by_term.get((field, term))
                if entries is not None:
                    insort(entries, entry)
                    self.by_term_entries += 1

    def terms_removed(self, terms: dict[ContactField, set[str]], entry: tuple[str, str]) -> None:
        """A contact with `terms` left the order (its entry was `entry`)."""
        by_term = self.by_term
        for field, field_terms in terms.items():
            for term in field_terms:
                entries = by_term.get((field, term))
                if entries is None:
                    continue
                i = bisect_left(entries, entry)
                if i < len(entries) and entries[i] == entry:
                    del entries[i]
                    self.by_term_entries -= 1
                    if not entries:
                        del by_term[(field, term)]


#: A sort index is built from runs of this many entries, each sorted on its own, then
#: merged: one `list.sort` of millions of entries would hold the GIL, and with it the event
#: loop, for seconds.
_SORT_RUN = 32_768


def _built_sort_index(
    contacts: list[Contact], customer_name: Callable[[str], str | None] | None, order: ContactSort, locale: str
) -> _SortIndex:
    """The column's index over `contacts`. Runs in a worker thread: it reads the copy of
    the contacts it is given (records are immutable) and, for the CUSTOMER column, looks
    customers' names up one at a time (a rename meanwhile is put right on installing)."""
    shared: dict[str, str] = {}  # contacts of the same name have the same key: one string
    runs = []
    for start in range(0, len(contacts), _SORT_RUN):
        run = [
            (shared.setdefault(key, key), c.id)
            for c in contacts[start : start + _SORT_RUN]
            for key in (contact_sort_key(c, customer_name(c.customer_id) if customer_name else None, order, locale),)
        ]
        run.sort()
        runs.append(run)
    entries = runs[0] if len(runs) == 1 else list(heapq.merge(*runs))
    index = _SortIndex()
    index.order = SortedIndex.from_sorted(entries)
    index.key_of = {entry[1]: entry for entry in entries}
    return index


def _distinct(keys: Iterator[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """`keys` (in order) without repeats: a contact with several matching terms comes once."""
    last = None
    for key in keys:
        if key != last:
            yield key
            last = key


def _from(entries: list[tuple[str, str]], after: tuple[str, str] | None, descending: bool) -> Iterator[tuple[str, str]]:
    """The sorted `entries` strictly after `after` in the chosen direction."""
    if descending:
        end = len(entries) if after is None else bisect_left(entries, after)
        return map(entries.__getitem__, range(end - 1, -1, -1))
    start = 0 if after is None else bisect_right(entries, after)
    return map(entries.__getitem__, range(start, len(entries)))


def _walk(
    keys: Iterator[tuple[str, str]], ids: set[str], first: int, budget: int
) -> tuple[list[tuple[str, str]], bool] | None:
    """Up to `first` keys of `ids` in index order and whether more follow, or None when
    `budget` steps were not enough."""
    out: list[tuple[str, str]] = []
    for steps, key in enumerate(keys):
        if steps >= budget:
            return None
        if key[1] in ids:
            if len(out) == first:
                return out, True
            out.append(key)
    return out, False


def _pick_page(
    keys: Iterable[tuple[str, str]], after: tuple[str, str] | None, first: int, descending: bool
) -> tuple[list[tuple[str, str]], bool]:
    """The `first` keys following `after` in the chosen direction, and whether more follow.
    One heap of every key (built in C, in linear time) and `first + 1` pops from it: a
    selection in Python (`heapq.nsmallest`) took several times longer per key."""
    if after is not None:
        keys = filter(after.__gt__ if descending else after.__lt__, keys)
    heap = list(keys)
    if descending:
        _heapify_max(heap)
        pop = _heappop_max
    else:
        heapq.heapify(heap)
        pop = heapq.heappop
    found = [pop(heap) for _ in range(min(first + 1, len(heap)))]
    return found[:first], len(found) > first


class ContactTables:
    """Mixed into MemoryStore; expects `self._customers: dict[str, Customer]` and
    `self._write_ahead(op, kind, payload)`, which journals a checked write before it is
    applied (see `.journal`)."""

    _customers: dict[str, Customer]
    _write_ahead: Callable[[str, str, Any], None]

    def _init_contacts(self) -> None:
        self._contacts: dict[str, Contact] = {}
        # A contact's terms are not kept: `contact_terms` of the record being replaced gives
        # them again (a dict of six sets per contact was a third of the store's memory).
        self._cterm_ids: dict[ContactField, IdSets] = {f: IdSets() for f in ContactField}
        self._cterms: dict[ContactField, SortedIndex[str]] = {f: SortedIndex() for f in ContactField}
        self._by_customer_contacts = IdSets()
        self._by_role: dict[ContactRole, set[str]] = {r: set() for r in ContactRole}
        self._by_reminder: dict[bool, set[str]] = {True: set(), False: set()}
        self._by_communicate: dict[bool, set[str]] = {True: set(), False: set()}
        self._sort_indexes: dict[tuple[ContactSort, str], _SortIndex] = {}
        #: Sort indexes being built (in a worker thread), and the contacts written meanwhile.
        self._sort_builds: dict[tuple[ContactSort, str], asyncio.Future[list[tuple[str, str]]]] = {}
        self._sort_changes: dict[tuple[ContactSort, str], set[str]] = {}

    # indexing ----------------------------------------------------------------------------
    def _customer_name(self, customer_id: str) -> str | None:
        customer = self._customers.get(customer_id)
        return customer_display_name(customer) if customer else None

    def _index_contact(self, c: Contact) -> None:
        terms = contact_terms(c)
        for field, field_terms in terms.items():
            ids_by_term = self._cterm_ids[field]
            for term in field_terms:
                if ids_by_term.add(term, c.id):
                    self._cterms[field].add(term)
        self._by_customer_contacts.add(c.customer_id, c.id)
        self._by_role[c.role].add(c.id)
        self._by_reminder[c.reminder_contact].add(c.id)
        self._by_communicate[c.can_communicate].add(c.id)
        if self._sort_indexes:
            name = self._customer_name(c.customer_id)
            for (order, locale), index in self._sort_indexes.items():
                entry = index.add(c.id, contact_sort_key(c, name, order, locale))
                if index.by_term:
                    index.terms_added(terms, entry)

    def _unindex_contact(self, c: Contact) -> None:
        terms = contact_terms(c)  # `c` is the record indexed: these are the terms it added
        for field, field_terms in terms.items():
            ids_by_term = self._cterm_ids[field]
            for term in field_terms:
                if ids_by_term.discard(term, c.id):
                    self._cterms[field].discard(term)
        self._by_customer_contacts.discard(c.customer_id, c.id)
        self._by_role[c.role].discard(c.id)
        self._by_reminder[c.reminder_contact].discard(c.id)
        self._by_communicate[c.can_communicate].discard(c.id)
        for index in self._sort_indexes.values():
            entry = index.discard(c.id)
            if entry is not None and index.by_term:
                index.terms_removed(terms, entry)

    def _index_loaded_contacts(self, collector: Callable[[], Any]) -> None:
        """Index every contact in `_contacts` (the indexes being empty), collecting each
        term index's keys with `collector()` and sorting them once."""
        self._cterms = {f: collector() for f in ContactField}
        for c in self._contacts.values():
            self._index_contact(c)
        self._cterms = {f: index.settle() for f, index in self._cterms.items()}

    def _customer_renamed(self, customer_id: str) -> None:
        """A customer's display name changed: re-key its contacts in CUSTOMER orders."""
        name = self._customer_name(customer_id)
        if self._sort_changes:  # a CUSTOMER order being built copied the old name
            for contact_id in self._by_customer_contacts.iter(customer_id):
                self._written(contact_id)
        for (order, locale), index in self._sort_indexes.items():
            if order is ContactSort.CUSTOMER:
                for contact_id in list(self._by_customer_contacts.iter(customer_id)):
                    index.discard(contact_id)
                    index.add(contact_id, contact_sort_key(self._contacts[contact_id], name, order, locale))
                index.by_term.clear()  # they held the old entries; built again on use
                index.by_term_entries = 0

    async def _sort_index(self, order: ContactSort, locale: str) -> _SortIndex:
        """The column's order for `locale`: built once per column and language, then kept
        current by every write. Building works out a collation key for every contact (some
        seconds at a million): it runs in a worker thread, so the event loop goes on serving
        other requests, while searches in that column wait for it. Contacts written while it
        runs are put right when it is installed."""
        key = (order, locale)
        while (index := self._sort_indexes.get(key)) is None:
            building = self._sort_builds.get(key)
            if building is None:
                contacts = list(self._contacts.values())  # the copy the worker reads
                names = self._customer_name if order is ContactSort.CUSTOMER else None
                self._sort_changes[key] = set()
                building = asyncio.ensure_future(asyncio.to_thread(_built_sort_index, contacts, names, order, locale))
                self._sort_builds[key] = building
            try:
                built = await asyncio.shield(building)
            except Exception:
                if self._sort_builds.get(key) is building:  # the next search starts again
                    del self._sort_builds[key]
                    self._sort_changes.pop(key, None)
                raise
            if self._sort_builds.get(key) is building:  # the first to wake up installs it
                del self._sort_builds[key]
                self._install_sort_index(key, built, self._sort_changes.pop(key))
        return index

    def _install_sort_index(self, key: tuple[ContactSort, str], index: _SortIndex, changed: set[str]) -> None:
        """Installs an index built from a copy of the contacts, re-keying those written
        (added, updated, removed, or their customer renamed) since the copy was taken."""
        order, locale = key
        for contact_id in changed:
            index.discard(contact_id)
            contact = self._contacts.get(contact_id)
            if contact is not None:
                name = self._customer_name(contact.customer_id) if order is ContactSort.CUSTOMER else None
                index.add(contact_id, contact_sort_key(contact, name, order, locale))
        self._sort_indexes[key] = index

    def _written(self, contact_id: str) -> None:
        """A contact was written: sort indexes being built must re-key it when installed."""
        for changed in self._sort_changes.values():
            changed.add(contact_id)

    # records -----------------------------------------------------------------------------
    def _put_contact(self, contact: Contact) -> None:
        if self._sort_changes:
            self._written(contact.id)
        previous = self._contacts.get(contact.id)
        if previous is not None:
            self._unindex_contact(previous)
        self._contacts[contact.id] = contact
        self._index_contact(contact)

    def _remove_contact(self, contact_id: str) -> None:
        if self._sort_changes:
            self._written(contact_id)
        self._unindex_contact(self._contacts.pop(contact_id))

    async def insert_contact(self, contact: Contact) -> None:
        if contact.id in self._contacts:
            raise DuplicateId(contact.id)
        self._write_ahead("put", "contacts", contact)
        self._put_contact(contact)

    async def get_contacts(self, ids: Sequence[str]) -> list[Contact | None]:
        return [self._contacts.get(i) for i in ids]

    async def update_contact(self, contact: Contact, expected_version: int) -> None:
        current = self._contacts.get(contact.id)
        if current is None:
            raise RecordNotFound(contact.id)
        if current.version != expected_version:
            raise StaleVersion(current.version)
        self._write_ahead("put", "contacts", contact)
        self._put_contact(contact)

    async def delete_contact(self, contact_id: str) -> None:
        current = self._contacts.get(contact_id)
        if current is None:
            raise RecordNotFound(contact_id)
        self._write_ahead("delete", "contacts", contact_id)
        self._remove_contact(contact_id)

    # the directory -----------------------------------------------------------------------
    def _token_ids(self, fields: Iterable[ContactField], token: str) -> set[str]:
        """The ids of the contacts with a term in `fields` that begins with `token`. Not to
        be modified: when a single term of a single field matches, its own set."""
        held: list[str | set[str]] = []
        for field in fields:
            ids_by_term = self._cterm_ids[field]
            for term in self._cterms[field].iter_from(token):
                if not term.startswith(token):
                    break
                held.append(ids_by_term.held(term))
        if len(held) == 1 and type(held[0]) is not str:
            return held[0]  # type: ignore[return-value]
        # The union, starting from a copy of the largest set (a set's copy is cheap).
        largest = max(held, key=lambda h: 1 if type(h) is str else len(h), default=None)
        out: set[str] = set() if largest is None or type(largest) is str else set(largest)
        for h in held:
            if type(h) is str:
                out.add(h)
            elif h is not largest:
                out |= h
        return out

    def _matching_ids(self, q: ContactQuery) -> set[str] | None:
        """The ids every filter admits, or None for "every contact" (no filter given). Not
        to be modified: it may be an index's own set."""
        sets: list[set[str]] = []
        if q.customer_id is not None:
            sets.append(self._by_customer_contacts.get(q.customer_id))
        if q.role is not None:
            sets.append(self._by_role[q.role])
        if q.reminder_contact is not None:
            sets.append(self._by_reminder[q.reminder_contact])
        if q.can_communicate is not None:
            sets.append(self._by_communicate[q.can_communicate])
        fields = q.search_in or frozenset(ContactField)
        for token in sorted(set(q.tokens), key=len, reverse=True):
            sets.append(self._token_ids(fields, token))
        if not sets:
            return None
        sets.sort(key=len)
        if len(sets) == 1:
            return sets[0]
        result = sets[0] & sets[1]
        for other in sets[2:]:
            result &= other
            if not result:
                break
        return result

    def _cursor(self, q: ContactQuery, key: tuple[str, str]) -> str:
        return json.dumps([q.order.value, q.descending, q.sort_locale, key[0], key[1]])

    def _after(self, q: ContactQuery, cursor: str | None) -> tuple[str, str] | None:
        if cursor is None:
            return None
        try:
            order, descending, locale, key, cid = json.loads(cursor)
        except (ValueError, TypeError, RecursionError) as exc:  # RecursionError: "[[[[..." nested past the limit
            raise InvalidCursor(cursor) from exc
        if (order, descending, locale) != (q.order.value, q.descending, q.sort_locale) or not (
            isinstance(key, str) and isinstance(cid, str)
        ):
            raise InvalidCursor(cursor)  # a cursor from another ordering of the list
        return key, cid

    def _merge_terms(self, q: ContactQuery) -> tuple[list[tuple[ContactField, str]], int] | None:
        """The terms one token begins (every field searched) and their matches counted with
        repeats: the token with the fewest, among those that begin at most
        `_MAX_MERGED_TERMS` terms; None when there is none."""
        fields = q.search_in or frozenset(ContactField)
        best: tuple[list[tuple[ContactField, str]], int] | None = None
        for token in set(q.tokens):
            terms: list[tuple[ContactField, str]] = []
            size = 0
            for field in fields:
                ids_by_term = self._cterm_ids[field]
                for term in self._cterms[field].iter_from(token):
                    if not term.startswith(token):
                        break
                    terms.append((field, term))
                    held = ids_by_term.held(term)
                    size += 1 if type(held) is str else len(held)  # type: ignore[arg-type]
                if len(terms) > _MAX_MERGED_TERMS:
                    break
            if terms and len(terms) <= _MAX_MERGED_TERMS and (best is None or size < best[1]):
                best = (terms, size)
        return best

    def _merged_walk(
        self,
        q: ContactQuery,
        index: _SortIndex,
        ids: set[str],
        terms: tuple[list[tuple[ContactField, str]], int],
        after: tuple[str, str] | None,
        first: int,
    ) -> tuple[list[tuple[str, str]], bool] | None:
        """The page walked in the order of one token's matches alone (`terms`, from
        `_merge_terms`): the entries of the terms it begins (`_SortIndex.term_entries`),
        merged; its matches that miss another filter are skipped. None when the walk's
        budget runs out (the matches the other filters drop cluster first)."""
        best, size = terms
        streams = [
            _from(index.term_entries(field, term, self._cterm_ids[field].iter(term)), after, q.descending)
            for field, term in best
        ]
        merged = _distinct(heapq.merge(*streams, reverse=q.descending))
        budget = _WALK_BUDGET_FACTOR * (first + 1) * size // len(ids) + 64
        return _walk(merged, ids, first, budget)

    async def search_contacts(self, query: ContactQuery, *, first: int, after: str | None) -> Page[Contact]:
        after_key = self._after(query, after)
        index = await self._sort_index(query.order, query.sort_locale)  # may wait for its build
        ids = self._matching_ids(query)
        total = len(self._contacts) if ids is None else len(ids)
        if ids is None:
            keys, more = take(index.order.iter_after(after_key, descending=query.descending), first)
        elif not ids:
            keys, more = [], False
        else:
            # No way sorts every contact. Few matches (one customer's contacts) are picked
            # at once: picking looks at each match. Else the page is walked: in the order
            # of the contacts of a searched token's terms alone, merged, when they are at
            # hand (`_SortIndex.term_entries`); else the whole order, while matches are dense
            # enough to fill the page quickly (a walk takes about (first + 1) * contacts /
            # matches steps when they are spread evenly); else the terms' entries, built
            # now and kept; else (no token, or it begins too many terms) picked after all.
            few = len(ids) * len(ids) <= (first + 1) * len(self._contacts)
            walked = None
            terms = None if few else self._merge_terms(query)
            merged_first = terms is not None and all(t in index.by_term for t in terms[0])
            if merged_first:
                walked = self._merged_walk(query, index, ids, terms, after_key, first)  # type: ignore[arg-type]
            if walked is None and not few:
                budget = _WALK_BUDGET_FACTOR * (first + 1) * len(self._contacts) // len(ids) + 64
                walked = _walk(index.order.iter_after(after_key, descending=query.descending), ids, first, budget)
            if walked is None and terms is not None and not merged_first:
                walked = self._merged_walk(query, index, ids, terms, after_key, first)
            if walked is not None:
                keys, more = walked
            else:
                keys, more = _pick_page(map(index.key_of.__getitem__, ids), after_key, first, query.descending)
        items = [(self._cursor(query, k), self._contacts[k[1]]) for k in keys]
        return Page(items, total, more, after is not None)
