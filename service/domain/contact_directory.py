"""What the contact directory means, independent of any store: which attributes a search
looks in, how every column sorts (by the reader's language), and the reference matching
rule that store indexes must agree with."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .collation import sort_key
from .normalize import index_terms, phone_search_terms
from .records import Contact, ContactRole


class ContactField(enum.Enum):
    """Attributes a directory search can look in (the advanced filter)."""

    SALUTATION = "SALUTATION"
    FIRST_NAME = "FIRST_NAME"
    LAST_NAME = "LAST_NAME"
    TITLE = "TITLE"
    EMAIL = "EMAIL"
    PHONE = "PHONE"


class ContactSort(enum.Enum):
    """Columns the directory sorts by."""

    LAST_NAME = "LAST_NAME"  # then first name
    FIRST_NAME = "FIRST_NAME"  # then last name
    SALUTATION = "SALUTATION"
    TITLE = "TITLE"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    CUSTOMER = "CUSTOMER"  # the customer's display name
    ROLE = "ROLE"  # MAIN before ADDITIONAL, then by name
    REMINDER_CONTACT = "REMINDER_CONTACT"  # reminder contacts first, then by name
    OWNER = "OWNER"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"


#: Sorts whose keys depend on the reader's language.
LANGUAGE_SENSITIVE = frozenset(ContactSort) - {ContactSort.CREATED_AT, ContactSort.UPDATED_AT, ContactSort.PHONE}


@dataclass(frozen=True, slots=True)
class ContactQuery:
    """One directory request. Every given filter must hold; `tokens` are folded words
    (`service.domain.search.query_tokens`), each the prefix of a term in one of `search_in`
    (all searchable attributes when None)."""

    tokens: tuple[str, ...] = ()
    search_in: frozenset[ContactField] | None = None
    customer_id: str | None = None
    role: ContactRole | None = None
    reminder_contact: bool | None = None
    can_communicate: bool | None = None
    order: ContactSort = ContactSort.LAST_NAME
    descending: bool = False
    locale: str = "en"

    @property
    def sort_locale(self) -> str:
        """The locale the order depends on ('' when it does not), for index and cursor keys."""
        return self.locale if self.order in LANGUAGE_SENSITIVE else ""


def contact_terms(contact: Contact) -> dict[ContactField, set[str]]:
    """Search terms per attribute: folded words (`index_terms`), and for the phone every
    form a person may search it by (`phone_search_terms`)."""
    terms = {
        ContactField.SALUTATION: set(index_terms(contact.salutation or "")),
        ContactField.FIRST_NAME: set(index_terms(contact.first_name or "")),
        ContactField.LAST_NAME: set(index_terms(contact.last_name or "")),
        ContactField.TITLE: set(index_terms(contact.title or "")),
        ContactField.EMAIL: set(index_terms(contact.email.normalized)) if contact.email else set(),
        ContactField.PHONE: set(),
    }
    if contact.phone:
        terms[ContactField.PHONE] = phone_search_terms(contact.phone.number, contact.phone.e164)
    return terms


def matches(contact: Contact, query: ContactQuery) -> bool:
    """The reference rule: every filter holds and every token begins a term of a chosen
    attribute. Stores answer with indexes; their answers must equal this."""
    if query.customer_id is not None and contact.customer_id != query.customer_id:
        return False
    if query.role is not None and contact.role is not query.role:
        return False
    if query.reminder_contact is not None and contact.reminder_contact != query.reminder_contact:
        return False
    if query.can_communicate is not None and contact.can_communicate != query.can_communicate:
        return False
    if not query.tokens:
        return True
    fields = query.search_in or frozenset(ContactField)
    terms = contact_terms(contact)
    pool = set().union(*(terms[f] for f in fields))
    return all(any(t.startswith(tok) for t in pool) for tok in query.tokens)


_SEP = "\x00"  # below every collation weight: "Nová" + sep sorts before "Nováček"


def _name(first: str | None, last: str | None, locale: str) -> str:
    return sort_key(first, locale) + _SEP + sort_key(last, locale)


def contact_sort_key(contact: Contact, customer_name: str | None, order: ContactSort, locale: str) -> str:
    """The string whose plain order is the column's order for a reader of `locale`."""
    c = contact
    by_last = _name(c.last_name, c.first_name, locale)
    if order is ContactSort.LAST_NAME:
        return by_last
    if order is ContactSort.FIRST_NAME:
        return _name(c.first_name, c.last_name, locale)
    if order is ContactSort.SALUTATION:
        return sort_key(c.salutation, locale) + _SEP + by_last
    if order is ContactSort.TITLE:
        return sort_key(c.title, locale) + _SEP + by_last
    if order is ContactSort.EMAIL:
        return sort_key(c.email.normalized if c.email else None, locale)
    if order is ContactSort.PHONE:
        return c.phone.e164 if c.phone else "\uffff"
    if order is ContactSort.CUSTOMER:
        return sort_key(customer_name, locale) + _SEP + by_last
    if order is ContactSort.ROLE:
        return ("0" if c.role is ContactRole.MAIN else "1") + by_last
    if order is ContactSort.REMINDER_CONTACT:
        return ("0" if c.reminder_contact else "1") + by_last
    if order is ContactSort.OWNER:
        return sort_key(c.created_by, locale) + _SEP + by_last
    if order is ContactSort.CREATED_AT:
        return c.created_at.isoformat(timespec="microseconds")
    return c.updated_at.isoformat(timespec="microseconds")
