"""`SQLiteStore`: the `sqlite` backend. Records as JSON documents in SQLite, with index tables.

Tables (the record tables are named as in `service.documents.RECORD_TYPES`):

- `customers`, `contacts`, `activities`, `open_list_entries`: `id` (PRIMARY KEY), `version`,
  `doc` (the record: `service.documents.to_json(to_document(record))`) and the columns its
  lists filter and sort on, each list covered by an index.
- `customer_identifiers (kind, value, customer_id)`: E.164 phones and normalised emails,
  for `find_customers_by_identifiers`, and name blocking keys (kind `block`) for
  `find_customers_by_blocking_keys`.
- `customer_terms (customer_id, term)` and `contact_terms (contact_id, field, term)`: the
  search terms `service.domain.search` and `service.domain.contact_directory` give. "Some
  term starts with the token" is the index range `token <= term < token + U+10FFFF`.
- `contact_sort_keys (contact_id, sort, locale, key)`: every contact's directory sort key
  (`contact_sort_key`) for every column and reader language, kept current on every write,
  a customer's rename included.
- `open_list_senders (sender_key, entry_id)`: the open entry a sender's next activity joins
  (`add_to_open_list`), a primary-key look-up; the row goes when its entry leaves OPEN.
- `meta`: the `COLLATION_VERSION` the stored sort keys were made with.

Every write is one transaction. Updates are compare-and-set: `UPDATE ... WHERE id = ? AND
version = ?`, and a row count of 0 means someone else wrote first (or there is no such
record). Lists page by key set: a cursor holds the last row's (sort key, id), and the next
page is `WHERE (key, id) > (?, ?) ORDER BY key, id LIMIT n`.

Synchronous on purpose: the sqlite3 calls in these async methods block the event loop, but
on a local file they take microseconds, so they are called directly instead of being handed
to a thread. A side effect the code relies on: with no `await` inside, each method runs
whole before another request's code does. A backend that talks to a database server over
the network must use an async driver instead.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from service.documents import from_document, from_json, to_document, to_json
from service.domain.collation import COLLATION_VERSION, LOCALES
from service.domain.identity import Identity
from service.domain.name_keys import blocking_keys
from service.domain.contact_directory import (
    LANGUAGE_SENSITIVE,
    ContactField,
    ContactQuery,
    ContactSort,
    contact_sort_key,
    contact_terms,
)
from service.domain.display_name import customer_display_name
from service.domain.records import Activity, Contact, Customer, EntryStatus, OpenListEntry
from service.domain.search import customer_search_terms, customer_sort_key
from service.i18n import negotiate
from service.storage import (
    DuplicateId,
    InvalidCursor,
    Page,
    RecordNotFound,
    StaleVersion,
    StoreUnavailable,
)

#: The plugin's own setting. The service's Settings has no field for it (a plugin cannot add
#: one), so the plugin reads its own environment variable, under the service's prefix.
PATH_VARIABLE = "CUSTOMER_CONTEXT_SQLITE_PATH"
DEFAULT_PATH = "customer-context.sqlite3"

#: Above every character a search term holds: `token <= term < token + _TOP` is
#: "term starts with token".
_TOP = "\U0010ffff"

#: Every (column, language) the directory can be sorted in. A column whose order does not
#: depend on the reader's language has one key, under locale "" (see ContactQuery.sort_locale).
SORT_KEYS: list[tuple[ContactSort, str]] = [
    (sort, locale) for sort in ContactSort for locale in (LOCALES if sort in LANGUAGE_SENSITIVE else ("",))
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS customers (
    id TEXT PRIMARY KEY, version INTEGER NOT NULL, doc TEXT NOT NULL,
    sort_key TEXT NOT NULL                      -- search.customer_sort_key
);
CREATE INDEX IF NOT EXISTS customers_by_name ON customers (sort_key, id);

CREATE TABLE IF NOT EXISTS customer_identifiers (
    kind TEXT NOT NULL, value TEXT NOT NULL, customer_id TEXT NOT NULL,  -- 'phone' or 'email'
    PRIMARY KEY (kind, value, customer_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS customer_identifiers_of ON customer_identifiers (customer_id);

CREATE TABLE IF NOT EXISTS customer_terms (
    customer_id TEXT NOT NULL, term TEXT NOT NULL,
    PRIMARY KEY (term, customer_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS customer_terms_of ON customer_terms (customer_id);

CREATE TABLE IF NOT EXISTS contacts (
    id TEXT PRIMARY KEY, version INTEGER NOT NULL, doc TEXT NOT NULL,
    customer_id TEXT NOT NULL, role TEXT NOT NULL,
    reminder_contact INTEGER NOT NULL, can_communicate INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS contacts_of ON contacts (customer_id);

CREATE TABLE IF NOT EXISTS contact_terms (
    contact_id TEXT NOT NULL, field TEXT NOT NULL, term TEXT NOT NULL,  -- field: ContactField
    PRIMARY KEY (field, term, contact_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS contact_terms_of ON contact_terms (contact_id);

CREATE TABLE IF NOT EXISTS contact_sort_keys (
    contact_id TEXT NOT NULL, sort TEXT NOT NULL, locale TEXT NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (sort, locale, key, contact_id)   -- one sorted index per (column, language)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS contact_sort_keys_of ON contact_sort_keys (contact_id);

CREATE TABLE IF NOT EXISTS activities (
    id TEXT PRIMARY KEY, version INTEGER NOT NULL, doc TEXT NOT NULL,
    customer_id TEXT, occurred TEXT NOT NULL      -- occurred: _instant(occurred_at)
);
CREATE INDEX IF NOT EXISTS activities_by_time ON activities (occurred, id);
CREATE INDEX IF NOT EXISTS activities_of ON activities (customer_id, occurred, id);

CREATE TABLE IF NOT EXISTS open_list_entries (
    id TEXT PRIMARY KEY, version INTEGER NOT NULL, doc TEXT NOT NULL,
    status TEXT NOT NULL, agent_id TEXT, created TEXT NOT NULL  -- created: _instant(created_at)
);
CREATE INDEX IF NOT EXISTS open_list_by_time ON open_list_entries (status, created, id);
CREATE INDEX IF NOT EXISTS open_list_of ON open_list_entries (status, agent_id, created, id);
-- sender_key -> the OPEN entry a sender's next activity joins (add_to_open_list)
CREATE TABLE IF NOT EXISTS open_list_senders (sender_key TEXT PRIMARY KEY, entry_id TEXT NOT NULL);
"""

R = TypeVar("R")


# --- small helpers -------------------------------------------------------------------------


def _dump(record: Any) -> str:
    return to_json(to_document(record))


def _load(cls: type[R], doc: str) -> R:
    return from_document(cls, from_json(doc))


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _instant(moment: datetime) -> str:
    """A datetime as text whose string order is time order: in UTC, always as wide."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _cursor(*parts: Any) -> str:
    """A cursor: what names the list and its order, then the row's (key, id), as JSON. (The
    service wraps it into an opaque cursor for clients.)"""
    return json.dumps(parts)


def _read_cursor(cursor: str | None, *head: Any) -> tuple[str, str] | None:
    """The (key, id) in a cursor that `_cursor(*head, key, id)` made. InvalidCursor for
    anything else: garbage, or a cursor of another list, order, direction or language."""
    if cursor is None:
        return None
    try:
        parts = json.loads(cursor)
    except (ValueError, RecursionError) as exc:  # RecursionError: "[[[[...", nested deep
        raise InvalidCursor(cursor) from exc
    if not (
        isinstance(parts, list)
        and len(parts) == len(head) + 2
        and parts[: len(head)] == list(head)
        and all(isinstance(p, str) for p in parts[-2:])
    ):
        raise InvalidCursor(cursor)
    return parts[-2], parts[-1]


def _keyset(
    db: sqlite3.Connection, sql: str, params: list, *, order: tuple[str, str],
    after: tuple[str, str] | None, first: int, descending: bool = False,
) -> tuple[list[tuple[str, str, str]], bool]:
    """A page of `sql` ("SELECT key, id, doc FROM ... WHERE ...") by key set: the `first`
    rows after `after` in (key, id) order, and whether more follow."""
    key, id_ = order
    direction, beyond = ("DESC", "<") if descending else ("ASC", ">")
    if after is not None:
        sql += f" AND ({key}, {id_}) {beyond} (?, ?)"
        params = [*params, *after]
    sql += f" ORDER BY {key} {direction}, {id_} {direction} LIMIT ?"
    rows = db.execute(sql, [*params, first + 1]).fetchall()
    return rows[:first], len(rows) > first


def _stored_locale(locale: str) -> str:
    """The locale whose sort keys serve a reader of `locale`. The service only asks for
    LOCALES; any other tag is read as the service reads Accept-Language ("cs-CZ" -> "cs",
    "no" -> "nb", unknown -> "en"), the same rule `collation.sort_key` applies."""
    return locale if locale == "" or locale in LOCALES else negotiate(locale)


def _sort_key_rows(contact: Contact, customer_name: str | None, sorts: Iterable[ContactSort]) -> list[tuple]:
    """contact_sort_keys rows of `contact` for the columns `sorts`, in every language."""
    wanted = set(sorts)
    return [
        (contact.id, sort.value, locale, contact_sort_key(contact, customer_name, sort, locale))
        for sort, locale in SORT_KEYS
        if sort in wanted
    ]


# --- the store -----------------------------------------------------------------------------


class SQLiteStore:
    """Implements `service.storage.Storage` over one SQLite file.

    `SQLiteStore(settings)` is the factory the service calls; the file is
    `$CUSTOMER_CONTEXT_SQLITE_PATH`, else `customer-context.sqlite3` in the working
    directory. Tests pass `path=` instead. Nothing is opened before `open()`.
    """

    def __init__(self, settings: Any = None, *, path: str | os.PathLike[str] | None = None) -> None:
        self.path = os.fspath(path) if path is not None else os.environ.get(PATH_VARIABLE) or DEFAULT_PATH
        self._conn: sqlite3.Connection | None = None

    # lifecycle ------------------------------------------------------------------------
    async def open(self) -> None:
        try:
            # isolation_level=None: no implicit transactions; _transaction() says BEGIN.
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=5.0)
            conn.execute("PRAGMA journal_mode = WAL")  # readers do not wait for the writer
            conn.execute("PRAGMA synchronous = NORMAL")  # with WAL: never corrupt (README)
            conn.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open {self.path}: {exc}") from exc
        self._conn = conn
        with self._write() as db:
            # Sort keys change when the collation tables do: recompute them on a new version.
            row = db.execute("SELECT value FROM meta WHERE key = 'collation_version'").fetchone()
            if row is None or row[0] != str(COLLATION_VERSION):
                contacts = [_load(Contact, doc) for (doc,) in db.execute("SELECT doc FROM contacts")]
                self._write_sort_keys(db, contacts, ContactSort)
                db.execute("INSERT OR REPLACE INTO meta VALUES ('collation_version', ?)", [str(COLLATION_VERSION)])
            # Customers stored before blocking keys existed get theirs now.
            if db.execute("SELECT value FROM meta WHERE key = 'blocking_keys'").fetchone() is None:
                for (doc,) in db.execute("SELECT doc FROM customers").fetchall():
                    self._index_customer(db, _load(Customer, doc))
                db.execute("INSERT OR REPLACE INTO meta VALUES ('blocking_keys', '1')")

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def ping(self) -> None:
        with self._read() as db:
            db.execute("SELECT count(*) FROM meta").fetchone()

    @contextmanager
    def _transaction(self, mode: str) -> Iterator[sqlite3.Connection]:
        """One transaction: all of it or nothing. SQLite's own failures (the file is gone,
        locked for too long, the disk is full) become StoreUnavailable."""
        if self._conn is None:
            raise StoreUnavailable("the sqlite store is not open")
        db = self._conn
        try:
            db.execute(f"BEGIN {mode}")
            try:
                yield db
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"sqlite: {exc}") from exc

    def _read(self):
        return self._transaction("DEFERRED")  # a page and its count see the same data

    def _write(self):
        return self._transaction("IMMEDIATE")  # takes the write lock at once

    # records, whatever their type -----------------------------------------------------
    @staticmethod
    def _insert(db: sqlite3.Connection, table: str, record: Any, **columns: Any) -> None:
        names = ["id", "version", "doc", *columns]
        try:
            db.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({_marks(len(names))})",
                [record.id, record.version, _dump(record), *columns.values()],
            )
        except sqlite3.IntegrityError as exc:  # the PRIMARY KEY: that id exists
            raise DuplicateId(record.id) from exc

    @staticmethod
    def _update(db: sqlite3.Connection, table: str, record: Any, expected_version: int, **columns: Any) -> None:
        """Compare-and-set: write only if the stored version is still `expected_version`."""
        if record.version != expected_version + 1:
            raise ValueError("the new record's version must be expected_version + 1")
        sets = ", ".join(f"{name} = ?" for name in ["version", "doc", *columns])
        changed = db.execute(
            f"UPDATE {table} SET {sets} WHERE id = ? AND version = ?",
            [record.version, _dump(record), *columns.values(), record.id, expected_version],
        ).rowcount
        if changed == 0:  # someone else wrote first, or there is no such record
            row = db.execute(f"SELECT version FROM {table} WHERE id = ?", (record.id,)).fetchone()
            raise RecordNotFound(record.id) if row is None else StaleVersion(row[0])

    def _get(self, table: str, cls: type[R], ids: Sequence[str]) -> list[R | None]:
        found: dict[str, R] = {}
        unique = list(dict.fromkeys(ids))
        with self._read() as db:
            for start in range(0, len(unique), 500):  # stay far below SQLite's parameter limit
                chunk = unique[start : start + 500]
                sql = f"SELECT id, doc FROM {table} WHERE id IN ({_marks(len(chunk))})"
                found.update((record_id, _load(cls, doc)) for record_id, doc in db.execute(sql, chunk))
        return [found.get(i) for i in ids]

    # customers ------------------------------------------------------------------------
    @staticmethod
    def _index_customer(db: sqlite3.Connection, c: Customer) -> None:
        """(Re)write the customer's identifiers and search terms."""
        db.execute("DELETE FROM customer_identifiers WHERE customer_id = ?", (c.id,))
        db.execute("DELETE FROM customer_terms WHERE customer_id = ?", (c.id,))
        identifiers = [("phone", p.e164) for p in c.phones] + [("email", e.normalized) for e in c.emails]
        # Fuzzy matching's name blocking keys live beside the identifiers: same look-up.
        identifiers += [("block", key) for key in blocking_keys(Identity.of_customer(c))]
        # OR IGNORE: a customer may list the same number twice.
        db.executemany(
            "INSERT OR IGNORE INTO customer_identifiers (kind, value, customer_id) VALUES (?, ?, ?)",
            [(kind, value, c.id) for kind, value in identifiers],
        )
        db.executemany(
            "INSERT INTO customer_terms (customer_id, term) VALUES (?, ?)",
            [(c.id, term) for term in customer_search_terms(c)],
        )

    async def insert_customer(self, customer: Customer) -> None:
        with self._write() as db:
            self._insert(db, "customers", customer, sort_key=customer_sort_key(customer))
            self._index_customer(db, customer)

    async def get_customers(self, ids: Sequence[str]) -> list[Customer | None]:
        return self._get("customers", Customer, ids)

    async def update_customer(self, customer: Customer, expected_version: int) -> None:
        with self._write() as db:
            before = db.execute("SELECT doc FROM customers WHERE id = ?", (customer.id,)).fetchone()
            self._update(db, "customers", customer, expected_version, sort_key=customer_sort_key(customer))
            self._index_customer(db, customer)
            if customer_display_name(_load(Customer, before[0])) != customer_display_name(customer):
                # Renamed: its contacts move in the directory's CUSTOMER order.
                rows = db.execute("SELECT doc FROM contacts WHERE customer_id = ?", (customer.id,))
                self._write_sort_keys(db, [_load(Contact, doc) for (doc,) in rows], [ContactSort.CUSTOMER])

    async def find_customers_by_identifiers(
        self, *, phones: Sequence[str], emails: Sequence[str], limit: int
    ) -> list[Customer]:
        pairs = [("phone", p) for p in phones] + [("email", e) for e in emails]
        if not pairs or limit <= 0:
            return []
        match = " OR ".join(["(kind = ? AND value = ?)"] * len(pairs))  # primary-key lookups
        sql = (
            "SELECT doc FROM customers WHERE id IN "
            f"(SELECT customer_id FROM customer_identifiers WHERE {match}) ORDER BY id LIMIT ?"
        )
        with self._read() as db:
            rows = db.execute(sql, [*(x for pair in pairs for x in pair), limit]).fetchall()
        return [_load(Customer, doc) for (doc,) in rows]

    async def find_customers_by_blocking_keys(self, keys: Sequence[str], *, limit: int) -> list[Customer]:
        if not keys or limit <= 0:
            return []
        # Those sharing the most keys first (ties by id): the likeliest candidates are kept.
        sql = (
            "SELECT c.doc FROM customers c JOIN (SELECT customer_id, COUNT(DISTINCT value) AS shared "
            "FROM customer_identifiers "
            f"WHERE kind = 'block' AND value IN ({', '.join('?' * len(keys))}) GROUP BY customer_id) m "
            "ON m.customer_id = c.id ORDER BY m.shared DESC, c.id LIMIT ?"
        )
        with self._read() as db:
            rows = db.execute(sql, [*keys, limit]).fetchall()
        return [_load(Customer, doc) for (doc,) in rows]

    async def search_customers(self, tokens: Sequence[str], *, first: int, after: str | None) -> Page[Customer]:
        after_key = _read_cursor(after, "customers")
        where, params = ["1"], []
        for token in sorted(set(tokens)):  # every token begins some term of the customer
            where.append("id IN (SELECT customer_id FROM customer_terms WHERE term >= ? AND term < ?)")
            params += [token, token + _TOP]
        condition = " AND ".join(where)
        with self._read() as db:
            total = db.execute(f"SELECT count(*) FROM customers WHERE {condition}", params).fetchone()[0]
            rows, more = _keyset(
                db, f"SELECT sort_key, id, doc FROM customers WHERE {condition}", params,
                order=("sort_key", "id"), after=after_key, first=first,
            )
        items = [(_cursor("customers", key, rid), _load(Customer, doc)) for key, rid, doc in rows]
        return Page(items, total, more, after is not None)

    # contacts -------------------------------------------------------------------------
    @staticmethod
    def _customer_name(db: sqlite3.Connection, customer_id: str) -> str | None:
        row = db.execute("SELECT doc FROM customers WHERE id = ?", (customer_id,)).fetchone()
        return customer_display_name(_load(Customer, row[0])) if row else None

    def _write_sort_keys(
        self, db: sqlite3.Connection, contacts: Iterable[Contact], sorts: Iterable[ContactSort]
    ) -> None:
        """(Re)write the directory sort keys of `contacts` for the columns `sorts`."""
        sorts = list(sorts)
        names: dict[str, str | None] = {}
        for contact in contacts:
            if contact.customer_id not in names:
                names[contact.customer_id] = self._customer_name(db, contact.customer_id)
            db.execute(
                f"DELETE FROM contact_sort_keys WHERE contact_id = ? AND sort IN ({_marks(len(sorts))})",
                [contact.id, *(s.value for s in sorts)],
            )
            db.executemany(
                "INSERT INTO contact_sort_keys (contact_id, sort, locale, key) VALUES (?, ?, ?, ?)",
                _sort_key_rows(contact, names[contact.customer_id], sorts),
            )

    def _index_contact(self, db: sqlite3.Connection, c: Contact) -> None:
        db.execute("DELETE FROM contact_terms WHERE contact_id = ?", (c.id,))
        db.executemany(
            "INSERT INTO contact_terms (contact_id, field, term) VALUES (?, ?, ?)",
            [(c.id, field.value, term) for field, terms in contact_terms(c).items() for term in terms],
        )
        self._write_sort_keys(db, [c], ContactSort)

    @staticmethod
    def _contact_columns(c: Contact) -> dict[str, Any]:
        return {
            "customer_id": c.customer_id,
            "role": c.role.value,
            "reminder_contact": int(c.reminder_contact),
            "can_communicate": int(c.can_communicate),
        }

    async def insert_contact(self, contact: Contact) -> None:
        with self._write() as db:
            self._insert(db, "contacts", contact, **self._contact_columns(contact))
            self._index_contact(db, contact)

    async def get_contacts(self, ids: Sequence[str]) -> list[Contact | None]:
        return self._get("contacts", Contact, ids)

    async def update_contact(self, contact: Contact, expected_version: int) -> None:
        with self._write() as db:
            self._update(db, "contacts", contact, expected_version, **self._contact_columns(contact))
            self._index_contact(db, contact)

    async def delete_contact(self, contact_id: str) -> None:
        with self._write() as db:
            if db.execute("DELETE FROM contacts WHERE id = ?", (contact_id,)).rowcount == 0:
                raise RecordNotFound(contact_id)
            db.execute("DELETE FROM contact_terms WHERE contact_id = ?", (contact_id,))
            db.execute("DELETE FROM contact_sort_keys WHERE contact_id = ?", (contact_id,))

    async def search_contacts(self, query: ContactQuery, *, first: int, after: str | None) -> Page[Contact]:
        q = query
        after_key = _read_cursor(after, "contacts", q.order.value, q.descending, q.sort_locale)
        # The filters of service.domain.contact_directory.matches, as SQL on indexed columns.
        where, params = ["1"], []
        for column, value in [
            ("customer_id", q.customer_id),
            ("role", q.role.value if q.role is not None else None),
            ("reminder_contact", None if q.reminder_contact is None else int(q.reminder_contact)),
            ("can_communicate", None if q.can_communicate is None else int(q.can_communicate)),
        ]:
            if value is not None:
                where.append(f"c.{column} = ?")
                params.append(value)
        fields = sorted(f.value for f in (q.search_in or ContactField))
        for token in sorted(set(q.tokens)):  # every token begins a term of a chosen field
            where.append(
                f"c.id IN (SELECT contact_id FROM contact_terms WHERE field IN ({_marks(len(fields))}) "
                "AND term >= ? AND term < ?)"
            )
            params += [*fields, token, token + _TOP]
        condition = " AND ".join(where)
        with self._read() as db:
            total = db.execute(f"SELECT count(*) FROM contacts c WHERE {condition}", params).fetchone()[0]
            rows, more = _keyset(
                db,
                "SELECT k.key, c.id, c.doc FROM contact_sort_keys k JOIN contacts c ON c.id = k.contact_id "
                f"WHERE k.sort = ? AND k.locale = ? AND {condition}",
                [q.order.value, _stored_locale(q.sort_locale), *params],
                order=("k.key", "k.contact_id"), after=after_key, first=first, descending=q.descending,
            )
        items = [
            (_cursor("contacts", q.order.value, q.descending, q.sort_locale, key, rid), _load(Contact, doc))
            for key, rid, doc in rows
        ]
        return Page(items, total, more, after is not None)

    # activities -----------------------------------------------------------------------
    @staticmethod
    def _activity_columns(a: Activity) -> dict[str, Any]:
        return {"customer_id": a.customer_id, "occurred": _instant(a.occurred_at)}

    async def insert_activity(self, activity: Activity) -> None:
        with self._write() as db:
            self._insert(db, "activities", activity, **self._activity_columns(activity))

    async def get_activities(self, ids: Sequence[str]) -> list[Activity | None]:
        return self._get("activities", Activity, ids)

    async def update_activity(self, activity: Activity, expected_version: int) -> None:
        with self._write() as db:
            self._update(db, "activities", activity, expected_version, **self._activity_columns(activity))

    async def list_activities(
        self,
        *,
        customer_id: str | None,
        unassociated: bool | None,
        first: int,
        after: str | None,
        visible_to_agent: str | None = None,
    ) -> Page[Activity]:
        after_key = _read_cursor(after, "activities")
        where, params = ["1"], []
        if customer_id is not None:
            where.append("customer_id = ?")
            params.append(customer_id)
        if unassociated is not None:
            where.append("customer_id IS NULL" if unassociated else "customer_id IS NOT NULL")
        if visible_to_agent is not None:
            # Other agents' waiting callers are left out in the query, so the count and the
            # keyset pages agree. The agent is read from the document: no column (and no
            # migration of existing files) for a test that only rows without a customer need.
            where.append("(customer_id IS NOT NULL OR json_extract(doc, '$.agent_id') IS NULL OR json_extract(doc, '$.agent_id') = ?)")
            params.append(visible_to_agent)
        condition = " AND ".join(where)
        with self._read() as db:
            total = db.execute(f"SELECT count(*) FROM activities WHERE {condition}", params).fetchone()[0]
            rows, more = _keyset(
                db, f"SELECT occurred, id, doc FROM activities WHERE {condition}", params,
                order=("occurred", "id"), after=after_key, first=first, descending=True,  # newest first
            )
        items = [(_cursor("activities", key, rid), _load(Activity, doc)) for key, rid, doc in rows]
        return Page(items, total, more, after is not None)

    # the open list --------------------------------------------------------------------
    @staticmethod
    def _entry_columns(e: OpenListEntry) -> dict[str, Any]:
        return {"status": e.status.value, "agent_id": e.agent_id, "created": _instant(e.created_at)}

    async def insert_open_list_entry(self, entry: OpenListEntry) -> None:
        with self._write() as db:
            self._insert(db, "open_list_entries", entry, **self._entry_columns(entry))

    async def add_to_open_list(self, entry: OpenListEntry) -> OpenListEntry:
        # One write transaction (BEGIN IMMEDIATE): the look-up and the write are atomic.
        with self._write() as db:
            row = None
            if entry.sender_key is not None:
                row = db.execute(
                    "SELECT e.doc FROM open_list_senders s JOIN open_list_entries e ON e.id = s.entry_id "
                    "WHERE s.sender_key = ? AND e.status = ?",
                    (entry.sender_key, EntryStatus.OPEN.value),
                ).fetchone()
            if row is None:
                self._insert(db, "open_list_entries", entry, **self._entry_columns(entry))
                if entry.sender_key is not None:
                    db.execute("INSERT OR REPLACE INTO open_list_senders VALUES (?, ?)", (entry.sender_key, entry.id))
                return entry
            current = _load(OpenListEntry, row[0])
            joined = replace(
                current,
                version=current.version + 1,
                updated_at=entry.updated_at,
                more_activity_ids=(*current.more_activity_ids, entry.activity_id),
            )
            self._update(db, "open_list_entries", joined, current.version, **self._entry_columns(joined))
            return joined

    async def get_open_list_entries(self, ids: Sequence[str]) -> list[OpenListEntry | None]:
        return self._get("open_list_entries", OpenListEntry, ids)

    async def update_open_list_entry(self, entry: OpenListEntry, expected_version: int) -> None:
        with self._write() as db:
            self._update(db, "open_list_entries", entry, expected_version, **self._entry_columns(entry))
            if entry.status is not EntryStatus.OPEN and entry.sender_key is not None:
                db.execute("DELETE FROM open_list_senders WHERE sender_key = ? AND entry_id = ?", (entry.sender_key, entry.id))

    async def list_open_list_entries(
        self, *, agent_id: str | None, first: int, after: str | None
    ) -> Page[OpenListEntry]:
        after_key = _read_cursor(after, "open_list")
        where, params = ["status = ?"], [EntryStatus.OPEN.value]
        if agent_id is not None:
            where.append("agent_id = ?")
            params.append(agent_id)
        condition = " AND ".join(where)
        with self._read() as db:
            total = db.execute(f"SELECT count(*) FROM open_list_entries WHERE {condition}", params).fetchone()[0]
            rows, more = _keyset(
                db, f"SELECT created, id, doc FROM open_list_entries WHERE {condition}", params,
                order=("created", "id"), after=after_key, first=first,  # oldest first
            )
        items = [(_cursor("open_list", key, rid), _load(OpenListEntry, doc)) for key, rid, doc in rows]
        return Page(items, total, more, after is not None)
