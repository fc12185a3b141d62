"""Who someone is, as far as matching can tell: names, normalised identifiers, address.

The same shape describes an incoming activity's sender, a `matchCustomers` query and a
customer being created (to look for duplicates), so one strategy serves all three."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .records import Customer, PostalAddress, Sender

if TYPE_CHECKING:
    from .customer_input import CustomerFields


@dataclass(frozen=True, slots=True)
class Identity:
    first_name: str | None = None
    last_name: str | None = None
    organization_name: str | None = None
    emails: tuple[str, ...] = ()  # normalised (lower-case)
    phones: tuple[str, ...] = ()  # E.164
    address: PostalAddress | None = None

    @property
    def has_name(self) -> bool:
        return bool(self.first_name or self.last_name or self.organization_name)

    @property
    def is_empty(self) -> bool:
        return not (self.has_name or self.emails or self.phones or self.address)

    @classmethod
    def of_sender(cls, sender: Sender) -> Identity:
        from .activity_input import split_name

        first, last = split_name(sender.name)
        return cls(
            first_name=first,
            last_name=last,
            emails=(sender.email_normalized,) if sender.email_normalized else (),
            phones=(sender.phone_e164,) if sender.phone_e164 else (),
        )

    @classmethod
    def of_customer(cls, customer: Customer | CustomerFields) -> Identity:
        """A stored customer's identity, or that of the fields of one being created (both
        have the names, emails, phones and address)."""
        return cls(
            first_name=customer.first_name,
            last_name=customer.last_name,
            organization_name=customer.organization_name,
            emails=tuple(e.normalized for e in customer.emails),
            phones=tuple(p.e164 for p in customer.phones),
            address=customer.address,
        )
