"""The storage conformance suite: the tests every storage backend must pass.

It ships inside the package so a partner runs it against their backend with a few lines
of their own test code (pytest):

    # test_my_backend.py
    import pytest
    from service.conformance import StorageConformance
    from my_backend import MyStore

    class TestMyBackend(StorageConformance):
        missing_capabilities = {"persistence"}   # what the backend does not offer

        @pytest.fixture
        def store_factory(self, tmp_path):
            # Each call: a NEW, EMPTY store (or an awaitable of one). Not yet opened.
            return lambda: MyStore(...)

The suite opens every store it makes, drives it on its own event loop (no pytest plugin
needed) and closes it. Capabilities a backend may declare absent:

- "persistence": what was stored survives close() and a new store over the same data
  (`reopen_factory(old_store)` makes that new store; required unless declared absent).
"""

from __future__ import annotations

import asyncio
import inspect
import random
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from .domain.contact_directory import ContactField, ContactQuery, ContactSort, contact_sort_key
from .domain.contact_directory import matches as contact_matches
from .domain.display_name import customer_display_name
from .domain.records import (
    Activity,
    Candidate,
    Channel,
    Contact,
    ContactRole,
    Customer,
    Direction,
    EmailAddress,
    EntryStatus,
    MatchReason,
    OpenListEntry,
    PhoneNumber,
    Prefill,
    Sender,
)
from .domain.search import customer_search_terms, customer_sort_key, matches, query_tokens
from .storage import DuplicateId, InvalidCursor, RecordNotFound, StaleVersion, Storage

CAPABILITIES = frozenset({"persistence"})

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
FIRST = ["Jan", "Petra", "Ingrid", "Đorđe", "Karel", "Zoë", "Ana", "Ola", "Jürgen"]
LAST = ["Novák", "Nováková", "Jørgensen", "Đorđević", "Čapek", "Cibulka", "Dvořák", "Østby", "Müller", "Kováč", "Chudoba"]


def at(seconds: float) -> datetime:
    """A time the suite uses: UTC, whole milliseconds (the finest every store keeps)."""
    return T0 + timedelta(milliseconds=int(seconds * 1000))


def customer(i: int, **fields: Any) -> Customer:
    defaults: dict[str, Any] = {"first_name": FIRST[i % len(FIRST)], "last_name": LAST[i % len(LAST)]}
    defaults.update(fields)
    return Customer(f"cust{i:05d}", 1, at(i), at(i), "suite", **defaults)


def contact(i: int, customer_id: str, **fields: Any) -> Contact:
    rng = random.Random(i)
    defaults: dict[str, Any] = {
        "role": rng.choice(list(ContactRole)),
        "first_name": rng.choice(FIRST),
        "last_name": rng.choice(LAST),
        "title": rng.choice([None, None, "Ing.", "Mgr.", "Dr."]),
        "salutation": rng.choice([None, "Pan", "Frau"]),
        "email": EmailAddress(f"p{i}@ex.cz", f"p{i}@ex.cz") if rng.random() < 0.8 else None,
        "phone": PhoneNumber(f"+420 601 {i:06d}", f"+420601{i:06d}") if rng.random() < 0.5 else None,
        "reminder_contact": rng.random() < 0.3,
    }
    defaults.update(fields)
    return Contact(f"cont{i:05d}", 1, at(i), at(i), rng.choice(["agent-a", "agent-b"]), customer_id=customer_id, **defaults)


def activity(i: int, customer_id: str | None = None, occurred: float | None = None, **fields: Any) -> Activity:
    return Activity(
        f"act{i:05d}",
        1,
        at(i),
        at(i),
        "suite",
        Channel.CALL,
        Direction.INBOUND,
        Sender(name=f"Caller {i}", phone="601 000 000", phone_e164="+420601000000"),
        at(occurred if occurred is not None else i),
        customer_id=customer_id,
        **fields,
    )


def entry(i: int, agent_id: str | None = "agent-a", **fields: Any) -> OpenListEntry:
    return OpenListEntry(f"ent{i:05d}", 1, at(i), at(i), "suite", f"act{i:05d}", agent_id, Prefill(first_name=f"N{i}"), **fields)


async def _maybe(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _page_all(call: Callable[[str | None], Awaitable[Any]]) -> tuple[list[str], int]:
    """Every id of a list, page by page, and the total the first page reported."""
    ids: list[str] = []
    after, total = None, None
    while True:
        page = await call(after)
        total = page.total_count if total is None else total
        ids += [record.id for _, record in page.items]
        if not page.has_next_page:
            return ids, total
        assert page.items, "has_next_page with an empty page"
        after = page.items[-1][0]


class StorageConformance:
    """Subclass it in a test module named Test... and provide `store_factory` (see the
    module docstring). Every test makes its own fresh store."""

    #: Capabilities this backend does not offer; tests needing them are skipped.
    missing_capabilities: frozenset[str] | set[str] = frozenset()

    @pytest.fixture
    def store_factory(self) -> Callable[[], Storage | Awaitable[Storage]]:
        raise NotImplementedError("provide a store_factory fixture returning a callable that makes a new, empty store")

    @pytest.fixture
    def reopen_factory(self) -> Callable[[Storage], Storage | Awaitable[Storage]] | None:
        return None

    @pytest.fixture
    def run(self, store_factory):
        """run(scenario): open a fresh store, await scenario(store), close it."""

        def run(scenario: Callable[[Storage], Awaitable[None]]) -> None:
            async def main() -> None:
                store = await _maybe(store_factory())
                await store.open()
                try:
                    await scenario(store)
                finally:
                    await store.close()

            asyncio.run(main())

        return run

    def _require(self, capability: str) -> None:
        assert capability in CAPABILITIES, capability
        if capability in set(self.missing_capabilities):
            pytest.skip(f"the backend declares it lacks {capability!r}")

    # --- basics ------------------------------------------------------------------------

    def test_ping_answers_when_open(self, run):
        async def scenario(store):
            await store.ping()

        run(scenario)

    def test_records_come_back_equal_by_value(self, run):
        """Every field of every record type survives, unicode, newlines and 2,000 characters included."""
        c = customer(
            1,
            organization_name="Ørsted & Søn — ",
            emails=(EmailAddress("Jan@Příklad.cz", "jan@příklad.cz", "work"), EmailAddress("b@x.cz", "b@x.cz")),
            phones=(PhoneNumber("601 123 456", "+420601123456", "mobile"),),
            external_id="x" * 2000,
        )

        async def scenario(store):
            await store.insert_customer(c)
            k = contact(1, c.id)
            a = activity(1, c.id, text="Dobrý den,\n\tpíšu…", subject="Re: ✓", associated_at=at(2), open_list_entry_id="ent00001")
            e = entry(
                1,
                candidates=(Candidate(c.id, 0.95, (MatchReason("phone", "EXACT", 1.0),)),),
                status=EntryStatus.CREATED,
                customer_id=c.id,
                resolved_at=at(3),
                resolved_by="agent-a",
            )
            await store.insert_contact(k)
            await store.insert_activity(a)
            await store.insert_open_list_entry(e)
            assert await store.get_customers([c.id]) == [c]
            assert await store.get_contacts([k.id]) == [k]
            assert await store.get_activities([a.id]) == [a]
            assert await store.get_open_list_entries([e.id]) == [e]

        run(scenario)

    def test_get_answers_in_the_order_asked_with_none_for_unknown(self, run):
        async def scenario(store):
            for i in range(3):
                await store.insert_customer(customer(i))
            got = await store.get_customers(["cust00002", "nope", "cust00000", "cust00002"])
            assert [c.id if c else None for c in got] == ["cust00002", None, "cust00000", "cust00002"]
            assert await store.get_activities(["nope"]) == [None]
            assert await store.get_open_list_entries(["nope"]) == [None]
            assert await store.get_contacts(["nope"]) == [None]

        run(scenario)

    def test_inserting_an_existing_id_is_rejected(self, run):
        async def scenario(store):
            c = customer(1)
            await store.insert_customer(c)
            with pytest.raises(DuplicateId):
                await store.insert_customer(replace(c, last_name="Other"))
            assert (await store.get_customers([c.id]))[0].last_name == c.last_name
            await store.insert_contact(contact(1, c.id))
            with pytest.raises(DuplicateId):
                await store.insert_contact(contact(1, c.id))
            await store.insert_activity(activity(1))
            with pytest.raises(DuplicateId):
                await store.insert_activity(activity(1))
            await store.insert_open_list_entry(entry(1))
            with pytest.raises(DuplicateId):
                await store.insert_open_list_entry(entry(1))

        run(scenario)

    # --- compare-and-set ------------------------------------------------------------------

    @pytest.mark.parametrize("kind", ["customer", "contact", "activity", "open_list_entry"])
    def test_updates_are_compare_and_set(self, run, kind):
        async def scenario(store):
            c = customer(1)
            await store.insert_customer(c)
            record = {
                "customer": c,
                "contact": contact(1, c.id),
                "activity": activity(1),
                "open_list_entry": entry(1),
            }[kind]
            insert = getattr(store, f"insert_{kind}")
            update = getattr(store, f"update_{kind}")
            get = {
                "customer": store.get_customers,
                "contact": store.get_contacts,
                "activity": store.get_activities,
                "open_list_entry": store.get_open_list_entries,
            }[kind]
            if kind != "customer":
                await insert(record)
            v2 = replace(record, version=2, updated_at=at(100))
            await update(v2, 1)
            assert await get([record.id]) == [v2]
            with pytest.raises(StaleVersion) as stale:
                await update(replace(record, version=2, updated_at=at(200)), 1)
            assert stale.value.current_version == 2
            assert await get([record.id]) == [v2]  # the loser changed nothing
            with pytest.raises(RecordNotFound):
                await update(replace(record, id="missing", version=2), 1)
            v3 = replace(v2, version=3, updated_at=at(300))
            await update(v3, 2)
            assert await get([record.id]) == [v3]

        run(scenario)

    def test_concurrent_writers_of_one_version_have_exactly_one_winner(self, run):
        async def scenario(store):
            c = customer(1)
            await store.insert_customer(c)

            async def attempt(n: int) -> bool:
                try:
                    await store.update_customer(replace(c, version=2, first_name=f"Writer {n}"), 1)
                    return True
                except StaleVersion:
                    return False

            wins = await asyncio.gather(*[attempt(n) for n in range(10)])
            assert sum(wins) == 1
            (stored,) = await store.get_customers([c.id])
            assert stored.version == 2 and stored.first_name == f"Writer {wins.index(True)}"

        run(scenario)

    # --- customers ------------------------------------------------------------------------

    def test_identifier_lookups_follow_every_write(self, run):
        async def scenario(store):
            a = customer(1, phones=(PhoneNumber("601 1", "+420601000001"),), emails=(EmailAddress("A@x.cz", "a@x.cz"),))
            b = customer(2, phones=(PhoneNumber("601 1", "+420601000001"),))
            await store.insert_customer(a)
            await store.insert_customer(b)
            found = await store.find_customers_by_identifiers(phones=["+420601000001"], emails=[], limit=10)
            assert sorted(c.id for c in found) == [a.id, b.id]
            found = await store.find_customers_by_identifiers(phones=[], emails=["a@x.cz"], limit=10)
            assert [c.id for c in found] == [a.id]
            assert len(await store.find_customers_by_identifiers(phones=["+420601000001"], emails=["a@x.cz"], limit=1)) == 1
            assert await store.find_customers_by_identifiers(phones=["+420999"], emails=["no@x.cz"], limit=10) == []
            # A changed number is found by the new value only.
            await store.update_customer(replace(b, version=2, phones=(PhoneNumber("602", "+420602000002"),)), 1)
            found = await store.find_customers_by_identifiers(phones=["+420601000001"], emails=[], limit=10)
            assert [c.id for c in found] == [a.id]
            found = await store.find_customers_by_identifiers(phones=["+420602000002"], emails=[], limit=10)
            assert [(c.id, c.version) for c in found] == [(b.id, 2)]

        run(scenario)

    def test_blocking_key_lookups_follow_every_write(self, run):
        from .domain.identity import Identity
        from .domain.name_keys import blocking_keys

        async def scenario(store):
            jan = customer(1, first_name="Jan", last_name="Novák")
            await store.insert_customer(jan)
            await store.insert_customer(customer(2, first_name="Eva", last_name="Dvořáková"))
            keys = sorted(blocking_keys(Identity("J.", "Nowak")))
            assert [c.id for c in await store.find_customers_by_blocking_keys(keys, limit=10)] == [jan.id]
            swapped = sorted(blocking_keys(Identity("Novak", "Jan")))
            assert [c.id for c in await store.find_customers_by_blocking_keys(swapped, limit=10)] == [jan.id]
            await store.update_customer(replace(jan, version=2, last_name="Svoboda"), 1)
            assert await store.find_customers_by_blocking_keys(keys, limit=10) == []
            moved = sorted(blocking_keys(Identity("Jan", "Svoboda")))
            assert [(c.id, c.version) for c in await store.find_customers_by_blocking_keys(moved, limit=10)] == [(jan.id, 2)]
            assert await store.find_customers_by_blocking_keys([], limit=10) == []
            many = [customer(10 + i, first_name="Jan", last_name="Novák") for i in range(5)]
            for c in many:
                await store.insert_customer(c)
            assert len(await store.find_customers_by_blocking_keys(sorted(blocking_keys(Identity("Jan", "Novák"))), limit=3)) == 3

        run(scenario)

    def test_blocking_key_lookups_keep_the_customers_sharing_most_keys(self, run):
        """More customers in the blocks than `limit`: those sharing the most keys are kept
        (ties by id), or a common first name would crowd out the customer being looked for."""
        from .domain.identity import Identity
        from .domain.name_keys import blocking_keys

        async def scenario(store):
            crowd = [customer(20 + i, first_name="Jan", last_name="Nejedlý") for i in range(6)]  # 2 keys shared
            for c in crowd:
                await store.insert_customer(c)
            jan = customer(90, first_name="Jan", last_name="Novák")  # all 4 shared, largest id
            await store.insert_customer(jan)
            keys = sorted(blocking_keys(Identity("Jan", "Novák")))
            assert [c.id for c in await store.find_customers_by_blocking_keys(keys, limit=1)] == [jan.id]
            found = await store.find_customers_by_blocking_keys(keys, limit=3)
            assert [c.id for c in found] == [jan.id, crowd[0].id, crowd[1].id]

        run(scenario)

    @pytest.mark.parametrize("text", ["", "nov", "NOVÁK", "jan nov", "jorgensen", "o", "601 000 00", "ex", "zzz"])
    def test_customer_search_agrees_with_the_reference_and_pages_completely(self, run, text):
        people = [
            customer(i, phones=(PhoneNumber(f"601 000 {i:03d}", f"+420601000{i:03d}"),) if i % 3 == 0 else (),
                     emails=(EmailAddress(f"p{i}@ex.cz", f"p{i}@ex.cz"),) if i % 2 else ())
            for i in range(60)
        ]
        tokens = query_tokens(text)
        expected = [
            c.id
            for c in sorted(people, key=lambda c: (customer_sort_key(c), c.id))
            if matches(customer_search_terms(c), tokens)
        ]

        async def scenario(store):
            for c in people:
                await store.insert_customer(c)
            ids, total = await _page_all(lambda after: store.search_customers(tokens, first=7, after=after))
            assert ids == expected
            assert total == len(expected)

        run(scenario)

    def test_customer_cursors_stay_valid_when_records_are_inserted(self, run):
        async def scenario(store):
            for i in range(10):
                await store.insert_customer(customer(i, first_name=None, last_name=f"Name {i:02d}"))
            page = await store.search_customers([], first=4, after=None)
            assert [c.last_name for _, c in page.items] == [f"Name {i:02d}" for i in range(4)]
            await store.insert_customer(customer(50, first_name=None, last_name="Name 00a"))  # before the cursor
            await store.insert_customer(customer(51, first_name=None, last_name="Name 05a"))  # after it
            rest = await store.search_customers([], first=100, after=page.items[-1][0])
            assert [c.last_name for _, c in rest.items] == ["Name 04", "Name 05", "Name 05a", "Name 06", "Name 07", "Name 08", "Name 09"]
            assert rest.total_count == 12

        run(scenario)

    def test_small_lists_count_exactly_and_say_so(self, run):
        async def scenario(store):
            for i in range(5):
                await store.insert_customer(customer(i))
                await store.insert_activity(activity(i, customer_id="cust00000" if i < 2 else None))
                await store.insert_open_list_entry(entry(i))
                await store.insert_contact(contact(i, "cust00000"))
            pages = [
                (await store.search_customers([], first=2, after=None), 5),
                (await store.search_customers([query_tokens(LAST[2])[0]], first=2, after=None), 1),
                (await store.list_activities(customer_id=None, unassociated=None, first=2, after=None), 5),
                (await store.list_activities(customer_id="cust00000", unassociated=None, first=2, after=None), 2),
                (await store.list_open_list_entries(agent_id=None, first=2, after=None), 5),
                (await store.search_contacts(ContactQuery(), first=2, after=None), 5),
            ]
            assert [(p.total_count, p.total_count_exact) for p, _ in pages] == [(n, True) for _, n in pages]

        run(scenario)

    def test_a_renamed_customer_moves_in_the_order_and_the_search(self, run):
        async def scenario(store):
            c = customer(1, first_name=None, last_name="Adams")
            await store.insert_customer(c)
            await store.insert_customer(customer(2, first_name=None, last_name="Baker"))
            await store.update_customer(replace(c, version=2, last_name="Zeller"), 1)
            page = await store.search_customers([], first=10, after=None)
            assert [x.last_name for _, x in page.items] == ["Baker", "Zeller"]
            assert (await store.search_customers(["adams"], first=10, after=None)).total_count == 0
            assert (await store.search_customers(["zell"], first=10, after=None)).total_count == 1

        run(scenario)

    def test_a_cursor_the_store_did_not_make_is_invalid(self, run):
        async def scenario(store):
            await store.insert_customer(customer(1))
            for bad in ["garbage", '["a"]', "", "\x00invalid", "[" * 100_000]:
                with pytest.raises(InvalidCursor):
                    await store.search_customers([], first=5, after=bad)
                with pytest.raises(InvalidCursor):
                    await store.list_activities(customer_id=None, unassociated=None, first=5, after=bad)
                with pytest.raises(InvalidCursor):
                    await store.list_open_list_entries(agent_id=None, first=5, after=bad)
                with pytest.raises(InvalidCursor):
                    await store.search_contacts(ContactQuery(), first=5, after=bad)

        run(scenario)

    # --- activities -----------------------------------------------------------------------

    def test_activity_lists_newest_first_with_filters(self, run):
        async def scenario(store):
            await store.insert_customer(customer(1))
            await store.insert_customer(customer(2))
            # occurred times out of insert order, two sharing a millisecond (ties: newest id first)
            layout = [(0, "cust00001", 5), (1, "cust00001", 9), (2, None, 7), (3, "cust00002", 9), (4, None, 1), (5, "cust00001", 9)]
            for i, cid, occurred in layout:
                await store.insert_activity(activity(i, cid, occurred=occurred))

            async def ids(**kw):
                return await _page_all(lambda after: store.list_activities(first=2, after=after, **kw))

            assert await ids(customer_id=None, unassociated=None) == (["act00005", "act00003", "act00001", "act00002", "act00000", "act00004"], 6)
            assert await ids(customer_id="cust00001", unassociated=None) == (["act00005", "act00001", "act00000"], 3)
            assert await ids(customer_id=None, unassociated=True) == (["act00002", "act00004"], 2)
            assert await ids(customer_id=None, unassociated=False) == (["act00005", "act00003", "act00001", "act00000"], 4)
            # Associating moves an activity between the lists.
            (a,) = await store.get_activities(["act00004"])
            await store.update_activity(replace(a, version=2, customer_id="cust00002"), 1)
            assert await ids(customer_id=None, unassociated=True) == (["act00002"], 1)
            assert await ids(customer_id="cust00002", unassociated=None) == (["act00003", "act00004"], 2)

        run(scenario)

    def test_a_caller_id_that_did_not_parse_is_kept_as_sent(self, run):
        # A caller ID no region reads ('anonymous', a short code, another country's national
        # form) has no E.164 form; the service records it anyway (docs/errors.md, INVALID_PHONE).
        async def scenario(store):
            sent = ["anonymous", "030 12345678", "112", "+"]
            for i, phone in enumerate(sent):
                await store.insert_activity(replace(activity(i), sender=Sender(phone=phone)))
            got = await store.get_activities([f"act{i:05d}" for i in range(len(sent))])
            assert [(a.sender.phone, a.sender.phone_e164) for a in got] == [(p, None) for p in sent]
            ids, total = await _page_all(lambda after: store.list_activities(customer_id=None, unassociated=True, first=3, after=after))
            assert total == len(sent) and sorted(ids) == [f"act{i:05d}" for i in range(len(sent))]
            # Updates keep it too (an unparsed caller is associated by hand).
            await store.insert_customer(customer(1))
            await store.update_activity(replace(got[0], version=2, customer_id="cust00001"), 1)
            (again,) = await store.get_activities([got[0].id])
            assert (again.sender.phone, again.sender.phone_e164, again.customer_id) == ("anonymous", None, "cust00001")

        run(scenario)

    def test_an_agents_activity_lists_leave_out_other_agents_waiting_callers(self, run):
        async def scenario(store):
            await store.insert_customer(customer(1))
            # Newest first: other agents' waiting callers lie between the visible ones, so a
            # store that filtered after paging would return short pages.
            layout = [
                (0, None, "agent-b"), (1, "cust00001", "agent-b"), (2, None, "agent-a"), (3, None, "agent-b"),
                (4, None, None), (5, None, "agent-b"), (6, "cust00001", None), (7, None, "agent-b"), (8, None, "agent-a"),
            ]
            for i, cid, agent in layout:
                await store.insert_activity(activity(i, cid, agent_id=agent))

            async def ids(**kw):
                return await _page_all(lambda after: store.list_activities(first=2, after=after, visible_to_agent="agent-a", **kw))

            assert await ids(customer_id=None, unassociated=None) == (["act00008", "act00006", "act00004", "act00002", "act00001"], 5)
            assert await ids(customer_id=None, unassociated=True) == (["act00008", "act00004", "act00002"], 3)
            assert await ids(customer_id=None, unassociated=False) == (["act00006", "act00001"], 2)
            assert await ids(customer_id="cust00001", unassociated=None) == (["act00006", "act00001"], 2)
            first = await store.list_activities(customer_id=None, unassociated=True, first=1, after=None, visible_to_agent="agent-a")
            assert first.has_next_page and first.total_count == 3
            # Without it (administrators, read-only staff), everything, as before.
            assert (await store.list_activities(customer_id=None, unassociated=True, first=0, after=None)).total_count == 7
            # Once another agent's caller gets a customer it is that customer's, seen by all.
            (a,) = await store.get_activities(["act00007"])
            await store.update_activity(replace(a, version=2, customer_id="cust00001"), 1)
            assert await ids(customer_id=None, unassociated=None) == (["act00008", "act00007", "act00006", "act00004", "act00002", "act00001"], 6)
            assert await ids(customer_id=None, unassociated=True) == (["act00008", "act00004", "act00002"], 3)

        run(scenario)

    # --- the open list --------------------------------------------------------------------

    def test_the_open_list_holds_open_entries_oldest_first_per_agent(self, run):
        async def scenario(store):
            for i, agent in enumerate(["agent-a", "agent-b", "agent-a", None, "agent-a"]):
                await store.insert_open_list_entry(entry(i, agent))

            async def ids(agent_id):
                return await _page_all(lambda after: store.list_open_list_entries(agent_id=agent_id, first=2, after=after))

            assert await ids(None) == (["ent00000", "ent00001", "ent00002", "ent00003", "ent00004"], 5)
            assert await ids("agent-a") == (["ent00000", "ent00002", "ent00004"], 3)
            (e,) = await store.get_open_list_entries(["ent00002"])
            await store.update_open_list_entry(replace(e, version=2, status=EntryStatus.DISCARDED, resolved_at=at(50)), 1)
            assert await ids("agent-a") == (["ent00000", "ent00004"], 2)
            assert (await store.get_open_list_entries(["ent00002"]))[0].status is EntryStatus.DISCARDED

        run(scenario)

    def test_one_sender_waits_in_one_entry_until_it_leaves_the_open_list(self, run):
        def waiting(i: int, key: str | None, agent: str | None = "agent-a") -> OpenListEntry:
            return entry(i, agent, sender_key=key)

        async def scenario(store):
            first = await store.add_to_open_list(waiting(0, "key-1"))
            assert first == waiting(0, "key-1")
            joined = await store.add_to_open_list(waiting(1, "key-1"))
            assert (joined.id, joined.version, joined.updated_at) == ("ent00000", 2, at(1))
            assert joined.activity_ids == ("act00000", "act00001")
            assert (await store.get_open_list_entries(["ent00000", "ent00001"])) == [joined, None]
            # Another sender, and a sender nothing identifies, get entries of their own.
            assert (await store.add_to_open_list(waiting(2, "key-2"))).id == "ent00002"
            assert (await store.add_to_open_list(waiting(3, None))).id == "ent00003"
            assert (await store.add_to_open_list(waiting(4, None))).id == "ent00004"
            listed, total = await _page_all(lambda after: store.list_open_list_entries(agent_id=None, first=2, after=after))
            assert (listed, total) == (["ent00000", "ent00002", "ent00003", "ent00004"], 4)
            # Once resolved, the entry is joined no more: the sender's next activity waits anew.
            await store.update_open_list_entry(replace(joined, version=3, status=EntryStatus.DISCARDED), 2)
            again = await store.add_to_open_list(waiting(5, "key-1"))
            assert (again.id, again.activity_ids) == ("ent00005", ("act00005",))
            assert (await store.add_to_open_list(waiting(6, "key-1"))).activity_ids == ("act00005", "act00006")
            (discarded,) = await store.get_open_list_entries(["ent00000"])
            assert discarded.activity_ids == ("act00000", "act00001")

        run(scenario)

    def test_concurrent_activities_of_one_sender_make_one_entry(self, run):
        async def scenario(store):
            made = [entry(i, "agent-a", sender_key="same") for i in range(8)]
            results = await asyncio.gather(*(store.add_to_open_list(e) for e in made))
            listed, total = await _page_all(lambda after: store.list_open_list_entries(agent_id="agent-a", first=5, after=after))
            assert total == 1 and len(listed) == 1, listed
            (stored,) = await store.get_open_list_entries(listed)
            assert sorted(stored.activity_ids) == [f"act{i:05d}" for i in range(8)]
            assert stored.version == 8
            assert {r.id for r in results} == {stored.id}

        run(scenario)

    # --- contacts -------------------------------------------------------------------------

    def test_contacts_can_be_deleted(self, run):
        async def scenario(store):
            await store.insert_customer(customer(1))
            k = contact(1, "cust00001", last_name="Pryč")
            await store.insert_contact(k)
            await store.delete_contact(k.id)
            assert await store.get_contacts([k.id]) == [None]
            assert (await store.search_contacts(ContactQuery(tokens=("pryc",)), first=5, after=None)).total_count == 0
            with pytest.raises(RecordNotFound):
                await store.delete_contact(k.id)

        run(scenario)

    @pytest.mark.parametrize("seed", range(4))
    def test_the_contact_directory_agrees_with_the_reference(self, run, seed):
        """Random filters, searches, orders, directions and languages: every page equals
        scanning with `matches` and sorting by `contact_sort_key`, ties by id."""
        rng = random.Random(seed)
        people = [customer(i, first_name=None, last_name=None, organization_name=f"{LAST[i % len(LAST)]} {i}") for i in range(8)]
        contacts = [contact(i, people[rng.randrange(len(people))].id) for i in range(120)]
        names = {c.id: customer_display_name(c) for c in people}
        queries = [
            ContactQuery(
                tokens=tuple(query_tokens(rng.choice(["", "", "nov", "ing", "jan nov", "o", "zoe", "ex", "601 000"]))),
                search_in=rng.choice([None, frozenset({ContactField.LAST_NAME}), frozenset({ContactField.TITLE, ContactField.EMAIL, ContactField.PHONE})]),
                customer_id=rng.choice([None, None, people[rng.randrange(len(people))].id]),
                role=rng.choice([None, *ContactRole]),
                reminder_contact=rng.choice([None, True, False]),
                can_communicate=rng.choice([None, True, False]),
                order=rng.choice(list(ContactSort)),
                descending=rng.random() < 0.5,
                locale=rng.choice(["en", "cs", "sk", "de", "nb", "sr-Latn"]),
            )
            for _ in range(12)
        ]

        async def scenario(store):
            for c in people:
                await store.insert_customer(c)
            for k in contacts:
                await store.insert_contact(k)
            for q in queries:
                expected = [
                    k.id
                    for k in sorted(
                        (k for k in contacts if contact_matches(k, q)),
                        key=lambda k: (contact_sort_key(k, names[k.customer_id], q.order, q.sort_locale), k.id),
                        reverse=q.descending,
                    )
                ]
                got = await _page_all(lambda after: store.search_contacts(q, first=9, after=after))
                assert got == (expected, len(expected)), q

        run(scenario)

    def test_a_contact_cursor_belongs_to_one_order_and_language(self, run):
        async def scenario(store):
            await store.insert_customer(customer(1))
            for i in range(3):
                await store.insert_contact(contact(i, "cust00001"))
            page = await store.search_contacts(ContactQuery(locale="cs"), first=1, after=None)
            cursor = page.items[0][0]
            await store.search_contacts(ContactQuery(locale="cs"), first=1, after=cursor)
            for other in [ContactQuery(locale="nb"), ContactQuery(locale="cs", descending=True), ContactQuery(order=ContactSort.EMAIL, locale="cs")]:
                with pytest.raises(InvalidCursor):
                    await store.search_contacts(other, first=1, after=cursor)

        run(scenario)

    def test_contacts_follow_their_customers_rename_in_the_customer_order(self, run):
        async def scenario(store):
            a = customer(1, first_name=None, last_name=None, organization_name="Alfa")
            b = customer(2, first_name=None, last_name=None, organization_name="Beta")
            await store.insert_customer(a)
            await store.insert_customer(b)
            await store.insert_contact(contact(1, a.id, last_name="One"))
            await store.insert_contact(contact(2, b.id, last_name="Two"))
            q = ContactQuery(order=ContactSort.CUSTOMER, locale="en")
            page = await store.search_contacts(q, first=10, after=None)
            assert [k.last_name for _, k in page.items] == ["One", "Two"]
            await store.update_customer(replace(a, version=2, organization_name="Zulu"), 1)
            page = await store.search_contacts(q, first=10, after=None)
            assert [k.last_name for _, k in page.items] == ["Two", "One"]

        run(scenario)

    def test_contact_changes_move_them_between_filters(self, run):
        async def scenario(store):
            await store.insert_customer(customer(1))
            k = contact(1, "cust00001", role=ContactRole.ADDITIONAL, email=None, last_name="Dvořák")
            await store.insert_contact(k)
            main = ContactQuery(role=ContactRole.MAIN, can_communicate=True)
            assert (await store.search_contacts(main, first=5, after=None)).total_count == 0
            await store.update_contact(replace(k, version=2, role=ContactRole.MAIN, email=EmailAddress("d@x.cz", "d@x.cz")), 1)
            assert (await store.search_contacts(main, first=5, after=None)).total_count == 1
            assert (await store.search_contacts(ContactQuery(tokens=("d",), search_in=frozenset({ContactField.EMAIL})), first=5, after=None)).total_count == 1

        run(scenario)

    # --- persistence ----------------------------------------------------------------------

    def test_what_was_stored_survives_a_restart(self, store_factory, reopen_factory):
        self._require("persistence")
        assert reopen_factory is not None, "a backend with persistence provides reopen_factory"

        async def main():
            first = await _maybe(store_factory())
            await first.open()
            c = customer(1, phones=(PhoneNumber("601", "+420601000001"),))
            await first.insert_customer(c)
            await first.update_customer(replace(c, version=2, last_name="Changed"), 1)
            k = contact(1, c.id)
            await first.insert_contact(k)
            await first.insert_contact(contact(2, c.id))
            await first.delete_contact("cont00002")
            await first.insert_activity(activity(1, c.id))
            await first.insert_open_list_entry(entry(1))
            await first.close()

            second = await _maybe(reopen_factory(first))
            await second.open()
            try:
                assert [x.last_name for x in await second.get_customers([c.id])] == ["Changed"]
                assert await second.get_contacts([k.id, "cont00002"]) == [k, None]
                assert [a.id for a in await second.get_activities(["act00001"])] == ["act00001"]
                found = await second.find_customers_by_identifiers(phones=["+420601000001"], emails=[], limit=5)
                assert [x.id for x in found] == [c.id]
                assert (await second.search_customers(["changed"], first=5, after=None)).total_count == 1
                assert (await second.list_open_list_entries(agent_id="agent-a", first=5, after=None)).total_count == 1
            finally:
                await second.close()

        asyncio.run(main())
