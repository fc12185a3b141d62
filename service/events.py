"""Domain events: what happened, after it was stored. Plugins observe them through the
`domain_event` hook (webhooks, audit trails); subscriptions show some of them live
(`service.pubsub.LIVE_EVENTS`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .domain.association import Outcome
from .domain.records import Activity, Candidate, Contact, Customer, OpenListEntry
from .plugins import call_each_safely

if TYPE_CHECKING:
    import pluggy


@dataclass(frozen=True, slots=True)
class CustomerCreated:
    customer: Customer
    actor: str | None


@dataclass(frozen=True, slots=True)
class CustomerUpdated:
    customer: Customer
    previous: Customer
    actor: str | None


@dataclass(frozen=True, slots=True)
class ActivityRecorded:
    """What the agent's screen pop shows: the activity, the `outcome`, the recognised
    `customer` (ASSOCIATED) or the new open-list `entry` (ADDED_TO_OPEN_LIST), and every
    candidate the matching strategy found. Emitted once all of them are stored."""

    activity: Activity
    actor: str | None
    outcome: Outcome | None = None
    customer: Customer | None = None
    entry: OpenListEntry | None = None
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True, slots=True)
class ActivityAssociated:
    activity: Activity
    previous_customer_id: str | None
    actor: str | None


@dataclass(frozen=True, slots=True)
class OpenListEntryAdded:
    entry: OpenListEntry
    actor: str | None


@dataclass(frozen=True, slots=True)
class OpenListEntryJoined:
    """Another activity of the entry's sender joined it while it waited (entry.activity_ids)."""

    entry: OpenListEntry
    actor: str | None


@dataclass(frozen=True, slots=True)
class OpenListEntryResolved:
    """Created, discarded or associated: `entry.status` says which."""

    entry: OpenListEntry
    actor: str | None


@dataclass(frozen=True, slots=True)
class ContactAdded:
    contact: Contact
    actor: str | None


@dataclass(frozen=True, slots=True)
class ContactChanged:
    """Edited, or moved between MAIN and ADDITIONAL (compare `previous.role`)."""

    contact: Contact
    previous: Contact
    actor: str | None


@dataclass(frozen=True, slots=True)
class ContactRemoved:
    contact: Contact
    actor: str | None


class EventBus:
    """Hands each event to every `domain_event` implementation, one after another."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self._pm = pm
        self.runtime: Any = None

    async def emit(self, event: Any) -> None:
        await call_each_safely(self._pm.hook.domain_event, "domain_event", event=event, runtime=self.runtime)
