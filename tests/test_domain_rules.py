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
