"""The memory store's indexes agree with the plain definitions they speed up."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest

from plugins.memory import MemoryStore
from service.domain.records import Customer, EmailAddress, PhoneNumber
from service.domain.search import customer_search_terms, customer_sort_key, matches, query_tokens
from service.storage import DuplicateId, RecordNotFound, StaleVersion

NOW = datetime(2026, 11, 25, tzinfo=UTC)
FIRST = ["Jan", "Petra", "Ingrid", "Đorđe", "Karel", "Zoë", "Ana", "Ola"]
LAST = ["Novák", "Nováková", "Jørgensen", "Đorđević", "Čapek", "Cibulka", "Dvořák", "Østby", "Müller", "Kováč"]


def customers(n: int, seed: int = 7) -> list[Customer]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        out.append(
            Customer(
                f"c{i:05d}",
                1,
                NOW,
                NOW,
                None,
                first_name=first,
                last_name=last,
                emails=(EmailAddress(f"{first}.{i}@ex.cz", f"{first}.{i}@ex.cz".lower()),),
                phones=(PhoneNumber(f"+420 601 {i:06d}", f"+420601{i:06d}"),),
            )
        )
    return out


def run(coro):
    return asyncio.run(coro)


@pytest.mark.parametrize("query", ["novak", "nov", "jan nov", "jorg", "o", "601 000 1", "zoe ostby", "muller", "nobody", ""])
def test_indexed_search_equals_the_reference_scan_and_pages_completely(query):
    data = customers(300)

    async def scenario():
        store = MemoryStore()
        for c in data:
            await store.insert_customer(c)
        tokens = query_tokens(query)
        expected = sorted(
            (c for c in data if matches(customer_search_terms(c), tokens)), key=lambda c: (customer_sort_key(c), c.id)
        )
        got, after, total = [], None, None
        while True:
            page = await store.search_customers(tokens, first=17, after=after)
            total = page.total_count
            got += [c for _, c in page.items]
            if not page.has_next_page:
                break
            after = page.items[-1][0]
        return expected, got, total

    expected, got, total = run(scenario())
    assert [c.id for c in got] == [c.id for c in expected]
    assert total == len(expected)


def test_compare_and_set_and_ids():
    async def scenario():
        store = MemoryStore()
        (c,) = customers(1)
        await store.insert_customer(c)
        with pytest.raises(DuplicateId):
            await store.insert_customer(c)
        from dataclasses import replace

        v2 = replace(c, version=2, last_name="Changed")
        await store.update_customer(v2, 1)
        with pytest.raises(StaleVersion) as stale:
            await store.update_customer(replace(c, version=2), 1)
        assert stale.value.current_version == 2
        with pytest.raises(RecordNotFound):
            await store.update_customer(replace(c, id="nope", version=2), 1)
        # The old name is no longer findable, the new one is; lookups follow the update.
        assert (await store.search_customers(["changed"], first=5, after=None)).total_count == 1
        assert (await store.get_customers([c.id, "nope"])) == [v2, None]
        found = await store.find_customers_by_identifiers(phones=[c.phones[0].e164], emails=[], limit=5)
        assert found == [v2]

    run(scenario())


def _contacts(n: int, seed: int = 3):
    from service.domain.records import Contact, ContactRole

    rng = random.Random(seed)
    titles = [None, "Ing.", "Mgr.", "Dr."]
    out = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = EmailAddress(f"{first}.{i}@ex.cz", f"{first}.{i}@ex.cz".lower()) if rng.random() < 0.8 else None
        out.append(
            Contact(
                f"k{i:05d}",
                1,
                NOW,
                NOW,
                rng.choice(["a", "b"]),
                customer_id=f"c{rng.randrange(20):05d}",
                role=rng.choice(list(ContactRole)),
                first_name=first,
                last_name=last,
                title=rng.choice(titles),
                email=email,
                reminder_contact=rng.random() < 0.3,
            )
        )
    return out


@pytest.mark.parametrize("seed", range(6))
def test_directory_indexes_agree_with_the_reference_rule_in_every_order(seed):
    """Random queries: the store's answer (either strategy: sorting few matches or walking
    the sort index) equals scanning with `matches` and sorting by `contact_sort_key`."""
    from service.domain.contact_directory import ContactField, ContactQuery, ContactSort, contact_sort_key
    from service.domain.contact_directory import matches as contact_matches
    from service.domain.records import ContactRole

    rng = random.Random(seed)
    people = customers(20)
    contacts = _contacts(400)
    names = {c.id: f"{c.first_name} {c.last_name}" for c in people}

    async def scenario():
        store = MemoryStore()
        for c in people:
            await store.insert_customer(c)
        for c in contacts:
            await store.insert_contact(c)
        for _ in range(25):
            q = ContactQuery(
                tokens=tuple(query_tokens(rng.choice(["", "", "nov", "ing", "jan nov", "o", "zoe", "ex"]))),
                search_in=rng.choice([None, frozenset({ContactField.LAST_NAME}), frozenset({ContactField.TITLE, ContactField.EMAIL})]),
                customer_id=rng.choice([None, None, f"c{rng.randrange(20):05d}"]),
                role=rng.choice([None, *ContactRole]),
                reminder_contact=rng.choice([None, True, False]),
                can_communicate=rng.choice([None, True, False]),
                order=rng.choice(list(ContactSort)),
                descending=rng.random() < 0.5,
                locale=rng.choice(["en", "cs", "nb", "de"]),
            )
            expected = sorted(
                (c for c in contacts if contact_matches(c, q)),
                key=lambda c: (contact_sort_key(c, names[c.customer_id], q.order, q.sort_locale), c.id),
                reverse=q.descending,
            )
            got, after = [], None
            while True:
                page = await store.search_contacts(q, first=23, after=after)
                assert page.total_count == len(expected)
                got += [c.id for _, c in page.items]
                if not page.has_next_page:
                    break
                after = page.items[-1][0]
            assert got == [c.id for c in expected], q

    run(scenario())
