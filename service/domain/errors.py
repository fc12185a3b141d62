"""Typed errors a user can cause.

Every error carries a stable `code` (the contract with frontends, never translated), the
input `field` it concerns (a path relative to the mutation's arguments, e.g. `firstName`,
`address.city`, `emails[1]`, `activityId`) and a message key plus parameters. The words a
person reads are chosen later, in the request's language, by `service.i18n`.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one input field."""

    code: str
    message_key: str
    field: str | None = None
    params: dict[str, Any] = dc_field(default_factory=dict)
    limit: int | None = None


class UserError(Exception):
    """Base of every error a client can cause; use cases raise these, resolvers translate."""

    code: str = "INVALID_VALUE"

    def __init__(self, message_key: str, *, field: str | None = None, code: str | None = None, **params: Any) -> None:
        super().__init__(message_key)
        if code is not None:
            self.code = code
        self.message_key = message_key
        self.field = field
        self.params = params


class InvalidInput(UserError):
    """One or more fields failed validation; `problems` lists all of them, first one first."""

    def __init__(self, problems: list[Problem]) -> None:
        assert problems, "InvalidInput needs at least one problem"
        first = problems[0]
        params = {k: v for k, v in first.params.items() if k != "field"}
        super().__init__(first.message_key, field=first.field, **params)
        self.code = first.code
        self.problems = problems


class NotFound(UserError):
    code = "NOT_FOUND"

    def __init__(self, kind: str, id: str, *, field: str) -> None:
        super().__init__(f"{kind}_not_found", field=field, id=id)
        self.kind = kind
        self.id = id


class VersionConflict(UserError):
    code = "VERSION_CONFLICT"

    def __init__(self, *, expected: int, current: int, field: str = "expectedVersion") -> None:
        super().__init__("version_conflict", field=field, expected=expected, current=current)
        self.expected = expected
        self.current = current


class AlreadyResolved(UserError):
    """The open-list entry was created, discarded or associated before this request."""

    code = "ALREADY_RESOLVED"

    def __init__(self, entry: Any, *, field: str = "entryId") -> None:
        key = {
            "CREATED": "already_created",
            "DISCARDED": "already_discarded",
            "ASSOCIATED": "already_associated",
        }[entry.status.value]
        super().__init__(key, field=field)
        self.entry = entry
