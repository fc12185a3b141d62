"""From what a client sent to the fields of a contact: trim, check, normalise.

As for customers: on creation a field left out is empty (role ADDITIONAL, no reminders);
on update a field left out keeps its value and an explicit null clears it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .customer_input import KEEP
from .errors import InvalidInput
from .records import Contact, ContactRole, EmailAddress, PhoneNumber
from .validation import Problems


@dataclass(frozen=True, slots=True)
class ContactDraft:
    salutation: Any = KEEP
    first_name: Any = KEEP
    last_name: Any = KEEP
    title: Any = KEEP
    email: Any = KEEP  # str | None | KEEP
    phone: Any = KEEP  # str | None | KEEP
    role: Any = KEEP  # ContactRole | KEEP
    reminder_contact: Any = KEEP  # bool | KEEP


@dataclass(slots=True)
class ContactFields:
    salutation: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    email: EmailAddress | None = None
    phone: PhoneNumber | None = None
    role: ContactRole = ContactRole.ADDITIONAL
    reminder_contact: bool = False

    @classmethod
    def of(cls, c: Contact) -> ContactFields:
        return cls(c.salutation, c.first_name, c.last_name, c.title, c.email, c.phone, c.role, c.reminder_contact)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def apply_contact_draft(base: ContactFields, draft: ContactDraft, *, default_region: str | None) -> ContactFields:
    """The fields after applying `draft` to `base`; raises InvalidInput listing every problem."""
    p = Problems()
    f = ContactFields(**base.as_dict())
    for name, field in (
        ("salutation", "salutation"),
        ("first_name", "firstName"),
        ("last_name", "lastName"),
        ("title", "title"),
    ):
        value = getattr(draft, name)
        if value is not KEEP:
            setattr(f, name, p.name(field, value))
    if draft.email is not KEEP:
        f.email = p.email("email", draft.email)
    if draft.phone is not KEEP:
        f.phone = p.phone("phone", draft.phone, default_region)
    # Every contact has a role and a reminder flag: they can be changed, never cleared.
    if draft.role is not KEEP:
        if draft.role is None:
            p.add("REQUIRED", "cannot_be_null", "role")
        else:
            f.role = draft.role
    if draft.reminder_contact is not KEEP:
        if draft.reminder_contact is None:
            p.add("REQUIRED", "cannot_be_null", "reminderContact")
        else:
            f.reminder_contact = bool(draft.reminder_contact)
    if not p and not (f.first_name or f.last_name or f.email or f.phone):
        p.add("REQUIRED", "contact_needs_identity", None)
    if p:
        raise InvalidInput(list(p))
    return f
