"""Every index the mongo backend's migration creates (migrations.py), per collection, with why.
docs/operations.md ("MongoDB: indexes, shard keys and why") explains them for operators;
keep the two in step."""

from __future__ import annotations

from service.domain.contact_directory import ContactSort

from .codec import STORED_LOCALES, contact_sort_fields

ASC = 1

#: collection -> [(index name, keys)]. `_id` is indexed (and unique) by MongoDB itself.
INDEXES: dict[str, list[tuple[str, list[tuple[str, int]]]]] = {
    "customers": [
        # search: every query word is a "^word" range scan on the search terms (multikey)
        ("customers_terms", [("_terms", ASC)]),
        # fuzzy matching's candidates: name blocking keys (multikey), never a scan; a block is
        # read in id order up to a bound, so _id follows
        ("customers_blocking_id", [("_blocking", ASC), ("_id", ASC)]),
        # the customer list: folded display name, ties by id; also keyset paging's range
        ("customers_sort", [("_sort", ASC), ("_id", ASC)]),
    ],
    "activities": [
        # one customer's activities (and the unassociated ones: customer_id null), newest first
        ("activities_customer_occurred", [("customer_id", ASC), ("occurred_at", ASC), ("_id", ASC)]),
        # all activities, newest first
        ("activities_occurred", [("occurred_at", ASC), ("_id", ASC)]),
        # an agent's view: its own and the unassigned waiting callers (customer_id null), newest first
        ("activities_waiting_agent", [("customer_id", ASC), ("agent_id", ASC), ("occurred_at", ASC), ("_id", ASC)]),
    ],
    "open_list_entries": [
        # the open list of everyone, oldest first
        ("open_list_status_created", [("status", ASC), ("created_at", ASC), ("_id", ASC)]),
        # one agent's open list, oldest first
        ("open_list_status_agent_created", [("status", ASC), ("agent_id", ASC), ("created_at", ASC), ("_id", ASC)]),
    ],
    "contacts": [
        # directory search: "FIELD:word" terms, a "^FIELD:word" range scan per chosen attribute
        ("contacts_terms", [("_terms", ASC)]),
        # a customer's contacts (its tab, the contact limit, renames' update_many)
        ("contacts_customer", [("customer_id", ASC)]),
    ],
}

#: Indexes earlier layouts made that this one replaced: the migration drops them.
RETIRED_INDEXES: dict[str, list[str]] = {
    "customers": ["customers_blocking"],  # layout 3: customers_blocking_id (ids in order per block)
}

#: The directory orders that get an index per language; the other orders (salutation, title,
#: email, role, reminder flag, owner, phone) sort with the server's top-k sort (`limit`),
#: which keeps 64 indexes per collection (and every write's index updates) in bounds.
INDEXED_CONTACT_ORDERS = (ContactSort.LAST_NAME, ContactSort.FIRST_NAME, ContactSort.CUSTOMER)
INDEXED_INSENSITIVE_ORDERS = (ContactSort.CREATED_AT, ContactSort.UPDATED_AT)

for _order in INDEXED_CONTACT_ORDERS:
    for _loc in STORED_LOCALES:
        INDEXES["contacts"].append(
            (f"contacts_{_order.value.lower()}_{_loc}", [(f, ASC) for f in contact_sort_fields(_order, _loc)] + [("_id", ASC)])
        )
for _order in INDEXED_INSENSITIVE_ORDERS:
    INDEXES["contacts"].append(
        (f"contacts_{_order.value.lower()}", [(f, ASC) for f in contact_sort_fields(_order, "")] + [("_id", ASC)])
    )

assert all(len(specs) < 64 for specs in INDEXES.values()), "MongoDB allows 64 indexes per collection"
