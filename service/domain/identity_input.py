"""From an IdentityInput (a matchCustomers query) to an Identity: checked and normalised."""

from __future__ import annotations

from dataclasses import dataclass

from .activity_input import split_name
from .customer_input import AddressDraft
from .errors import InvalidInput
from .identity import Identity
from .records import PostalAddress
from .validation import Problems


@dataclass(frozen=True, slots=True)
class IdentityDraft:
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    organization_name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: AddressDraft | None = None


def check_identity(draft: IdentityDraft, *, default_region: str | None, prefix: str = "identity") -> Identity:
    """The Identity described; raises InvalidInput naming every bad field."""
    p = Problems()
    name = p.name(f"{prefix}.name", draft.name, neutralise=True)
    first = p.name(f"{prefix}.firstName", draft.first_name, neutralise=True)
    last = p.name(f"{prefix}.lastName", draft.last_name, neutralise=True)
    if name and not (first or last):
        first, last = split_name(name)
    org = p.name(f"{prefix}.organizationName", draft.organization_name, neutralise=True)
    email = p.email(f"{prefix}.email", draft.email)
    phone = p.phone(f"{prefix}.phone", draft.phone, default_region)
    address = None
    if draft.address is not None:
        a = draft.address
        address = PostalAddress(
            street=p.text(f"{prefix}.address.street", a.street),
            city=p.text(f"{prefix}.address.city", a.city),
            postcode=p.text(f"{prefix}.address.postcode", a.postcode),
            region=p.text(f"{prefix}.address.region", a.region),
            country=p.text(f"{prefix}.address.country", a.country),
        )
    if p:
        raise InvalidInput(list(p))
    return Identity(
        first_name=first,
        last_name=last,
        organization_name=org,
        emails=(email.normalized,) if email else (),
        phones=(phone.e164,) if phone else (),
        address=address,
    )
