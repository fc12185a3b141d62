"""Queries: reads translated to use-case calls."""

from __future__ import annotations

from typing import Annotated

import enum

import strawberry
from strawberry.types import Info

from ..usecases import matching, queries
from ..domain import limits as domain_limits
from ..domain.errors import UserError as DomainUserError
from . import budget
from .context import to_graphql_error
from .errors import not_found
from .ids import cursor_in, from_global_id, raw_id_of
from .inputs import ContactFilter, ContactOrder, IdentityInput
from .visibility import visible
from .types import (
    CustomerPermission,
    Activity,
    Contact,
    MatchCandidate,
    Connection,
    Customer,
    Node,
    OpenListEntry,
    connection,
    paged,
)

_FIRST = "How many items (default and maximum are service settings: 20 and 100 unless configured)."
_AFTER = "Continue after this cursor (a `pageInfo.endCursor` or `edge.cursor`)."


@strawberry.enum(description="What kind of caller a token belongs to.")
class Role(enum.Enum):
    ADMIN = strawberry.enum_value("ADMIN", description="Staff: everything, including customer accounts.")
    AGENT = strawberry.enum_value(
        "AGENT",
        description="Staff: customers, contacts, activities; its own open list. Other agents' waiting callers (their "
        "open-list entries and the activities without a customer behind them) it does not see.",
    )
    READ_ONLY = strawberry.enum_value("READ_ONLY", description="Staff: reads everything, changes nothing.")
    CUSTOMER = strawberry.enum_value("CUSTOMER", description="A customer account: its own customer, within its permissions.")


@strawberry.type(description="Who the request is made as.")
class Viewer:
    id: str = strawberry.field(description="Staff id from the tokens file, or the customer account's id.")
    role: Role = strawberry.field(description="The caller's role.")
    permissions: list[CustomerPermission] = strawberry.field(description="A customer account's permissions; empty for staff.")
    customer_id: strawberry.Private[str | None]

    @strawberry.field(description="A customer account's own customer (with VIEW_CUSTOMER); null for staff.")
    async def customer(self, info: Info) -> Customer | None:
        return await visible(info.context, "Customer", self.customer_id)


@strawberry.type(description="How many items one list input (an argument or an input field) may hold (LIST_TOO_LONG).")
class ListLimit:
    input: str = strawberry.field(
        description="The input as a schema coordinate: `Type.field` for an input field (ContactFilter.searchIn), "
        "`Type.field(argument:)` for an argument."
    )
    max_items: int = strawberry.field(description="Items it may hold; a longer list is refused before anything runs.")


@strawberry.type(
    description="What this service accepts, as data: a form sets maxlength and list sizes from it, a list its page "
    "size, instead of copying numbers from the docs."
)
class Limits:
    text_length: int = strawberry.field(description="Characters (Unicode code points) one text field holds at most (FIELD_TOO_LONG).")
    emails_per_customer: int = strawberry.field(description="Email addresses one customer holds at most (TOO_MANY_ITEMS).")
    phones_per_customer: int = strawberry.field(description="Phone numbers one customer holds at most (TOO_MANY_ITEMS).")
    attributes_per_customer: int = strawberry.field(description="Free-form attributes one customer holds at most (TOO_MANY_ITEMS).")
    contacts_per_customer: int = strawberry.field(description="Contacts one customer has at most.")
    default_page_size: int = strawberry.field(description="Items on a page when `first` is left out.")
    max_page_size: int = strawberry.field(description="The largest `first` a list accepts.")
    max_match_candidates: int = strawberry.field(description="The largest `limit` matchCustomers accepts.")
    max_query_depth: int = strawberry.field(description="How deep an operation may nest fields (QUERY_TOO_DEEP).")
    max_aliases: int = strawberry.field(description="Aliases one operation may use (TOO_MANY_ALIASES).")
    max_query_complexity: int = strawberry.field(
        description="How much comparing an operation's fields that share a response name may cost (QUERY_TOO_COMPLEX); "
        "an operation that asks for each field once costs nothing."
    )
    max_result_size: int = strawberry.field(
        description="Values an operation's answer may hold, each list counted at the most it can hold and a connection "
        "at its `first` (QUERY_TOO_COSTLY)."
    )
    list_limits: list[ListLimit] = strawberry.field(
        description="Every list input and the items it may hold (LIST_TOO_LONG). A customer's emails, phones and "
        "attributes have smaller limits checked with the data (emailsPerCustomer ...: TOO_MANY_ITEMS)."
    )
    phone_region: str = strawberry.field(
        description="The region (ISO 3166-1 alpha-2, e.g. `CZ`) whose national phone numbers are accepted without a "
        "country code (`--default-region`); other numbers need their international form (INVALID_PHONE)."
    )


@strawberry.type(description="Reads.")
class Query:
    @strawberry.field(description="What this service accepts: text length, list sizes, page sizes, operation limits.")
    def limits(self, info: Info) -> Limits:
        settings = info.context.runtime.settings
        return Limits(
            text_length=domain_limits.MAX_TEXT_LENGTH,
            emails_per_customer=domain_limits.MAX_EMAILS,
            phones_per_customer=domain_limits.MAX_PHONES,
            attributes_per_customer=domain_limits.MAX_ATTRIBUTES,
            contacts_per_customer=domain_limits.MAX_CONTACTS_PER_CUSTOMER,
            default_page_size=settings.default_page_size,
            max_page_size=settings.max_page_size,
            max_match_candidates=matching.MAX_CANDIDATES,
            max_query_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_query_complexity=settings.max_query_complexity,
            max_result_size=settings.max_result_size,
            list_limits=[ListLimit(input=coordinate, max_items=items) for coordinate, items in budget.LIST_LIMITS.items()],
            phone_region=settings.default_region.upper(),
        )

    @strawberry.field(description="Who this request is made as: a frontend's first question after login.")
    def viewer(self, info: Info) -> Viewer:
        a = info.context.actor
        return Viewer(
            id=a.id,
            role=Role(a.role.value),
            permissions=[CustomerPermission(p.value) for p in sorted(a.permissions, key=lambda p: p.value)],
            customer_id=a.customer_id,
        )

    @strawberry.field(description="Any record by its global id; null when there is none or you may not see it.")
    async def node(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")]) -> Node | None:
        decoded = from_global_id(id)
        return await visible(info.context, *decoded) if decoded else None

    @strawberry.field(description="A customer by id; null when there is none.")
    async def customer(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The customer's id.")]) -> Customer | None:
        return await visible(info.context, "Customer", raw_id_of(id, "Customer"))

    @strawberry.field(
        description="Customers in alphabetical order of their display name. `search` finds customers where every word "
        "begins a word of their name, organisation, email, phone, city, postcode or external id, ignoring case and "
        "diacritics ('novak' finds 'Novák', 'jorgensen' finds 'Jørgensen')."
    )
    async def customers(
        self,
        info: Info,
        search: Annotated[str | None, strawberry.argument(description="Words to look for.")] = None,
        first: Annotated[int | None, strawberry.argument(description=_FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=_AFTER)] = None,
    ) -> Connection[Customer]:
        if search is not None and len(search) > 2000:
            search = search[:2000]  # a query longer than any field cannot match more than its prefix does
        page = await paged(info.context, queries.customers(info.context.runtime, info.context.actor, search, first, cursor_in(after)))
        return connection(page, Customer.from_domain)

    @strawberry.field(
        description="An activity by id; null when there is none or you may not see it (an agent: another agent's "
        "activity that has no customer yet)."
    )
    async def activity(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The activity's id.")]) -> Activity | None:
        return await visible(info.context, "Activity", raw_id_of(id, "Activity"))

    @strawberry.field(
        description="Activities, newest first. An agent's list leaves out other agents' activities that have no customer "
        "yet (their waiting callers); totalCount and paging count only what is listed."
    )
    async def activities(
        self,
        info: Info,
        customer_id: Annotated[strawberry.ID | None, strawberry.argument(description="Only this customer's.")] = None,
        unassociated: Annotated[bool | None, strawberry.argument(
            description="true: only activities without a customer; false: only those with one.")] = None,
        first: Annotated[int | None, strawberry.argument(description=_FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=_AFTER)] = None,
    ) -> Connection[Activity]:
        raw = None
        if customer_id is not None:
            raw = raw_id_of(customer_id, "Customer")
            if raw is None:
                raise to_graphql_error(not_found("customer", customer_id, "customerId"), info.context)
        page = await paged(info.context, queries.activities(info.context.runtime, info.context.actor, raw, unassociated, first, cursor_in(after)))
        return connection(page, Activity.from_domain)

    @strawberry.field(description="An open-list entry by id, whatever its status; null when there is none.")
    async def open_list_entry(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The entry's id.")]
    ) -> OpenListEntry | None:
        return await visible(info.context, "OpenListEntry", raw_id_of(id, "OpenListEntry"))

    @strawberry.field(description="The open list: pending new customers waiting for an agent to create or discard them, oldest first.")
    async def open_list(
        self,
        info: Info,
        agent_id: Annotated[strawberry.ID | None, strawberry.argument(description="Only this agent's entries; all agents' when left out.")] = None,
        first: Annotated[int | None, strawberry.argument(description=_FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=_AFTER)] = None,
    ) -> Connection[OpenListEntry]:
        agent = str(agent_id) if agent_id is not None else None
        page = await paged(info.context, queries.open_list(info.context.runtime, info.context.actor, agent, first, cursor_in(after)))
        return connection(page, OpenListEntry.from_domain)

    @strawberry.field(description="A contact by id; null when there is none.")
    async def contact(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The contact's id.")]) -> Contact | None:
        return await visible(info.context, "Contact", raw_id_of(id, "Contact"))

    @strawberry.field(
        description="The contact directory: every customer's contacts. Search (optionally only in chosen attributes), "
        "filter, and sort by any column, alphabetically as a reader of the request's language expects."
    )
    async def contacts(
        self,
        info: Info,
        filter: Annotated[ContactFilter | None, strawberry.argument(description="Which contacts.")] = None,
        order_by: Annotated[ContactOrder | None, strawberry.argument(description="Sort order; by last name when left out.")] = None,
        first: Annotated[int | None, strawberry.argument(description=_FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=_AFTER)] = None,
    ) -> Connection[Contact]:
        ctx = info.context
        filter = filter or ContactFilter()
        customer = None
        if filter.customer_id is not None:
            customer = raw_id_of(filter.customer_id, "Customer")
            if customer is None:
                raise to_graphql_error(not_found("customer", filter.customer_id, "filter.customerId"), ctx)
        query = filter.to_query(customer, order_by, ctx.locale)
        page = await paged(ctx, queries.contacts(ctx.runtime, ctx.actor, query, first, cursor_in(after)))
        return connection(page, Contact.from_domain)

    @strawberry.field(
        description="Existing customers this identity may be, best first, each with a score from 0 to 1 and the reasons "
        "(which fields matched, how, how strongly), as the configured matching strategy sees it."
    )
    async def match_customers(
        self,
        info: Info,
        identity: Annotated[IdentityInput, strawberry.argument(description="What is known about the person.")],
        limit: Annotated[int | None, strawberry.argument(description="At most this many candidates (1 to 50, default 5).")] = None,
    ) -> list[MatchCandidate]:
        ctx = info.context
        try:
            found = await matching.match_customers(ctx.runtime, ctx.actor, identity.to_draft(), limit)
        except DomainUserError as err:
            raise to_graphql_error(err, ctx) from None
        return [MatchCandidate.from_domain(c) for c in found]
