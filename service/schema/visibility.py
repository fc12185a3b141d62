"""Loading one record for a reader: null when there is none *or* the reader may not see it,
so a customer account cannot even learn that another customer's id exists."""

from __future__ import annotations

from typing import Any

from ..domain.access import may_see_activity, may_see_customer, may_see_entry
from ..domain.records import CustomerPermission
from .types import Activity, Contact, Customer, OpenListEntry


async def visible(ctx: Any, type_name: str, raw_id: str | None) -> Any:
    """The GraphQL object of a record the context's actor may see, else None."""
    if raw_id is None:
        return None
    actor = ctx.actor
    if type_name == "Customer":
        c = await ctx.customers.load(raw_id)
        return Customer.from_domain(c) if c and may_see_customer(actor, c.id, CustomerPermission.VIEW_CUSTOMER) else None
    if type_name == "Activity":
        a = await ctx.activities.load(raw_id)
        return Activity.from_domain(a) if a is not None and may_see_activity(actor, a) else None
    if type_name == "Contact":
        (k,) = await ctx.runtime.store.get_contacts([raw_id])
        ok = k is not None and may_see_customer(actor, k.customer_id, CustomerPermission.VIEW_CONTACTS)
        return Contact.from_domain(k) if ok else None
    if type_name == "OpenListEntry":
        e = await ctx.entries.load(raw_id)
        return OpenListEntry.from_domain(e) if e and may_see_entry(actor, e.agent_id) else None
    return None
