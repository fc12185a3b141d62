"""Reads: one record by id, and the paged lists. Page sizes and cursors are checked here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..domain.access import Actor, agent_for, may_see_customer, require_staff, waiting_callers_of_others_hidden_from
from ..domain.errors import UserError
from ..domain.contact_directory import ContactQuery
from ..domain.records import Activity, Contact, Customer, CustomerPermission, OpenListEntry
from ..domain.search import query_tokens
from ..runtime import Runtime
from ..storage import InvalidCursor, Page

T = TypeVar("T")


def page_size(rt: Runtime, first: int | None) -> int:
    if first is None:
        return rt.settings.default_page_size
    limit = rt.settings.max_page_size
    if not 0 <= first <= limit:
        raise UserError("invalid_page_size", field="first", code="INVALID_VALUE", limit=limit, min=0)
    return first


async def _paged(call: Callable[[], Awaitable[Page[T]]]) -> Page[T]:
    try:
        return await call()
    except InvalidCursor:
        raise UserError("invalid_cursor", field="after", code="INVALID_VALUE") from None


async def customers(rt: Runtime, actor: Actor, search: str | None, first: int | None, after: str | None) -> Page[Customer]:
    require_staff(actor)
    n = page_size(rt, first)
    return await _paged(lambda: rt.store.search_customers(query_tokens(search), first=n, after=after))


async def activities(
    rt: Runtime, actor: Actor, customer_id: str | None, unassociated: bool | None, first: int | None, after: str | None
) -> Page[Activity]:
    if not (customer_id and may_see_customer(actor, customer_id, CustomerPermission.VIEW_ACTIVITIES)):
        require_staff(actor)
    n = page_size(rt, first)
    # Narrowed in the store, not here: filtering a page after the store cut it would leave
    # it short, with hasNextPage and totalCount wrong.
    hidden_from = waiting_callers_of_others_hidden_from(actor)
    return await _paged(
        lambda: rt.store.list_activities(
            customer_id=customer_id, unassociated=unassociated, first=n, after=after, visible_to_agent=hidden_from
        )
    )


async def open_list(rt: Runtime, actor: Actor, agent_id: str | None, first: int | None, after: str | None):
    require_staff(actor)
    agent_id = agent_for(actor, agent_id)
    n = page_size(rt, first)
    return await _paged(lambda: rt.store.list_open_list_entries(agent_id=agent_id, first=n, after=after))


async def entry_activities(rt: Runtime, actor: Actor, entry: OpenListEntry, first: int | None, after: str | None) -> Page[Activity]:
    """The activities an open-list entry stands for (the sender's, while it waited), the
    first first. A cursor is an item's position; the entry only grows at its end."""
    require_staff(actor)
    n = page_size(rt, first)
    ids = entry.activity_ids
    start = 0
    if after is not None:
        if not (after.isdigit() and len(after) <= 9 and int(after) < len(ids)):
            raise UserError("invalid_cursor", field="after", code="INVALID_VALUE")
        start = int(after) + 1
    found = await rt.store.get_activities(ids[start : start + n])
    items = [(str(start + i), a) for i, a in enumerate(found) if a is not None]
    return Page(items, len(ids), start + n < len(ids), after is not None)


async def contacts(rt: Runtime, actor: Actor, query: ContactQuery, first: int | None, after: str | None) -> Page[Contact]:
    """The contact directory (and a customer's contacts tab, with `query.customer_id`)."""
    if not (query.customer_id and may_see_customer(actor, query.customer_id, CustomerPermission.VIEW_CONTACTS)):
        require_staff(actor)
    n = page_size(rt, first)
    return await _paged(lambda: rt.store.search_contacts(query, first=n, after=after))
