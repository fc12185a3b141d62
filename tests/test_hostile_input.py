"""Hostile input (issue 6): generated values thrown at every mutation input and every query
argument over HTTP, and concurrent updates of one record.

For every request the service must answer with data or a typed error, never with a 500 or
an internal error: status 200, a JSON body with `data` or `errors`, no traceback, no
INTERNAL_ERROR, every top-level error with a known `extensions.code` and a message, every
payload error with a code of the ErrorCode enum and a message. After each run the store must
still be consistent (see `Api.assert_consistent`).

Generated values (see the strategies below): text with any Unicode, control characters, NUL,
whitespace only, 0 to 2,500 characters; junk emails and phone numbers; ids that are random
strings, forged global ids, or real ids of another type; ints beyond 32 bits; empty and long
lists; now and then a JSON value of the wrong type altogether; lone surrogates (`\\ud800`,
which JSON can carry) and datetimes at the very edges of the calendar.

The runs are derandomized (the same examples on every run) so the suite does not turn red
by chance; set HOSTILE_INPUT_EXPLORE=1 for random runs with 20 times as many examples.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from plugins.memory import MemoryStore
from service.app import create_app
from service.hookspecs import hookimpl
from service.schema.errors import ErrorCode
from service.schema.ids import to_global_id
from service.settings import Settings
from service.storage import StorageBackend

from .helpers import GraphQLClient

# --- settings ---------------------------------------------------------------------------

EXPLORE = os.environ.get("HOSTILE_INPUT_EXPLORE", "") not in ("", "0")


def fuzz(examples: int):
    """Hypothesis settings for one run of `examples` generated requests."""
    return settings(
        max_examples=examples * (20 if EXPLORE else 1),
        deadline=None,
        derandomize=not EXPLORE,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
        ],
    )


# --- what answers may hold --------------------------------------------------------------

ERROR_CODES = frozenset(code.name for code in ErrorCode)
#: Top-level codes a request built from a fixed document and generated variables may get:
#: variables that do not coerce, the typed errors of queries (bad `first`, `after`, ids), and
#: the CPU budget's refusals of variables (a list over its limit, an input object of junk
#: keys, pages that make the answer too large: tests/test_cpu_budget.py).
TOP_LEVEL_CODES = ERROR_CODES | {"GRAPHQL_VALIDATION_FAILED", "LIST_TOO_LONG", "INPUT_OBJECT_TOO_LARGE", "QUERY_TOO_COSTLY"}
LEAKS = ("Traceback", "Internal", "INTERNAL_ERROR", 'File "/')

# --- strategies -------------------------------------------------------------------------

WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2003\u2007\u200a\u2028\u2029\u202f\u205f\u3000\u200b\u180e\ufeff"
SPECIAL_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x00" * 10,
    "\x1b[31mred\x1b[0m",
    "\u202eevil\u202c",
    "\u0301\u0301\u0301",
    "a\u0301",
    "\u01c4",  # Ǆ: title case differs from upper case
    "ß",
    "İstanbul",
    "\ufb03",  # ﬃ
    "\u00c5",
    "A\u030a",
    "👩\u200d👩\u200d👧\u200d👦",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "\U0010ffff",
    "\uffff",
    "\ufffd",
    "日本語テキスト",
    "עברית",
    "Ø",
    "'; DROP TABLE customers; --",
    '{"$gt": ""}',
    "$where",
    "$regex",
    ".*",
    "(a+)+$",
    "[",
    "\\",
    "%s%n%x",
    "{0}{field}{limit}",
    "{{",
    "}",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "null",
    "undefined",
    "NaN",
    "-0",
    "1e309",
    "x" * 2000,
    "x" * 2001,
    "é" * 2001,
    " " * 2001,
    " x" * 1000 + " ",
]


def texts(*, long: bool = True, surrogates: bool = True) -> st.SearchStrategy[str]:
    """Text of every kind: any Unicode (control characters and NUL included), whitespace
    only, the special strings above, and 1,990 to 2,500 characters around the 2,000 limit."""
    chars = st.one_of(
        st.characters(exclude_categories=("Cs",)),
        st.characters(min_codepoint=0, max_codepoint=0x1F),
        st.characters(min_codepoint=0x7F, max_codepoint=0x9F),
        st.sampled_from(WHITESPACE),
    )
    if surrogates:
        chars = st.one_of(chars, st.characters(categories=["Cs"]))
    parts = [
        st.text(chars, max_size=30),
        st.sampled_from(SPECIAL_TEXT if long else [s for s in SPECIAL_TEXT if len(s) <= 100]),
        st.text(st.sampled_from(WHITESPACE), min_size=1, max_size=20),
    ]
    if long:
        parts.append(
            st.builds(
                lambda unit, n: (unit * n)[:n],
                st.sampled_from(["x", "é", "日", " ", "\x00", "👍", "a b ", "\u0301"]),
                st.integers(1990, 2500),
            )
        )
    return st.one_of(*parts)


def nullable(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


def weighted(*choices: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    """One of the strategies, each chosen in proportion to its weight."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda n: table[n])


#: A JSON value of any type: sent where the schema wants something else entirely.
JSON_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def sometimes_junk(strategy: st.SearchStrategy, one_in: int = 25) -> st.SearchStrategy:
    """Mostly `strategy`; one time in `one_in` a JSON value of any type."""
    return weighted((one_in - 1, strategy), (1, JSON_JUNK))


JUNK_EMAILS = [
    "",
    "@",
    "a@",
    "@b.cz",
    "a@b",
    "a@@b.cz",
    "a b@c.cz",
    "jan@příklad.cz",
    "žofie@example.cz",
    "a@[127.0.0.1]",
    "a@localhost",
    '"quoted local"@example.com',
    "a@b.c",
    "x" * 64 + "@example.com",
    "x" * 65 + "@example.com",
    "a@" + "b" * 250 + ".com",
    "a@b.cz\x00",
    "a@b.cz\n",
    "mailto:a@b.cz",
    "A@B.CZ",
    " jan.novak@example.cz ",
    "jan.novak@example.cz",
    "a@b.cz,c@d.cz",
    "a@-b.cz",
    "a@b..cz",
    ".a@b.cz",
    "a@xn--80ak6aa92e.com",
]


def emails() -> st.SearchStrategy[str]:
    return st.one_of(st.emails(), st.sampled_from(JUNK_EMAILS), texts(long=False))


JUNK_PHONES = [
    "",
    "+",
    "+420",
    "+420 601 123 456",
    "601123456",
    "601 123 456",
    "00420601123456",
    "+1 202-555-0100",
    "+999 123",
    "+" + "9" * 30,
    "0" * 30,
    "tel:+420601123456",
    "+420 601 123 456 ext. 12",
    "６０１１２３４５６",
    "٦٠١١٢٣٤٥٦",
    "(601) 123-456",
    "601-123-456;ext=1",
    "1" * 2001,
    "+44 (0) 20 7946 0958",
    "*#06#",
    "phone",
    "+420 601 123 456\x00",
]


def phones() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(JUNK_PHONES), st.from_regex(r"\+?[0-9 ()\-./]{0,25}", fullmatch=True), texts(long=False)
    )


#: Ints: within 32 bits, at its edges, and beyond (GraphQL's Int is 32-bit: an overflow).
INTS = st.one_of(
    st.integers(-5, 120),
    st.integers(-(2**31), 2**31 - 1),
    st.sampled_from([-(2**31), 2**31 - 1, -(2**31) - 1, 2**31, 2**53 + 1, 10**30, -(10**30)]),
    st.integers(),
)


def lists(item: st.SearchStrategy, long_item, *, long_size: int) -> st.SearchStrategy[list]:
    """Empty, a few generated items, or a list around `long_size` items long, made by
    `long_item(index, variant)` (variant 0 to 3: distinct, repeated, invalid, ...): short
    items, to stay under the body limit, and cheap to make."""
    long = st.builds(
        lambda n, variant: [long_item(i, variant) for i in range(n)],
        st.integers(long_size - 8, long_size + 10),
        st.integers(0, 3),
    )
    return st.one_of(st.just([]), st.lists(item, max_size=4), long)


def long_email(i: int, variant: int) -> dict:
    return {"address": [f"u{i}@example.cz", "same@example.cz", f"not an email {i}", f"U{i % 3}@Example.CZ"][variant]}


def long_phone(i: int, variant: int) -> dict:
    return {"number": [f"+420601{i:06d}", "601 123 456", f"{i}", f"+420 601 {i:06d}"][variant]}


def long_attribute(i: int, variant: int) -> dict:
    return [{"key": f"k{i}", "value": "v"}, {"key": "same", "value": str(i)}, {"key": " " * (i % 3), "value": ""}, {"key": f"k{i % 7}", "value": "x"}][variant]


def datetimes() -> st.SearchStrategy[str]:
    """ISO 8601 strings, with and without zones (some pushing UTC past year 1 or 9999), and junk."""
    stamps = st.builds(
        lambda d, zone: d.isoformat() + zone,
        st.one_of(
            st.datetimes(),
            st.datetimes(max_value=datetime(1, 1, 2)),
            st.datetimes(min_value=datetime(9999, 12, 30)),
        ),
        st.sampled_from(["", "Z", "+00:00", "+14:00", "-12:00", "+05:45"]),
    )
    junk = st.sampled_from(
        ["", "now", "yesterday", "2026-02-30T00:00:00", "2026-01-01T25:00:00", "2026-01-01T00:00:00+24:00", "2026-13-01", "2026", "T"]
    )
    return st.one_of(stamps, junk, texts(long=False))


def addresses() -> st.SearchStrategy[dict]:
    part = nullable(texts())
    return st.fixed_dictionaries(
        {}, optional={"street": part, "city": part, "postcode": part, "region": part, "country": part}
    )


def customer_inputs() -> st.SearchStrategy[dict]:
    text = nullable(texts())
    email = st.fixed_dictionaries({"address": emails()}, optional={"label": nullable(texts(long=False))})
    phone = st.fixed_dictionaries({"number": phones()}, optional={"label": nullable(texts(long=False))})
    attribute = st.fixed_dictionaries({"key": texts(), "value": texts()})
    return st.fixed_dictionaries(
        {},
        optional={
            "firstName": text,
            "lastName": text,
            "organizationName": text,
            "emails": nullable(lists(email, long_email, long_size=50)),
            "phones": nullable(lists(phone, long_phone, long_size=50)),
            "address": nullable(addresses()),
            "externalId": text,
            "attributes": nullable(lists(attribute, long_attribute, long_size=200)),
        },
    )


ROLES = ["MAIN", "ADDITIONAL"]
PERMISSIONS = ["VIEW_CUSTOMER", "VIEW_CONTACTS", "VIEW_ACTIVITIES"]


def enum_values(values: list[str]) -> st.SearchStrategy:
    """Mostly one of `values`; one time in ten a string that is none of them."""
    junk = st.sampled_from([v.lower() for v in values] + ["", "OTHER", "MAIN ", values[0] + "\x00"])
    return weighted((9, st.sampled_from(values)), (1, junk))


def contact_inputs() -> st.SearchStrategy[dict]:
    text = nullable(texts())
    return st.fixed_dictionaries(
        {},
        optional={
            "salutation": text,
            "firstName": text,
            "lastName": text,
            "title": text,
            "email": nullable(emails()),
            "phone": nullable(phones()),
            "role": nullable(enum_values(ROLES)),
            "reminderContact": nullable(st.booleans()),
        },
    )


def identities() -> st.SearchStrategy[dict]:
    text = nullable(texts())
    return st.fixed_dictionaries(
        {},
        optional={
            "name": text,
            "firstName": text,
            "lastName": text,
            "organizationName": text,
            "email": nullable(emails()),
            "phone": nullable(phones()),
            "address": nullable(addresses()),
        },
    )


def permission_lists() -> st.SearchStrategy[list]:
    return st.one_of(
        st.just([]),
        st.lists(st.sampled_from(PERMISSIONS), max_size=6),
        st.builds(lambda n: (PERMISSIONS * 100)[:n], st.integers(50, 300)),
        st.lists(enum_values(PERMISSIONS), max_size=3),
    )


#: A variable left out of the request altogether (not even null).
OMIT: Any = type("Omit", (), {"__repr__": lambda self: "OMIT"})()

#: confirmNotDuplicate (Boolean! = false) through a nullable variable: mostly true, false or
#: left out; now and then an explicit null (which a non-null argument refuses) or junk.
CONFIRM = weighted((8, st.sampled_from([True, False, OMIT])), (1, st.none()), (1, JSON_JUNK))

LANGUAGES = st.one_of(
    st.none(),
    st.sampled_from(["cs", "sk", "de", "nb", "sr-Latn", "en", "cs;q=0, de", "*", "xx-YY", "en;q=abc", ",,,;", "sr-Cyrl-RS"]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60),
)

# --- ids and cursors ----------------------------------------------------------------------

TYPES = ["Customer", "Activity", "OpenListEntry", "Contact"]
#: Stands for "a record made just for this example" (open-list entries, contacts).
FRESH = "<fresh>"


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def forged_ids() -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(to_global_id, st.sampled_from(TYPES + ["Nope", "customer", ""]), texts(long=False)),
        st.binary(max_size=60).map(lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")),
        st.sampled_from(["", " ", "=", "====", "Q3VzdG9tZXI6", b64("Customer:") + "=" * 5, "x" * 201, b64("Customer:" + "x" * 300)]),
    )


def cursors(world: World) -> st.SearchStrategy:
    junk_json = st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=2)),
        max_leaves=6,
    ).map(lambda v: b64(json.dumps(v)))
    return weighted(
        (4, st.none()),
        (3, st.sampled_from(world.cursors)),
        (1, junk_json),
        (1, st.sampled_from([b64("[" * 5000), b64('["2026-01-01T00:00:00", 5]'), b64('["9999-99-99", "x"]'), b64('["", ""]'), "\x00"])),
        (1, texts(long=False)),
    )


@dataclass
class World:
    """Records made before a run, so generated ids can name real ones."""

    ids: dict[str, list[str]] = field(default_factory=lambda: {t: [] for t in TYPES})
    cursors: list[str] = field(default_factory=list)

    def every_id(self) -> list[str]:
        return [i for t in TYPES for i in self.ids[t]]


def ids(world: World, kind: str, *, fresh: bool = False) -> st.SearchStrategy:
    """An id for an argument that wants a `kind`: a real one, a real one of another type, a
    forged one, junk text, an int (GraphQL's ID takes those), or now and then no string at all."""
    choices = [
        (10, st.sampled_from(world.ids[kind])),
        (3, st.sampled_from(world.every_id())),
        (3, forged_ids()),
        (2, texts(long=False)),
        (1, st.integers(-(2**31), 2**31 - 1)),
    ]
    if fresh:
        choices.append((10, st.just(FRESH)))
    return sometimes_junk(weighted(*choices))


# --- talking to the service -----------------------------------------------------------------

CUSTOMER = """id version displayName firstName lastName organizationName externalId createdAt updatedAt createdBy
  emails { address normalized label } phones { number e164 label } address { street city postcode region country }
  attributes { key value }"""
CONTACT = """id version displayName role salutation firstName lastName title email phone e164Phone reminderContact
  canCommunicate owner createdAt updatedAt warnings { code message field } account { id enabled permissions } customer { id }"""
ACTIVITY = """id version channel direction subject text occurredAt agentId associatedAt createdBy
  sender { name email phone normalizedEmail e164Phone } customer { id } openListEntry { id status }"""
ENTRY = """id version status displayName agentId resolvedAt resolvedBy prefill { firstName lastName email phone }
  candidates { score reasons { field method strength } customer { id } } activity { id customer { id } } customer { id }"""


def error_selection(typenames: set[str]) -> str:
    """The payload fragments a union with these error types allows."""
    parts = ["__typename", "... on UserError { code message field }"]
    if "InvalidInputError" in typenames:
        parts.append("... on InvalidInputError { limit errors { code message field limit } }")
    if "NotFoundError" in typenames:
        parts.append("... on NotFoundError { id }")
    if "VersionConflictError" in typenames:
        parts.append("... on VersionConflictError { expectedVersion currentVersion }")
    if "AlreadyResolvedError" in typenames:
        parts.append("... on AlreadyResolvedError { entry { id status customer { id } } }")
    if "DuplicateSuspectedError" in typenames:
        parts.append("... on DuplicateSuspectedError { candidates { score customer { id } } }")
    return " ".join(parts)


@dataclass(frozen=True)
class Mutation:
    name: str
    variables: str
    arguments: str
    success: str  # the success type's name
    success_fields: str
    errors: frozenset[str]

    @property
    def document(self) -> str:
        return (
            f"mutation M({self.variables}) {{ {self.name}({self.arguments}) {{ {error_selection(set(self.errors))} "
            f"... on {self.success} {{ {self.success_fields} }} }} }}"
        )


ACCOUNT_ERRORS = frozenset({"NotFoundError", "StateConflictError", "InvalidInputError", "ForbiddenError"})
MUTATIONS = {
    m.name: m
    for m in [
        Mutation(
            "recordActivity", "$input: RecordActivityInput!", "input: $input", "RecordActivitySuccess",
            f"outcome activity {{ {ACTIVITY} }} customer {{ {CUSTOMER} }} openListEntry {{ {ENTRY} }} "
            "candidates { score reasons { field method strength } customer { id } }",
            frozenset({"InvalidInputError", "ForbiddenError"}),
        ),
        Mutation(
            "createCustomer", "$input: CustomerInput!, $activityId: ID, $confirm: Boolean",
            "input: $input, activityId: $activityId, confirmNotDuplicate: $confirm", "CreateCustomerSuccess",
            f"customer {{ {CUSTOMER} }} activity {{ {ACTIVITY} }} duplicates {{ score customer {{ id }} }}",
            frozenset({"InvalidInputError", "NotFoundError", "DuplicateSuspectedError", "ForbiddenError"}),
        ),
        Mutation(
            "updateCustomer", "$id: ID!, $version: Int!, $input: CustomerInput!",
            "id: $id, expectedVersion: $version, input: $input", "UpdateCustomerSuccess", f"customer {{ {CUSTOMER} }}",
            frozenset({"InvalidInputError", "NotFoundError", "VersionConflictError", "ForbiddenError"}),
        ),
        Mutation(
            "createCustomerFromOpenList", "$entryId: ID!, $input: CustomerInput, $confirm: Boolean",
            "entryId: $entryId, input: $input, confirmNotDuplicate: $confirm", "CreateCustomerFromOpenListSuccess",
            f"customer {{ {CUSTOMER} }} activity {{ {ACTIVITY} }} entry {{ {ENTRY} }} duplicates {{ score customer {{ id }} }}",
            frozenset({"InvalidInputError", "NotFoundError", "AlreadyResolvedError", "DuplicateSuspectedError", "ForbiddenError"}),
        ),
        Mutation(
            "discardOpenListEntry", "$entryId: ID!", "entryId: $entryId", "DiscardOpenListEntrySuccess",
            f"entry {{ {ENTRY} }} activity {{ {ACTIVITY} }}",
            frozenset({"NotFoundError", "AlreadyResolvedError", "ForbiddenError"}),
        ),
        Mutation(
            "associateActivity", "$activityId: ID!, $customerId: ID!", "activityId: $activityId, customerId: $customerId",
            "AssociateActivitySuccess", f"activity {{ {ACTIVITY} }} customer {{ {CUSTOMER} }}",
            frozenset({"NotFoundError", "ForbiddenError"}),
        ),
        Mutation(
            "addContact", "$customerId: ID!, $input: ContactInput!", "customerId: $customerId, input: $input",
            "AddContactSuccess", f"contact {{ {CONTACT} }} customer {{ id }}",
            frozenset({"InvalidInputError", "NotFoundError", "ForbiddenError"}),
        ),
        Mutation(
            "updateContact", "$id: ID!, $version: Int!, $input: ContactInput!",
            "id: $id, expectedVersion: $version, input: $input", "UpdateContactSuccess", f"contact {{ {CONTACT} }}",
            frozenset({"InvalidInputError", "NotFoundError", "VersionConflictError", "ForbiddenError"}),
        ),
        Mutation(
            "removeContact", "$id: ID!", "id: $id", "RemoveContactSuccess", "removedContactId customer { id }",
            frozenset({"NotFoundError", "ForbiddenError"}),
        ),
        Mutation(
            "createCustomerAccount", "$contactId: ID!, $permissions: [CustomerPermission!]!",
            "contactId: $contactId, permissions: $permissions", "CustomerAccountCredentialSuccess",
            f"credential contact {{ {CONTACT} }}", ACCOUNT_ERRORS,
        ),
        Mutation(
            "rotateCustomerAccountCredential", "$contactId: ID!", "contactId: $contactId",
            "CustomerAccountCredentialSuccess", f"credential contact {{ {CONTACT} }}", ACCOUNT_ERRORS,
        ),
        Mutation(
            "setCustomerAccountEnabled", "$contactId: ID!, $enabled: Boolean!", "contactId: $contactId, enabled: $enabled",
            "CustomerAccountSuccess", f"contact {{ {CONTACT} }}", ACCOUNT_ERRORS,
        ),
        Mutation(
            "setCustomerAccountPermissions", "$contactId: ID!, $permissions: [CustomerPermission!]!",
            "contactId: $contactId, permissions: $permissions", "CustomerAccountSuccess", f"contact {{ {CONTACT} }}",
            ACCOUNT_ERRORS,
        ),
    ]
}


def untranslated(record: dict | None) -> dict | None:
    """A record without the words that follow Accept-Language (contact warnings' messages)."""
    if record is None or "warnings" not in record:
        return record
    return {**record, "warnings": [{**w, "message": None} for w in record["warnings"]]}


def assert_user_error(error: dict, where: str) -> None:
    assert error["code"] in ERROR_CODES, (where, error)
    assert isinstance(error["message"], str) and error["message"].strip(), (where, error)


class Api:
    """The service over HTTP, with every answer checked for what may never be in it."""

    def __init__(self, http: TestClient) -> None:
        self.http = http
        self.world = World()
        #: What the last read of something gave: between two examples nothing else writes,
        #: so one example's "after" is the next one's "before" (one request less each).
        self.seen: dict[Any, Any] = {}

    def was(self, key: Any, read) -> Any:
        if key not in self.seen:
            self.seen[key] = read()
        return self.seen[key]

    def now(self, key: Any, read) -> Any:
        self.seen[key] = value = read()
        return value

    def count_was(self, *listings: str) -> tuple[int, ...]:
        return self.was(listings, lambda: self.count(*listings))

    def count_now(self, *listings: str) -> tuple[int, ...]:
        return self.now(listings, lambda: self.count(*listings))

    def post(self, query: str, variables: dict[str, Any] | None = None, *, lang: str | None = None) -> dict:
        body = {"query": query, "variables": {k: v for k, v in (variables or {}).items() if v is not OMIT}}
        sent = json.dumps(body)  # ensure_ascii: lone surrogates travel as \\udxxx escapes, as JSON allows
        headers = {"Content-Type": "application/json"}
        if lang is not None:
            headers["Accept-Language"] = lang
        response = self.http.post("/graphql", content=sent.encode(), headers=headers)
        where = f"{query[:80]!r} with {sent[:300]}"
        assert response.status_code == 200, (response.status_code, response.text[:500], where)
        assert response.headers["content-type"].startswith("application/json"), where
        answer = response.json()
        assert isinstance(answer, dict) and ("data" in answer or "errors" in answer), (answer, where)
        assert set(answer) <= {"data", "errors", "extensions"}, (answer, where)
        for leak in LEAKS:
            assert leak not in response.text or leak in sent, (leak, response.text[:1000], where)
        for error in answer.get("errors") or []:
            extensions = error.get("extensions") or {}
            assert extensions.get("code") in TOP_LEVEL_CODES, (error, where)
            assert isinstance(error.get("message"), str) and error["message"].strip(), (error, where)
            assert extensions.get("requestId") == response.headers["x-request-id"], (error, where)
        return answer

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict:
        """A query that must succeed (the test's own reads)."""
        answer = self.post(query, variables)
        assert "errors" not in answer, answer["errors"]
        return answer["data"]

    def mutate(self, mutation: Mutation, variables: dict[str, Any], *, lang: str | None = None) -> dict | None:
        """The payload, checked; None when the variables did not even coerce (or were refused
        before coercion: a list over its limit, an input object of junk keys)."""
        answer = self.post(mutation.document, variables, lang=lang)
        if answer.get("errors"):
            assert answer.get("data") is None, answer
            refused = {e["extensions"]["code"] for e in answer["errors"]}
            assert refused and refused <= {"GRAPHQL_VALIDATION_FAILED", "LIST_TOO_LONG", "INPUT_OBJECT_TOO_LARGE"}, answer
            return None
        payload = answer["data"][mutation.name]
        kind = payload["__typename"]
        assert kind == mutation.success or kind in mutation.errors, payload
        if kind != mutation.success:
            assert_user_error(payload, mutation.name)
            for problem in payload.get("errors", ()):  # InvalidInputError lists every problem
                assert_user_error(problem, mutation.name)
            if "errors" in payload:
                assert payload["errors"] and payload["errors"][0]["code"] == payload["code"], payload
        return payload

    # -- records ---------------------------------------------------------------------------

    def customer(self, global_id: str) -> dict | None:
        return self.data(f"query($id: ID!) {{ customer(id: $id) {{ {CUSTOMER} }} }}", {"id": global_id})["customer"]

    def contact(self, global_id: str) -> dict | None:
        return self.data(f"query($id: ID!) {{ contact(id: $id) {{ {CONTACT} }} }}", {"id": global_id})["contact"]

    def count(self, *listings: str) -> tuple[int, ...]:
        """The totalCount of each list, in one request."""
        data = self.data("{ " + " ".join(f"{name} {{ totalCount }}" for name in listings) + " }")
        return tuple(data[name]["totalCount"] for name in listings)

    def create_customer(self, **fields) -> dict:
        payload = self.mutate(MUTATIONS["createCustomer"], {"input": fields})
        assert payload["__typename"] == "CreateCustomerSuccess", payload
        return payload["customer"]

    def add_contact(self, customer_id: str, **fields) -> dict:
        payload = self.mutate(MUTATIONS["addContact"], {"customerId": customer_id, "input": fields})
        assert payload["__typename"] == "AddContactSuccess", payload
        return payload["contact"]

    def record(self, **sender) -> dict:
        payload = self.mutate(MUTATIONS["recordActivity"], {"input": {"channel": "CALL", "sender": sender}})
        assert payload["__typename"] == "RecordActivitySuccess", payload
        return payload

    def fresh_entry(self) -> str:
        return self.record(name="Fresh Caller")["openListEntry"]["id"]

    def fresh_contact(self) -> str:
        return self.add_contact(self.world.ids["Customer"][0], lastName="Fresh", email="fresh@example.cz")["id"]

    def fresh_account(self) -> str:
        """A new contact with a customer account."""
        contact = self.fresh_contact()
        made = self.mutate(MUTATIONS["createCustomerAccount"], {"contactId": contact, "permissions": ["VIEW_CONTACTS"]})
        assert made["__typename"] == "CustomerAccountCredentialSuccess", made
        return contact

    def build_world(self) -> None:
        w = self.world
        jan = self.create_customer(firstName="Jan", lastName="Novák", emails=[{"address": "jan.novak@example.cz"}], phones=[{"number": "+420 601 123 456"}])
        acme = self.create_customer(organizationName="ACME s.r.o.", address={"city": "Brno"}, attributes=[{"key": "tier", "value": "gold"}])
        w.ids["Customer"] += [jan["id"], acme["id"]]
        jana = self.add_contact(acme["id"], firstName="Jana", lastName="Nováková", email="jana@acme.cz", role="MAIN", reminderContact=True)
        petr = self.add_contact(acme["id"], lastName="Dvořák", phone="601 222 333")
        w.ids["Contact"] += [jana["id"], petr["id"], self.add_contact(jan["id"], lastName="Jan's")["id"]]
        granted = self.mutate(MUTATIONS["createCustomerAccount"], {"contactId": jana["id"], "permissions": ["VIEW_CUSTOMER"]})
        assert granted["__typename"] == "CustomerAccountCredentialSuccess", granted
        unknown = self.record(name="Eva Svobodová", email="eva@example.cz")
        known = self.record(phone="601123456")
        assert known["outcome"] == "ASSOCIATED" and unknown["outcome"] == "ADDED_TO_OPEN_LIST"
        w.ids["Activity"] += [unknown["activity"]["id"], known["activity"]["id"]]
        w.ids["OpenListEntry"].append(unknown["openListEntry"]["id"])
        for listing in ("customers", "contacts", "activities", "openList"):
            page = self.data(f"{{ {listing}(first: 1) {{ edges {{ cursor }} }} }}")[listing]
            w.cursors += [e["cursor"] for e in page["edges"]]

    def resolve(self, value: Any, make) -> Any:
        """`value`, or for FRESH the id of a record made now (which changes the counts)."""
        if value != FRESH:
            return value
        self.seen.clear()
        return make()

    # -- the store's consistency ----------------------------------------------------------

    def all_of(self, listing: str, selection: str) -> list[dict]:
        """Every item of a list, page by page; the pages must add up to totalCount."""
        nodes: list[dict] = []
        after = None
        total = None
        for _ in range(1000):
            page = self.data(
                f"query($after: String) {{ {listing}(first: 100, after: $after) {{ totalCount pageInfo {{ hasNextPage endCursor }} "
                f"edges {{ cursor node {{ {selection} }} }} }} }}",
                {"after": after},
            )[listing]
            total = page["totalCount"] if total is None else total
            assert page["totalCount"] == total, f"{listing}: totalCount changed while paging"
            nodes += [e["node"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert len(nodes) == total, f"{listing}: {len(nodes)} items on its pages, totalCount {total}"
        ids = [n["id"] for n in nodes]
        assert len(set(ids)) == len(ids), f"{listing}: an item on two pages"
        return nodes

    def nodes(self, ids: list[str], selection: str) -> list[dict | None]:
        """node(id:) of each id, 25 to a request (aliases are limited)."""
        found: list[dict | None] = []
        for start in range(0, len(ids), 25):
            chunk = ids[start : start + 25]
            variables = ", ".join(f"$i{n}: ID!" for n in range(len(chunk)))
            fields = " ".join(f"n{n}: node(id: $i{n}) {{ {selection} }}" for n in range(len(chunk)))
            data = self.data(f"query({variables}) {{ {fields} }}", {f"i{n}": i for n, i in enumerate(chunk)})
            found += [data[f"n{n}"] for n in range(len(chunk))]
        return found

    def assert_consistent(self) -> None:
        customers = self.all_of("customers", "id version displayName")
        customer_ids = {c["id"] for c in customers}
        for c, found in zip(customers, self.nodes([c["id"] for c in customers], "__typename id ... on Customer { version }")):
            assert found == {"__typename": "Customer", "id": c["id"], "version": c["version"]}, c
            assert isinstance(c["displayName"], str) and c["displayName"], c
        contacts = self.all_of("contacts", "id version customer { id }")
        for k, found in zip(contacts, self.nodes([k["id"] for k in contacts], "id ... on Contact { version }")):
            assert k["customer"] is not None and k["customer"]["id"] in customer_ids, k
            assert found == {"id": k["id"], "version": k["version"]}, k
        entries = self.all_of("openList", "id status activity { id customer { id } openListEntry { id status } }")
        for e in entries:
            assert e["status"] == "OPEN", e
            assert e["activity"]["customer"] is None, e
            assert e["activity"]["openListEntry"] == {"id": e["id"], "status": "OPEN"}, e
        open_ids = {e["id"] for e in entries}
        for a in self.all_of("activities", "id customer { id } openListEntry { id status customer { id } }"):
            if a["customer"] is not None:
                assert a["customer"]["id"] in customer_ids, a
            entry = a["openListEntry"]
            if entry is not None:
                assert (entry["status"] == "OPEN") == (entry["id"] in open_ids), a
                if entry["status"] == "OPEN":
                    assert a["customer"] is None, a
                if entry["status"] in ("CREATED", "ASSOCIATED"):
                    assert entry["customer"] is not None and entry["customer"]["id"] in customer_ids, a


@pytest.fixture
def api(gql: GraphQLClient) -> Iterator[Api]:
    """One service per test function (conftest's `gql`), with a few records in it."""
    a = Api(gql.http)
    a.build_world()
    yield a


# --- every mutation ----------------------------------------------------------------------------


def test_record_activity(api: Api) -> None:
    mutation = MUTATIONS["recordActivity"]
    activity_input = st.fixed_dictionaries(
        {"channel": sometimes_junk(enum_values(["CALL", "CHAT", "EMAIL"]))},
        optional={
            "direction": enum_values(["INBOUND", "OUTBOUND"]),
            "sender": nullable(identities()),
            "subject": nullable(texts()),
            "text": nullable(texts()),
            "occurredAt": nullable(datetimes()),
            "agentId": nullable(st.one_of(st.just("agent-1"), texts(long=False), st.integers())),
        },
    )

    @fuzz(40)
    @given(activity=sometimes_junk(activity_input), lang=LANGUAGES)
    def run(activity, lang):
        before = api.count_was("activities")
        payload = api.mutate(mutation, {"input": activity}, lang=lang)
        after = api.count_now("activities")
        if payload is None or payload["__typename"] != mutation.success:
            assert after == before, "an activity refused was stored all the same"
            return
        assert after == (before[0] + 1,)
        if payload["outcome"] == "ASSOCIATED":
            assert payload["activity"]["customer"]["id"] == payload["customer"]["id"]
        else:
            assert payload["activity"]["customer"] is None and payload["openListEntry"]["status"] == "OPEN"

    run()
    api.assert_consistent()


def test_create_customer(api: Api) -> None:
    mutation = MUTATIONS["createCustomer"]

    @fuzz(40)
    @given(
        customer=sometimes_junk(customer_inputs()),
        activity=nullable(ids(api.world, "Activity")),
        confirm=CONFIRM,
        lang=LANGUAGES,
    )
    def run(customer, activity, confirm, lang):
        before = api.count_was("customers")
        payload = api.mutate(mutation, {"input": customer, "activityId": activity, "confirm": confirm}, lang=lang)
        after = api.count_now("customers")
        if payload is None or payload["__typename"] != mutation.success:
            assert after == before, "a customer refused was stored all the same"
            return
        assert after == (before[0] + 1,)
        made = payload["customer"]
        assert made["version"] == 1 and api.customer(made["id"]) == made
        if payload["activity"] is not None:
            assert payload["activity"]["customer"] == {"id": made["id"]}

    run()
    api.assert_consistent()


def test_update_customer(api: Api) -> None:
    mutation = MUTATIONS["updateCustomer"]

    @fuzz(40)
    @given(
        customer=ids(api.world, "Customer"),
        version=st.one_of(st.just("current"), st.just("current"), INTS),
        changes=sometimes_junk(customer_inputs()),
        lang=LANGUAGES,
    )
    def run(customer, version, changes, lang):
        before = api.was(("customer", customer), lambda: api.customer(customer)) if isinstance(customer, str) else None
        if version == "current":
            version = before["version"] if before else 1
        payload = api.mutate(mutation, {"id": customer, "version": version, "input": changes}, lang=lang)
        after = api.now(("customer", customer), lambda: api.customer(customer)) if isinstance(customer, str) else None
        if payload is None or payload["__typename"] != mutation.success:
            assert after == before, "a refused update changed the customer"
            if payload and payload["__typename"] == "VersionConflictError":
                assert payload["currentVersion"] == before["version"] != payload["expectedVersion"] == version
            return
        assert payload["customer"] == after
        assert after["version"] in (before["version"], before["version"] + 1)
        assert (after["version"] == before["version"]) == (after == before)

    run()
    api.assert_consistent()


def test_create_customer_from_open_list(api: Api) -> None:
    mutation = MUTATIONS["createCustomerFromOpenList"]

    @fuzz(40)
    @given(
        entry=ids(api.world, "OpenListEntry", fresh=True),
        customer=sometimes_junk(nullable(customer_inputs())),
        confirm=CONFIRM,
        lang=LANGUAGES,
    )
    def run(entry, customer, confirm, lang):
        entry = api.resolve(entry, api.fresh_entry)
        before = api.count_was("customers", "openList")
        payload = api.mutate(mutation, {"entryId": entry, "input": customer, "confirm": confirm}, lang=lang)
        after = api.count_now("customers", "openList")
        if payload is None or payload["__typename"] != mutation.success:
            assert after == before, "a refused create changed the store"
            return
        assert after == (before[0] + 1, before[1] - 1)
        made = payload["customer"]["id"]
        assert payload["entry"]["status"] == "CREATED" and payload["entry"]["customer"] == {"id": made}
        assert payload["activity"]["customer"] == {"id": made}

    run()
    api.assert_consistent()


def test_discard_open_list_entry(api: Api) -> None:
    mutation = MUTATIONS["discardOpenListEntry"]

    @fuzz(40)
    @given(entry=ids(api.world, "OpenListEntry", fresh=True), lang=LANGUAGES)
    def run(entry, lang):
        entry = api.resolve(entry, api.fresh_entry)
        before = api.count_was("openList")
        payload = api.mutate(mutation, {"entryId": entry}, lang=lang)
        after = api.count_now("openList")
        if payload is None or payload["__typename"] != mutation.success:
            assert after == before
            return
        assert after == (before[0] - 1,)
        assert payload["entry"]["status"] == "DISCARDED" and payload["activity"]["customer"] is None

    run()
    api.assert_consistent()


def test_associate_activity(api: Api) -> None:
    mutation = MUTATIONS["associateActivity"]

    @fuzz(40)
    @given(
        activity=ids(api.world, "Activity", fresh=True),
        customer=ids(api.world, "Customer"),
        lang=LANGUAGES,
    )
    def run(activity, customer, lang):
        activity = api.resolve(activity, lambda: api.record(name="Someone New")["activity"]["id"])
        payload = api.mutate(mutation, {"activityId": activity, "customerId": customer}, lang=lang)
        if payload is None or payload["__typename"] != mutation.success:
            return
        assert payload["activity"]["customer"] == {"id": customer} == {"id": payload["customer"]["id"]}
        entry = payload["activity"]["openListEntry"]
        assert entry is None or entry["status"] != "OPEN"

    run()
    api.assert_consistent()


def test_add_contact(api: Api) -> None:
    mutation = MUTATIONS["addContact"]

    @fuzz(40)
    @given(customer=ids(api.world, "Customer"), contact=sometimes_junk(contact_inputs()), lang=LANGUAGES)
    def run(customer, contact, lang):
        before = api.count_was("contacts")
        payload = api.mutate(mutation, {"customerId": customer, "input": contact}, lang=lang)
        after = api.count_now("contacts")
        if payload is None or payload["__typename"] != mutation.success:
            assert after == before, "a contact refused was stored all the same"
            return
        assert after == (before[0] + 1,)
        made = payload["contact"]
        assert made["customer"] == {"id": customer} and untranslated(api.contact(made["id"])) == untranslated(made)
        assert made["canCommunicate"] == (made["email"] is not None)
        assert made["owner"] == "local-developer"

    run()
    api.assert_consistent()


def test_update_contact(api: Api) -> None:
    mutation = MUTATIONS["updateContact"]

    @fuzz(40)
    @given(
        contact=ids(api.world, "Contact"),
        version=st.one_of(st.just("current"), st.just("current"), INTS),
        changes=sometimes_junk(contact_inputs()),
        lang=LANGUAGES,
    )
    def run(contact, version, changes, lang):
        before = api.was(("contact", contact), lambda: api.contact(contact)) if isinstance(contact, str) else None
        if version == "current":
            version = before["version"] if before else 1
        payload = api.mutate(mutation, {"id": contact, "version": version, "input": changes}, lang=lang)
        after = api.now(("contact", contact), lambda: api.contact(contact)) if isinstance(contact, str) else None
        if payload is None or payload["__typename"] != mutation.success:
            assert after == before, "a refused update changed the contact"
            if payload and payload["__typename"] == "VersionConflictError":
                assert payload["currentVersion"] == before["version"] != payload["expectedVersion"] == version
            return
        assert untranslated(payload["contact"]) == untranslated(after)
        assert after["version"] in (before["version"], before["version"] + 1)
        assert after["owner"] == before["owner"] and after["customer"] == before["customer"]

    run()
    api.assert_consistent()


def test_remove_contact(api: Api) -> None:
    mutation = MUTATIONS["removeContact"]

    @fuzz(40)
    @given(contact=ids(api.world, "Contact", fresh=True), lang=LANGUAGES)
    def run(contact, lang):
        contact = api.resolve(contact, api.fresh_contact)
        before = api.count_was("contacts")
        payload = api.mutate(mutation, {"id": contact}, lang=lang)
        after = api.count_now("contacts")
        if payload is None or payload["__typename"] != mutation.success:
            assert after == before
            return
        assert after == (before[0] - 1,) and payload["removedContactId"] == contact
        assert api.contact(contact) is None

    run()
    api.assert_consistent()


ACCOUNT_STATE = "query($id: ID!) { contact(id: $id) { version account { id enabled permissions credentialRotatedAt } } }"


def account_mutation_test(api: Api, name: str, arguments: st.SearchStrategy[dict], examples: int = 40) -> None:
    """Any account mutation: a refused one changes nothing; a credential is shown as cca_...
    FRESH is a new contact, with an account for every mutation but createCustomerAccount."""
    mutation = MUTATIONS[name]
    fresh = api.fresh_contact if name == "createCustomerAccount" else api.fresh_account

    @fuzz(examples)
    @given(contact=ids(api.world, "Contact", fresh=True), arguments=arguments, lang=LANGUAGES)
    def run(contact, arguments, lang):
        contact = api.resolve(contact, fresh)
        read = lambda: api.data(ACCOUNT_STATE, {"id": contact})["contact"]  # noqa: E731
        before = api.was(("account", contact), read) if isinstance(contact, str) else None
        payload = api.mutate(mutation, {"contactId": contact, **arguments}, lang=lang)
        after = api.now(("account", contact), read) if isinstance(contact, str) else None
        if payload is None or payload["__typename"] != mutation.success:
            assert after == before, "a refused account change changed the contact"
            return
        assert payload["contact"]["account"] is not None and after["account"] is not None
        if "credential" in payload:
            assert payload["credential"].startswith("cca_")
            assert payload["credential"] not in json.dumps(api.data(f"query($id: ID!) {{ contact(id: $id) {{ {CONTACT} }} }}", {"id": contact}))

    run()
    api.assert_consistent()


def test_create_customer_account(api: Api) -> None:
    account_mutation_test(api, "createCustomerAccount", st.fixed_dictionaries({"permissions": sometimes_junk(permission_lists())}))


def test_rotate_customer_account_credential(api: Api) -> None:
    account_mutation_test(api, "rotateCustomerAccountCredential", st.just({}), examples=30)


def test_set_customer_account_enabled(api: Api) -> None:
    account_mutation_test(api, "setCustomerAccountEnabled", st.fixed_dictionaries({"enabled": sometimes_junk(st.booleans(), 5)}), examples=30)


def test_set_customer_account_permissions(api: Api) -> None:
    account_mutation_test(api, "setCustomerAccountPermissions", st.fixed_dictionaries({"permissions": sometimes_junk(permission_lists())}))


# --- every query argument and filter ---------------------------------------------------------


def first_values() -> st.SearchStrategy:
    """Page sizes: mostly none or 0 to 100 (the default maximum), else any int or junk."""
    return weighted((6, nullable(st.integers(0, 100))), (3, INTS), (1, JSON_JUNK))


def check_page(connection: dict | None, first: Any) -> None:
    if connection is None:
        return
    edges = connection["edges"]
    if isinstance(first, int) and 0 <= first:
        assert len(edges) <= first
    assert connection["totalCount"] >= len(edges)
    assert connection["pageInfo"]["hasNextPage"] in (True, False)
    if edges:
        assert connection["pageInfo"]["endCursor"] == edges[-1]["cursor"]


def query_test(api: Api, document: str, arguments: st.SearchStrategy[dict], listing: str, examples: int = 40) -> None:
    @fuzz(examples)
    @given(arguments=arguments, lang=LANGUAGES)
    def run(arguments, lang):
        answer = api.post(document, arguments, lang=lang)
        if answer.get("errors"):
            assert not answer.get("data"), answer  # the lists are non-null: an error nulls `data`
            return
        check_page(answer["data"][listing], arguments.get("first"))

    run()
    api.assert_consistent()


def test_customers_search_first_after(api: Api) -> None:
    document = f"""query($search: String, $first: Int, $after: String) {{ customers(search: $search, first: $first, after: $after) {{
      totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
      edges {{ cursor node {{ {CUSTOMER} messageRecipients {{ id }} reminderRecipients {{ id }} }} }} }} }}"""
    arguments = st.fixed_dictionaries(
        {"search": sometimes_junk(nullable(texts())), "first": first_values(), "after": sometimes_junk(cursors(api.world))}
    )
    query_test(api, document, arguments, "customers", examples=50)


def test_customer_activities_and_contacts_arguments(api: Api) -> None:
    document = f"""query($id: ID!, $first: Int, $after: String, $role: ContactRole) {{ customer(id: $id) {{ id
      activities(first: $first, after: $after) {{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {ACTIVITY} }} }} }}
      contacts(role: $role, first: $first, after: $after) {{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {CONTACT} }} }} }}
    }} }}"""
    arguments = st.fixed_dictionaries(
        {
            "id": ids(api.world, "Customer"),
            "first": first_values(),
            "after": sometimes_junk(cursors(api.world)),
            "role": sometimes_junk(nullable(enum_values(ROLES))),
        }
    )

    @fuzz(40)
    @given(arguments=arguments, lang=LANGUAGES)
    def run(arguments, lang):
        answer = api.post(document, arguments, lang=lang)
        customer = (answer.get("data") or {}).get("customer")
        if customer is not None:
            check_page(customer["activities"], arguments["first"])
            check_page(customer["contacts"], arguments["first"])

    run()
    api.assert_consistent()


def test_activities_filters(api: Api) -> None:
    document = f"""query($customerId: ID, $unassociated: Boolean, $first: Int, $after: String) {{
      activities(customerId: $customerId, unassociated: $unassociated, first: $first, after: $after) {{
        totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {ACTIVITY} }} }} }} }}"""
    arguments = st.fixed_dictionaries(
        {
            "customerId": nullable(ids(api.world, "Customer")),
            "unassociated": sometimes_junk(nullable(st.booleans())),
            "first": first_values(),
            "after": sometimes_junk(cursors(api.world)),
        }
    )
    query_test(api, document, arguments, "activities")


def test_open_list_filters(api: Api) -> None:
    document = f"""query($agentId: ID, $first: Int, $after: String) {{ openList(agentId: $agentId, first: $first, after: $after) {{
      totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {ENTRY} }} }} }} }}"""
    arguments = st.fixed_dictionaries(
        {
            "agentId": sometimes_junk(nullable(st.one_of(st.just("agent-1"), texts(long=False), st.integers()))),
            "first": first_values(),
            "after": sometimes_junk(cursors(api.world)),
        }
    )
    query_test(api, document, arguments, "openList", examples=40)


ORDER_FIELDS = ["LAST_NAME", "FIRST_NAME", "SALUTATION", "TITLE", "EMAIL", "PHONE", "CUSTOMER", "ROLE", "REMINDER_CONTACT", "OWNER", "CREATED_AT", "UPDATED_AT"]
SEARCH_FIELDS = ["SALUTATION", "FIRST_NAME", "LAST_NAME", "TITLE", "EMAIL", "PHONE"]


def test_contacts_filter_order_first_after(api: Api) -> None:
    document = f"""query($filter: ContactFilter, $orderBy: ContactOrder, $first: Int, $after: String) {{
      contacts(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {{
        totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {CONTACT} }} }} }} }}"""
    contact_filter = st.fixed_dictionaries(
        {},
        optional={
            "search": nullable(texts()),
            "searchIn": nullable(st.one_of(st.lists(st.sampled_from(SEARCH_FIELDS), max_size=8), st.lists(enum_values(SEARCH_FIELDS), max_size=2))),
            "customerId": nullable(ids(api.world, "Customer")),
            "role": nullable(enum_values(ROLES)),
            "reminderContact": nullable(st.booleans()),
            "canCommunicate": nullable(st.booleans()),
        },
    )
    order = st.fixed_dictionaries(
        {"field": enum_values(ORDER_FIELDS)}, optional={"direction": enum_values(["ASC", "DESC"])}
    )
    arguments = st.fixed_dictionaries(
        {
            "filter": sometimes_junk(nullable(contact_filter)),
            "orderBy": sometimes_junk(nullable(order)),
            "first": first_values(),
            "after": sometimes_junk(cursors(api.world)),
        }
    )
    query_test(api, document, arguments, "contacts", examples=50)


def test_match_customers_identity_limit(api: Api) -> None:
    document = """query($identity: IdentityInput!, $limit: Int) { matchCustomers(identity: $identity, limit: $limit) {
      score reasons { field method strength } customer { id displayName } } }"""

    @fuzz(40)
    @given(identity=sometimes_junk(identities()), limit=sometimes_junk(nullable(INTS)), lang=LANGUAGES)
    def run(identity, limit, lang):
        answer = api.post(document, {"identity": identity, "limit": limit}, lang=lang)
        found = (answer.get("data") or {}).get("matchCustomers")
        if found is None:
            return
        assert len(found) <= (limit if limit is not None else 5)
        assert all(0 <= c["score"] <= 1 and c["customer"] is not None for c in found)
        assert [c["score"] for c in found] == sorted((c["score"] for c in found), reverse=True)

    run()
    api.assert_consistent()


def test_node_and_single_reads_by_id(api: Api) -> None:
    document = """query($id: ID!) { node(id: $id) { __typename id } customer(id: $id) { id } activity(id: $id) { id }
      contact(id: $id) { id } openListEntry(id: $id) { id } }"""
    every = st.one_of(*(ids(api.world, kind) for kind in TYPES))

    @fuzz(50)
    @given(id=every, lang=LANGUAGES)
    def run(id, lang):
        answer = api.post(document, {"id": id}, lang=lang)
        data = answer.get("data")
        if data is None:
            return
        assert "errors" not in answer, answer
        found = {name: data[field] for name, field in [("Customer", "customer"), ("Activity", "activity"), ("Contact", "contact"), ("OpenListEntry", "openListEntry")] if data[field]}
        if data["node"] is None:
            assert not found
        else:
            assert found == {data["node"]["__typename"]: {"id": data["node"]["id"]}} and data["node"]["id"] == id

    run()


# --- bugs the strategies above once found ----------------------------------------------------


def test_text_with_lone_surrogates_never_breaks_the_lists(api: Api) -> None:
    """A lone surrogate or a control character is not text: refused on the field that holds
    it (it once was stored, and then broke every customers page that included it)."""
    mutation = MUTATIONS["createCustomer"]

    @fuzz(30)
    @example(name="\ud800")
    @example(name="Nov\udc00k")
    @example(name="Nul\x00l")
    @given(name=texts(long=False))
    def run(name):
        payload = api.mutate(mutation, {"input": {"lastName": name, "firstName": "x" + name}})
        if any("\ud800" <= c <= "\udfff" for c in name):
            assert payload["__typename"] == "InvalidInputError" and payload["code"] == "INVALID_VALUE", payload
            assert {e["field"] for e in payload["errors"]} == {"lastName", "firstName"}, payload
        elif payload["__typename"] != mutation.success:
            assert payload["__typename"] == "InvalidInputError", payload
        api.assert_consistent()

    run()


@pytest.mark.parametrize("occurred_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_occurred_at_at_the_edges_of_the_calendar(api: Api, occurred_at: str) -> None:
    """A time whose UTC falls before year 1 or after 9999 is an error on occurredAt (it once
    was an INTERNAL_ERROR); the edges themselves are accepted."""
    payload = api.mutate(MUTATIONS["recordActivity"], {"input": {"channel": "CALL", "occurredAt": occurred_at}})
    assert (payload["__typename"], payload["code"]) == ("InvalidInputError", "INVALID_VALUE"), payload
    assert [e["field"] for e in payload["errors"]] == ["occurredAt"], payload
    api.assert_consistent()
    edge = occurred_at[:19] + "Z"
    payload = api.mutate(MUTATIONS["recordActivity"], {"input": {"channel": "CALL", "occurredAt": edge}})
    assert payload["__typename"] == "RecordActivitySuccess" and payload["activity"]["occurredAt"].startswith(edge[:19]), payload


# --- concurrent updates of one record --------------------------------------------------------

BURST = 20


class Gate:
    """Holds every reader of a record until `parties` have read it, so all of a burst's
    requests read the same version before any of them writes: the store's compare-and-set,
    not the event loop's scheduling, has to pick the winner."""

    def __init__(self) -> None:
        self.parties = 0
        self.arrived = 0
        self.opened = asyncio.Event()

    def arm(self, parties: int) -> None:
        self.parties, self.arrived = parties, 0
        self.opened = asyncio.Event()

    async def wait(self) -> None:
        if not self.parties or self.opened.is_set():
            return
        self.arrived += 1
        if self.arrived >= self.parties:
            self.opened.set()
        await asyncio.wait_for(self.opened.wait(), 10)


def gated(base: type) -> type:
    """`base` with reads by id that wait at a shared gate."""

    class Gated(base):  # type: ignore[misc, valid-type]
        gate = Gate()

        async def get_customers(self, ids):
            await Gated.gate.wait()
            return await super().get_customers(ids)

        async def get_contacts(self, ids):
            await Gated.gate.wait()
            return await super().get_contacts(ids)

    return Gated


GatedMemory = gated(MemoryStore)


class Backends:
    """Test backends: the memory store and the mongo store (on mongomock-motor), each with
    reads that wait at a gate."""

    def __init__(self) -> None:
        from mongomock_motor import AsyncMongoMockClient

        from plugins.mongo import MongoStore

        self.client = AsyncMongoMockClient()
        self.gated_mongo = gated(MongoStore)

    @hookimpl
    def storage_backends(self):
        return [
            StorageBackend("gated-memory", GatedMemory, "test double"),
            StorageBackend("gated-mongo", lambda settings: self.gated_mongo(settings, client=self.client), "test double"),
        ]


UPDATE_CUSTOMER = f"""mutation($id: ID!, $v: Int!, $input: CustomerInput!) {{ updateCustomer(id: $id, expectedVersion: $v, input: $input) {{
  __typename ... on UserError {{ code }} ... on VersionConflictError {{ expectedVersion currentVersion }}
  ... on UpdateCustomerSuccess {{ customer {{ {CUSTOMER} }} }} }} }}"""
UPDATE_CONTACT = f"""mutation($id: ID!, $v: Int!, $input: ContactInput!) {{ updateContact(id: $id, expectedVersion: $v, input: $input) {{
  __typename ... on UserError {{ code }} ... on VersionConflictError {{ expectedVersion currentVersion }}
  ... on UpdateContactSuccess {{ contact {{ {CONTACT} }} }} }} }}"""


def customer_change(i: int) -> dict:
    return {
        "firstName": f"First{i}",
        "lastName": f"Last{i}",
        "organizationName": None if i % 2 else f"Org {i}",
        "emails": [{"address": f"writer{i}@example.cz", "label": f"label {i}"}],
        "phones": [{"number": f"+420 777 {i:03d} {i:03d}"}],
        "address": {"city": f"City {i}"},
        "externalId": f"ext-{i}",
        "attributes": [{"key": "writer", "value": str(i)}],
    }


def contact_change(i: int) -> dict:
    return {
        "salutation": f"Salutation {i}",
        "firstName": f"First{i}",
        "lastName": f"Last{i}",
        "title": f"Dr. {i}",
        "email": f"writer{i}@example.cz",
        "phone": f"+420 777 {i:03d} {i:03d}",
        "role": "MAIN" if i % 2 else "ADDITIONAL",
        "reminderContact": bool(i % 2),
    }


async def burst(backend: str, which: str) -> tuple[list[dict], dict, list[dict], list[list[dict]]]:
    """BURST concurrent updates of one record, all with expectedVersion 1: their payloads,
    the record as stored after them, what each writer sent, and (customers) which customers
    each writer's email finds afterwards."""
    import httpx2

    plugins = [Backends()] if backend.startswith("gated") else []
    # All BURST requests must be in flight at once (the gate waits for them): room for each.
    app = create_app(Settings(backend=backend, max_in_flight_requests=BURST), extra_plugins=plugins)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:

            async def post(query: str, variables: dict) -> dict:
                response = await client.post("/graphql", json={"query": query, "variables": variables})
                assert response.status_code == 200, response.text
                body = response.json()
                assert "errors" not in body, body
                return body["data"]

            made = await post(
                "mutation { createCustomer(input: {lastName: \"Before\", emails: [{address: \"before@example.cz\"}]}) "
                "{ ... on CreateCustomerSuccess { customer { id } } } }",
                {},
            )
            customer_id = made["createCustomer"]["customer"]["id"]
            if which == "customer":
                record_id, document, name, changes = customer_id, UPDATE_CUSTOMER, "updateCustomer", customer_change
            else:
                added = await post(
                    "mutation($c: ID!) { addContact(customerId: $c, input: {lastName: \"Before\", email: \"before@example.cz\"}) "
                    "{ ... on AddContactSuccess { contact { id } } } }",
                    {"c": customer_id},
                )
                record_id, document, name, changes = added["addContact"]["contact"]["id"], UPDATE_CONTACT, "updateContact", contact_change
            sent = [changes(i) for i in range(BURST)]
            gate = getattr(app.state.runtime.store, "gate", None)
            if gate is not None:
                gate.arm(BURST)
            try:
                results = await asyncio.gather(*(post(document, {"id": record_id, "v": 1, "input": s}) for s in sent))
                if gate is not None:  # every writer read version 1 before any of them wrote
                    assert gate.arrived == BURST and gate.opened.is_set(), gate.arrived
            finally:
                if gate is not None:
                    gate.arm(0)
            field_set = CUSTOMER if which == "customer" else CONTACT
            query = f"query($id: ID!) {{ node(id: $id) {{ ... on {which.title()} {{ {field_set} }} }} }}"
            stored = (await post(query, {"id": record_id}))["node"]
            ghosts = []
            if which == "customer":  # a loser's email must not find the customer: nothing of a loser is kept
                match = "query($e: String) { matchCustomers(identity: {email: $e}) { customer { id } } }"
                ghosts = [(await post(match, {"e": s["emails"][0]["address"]}))["matchCustomers"] for s in sent]
            return [r[name] for r in results], stored, sent, ghosts


@pytest.mark.parametrize("which", ["customer", "contact"])
@pytest.mark.parametrize("backend", ["memory", "gated-memory", "gated-mongo"])
def test_concurrent_updates_with_one_version_one_wins_the_rest_conflict(backend: str, which: str) -> None:
    payloads, stored, sent, ghosts = asyncio.run(burst(backend, which))
    kinds = [p["__typename"] for p in payloads]
    success = "UpdateCustomerSuccess" if which == "customer" else "UpdateContactSuccess"
    assert kinds.count(success) == 1, kinds
    assert kinds.count("VersionConflictError") == BURST - 1, kinds
    for p in payloads:
        if p["__typename"] == "VersionConflictError":
            assert (p["code"], p["expectedVersion"], p["currentVersion"]) == ("VERSION_CONFLICT", 1, 2), p
    winner = kinds.index(success)
    won = payloads[winner][which]
    assert stored == won and stored["version"] == 2
    # The stored record is the winner's input, every field of it: nothing lost, nothing mixed.
    mine = sent[winner]
    if which == "customer":
        assert (stored["firstName"], stored["lastName"], stored["organizationName"], stored["externalId"]) == (
            mine["firstName"], mine["lastName"], mine["organizationName"], mine["externalId"]
        )
        assert stored["emails"] == [{"address": mine["emails"][0]["address"], "normalized": mine["emails"][0]["address"], "label": mine["emails"][0]["label"]}]
        assert [p["number"] for p in stored["phones"]] == [mine["phones"][0]["number"]]
        assert stored["address"]["city"] == mine["address"]["city"]
        assert stored["attributes"] == mine["attributes"]
        for i, found in enumerate(ghosts):
            assert [c["customer"]["id"] for c in found] == ([stored["id"]] if i == winner else []), (i, found)
    else:
        for key in ("salutation", "firstName", "lastName", "title", "email", "phone", "role", "reminderContact"):
            assert stored[key] == mine[key], key
