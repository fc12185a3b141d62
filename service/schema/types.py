"""The GraphQL object types for records, built from domain records by `from_domain`.

A record's plain fields are plain attributes, worked out from the record when a query
first reads them (`RecordView`); resolvers exist only for work: translated display
names, related records (through DataLoaders) and nested lists."""

from __future__ import annotations

import enum
from operator import attrgetter
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar


import strawberry
from strawberry.types import Info

from ..domain import records
from ..domain.errors import UserError as DomainUserError
from ..domain.display_name import customer_display_name, entry_display_name
from ..domain.access import may_see_customer, may_see_entry
from ..domain.contact_directory import ContactQuery, ContactSort
from ..storage import Page
from ..usecases import contacts as contact_usecases
from ..usecases import queries
from .context import to_graphql_error
from .ids import cursor_in, cursor_out, raw_id_of, to_global_id

if TYPE_CHECKING:
    from .context import Context

T = TypeVar("T")


class RecordView:
    """A GraphQL object over a domain record, `record`, whose plain fields are worked out
    from it when a query first reads them: a request reads a few of a record's fields, and
    a list makes one object per item, so nothing is converted that nobody reads.

    `from_domain(record)` makes one; `_view_fields` gives each plain field of the class a
    `_FromRecord` that works the value out from the record on first reading. The type stays
    an ordinary Strawberry type: constructing it with keyword arguments still works (the
    instance's own values come first)."""

    @classmethod
    def from_domain(cls, record: Any) -> Any:
        view = object.__new__(cls)
        view.record = record
        return view


class _FromRecord:
    """A field's value, `compute(record)`, kept in the instance on first reading (a
    non-data descriptor: from then on, and for instances built with keyword arguments, the
    instance's own value is found first)."""

    __slots__ = ("name", "compute")

    def __init__(self, name: str, compute: Callable[[Any], Any]) -> None:
        self.name, self.compute = name, compute

    def __get__(self, view: Any, owner: Any = None) -> Any:
        if view is None:
            return self
        value = view.__dict__[self.name] = self.compute(view.record)
        return value


def _view_fields(cls: type[RecordView], type_name: str | None, **fields: Callable[[Any], Any]) -> None:
    """Gives `cls` its fields worked out from the record: with a `type_name`, the global id
    and the bookkeeping every record has, then `fields`. Every plain field the GraphQL type
    declares must be covered (checked here, at import)."""
    if type_name is not None:
        fields = {
            "id": lambda r: strawberry.ID(to_global_id(type_name, r.id)),
            "version": attrgetter("version"),
            "created_at": attrgetter("created_at"),
            "updated_at": attrgetter("updated_at"),
            **fields,
        }
    declared = {f.python_name for f in cls.__strawberry_definition__.fields if f.base_resolver is None} - {"record"}
    if missing := declared - fields.keys() - set(getattr(cls, "_set_directly", ())):  # pragma: no cover - a programming error
        raise TypeError(f"{cls.__name__}: no value for {sorted(missing)}")
    for name, compute in fields.items():
        setattr(cls, name, _FromRecord(name, compute))


@strawberry.interface(description="A record with a global id: `node(id:)` fetches any of them.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global id, unique across all record types.")


@strawberry.type(description="Where a page sits in its list.")
class PageInfo(RecordView):
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items precede this page (true whenever `after` was given).")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item on this page.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item; pass it as `after` for the next page.")


_view_fields(
    PageInfo,  # over a store Page: its cursors are encoded when a query reads them
    None,
    has_next_page=attrgetter("has_next_page"),
    has_previous_page=attrgetter("has_previous_page"),
    start_cursor=lambda page: cursor_out(page.items[0][0]) if page.items else None,
    end_cursor=lambda page: cursor_out(page.items[-1][0]) if page.items else None,
)


@strawberry.type(description="An item in a list, with its cursor.")
class Edge(RecordView, Generic[T]):
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: T = strawberry.field(description="The item.")

    @classmethod
    def of(cls, storage_cursor: str, node: T) -> Edge[T]:
        """The edge of one list item; its cursor is encoded when a query reads it."""
        edge = cls.from_domain(storage_cursor)
        edge.node = node
        return edge

    _set_directly = ("node",)


_view_fields(Edge, None, cursor=cursor_out)


@strawberry.type(description="A page of a list (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items on this page, in the list's order.")
    page_info: PageInfo = strawberry.field(description="Paging state.")
    total_count: int = strawberry.field(
        description="How many items the whole list holds (all pages); an estimate when totalCountIsExact is false."
    )
    total_count_is_exact: bool = strawberry.field(
        description="False when totalCount is an estimate: a very long list (more than the storage backend counts "
        "exactly, 10,000 on MongoDB) shows at least that many, or the approximate size of an unfiltered list."
    )


def connection(page: Page, convert: Callable[[Any], T]) -> Connection[T]:
    """A GraphQL connection from a store page, each record converted by `convert`."""
    edges = [Edge.of(c, convert(r)) for c, r in page.items]
    return Connection(
        edges=edges,
        page_info=PageInfo.from_domain(page),
        total_count=page.total_count,
        total_count_is_exact=page.total_count_exact,
    )


#: What a customer account sees of a list its permissions do not cover (Customer.contacts
#: without VIEW_CONTACTS, ...): nothing, rather than an error that would null the customer.
NO_ITEMS: Page = Page([], 0, False, False)


def withheld(ctx: Context, customer_id: str, permission: records.CustomerPermission) -> bool:
    return not may_see_customer(ctx.actor, customer_id, permission)


async def paged(ctx: Context, work: Awaitable[Page]) -> Page:
    """Await a list use case; a bad `first` or `after` becomes a top-level error with a code."""
    try:
        return await work
    except DomainUserError as err:
        raise to_graphql_error(err, ctx) from None


@strawberry.enum(description="What a contact is for.")
class ContactRole(enum.Enum):
    MAIN = strawberry.enum_value("MAIN", description="Automatically gets a copy of messages meant for the customer.")
    ADDITIONAL = strawberry.enum_value(
        "ADDITIONAL", description="Optional recipient of notifications and discussion posts on a request."
    )


# --- customers -------------------------------------------------------------------------


@strawberry.type(description="An email address of a customer.")
class EmailAddress:
    address: str = strawberry.field(description="As entered.")
    normalized: str = strawberry.field(description="Lower-cased form used for matching.")
    label: str | None = strawberry.field(description="Free label such as 'work' or 'private'.")


@strawberry.type(description="A phone number of a customer.")
class PhoneNumber:
    number: str = strawberry.field(description="As entered.")
    e164: str = strawberry.field(description="International E.164 form used for matching, e.g. +420601123456.")
    label: str | None = strawberry.field(description="Free label such as 'mobile' or 'office'.")


@strawberry.type(description="A postal address.")
class PostalAddress:
    street: str | None = strawberry.field(description="Street and number.")
    city: str | None = strawberry.field(description="City or town.")
    postcode: str | None = strawberry.field(description="Postal code.")
    region: str | None = strawberry.field(description="Region, county or state.")
    country: str | None = strawberry.field(description="Country.")


@strawberry.type(description="A free-form key/value attribute of a customer.")
class Attribute:
    key: str = strawberry.field(description="Attribute name, unique on its customer.")
    value: str = strawberry.field(description="Attribute value.")


@strawberry.type(description="A customer record: a person or an organisation.")
class Customer(RecordView, Node):
    version: int = strawberry.field(description="Incremented on every change; send it as `expectedVersion` when updating.")
    created_at: datetime = strawberry.field(description="When the record was created (UTC).")
    updated_at: datetime = strawberry.field(description="When the record last changed (UTC).")
    created_by: str | None = strawberry.field(description="Who created the record.")
    first_name: str | None = strawberry.field(description="Given name.")
    last_name: str | None = strawberry.field(description="Family name.")
    organization_name: str | None = strawberry.field(description="Organisation name, for organisations.")
    emails: list[EmailAddress] = strawberry.field(description="Email addresses, first is primary.")
    phones: list[PhoneNumber] = strawberry.field(description="Phone numbers, first is primary.")
    address: PostalAddress | None = strawberry.field(description="Postal address.")
    external_id: str | None = strawberry.field(description="The customer's id in another system (CRM, billing).")
    attributes: list[Attribute] = strawberry.field(description="Free-form attributes.")
    record: strawberry.Private[records.Customer]

    @strawberry.field(
        description="What a screen shows: the name, else the organisation, else the email, else the phone, "
        'else "Unknown customer" in the request\'s language.'
    )
    def display_name(self, info: Info) -> str:
        return customer_display_name(self.record) or info.context.t("unknown_customer")

    @strawberry.field(description="This customer's activities, newest first.")
    async def activities(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="Page size (default and maximum are settings).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[Activity]:
        ctx: Context = info.context
        if withheld(ctx, self.record.id, records.CustomerPermission.VIEW_ACTIVITIES):
            return connection(NO_ITEMS, Activity.from_domain)
        page = await paged(ctx, queries.activities(ctx.runtime, ctx.actor, self.record.id, None, first, cursor_in(after)))
        return connection(page, Activity.from_domain)

    @strawberry.field(description="This customer's contacts: MAIN first, then ADDITIONAL, each alphabetically in the reader's language.")
    async def contacts(
        self,
        info: Info,
        role: Annotated[
            ContactRole | None, strawberry.argument(description="Only MAIN or only ADDITIONAL contacts.")
        ] = None,
        first: Annotated[int | None, strawberry.argument(description="Page size (default and maximum are settings).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[Contact]:
        ctx: Context = info.context
        if withheld(ctx, self.record.id, records.CustomerPermission.VIEW_CONTACTS):
            return connection(NO_ITEMS, Contact.from_domain)
        query = ContactQuery(
            customer_id=self.record.id,
            role=records.ContactRole(role.value) if role else None,
            order=ContactSort.ROLE,
            locale=ctx.locale,
        )
        page = await paged(ctx, queries.contacts(ctx.runtime, ctx.actor, query, first, cursor_in(after)))
        return connection(page, Contact.from_domain)

    @strawberry.field(
        description="Who automatically gets a copy of a message meant for this customer: its MAIN contacts that have an email address."
    )
    async def message_recipients(self, info: Info) -> list[Contact]:
        if withheld(info.context, self.record.id, records.CustomerPermission.VIEW_CONTACTS):
            return []
        found = await paged(info.context, contact_usecases.message_recipients(info.context.runtime, info.context.actor, self.record.id, info.context.locale))
        return [Contact.from_domain(c) for c in found]

    @strawberry.field(description="Who gets payment reminders: this customer's reminder contacts that have an email address.")
    async def reminder_recipients(self, info: Info) -> list[Contact]:
        if withheld(info.context, self.record.id, records.CustomerPermission.VIEW_CONTACTS):
            return []
        found = await paged(info.context, contact_usecases.reminder_recipients(info.context.runtime, info.context.actor, self.record.id, info.context.locale))
        return [Contact.from_domain(c) for c in found]


_view_fields(
    Customer,
    "Customer",
    created_by=attrgetter("created_by"),
    first_name=attrgetter("first_name"),
    last_name=attrgetter("last_name"),
    organization_name=attrgetter("organization_name"),
    emails=lambda c: [EmailAddress(address=e.address, normalized=e.normalized, label=e.label) for e in c.emails],
    phones=lambda c: [PhoneNumber(number=p.number, e164=p.e164, label=p.label) for p in c.phones],
    address=lambda c: PostalAddress(
        street=c.address.street,
        city=c.address.city,
        postcode=c.address.postcode,
        region=c.address.region,
        country=c.address.country,
    )
    if c.address
    else None,
    external_id=attrgetter("external_id"),
    attributes=lambda c: [Attribute(key=a.key, value=a.value) for a in c.attributes],
)


# --- contacts --------------------------------------------------------------------------


@strawberry.enum(description="What a customer account may see of its own customer.")
class CustomerPermission(enum.Enum):
    VIEW_CUSTOMER = strawberry.enum_value("VIEW_CUSTOMER", description="The customer record itself.")
    VIEW_CONTACTS = strawberry.enum_value("VIEW_CONTACTS", description="The customer's contacts and who receives what.")
    VIEW_ACTIVITIES = strawberry.enum_value("VIEW_ACTIVITIES", description="The customer's calls, chats and emails.")


@strawberry.type(description="A contact's login: it sees its own customer's data that its permissions cover, nothing else.")
class CustomerAccount:
    id: strawberry.ID = strawberry.field(description="The account's id.")
    enabled: bool = strawberry.field(description="Disabled accounts cannot log in.")
    permissions: list[CustomerPermission] = strawberry.field(description="What it may see.")
    created_at: datetime = strawberry.field(description="When it was created (UTC).")
    created_by: str | None = strawberry.field(description="Who created it.")
    credential_rotated_at: datetime = strawberry.field(description="When its credential was last issued (UTC).")

    @classmethod
    def from_domain(cls, a: records.CustomerAccount) -> CustomerAccount:
        return cls(
            id=strawberry.ID(a.id),
            enabled=a.enabled,
            permissions=[CustomerPermission(p.value) for p in a.permissions],
            created_at=a.created_at,
            created_by=a.created_by,
            credential_rotated_at=a.credential_rotated_at,
        )


@strawberry.enum(description="Why something about a contact needs attention.")
class ContactWarningCode(enum.Enum):
    MISSING_EMAIL = strawberry.enum_value(
        "MISSING_EMAIL", description="No email address: nobody can communicate with the contact; it receives nothing."
    )


@strawberry.type(description="Something about a contact that needs attention; the contact is saved all the same.")
class ContactWarning:
    code: ContactWarningCode = strawberry.field(description="Stable code.")
    message: str = strawberry.field(description="For people, in the request's language.")
    field: str | None = strawberry.field(description="The contact field it concerns.")


@strawberry.type(description="A person at a customer (often an organisation).")
class Contact(RecordView, Node):
    version: int = strawberry.field(description="Incremented on every change; send it as `expectedVersion` when updating.")
    created_at: datetime = strawberry.field(description="When the contact was created (UTC).")
    updated_at: datetime = strawberry.field(description="When it last changed (UTC).")
    owner: str | None = strawberry.field(description="Who created the contact (its owner); set from the caller, never from input.")
    role: ContactRole = strawberry.field(description="MAIN or ADDITIONAL.")
    salutation: str | None = strawberry.field(description="How to address the person, e.g. 'Mr', 'Frau', 'Vážená paní'.")
    first_name: str | None = strawberry.field(description="Given name.")
    last_name: str | None = strawberry.field(description="Family name.")
    title: str | None = strawberry.field(description="Academic title, e.g. 'Ing.', 'Mgr.', 'Dr.'.")
    email: str | None = strawberry.field(description="Email address as entered; required before anyone can communicate with the contact.")
    phone: str | None = strawberry.field(description="Phone number as entered.")
    e164_phone: str | None = strawberry.field(description="The phone in E.164.")
    reminder_contact: bool = strawberry.field(
        description="Receives payment reminders (when the organisation sends them), if it has an email address."
    )
    can_communicate: bool = strawberry.field(description="False without an email address: see `warnings`.")
    record: strawberry.Private[records.Contact]

    @strawberry.field(description="Title, first and last name as one line, e.g. 'Ing. Jana Nováková'; else the email or phone.")
    def display_name(self, info: Info) -> str:
        c = self.record
        name = " ".join(x for x in (c.title, c.first_name, c.last_name) if x)
        return name or (c.email.address if c.email else None) or (c.phone.number if c.phone else "") or info.context.t(
            "unknown_customer"
        )

    @strawberry.field(description="The contact's customer account, if it has one (staff only; null for customer accounts).")
    def account(self, info: Info) -> CustomerAccount | None:
        a = self.record.account
        return CustomerAccount.from_domain(a) if a and info.context.actor.is_staff else None

    @strawberry.field(description="What needs attention, e.g. MISSING_EMAIL; empty when nothing does.")
    def warnings(self, info: Info) -> list[ContactWarning]:
        if self.record.can_communicate:
            return []
        return [
            ContactWarning(
                code=ContactWarningCode.MISSING_EMAIL, message=info.context.t("contact_missing_email"), field="email"
            )
        ]

    @strawberry.field(description="The customer this contact belongs to (null for a customer account without VIEW_CUSTOMER).")
    async def customer(self, info: Info) -> Customer | None:
        if not may_see_customer(info.context.actor, self.record.customer_id, records.CustomerPermission.VIEW_CUSTOMER):
            return None
        c = await info.context.customers.load(self.record.customer_id)
        return Customer.from_domain(c)


_view_fields(
    Contact,
    "Contact",
    owner=attrgetter("created_by"),
    role=lambda c: ContactRole(c.role.value),
    salutation=attrgetter("salutation"),
    first_name=attrgetter("first_name"),
    last_name=attrgetter("last_name"),
    title=attrgetter("title"),
    email=lambda c: c.email.address if c.email else None,
    phone=lambda c: c.phone.number if c.phone else None,
    e164_phone=lambda c: c.phone.e164 if c.phone else None,
    reminder_contact=attrgetter("reminder_contact"),
    can_communicate=attrgetter("can_communicate"),
)


# --- activities ------------------------------------------------------------------------


@strawberry.enum(description="How an activity reached the contact centre.")
class Channel(enum.Enum):
    CALL = "CALL"
    CHAT = "CHAT"
    EMAIL = "EMAIL"


@strawberry.enum(description="Who started the activity.")
class Direction(enum.Enum):
    INBOUND = strawberry.enum_value("INBOUND", description="The customer contacted the organisation.")
    OUTBOUND = strawberry.enum_value("OUTBOUND", description="The organisation contacted the customer.")


@strawberry.type(description="Who an activity came from, as received from the telephony, chat or mail system.")
class Sender:
    name: str | None = strawberry.field(description="Name as received.")
    email: str | None = strawberry.field(description="Email address as received.")
    phone: str | None = strawberry.field(description="Phone number (caller ID) as received.")
    normalized_email: str | None = strawberry.field(description="The email lower-cased, as used for matching.")
    e164_phone: str | None = strawberry.field(
        description="The phone in E.164, as used for matching; null when there is no phone or it did not parse "
        "(see phoneParsed)."
    )
    phone_parsed: bool | None = strawberry.field(
        description="Whether the caller ID is a number of the default region or of --phone-regions (or an "
        "international one): false when it is kept only as sent (a short code, 'anonymous', another country's "
        "national format), which matches nobody by number; null when there is no phone."
    )


@strawberry.type(description="An incoming or outgoing call, chat or email.")
class Activity(RecordView, Node):
    version: int = strawberry.field(description="Incremented on every change.")
    created_at: datetime = strawberry.field(description="When the service recorded it (UTC).")
    updated_at: datetime = strawberry.field(description="When it last changed (UTC).")
    created_by: str | None = strawberry.field(description="Who recorded it.")
    channel: Channel = strawberry.field(description="Call, chat or email.")
    direction: Direction = strawberry.field(description="Inbound or outbound.")
    sender: Sender = strawberry.field(description="The identifiers it arrived with.")
    subject: str | None = strawberry.field(description="Subject (emails, chat topics).")
    text: str | None = strawberry.field(description="Body, transcript or notes.")
    occurred_at: datetime = strawberry.field(description="When it happened (UTC).")
    agent_id: strawberry.ID | None = strawberry.field(description="The agent handling it.")
    associated_at: datetime | None = strawberry.field(description="When it was associated with its customer.")
    record: strawberry.Private[records.Activity]

    @strawberry.field(description="The customer it is associated with; null while unassociated.")
    async def customer(self, info: Info) -> Customer | None:
        if self.record.customer_id is None:
            return None
        if not may_see_customer(info.context.actor, self.record.customer_id, records.CustomerPermission.VIEW_CUSTOMER):
            return None
        c = await info.context.customers.load(self.record.customer_id)
        return Customer.from_domain(c) if c else None

    @strawberry.field(description="The open-list entry made for it when no customer was recognised.")
    async def open_list_entry(self, info: Info) -> OpenListEntry | None:
        if self.record.open_list_entry_id is None:
            return None
        e = await info.context.entries.load(self.record.open_list_entry_id)
        return OpenListEntry.from_domain(e) if e and may_see_entry(info.context.actor, e.agent_id) else None


_view_fields(
    Activity,
    "Activity",
    created_by=attrgetter("created_by"),
    channel=lambda a: Channel(a.channel.value),
    direction=lambda a: Direction(a.direction.value),
    sender=lambda a: Sender(
        name=a.sender.name,
        email=a.sender.email,
        phone=a.sender.phone,
        normalized_email=a.sender.email_normalized,
        e164_phone=a.sender.phone_e164,
        phone_parsed=None if a.sender.phone is None else a.sender.phone_e164 is not None,
    ),
    subject=attrgetter("subject"),
    text=attrgetter("text"),
    occurred_at=attrgetter("occurred_at"),
    agent_id=lambda a: strawberry.ID(a.agent_id) if a.agent_id else None,
    associated_at=attrgetter("associated_at"),
)


# --- the open list ---------------------------------------------------------------------


@strawberry.enum(description="Where an open-list entry stands.")
class OpenListEntryStatus(enum.Enum):
    OPEN = strawberry.enum_value("OPEN", description="Waiting on the agent's open list.")
    CREATED = strawberry.enum_value("CREATED", description="The agent created a customer from it.")
    DISCARDED = strawberry.enum_value("DISCARDED", description="The agent closed and discarded it.")
    ASSOCIATED = strawberry.enum_value(
        "ASSOCIATED", description="Its activity was associated with an existing customer instead."
    )


@strawberry.type(description="The customer information form as it opens: what the activity carried.")
class CustomerPrefill:
    first_name: str | None = strawberry.field(description="Given name, split from the received name.")
    last_name: str | None = strawberry.field(description="Family name, split from the received name.")
    email: str | None = strawberry.field(description="Email address as received.")
    phone: str | None = strawberry.field(description="Phone number as received.")


@strawberry.type(description="Why a candidate matched: one field, how, how strongly.")
class MatchReason:
    field: str = strawberry.field(description="The identifier that matched: phone, email, name, ...")
    method: str = strawberry.field(description="How it matched: EXACT, ...")
    strength: float = strawberry.field(description="How strongly, from 0 to 1.")


@strawberry.type(description="An existing customer the sender may be.")
class MatchCandidate(RecordView):
    score: float = strawberry.field(description="Confidence from 0 to 1.")
    reasons: list[MatchReason] = strawberry.field(description="What matched.")
    customer_id: strawberry.Private[str]

    @strawberry.field(description="The candidate customer.")
    async def customer(self, info: Info) -> Customer | None:
        c = await info.context.customers.load(self.customer_id)
        return Customer.from_domain(c) if c else None


_view_fields(
    MatchCandidate,
    None,
    score=attrgetter("score"),
    reasons=lambda c: [MatchReason(field=r.field, method=r.method, strength=r.strength) for r in c.reasons],
    customer_id=attrgetter("customer_id"),
)


@strawberry.type(description="A pending new customer on an agent's open list. Nothing is saved as a customer until created.")
class OpenListEntry(Node):
    version: int = strawberry.field(description="Incremented on every change.")
    created_at: datetime = strawberry.field(description="When it joined the open list (UTC).")
    updated_at: datetime = strawberry.field(description="When it last changed (UTC).")
    created_by: str | None = strawberry.field(description="Who recorded the activity that made it.")
    status: OpenListEntryStatus = strawberry.field(description="Open, or how it was resolved.")
    agent_id: strawberry.ID | None = strawberry.field(description="The agent whose open list holds it.")
    prefill: CustomerPrefill = strawberry.field(description="Pre-filled customer information.")
    candidates: list[MatchCandidate] = strawberry.field(
        description="Existing customers the sender may be, best first: pick one with associateActivity instead of creating a duplicate."
    )
    resolved_at: datetime | None = strawberry.field(description="When it was created, discarded or associated.")
    resolved_by: str | None = strawberry.field(description="Who resolved it.")
    activity_count: int = strawberry.field(
        description="How many activities the entry stands for: the sender's calls, chats and emails while it waited "
        "(the same phone, email or caller ID as sent, on the same agent's list), the first included."
    )
    record: strawberry.Private[records.OpenListEntry]

    @strawberry.field(
        description='How the gadget shows the entry: name, else email, else phone, else "Unknown customer" in the request\'s language.'
    )
    def display_name(self, info: Info) -> str:
        return entry_display_name(self.record) or info.context.t("unknown_customer")

    @strawberry.field(description="The activity that put the sender on the open list.")
    async def activity(self, info: Info) -> Activity:
        a = await info.context.activities.load(self.record.activity_id)
        return Activity.from_domain(a)

    @strawberry.field(
        description="Every activity the entry stands for, the first (activity) first. Creating a customer from the "
        "entry, or associating one of them, gives them all the customer; discarding leaves them all without one."
    )
    async def activities(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="Page size (default and maximum are settings).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> Connection[Activity]:
        ctx: Context = info.context
        page = await paged(ctx, queries.entry_activities(ctx.runtime, ctx.actor, self.record, first, cursor_in(after)))
        return connection(page, Activity.from_domain)

    @strawberry.field(description="The customer created from it (status CREATED) or associated (ASSOCIATED).")
    async def customer(self, info: Info) -> Customer | None:
        if self.record.customer_id is None:
            return None
        c = await info.context.customers.load(self.record.customer_id)
        return Customer.from_domain(c) if c else None

    @classmethod
    def from_domain(cls, e: records.OpenListEntry) -> OpenListEntry:
        p = e.prefill
        return cls(
            id=strawberry.ID(to_global_id("OpenListEntry", e.id)),
            version=e.version,
            created_at=e.created_at,
            updated_at=e.updated_at,
            created_by=e.created_by,
            status=OpenListEntryStatus(e.status.value),
            agent_id=strawberry.ID(e.agent_id) if e.agent_id else None,
            prefill=CustomerPrefill(first_name=p.first_name, last_name=p.last_name, email=p.email, phone=p.phone),
            candidates=[MatchCandidate.from_domain(c) for c in e.candidates],
            resolved_at=e.resolved_at,
            resolved_by=e.resolved_by,
            activity_count=len(e.activity_ids),
            record=e,
        )


NODE_TYPES = {"Customer": Customer, "Activity": Activity, "OpenListEntry": OpenListEntry, "Contact": Contact}
__all__ = ["NODE_TYPES", "raw_id_of"]
