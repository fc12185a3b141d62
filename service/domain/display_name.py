"""The seeds' display rule: name, else email, else phone, else "Unknown customer"."""

from __future__ import annotations

from collections.abc import Iterable

from .records import Customer, OpenListEntry


def first_present(*values: str | None) -> str | None:
    """The first non-blank value, or None when every value is blank (the unknown customer)."""
    for value in values:
        if value and value.strip():
            return value
    return None


def _first(items: Iterable[str]) -> str | None:
    return next(iter(items), None)


def customer_display_name(customer: Customer) -> str | None:
    """Person's name, else organisation name, else first email, else first phone.

    None means "Unknown customer": the caller says that in the reader's language.
    """
    return first_present(
        customer.person_name,
        customer.organization_name,
        _first(e.address for e in customer.emails),
        _first(p.number for p in customer.phones),
    )


def entry_display_name(entry: OpenListEntry) -> str | None:
    """The pending customer's name, else email, else phone; None means unknown."""
    p = entry.prefill
    name = " ".join(x for x in (p.first_name, p.last_name) if x) or None
    return first_present(name, p.email, p.phone)
