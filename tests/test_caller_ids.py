"""A caller ID never bounces an activity (issue 16, item 1): whatever the trunk sends is
recorded, kept as sent, marked unparsed when it is no number of the service's regions, and
matches nobody by number. Forms keep refusing such a number, saying how to write it."""

from __future__ import annotations

import pytest

from service.i18n import SUPPORTED
from service.settings import ConfigurationError, Settings

from .helpers import CREATE_CUSTOMER, CREATE_FROM_ENTRY, ERROR_FIELDS, create_customer, make_client

RECORD = (
    """
mutation Record($input: RecordActivityInput!) {
  recordActivity(input: $input) {
    __typename
    ... on RecordActivitySuccess {
      outcome
      activity { id sender { phone e164Phone phoneParsed } customer { id } }
      customer { id }
      openListEntry { id displayName prefill { phone } }
      candidates { customer { id } }
    }
"""
    + ERROR_FIELDS
    + "}}"
)

ACTIVITY = "query A($id: ID!) { node(id: $id) { ... on Activity { sender { phone e164Phone phoneParsed } } } }"
OPEN_LIST = "{ openList { totalCount edges { node { id displayName activity { sender { phone } } } } } }"
ADD_CONTACT = (
    "mutation Add($customerId: ID!, $input: ContactInput!) { addContact(customerId: $customerId, input: $input) {"
    " __typename " + ERROR_FIELDS + " ... on InvalidInputError { fieldMessage } } }"
)
CREATE = CREATE_CUSTOMER.replace("... on InvalidInputError {", "... on InvalidInputError { fieldMessage")


@pytest.fixture
def with_de():
    """A service whose operator lists Germany after the default region (CZ)."""
    yield from make_client(Settings(phone_regions="DE,AT"))


def call(gql, phone, **sender):
    result = gql(RECORD, {"input": {"channel": "CALL", "agentId": "agent-1", "sender": {"phone": phone, **sender}}})
    return result["recordActivity"]


UNPARSED = ["030 12345678", "(212) 555-0147", "112", "1234", "anonymous", "+ ", "+", "Unknown", "+420 12"]


@pytest.mark.parametrize("phone", UNPARSED)
def test_a_caller_id_that_is_no_number_of_the_region_is_recorded_as_sent(gql, phone):
    result = call(gql, phone)
    assert result["__typename"] == "RecordActivitySuccess", result
    assert result["outcome"] == "ADDED_TO_OPEN_LIST"
    sent = phone.strip() or None
    assert result["activity"]["sender"] == {"phone": sent, "e164Phone": None, "phoneParsed": False}
    # Read back from the store, not only from the mutation's answer.
    stored = gql(ACTIVITY, {"id": result["activity"]["id"]})["node"]["sender"]
    assert stored == {"phone": sent, "e164Phone": None, "phoneParsed": False}
    # The open list shows it as sent (the display name falls back to the phone).
    listed = gql(OPEN_LIST)["openList"]
    assert listed["totalCount"] == 1
    (edge,) = listed["edges"]
    assert edge["node"]["displayName"] == sent
    assert edge["node"]["activity"]["sender"]["phone"] == sent
    assert result["openListEntry"]["prefill"]["phone"] == sent


def test_a_parsed_caller_id_says_so(gql):
    sender = call(gql, "601 123 456")["activity"]["sender"]
    assert sender == {"phone": "601 123 456", "e164Phone": "+420601123456", "phoneParsed": True}
    # No phone at all: nothing to parse.
    result = gql(RECORD, {"input": {"channel": "CHAT", "sender": {"name": "Eva"}}})["recordActivity"]
    assert result["activity"]["sender"] == {"phone": None, "e164Phone": None, "phoneParsed": None}


def test_an_unparsed_caller_id_matches_nobody_by_number(gql):
    # The same digits, stored in their international form, are another country's number.
    create_customer(gql, lastName="Smith", phones=[{"number": "+1 212 555 0147"}])
    create_customer(gql, lastName="Anon", phones=[{"number": "+420 601 123 456"}])
    for phone in ("(212) 555-0147", "anonymous"):
        result = call(gql, phone)
        assert result["outcome"] == "ADDED_TO_OPEN_LIST"
        assert result["customer"] is None and result["candidates"] == []
    # The other identifiers still match: the email finds its customer however the phone reads.
    eva = create_customer(gql, lastName="Dvořáková", emails=[{"address": "eva@example.cz"}])
    result = call(gql, "anonymous", email="eva@example.cz")
    assert result["outcome"] == "ASSOCIATED" and result["customer"]["id"] == eva["id"]
    assert result["activity"]["sender"]["phoneParsed"] is False


def test_the_operators_further_regions_read_a_national_number(with_de):
    gql = with_de
    berlin = create_customer(gql, lastName="Müller", phones=[{"number": "+49 30 12345678"}])
    result = call(gql, "030 12345678")
    assert result["activity"]["sender"] == {"phone": "030 12345678", "e164Phone": "+493012345678", "phoneParsed": True}
    assert result["outcome"] == "ASSOCIATED" and result["customer"]["id"] == berlin["id"]
    # The default region comes first: a Czech national number stays Czech.
    assert call(gql, "601 123 456")["activity"]["sender"]["e164Phone"] == "+420601123456"
    # What no listed region reads is still kept as sent.
    assert call(gql, "anonymous")["activity"]["sender"]["phoneParsed"] is False


def test_further_regions_are_for_caller_ids_only_forms_still_need_the_default_region(with_de):
    result = with_de(CREATE, {"input": {"lastName": "X", "phones": [{"number": "030 12345678"}]}})["createCustomer"]
    assert (result["__typename"], result["code"], result["field"]) == ("InvalidInputError", "INVALID_PHONE", "phones[0].number")


def test_an_unknown_further_region_stops_the_service_at_startup():
    with pytest.raises(ConfigurationError, match="phone regions: 'XX'"):
        Settings(phone_regions="DE, xx").validate()
    assert Settings(phone_regions=" de ,AT,, CZ").validate().caller_id_regions == ("CZ", "DE", "AT")


@pytest.mark.parametrize("lang", SUPPORTED)
def test_forms_refuse_an_unparseable_number_naming_the_region_and_the_international_form(gql, lang):
    result = gql(CREATE, {"input": {"lastName": "X", "phones": [{"number": "030 12345678"}]}}, lang=lang)["createCustomer"]
    assert (result["__typename"], result["code"], result["field"]) == ("InvalidInputError", "INVALID_PHONE", "phones[0].number")
    for message in (result["message"], result["fieldMessage"]):
        assert "CZ" in message and "+420 601 123 456" in message, (lang, message)
    assert "phones[0].number" in result["message"]
    customer = create_customer(gql, lastName="Acme")
    added = gql(ADD_CONTACT, {"customerId": customer["id"], "input": {"lastName": "Y", "phone": "anonymous"}}, lang=lang)
    added = added["addContact"]
    assert (added["code"], added["field"]) == ("INVALID_PHONE", "phone")
    assert "CZ" in added["message"] and "+420 601 123 456" in added["fieldMessage"]


def test_the_message_is_in_the_readers_language():
    messages = set()
    for gql in make_client():
        for lang in SUPPORTED:
            result = gql(CREATE, {"input": {"lastName": "X", "phones": [{"number": "12"}]}}, lang=lang)["createCustomer"]
            messages.add(result["message"])
    assert len(messages) == len(SUPPORTED)


def test_the_example_is_one_of_the_default_region():
    for gql in make_client(Settings(default_region="DE")):
        result = gql(CREATE, {"input": {"lastName": "X", "phones": [{"number": "anonymous"}]}})["createCustomer"]
        assert "DE" in result["message"] and "+49 " in result["message"], result["message"]


def test_creating_from_an_entry_asks_for_the_number_in_a_form_it_can_read(gql):
    entry = call(gql, "(212) 555-0147", name="John Smith")["openListEntry"]
    refused = gql(CREATE_FROM_ENTRY, {"entryId": entry["id"]})["createCustomerFromOpenList"]
    assert (refused["code"], refused["field"]) == ("INVALID_PHONE", "phones[0].number")
    # The agent writes it internationally; the entry and its activity are resolved.
    fixed = {"firstName": "John", "lastName": "Smith", "phones": [{"number": "+1 212 555 0147"}]}
    created = gql(CREATE_FROM_ENTRY, {"entryId": entry["id"], "input": fixed})["createCustomerFromOpenList"]
    assert created["__typename"] == "CreateCustomerFromOpenListSuccess", created
    assert created["customer"]["phones"] == [{"number": "+1 212 555 0147", "e164": "+12125550147"}]
    assert gql(OPEN_LIST)["openList"]["totalCount"] == 0
