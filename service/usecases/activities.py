"""An activity arrives: recognise the customer, or put a pending customer on the open list."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..domain.activity_input import ActivityDraft, check_activity, prefill_from
from ..domain.access import agent_for, require_staff
from ..domain.association import Outcome, automatic_choice
from ..domain.identity import Identity
from ..domain.ids import new_id
from ..domain.records import Activity, Candidate, Customer, OpenListEntry
from ..domain.sender_key import sender_key
from ..events import ActivityAssociated, ActivityRecorded, OpenListEntryAdded, OpenListEntryJoined
from ..runtime import Actor, Runtime
from ._shared import change, load_activity
from .open_list import new_entry

#: How many candidates an open-list entry keeps for the agent to pick from.
CANDIDATE_LIMIT = 5


@dataclass(frozen=True, slots=True)
class RecordedActivity:
    outcome: Outcome
    activity: Activity
    customer: Customer | None
    entry: OpenListEntry | None
    candidates: tuple[Candidate, ...]


async def record_activity(rt: Runtime, actor: Actor, draft: ActivityDraft) -> RecordedActivity:
    """Store the activity. If the matching strategy is confident about one customer, the
    activity is associated with it; otherwise a pending new customer, pre-filled from the
    sender's identifiers, joins the handling agent's open list with the candidates found."""
    require_staff(actor, write=True)
    regions = rt.settings.caller_id_regions
    fields = check_activity(draft, default_region=regions[0], other_regions=regions[1:])
    # An agent records its own activities: the pending customer joins its own open list.
    fields = replace(fields, agent_id=agent_for(actor, fields.agent_id))
    candidates = await rt.matcher.candidates(Identity.of_sender(fields.sender), rt.store, limit=CANDIDATE_LIMIT)
    chosen = automatic_choice(candidates, rt.settings.threshold_for(fields.channel), rt.settings.match_margin)
    customer = None
    if chosen is not None:
        (customer,) = await rt.store.get_customers([chosen.customer_id])

    now = rt.clock()
    activity = Activity(
        id=new_id(),
        version=1,
        created_at=now,
        updated_at=now,
        created_by=actor.id,
        channel=fields.channel,
        direction=fields.direction,
        sender=fields.sender,
        occurred_at=fields.occurred_at or now,
        subject=fields.subject,
        text=fields.text,
        agent_id=fields.agent_id,
        customer_id=customer.id if customer else None,
        associated_at=now if customer else None,
        open_list_entry_id=None if customer else new_id(),
    )
    await rt.store.insert_activity(activity)
    entry = None
    joined = False
    if customer is None:
        proposed = new_entry(rt, actor, activity, prefill_from(fields.sender), candidates)
        entry = await rt.store.add_to_open_list(replace(proposed, sender_key=sender_key(activity.agent_id, fields.sender)))
        joined = entry.id != proposed.id
        if joined:
            # The same sender already waits: the activity belongs to that entry.
            activity = await point_at_entry(rt, activity, entry.id)
    # Everything the screen pop shows is stored before the first event names it.
    outcome = Outcome.ASSOCIATED if customer is not None else Outcome.ADDED_TO_OPEN_LIST
    recorded = RecordedActivity(outcome, activity, customer, entry, tuple(candidates))
    await rt.events.emit(ActivityRecorded(activity, actor.id, outcome, customer, entry, recorded.candidates))
    if entry is None:
        await rt.events.emit(ActivityAssociated(activity, None, actor.id))
    elif joined:
        await rt.events.emit(OpenListEntryJoined(entry, actor.id))
    else:
        await rt.events.emit(OpenListEntryAdded(entry, actor.id))
    return recorded


async def point_at_entry(rt: Runtime, activity: Activity, entry_id: str) -> Activity:
    """The activity pointed at the open-list entry it joined (compare-and-set)."""
    updated, _ = await change(
        activity,
        lambda: load_activity(rt, activity.id, field="activityId"),
        rt.store.update_activity,
        lambda a: None if a.open_list_entry_id == entry_id else replace(a, open_list_entry_id=entry_id),
        rt.clock,
    )
    return updated
