"""Field checks shared by every input: text length, list length. Collects, never stops early,
so a form can show every problem next to its field at once."""

from __future__ import annotations

from .errors import Problem
from .limits import MAX_TEXT_LENGTH


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
