"""Identifier normalisation: phone numbers, email addresses, folding and search tokens."""

from __future__ import annotations

import phonenumbers
import pytest

from service.domain.normalize import (
    InvalidEmail,
    InvalidIdentifier,
    InvalidPhone,
    fold,
    normalize_email,
    normalize_phone,
    search_tokens,
)

# ---------------------------------------------------------------------------------------
# Phone numbers

CZ_NUMBER = "+420601123456"


@pytest.mark.parametrize(
    "raw",
    [
        "+420 601 123 456",
        "+420601123456",
        "00420601123456",
        "00420 601/123 456",
        "601 123 456",
        "601123456",
        "(601) 123-456",
        "  601 123 456  ",
    ],
)
def test_phone_formats_of_one_czech_number_normalise_alike(raw):
    assert normalize_phone(raw, "CZ") == CZ_NUMBER


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+47 22 12 34 56", "+4722123456"),
        ("+49 30 1234567", "+49301234567"),
        ("+420 601 123 456", CZ_NUMBER),
    ],
)
def test_international_numbers_need_no_region(raw, expected):
    assert normalize_phone(raw) == expected
    # An explicit region must not change how an international number is read.
    assert normalize_phone(raw, "CZ") == expected


def test_region_is_case_insensitive():
    assert normalize_phone("601 123 456", "cz") == CZ_NUMBER


def test_region_decides_how_a_national_number_is_read():
    assert normalize_phone("030 1234567", "DE") == "+49301234567"
    assert normalize_phone("22 12 34 56", "NO") == "+4722123456"


def test_double_zero_prefix_without_region_is_international():
    assert normalize_phone("00420 601 123 456") == CZ_NUMBER


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("", "CZ"),
        ("   ", "CZ"),
        ("\t\n", None),
        ("anonymous", "CZ"),
        ("Unknown", None),
        ("601 123 456", None),  # national format, nothing to read it in
        ("601123456", None),
        ("+420 601 123 45", "CZ"),  # one digit short: parses, but is not a valid number
        ("+420 601 123 4567", "CZ"),  # one digit too many
        ("123", "CZ"),
        ("+999 123 456 789", None),  # no such country calling code
        ("+420 601 123 456" + " " * 49, "CZ"),  # 65 characters
        ("6" * 65, "CZ"),
    ],
)
def test_invalid_phone_is_rejected_with_code(raw, region):
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone(raw, region)
    err = caught.value
    assert err.code == "INVALID_PHONE"
    assert isinstance(err, InvalidIdentifier)
    assert isinstance(err, ValueError)
    assert isinstance(err.reason, str) and err.reason


def test_phone_length_limit_is_64_characters():
    padded = "+420601123456".ljust(64)
    assert len(padded) == 64
    assert normalize_phone(padded) == CZ_NUMBER
    with pytest.raises(InvalidPhone):
        normalize_phone(padded + " ")


# ---------------------------------------------------------------------------------------
# Email addresses


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jan.Novak@Example.CZ ", "jan.novak@example.cz"),
        ("  jan.novak@example.cz", "jan.novak@example.cz"),
        ("JAN.NOVAK@EXAMPLE.CZ", "jan.novak@example.cz"),
        ("jan+desk@example.cz", "jan+desk@example.cz"),
        ("jiří@příklad.cz", "jiří@příklad.cz"),
        ("Jiří@Příklad.CZ", "jiří@příklad.cz"),
        ("ola.nordmann@eksempel.no", "ola.nordmann@eksempel.no"),
    ],
)
def test_email_is_stripped_and_lowercased(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "jan.novak",
        "jan.novak.example.cz",
        "jan novak@example.cz",
        "jan.novak@exa mple.cz",
        "@example.cz",
        "jan.novak@",
        "jan@@example.cz",
        "jan.novak@example",
        "jan..novak@example.cz",
        "Jan Novák <jan.novak@example.cz>",
        "x" * 600 + "@example.cz",
    ],
)
def test_invalid_email_is_rejected_with_code(raw):
    with pytest.raises(InvalidEmail) as caught:
        normalize_email(raw)
    err = caught.value
    assert err.code == "INVALID_EMAIL"
    assert isinstance(err, InvalidIdentifier)
    assert isinstance(err, ValueError)
    assert isinstance(err.reason, str) and err.reason


def test_error_classes_carry_distinct_codes():
    assert InvalidPhone.code == "INVALID_PHONE"
    assert InvalidEmail.code == "INVALID_EMAIL"
    assert not issubclass(InvalidPhone, InvalidEmail)
    assert not issubclass(InvalidEmail, InvalidPhone)


# ---------------------------------------------------------------------------------------
# Folding


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Novák", "novak"),
        ("Jørgensen", "jorgensen"),
        ("KOVÁČ", "kovac"),
        ("Đorđević", "dordevic"),
        ("  Jan   Nováček ", "jan novacek"),
        # every letter NFKD leaves alone, both cases
        ("ø Ø", "o o"),
        ("æ Æ", "ae ae"),
        ("œ Œ", "oe oe"),
        ("ß ẞ", "ss ss"),
        ("đ Đ", "d d"),
        ("ł Ł", "l l"),
        ("þ Þ", "th th"),
        ("ð Ð", "d d"),
        ("ı I", "i i"),
        ("İstanbul", "istanbul"),
        # diacritics of the seed languages
        ("Příliš žluťoučký kůň úpěl ďábelské ódy", "prilis zlutoucky kun upel dabelske ody"),
        ("Šćepanović Čolić Žužić", "scepanovic colic zuzic"),
        ("Müller Größe", "muller grosse"),
        ("Ærlig Ødegård Åse", "aerlig odegard ase"),
        ("Ľubomír Ďurčo Ĺ", "lubomir durco l"),
        # decomposed input folds like precomposed input
        ("Nova\u0301k", "novak"),
        # compatibility forms
        ("ﬁala", "fiala"),
        ("ℌ", "h"),
        # whitespace of any kind collapses
        ("Jan\u00a0\t\nNovák", "jan novak"),
        ("", ""),
        ("   ", ""),
        ("plain ascii", "plain ascii"),
        ("MiXeD   Case", "mixed case"),
    ],
)
def test_fold(text, expected):
    assert fold(text) == expected


def test_fold_is_idempotent():
    for text in ("Đorđević", "  Jan   Nováček ", "Ærlig Ødegård", "Straße"):
        assert fold(fold(text)) == fold(text)


def test_fold_result_has_no_combining_marks():
    import unicodedata

    folded = fold("Ǻ ǻ ḉ ṏ ẫ ỹ ǖ ṩ")
    assert not any(unicodedata.combining(c) for c in folded)
    assert folded == "a a c o a y u s"


# ---------------------------------------------------------------------------------------
# Search tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jan Novák-Svoboda, jan.novak@x.cz", ["jan", "novak", "svoboda", "x", "cz"]),
        ("Đorđević", ["dordevic"]),
        ("KOVÁČ kovač Kovac", ["kovac"]),
        ("Jørgensen & Søn A/S", ["jorgensen", "son", "a", "s"]),
        ("+420 601 123 456", ["420", "601", "123", "456"]),
        ("snake_case", ["snake", "case"]),
        ("b a b a", ["b", "a"]),
        ("", []),
        ("  ,.-@ ", []),
    ],
)
def test_search_tokens(text, expected):
    assert search_tokens(text) == expected


@pytest.mark.parametrize(
    "e164, national",
    [("+420601123456", "601123456"), ("+12025550123", "2025550123"), ("+4722123456", "22123456"), ("+381111234567", "111234567")],
)
def test_national_digits_strip_the_country_calling_code(e164, national):
    from service.domain.normalize import national_digits

    assert national_digits(e164) == national
    assert national_digits(e164) == str(phonenumbers.parse(e164).national_number)
