"""Field checks shared by every input: text length, list length. Collects, never stops early,
so a form can show every problem next to its field at once."""

from __future__ import annotations

import re

from .errors import Problem
from .limits import MAX_TEXT_LENGTH
from .normalize import InvalidIdentifier, normalize_email, normalize_phone, phone_example
from .readable_text import BIDI_CONTROLS, only_invisible, without_bidi_controls
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

    def name(self, field: str, value: str | None, *, neutralise: bool = False) -> str | None:
        """A name or a part of one (first, last, organisation, salutation, title): text (see
        `text`) that reads as what it is. A form's name with a bidirectional control character
        (it can make the name show as another) or of invisible characters only (it looks blank
        but is not) is refused, INVALID_VALUE, so the person typing sees why. With `neutralise`,
        for names that arrive from telephony, chat or mail (an activity is recorded whatever
        its sender sent) and for search input, the controls are removed instead and a name
        left invisible becomes None."""
        text = self.text(field, value)
        if text is None:
            return None
        if neutralise:
            text = without_bidi_controls(text).strip()
            return None if not text or only_invisible(text) else text
        if (bad := BIDI_CONTROLS.search(value or "")) is not None:
            self.add("INVALID_VALUE", "bidi_control", field, position=bad.start() + 1)
            return None
        if only_invisible(text):
            self.add("INVALID_VALUE", "invisible_name", field)
            return None
        return text

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
            # A form can ask its user again: say how the number must be written instead.
            region_code = (region or "").strip().upper()
            example = phone_example(region_code) if region_code else "+49 30 12345678"
            self.add("INVALID_PHONE", "invalid_phone", field, region=region_code or "-", example=example)
            return None
