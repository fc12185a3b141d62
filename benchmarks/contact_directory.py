"""Contact directory at scale: 100,000 contacts in the memory store.

Prints, for each directory request, the median time through the store and through
GraphQL over HTTP (in-process ASGI), and the ratio against a baseline measured in the same
run: the plain definition (scan every contact with the reference `matches`, sort the
matches by their sort keys). Results are checked equal to the baseline's.

    .venv/bin/python benchmarks/contact_directory.py [--contacts 100000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plugins.memory import MemoryStore  # noqa: E402
from service.domain.contact_directory import ContactField, ContactQuery, ContactSort, contact_sort_key, matches  # noqa: E402
from service.domain.display_name import customer_display_name  # noqa: E402
from service.domain.records import Contact, ContactRole, Customer, EmailAddress, PhoneNumber  # noqa: E402

FIRST = "Jan Petr Jana Eva Peter Zuzana Ingrid Ola Kari Lars Anna Jürgen Łukasz Đorđe Milica Ivana Karel Věra Ørjan Åse Søren".split()
LAST = (
    "Novák Nováková Svoboda Dvořák Černý Procházka Kučera Veselý Horák Kováč Čapek Cibulka Šimek Řezníček Žák "
    "Hudec Chovan Oravec Müller Schäfer Weiß Jørgensen Østby Ærlig Åsen Hansen Đorđević Čolić Ćirić Ljubić Njegoš"
).split()
TITLES = [None, None, None, "Ing.", "Mgr.", "Dr.", "PhDr.", "Bc."]
SALUTATIONS = [None, "Pan", "Paní", "Herr", "Frau", "Gospodin"]


def build(n_contacts: int, seed: int = 1) -> tuple[MemoryStore, list[Customer], list[Contact]]:
    rng = random.Random(seed)
    store = MemoryStore()
    now = datetime(2026, 11, 1, tzinfo=UTC)
    customers = []
    for i in range(max(1, n_contacts // 10)):
        c = Customer(f"cu{i:07d}", 1, now, now, "bench", organization_name=f"{rng.choice(LAST)} {rng.choice(['s.r.o.', 'a.s.', 'GmbH', 'AS', 'd.o.o.'])} {i}")
        customers.append(c)
    contacts = []
    for i in range(n_contacts):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        has_email = rng.random() < 0.85
        email = f"{first}.{last}.{i}@example.eu".lower()
        contacts.append(
            Contact(
                f"co{i:07d}",
                1,
                now + timedelta(seconds=i),
                now + timedelta(seconds=i),
                rng.choice(["agent-1", "agent-2", "admin"]),
                customer_id=customers[rng.randrange(len(customers))].id,
                role=ContactRole.MAIN if rng.random() < 0.3 else ContactRole.ADDITIONAL,
                salutation=rng.choice(SALUTATIONS),
                first_name=first,
                last_name=last,
                title=rng.choice(TITLES),
                email=EmailAddress(email, email) if has_email else None,
                phone=PhoneNumber(f"+420 6{i:08d}", f"+4206{i:08d}") if rng.random() < 0.6 else None,
                reminder_contact=rng.random() < 0.1,
            )
        )

    async def load():
        for c in customers:
            await store.insert_customer(c)
        for c in contacts:
            await store.insert_contact(c)

    asyncio.run(load())
    return store, customers, contacts


WORKLOADS = [
    ("search 'nov' (any attribute), first page by last name, cs", dict(tokens=("nov",), locale="cs"), ContactSort.LAST_NAME),
    (
        "filtered search: 'ing' in title, MAIN, can communicate",
        dict(tokens=("ing",), search_in=frozenset({ContactField.TITLE}), role=ContactRole.MAIN, can_communicate=True, locale="cs"),
        ContactSort.LAST_NAME,
    ),
    ("sorted page: all contacts by customer, descending, de", dict(locale="de", descending=True), ContactSort.CUSTOMER),
    ("sorted page: reminder contacts by first name, nb", dict(reminder_contact=True, locale="nb"), ContactSort.FIRST_NAME),
]


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--page", type=int, default=50)
    args = parser.parse_args()

    t = time.perf_counter()
    store, customers, contacts = build(args.contacts)
    print(f"loaded {len(contacts):,} contacts of {len(customers):,} customers in {time.perf_counter() - t:.1f} s")
    names = {c.id: customer_display_name(c) for c in customers}

    from starlette.testclient import TestClient

    from service.app import create_app
    from service.hookspecs import hookimpl
    from service.settings import Settings
    from service.storage import StorageBackend

    class Preloaded:
        @hookimpl
        def storage_backends(self):
            return [StorageBackend("preloaded", lambda settings: store)]

    app = create_app(Settings(backend="preloaded"), extra_plugins=[Preloaded()])
    query_text = """query($filter: ContactFilter, $orderBy: ContactOrder, $first: Int) {
      contacts(filter: $filter, orderBy: $orderBy, first: $first) { totalCount edges { node { id lastName firstName email customer { displayName } } } } }"""
    graphql_variables = [
        ({"search": "nov"}, {"field": "LAST_NAME"}, "cs"),
        ({"search": "ing", "searchIn": ["TITLE"], "role": "MAIN", "canCommunicate": True}, {"field": "LAST_NAME"}, "cs"),
        ({}, {"field": "CUSTOMER", "direction": "DESC"}, "de"),
        ({"reminderContact": True}, {"field": "FIRST_NAME"}, "nb"),
    ]

    print(f"\n{'workload':62} {'matches':>8} {'first (ms)':>10} {'store (ms)':>10} {'GraphQL (ms)':>12} {'baseline (ms)':>13} {'baseline/store':>14}")
    with TestClient(app) as http:
        for (label, fields, order), (gfilter, gorder, lang) in zip(WORKLOADS, graphql_variables):
            q = ContactQuery(order=order, **fields)
            run = lambda: asyncio.run(store.search_contacts(q, first=args.page, after=None))  # noqa: E731
            t = time.perf_counter()
            page = run()  # the first request of a column and language builds its sort index
            first_ms = (time.perf_counter() - t) * 1000
            store_ms = median_ms(run, args.repeat)

            def baseline():
                found = [c for c in contacts if matches(c, q)]
                found.sort(key=lambda c: (contact_sort_key(c, names[c.customer_id], q.order, q.sort_locale), c.id), reverse=q.descending)
                return found

            expected = baseline()
            base_ms = median_ms(baseline, max(1, args.repeat // 3))
            assert [c.id for _, c in page.items] == [c.id for c in expected[: args.page]], label
            assert page.total_count == len(expected), label

            def via_graphql():
                r = http.post(
                    "/graphql",
                    json={"query": query_text, "variables": {"filter": gfilter, "orderBy": gorder, "first": args.page}},
                    headers={"Accept-Language": lang},
                )
                assert r.status_code == 200 and "errors" not in r.json(), r.text

            via_graphql()
            graphql_ms = median_ms(via_graphql, args.repeat)
            print(f"{label:62} {page.total_count:>8,} {first_ms:>10.1f} {store_ms:>10.2f} {graphql_ms:>12.2f} {base_ms:>13.1f} {base_ms / store_ms:>13.0f}x")


if __name__ == "__main__":
    main()
