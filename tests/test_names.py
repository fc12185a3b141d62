"""Names a person can read (issue 14, item 8), through HTTP: a name of invisible characters
only, or one with a bidirectional control, is refused on its field in the request's
language; an activity's sender name is neutralised, never refused, so every call is
recorded. The character rules themselves: tests/test_domain_rules.py."""

from __future__ import annotations

import pytest

from .helpers import ERROR_FIELDS, RECORD, create_customer

INVALID = "mutation($i: CustomerInput!) { createCustomer(input: $i) { __typename ... on InvalidInputError { errors { code field message fieldMessage } } } }"
ADD_CONTACT = (
    """
mutation($customerId: ID!, $input: ContactInput!) {
  addContact(customerId: $customerId, input: $input) {
    __typename
    ... on AddContactSuccess { contact { id firstName lastName } }
"""
    + ERROR_FIELDS
    + "}}"
)
UPDATE = (
    """
mutation($id: ID!, $v: Int!, $input: CustomerInput!) {
  updateCustomer(id: $id, expectedVersion: $v, input: $input) {
    __typename
    ... on UpdateCustomerSuccess { customer { organizationName } }
"""
    + ERROR_FIELDS
    + "}}"
)

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
RLO = "\u202e"

#: A word of each language's message, so a test fails when a language falls back to English.
WORDS = {
    "en": ("invisible characters", "direction of text"),
    "cs": ("neviditelné znaky", "směr textu"),
    "sk": ("neviditeľné znaky", "smer textu"),
    "de": ("unsichtbare Zeichen", "Schreibrichtung"),
    "nb": ("usynlige tegn", "tekstretningen"),
    "sr-Latn": ("nevidljive znakove", "smer teksta"),
}


@pytest.mark.parametrize("lang", list(WORDS))
def test_an_invisible_name_and_a_direction_override_are_refused_on_their_fields_in_every_language(gql, lang):
    result = gql(INVALID, {"i": {"firstName": ZERO_WIDTH, "lastName": f"Nov{RLO}ák", "emails": [{"address": "jan@example.cz"}]}}, lang=lang)
    result = result["createCustomer"]
    assert result["__typename"] == "InvalidInputError"
    invisible, bidi = result["errors"]
    assert (invisible["code"], invisible["field"], bidi["code"], bidi["field"]) == ("INVALID_VALUE", "firstName", "INVALID_VALUE", "lastName")
    invisible_word, bidi_word = WORDS[lang]
    assert "firstName" in invisible["message"] and invisible_word in invisible["message"]
    assert "lastName" in bidi["message"] and bidi_word in bidi["message"]
    assert "4" in bidi["message"] and "4" in bidi["fieldMessage"]  # the override's position
    assert "firstName" not in invisible["fieldMessage"] and "lastName" not in bidi["fieldMessage"]
    # Nothing was created.
    assert gql("{ customers { totalCount } }")["customers"]["totalCount"] == 0


def test_every_name_field_of_customers_and_contacts_is_checked(gql):
    customer = create_customer(gql, organizationName="ACME s.r.o.")
    renamed = gql(UPDATE, {"id": customer["id"], "v": customer["version"], "input": {"organizationName": "\u00ad\u2060"}})["updateCustomer"]
    assert renamed["__typename"] == "InvalidInputError" and renamed["errors"][0]["field"] == "organizationName"
    contact = {"salutation": f"{RLO}Mr", "firstName": "\u0301", "lastName": "Dvořák", "title": "\u2066Ing.\u2069"}
    added = gql(ADD_CONTACT, {"customerId": customer["id"], "input": contact})["addContact"]
    assert added["__typename"] == "InvalidInputError"
    assert [(e["code"], e["field"]) for e in added["errors"]] == [
        ("INVALID_VALUE", "salutation"), ("INVALID_VALUE", "firstName"), ("INVALID_VALUE", "title")
    ]
    # Readable names pass: a zero-width non-joiner inside a Persian name, Hebrew without controls.
    fine = gql(ADD_CONTACT, {"customerId": customer["id"], "input": {"firstName": "\u0645\u06cc\u200c\u0631\u0648\u0632", "lastName": "\u05d3\u05d5\u05d3"}})
    assert fine["addContact"]["__typename"] == "AddContactSuccess"


def test_a_sender_name_is_neutralised_so_the_call_is_always_recorded(gql):
    def record(name, phone):
        variables = {"input": {"channel": "CALL", "agentId": "agent-1", "sender": {"name": name, "phone": phone}}}
        result = gql(RECORD, variables)["recordActivity"]
        assert result["__typename"] == "RecordActivitySuccess", result
        return result

    overridden = record(f"{RLO}kávoN naJ\u202c", "+420 601 222 333")
    assert overridden["activity"]["sender"]["name"] == "kávoN naJ"  # shown as received, minus the override
    assert overridden["openListEntry"]["displayName"] == "kávoN naJ"
    # Another caller: the same one again would join the first entry (one entry per sender).
    blank = record(ZERO_WIDTH, "+420 601 222 444")
    assert blank["activity"]["sender"]["name"] is None
    assert blank["openListEntry"]["displayName"] == "+420 601 222 444"  # the display rule's next identifier
    # Creating the customer from it takes the pre-filled data, which holds no control either.
    created = gql(
        "mutation($e: ID!) { createCustomerFromOpenList(entryId: $e) { __typename ... on CreateCustomerFromOpenListSuccess { customer { firstName lastName } } } }",
        {"e": overridden["openListEntry"]["id"]},
    )["createCustomerFromOpenList"]
    assert created["customer"] == {"firstName": "kávoN", "lastName": "naJ"}


def test_matching_input_is_neutralised_like_a_sender_not_refused(gql):
    customer = create_customer(gql, firstName="Jan", lastName="Novák", phones=[{"number": "+420 601 222 333"}])
    query = "query($n: String) { matchCustomers(identity: {name: $n, phone: \"+420601222333\"}) { customer { id } } }"
    for name in (f"{RLO}Jan Novák", ZERO_WIDTH):
        found = gql(query, {"n": name})
        assert [c["customer"]["id"] for c in found["matchCustomers"]] == [customer["id"]]
