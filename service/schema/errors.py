"""Errors a client can cause, as GraphQL types in mutation payload unions.

Every error type implements `UserError` (code, message, field), so one fragment handles
them all. Codes are stable across releases; messages follow Accept-Language."""

from __future__ import annotations

import enum

import strawberry

from ..domain import errors as domain
from ..i18n import translate_beside_field
from ..observation import note_payload_error
from .ids import to_global_id
from .types import MatchCandidate, OpenListEntry

_TYPE_NAMES = {"customer": "Customer", "activity": "Activity", "open_list_entry": "OpenListEntry", "contact": "Contact"}


@strawberry.enum(description="Stable machine-readable error codes. New codes may be added; existing ones never change meaning.")
class ErrorCode(enum.Enum):
    NOT_FOUND = strawberry.enum_value("NOT_FOUND", description="No record has the id given (or it is not of the expected type).")
    FIELD_TOO_LONG = strawberry.enum_value("FIELD_TOO_LONG", description="A text field holds more than its limit (2,000 characters).")
    TOO_MANY_ITEMS = strawberry.enum_value("TOO_MANY_ITEMS", description="A list holds more items than its limit.")
    INVALID_EMAIL = strawberry.enum_value("INVALID_EMAIL", description="Not a valid email address.")
    INVALID_PHONE = strawberry.enum_value(
        "INVALID_PHONE", description="Not a valid phone number (in international form or the configured default region's)."
    )
    INVALID_VALUE = strawberry.enum_value("INVALID_VALUE", description="A value outside what the field accepts.")
    REQUIRED = strawberry.enum_value("REQUIRED", description="Something required is missing.")
    VERSION_CONFLICT = strawberry.enum_value(
        "VERSION_CONFLICT", description="The record changed since the version the client read."
    )
    ALREADY_RESOLVED = strawberry.enum_value(
        "ALREADY_RESOLVED", description="The open-list entry was already created, discarded or associated."
    )
    FORBIDDEN = strawberry.enum_value("FORBIDDEN", description="The caller's role or account does not allow this.")
    ALREADY_EXISTS = strawberry.enum_value("ALREADY_EXISTS", description="The thing to create exists already.")
    NO_ACCOUNT = strawberry.enum_value("NO_ACCOUNT", description="The contact has no customer account.")
    DUPLICATE_SUSPECTED = strawberry.enum_value(
        "DUPLICATE_SUSPECTED",
        description="Existing customers look like the one being created (duplicate policy 'block'); confirm to create anyway.",
    )


@strawberry.interface(description="An error the client can act on. Every mutation payload's error types implement it.")
class UserError:
    code: ErrorCode = strawberry.field(description="Stable code; switch on this, not on the message.")
    message: str = strawberry.field(description="For people, in the request's language (Accept-Language).")
    field: str | None = strawberry.field(
        description="The input the error concerns, as a path from the mutation's arguments inside `input` "
        "(e.g. `firstName`, `emails[1].address`, `address.city`) or an argument name (`entryId`); null for the whole request."
    )
    field_message: str = strawberry.field(
        description="The message as a form shows it beside the input `field` names: the same words without the field's "
        "path (`This is not a valid email address.` where `message` says `emails[0].address is not a valid email address.`), "
        "in the request's language. The same as `message` when that names no field."
    )


@strawberry.type(description="One problem with one field.")
class FieldError(UserError):
    limit: int | None = strawberry.field(description="The limit that was exceeded, where there is one.")


@strawberry.type(description="The input was not accepted; nothing was changed. `errors` lists every problem, the first one is also given at the top.")
class InvalidInputError(UserError):
    limit: int | None = strawberry.field(description="The limit that was exceeded by the first problem, where there is one.")
    errors: list[FieldError] = strawberry.field(description="Every problem found, so a form can mark all fields at once.")


@strawberry.type(description="No record has the id given; nothing was changed.")
class NotFoundError(UserError):
    id: str = strawberry.field(description="The id that was not found.")


@strawberry.type(description="The record was changed by someone else after the client read it; nothing was changed.")
class VersionConflictError(UserError):
    expected_version: int = strawberry.field(description="The version the client sent.")
    current_version: int = strawberry.field(description="The version stored now: reload it, reapply, retry.")


@strawberry.type(description="The open-list entry was already resolved (created, discarded or associated); nothing was changed.")
class AlreadyResolvedError(UserError):
    entry: OpenListEntry = strawberry.field(description="The entry as it is now: its status and, if created, its customer.")


@strawberry.type(
    description="Existing customers look like the one being created; nothing was created. Pick one of them "
    "(associateActivity), or send the mutation again with confirmNotDuplicate: true."
)
class DuplicateSuspectedError(UserError):
    candidates: list[MatchCandidate] = strawberry.field(description="The look-alikes, best first, with scores and reasons.")


@strawberry.type(description="The caller's role or customer account does not allow this; nothing was changed.")
class ForbiddenError(UserError):
    pass


@strawberry.type(description="The record is not in a state that allows this (e.g. the account exists already); nothing was changed.")
class StateConflictError(UserError):
    pass


def _message(ctx, key: str, params: dict, field: str | None = None) -> str:
    # Every message may name the field it concerns.
    return ctx.t(key, **{"field": field, **params})


def _beside(ctx, key: str, params: dict) -> str:
    return translate_beside_field(ctx.locale, key, **{"field": None, **params})


def to_payload_error(err: domain.UserError, ctx) -> UserError:
    """The GraphQL error type for a domain error, its message in the request's language
    (once naming the field's path, once as it reads beside the field)."""
    note_payload_error(err.code)
    code = ErrorCode(err.code)
    if isinstance(err, domain.InvalidInput):
        errors = [
            FieldError(
                code=ErrorCode(p.code),
                message=_message(ctx, p.message_key, p.params),
                field_message=_beside(ctx, p.message_key, p.params),
                field=p.field,
                limit=p.limit,
            )
            for p in err.problems
        ]
        first = errors[0]
        return InvalidInputError(
            code=first.code, message=first.message, field_message=first.field_message, field=first.field, limit=first.limit, errors=errors
        )
    if isinstance(err, domain.NotFound):
        shown = to_global_id(_TYPE_NAMES[err.kind], err.id) if err.id else err.id
        shown = err.params.get("shown_id", shown)
        message = ctx.t(err.message_key, id=shown)
        return NotFoundError(code=code, message=message, field_message=message, field=err.field, id=shown)
    if isinstance(err, domain.AlreadyResolved):
        message = ctx.t(err.message_key)
        return AlreadyResolvedError(
            code=code, message=message, field_message=message, field=err.field, entry=OpenListEntry.from_domain(err.entry)
        )
    if isinstance(err, domain.VersionConflict):
        message = _message(ctx, err.message_key, err.params)
        return VersionConflictError(
            code=code,
            message=message,
            field_message=message,
            field=err.field,
            expected_version=err.expected,
            current_version=err.current,
        )
    message = _message(ctx, err.message_key, err.params, err.field)
    beside = _beside(ctx, err.message_key, err.params)
    if err.code == "FORBIDDEN":
        return ForbiddenError(code=code, message=message, field_message=beside, field=err.field)
    if err.code in ("ALREADY_EXISTS", "NO_ACCOUNT"):
        return StateConflictError(code=code, message=message, field_message=beside, field=err.field)
    if err.code == "DUPLICATE_SUSPECTED":
        return DuplicateSuspectedError(
            code=code,
            message=message,
            field_message=beside,
            field=None,
            candidates=[MatchCandidate.from_domain(c) for c in err.candidates],
        )
    return FieldError(code=code, message=message, field_message=beside, field=err.field, limit=None)


def not_found(kind: str, sent_id: str, field: str) -> domain.NotFound:
    """A NotFound for an id that is not even one of ours: report it exactly as sent."""
    err = domain.NotFound(kind, sent_id, field=field)
    err.params["shown_id"] = sent_id
    return err


