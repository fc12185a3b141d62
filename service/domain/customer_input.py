"""From what a client sent to the fields of a customer record: trim, check, normalise.

A `CustomerDraft` is what the customer information form holds. On creation, a field left
out is empty; on update, a field left out keeps its value (`KEEP`), an explicit None clears
it, and a given list replaces the old one.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Any

from .errors import InvalidInput
from .limits import MAX_ATTRIBUTES, MAX_EMAILS, MAX_PHONES, MAX_TEXT_LENGTH
from .records import Attribute, Customer, EmailAddress, PhoneNumber, PostalAddress
from .validation import Problems


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"

    def __bool__(self) -> bool:
        return False


#: "Not sent": keep the stored value on update, empty on create.
KEEP: Any = _Keep()


@dataclass(frozen=True, slots=True)
class EmailDraft:
    address: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class PhoneDraft:
    number: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class AddressDraft:
    street: str | None = None
    city: str | None = None
    postcode: str | None = None
    region: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerDraft:
    first_name: Any = KEEP
    last_name: Any = KEEP
    organization_name: Any = KEEP
    emails: Any = KEEP  # list[EmailDraft] | None | KEEP
    phones: Any = KEEP  # list[PhoneDraft] | None | KEEP
    address: Any = KEEP  # AddressDraft | None | KEEP
    external_id: Any = KEEP
    attributes: Any = KEEP  # list[tuple[str, str]] | None | KEEP


@dataclass(slots=True)
class CustomerFields:
    """Validated, normalised values of every editable customer field."""

    first_name: str | None = None
    last_name: str | None = None
    organization_name: str | None = None
    emails: tuple[EmailAddress, ...] = ()
    phones: tuple[PhoneNumber, ...] = ()
    address: PostalAddress | None = None
    external_id: str | None = None
    attributes: tuple[Attribute, ...] = dc_field(default_factory=tuple)

    @classmethod
    def of(cls, customer: Customer) -> CustomerFields:
        return cls(
            customer.first_name,
            customer.last_name,
            customer.organization_name,
            customer.emails,
            customer.phones,
            customer.address,
            customer.external_id,
            customer.attributes,
        )

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def _emails(problems: Problems, drafts: list[EmailDraft]) -> tuple[EmailAddress, ...]:
    if not problems.count("emails", drafts, MAX_EMAILS):
        return ()
    out: dict[str, EmailAddress] = {}
    for i, d in enumerate(drafts):
        label = problems.text(f"emails[{i}].label", d.label)
        email = problems.email(f"emails[{i}].address", d.address, label)
        if email is not None:
            # The same address twice is one address: keep the first spelling and label.
            out.setdefault(email.normalized, email)
    return tuple(out.values())


def _phones(problems: Problems, drafts: list[PhoneDraft], region: str | None) -> tuple[PhoneNumber, ...]:
    if not problems.count("phones", drafts, MAX_PHONES):
        return ()
    out: dict[str, PhoneNumber] = {}
    for i, d in enumerate(drafts):
        label = problems.text(f"phones[{i}].label", d.label)
        phone = problems.phone(f"phones[{i}].number", d.number, region, label)
        if phone is not None:
            out.setdefault(phone.e164, phone)
    return tuple(out.values())


def _address(problems: Problems, d: AddressDraft) -> PostalAddress | None:
    address = PostalAddress(
        street=problems.text("address.street", d.street),
        city=problems.text("address.city", d.city),
        postcode=problems.text("address.postcode", d.postcode),
        region=problems.text("address.region", d.region),
        country=problems.text("address.country", d.country),
    )
    return address if any(getattr(address, f) for f in address.__slots__) else None


def _attributes(problems: Problems, pairs: list[tuple[str, str]]) -> tuple[Attribute, ...]:
    if not problems.count("attributes", pairs, MAX_ATTRIBUTES):
        return ()
    seen: set[str] = set()
    out = []
    for i, (key, value) in enumerate(pairs):
        where = f"attributes[{i}]"
        k = problems.text(f"{where}.key", key)
        v = problems.text(f"{where}.value", value, strip=False)
        if len(key) <= MAX_TEXT_LENGTH and k is None:
            problems.add("REQUIRED", "blank_attribute_key", f"{where}.key")
            continue
        if k is None:
            continue
        if k in seen:
            problems.add("INVALID_VALUE", "duplicate_attribute_key", f"{where}.key", key=k)
            continue
        seen.add(k)
        out.append(Attribute(k, v or ""))
    return tuple(out)


def apply_draft(base: CustomerFields, draft: CustomerDraft, *, default_region: str | None) -> CustomerFields:
    """The fields after applying `draft` to `base`; raises InvalidInput listing every problem."""
    p = Problems()
    f = CustomerFields(**base.as_dict())
    if draft.first_name is not KEEP:
        f.first_name = p.name("firstName", draft.first_name)
    if draft.last_name is not KEEP:
        f.last_name = p.name("lastName", draft.last_name)
    if draft.organization_name is not KEEP:
        f.organization_name = p.name("organizationName", draft.organization_name)
    if draft.external_id is not KEEP:
        f.external_id = p.text("externalId", draft.external_id)
    if draft.emails is not KEEP:
        f.emails = _emails(p, draft.emails or [])
    if draft.phones is not KEEP:
        f.phones = _phones(p, draft.phones or [], default_region)
    if draft.address is not KEEP:
        f.address = _address(p, draft.address) if draft.address is not None else None
    if draft.attributes is not KEEP:
        f.attributes = _attributes(p, draft.attributes or [])
    if not p and not (f.first_name or f.last_name or f.organization_name or f.emails or f.phones):
        p.add("REQUIRED", "customer_needs_identity", None)
    if p:
        raise InvalidInput(list(p))
    return f
