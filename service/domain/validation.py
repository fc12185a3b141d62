"""Field checks shared by every input: text length, list length. Collects, never stops early,
so a form can show every problem next to its field at once."""

from __future__ import annotations

import re

from .errors import Problem
from .limits import MAX_TEXT_LENGTH
from .normalize import InvalidIdentifier, normalize_email, normalize_phone
from .records import EmailAddress, PhoneNumber


#: What no stored text may hold: lone UTF-16 surrogates (JSON can carry "\\ud800"; no
#: encoding can store or send it on) and control characters other than tab and line breaks.
NOT_TEXT = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Problems(list[Problem]):
    """An accumulator of field problems."""

    def text(self, field: str, value: str | None, *, strip: bool = True) -> str | None:
        """Check one optional text value; returns it trimmed, None when blank."""
        if value is None:
            return None
        if len(value) > MAX_TEXT_LENGTH:
            self.append(
                Problem(
                    "FIELD_TOO_LONG",
                    "field_too_long",
                    field,
                    {"field": field, "limit": MAX_TEXT_LENGTH, "length": len(value)},
                    MAX_TEXT_LENGTH,
                )
            )
            return None
        if (bad := NOT_TEXT.search(value)) is not None:
            self.add("INVALID_VALUE", "invalid_characters", field, position=bad.start() + 1)
            return None
        if strip:
            value = value.strip()
        return value or None

    def count(self, field: str, items: list | tuple | None, limit: int) -> bool:
        """False (and a problem) when a list holds more than `limit` items."""
        if items is not None and len(items) > limit:
            self.append(
                Problem(
                    "TOO_MANY_ITEMS",
                    "too_many_items",
                    field,
                    {"field": field, "limit": limit, "count": len(items)},
                    limit,
                )
            )
            return False
        return True

    def add(self, code: str, message_key: str, field: str | None, /, **params) -> None:
        self.append(Problem(code, message_key, field, {"field": field, **params} if field else params))

    def email(self, field: str, raw: str | None, label: str | None = None) -> EmailAddress | None:
        """A checked, normalised email address; None when blank or invalid (with a problem)."""
        address = self.text(field, raw)
        if address is None:
            return None
        try:
            return EmailAddress(address, normalize_email(address), label)
        except InvalidIdentifier:
            self.add("INVALID_EMAIL", "invalid_email", field)
            return None

    def phone(self, field: str, raw: str | None, region: str | None, label: str | None = None) -> PhoneNumber | None:
        """A checked phone number with its E.164 form; None when blank or invalid (with a problem)."""
        number = self.text(field, raw)
        if number is None:
            return None
        try:
            return PhoneNumber(number, normalize_phone(number, region), label)
        except InvalidIdentifier:
            self.add("INVALID_PHONE", "invalid_phone", field)
            return None
