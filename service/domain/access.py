"""Who may see and change what. Every rule of access lives here; use cases and resolvers
ask these functions, so a rule changes in one place.

| Role | Reads | Writes |
|---|---|---|
| ADMIN | everything | everything, including customer accounts |
| AGENT | everything but other agents' waiting callers: their open-list entries and the unassociated activities that made them | customers, contacts, activities; its own open list |
| READ_ONLY | everything | nothing |
| CUSTOMER (a customer account) | its own customer, within its permissions | nothing |
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from .errors import UserError
from .records import Activity, CustomerPermission


class Role(enum.Enum):
    ADMIN = "ADMIN"
    AGENT = "AGENT"
    READ_ONLY = "READ_ONLY"
    CUSTOMER = "CUSTOMER"


STAFF = frozenset({Role.ADMIN, Role.AGENT, Role.READ_ONLY})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is making a request. `id` becomes `createdBy`/`owner`/`resolvedBy` on writes."""

    id: str
    role: Role = Role.ADMIN
    customer_id: str | None = None  # a customer account's own customer
    permissions: frozenset[CustomerPermission] = field(default_factory=frozenset)

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF


class Forbidden(UserError):
    code = "FORBIDDEN"

    def __init__(self, *, field: str | None = None) -> None:
        super().__init__("forbidden", field=field)


def require_staff(actor: Actor, *, write: bool = False) -> None:
    """Staff only; with `write`, staff who may change data (not READ_ONLY)."""
    if not actor.is_staff or (write and actor.role is Role.READ_ONLY):
        raise Forbidden()


def require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden()


def agent_for(actor: Actor, agent_id: str | None, *, field: str = "agentId") -> str | None:
    """The agent whose open list a request concerns. An agent works on its own (and gets it
    when it names none); administrators and read-only staff on anyone's."""
    if actor.role is Role.AGENT:
        if agent_id not in (None, actor.id):
            raise Forbidden(field=field)
        return actor.id
    return agent_id


def may_see_entry(actor: Actor, entry_agent_id: str | None) -> bool:
    """Open-list entries: staff; an agent only its own and unassigned ones."""
    if not actor.is_staff:
        return False
    return actor.role is not Role.AGENT or entry_agent_id in (None, actor.id)


def may_work_on_entry(actor: Actor, entry_agent_id: str | None) -> bool:
    return may_see_entry(actor, entry_agent_id) and actor.role is not Role.READ_ONLY


def may_see_customer(actor: Actor, customer_id: str | None, permission: CustomerPermission) -> bool:
    """Staff see every customer; a customer account sees its own customer's data that its
    permissions cover, and nothing of anyone else's."""
    if actor.is_staff:
        return True
    return customer_id is not None and customer_id == actor.customer_id and permission in actor.permissions


def waiting_callers_of_others_hidden_from(actor: Actor) -> str | None:
    """The agent id whose view of activity lists leaves out other agents' waiting callers
    (see `may_see_activity`), or None when the actor's lists are not narrowed this way.
    Stores filter with it (`Storage.list_activities(visible_to_agent=...)`), so a page is
    never cut short after paging."""
    return actor.id if actor.role is Role.AGENT else None


def may_see_activity(actor: Actor, activity: Activity) -> bool:
    """An activity without a customer is the caller waiting on (or discarded from) the open
    list of the agent it was recorded for: the entry's rule (`may_see_entry`) applies to it,
    or an agent would read through the activity the name, phone and text that the entry
    hides. Once associated it is that customer's, and the customer's rule applies."""
    if actor.is_staff:
        return activity.customer_id is not None or may_see_entry(actor, activity.agent_id)
    return may_see_customer(actor, activity.customer_id, CustomerPermission.VIEW_ACTIVITIES)
