"""Domain events: what happened, after it was stored. Plugins observe them through the
`domain_event` hook (webhooks, audit trails); later, subscriptions publish them too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .domain.records import Activity, Contact, Customer, OpenListEntry
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
    activity: Activity
    actor: str | None


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
