"""Live updates (subscriptions): which events a subscriber sees.

Staff only, with the open list's rule for `agent_id` (`domain.access.agent_for`): an agent
gets its own events (naming another agent is FORBIDDEN), administrators and read-only staff
one agent's or, when they name none, everyone's. The checks run when the subscription
starts; the filter runs in the publishing loop, so a subscriber's bounded queue holds only
what it will be shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..domain.access import agent_for, may_see_entry, require_staff
from ..domain.records import OpenListEntry
from ..events import ActivityRecorded, OpenListEntryAdded, OpenListEntryJoined, OpenListEntryResolved
from ..pubsub import Mapped, Subscription
from ..runtime import Actor, Runtime

#: The change an open-list event stands for: ADDED, JOINED, or how the entry left (entry.status).
ADDED = "ADDED"
JOINED = "JOINED"


@dataclass(frozen=True, slots=True)
class OpenListChange:
    """`kind`: ADDED, JOINED, CREATED, ASSOCIATED or DISCARDED."""

    kind: str
    entry: OpenListEntry


def _for_agent(agent_id: str | None, event_agent_id: str | None) -> bool:
    return agent_id is None or event_agent_id == agent_id


async def open_list_changes(rt: Runtime, actor: Actor, agent_id: str | None) -> Mapped:
    """Entries joining and leaving the open list (`agent_id`'s, see the module's rule), from
    now on. Forbidden is raised here, before anything is subscribed."""
    require_staff(actor)
    agent = agent_for(actor, agent_id)

    def accept(event: Any) -> bool:
        return (
            isinstance(event, OpenListEntryAdded | OpenListEntryJoined | OpenListEntryResolved)
            and _for_agent(agent, event.entry.agent_id)
            and may_see_entry(actor, event.entry.agent_id)
        )

    subscription = await rt.pubsub.subscribe(accept)
    return subscription.map(lambda event: OpenListChange(_kind(event), event.entry))


def _kind(event: OpenListEntryAdded | OpenListEntryJoined | OpenListEntryResolved) -> str:
    if isinstance(event, OpenListEntryAdded):
        return ADDED
    if isinstance(event, OpenListEntryJoined):
        return JOINED
    return event.entry.status.value


async def screen_pops(rt: Runtime, actor: Actor, agent_id: str | None) -> Subscription:
    """Activities as they are recorded (`agent_id`'s, see the module's rule), with what the
    screen pop shows: outcome, customer or open-list entry, candidates."""
    require_staff(actor)
    agent = agent_for(actor, agent_id)

    def accept(event: Any) -> bool:
        # An event without an outcome comes from an older version of the service: it does not
        # carry what the screen pop needs.
        return isinstance(event, ActivityRecorded) and event.outcome is not None and _for_agent(agent, event.activity.agent_id)

    return await rt.pubsub.subscribe(accept)
