"""Who may see and change what. Every rule of access lives here; use cases and resolvers
ask these functions, so a rule changes in one place.

| Role | Reads | Writes |
|---|---|---|
| ADMIN | everything | everything, including customer accounts |
| AGENT | everything but other agents' open-list entries | customers, contacts, activities; its own open list |
| READ_ONLY | everything | nothing |
| CUSTOMER (a customer account) | its own customer, within its permissions | nothing |
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from .errors import UserError
from .records import CustomerPermission


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
