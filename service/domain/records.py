"""The record types the service keeps. Plain frozen dataclasses: no storage, no GraphQL.

Every record carries `id`, `version` (1 on insert, +1 on every write), `created_at`,
`updated_at` (UTC) and `created_by` (the actor who created it). Records are immutable:
a change is a new value made with `dataclasses.replace`, written with the version it read.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class EmailAddress:
    address: str  # as the user typed it (trimmed)
    normalized: str  # lower-cased; what lookups use
    label: str | None = None


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    number: str  # as the user typed it (trimmed)
    e164: str  # what lookups use
    label: str | None = None


@dataclass(frozen=True, slots=True)
class PostalAddress:
    street: str | None = None
    city: str | None = None
    postcode: str | None = None
    region: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Attribute:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    first_name: str | None = None
    last_name: str | None = None
    organization_name: str | None = None
    emails: tuple[EmailAddress, ...] = ()
    phones: tuple[PhoneNumber, ...] = ()
    address: PostalAddress | None = None
    external_id: str | None = None
    attributes: tuple[Attribute, ...] = ()

    @property
    def person_name(self) -> str | None:
        parts = [p for p in (self.first_name, self.last_name) if p]
        return " ".join(parts) or None


class ContactRole(enum.Enum):
    MAIN = "MAIN"  # automatically gets a copy of messages meant for the customer
    ADDITIONAL = "ADDITIONAL"  # optional recipient of notifications and discussion posts


class CustomerPermission(enum.Enum):
    """What a customer account may see of its own customer."""

    VIEW_CUSTOMER = "VIEW_CUSTOMER"
    VIEW_CONTACTS = "VIEW_CONTACTS"
    VIEW_ACTIVITIES = "VIEW_ACTIVITIES"


@dataclass(frozen=True, slots=True)
class CustomerAccount:
    """A contact's login (the seed's "customer account"). The credential is shown once when
    made and kept only as a hash."""

    id: str
    permissions: tuple[CustomerPermission, ...]
    credential_hash: str
    created_at: datetime
    credential_rotated_at: datetime
    created_by: str | None = None
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Contact:
    """A person at a customer (often an organisation). `created_by` is its owner."""

    id: str
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    customer_id: str
    role: ContactRole = ContactRole.ADDITIONAL
    salutation: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None  # academic title: Ing., Mgr., PhD., Dr.
    email: EmailAddress | None = None
    phone: PhoneNumber | None = None
    reminder_contact: bool = False
    account: CustomerAccount | None = None

    @property
    def can_communicate(self) -> bool:
        """Nobody can communicate with a contact without an email address (the seed's rule)."""
        return self.email is not None


class Channel(enum.Enum):
    CALL = "CALL"
    CHAT = "CHAT"
    EMAIL = "EMAIL"


class Direction(enum.Enum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"


@dataclass(frozen=True, slots=True)
class Sender:
    """Who an activity came from, as received, with the normalised forms used for matching."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    email_normalized: str | None = None
    phone_e164: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.name or self.email or self.phone)


@dataclass(frozen=True, slots=True)
class Activity:
    id: str
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    channel: Channel
    direction: Direction
    sender: Sender
    occurred_at: datetime
    subject: str | None = None
    text: str | None = None
    agent_id: str | None = None
    customer_id: str | None = None
    associated_at: datetime | None = None
    #: The open-list entry made for it when no customer was recognised.
    open_list_entry_id: str | None = None


@dataclass(frozen=True, slots=True)
class MatchReason:
    """Why a candidate matched: which field, how (EXACT, ...), and how strongly (0..1)."""

    field: str
    method: str
    strength: float


@dataclass(frozen=True, slots=True)
class Candidate:
    customer_id: str
    score: float
    reasons: tuple[MatchReason, ...] = ()


class EntryStatus(enum.Enum):
    OPEN = "OPEN"
    CREATED = "CREATED"  # the agent created a customer from it
    DISCARDED = "DISCARDED"  # Close, then Discard
    ASSOCIATED = "ASSOCIATED"  # the agent associated its activity with an existing customer


@dataclass(frozen=True, slots=True)
class Prefill:
    """What the customer information form opens with: the identifiers the activity carried."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class OpenListEntry:
    """A pending new customer on an agent's open list. Nothing is a customer until created."""

    id: str
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    activity_id: str
    agent_id: str | None
    prefill: Prefill
    candidates: tuple[Candidate, ...] = ()
    status: EntryStatus = EntryStatus.OPEN
    customer_id: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    #: Activities of the same sender that arrived while the entry waited (oldest first).
    more_activity_ids: tuple[str, ...] = ()
    #: `domain.sender_key.sender_key` of the first activity: while the entry is OPEN, the
    #: same sender's next activity joins it. None: nothing identifies the sender (a name alone).
    sender_key: str | None = None

    @property
    def activity_ids(self) -> tuple[str, ...]:
        """Every activity the entry stands for, the first (`activity_id`) first."""
        return (self.activity_id, *self.more_activity_ids)
