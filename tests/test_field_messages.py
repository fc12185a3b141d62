"""UserError.fieldMessage: the message a form shows beside the field it concerns, without the
API path ("emails[0].address"), in the reader's language; and limits.phoneRegion, which a
form's phone hint follows. Over HTTP, as a frontend asks."""

from __future__ import annotations

import re
import string

import pytest

from service.i18n import BESIDE_FIELD, CATALOGUE, SUPPORTED
from service.settings import Settings

from .helpers import make_client

CREATE = """
mutation Create($input: CustomerInput!) {
  createCustomer(input: $input, confirmNotDuplicate: true) {
    __typename
    ... on CreateCustomerSuccess { customer { id version } }
    ... on UserError { code message fieldMessage field }
    ... on InvalidInputError { errors { code field message fieldMessage limit } }
  }
}"""

UPDATE = """
mutation Update($id: ID!, $v: Int!, $input: CustomerInput!) {
  updateCustomer(id: $id, expectedVersion: $v, input: $input) {
    __typename
    ... on UserError { code message fieldMessage field }
  }
}"""

ADD_CONTACT = """
mutation Add($customerId: ID!, $input: ContactInput!) {
  addContact(customerId: $customerId, input: $input) {
    __typename
    ... on UserError { code message fieldMessage field }
    ... on InvalidInputError { errors { code field message fieldMessage } }
  }
}"""

BAD_INPUT = {
    "firstName": "x" * 2001,
    "emails": [{"address": "eva(at)example.com"}],
    "phones": [{"number": "12345"}],
}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", SUPPORTED)
def test_every_field_error_carries_a_message_without_its_path_in_the_readers_language(gql, lang):
    payload = gql(CREATE, {"input": BAD_INPUT}, lang=lang)["createCustomer"]
    assert payload["__typename"] == "InvalidInputError"
    by_field = {e["field"]: e for e in payload["errors"]}
    assert set(by_field) == {"firstName", "emails[0].address", "phones[0].number"}
    expected_key = {"firstName": "field_too_long", "emails[0].address": "invalid_email", "phones[0].number": "invalid_phone"}
    for path, error in by_field.items():
        # Today's message still names the path; the new one never does.
        assert path in error["message"], error
        assert path not in error["fieldMessage"] and "[0]" not in error["fieldMessage"], error
        assert error["fieldMessage"] != error["message"]
        template = BESIDE_FIELD[expected_key[path]][lang]
        assert error["fieldMessage"].startswith(template.split("{")[0]), (lang, error["fieldMessage"], template)
    too_long = by_field["firstName"]["fieldMessage"]
    grouped = {"en": "2,000", "de": "2.000", "sr-Latn": "2.000"}.get(lang, "2\u00a0000")
    assert grouped in too_long and ("2,001" if lang == "en" else "2") in too_long, too_long
    # The top of the payload repeats the first problem, both messages.
    assert (payload["message"], payload["fieldMessage"]) == (by_field["firstName"]["message"], too_long)


def test_contact_errors_carry_it_too(gql):
    customer = gql(CREATE, {"input": {"organizationName": "Strojírny Brno a.s."}})["createCustomer"]["customer"]
    payload = gql(ADD_CONTACT, {"customerId": customer["id"], "input": {"email": "petr(at)strojirny"}}, lang="de")["addContact"]
    assert payload["field"] == "email"
    assert payload["fieldMessage"] == "Das ist keine gültige E-Mail-Adresse."
    assert payload["message"] == "Das Feld email enthält keine gültige E-Mail-Adresse."


def test_errors_that_name_no_field_path_say_the_same_in_both(gql):
    customer = gql(CREATE, {"input": {"organizationName": "Nordlys AS"}})["createCustomer"]["customer"]
    stale = gql(UPDATE, {"id": customer["id"], "v": customer["version"] + 5, "input": {"organizationName": "Nordlys"}}, lang="nb")
    conflict = stale["updateCustomer"]
    assert conflict["code"] == "VERSION_CONFLICT"
    assert conflict["fieldMessage"] == conflict["message"] and "versjon" in conflict["message"]
    nobody = gql(CREATE, {"input": {"externalId": "X-1"}}, lang="cs")["createCustomer"]
    assert nobody["code"] == "REQUIRED" and nobody["field"] is None
    assert nobody["fieldMessage"] == nobody["message"].strip() and nobody["message"].startswith("Zákazník musí mít")


def test_every_message_that_names_a_field_has_a_version_without_it_in_every_language():
    naming = {key for key, texts in CATALOGUE.items() if any("{field}" in text for text in texts.values())}
    assert naming, "the catalogue should have messages naming {field}"
    assert naming == set(BESIDE_FIELD), (
        f"missing a BESIDE_FIELD entry: {sorted(naming - set(BESIDE_FIELD))}; "
        f"no such message: {sorted(set(BESIDE_FIELD) - naming)}"
    )
    for key, texts in BESIDE_FIELD.items():
        assert set(texts) == set(SUPPORTED), (key, sorted(set(SUPPORTED) - set(texts)))
        for lang, text in texts.items():
            assert "{field}" not in text, (key, lang)
            # Everything the full message tells (limit, length, position, key...) it tells too.
            wanted = placeholders(CATALOGUE[key][lang]) - {"field"}
            assert placeholders(text) == wanted, (key, lang, placeholders(text), wanted)
            assert not re.search(r"[A-Za-z]+\[\d+\]", text), (key, lang)


@pytest.mark.parametrize("region", ["CZ", "SK", "NO"])
def test_limits_say_whose_national_phone_numbers_are_accepted(region):
    for client in make_client(Settings(default_region=region)):
        assert client("{ limits { phoneRegion } }")["limits"]["phoneRegion"] == region
