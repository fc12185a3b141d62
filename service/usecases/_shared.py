"""Helpers every use case needs: loading by id with typed errors, compare-and-set retries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TypeVar

from ..domain.errors import NotFound
from ..domain.records import Activity, Customer, OpenListEntry
from ..runtime import Runtime
from ..storage import StaleVersion

T = TypeVar("T")

#: Attempts at a compare-and-set that keeps losing to concurrent writers before giving up.
CAS_ATTEMPTS = 5


async def load_customer(rt: Runtime, customer_id: str, *, field: str) -> Customer:
    (customer,) = await rt.store.get_customers([customer_id])
    if customer is None:
        raise NotFound("customer", customer_id, field=field)
    return customer


async def load_activity(rt: Runtime, activity_id: str, *, field: str) -> Activity:
    (activity,) = await rt.store.get_activities([activity_id])
    if activity is None:
        raise NotFound("activity", activity_id, field=field)
    return activity


async def load_entry(rt: Runtime, entry_id: str, *, field: str) -> OpenListEntry:
    (entry,) = await rt.store.get_open_list_entries([entry_id])
    if entry is None:
        raise NotFound("open_list_entry", entry_id, field=field)
    return entry


async def change(
    current: T,
    load: Callable[[], Awaitable[T]],
    write: Callable[[T, int], Awaitable[None]],
    edit: Callable[[T], T | None],
    now,
) -> tuple[T, bool]:
    """Apply `edit` to a record and write it with compare-and-set, reloading and re-editing
    when someone else wrote first. `edit` returns None to leave the record as it is (it may
    also raise a UserError after seeing the newest version). Returns the record as it now
    is and whether this call wrote it."""
    for _ in range(CAS_ATTEMPTS):
        edited = edit(current)
        if edited is None:
            return current, False
        new = replace(edited, version=current.version + 1, updated_at=now())
        try:
            await write(new, current.version)
            return new, True
        except StaleVersion:
            current = await load()
    raise RuntimeError("record kept changing under concurrent writes; giving up")
