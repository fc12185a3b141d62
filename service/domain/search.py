"""What customer search matches and how customer lists sort, independent of any store.

Search is by word prefix, ignoring case and diacritics: every word of the query must begin
one of the customer's search terms ("nov" finds "Nováková"; "jorgensen" finds "Jørgensen").
"""

from __future__ import annotations

from .display_name import customer_display_name
from .normalize import fold, index_terms, phone_search_terms, query_words
from .records import Customer

#: Sorts customers with no name at all after everyone else.
_LAST = "\uffff"


def query_tokens(text: str | None) -> list[str]:
    """The folded words of a search query; empty for a blank query."""
    return query_words(text) if text else []


def customer_search_terms(customer: Customer) -> set[str]:
    """Every term a search can reach: names, organisation, emails, phones, city, ids."""
    terms: set[str] = set()
    texts = [customer.first_name, customer.last_name, customer.organization_name, customer.external_id]
    if customer.address:
        texts += [customer.address.city, customer.address.postcode, customer.address.street]
    for email in customer.emails:
        texts.append(email.normalized)
    for phone in customer.phones:
        terms |= phone_search_terms(phone.number, phone.e164)
    for text in texts:
        if text:
            terms.update(index_terms(text))
    return terms


def matches(terms: set[str] | frozenset[str], tokens: list[str]) -> bool:
    """True when every query token is a prefix of some term (the reference semantics)."""
    return all(any(term.startswith(tok) for term in terms) for tok in tokens)


def customer_sort_key(customer: Customer) -> str:
    """Folded display name: the order of customer lists."""
    name = customer_display_name(customer)
    return fold(name) if name else _LAST
