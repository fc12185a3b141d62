"""GraphQL input types and their conversion to domain drafts."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import UNSET

from ..domain import records
from ..domain.activity_input import ActivityDraft
from ..domain.contact_directory import ContactField, ContactQuery, ContactSort
from ..domain.contact_input import ContactDraft
from ..domain.identity_input import IdentityDraft
from ..domain.search import query_tokens
from ..domain.customer_input import KEEP, AddressDraft, CustomerDraft, EmailDraft, PhoneDraft
from .types import Channel, ContactRole, Direction


@strawberry.input(description="An email address.")
class EmailAddressInput:
    address: str = strawberry.field(description="The address; checked for syntax, matched case-insensitively.")
    label: str | None = strawberry.field(default=None, description="Free label such as 'work'.")


@strawberry.input(description="A phone number.")
class PhoneNumberInput:
    number: str = strawberry.field(
        description="International (+420 601 123 456, 00420...) or national in the service's default region (601 123 456)."
    )
    label: str | None = strawberry.field(default=None, description="Free label such as 'mobile'.")


@strawberry.input(description="A postal address; every part optional.")
class PostalAddressInput:
    street: str | None = strawberry.field(default=None, description="Street and number.")
    city: str | None = strawberry.field(default=None, description="City or town.")
    postcode: str | None = strawberry.field(default=None, description="Postal code.")
    region: str | None = strawberry.field(default=None, description="Region, county or state.")
    country: str | None = strawberry.field(default=None, description="Country.")

    def to_draft(self) -> AddressDraft:
        return AddressDraft(self.street, self.city, self.postcode, self.region, self.country)


def _kept(value: Any, convert: Callable[[Any], Any] | None = None) -> Any:
    """An update input's field: KEEP when the client left it out (UNSET), else the value
    (null included: it clears), through `convert` when given."""
    if value is UNSET:
        return KEEP
    return value if convert is None else convert(value)


@strawberry.input(description="A free-form attribute.")
class AttributeInput:
    key: str = strawberry.field(description="Name, unique on its customer.")
    value: str = strawberry.field(description="Value.")


@strawberry.input(
    description="The customer information form. Every text field holds at most 2,000 characters. "
    "On creation a field left out is empty. On update a field left out keeps its value, null clears it, "
    "and a list given replaces the stored list. A customer needs at least a name, organisation name, email or phone."
)
class CustomerInput:
    first_name: str | None = strawberry.field(default=UNSET, description="Given name.")
    last_name: str | None = strawberry.field(default=UNSET, description="Family name.")
    organization_name: str | None = strawberry.field(default=UNSET, description="Organisation name.")
    emails: list[EmailAddressInput] | None = strawberry.field(default=UNSET, description="Email addresses, primary first.")
    phones: list[PhoneNumberInput] | None = strawberry.field(default=UNSET, description="Phone numbers, primary first.")
    address: PostalAddressInput | None = strawberry.field(default=UNSET, description="Postal address.")
    external_id: str | None = strawberry.field(default=UNSET, description="The customer's id in another system.")
    attributes: list[AttributeInput] | None = strawberry.field(
        default=UNSET, description="Free-form attributes; keys must be unique."
    )

    def to_draft(self) -> CustomerDraft:
        return CustomerDraft(
            first_name=_kept(self.first_name),
            last_name=_kept(self.last_name),
            organization_name=_kept(self.organization_name),
            emails=_kept(self.emails, lambda emails: [EmailDraft(e.address, e.label) for e in emails or []]),
            phones=_kept(self.phones, lambda phones: [PhoneDraft(p.number, p.label) for p in phones or []]),
            address=_kept(self.address, lambda a: a.to_draft() if a is not None else None),
            external_id=_kept(self.external_id),
            attributes=_kept(self.attributes, lambda attributes: [(a.key, a.value) for a in attributes or []]),
        )


@strawberry.input(
    description="Who someone is, as far as it is known: an activity's sender, or a matchCustomers query. All optional. "
    "recordActivity keeps and matches by name (or first and last name), email and phone; organisation and address "
    "are used by matchCustomers."
)
class IdentityInput:
    name: str | None = strawberry.field(default=None, description="Name as received, e.g. 'Jan Novák' or 'Novák, Jan'.")
    first_name: str | None = strawberry.field(default=None, description="Given name, when known separately.")
    last_name: str | None = strawberry.field(default=None, description="Family name, when known separately.")
    organization_name: str | None = strawberry.field(default=None, description="Organisation name.")
    email: str | None = strawberry.field(default=None, description="Email address as received.")
    phone: str | None = strawberry.field(default=None, description="Phone number / caller ID as received.")
    address: PostalAddressInput | None = strawberry.field(default=None, description="Postal address.")

    @property
    def full_name(self) -> str | None:
        return self.name or " ".join(x for x in (self.first_name, self.last_name) if x) or None

    def to_draft(self) -> IdentityDraft:
        a = self.address
        return IdentityDraft(
            name=self.name,
            first_name=self.first_name,
            last_name=self.last_name,
            organization_name=self.organization_name,
            email=self.email,
            phone=self.phone,
            address=a.to_draft() if a else None,
        )


@strawberry.input(description="An incoming (or outgoing) call, chat or email. Every text field holds at most 2,000 characters.")
class RecordActivityInput:
    channel: Channel = strawberry.field(description="Call, chat or email.")
    direction: Direction = strawberry.field(default=Direction.INBOUND, description="Inbound (default) or outbound.")
    sender: IdentityInput | None = strawberry.field(default=None, description="Who it came from.")
    subject: str | None = strawberry.field(default=None, description="Subject (emails, chat topics).")
    text: str | None = strawberry.field(default=None, description="Body, transcript or notes.")
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened (ISO 8601; without a zone, UTC). Default: now."
    )
    agent_id: strawberry.ID | None = strawberry.field(
        default=None, description="The agent handling it: a pending customer joins this agent's open list."
    )

    def to_draft(self) -> ActivityDraft:
        s = self.sender or IdentityInput()
        return ActivityDraft(
            channel=records.Channel(self.channel.value),
            direction=records.Direction(self.direction.value),
            sender_name=s.full_name,
            sender_email=s.email,
            sender_phone=s.phone,
            subject=self.subject,
            text=self.text,
            occurred_at=self.occurred_at,
            agent_id=str(self.agent_id) if self.agent_id is not None else None,
        )


@strawberry.input(
    description="A contact. Every text field holds at most 2,000 characters. On addContact a field left out is empty "
    "(role ADDITIONAL, no reminders); on updateContact a field left out keeps its value and null clears it. "
    "A contact needs a first or last name, an email or a phone. The owner is always the caller."
)
class ContactInput:
    salutation: str | None = strawberry.field(default=UNSET, description="How to address the person.")
    first_name: str | None = strawberry.field(default=UNSET, description="Given name.")
    last_name: str | None = strawberry.field(default=UNSET, description="Family name.")
    title: str | None = strawberry.field(default=UNSET, description="Academic title.")
    email: str | None = strawberry.field(
        default=UNSET, description="Email address: without one, nobody can communicate with the contact."
    )
    phone: str | None = strawberry.field(default=UNSET, description="Phone number, international or in the default region.")
    role: ContactRole | None = strawberry.field(
        default=UNSET,
        description="MAIN or ADDITIONAL (ADDITIONAL when left out on addContact); sending it on updateContact moves the contact. Cannot be null.",
    )
    reminder_contact: bool | None = strawberry.field(
        default=UNSET, description="Receives payment reminders (false when left out on addContact). Cannot be null."
    )

    def to_draft(self) -> ContactDraft:
        return ContactDraft(
            salutation=_kept(self.salutation),
            first_name=_kept(self.first_name),
            last_name=_kept(self.last_name),
            title=_kept(self.title),
            email=_kept(self.email),
            phone=_kept(self.phone),
            role=_kept(self.role, lambda role: records.ContactRole(role.value) if role else None),
            reminder_contact=_kept(self.reminder_contact),
        )


@strawberry.enum(description="Contact attributes a directory search can be restricted to.")
class ContactSearchField(enum.Enum):
    SALUTATION = "SALUTATION"
    FIRST_NAME = "FIRST_NAME"
    LAST_NAME = "LAST_NAME"
    TITLE = "TITLE"
    EMAIL = "EMAIL"
    PHONE = "PHONE"


@strawberry.enum(description="Columns the contact directory sorts by.")
class ContactOrderField(enum.Enum):
    LAST_NAME = strawberry.enum_value("LAST_NAME", description="Last name, then first name.")
    FIRST_NAME = strawberry.enum_value("FIRST_NAME", description="First name, then last name.")
    SALUTATION = strawberry.enum_value("SALUTATION", description="Salutation, then name.")
    TITLE = strawberry.enum_value("TITLE", description="Academic title, then name.")
    EMAIL = strawberry.enum_value("EMAIL", description="Email address.")
    PHONE = strawberry.enum_value("PHONE", description="Phone number (E.164).")
    CUSTOMER = strawberry.enum_value("CUSTOMER", description="The customer's display name, then name.")
    ROLE = strawberry.enum_value("ROLE", description="MAIN before ADDITIONAL, then name.")
    REMINDER_CONTACT = strawberry.enum_value("REMINDER_CONTACT", description="Reminder contacts first, then name.")
    OWNER = strawberry.enum_value("OWNER", description="Owner, then name.")
    CREATED_AT = strawberry.enum_value("CREATED_AT", description="Creation time.")
    UPDATED_AT = strawberry.enum_value("UPDATED_AT", description="Last change.")


@strawberry.enum(description="Sort direction.")
class OrderDirection(enum.Enum):
    ASC = strawberry.enum_value("ASC", description="A to Z (in the reader's language), oldest first.")
    DESC = strawberry.enum_value("DESC", description="Z to A, newest first.")


@strawberry.input(description="How to sort the contact directory. Text sorts follow the reader's language (Accept-Language).")
class ContactOrder:
    field: ContactOrderField = strawberry.field(description="The column.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC, description="Ascending (default) or descending.")


@strawberry.input(description="Which contacts the directory lists; every filter given must hold.")
class ContactFilter:
    search: str | None = strawberry.field(
        default=None,
        description="Words that must each begin a word of the contact's attributes, ignoring case and diacritics ('kovac' finds 'Kováč').",
    )
    search_in: list[ContactSearchField] | None = strawberry.field(
        default=None, description="The advanced filter: look for `search` only in these attributes (all when left out)."
    )
    customer_id: strawberry.ID | None = strawberry.field(default=None, description="Only this customer's contacts.")
    role: ContactRole | None = strawberry.field(default=None, description="Only MAIN or only ADDITIONAL contacts.")
    reminder_contact: bool | None = strawberry.field(default=None, description="Only reminder contacts (true) or only others (false).")
    can_communicate: bool | None = strawberry.field(
        default=None, description="Only contacts with an email address (true) or only those without (false)."
    )

    def to_query(self, customer_id: str | None, order: ContactOrder | None, locale: str) -> ContactQuery:
        order = order or ContactOrder(field=ContactOrderField.LAST_NAME)
        return ContactQuery(
            tokens=tuple(query_tokens((self.search or "")[:2000])),
            search_in=frozenset(ContactField(f.value) for f in self.search_in) if self.search_in else None,
            customer_id=customer_id,
            role=records.ContactRole(self.role.value) if self.role else None,
            reminder_contact=self.reminder_contact,
            can_communicate=self.can_communicate,
            order=ContactSort(order.field.value),
            descending=order.direction is OrderDirection.DESC,
            locale=locale,
        )
