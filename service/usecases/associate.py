"""Tie an activity to a customer, and resolve its open-list entry if one is still open."""

from __future__ import annotations

from dataclasses import replace

from ..domain.access import Forbidden, may_see_activity, may_work_on_entry, require_staff
from ..domain.records import Activity, Customer, EntryStatus, OpenListEntry
from ..events import ActivityAssociated, OpenListEntryResolved
from ..runtime import Actor, Runtime
from ._shared import change, load_activity, load_customer, load_entry


async def set_activity_customer(rt: Runtime, actor: Actor, activity: Activity, customer_id: str) -> Activity:
    """Point `activity` at `customer_id` (compare-and-set) and emit the event."""
    previous = activity.customer_id

    def edit(a: Activity) -> Activity | None:
        if a.customer_id == customer_id:
            return None
        return replace(a, customer_id=customer_id, associated_at=rt.clock())

    updated, wrote = await change(
        activity,
        lambda: load_activity(rt, activity.id, field="activityId"),
        rt.store.update_activity,
        edit,
        rt.clock,
    )
    if wrote:
        await rt.events.emit(ActivityAssociated(updated, previous, actor.id))
    return updated


async def resolve_entry(
    rt: Runtime, actor: Actor, entry: OpenListEntry, status: EntryStatus, customer_id: str | None, *, emit: bool = True
) -> OpenListEntry | None:
    """Mark an OPEN entry resolved; None when someone else resolved it first. With
    emit=False the caller emits OpenListEntryResolved itself, once the rest is stored."""

    def edit(e: OpenListEntry) -> OpenListEntry | None:
        if e.status is not EntryStatus.OPEN:
            return None
        return replace(e, status=status, customer_id=customer_id, resolved_at=rt.clock(), resolved_by=actor.id)

    resolved, won = await change(
        entry, lambda: load_entry(rt, entry.id, field="entryId"), rt.store.update_open_list_entry, edit, rt.clock
    )
    if not won:
        return None
    if emit:
        await rt.events.emit(OpenListEntryResolved(resolved, actor.id))
    return resolved


async def require_may_take(rt: Runtime, actor: Actor, activity: Activity) -> None:
    """An activity still waiting on someone's open list is that agent's to resolve: giving it
    a customer would take the entry off their list, so the same rule as for Create and
    Discard on the entry applies (Forbidden on `activityId`). An activity the actor may not
    see at all (another agent's caller, its entry discarded) is not theirs to take either:
    the success payload would show it."""
    if not may_see_activity(actor, activity):
        raise Forbidden(field="activityId")
    if activity.open_list_entry_id is None:
        return
    (entry,) = await rt.store.get_open_list_entries([activity.open_list_entry_id])
    if entry is not None and entry.status is EntryStatus.OPEN and not may_work_on_entry(actor, entry.agent_id):
        raise Forbidden(field="activityId")


async def resolve_entry_of(rt: Runtime, actor: Actor, activity: Activity, status: EntryStatus, customer_id: str) -> None:
    """The activity now has a customer: its open-list entry, if still open, leaves the list,
    and the sender's other activities waiting in it get the same customer."""
    if activity.open_list_entry_id is None:
        return
    (entry,) = await rt.store.get_open_list_entries([activity.open_list_entry_id])
    if entry is not None and entry.status is EntryStatus.OPEN:
        resolved = await resolve_entry(rt, actor, entry, status, customer_id)
        if resolved is not None:
            await associate_the_rest(rt, actor, resolved, customer_id, but=activity.id)


async def associate_the_rest(rt: Runtime, actor: Actor, entry: OpenListEntry, customer_id: str, *, but: str) -> None:
    """The activities of a resolved entry other than `but` (the one just associated) given
    `customer_id`: one sender, one customer. One that already has a customer keeps it."""
    others = [i for i in entry.activity_ids if i != but]
    for activity in await rt.store.get_activities(others):
        if activity is not None and activity.customer_id is None:
            await set_activity_customer(rt, actor, activity, customer_id)


async def associate_activity(rt: Runtime, actor: Actor, activity_id: str, customer_id: str) -> tuple[Activity, Customer]:
    """Associate an unassociated activity with a customer, or move it to another customer.

    Associating with the customer it already has changes nothing. If the activity still
    waits on the open list, its entry leaves the list as ASSOCIATED."""
    require_staff(actor, write=True)
    activity = await load_activity(rt, activity_id, field="activityId")
    customer = await load_customer(rt, customer_id, field="customerId")
    await require_may_take(rt, actor, activity)
    activity = await set_activity_customer(rt, actor, activity, customer.id)
    await resolve_entry_of(rt, actor, activity, EntryStatus.ASSOCIATED, customer.id)
    return activity, customer
