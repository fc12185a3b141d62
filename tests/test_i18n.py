"""Languages: Accept-Language negotiation, number grouping and the message catalogue."""

from __future__ import annotations

import string

import pytest

from service.i18n import CATALOGUE, DEFAULT, SUPPORTED, format_number, negotiate, translate

NBSP = "\u00a0"

# ---------------------------------------------------------------------------------------
# Catalogue


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_supported_and_default():
    assert SUPPORTED == ("en", "cs", "sk", "de", "nb", "sr-Latn")
    assert DEFAULT == "en"


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_key_has_every_locale(key):
    assert set(CATALOGUE[key]) == set(SUPPORTED)
    assert all(text.strip() for text in CATALOGUE[key].values())


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_template_uses_the_english_placeholders(key):
    english = _placeholders(CATALOGUE[key]["en"])
    for locale, template in CATALOGUE[key].items():
        assert _placeholders(template) == english, (key, locale)


def test_core_messages_keep_their_english_wording():
    expected = {
        "unknown_customer": "Unknown customer",
        "field_too_long": "{field} holds at most {limit} characters; {length} were sent.",
        "too_many_items": "{field} holds at most {limit} items; {count} were sent.",
        "invalid_email": "{field} is not a valid email address.",
        "invalid_phone": (
            "{field} is not a valid phone number in {region}, the default region; write it in the international "
            "form, e.g. {example}."
        ),
        "invalid_value": "{field} has an invalid value: {reason}",
        "customer_needs_identity": (
            "A customer needs at least a name, an organisation name, an email address or a "
            "phone number."
        ),
        "blank_attribute_key": "{field}: an attribute needs a non-empty key.",
        "duplicate_attribute_key": '{field}: the attribute key "{key}" appears more than once.',
        "customer_not_found": "No customer has the id {id}.",
        "activity_not_found": "No activity has the id {id}.",
        "open_list_entry_not_found": "No open-list entry has the id {id}.",
        "version_conflict": (
            "This record was changed by someone else: you edited version {expected}, the "
            "current version is {current}. Reload it and apply your changes again."
        ),
        "already_created": "This open-list entry was already created as a customer.",
        "already_discarded": "This open-list entry was already discarded.",
        "already_associated": (
            "This open-list entry was already resolved by associating its activity with an "
            "existing customer."
        ),
        "invalid_page_size": "{field} must be between {min} and {limit}.",
        "invalid_cursor": "{field} is not a cursor this list gave out.",
        "internal_error": (
            "The request could not be completed because of an error in the service. Quote "
            "request id {requestId} when reporting it."
        ),
    }
    # The catalogue grows with the API; these messages must keep their meaning.
    assert {key: CATALOGUE[key]["en"] for key in expected} == expected


def test_translations_are_not_left_in_english():
    for key, texts in CATALOGUE.items():
        for locale in SUPPORTED:
            if locale != "en":
                assert texts[locale] != texts["en"], (key, locale)


# ---------------------------------------------------------------------------------------
# Negotiation


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # exact and regional tags, any case
        ("cs", "cs"),
        ("cs-CZ", "cs"),
        ("CS-cz", "cs"),
        ("sk", "sk"),
        ("sk-SK", "sk"),
        ("de", "de"),
        ("de-AT", "de"),
        ("de-CH", "de"),
        ("en-GB", "en"),
        ("en-US", "en"),
        # Norwegian
        ("nb", "nb"),
        ("nb-NO", "nb"),
        ("no", "nb"),
        ("nn", "nb"),
        ("nn-NO", "nb"),
        # Serbian: any script or region; we only have Latin
        ("sr", "sr-Latn"),
        ("sr-Latn", "sr-Latn"),
        ("sr-latn", "sr-Latn"),
        ("sr-RS", "sr-Latn"),
        ("sr-Latn-RS", "sr-Latn"),
        ("sr-Cyrl", "sr-Latn"),
        ("sr-Cyrl-RS", "sr-Latn"),
        # nothing supported
        ("fr", DEFAULT),
        ("fr-FR, it;q=0.8", DEFAULT),
        ("hr, bs;q=0.9", DEFAULT),
    ],
)
def test_negotiate_matches_by_primary_tag(header, expected):
    assert negotiate(header) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-FR, fr;q=0.9, de;q=0.8, en;q=0.7", "de"),
        ("en;q=0.5, cs;q=0.9", "cs"),
        ("de;q=0.3, sk;q=0.31", "sk"),
        ("de;q=0.3, sk;q=0.300", "de"),  # equal weights: header order decides
        ("cs, de", "cs"),
        ("de, cs", "de"),
        ("sr-Latn-RS;q=0.9, en-US;q=0.8", "sr-Latn"),
        ("de-AT;Q=0.8, nb;q=0.9", "nb"),  # "q" is case-insensitive
        ("cs ; q=0.8 , de ; q=0.2", "cs"),  # optional whitespace
        ("cs-CZ,cs;q=0.9,en;q=0.8", "cs"),  # a typical browser header
        ("de;q=1.000, en;q=0.999", "de"),
    ],
)
def test_negotiate_follows_weights(header, expected):
    assert negotiate(header) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("cs;q=0, de;q=0.1", "de"),
        ("cs;q=0", DEFAULT),
        ("cs;q=0.000, sk;q=0.5", "sk"),
        ("sr;q=0, nb;q=0.2", "nb"),
        ("sr;q=0, sr-Latn-RS", DEFAULT),  # Serbian refused outright
        ("no;q=0, nb-NO, en;q=0.1", "en"),  # "no" covers Bokmål
        ("nn;q=0, nb", "nb"),  # refusing Nynorsk is not refusing Bokmål
        ("de-AT;q=0, de;q=0.5", "de"),  # refusing Austrian German is not refusing German
        ("en;q=0, *", "cs"),  # anything but English
        ("*;q=0, sk", "sk"),
        ("*;q=0", DEFAULT),
        ("en;q=0", DEFAULT),  # nothing acceptable: serve the default anyway
    ],
)
def test_negotiate_q_zero_means_not_this(header, expected):
    assert negotiate(header) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("*", DEFAULT),
        ("fr, *;q=0.5", DEFAULT),
        ("*;q=0.5, de", "de"),
        ("*, de", "de"),  # a named language beats "*" at equal weight
        ("*;q=0.9, de;q=0.5", DEFAULT),
        ("de;q=0.5, *;q=0.9", DEFAULT),
    ],
)
def test_negotiate_wildcard(header, expected):
    assert negotiate(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "   ",
        ",,,",
        ";",
        ";q=1",
        "=",
        "q=0.5",
        "\x00\x01\x02",
        "cs;q=",
        "cs;q=abc",
        "cs;q=1.5",
        "cs;q=-1",
        "cs;q=0.5000",
        "cs;q=0.5;q=0.4",
        "cs;level=1",
        "cs-",
        "-cs",
        "c s",
        "cs_CZ",
        "toolongtag",
        "cs-CZ-toolongsubtag",
        "čeština",
        "💥",
        "*-CZ",
        "en;q=0.5;" * 1000,
        b"cs",  # not a str: ignored, not a crash
        12,
    ],
)
def test_negotiate_never_raises_on_garbage(header):
    assert negotiate(header) == DEFAULT


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("cs;q=abc, de;q=0.5", "de"),
        ("garbage!!, sk;q=0.4", "sk"),
        ("nb;q=2, cs;q=0.1", "cs"),
        (", , de ,", "de"),
        ("x-klingon, i-default, de;q=0.1", "de"),
    ],
)
def test_negotiate_skips_malformed_parts_and_keeps_the_rest(header, expected):
    assert negotiate(header) == expected


def test_negotiate_ignores_over_long_headers():
    header = "cs," + " " * 4093
    assert len(header) == 4096
    assert negotiate(header) == "cs"
    assert negotiate(header + " ") == DEFAULT
    assert negotiate("cs," + "x" * 100_000) == DEFAULT


def test_negotiate_caches_and_the_cache_is_bounded():
    negotiate.cache_clear()
    for _ in range(3):
        assert negotiate("de-CH, de;q=0.9") == "de"
    info = negotiate.cache_info()
    assert info.hits >= 2
    assert info.maxsize is not None and 0 < info.maxsize <= 4096
    for i in range(info.maxsize * 2):
        negotiate(f"x{i}, en")
    assert negotiate.cache_info().currsize <= info.maxsize


# ---------------------------------------------------------------------------------------
# Numbers


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "2,000"),
        ("de", "2.000"),
        ("cs", f"2{NBSP}000"),
        ("sk", f"2{NBSP}000"),
        ("nb", f"2{NBSP}000"),
        ("sr-Latn", "2.000"),
    ],
)
def test_format_number_groups_thousands(locale, expected):
    assert format_number(locale, 2000) == expected


@pytest.mark.parametrize(
    ("locale", "n", "expected"),
    [
        ("en", 0, "0"),
        ("en", 7, "7"),
        ("en", 999, "999"),
        ("en", 1234567, "1,234,567"),
        ("de", 1234567, "1.234.567"),
        ("cs", 1234567, f"1{NBSP}234{NBSP}567"),
        ("en", -2001, "-2,001"),
        ("de", -999, "-999"),
        ("fr", 2000, "2,000"),  # unknown locale: grouped as the default
    ],
)
def test_format_number_edges(locale, n, expected):
    assert format_number(locale, n) == expected


# ---------------------------------------------------------------------------------------
# Translation


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "Unknown customer"),
        ("cs", "Neznámý zákazník"),
        ("sk", "Neznámy zákazník"),
        ("de", "Unbekannter Kunde"),
        ("nb", "Ukjent kunde"),
        ("sr-Latn", "Nepoznati kupac"),
    ],
)
def test_translate_unknown_customer(locale, expected):
    assert translate(locale, "unknown_customer") == expected


@pytest.mark.parametrize(
    ("locale", "limit", "length"),
    [
        ("en", "2,000", "2,001"),
        ("cs", f"2{NBSP}000", f"2{NBSP}001"),
        ("sk", f"2{NBSP}000", f"2{NBSP}001"),
        ("de", "2.000", "2.001"),
        ("nb", f"2{NBSP}000", f"2{NBSP}001"),
        ("sr-Latn", "2.000", "2.001"),
    ],
)
def test_translate_field_too_long(locale, limit, length):
    text = translate(locale, "field_too_long", field="firstName", limit=2000, length=2001)
    assert "firstName" in text
    assert limit in text
    assert length in text
    assert "{" not in text and "}" not in text


def test_translate_field_too_long_in_english_exactly():
    assert (
        translate("en", "field_too_long", field="note", limit=2000, length=2500)
        == "note holds at most 2,000 characters; 2,500 were sent."
    )


def test_translate_falls_back_to_english_for_unknown_locales():
    assert translate("fr", "unknown_customer") == "Unknown customer"
    assert translate("fr", "customer_not_found", id="Q3VzdG9tZXI6MQ==") == (
        "No customer has the id Q3VzdG9tZXI6MQ==."
    )


def test_translate_leaves_string_params_alone_and_does_not_reinterpret_them():
    text = translate("de", "duplicate_attribute_key", field="attributes[3]", key="{x} 1000")
    assert text == "attributes[3]: Der Attributschlüssel „{x} 1000“ kommt mehr als einmal vor."


def test_translate_version_conflict_groups_versions():
    text = translate("cs", "version_conflict", expected=1000, current=1002)
    assert f"1{NBSP}000" in text and f"1{NBSP}002" in text


def test_translate_does_not_group_booleans():
    assert translate("en", "invalid_value", field="x", reason=True) == "x has an invalid value: True"


def test_translate_unknown_key_is_a_key_error():
    with pytest.raises(KeyError):
        translate("en", "no_such_message")


@pytest.mark.parametrize("locale", SUPPORTED)
def test_every_message_renders_in_every_locale(locale):
    for key, texts in CATALOGUE.items():
        params = {name: 1 for name in _placeholders(texts["en"])}
        text = translate(locale, key, **params)
        assert "{" not in text and "}" not in text, (key, locale)
