"""The shard keys docs/operations.md suggests, per collection, and what each asks of a
write. tests/test_mongo_sharding.py runs every write the backend makes against them, and
checks the documentation shows exactly these.

MongoDB's rules (sharded collections, MongoDB 6.0 and later): a single-document update,
replace or delete names `_id` or the whole shard key by equality; a write that changes a
shard key field's value is a single-document update or replace whose filter holds the whole
shard key by equality (its current value) and that runs as a retryable write (PyMongo's
default, `retryWrites=true`) or in a transaction; `update_many` never changes one.
"""

from __future__ import annotations

from typing import Any

HASHED_ID: dict[str, Any] = {"_id": "hashed"}

#: collection -> the shard keys the documentation offers for it, the first one recommended.
SHARD_KEYS: dict[str, list[dict[str, Any]]] = {
    "customers": [HASHED_ID],
    # A customer's contacts and activities on one shard (its tab and its activity list
    # become targeted reads); moving one to another customer changes its shard key.
    "contacts": [HASHED_ID, {"customer_id": 1, "_id": 1}],
    "activities": [HASHED_ID, {"customer_id": 1, "_id": 1}],
    "open_list_entries": [HASHED_ID],
    # A waiting sender's claim: found and upserted by `_id` (its sender key) alone.
    "open_list_senders": [HASHED_ID],
    "identifiers": [HASHED_ID],
}

#: Collections left unsharded: `service_meta` holds a few small documents, `events` is a
#: carrier for the change stream (its documents live for minutes).
UNSHARDED = ("service_meta", "events")
