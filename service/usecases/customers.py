"""Create and update customer records."""

from __future__ import annotations

from dataclasses import replace

from ..domain.access import require_staff
from ..domain.customer_input import CustomerDraft, CustomerFields, apply_draft
from ..domain.errors import VersionConflict
from ..domain.ids import new_id
from ..domain.records import Activity, Candidate, Customer, EntryStatus
from ..events import CustomerCreated, CustomerUpdated
from ..runtime import Actor, Runtime
from ..storage import StaleVersion
from ._shared import load_activity, load_customer
from .associate import require_may_take, resolve_entry_of, set_activity_customer
from .matching import likely_duplicates


def new_customer(rt: Runtime, actor: Actor, fields: CustomerFields, customer_id: str | None = None) -> Customer:
    now = rt.clock()
    return Customer(
        id=customer_id or new_id(),
        version=1,
        created_at=now,
        updated_at=now,
        created_by=actor.id,
        **fields.as_dict(),
    )


async def insert_customer(rt: Runtime, actor: Actor, customer: Customer) -> None:
    await rt.store.insert_customer(customer)
    await rt.events.emit(CustomerCreated(customer, actor.id))


async def create_customer(
    rt: Runtime, actor: Actor, draft: CustomerDraft, activity_id: str | None = None, *, confirmed: bool = False
) -> tuple[Customer, Activity | None, list[Candidate]]:
    """Manual creation ("Create" in the customer management pane). Given an activity, the
    new customer is associated with it, and the activity's open-list entry (if it is still
    waiting) leaves the list as CREATED. Nothing is written when anything is invalid.
    Returns the likely duplicates too (see `matching.likely_duplicates`)."""
    require_staff(actor, write=True)
    activity = await load_activity(rt, activity_id, field="activityId") if activity_id else None
    if activity is not None:
        await require_may_take(rt, actor, activity)
    fields = apply_draft(CustomerFields(), draft, default_region=rt.settings.default_region)
    duplicates = await likely_duplicates(rt, fields, confirmed=confirmed)
    customer = new_customer(rt, actor, fields)
    await insert_customer(rt, actor, customer)
    if activity is not None:
        activity = await set_activity_customer(rt, actor, activity, customer.id)
        await resolve_entry_of(rt, actor, activity, EntryStatus.CREATED, customer.id)
    return customer, activity, duplicates


async def update_customer(
    rt: Runtime, actor: Actor, customer_id: str, expected_version: int, draft: CustomerDraft
) -> Customer:
    """Apply the fields the client sent to the version it read. A stale version is a
    VersionConflict carrying the current version; nothing is overwritten. A change that
    changes nothing keeps the version."""
    require_staff(actor, write=True)
    current = await load_customer(rt, customer_id, field="id")
    if current.version != expected_version:
        raise VersionConflict(expected=expected_version, current=current.version)
    fields = apply_draft(CustomerFields.of(current), draft, default_region=rt.settings.default_region)
    if fields == CustomerFields.of(current):
        return current  # nothing changed: no new version, no event
    updated = replace(current, **fields.as_dict(), version=current.version + 1, updated_at=rt.clock())
    try:
        await rt.store.update_customer(updated, expected_version)
    except StaleVersion as stale:
        raise VersionConflict(expected=expected_version, current=stale.current_version) from None
    await rt.events.emit(CustomerUpdated(updated, current, actor.id))
    return updated
