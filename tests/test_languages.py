"""Human-readable strings follow Accept-Language; codes never change."""

from __future__ import annotations

import pytest

from .helpers import CREATE_CUSTOMER, OPEN_LIST, record

UNKNOWN = {
    "en": "Unknown customer",
    "cs": "Neznámý zákazník",
    "sk": "Neznámy zákazník",
    "de": "Unbekannter Kunde",
    "nb": "Ukjent kunde",
    "sr-Latn": "Nepoznati kupac",
}


@pytest.mark.parametrize(
    "header, lang",
    [
        (None, "en"),
        ("cs-CZ,cs;q=0.9,en;q=0.8", "cs"),
        ("sk", "sk"),
        ("de-AT", "de"),
        ("no", "nb"),
        ("sr-Latn-RS", "sr-Latn"),
        ("fr-FR, de;q=0.5", "de"),
        ("xx", "en"),
    ],
)
def test_unknown_customer_in_the_readers_language(gql, header, lang):
    record(gql)
    edges = gql(OPEN_LIST, {}, lang=header)["openList"]["edges"]
    assert edges[0]["node"]["displayName"] == UNKNOWN[lang]


def test_error_messages_are_translated_codes_are_not(gql):
    messages = {}
    for lang in UNKNOWN:
        result = gql(CREATE_CUSTOMER, {"input": {"firstName": "x" * 2001}}, lang=lang)["createCustomer"]
        assert (result["code"], result["field"]) == ("FIELD_TOO_LONG", "firstName")
        messages[lang] = result["message"]
    assert len(set(messages.values())) == len(UNKNOWN)
    assert "2.000" in messages["de"]
    assert "2\u00a0000" in messages["cs"]
    assert all("firstName" in m for m in messages.values())
