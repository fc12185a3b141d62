"""The memory store's compact index structures agree with the plain ones they replace, and
its indexes after any sequence of writes are those of a store loaded with the result."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from datetime import UTC, datetime, timedelta

import pytest

from plugins.memory import MemoryStore
from plugins.memory.index import SMALL_INDEX, IdSets, SortedIndex
from service.domain.records import Activity, Channel, Contact, ContactRole, Customer, Direction, EmailAddress, PhoneNumber, Sender

NOW = datetime(2026, 11, 25, tzinfo=UTC)


@pytest.mark.parametrize("size", [5, SMALL_INDEX - 3, SMALL_INDEX * 3])
def test_sorted_index_agrees_with_a_sorted_list_across_its_small_and_large_forms(size):
    rng = random.Random(size)
    pool = [(rng.randrange(size), f"id{i}") for i in range(size * 2)]
    index: SortedIndex = SortedIndex.from_sorted(pool[: size // 2])
    reference = sorted(pool[: size // 2])
    for step in range(size * 3):
        key = rng.choice(pool)
        if rng.random() < 0.6:
            if key not in reference:
                index.add(key)
                reference.append(key)
                reference.sort()
        else:
            index.discard(key)
            if key in reference:
                reference.remove(key)
        if step % max(1, size // 10) == 0:
            assert len(index) == len(reference)
            probe = rng.choice(pool)
            assert list(index.iter_from(probe)) == [k for k in reference if k >= probe]
            assert list(index.iter_after(probe)) == [k for k in reference if k > probe]
            assert list(index.iter_after(probe, descending=True)) == [k for k in reversed(reference) if k < probe]
            assert list(index.iter_after(None)) == reference
            assert list(index.iter_after(None, descending=True)) == reference[::-1]
    assert list(SortedIndex(reversed(reference)).iter_after(None)) == reference


def test_id_sets_agree_with_a_dict_of_sets():
    rng = random.Random(3)
    ids, reference = IdSets(), {}
    for _ in range(5000):
        key, record_id = rng.randrange(40), f"r{rng.randrange(6)}"
        if rng.random() < 0.55:
            new = ids.add(key, record_id)
            assert new == (key not in reference)
            reference.setdefault(key, set()).add(record_id)
        else:
            gone = ids.discard(key, record_id)
            held = reference.get(key)
            if held is not None:
                held.discard(record_id)
                if not held:
                    del reference[key]
            assert gone == (held is not None and key not in reference)
        assert len(ids) == len(reference)
        for k in range(40):
            assert (k in ids) == (k in reference)
            assert ids.get(k) == reference.get(k, set())
            assert set(ids.iter(k)) == reference.get(k, set())
            out = {"x"}
            ids.update(out, k)
            assert out == {"x"} | reference.get(k, set())


def _indexes(store: MemoryStore) -> dict:
    """Everything the store indexes, in comparable form."""
    plain = lambda ids: {k: ({v} if isinstance(v, str) else set(v)) for k, v in ids._ids.items()}  # noqa: E731
    return {
        "terms": plain(store._term_ids),
        "term order": list(store._terms.iter_after(None)),
        "phones": plain(store._by_phone),
        "emails": plain(store._by_email),
        "blocking": plain(store._by_blocking_key),
        "customer order": list(store._customer_order.iter_after(None)),
        "customer keys": store._customer_keys,
        "contact terms": {f: plain(ids) for f, ids in store._cterm_ids.items()},
        "contact term order": {f: list(index.iter_after(None)) for f, index in store._cterms.items()},
        "contacts by customer": plain(store._by_customer_contacts),
        "roles": store._by_role,
        "reminder": store._by_reminder,
        "communicate": store._by_communicate,
        "activities": list(store._activity_all.iter_after(None)),
        "activities by customer": {
            k: list(v.iter_after(None)) for k, v in store._activity_by_customer.items() if len(v)
        },
    }


def test_indexes_after_writes_equal_those_of_a_store_loaded_with_the_result(tmp_path):
    rng = random.Random(11)
    names = ["Jan", "Jana", "Novák", "Nováková", "Østby", "Đorđe", "Müller", None]

    def customer(i: int, version: int = 1) -> Customer:
        first, last = rng.choice(names), rng.choice(names)
        return Customer(
            f"cu{i}", version, NOW, NOW + timedelta(seconds=version), "agent",
            first_name=first, last_name=last,
            organization_name=rng.choice([None, f"Firma {i} s.r.o."]),
            emails=(EmailAddress(f"x{rng.randrange(5)}@ex.cz", f"x{rng.randrange(5)}@ex.cz"),),
            phones=(PhoneNumber(f"+420 601 000 {rng.randrange(8):03d}", f"+420601000{rng.randrange(8):03d}"),),
        )  # fmt: skip

    def contact(i: int, customer_id: str, version: int = 1) -> Contact:
        return Contact(
            f"co{i}", version, NOW, NOW, "agent", customer_id=customer_id,
            role=rng.choice(list(ContactRole)), first_name=rng.choice(names), last_name=rng.choice(names),
            email=rng.choice([None, EmailAddress("a@b.cz", "a@b.cz")]),
            phone=rng.choice([None, PhoneNumber("601 222 333", "+420601222333")]),
            reminder_contact=rng.random() < 0.5,
        )  # fmt: skip

    def activity(i: int, customer_id: str | None, version: int = 1) -> Activity:
        at = NOW + timedelta(minutes=rng.randrange(1000))
        return Activity(
            f"ac{i}", version, at, at, "agent", Channel.CALL, Direction.INBOUND, Sender(phone="601 222 333"), at,
            customer_id=customer_id,
        )  # fmt: skip

    async def scenario():
        store = MemoryStore(data_file=str(tmp_path / "data"))
        await store.open()
        for i in range(30):
            await store.insert_customer(customer(i))
        for i in range(80):
            await store.insert_contact(contact(i, f"cu{rng.randrange(30)}"))
        for i in range(60):
            await store.insert_activity(activity(i, rng.choice([None, f"cu{rng.randrange(30)}"])))
        for _ in range(300):
            what = rng.random()
            if what < 0.3:
                i = rng.randrange(30)
                old = store._customers[f"cu{i}"]
                await store.update_customer(customer(i, old.version + 1), old.version)
            elif what < 0.6 and store._contacts:
                old = store._contacts[rng.choice(sorted(store._contacts))]
                new = contact(int(old.id[2:]), f"cu{rng.randrange(30)}", old.version + 1)
                await store.update_contact(new, old.version)
            elif what < 0.75 and store._contacts:
                await store.delete_contact(rng.choice(sorted(store._contacts)))
            else:
                old = store._activities[rng.choice(sorted(store._activities))]
                new = dataclasses.replace(old, version=old.version + 1, customer_id=rng.choice([None, f"cu{rng.randrange(30)}"]))
                await store.update_activity(new, old.version)
        written = _indexes(store)
        await store.close()
        again = MemoryStore(data_file=str(tmp_path / "data"))
        await again.open()
        try:
            assert _indexes(again) == written
        finally:
            await again.close()

    asyncio.run(scenario())


def test_a_replay_keeps_repeated_values_once_and_the_records_equal(tmp_path):
    """Replaying shares equal values between records (a contact's customer id and the
    customer's id, names, phone numbers) and equal timestamps within one: the records are
    equal to those written, only held once."""
    customer = Customer(
        "cu1", 1, NOW, NOW, "agent", first_name="Jana", last_name="Nováková",
        emails=(EmailAddress("jana@ex.cz", "jana@ex.cz"), EmailAddress("Jana@Ex.cz", "jana@ex.cz", "work")),
        phones=(PhoneNumber("+420 601 222 333", "+420601222333", "mobile"),),
    )  # fmt: skip
    contacts = [
        Contact(
            f"co{i}", 1, NOW, NOW + timedelta(seconds=i), "agent", customer_id="cu1", first_name="Jana",
            email=EmailAddress("a@b.cz", "a@b.cz"), phone=PhoneNumber("+420 601 222 333", "+420601222333"),
        )  # fmt: skip
        for i in range(2)
    ]
    activity = Activity(
        "ac1", 2, NOW, NOW, "agent", Channel.CALL, Direction.INBOUND,
        Sender(phone="+420 601 222 333", phone_e164="+420601222333", email="X@b.cz", email_normalized="x@b.cz"),
        NOW, customer_id="cu1", associated_at=NOW,
    )  # fmt: skip

    async def scenario():
        store = MemoryStore(data_file=str(tmp_path / "data"))
        await store.open()
        await store.insert_customer(customer)
        for c in contacts:
            await store.insert_contact(c)
        await store.insert_activity(activity)
        await store.close()
        again = MemoryStore(data_file=str(tmp_path / "data"))
        await again.open()
        try:
            return (
                (await again.get_customers(["cu1"]))[0],
                await again.get_contacts(["co0", "co1"]),
                (await again.get_activities(["ac1"]))[0],
            )
        finally:
            await again.close()

    c, (k0, k1), a = asyncio.run(scenario())
    assert (c, [k0, k1], a) == (customer, contacts, activity)
    assert k0.customer_id is c.id and a.customer_id is c.id
    assert k0.first_name is k1.first_name is c.first_name
    assert k0.created_by is c.created_by is a.created_by
    assert k0.phone.number is c.phones[0].number is a.sender.phone
    assert c.emails[0].normalized is c.emails[0].address and c.emails[1].normalized is not c.emails[1].address
    assert c.updated_at is c.created_at and k1.updated_at is not k1.created_at
    assert a.updated_at is a.occurred_at is a.associated_at is a.created_at


@pytest.mark.parametrize(
    "damage",
    [
        lambda doc: doc.update(updated_at="yesterday"),
        lambda doc: doc.update(emails="jana@ex.cz"),
        lambda doc: doc.update(phones=[{"number": 7}]),
    ],
)
def test_a_damaged_record_is_still_refused_when_values_are_shared(tmp_path, damage):
    import json

    from plugins.memory.journal import DataFileError

    path = tmp_path / "data"

    async def write():
        store = MemoryStore(data_file=str(path))
        await store.open()
        await store.insert_customer(Customer("cu1", 1, NOW, NOW, "agent", first_name="Jana"))
        await store.insert_customer(Customer("cu2", 1, NOW, NOW, "agent", first_name="Jana"))
        await store.close()

    asyncio.run(write())
    lines = path.read_text().splitlines()
    last = json.loads(lines[-1])
    damage(last["doc"])
    path.write_text("\n".join([*lines[:-1], json.dumps(last)]) + "\n")

    async def reopen():
        store = MemoryStore(data_file=str(path))
        await store.open()
        await store.close()

    with pytest.raises(DataFileError, match="damaged"):
        asyncio.run(reopen())


@pytest.mark.parametrize("forced", [False, True], ids=["as chosen", "order walks refused"])
@pytest.mark.parametrize("seed", range(4))
def test_directory_pages_agree_with_the_reference_while_contacts_are_written(seed, forced, monkeypatch):
    """Many contacts whose matches cluster in the order (sorted by last name, a first name
    matches in runs inside every last name): pages come from walking the order, from
    merging the matching terms' entries (kept current by every write and rename) or from
    picking among the matches, and always equal the reference scan. `forced`: every walk
    of the whole order gives up, so the other two ways answer every search."""
    import plugins.memory.contacts as contacts_module
    from service.domain.contact_directory import ContactField, ContactQuery, ContactSort, contact_sort_key
    from service.domain.contact_directory import matches as contact_matches
    from service.domain.search import query_tokens

    merged = []
    original, walk = contacts_module.ContactTables._merged_walk, contacts_module._walk
    merging = [False]

    def recording(self, *args):
        merging[0] = True
        try:
            out = original(self, *args)
        finally:
            merging[0] = False
        merged.append(out is not None)
        return out

    def refusing(*args):
        return walk(*args) if merging[0] or not forced else None

    monkeypatch.setattr(contacts_module.ContactTables, "_merged_walk", recording)
    monkeypatch.setattr(contacts_module, "_walk", refusing)
    rng = random.Random(seed)
    first_names = ["Jan", "Jana", "Petr", "Eva", "Ingrid", "Ola", "Zoë", "Ivana", "Karel", "Anna"]
    last_names = ["Novák", "Nováková", "Østby", "Dvořák", "Müller", "Hansen", "Čapek", "Kolář", "Zeman"]
    people = {f"cu{i}": Customer(f"cu{i}", 1, NOW, NOW, "a", first_name=rng.choice(first_names), last_name=rng.choice(last_names)) for i in range(12)}

    def contact(i: int, version: int = 1) -> Contact:
        first = rng.choice(first_names)
        return Contact(
            f"co{i:05d}", version, NOW, NOW, rng.choice(["a", "b"]), customer_id=rng.choice(sorted(people)),
            role=rng.choice(list(ContactRole)), first_name=first, last_name=rng.choice(last_names),
            title=rng.choice([None, "Ing.", "Mgr."]),
            email=EmailAddress(f"{first}.{i}@ex.cz", f"{first}.{i}@ex.cz".lower()) if rng.random() < 0.8 else None,
            reminder_contact=rng.random() < 0.3,
        )  # fmt: skip

    async def scenario():
        store = MemoryStore()
        for c in people.values():
            await store.insert_customer(c)
        for i in range(1500):
            await store.insert_contact(contact(i))
        next_id = 1500
        for step in range(60):
            for _ in range(rng.randrange(8)):  # writes between the searches
                what = rng.random()
                if what < 0.35:
                    await store.insert_contact(contact(next_id))
                    next_id += 1
                elif what < 0.7:
                    old = store._contacts[rng.choice(sorted(store._contacts))]
                    await store.update_contact(contact(int(old.id[2:]), old.version + 1), old.version)
                elif what < 0.9:
                    await store.delete_contact(rng.choice(sorted(store._contacts)))
                else:
                    old = people[rng.choice(sorted(people))]
                    new = dataclasses.replace(old, version=old.version + 1, last_name=rng.choice(last_names))
                    await store.update_customer(new, old.version)
                    people[new.id] = new
            q = ContactQuery(
                tokens=tuple(query_tokens(rng.choice(["jan", "nov", "ing", "jan nov", "petr ing", "o", "ex", "zo"]))),
                search_in=rng.choice([None, None, frozenset({ContactField.FIRST_NAME, ContactField.EMAIL})]),
                role=rng.choice([None, None, *ContactRole]),
                reminder_contact=rng.choice([None, None, True]),
                order=rng.choice([ContactSort.LAST_NAME, ContactSort.LAST_NAME, ContactSort.CUSTOMER, ContactSort.FIRST_NAME]),
                descending=rng.random() < 0.3,
                locale=rng.choice(["en", "cs"]),
            )
            names = {c.id: f"{c.first_name} {c.last_name}" for c in people.values()}
            expected = sorted(
                (c for c in store._contacts.values() if contact_matches(c, q)),
                key=lambda c: (contact_sort_key(c, names[c.customer_id], q.order, q.sort_locale), c.id),
                reverse=q.descending,
            )
            got, after = [], None
            for _ in range(3):  # the first pages: cursors into every way of paging
                page = await store.search_contacts(q, first=rng.choice([5, 20]), after=after)
                assert page.total_count == len(expected)
                got += [c.id for _, c in page.items]
                if not page.has_next_page:
                    break
                after = page.items[-1][0]
            assert got == [c.id for c in expected][: len(got)], q
            assert page.has_next_page == (len(got) < len(expected))

    asyncio.run(scenario())
    assert any(merged), "no page came from merging terms' entries"


@pytest.mark.parametrize("order_name", ["LAST_NAME", "CUSTOMER"])
def test_contacts_written_while_a_sort_index_is_built_are_in_it_when_installed(order_name, monkeypatch):
    """A column's sort index is built in a worker thread from a copy of the contacts while
    the event loop goes on: contacts added, updated (a new name), removed, and a customer
    renamed meanwhile are where they belong once it is installed; searches waiting for it
    get one build; and a build that fails is started again by the next search."""
    import threading

    import plugins.memory.contacts as contacts_module
    from service.domain.contact_directory import ContactQuery, ContactSort

    order = ContactSort[order_name]
    started, release = threading.Event(), threading.Event()
    builds, fail = [], [True]
    real_key = contacts_module.contact_sort_key

    def slow_key(*args):  # in the worker: wait until the test has written
        if threading.current_thread() is not threading.main_thread():
            if not started.is_set():
                builds.append(1)
                started.set()
                assert release.wait(30)
                if fail[0]:
                    fail[0] = False
                    raise RuntimeError("build failed")
        return real_key(*args)

    monkeypatch.setattr(contacts_module, "contact_sort_key", slow_key)

    def person(i: int, last: str, customer: str = "cu0", version: int = 1) -> Contact:
        return Contact(f"co{i:03d}", version, NOW, NOW, "a", customer_id=customer, role=ContactRole.MAIN, first_name="Jan", last_name=last)

    async def scenario():
        store = MemoryStore()
        await store.open()
        for i, name in enumerate(["Adam", "Zeman"]):
            await store.insert_customer(Customer(f"cu{i}", 1, NOW, NOW, "a", last_name=name))
        for i in range(40):
            await store.insert_contact(person(i, f"Name{i:02d}", f"cu{i % 2}"))
        query = ContactQuery(order=order, locale="en")

        async def search_after_writes():
            search = asyncio.ensure_future(store.search_contacts(query, first=100, after=None))
            while not started.is_set():  # the loop runs while the worker builds
                await asyncio.sleep(0.001)
            return search

        # A failed build: the waiting search fails, the next one builds again.
        failing = await search_after_writes()
        release.set()
        with pytest.raises(RuntimeError, match="build failed"):
            await failing
        started.clear()
        release.clear()

        searches = [await search_after_writes()]
        searches.append(asyncio.ensure_future(store.search_contacts(query, first=100, after=None)))  # waits for the same build
        await store.insert_contact(person(100, "Aaron"))  # added
        await store.update_contact(person(5, "Zzz", "cu1", version=2), 1)  # renamed and moved to the other customer
        await store.delete_contact("co007")  # removed
        await store.update_customer(Customer("cu1", 2, NOW, NOW, "a", last_name="Aaa"), 1)  # its contacts move up by customer
        release.set()
        pages = [await s for s in searches]

        ids = [c.id for _, c in pages[0].items]
        expected = sorted(  # every contact's key worked out now, from the records as they are
            store._contacts.values(),
            key=lambda c: (contacts_module.contact_sort_key(c, store._customer_name(c.customer_id), order, "en"), c.id),
        )
        assert ids == [c.id for c in expected] and len(ids) == 40  # 40 + 1 added - 1 removed
        assert [c.id for _, c in pages[1].items] == ids
        assert "co100" in ids and "co007" not in ids
        assert len(builds) == 2  # the failed one, then one for both searches
        # And the installed index is kept current as usual from then on.
        await store.insert_contact(person(101, "Aardvark"))
        again = await store.search_contacts(query, first=100, after=None)
        assert len(again.items) == 41 and len(builds) == 2

    asyncio.run(scenario())
