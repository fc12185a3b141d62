"""GraphQL input types and their conversion to domain drafts."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import UNSET

from ..domain import records
from ..domain.activity_input import ActivityDraft
from ..domain.customer_input import KEEP, AddressDraft, CustomerDraft, EmailDraft, PhoneDraft
from .types import Channel, Direction


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
        def keep(value):
            return KEEP if value is UNSET else value

        return CustomerDraft(
            first_name=keep(self.first_name),
            last_name=keep(self.last_name),
            organization_name=keep(self.organization_name),
            emails=KEEP if self.emails is UNSET else [EmailDraft(e.address, e.label) for e in self.emails or []],
            phones=KEEP if self.phones is UNSET else [PhoneDraft(p.number, p.label) for p in self.phones or []],
            address=KEEP
            if self.address is UNSET
            else (
                AddressDraft(self.address.street, self.address.city, self.address.postcode, self.address.region, self.address.country)
                if self.address is not None
                else None
            ),
            external_id=keep(self.external_id),
            attributes=KEEP if self.attributes is UNSET else [(a.key, a.value) for a in self.attributes or []],
        )


@strawberry.input(description="Who an activity came from, as the telephony, chat or mail system received it. All optional.")
class IdentityInput:
    name: str | None = strawberry.field(default=None, description="Name as received, e.g. 'Jan Novák' or 'Novák, Jan'.")
    email: str | None = strawberry.field(default=None, description="Email address as received.")
    phone: str | None = strawberry.field(default=None, description="Phone number / caller ID as received.")


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
            sender_name=s.name,
            sender_email=s.email,
            sender_phone=s.phone,
            subject=self.subject,
            text=self.text,
            occurred_at=self.occurred_at,
            agent_id=str(self.agent_id) if self.agent_id is not None else None,
        )
