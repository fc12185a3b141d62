"""Identifier normalisation: the one place that decides when two phone numbers, two email
addresses or two names are "the same".

Matching, de-duplication and search all compare the keys produced here, so every writer and
every reader must go through these functions; a second, slightly different normaliser
elsewhere would make records silently stop matching.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

__all__ = [
    "InvalidIdentifier",
    "InvalidPhone",
    "InvalidEmail",
    "normalize_phone",
    "read_caller_id",
    "phone_example",
    "normalize_email",
    "fold",
    "search_tokens",
]


class InvalidIdentifier(ValueError):
    """Raised for input that cannot be normalised.

    `.code` is "INVALID_PHONE" or "INVALID_EMAIL" (stable, for clients); `.reason` is a short
    English reason meant for logs, never shown to a user.
    """

    code: str = "INVALID_VALUE"
    reason: str

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidPhone(InvalidIdentifier):
    """A phone number that cannot be turned into a valid E.164 number."""

    code = "INVALID_PHONE"


class InvalidEmail(InvalidIdentifier):
    """An email address whose syntax is not acceptable."""

    code = "INVALID_EMAIL"


# ---------------------------------------------------------------------------------------
# Phone numbers

# No real number, however it is punctuated, comes near this; the cap keeps hostile input
# away from the parser.
MAX_PHONE_INPUT = 64

_E164 = phonenumbers.PhoneNumberFormat.E164


def normalize_phone(raw: str, default_region: str | None = None) -> str:
    """Return `raw` as an E.164 string, e.g. '+420601123456'.

    `default_region` (ISO 3166 alpha-2, e.g. 'CZ', case-insensitive) is how numbers in a
    national format ('601 123 456', '00420 601 123 456') are read. Without it only
    international numbers ('+420 ...') are accepted, plus the '00' international prefix,
    which is what nearly every country in Europe dials.

    Raises InvalidPhone for blank input, input longer than 64 characters, text that is not
    a number at all ('anonymous'), a national number with no region to read it in, and any
    number that libphonenumber does not consider a valid, assigned number.
    """
    if not isinstance(raw, str):
        raise InvalidPhone("not a string")
    if len(raw) > MAX_PHONE_INPUT:
        raise InvalidPhone(f"longer than {MAX_PHONE_INPUT} characters")
    text = raw.strip()
    if not text:
        raise InvalidPhone("empty")
    region = default_region.strip().upper() if default_region else None
    if region is None and text.startswith("00"):
        # Without a region libphonenumber cannot know the international dialling prefix,
        # but '00' is the ITU-recommended one and the one our (European) callers use.
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            reason = (
                "national number and no default region"
                if not text.startswith("+")
                else "unknown country calling code"
            )
        else:
            reason = f"not a phone number ({exc})"
        raise InvalidPhone(reason) from None
    # parse() is lenient (it only checks the shape); validity means the digits fit a number
    # range that is actually assigned in that country.
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid number")
    return phonenumbers.format_number(number, _E164)


def read_caller_id(raw: str, regions: tuple[str, ...]) -> str | None:
    """The E.164 form of a caller ID, or None when it is not a number in any of `regions`.

    Telephony sends whatever the trunk gives (short codes, 'anonymous', another country's
    national format) and an activity is recorded whatever it is: unlike a form, nobody can
    be asked to correct it. The regions are tried in order, so the first (the default
    region) decides for a number that is valid in several.
    """
    for region in regions or (None,):
        try:
            return normalize_phone(raw, region)
        except InvalidPhone:
            continue
    return None


def phone_example(region: str) -> str:
    """A number of `region` in the international form, as a message suggests writing it
    ('+420 601 123 456' for CZ); libphonenumber's own example, so it is always valid."""
    number = phonenumbers.example_number_for_type(region.upper(), phonenumbers.PhoneNumberType.MOBILE)
    number = number or phonenumbers.example_number(region.upper())
    if number is None:
        return "+49 30 12345678"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# ---------------------------------------------------------------------------------------
# Email addresses

# RFC 5321 caps an address at 254 octets; the validator enforces the exact rule, this only
# keeps megabyte-sized input away from it.
MAX_EMAIL_INPUT = 512


def normalize_email(raw: str) -> str:
    """Return the address stripped and lower-cased as a whole: 'Jan.Novak@Example.CZ ' ->
    'jan.novak@example.cz'.

    Syntax is checked by `email_validator` without any DNS lookup; internationalised
    addresses ('jiří@příklad.cz') are accepted and returned in Unicode (NFC) form, also for
    a domain given as punycode. Raises InvalidEmail for blank input, a missing '@', spaces
    inside, and anything else the validator rejects.
    """
    if not isinstance(raw, str):
        raise InvalidEmail("not a string")
    if len(raw) > MAX_EMAIL_INPUT:
        raise InvalidEmail(f"longer than {MAX_EMAIL_INPUT} characters")
    text = raw.strip()
    if not text:
        raise InvalidEmail("empty")
    try:
        info = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from None
    # Local parts are case-sensitive by the RFC, but no mailbox provider our customers use
    # treats them so, and agents type addresses in whatever case; one address, one key.
    return info.normalized.lower()


# ---------------------------------------------------------------------------------------
# Folding text for search and comparison

# Letters that are not "letter + diacritic" in Unicode, so NFKD leaves them alone, but that
# people type without the mark on a keyboard that lacks them. Upper case is covered because
# fold() case-folds first.
_LETTER_MAP = {
    "ø": "o",
    "æ": "ae",
    "œ": "oe",
    "ß": "ss",
    "đ": "d",
    "ł": "l",
    "þ": "th",
    "ð": "d",
    "ı": "i",
}


def _build_fold_table() -> dict[int, str | None]:
    # Every combining mark is deleted. They all lie in planes 0 and 1 (planes 2+ hold CJK
    # ideographs, tags and private use), which keeps the import-time scan cheap.
    marks = "".join(
        chr(cp) for cp in range(0x300, 0x20000) if unicodedata.combining(chr(cp))
    )
    return str.maketrans({**dict.fromkeys(marks), **_LETTER_MAP})


_FOLD_TABLE = _build_fold_table()


def fold(text: str) -> str:
    """Return the search/compare key of `text`.

    Case-folded, diacritics removed (NFKD, then combining marks dropped), letters without
    a decomposition mapped (ø->o, æ->ae, œ->oe, ß->ss, đ->d, ł->l, þ->th, ð->d, ı->i),
    whitespace runs collapsed to one space and the ends stripped:
    'Novák'->'novak', 'Đorđević'->'dordevic', '  Jan   Nováček '->'jan novacek'.
    """
    if text.isascii():
        # Most names, addresses and numbers are plain ASCII; skip Unicode normalisation.
        return " ".join(text.lower().split())
    folded = unicodedata.normalize("NFKD", text.casefold())
    # Compatibility decomposition can yield new upper-case letters ('ℌ' -> 'H'), so fold
    # again; it is a no-op on everything else.
    folded = folded.casefold().translate(_FOLD_TABLE)
    return " ".join(folded.split())


# A token is a run of letters or digits; '_' is the one word character that is not.
_TOKEN = re.compile(r"[^\W_]+")


def search_tokens(text: str) -> list[str]:
    """Return the distinct tokens of fold(text), in order of first appearance.

    Tokens are runs of letters and digits; anything else separates them, so an email
    address splits at '.' and '@': 'Jan Novák-Svoboda, jan.novak@x.cz' ->
    ['jan', 'novak', 'svoboda', 'x', 'cz'].
    """
    return list(dict.fromkeys(_TOKEN.findall(fold(text))))


def national_digits(e164: str) -> str:
    """The national significant number of an E.164 string ('+420601123456' -> '601123456'),
    found by its country calling code (1 to 3 digits) without a full parse: search indexes
    compute it for every stored number."""
    digits = e164.lstrip("+")
    for length in (1, 2, 3):
        if int(digits[:length] or 0) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return digits[length:]
    return digits


def _digit_runs(tokens: list[str]) -> list[list[str]]:
    runs: list[list[str]] = []
    current: list[str] = []
    for token in tokens:
        if token.isdigit():
            current.append(token)
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def index_terms(text: str) -> list[str]:
    """What a search index keeps for `text`: its tokens, and each run of consecutive
    all-digit tokens joined, because numbers are typed in groups: '601 222 333' and
    '110 00' are found by '601222' and '11000' as well as by '601' or '110'."""
    tokens = _TOKEN.findall(fold(text))
    joined = ["".join(run) for run in _digit_runs(tokens) if len(run) > 1]
    return list(dict.fromkeys(tokens + joined))


def query_words(text: str) -> list[str]:
    """The words of a search query: tokens, with consecutive all-digit tokens joined into
    one ('601 222' -> '601222', so it finds 601222333 however that number was typed)."""
    tokens = _TOKEN.findall(fold(text))
    out: list[str] = []
    pending: list[str] = []
    for token in tokens:
        if token.isdigit():
            pending.append(token)
            continue
        if pending:
            out.append("".join(pending))
            pending = []
        out.append(token)
    if pending:
        out.append("".join(pending))
    return list(dict.fromkeys(out))


def phone_search_terms(number: str, e164: str) -> set[str]:
    """Every form a person may search a stored phone by: the typed groups, the E.164 digits
    with and without the international prefix 00, and the national number with and without
    the trunk prefix 0 (so '00420 601', '+420601', '601 222' and '0301234' all find theirs)."""
    digits = e164.lstrip("+")
    national = national_digits(e164)
    return set(index_terms(number)) | {digits, "00" + digits, national, "0" + national}
