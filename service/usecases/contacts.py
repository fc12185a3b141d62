"""A customer's contacts: add, edit (including moving between MAIN and ADDITIONAL), remove,
and who receives what."""

from __future__ import annotations

from dataclasses import replace

from ..domain.access import Forbidden, may_see_customer, require_staff
from ..domain.contact_directory import ContactQuery, ContactSort
from ..domain.contact_input import ContactDraft, ContactFields, apply_contact_draft
from ..domain.errors import InvalidInput, NotFound, Problem, VersionConflict
from ..domain.ids import new_id
from ..domain.limits import MAX_CONTACTS_PER_CUSTOMER
from ..domain.records import Contact, ContactRole, Customer, CustomerPermission
from ..events import ContactAdded, ContactChanged, ContactRemoved
from ..runtime import Actor, Runtime
from ..storage import RecordNotFound, StaleVersion
from ._shared import load_customer


async def load_contact(rt: Runtime, contact_id: str, *, field: str = "id") -> Contact:
    (contact,) = await rt.store.get_contacts([contact_id])
    if contact is None:
        raise NotFound("contact", contact_id, field=field)
    return contact


async def add_contact(rt: Runtime, actor: Actor, customer_id: str, draft: ContactDraft) -> tuple[Contact, Customer]:
    """A new contact of the customer; the caller becomes its owner."""
    require_staff(actor, write=True)
    customer = await load_customer(rt, customer_id, field="customerId")
    fields = apply_contact_draft(ContactFields(), draft, default_region=rt.settings.default_region)
    existing = await rt.store.search_contacts(ContactQuery(customer_id=customer.id), first=0, after=None)
    if existing.total_count >= MAX_CONTACTS_PER_CUSTOMER:
        raise InvalidInput(
            [Problem("TOO_MANY_ITEMS", "too_many_contacts", "customerId", {"limit": MAX_CONTACTS_PER_CUSTOMER}, MAX_CONTACTS_PER_CUSTOMER)]
        )
    now = rt.clock()
    contact = Contact(
        id=new_id(),
        version=1,
        created_at=now,
        updated_at=now,
        created_by=actor.id,
        customer_id=customer.id,
        **fields.as_dict(),
    )
    await rt.store.insert_contact(contact)
    await rt.events.emit(ContactAdded(contact, actor.id))
    return contact, customer


async def update_contact(
    rt: Runtime, actor: Actor, contact_id: str, expected_version: int, draft: ContactDraft
) -> Contact:
    """Apply the fields sent to the version read; a stale version is a VersionConflict.
    Sending `role` moves the contact between MAIN and ADDITIONAL."""
    require_staff(actor, write=True)
    current = await load_contact(rt, contact_id)
    if current.version != expected_version:
        raise VersionConflict(expected=expected_version, current=current.version)
    fields = apply_contact_draft(ContactFields.of(current), draft, default_region=rt.settings.default_region)
    if fields == ContactFields.of(current):
        return current
    updated = replace(current, **fields.as_dict(), version=current.version + 1, updated_at=rt.clock())
    try:
        await rt.store.update_contact(updated, expected_version)
    except StaleVersion as stale:
        raise VersionConflict(expected=expected_version, current=stale.current_version) from None
    await rt.events.emit(ContactChanged(updated, current, actor.id))
    return updated


async def remove_contact(rt: Runtime, actor: Actor, contact_id: str) -> Contact:
    require_staff(actor, write=True)
    contact = await load_contact(rt, contact_id)
    try:
        await rt.store.delete_contact(contact.id)
    except RecordNotFound:
        raise NotFound("contact", contact_id, field="id") from None
    await rt.events.emit(ContactRemoved(contact, actor.id))
    return contact


async def _all(rt: Runtime, query: ContactQuery) -> list[Contact]:
    page = await rt.store.search_contacts(query, first=MAX_CONTACTS_PER_CUSTOMER, after=None)
    return [c for _, c in page.items]


def _may_see_contacts(actor: Actor, customer_id: str) -> None:
    if not may_see_customer(actor, customer_id, CustomerPermission.VIEW_CONTACTS):
        raise Forbidden()


async def message_recipients(rt: Runtime, actor: Actor, customer_id: str, locale: str) -> list[Contact]:
    """Who automatically gets a copy of a message meant for the customer: its MAIN contacts
    that have an email address."""
    _may_see_contacts(actor, customer_id)
    return await _all(
        rt, ContactQuery(customer_id=customer_id, role=ContactRole.MAIN, can_communicate=True, locale=locale)
    )


async def reminder_recipients(rt: Runtime, actor: Actor, customer_id: str, locale: str) -> list[Contact]:
    """Who gets payment reminders: the customer's reminder contacts that have an email."""
    _may_see_contacts(actor, customer_id)
    return await _all(
        rt, ContactQuery(customer_id=customer_id, reminder_contact=True, can_communicate=True, locale=locale)
    )


CUSTOMER_TAB_ORDER = ContactSort.ROLE  # MAIN first, then by name
