"""What the mongo backend keeps in a document: the record (through `service.documents`,
the codec every backend shares) plus the fields its indexes need, and its cursors.

Timestamps are stored as ISO 8601 strings in UTC with microseconds
("2026-11-25T03:35:18.484123+00:00"), not as BSON dates: a BSON date keeps milliseconds
only and loses the time zone, and the storage contract says a record comes back equal to
what was stored. Strings of this one fixed shape sort chronologically, so the list indexes
use them directly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from bson.regex import Regex

from service.documents import from_document, to_document
from service.domain.collation import COLLATION_VERSION, LOCALES, sort_key
from service.domain.contact_directory import (
    LANGUAGE_SENSITIVE,
    ContactField,
    ContactSort,
    contact_sort_key,
    contact_terms,
)
from service.domain.records import Contact, Customer
from service.domain.identity import Identity
from service.domain.name_keys import blocking_keys
from service.domain.search import customer_search_terms, customer_sort_key
from service.storage import InvalidCursor

#: Bumped when the derived fields below (their names or how they are computed) or the
#: indexes change; with the collation's version it is the layout `customer-context migrate`
#: brings a database to (migrations.py).
#: 2: customers gained _blocking (fuzzy matching's blocking keys).
#: 3: customers_blocking became customers_blocking_id; customers and contacts carry _dv.
LAYOUT_VERSION = 3
#: Stored in every customer and contact as `_dv`: which code computed its derived fields.
DERIVED_VERSION = f"layout {LAYOUT_VERSION}, collation {COLLATION_VERSION}"

#: Fields of the mongo backend's own, beside the record's: never part of a record.
DERIVED_FIELDS = ("_terms", "_sort", "_blocking", "_can_communicate", "_cv", "_dv")
WITHOUT_DERIVED = {name: 0 for name in DERIVED_FIELDS}


# timestamps ------------------------------------------------------------------------------


def timestamp(value: datetime) -> str:
    """The stored form of a datetime: UTC, microseconds, one fixed shape."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


def _store(value: Any) -> Any:
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, dict):
        return {k: _store(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_store(v) for v in value]
    return value


def record_document(record: Any) -> dict[str, Any]:
    """The record as a document with `_id` = its id (derived fields not included)."""
    doc = _store(to_document(record))
    doc["_id"] = record.id
    return doc


def record_from(cls: type, doc: dict[str, Any] | None) -> Any:
    return None if doc is None else from_document(cls, doc)


# customers -------------------------------------------------------------------------------


def customer_derived(customer: Customer) -> dict[str, Any]:
    return {
        "_terms": sorted(customer_search_terms(customer)),
        "_sort": customer_sort_key(customer),
        "_blocking": sorted(blocking_keys(Identity.of_customer(customer))),
        "_dv": DERIVED_VERSION,
    }


def customer_document(customer: Customer) -> dict[str, Any]:
    return {**record_document(customer), **customer_derived(customer)}


def identifier_keys(customer: Customer) -> set[str]:
    """The `identifiers` collection's keys of a customer: "phone:+420…", "email:jan@x.cz"."""
    return {phone_key(p.e164) for p in customer.phones} | {email_key(e.normalized) for e in customer.emails}


def phone_key(e164: str) -> str:
    return "phone:" + e164


def email_key(normalized: str) -> str:
    return "email:" + normalized


def prefix(text: str) -> Regex:
    """A case-sensitive regex anchored at the start: a range scan on an index."""
    return Regex("^" + re.escape(text))


# contacts --------------------------------------------------------------------------------

#: Language-insensitive orders have one key, stored under the order's name.
STORED_LOCALES: tuple[str, ...] = LOCALES


def sort_field(order: ContactSort, locale: str) -> str:
    """The `_sort` subdocument's key of one (order, locale); locale "" when insensitive."""
    return f"{order.value}_{locale}" if locale else order.value


def contact_sort_fields(order: ContactSort, locale: str) -> tuple[str, ...]:
    """The stored fields (dotted paths) an order sorts by, most significant first; `_id`
    follows them. The CUSTOMER order is (customer's display name, the contact's LAST_NAME
    key): the customer part is its own field so that a rename rewrites it with one
    update_many, and comparing the pair is comparing `contact_sort_key`'s concatenation
    (its separator sorts below every key character)."""
    if order is ContactSort.CUSTOMER:
        return ("_sort." + sort_field(order, locale), "_sort." + sort_field(ContactSort.LAST_NAME, locale))
    return ("_sort." + sort_field(order, locale),)


def customer_part_keys(customer_name: str | None) -> dict[str, str]:
    """The CUSTOMER order's customer part, per locale, as `_sort.*` paths."""
    return {"_sort." + sort_field(ContactSort.CUSTOMER, loc): sort_key(customer_name, loc) for loc in STORED_LOCALES}


def contact_own_keys(contact: Contact) -> dict[str, str]:
    """Every sort key that depends on the contact alone, as `_sort.*` paths."""
    keys: dict[str, str] = {}
    for order in ContactSort:
        if order is ContactSort.CUSTOMER:
            continue
        if order in LANGUAGE_SENSITIVE:
            for loc in STORED_LOCALES:
                keys["_sort." + sort_field(order, loc)] = contact_sort_key(contact, None, order, loc)
        else:
            keys["_sort." + sort_field(order, "")] = contact_sort_key(contact, None, order, "")
    return keys


def contact_search_terms(contact: Contact) -> list[str]:
    """"FIELD:term" for every term of every attribute, so a search restricted to some
    attributes is a prefix per attribute on one multikey index."""
    return sorted(f"{field.value}:{term}" for field, terms in contact_terms(contact).items() for term in terms)


def contact_token_filter(token: str, fields: Iterable[ContactField]) -> dict[str, Any]:
    regexes = [prefix(f"{field.value}:{token}") for field in sorted(fields, key=lambda f: f.value)]
    if len(regexes) == 1:
        return {"_terms": regexes[0]}
    return {"_terms": {"$in": regexes}}


def contact_own_fields(contact: Contact) -> dict[str, Any]:
    """Everything stored for a contact except the customer part of its sort keys, as
    `$set` paths."""
    return {
        **{k: v for k, v in record_document(contact).items() if k != "_id"},
        "_terms": contact_search_terms(contact),
        "_can_communicate": contact.can_communicate,
        "_dv": DERIVED_VERSION,
        **contact_own_keys(contact),
    }


def nest(paths: dict[str, Any]) -> dict[str, Any]:
    """{"a.b": 1, "c": 2} -> {"a": {"b": 1}, "c": 2}: `$set` paths as a whole document."""
    out: dict[str, Any] = {}
    for path, value in paths.items():
        *parents, last = path.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return out


# cursors ---------------------------------------------------------------------------------


def encode_cursor(parts: Sequence[Any]) -> str:
    return json.dumps(list(parts), ensure_ascii=False, separators=(",", ":"))


def decode_pair(cursor: str | None, *, dated: bool) -> tuple[str, str] | None:
    """(sort key, id) of a list cursor; dated ones hold a timestamp, read back into the
    stored form."""
    if cursor is None:
        return None
    try:
        key, record_id = json.loads(cursor)
        if not isinstance(key, str) or not isinstance(record_id, str):
            raise ValueError
        if not (encodable(key) and encodable(record_id)):
            raise ValueError
        if dated:
            key = timestamp(datetime.fromisoformat(key))
        return key, record_id
    except (ValueError, TypeError, RecursionError) as exc:
        raise InvalidCursor(cursor) from exc


def encodable(text: str) -> bool:
    """Whether BSON can hold `text`: JSON's escapes can spell a lone surrogate ("\\ud800"),
    which Python keeps and BSON's UTF-8 refuses (on a real server; mongomock never encodes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storable(value: Any) -> bool:
    """Whether every string in a filter (dicts, lists, regexes) is `encodable`: a filter
    that is not cannot match anything stored, and a real server would refuse it."""
    if isinstance(value, str):
        return encodable(value)
    if isinstance(value, Regex):
        return encodable(value.pattern)
    if isinstance(value, dict):
        return all(storable(k) and storable(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(storable(v) for v in value)
    return True


def keyset(fields: Sequence[str], values: Sequence[Any], descending: bool) -> dict[str, Any]:
    """The filter for "after (values..., id)" in a (fields..., _id) order: stable under
    inserts. The `$or` alone is not a range the planner can put on the order's index (it
    may answer it by reading every entry and sorting, worst on descending pages), so the
    leading field carries its bound beside it: the index scan starts at the cursor."""
    op = "$lt" if descending else "$gt"
    names = [*fields, "_id"]
    clauses = []
    for n, name in enumerate(names):
        clause = {names[i]: values[i] for i in range(n)}
        clause[name] = {op: values[n]}
        clauses.append(clause)
    if len(clauses) == 1:
        return clauses[0]
    return {"$and": [{names[0]: {("$lte" if descending else "$gte"): values[0]}}, {"$or": clauses}]}
