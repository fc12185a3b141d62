"""The open list: pending new customers an agent creates or discards."""

from __future__ import annotations

from dataclasses import replace

from ..domain.customer_input import CustomerDraft, CustomerFields, EmailDraft, PhoneDraft, apply_draft
from ..domain.access import Forbidden, may_work_on_entry, require_staff
from ..domain.errors import AlreadyResolved
from ..domain.ids import new_id
from ..domain.records import Activity, Candidate, Customer, EntryStatus, OpenListEntry, Prefill
from ..events import CustomerCreated, OpenListEntryResolved
from ..runtime import Actor, Runtime
from ._shared import load_activity, load_entry
from .associate import associate_the_rest, resolve_entry, set_activity_customer
from .customers import new_customer
from .matching import likely_duplicates


def draft_from_prefill(prefill: Prefill) -> CustomerDraft:
    """The form as the gadget opens it: the identifiers the activity carried."""
    return CustomerDraft(
        first_name=prefill.first_name,
        last_name=prefill.last_name,
        emails=[EmailDraft(prefill.email)] if prefill.email else [],
        phones=[PhoneDraft(prefill.phone)] if prefill.phone else [],
    )


async def create_from_open_list(
    rt: Runtime, actor: Actor, entry_id: str, draft: CustomerDraft | None, *, confirmed: bool = False
) -> tuple[Customer, Activity, OpenListEntry, list[Candidate]]:
    """The agent clicks Create: save the customer (from `draft`, or the pre-filled data when
    None), associate the entry's activity with it, and take the entry off the open list.

    The entry is claimed first, atomically, so two concurrent or repeated requests create
    one customer; the loser gets AlreadyResolved naming what happened."""
    require_staff(actor, write=True)
    entry = await load_entry(rt, entry_id, field="entryId")
    if not may_work_on_entry(actor, entry.agent_id):
        raise Forbidden(field="entryId")
    if entry.status is not EntryStatus.OPEN:
        raise AlreadyResolved(entry)
    draft = draft_from_prefill(entry.prefill) if draft is None else draft
    # An update on top of empty fields: what the form left out stays empty.
    fields = apply_draft(CustomerFields(), draft, default_region=rt.settings.default_region)
    duplicates = await likely_duplicates(rt, fields, confirmed=confirmed)

    customer = new_customer(rt, actor, fields)
    claimed = await resolve_entry(rt, actor, entry, EntryStatus.CREATED, customer.id, emit=False)
    if claimed is None:
        (latest,) = await rt.store.get_open_list_entries([entry.id])
        raise AlreadyResolved(latest)
    try:
        await rt.store.insert_customer(customer)
    except BaseException:
        # Put the entry back on the open list: a claim must never point at no customer.
        await rt.store.update_open_list_entry(replace(entry, version=claimed.version + 1, updated_at=rt.clock()), claimed.version)
        raise
    await rt.events.emit(CustomerCreated(customer, actor.id))
    await rt.events.emit(OpenListEntryResolved(claimed, actor.id))
    # Every activity the sender made while waiting is the new customer's (the claim read the
    # entry's latest version: an activity joining after it waits in a new entry instead).
    activity = await load_activity(rt, entry.activity_id, field="entryId")
    activity = await set_activity_customer(rt, actor, activity, customer.id)
    await associate_the_rest(rt, actor, claimed, customer.id, but=activity.id)
    return customer, activity, claimed, duplicates


async def discard(rt: Runtime, actor: Actor, entry_id: str) -> OpenListEntry:
    """Close, then Discard: the entry leaves the open list; no customer is created and the
    activity stays unassociated (it can still get a customer later)."""
    require_staff(actor, write=True)
    entry = await load_entry(rt, entry_id, field="entryId")
    if not may_work_on_entry(actor, entry.agent_id):
        raise Forbidden(field="entryId")
    if entry.status is not EntryStatus.OPEN:
        raise AlreadyResolved(entry)
    resolved = await resolve_entry(rt, actor, entry, EntryStatus.DISCARDED, None)
    if resolved is None:
        (latest,) = await rt.store.get_open_list_entries([entry.id])
        raise AlreadyResolved(latest)
    return resolved


def new_entry(rt: Runtime, actor: Actor, activity: Activity, prefill: Prefill, candidates) -> OpenListEntry:
    now = rt.clock()
    return OpenListEntry(
        id=activity.open_list_entry_id or new_id(),
        version=1,
        created_at=now,
        updated_at=now,
        created_by=actor.id,
        activity_id=activity.id,
        agent_id=activity.agent_id,
        prefill=prefill,
        candidates=tuple(candidates),
    )
