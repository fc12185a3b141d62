"""Every record type survives the trip to a document, and to JSON, unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import json

from service.documents import RECORD_TYPES, from_document, from_json, to_document, to_json, to_json_bytes
from service.domain import records as r

NOW = datetime(2026, 11, 25, 10, 30, 1, 123456, tzinfo=UTC)

SAMPLES = [
    r.Customer(
        "c1", 3, NOW, NOW, "agent", first_name="Jan", last_name="Novák", organization_name=None,
        emails=(r.EmailAddress("Jan@X.cz", "jan@x.cz", "work"),), phones=(r.PhoneNumber("601 123 456", "+420601123456"),),
        address=r.PostalAddress(city="Praha", country="CZ"), external_id="E-1", attributes=(r.Attribute("tier", "gold"),),
    ),
    r.Customer("c2", 1, NOW, NOW, None),
    r.Contact(
        "k1", 2, NOW, NOW, "agent", customer_id="c1", role=r.ContactRole.MAIN, salutation="Pan", first_name="Petr",
        last_name="Kovář", title="Ing.", email=r.EmailAddress("p@x.cz", "p@x.cz"), phone=None, reminder_contact=True,
    ),
    r.Activity(
        "a1", 1, NOW, NOW, "agent", r.Channel.EMAIL, r.Direction.INBOUND,
        r.Sender("Jan", "jan@x.cz", None, "jan@x.cz", None), NOW, subject="Hi", text="Body\nline", agent_id="ag",
        customer_id=None, associated_at=None, open_list_entry_id="e1",
    ),
    r.OpenListEntry(
        "e1", 2, NOW, NOW, "agent", "a1", "ag", r.Prefill("Jan", None, "jan@x.cz", None),
        candidates=(r.Candidate("c1", 0.95, (r.MatchReason("phone", "EXACT", 1.0),)),),
        status=r.EntryStatus.CREATED, customer_id="c1", resolved_at=NOW, resolved_by="agent",
    ),
]


@pytest.mark.parametrize("record", SAMPLES, ids=lambda s: f"{type(s).__name__}-{s.id}")
def test_round_trip(record):
    doc = to_document(record)
    assert from_document(type(record), doc) == record
    assert from_document(type(record), from_json(to_json(doc))) == record
    assert "\n" not in to_json(doc)
    # The fast encoder writes exactly what the json module writes.
    assert to_json_bytes(doc) == to_json(doc).encode()
    assert from_document(type(record), from_json(to_json_bytes(doc))) == record


def test_every_record_type_has_a_collection_name():
    assert set(RECORD_TYPES.values()) == {r.Customer, r.Contact, r.Activity, r.OpenListEntry}


def test_backend_fields_beside_the_record_are_ignored():
    doc = {**to_document(SAMPLES[1]), "_id": "c2", "_terms": ["x"]}
    assert from_document(r.Customer, doc) == SAMPLES[1]


def test_what_orjson_refuses_is_still_written_and_read():
    """A lone surrogate (JSON can carry one; older data may hold one) and an int beyond 64
    bits go through the json module instead of failing the write or the read."""
    doc = {"name": "Nov\ud800k", "big": 2**70, "at": NOW}
    line = to_json_bytes(doc)
    assert from_json(line) == {"name": "Nov\ud800k", "big": 2**70, "at": NOW.isoformat()}
    assert from_json(json.dumps({"name": "\ud800"})) == {"name": "\ud800"}  # the escaped form
    with pytest.raises(ValueError):
        from_json(b'{"name": ')


def test_missing_fields_take_the_record_defaults_and_nested_nulls_stay_null():
    doc = to_document(SAMPLES[0])
    del doc["attributes"], doc["external_id"]
    doc["address"] = None
    loaded = from_document(r.Customer, doc)
    assert (loaded.attributes, loaded.external_id, loaded.address) == ((), None, None)
