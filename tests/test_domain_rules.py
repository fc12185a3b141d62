"""Business rules without HTTP: the display rule, name splitting, automatic association."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service.domain.activity_input import split_name
from service.domain.association import automatic_choice
from service.domain.display_name import customer_display_name, entry_display_name
from service.domain.records import Candidate, Customer, EmailAddress, OpenListEntry, PhoneNumber, Prefill

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def entry(**prefill) -> OpenListEntry:
    return OpenListEntry("e", 1, NOW, NOW, None, "a", None, Prefill(**prefill))


@pytest.mark.parametrize(
    "prefill, shown",
    [
        ({"first_name": "Jan", "last_name": "Novák", "email": "j@x.cz", "phone": "601"}, "Jan Novák"),
        ({"last_name": "Novák", "email": "j@x.cz"}, "Novák"),
        ({"email": "j@x.cz", "phone": "601"}, "j@x.cz"),
        ({"email": "  ", "phone": "601"}, "601"),
        ({}, None),
    ],
)
def test_entry_display_rule(prefill, shown):
    assert entry_display_name(entry(**prefill)) == shown


def test_customer_display_rule():
    base = Customer("c", 1, NOW, NOW, None)
    assert customer_display_name(base) is None
    phone = PhoneNumber("601 123 456", "+420601123456")
    email = EmailAddress("A@x.cz", "a@x.cz")
    assert customer_display_name(Customer("c", 1, NOW, NOW, None, phones=(phone,))) == "601 123 456"
    assert customer_display_name(Customer("c", 1, NOW, NOW, None, emails=(email,), phones=(phone,))) == "A@x.cz"
    assert customer_display_name(Customer("c", 1, NOW, NOW, None, organization_name="ACME", emails=(email,))) == "ACME"
    assert customer_display_name(Customer("c", 1, NOW, NOW, None, first_name="Jan", organization_name="ACME")) == "Jan"


@pytest.mark.parametrize(
    "name, parts",
    [
        ("Jan Novák", ("Jan", "Novák")),
        ("Jan Amos Komenský", ("Jan Amos", "Komenský")),
        ("Novák, Jan", ("Jan", "Novák")),
        ("Petra", ("Petra", None)),
        (None, (None, None)),
    ],
)
def test_received_names_split_into_first_and_last(name, parts):
    assert split_name(name) == parts


@pytest.mark.parametrize(
    "scores, chosen",
    [
        ([], None),
        ([0.95], "c0"),
        ([1.0, 0.5], "c0"),
        ([0.95, 0.95], None),  # two equally good: ask the agent
        ([1.0, 0.95], None),  # not clearly ahead
        ([0.5], None),  # not confident
    ],
)
def test_automatic_association_needs_a_confident_clear_winner(scores, chosen):
    candidates = [Candidate(f"c{i}", s) for i, s in enumerate(scores)]
    result = automatic_choice(candidates)
    assert (result.customer_id if result else None) == chosen


# --- names a person can read (issue 14, item 8) ---------------------------------------------

# Default_Ignorable_Code_Point, from the Unicode Character Database's DerivedCoreProperties.txt
# (the same ranges in Unicode 14 to 16). unicodedata has no such property; the ranges' assigned
# characters must all count as invisible (service/domain/readable_text.py).
DEFAULT_IGNORABLE = [
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
]


def test_every_assigned_default_ignorable_character_counts_as_invisible():
    import unicodedata

    from service.domain.readable_text import invisible

    checked = 0
    for low, high in DEFAULT_IGNORABLE:
        for cp in range(low, high + 1):
            ch = chr(cp)
            if unicodedata.category(ch) == "Cn":
                continue  # unassigned in this Python's Unicode data: nobody can type it yet
            assert invisible(ch), f"U+{cp:04X} {unicodedata.name(ch, '?')} ({unicodedata.category(ch)})"
            checked += 1
    assert checked > 300  # the tag characters and variation selectors among them
    for visible in "aŽ1-.,'ØحÅ\u05d0":
        assert not invisible(visible)


def _customer_problems(**names):
    from service.domain.customer_input import CustomerDraft, CustomerFields, apply_draft
    from service.domain.errors import InvalidInput

    try:
        apply_draft(CustomerFields(), CustomerDraft(emails=[], phones=[], **names), default_region="CZ")
    except InvalidInput as err:
        return [(p.code, p.message_key, p.field, p.params.get("position")) for p in err.problems]
    return []


@pytest.mark.parametrize(
    "name",
    [
        "\u200b", "\u200b\u200c\u200d", "\u2060\ufeff", "\u00ad\u00ad", "\u0301\u0308", "\u3164", "\u2800\u2800",
        "\ufe0f", " \u200b ", "\U000e0041\U000e0042",
    ],
    ids=["zwsp", "zwsp-zwnj-zwj", "wj-bom", "soft-hyphens", "combining-only", "hangul-filler", "braille-blank",
         "variation-selector", "spaces-around-zwsp", "tags"],
)
def test_a_name_of_invisible_characters_only_is_refused_on_its_field(name):
    assert _customer_problems(last_name=name, organization_name=name) == [
        ("INVALID_VALUE", "invisible_name", "lastName", None),
        ("INVALID_VALUE", "invisible_name", "organizationName", None),
    ]


@pytest.mark.parametrize("control", ["\u202e", "\u202a", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c"])
def test_a_bidirectional_control_in_a_name_is_refused_with_its_position(control):
    assert _customer_problems(first_name=f"Jan{control}", last_name="Novák") == [("INVALID_VALUE", "bidi_control", "firstName", 4)]


def test_readable_names_with_joiners_marks_and_right_to_left_letters_are_kept():
    # A zero-width non-joiner inside a Persian name, combining accents, Arabic and Hebrew text
    # (the bidirectional algorithm needs no controls for them): all stay as typed.
    for name in ["\u0645\u06cc\u200c\u0631\u0648\u0632", "Nova\u0301k", "\u0639\u0644\u064a", "\u05d3\u05d5\u05d3", "Ø"]:
        assert _customer_problems(last_name=name) == []


def test_an_activitys_sender_name_is_neutralised_never_refused():
    from service.domain.activity_input import ActivityDraft, check_activity
    from service.domain.records import Channel

    def sender_name(name):
        return check_activity(ActivityDraft(Channel.CALL, sender_name=name, sender_phone="+420601111222"), default_region="CZ").sender.name

    assert sender_name("\u202eJan Nov\u00e1k\u202c") == "Jan Novák"
    assert sender_name("\u200b\u200d") is None  # nothing readable: recorded without a name
    assert sender_name("\u2066\u200b\u2069") is None
    assert sender_name("Eva\u200dSvobodová") == "Eva\u200dSvobodová"
