"""Mutations: translate GraphQL input to a use case call and its result or error to a payload."""

from __future__ import annotations

import enum
import functools
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from ..domain.errors import UserError as DomainUserError
from ..domain import records
from ..usecases import accounts, activities, associate, contacts, customers, open_list
from .errors import (
    AlreadyResolvedError,
    DuplicateSuspectedError,
    ForbiddenError,
    StateConflictError,
    InvalidInputError,
    NotFoundError,
    VersionConflictError,
    not_found,
    to_payload_error,
)
from .ids import raw_id_of
from .inputs import ContactInput, CustomerInput, RecordActivityInput
from .types import Activity, Contact, Customer, CustomerPermission, MatchCandidate, OpenListEntry


def _raw(global_id: str, type_name: str, field: str) -> str:
    raw = raw_id_of(global_id, type_name)
    if raw is None:
        kind = {"Customer": "customer", "Activity": "activity", "OpenListEntry": "open_list_entry", "Contact": "contact"}[type_name]
        raise not_found(kind, global_id, field)
    return raw


def _payload_errors(resolver: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """A mutation resolver whose use case's UserError becomes the payload's error type
    (NotFoundError, InvalidInputError, ...) instead of a top-level error. The wrapper keeps
    the resolver's signature and annotations (functools.wraps), which Strawberry reads."""

    @functools.wraps(resolver)
    async def resolve(self: Any, info: Info, **arguments: Any) -> Any:
        try:
            return await resolver(self, info, **arguments)
        except DomainUserError as err:
            return to_payload_error(err, info.context)

    return resolve


@strawberry.enum(description="What recordActivity did with the activity.")
class RecordActivityOutcome(enum.Enum):
    ASSOCIATED = strawberry.enum_value("ASSOCIATED", description="A customer was recognised; the activity is associated with it.")
    ADDED_TO_OPEN_LIST = strawberry.enum_value(
        "ADDED_TO_OPEN_LIST", description="No customer was recognised with confidence; a pending customer joined the open list."
    )


@strawberry.type(description="The activity was recorded.")
class RecordActivitySuccess:
    outcome: RecordActivityOutcome = strawberry.field(description="Associated with a customer, or added to the open list.")
    activity: Activity = strawberry.field(description="The recorded activity.")
    customer: Customer | None = strawberry.field(description="The recognised customer (outcome ASSOCIATED).")
    open_list_entry: OpenListEntry | None = strawberry.field(description="The pending customer (outcome ADDED_TO_OPEN_LIST).")
    candidates: list[MatchCandidate] = strawberry.field(description="Every candidate the matching strategy found, best first.")

    @classmethod
    def of(cls, recorded: Any) -> Any:
        """From what recording an activity gave: the use case's result, or the
        ActivityRecorded event that the screen pop (a subclass) carries."""
        return cls(
            outcome=RecordActivityOutcome(recorded.outcome.value),
            activity=Activity.from_domain(recorded.activity),
            customer=Customer.from_domain(recorded.customer) if recorded.customer else None,
            open_list_entry=OpenListEntry.from_domain(recorded.entry) if recorded.entry else None,
            candidates=[MatchCandidate.from_domain(c) for c in recorded.candidates],
        )


@strawberry.type(description="The customer was created from the open-list entry.")
class CreateCustomerFromOpenListSuccess:
    customer: Customer = strawberry.field(description="The new customer.")
    activity: Activity = strawberry.field(description="The entry's activity, now associated with the customer.")
    entry: OpenListEntry = strawberry.field(description="The entry, now CREATED and off the open list.")
    duplicates: list[MatchCandidate] = strawberry.field(
        description="Existing customers that look like the new one (score at least the duplicate threshold): check them."
    )


@strawberry.type(description="The entry was discarded; no customer was created.")
class DiscardOpenListEntrySuccess:
    entry: OpenListEntry = strawberry.field(description="The entry, now DISCARDED and off the open list.")
    activity: Activity = strawberry.field(description="Its activity, still unassociated.")


@strawberry.type(description="The customer was created.")
class CreateCustomerSuccess:
    customer: Customer = strawberry.field(description="The new customer.")
    activity: Activity | None = strawberry.field(description="The activity given, now associated with the customer.")
    duplicates: list[MatchCandidate] = strawberry.field(
        description="Existing customers that look like the new one (score at least the duplicate threshold): check them."
    )


@strawberry.type(description="The customer was updated.")
class UpdateCustomerSuccess:
    customer: Customer = strawberry.field(description="The customer as now stored, with its new version.")


@strawberry.type(description="The activity is associated with the customer.")
class AssociateActivitySuccess:
    activity: Activity = strawberry.field(description="The activity, associated.")
    customer: Customer = strawberry.field(description="Its customer.")


@strawberry.type(description="The contact was added.")
class AddContactSuccess:
    contact: Contact = strawberry.field(description="The new contact; its owner is the caller.")
    customer: Customer = strawberry.field(description="Its customer.")


@strawberry.type(description="The contact was updated.")
class UpdateContactSuccess:
    contact: Contact = strawberry.field(description="The contact as now stored, with its new version.")


@strawberry.type(description="The contact was removed.")
class RemoveContactSuccess:
    removed_contact_id: strawberry.ID = strawberry.field(description="The id the contact had.")
    customer: Customer = strawberry.field(description="The customer it belonged to.")


AddContactPayload = Annotated[
    AddContactSuccess | InvalidInputError | NotFoundError | ForbiddenError,
    strawberry.union("AddContactPayload", description="The new contact, or why nothing was added."),
]
UpdateContactPayload = Annotated[
    UpdateContactSuccess | InvalidInputError | NotFoundError | VersionConflictError | ForbiddenError,
    strawberry.union("UpdateContactPayload", description="The updated contact, or why nothing changed."),
]
RemoveContactPayload = Annotated[
    RemoveContactSuccess | NotFoundError | ForbiddenError,
    strawberry.union("RemoveContactPayload", description="What was removed, or why nothing was."),
]
@strawberry.type(description="The customer account's new state.")
class CustomerAccountSuccess:
    contact: Contact = strawberry.field(description="The contact, with its `account`.")


@strawberry.type(description="A credential was issued: hand it to the person now, it is never shown again.")
class CustomerAccountCredentialSuccess:
    contact: Contact = strawberry.field(description="The contact, with its `account`.")
    credential: str = strawberry.field(
        description="The login token (send as Authorization: Bearer ...). Stored only as a hash: shown this once."
    )


CustomerAccountPayload = Annotated[
    CustomerAccountSuccess | NotFoundError | StateConflictError | InvalidInputError | ForbiddenError,
    strawberry.union("CustomerAccountPayload", description="The account's new state, or why nothing changed."),
]
CustomerAccountCredentialPayload = Annotated[
    CustomerAccountCredentialSuccess | NotFoundError | StateConflictError | InvalidInputError | ForbiddenError,
    strawberry.union("CustomerAccountCredentialPayload", description="A new credential, or why none was issued."),
]
RecordActivityPayload = Annotated[
    RecordActivitySuccess | InvalidInputError | ForbiddenError,
    strawberry.union("RecordActivityPayload", description="recordActivity's result or why nothing was recorded."),
]
CreateCustomerFromOpenListPayload = Annotated[
    CreateCustomerFromOpenListSuccess | InvalidInputError | NotFoundError | AlreadyResolvedError | DuplicateSuspectedError | ForbiddenError,
    strawberry.union("CreateCustomerFromOpenListPayload", description="The new customer, or why nothing was created."),
]
DiscardOpenListEntryPayload = Annotated[
    DiscardOpenListEntrySuccess | NotFoundError | AlreadyResolvedError | ForbiddenError,
    strawberry.union("DiscardOpenListEntryPayload", description="The discarded entry, or why nothing changed."),
]
CreateCustomerPayload = Annotated[
    CreateCustomerSuccess | InvalidInputError | NotFoundError | DuplicateSuspectedError | ForbiddenError,
    strawberry.union("CreateCustomerPayload", description="The new customer, or why nothing was created."),
]
UpdateCustomerPayload = Annotated[
    UpdateCustomerSuccess | InvalidInputError | NotFoundError | VersionConflictError | ForbiddenError,
    strawberry.union("UpdateCustomerPayload", description="The updated customer, or why nothing changed."),
]
AssociateActivityPayload = Annotated[
    AssociateActivitySuccess | NotFoundError | ForbiddenError,
    strawberry.union("AssociateActivityPayload", description="The associated activity, or why nothing changed."),
]


@strawberry.type(description="Changes. Each returns a union of a success type and error types implementing UserError.")
class Mutation:
    @strawberry.mutation(
        description="An incoming call, chat or email arrives. A confidently recognised customer gets the activity; "
        "otherwise a pending new customer, pre-filled from the sender, joins the agent's open list."
    )
    @_payload_errors
    async def record_activity(
        self, info: Info, input: Annotated[RecordActivityInput, strawberry.argument(description="The activity.")]
    ) -> RecordActivityPayload:
        ctx = info.context
        return RecordActivitySuccess.of(await activities.record_activity(ctx.runtime, ctx.actor, input.to_draft()))

    @strawberry.mutation(
        description="Create on the customer information form of an open-list entry: saves the customer (from `input`, "
        "or the pre-filled data when `input` is left out), associates the entry's activity with it and takes the entry "
        "off the open list. Repeating it creates no second customer: it returns ALREADY_RESOLVED with the entry."
    )
    @_payload_errors
    async def create_customer_from_open_list(
        self,
        info: Info,
        entry_id: Annotated[strawberry.ID, strawberry.argument(description="The open-list entry.")],
        input: Annotated[
            CustomerInput | None,
            strawberry.argument(description="The form as the agent confirmed it; left out, the pre-filled data."),
        ] = None,
        confirm_not_duplicate: Annotated[
            bool, strawberry.argument(description="Create even if existing customers look like this one (policy 'block').")
        ] = False,
    ) -> CreateCustomerFromOpenListPayload:
        ctx = info.context
        raw = _raw(entry_id, "OpenListEntry", "entryId")
        draft = input.to_draft() if input is not None else None
        customer, activity, entry, duplicates = await open_list.create_from_open_list(
            ctx.runtime, ctx.actor, raw, draft, confirmed=confirm_not_duplicate
        )
        return CreateCustomerFromOpenListSuccess(
            customer=Customer.from_domain(customer),
            activity=Activity.from_domain(activity),
            entry=OpenListEntry.from_domain(entry),
            duplicates=[MatchCandidate.from_domain(c) for c in duplicates],
        )

    @strawberry.mutation(
        description="Close, then Discard: the entry leaves the open list, no customer is created, and its activity stays unassociated."
    )
    @_payload_errors
    async def discard_open_list_entry(
        self, info: Info, entry_id: Annotated[strawberry.ID, strawberry.argument(description="The open-list entry.")]
    ) -> DiscardOpenListEntryPayload:
        ctx = info.context
        entry = await open_list.discard(ctx.runtime, ctx.actor, _raw(entry_id, "OpenListEntry", "entryId"))
        activity = await ctx.activities.load(entry.activity_id)
        return DiscardOpenListEntrySuccess(entry=OpenListEntry.from_domain(entry), activity=Activity.from_domain(activity))

    @strawberry.mutation(
        description="Create in the customer management pane. Given an activity, it is associated with the new customer "
        "(and leaves the open list if it was waiting there)."
    )
    @_payload_errors
    async def create_customer(
        self,
        info: Info,
        input: Annotated[CustomerInput, strawberry.argument(description="The customer information form.")],
        activity_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="An activity to associate with the new customer.")
        ] = None,
        confirm_not_duplicate: Annotated[
            bool, strawberry.argument(description="Create even if existing customers look like this one (policy 'block').")
        ] = False,
    ) -> CreateCustomerPayload:
        ctx = info.context
        raw_activity = _raw(activity_id, "Activity", "activityId") if activity_id is not None else None
        customer, activity, duplicates = await customers.create_customer(
            ctx.runtime, ctx.actor, input.to_draft(), raw_activity, confirmed=confirm_not_duplicate
        )
        return CreateCustomerSuccess(
            customer=Customer.from_domain(customer),
            activity=Activity.from_domain(activity) if activity else None,
            duplicates=[MatchCandidate.from_domain(c) for c in duplicates],
        )

    @strawberry.mutation(
        description="Change a customer. Send the version you read; if someone changed it since, you get VERSION_CONFLICT "
        "with the current version and nothing is overwritten. Fields left out of `input` keep their values."
    )
    @_payload_errors
    async def update_customer(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The customer.")],
        expected_version: Annotated[int, strawberry.argument(description="The `version` you read.")],
        input: Annotated[CustomerInput, strawberry.argument(description="The fields to change.")],
    ) -> UpdateCustomerPayload:
        ctx = info.context
        raw = _raw(id, "Customer", "id")
        customer = await customers.update_customer(ctx.runtime, ctx.actor, raw, expected_version, input.to_draft())
        return UpdateCustomerSuccess(customer=Customer.from_domain(customer))

    @strawberry.mutation(
        description="Associate an unassociated activity with a customer, or move it to another customer. If the activity "
        "waits on the open list, its entry leaves the list as ASSOCIATED (the agent picked an existing customer)."
    )
    @_payload_errors
    async def associate_activity(
        self,
        info: Info,
        activity_id: Annotated[strawberry.ID, strawberry.argument(description="The activity.")],
        customer_id: Annotated[strawberry.ID, strawberry.argument(description="The customer.")],
    ) -> AssociateActivityPayload:
        ctx = info.context
        activity, customer = await associate.associate_activity(
            ctx.runtime,
            ctx.actor,
            _raw(activity_id, "Activity", "activityId"),
            _raw(customer_id, "Customer", "customerId"),
        )
        return AssociateActivitySuccess(activity=Activity.from_domain(activity), customer=Customer.from_domain(customer))

    @strawberry.mutation(description="Add a contact to a customer (\"Add main/additional contact\"). The caller becomes its owner.")
    @_payload_errors
    async def add_contact(
        self,
        info: Info,
        customer_id: Annotated[strawberry.ID, strawberry.argument(description="The customer.")],
        input: Annotated[ContactInput, strawberry.argument(description="The contact.")],
    ) -> AddContactPayload:
        ctx = info.context
        raw = _raw(customer_id, "Customer", "customerId")
        contact, customer = await contacts.add_contact(ctx.runtime, ctx.actor, raw, input.to_draft())
        return AddContactSuccess(contact=Contact.from_domain(contact), customer=Customer.from_domain(customer))

    @strawberry.mutation(
        description="Edit a contact, or move it between MAIN and ADDITIONAL by sending `role`. Send the version you read; "
        "a stale one is VERSION_CONFLICT and nothing is overwritten. Fields left out keep their values."
    )
    @_payload_errors
    async def update_contact(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The contact.")],
        expected_version: Annotated[int, strawberry.argument(description="The `version` you read.")],
        input: Annotated[ContactInput, strawberry.argument(description="The fields to change.")],
    ) -> UpdateContactPayload:
        ctx = info.context
        contact = await contacts.update_contact(
            ctx.runtime, ctx.actor, _raw(id, "Contact", "id"), expected_version, input.to_draft()
        )
        return UpdateContactSuccess(contact=Contact.from_domain(contact))

    @strawberry.mutation(description="Remove a contact from its customer.")
    @_payload_errors
    async def remove_contact(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The contact.")]
    ) -> RemoveContactPayload:
        ctx = info.context
        contact = await contacts.remove_contact(ctx.runtime, ctx.actor, _raw(id, "Contact", "id"))
        customer = await ctx.customers.load(contact.customer_id)
        return RemoveContactSuccess(removed_contact_id=id, customer=Customer.from_domain(customer))

    @strawberry.mutation(
        description="Give a contact a customer account (administrators): a login that sees its own customer's data "
        "within `permissions` and nothing else. The credential is in the answer, once."
    )
    @_payload_errors
    async def create_customer_account(
        self,
        info: Info,
        contact_id: Annotated[strawberry.ID, strawberry.argument(description="The contact.")],
        permissions: Annotated[list[CustomerPermission], strawberry.argument(description="What the account may see.")],
    ) -> CustomerAccountCredentialPayload:
        ctx = info.context
        granted = [records.CustomerPermission(p.value) for p in permissions]
        contact, token = await accounts.create_account(ctx.runtime, ctx.actor, _raw(contact_id, "Contact", "contactId"), granted)
        return CustomerAccountCredentialSuccess(contact=Contact.from_domain(contact), credential=token)

    @strawberry.mutation(description="Issue a new credential for a contact's account (administrators); the old one stops working.")
    @_payload_errors
    async def rotate_customer_account_credential(
        self, info: Info, contact_id: Annotated[strawberry.ID, strawberry.argument(description="The contact.")]
    ) -> CustomerAccountCredentialPayload:
        ctx = info.context
        contact, token = await accounts.rotate_credential(ctx.runtime, ctx.actor, _raw(contact_id, "Contact", "contactId"))
        return CustomerAccountCredentialSuccess(contact=Contact.from_domain(contact), credential=token)

    @strawberry.mutation(description="Disable (enabled: false) or re-enable a contact's account (administrators).")
    @_payload_errors
    async def set_customer_account_enabled(
        self,
        info: Info,
        contact_id: Annotated[strawberry.ID, strawberry.argument(description="The contact.")],
        enabled: Annotated[bool, strawberry.argument(description="false: the account cannot log in.")],
    ) -> CustomerAccountPayload:
        ctx = info.context
        contact = await accounts.set_enabled(ctx.runtime, ctx.actor, _raw(contact_id, "Contact", "contactId"), enabled)
        return CustomerAccountSuccess(contact=Contact.from_domain(contact))

    @strawberry.mutation(description="Change what a contact's account may see (administrators).")
    @_payload_errors
    async def set_customer_account_permissions(
        self,
        info: Info,
        contact_id: Annotated[strawberry.ID, strawberry.argument(description="The contact.")],
        permissions: Annotated[list[CustomerPermission], strawberry.argument(description="What the account may see.")],
    ) -> CustomerAccountPayload:
        ctx = info.context
        granted = [records.CustomerPermission(p.value) for p in permissions]
        contact = await accounts.set_permissions(ctx.runtime, ctx.actor, _raw(contact_id, "Contact", "contactId"), granted)
        return CustomerAccountSuccess(contact=Contact.from_domain(contact))
