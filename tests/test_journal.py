"""The durable memory store (`--data-file`): every acknowledged write survives a restart or a
crash; a torn last line is set aside in a side file with a warning, damage elsewhere stops start-up; the
journal is compacted; one process per data file."""

from __future__ import annotations

import asyncio
import errno
import itertools
import json
import logging
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import plugins.memory.journal as journal_module
from plugins.memory import MemoryStore
from plugins.memory.journal import DataFileError
from service.conformance import StorageConformance
from service.domain.contact_directory import ContactQuery, ContactSort
from service.domain.records import (
    Activity,
    Attribute,
    Channel,
    Contact,
    ContactRole,
    Customer,
    Direction,
    EmailAddress,
    EntryStatus,
    OpenListEntry,
    PhoneNumber,
    PostalAddress,
    Prefill,
    Sender,
)
from service.settings import ConfigurationError, Settings
from service.storage import DuplicateId, RecordNotFound, StaleVersion, StoreUnavailable

from .server import ROOT, START, ServerProcess, free_port, start_server

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def customer(i: int, **fields) -> Customer:
    base = dict(
        first_name=f"Jméno{i}",
        last_name=f"Dvořák{i}",
        emails=(EmailAddress(f"Jmeno.{i}@Example.cz", f"jmeno.{i}@example.cz", "work"),),
        phones=(PhoneNumber(f"602 {i:06d}", f"+420602{i:06d}", None),),
    )
    base.update(fields)
    return Customer(f"cus{i:05d}", 1, at(i), at(i), "agent-a", **base)


def contact(i: int, customer_id: str, **fields) -> Contact:
    return Contact(f"con{i:05d}", 1, at(i), at(i), "agent-a", customer_id, last_name=f"Kontakt{i}", **fields)


def activity(i: int, customer_id: str | None = None, **fields) -> Activity:
    sender = Sender(name=f"Volající {i}", phone="601 000 000", phone_e164="+420601000000")
    return Activity(f"act{i:05d}", 1, at(i), at(i), "agent-a", Channel.CALL, Direction.INBOUND, sender, at(i), customer_id=customer_id, **fields)


def entry(i: int, agent_id: str = "agent-a", **fields) -> OpenListEntry:
    return OpenListEntry(f"ent{i:05d}", 1, at(i), at(i), "agent-a", f"act{i:05d}", agent_id, Prefill(first_name=f"N{i}"), **fields)


def run(coro):
    return asyncio.run(coro)


async def opened(path: Path, **kwargs) -> MemoryStore:
    store = MemoryStore(data_file=str(path), **kwargs)
    await store.open()
    return store


async def everything(store: MemoryStore) -> dict:
    """What the store answers, through every list and lookup (so its indexes count too)."""
    ids = {
        "customers": sorted(store._customers),
        "contacts": sorted(store._contacts),
        "activities": sorted(store._activities),
        "entries": sorted(store._entries),
    }

    async def pages(call):
        out, after = [], None
        while True:
            page = await call(after)
            out += [(cursor, record) for cursor, record in page.items]
            if not page.has_next_page:
                return out, page.total_count
            after = page.items[-1][0]

    return {
        "records": (
            await store.get_customers(ids["customers"]),
            await store.get_contacts(ids["contacts"]),
            await store.get_activities(ids["activities"]),
            await store.get_open_list_entries(ids["entries"]),
        ),
        "customers": await pages(lambda a: store.search_customers([], first=7, after=a)),
        "search": await pages(lambda a: store.search_customers(["dvor"], first=7, after=a)),
        "by phone": await store.find_customers_by_identifiers(phones=["+420602000001"], emails=["jmeno.2@example.cz"], limit=10),
        "contacts": await pages(lambda a: store.search_contacts(ContactQuery(order=ContactSort.CUSTOMER), first=3, after=a)),
        "main contacts": await pages(lambda a: store.search_contacts(ContactQuery(tokens=("kontakt",), role=ContactRole.MAIN), first=3, after=a)),
        "activities": await pages(lambda a: store.list_activities(customer_id=None, unassociated=None, first=4, after=a)),
        "unassociated": await pages(lambda a: store.list_activities(customer_id=None, unassociated=True, first=4, after=a)),
        "of cus00001": await pages(lambda a: store.list_activities(customer_id="cus00001", unassociated=None, first=4, after=a)),
        "open list": await pages(lambda a: store.list_open_list_entries(agent_id=None, first=4, after=a)),
        "agent b": await pages(lambda a: store.list_open_list_entries(agent_id="agent-b", first=4, after=a)),
    }


async def write_a_bit_of_everything(store: MemoryStore, start: int = 0) -> None:
    """Inserts, updates (a rename, a role change, an association, a resolved entry) and a
    delete of every kind of record."""
    for i in range(start, start + 6):
        c = customer(i, address=PostalAddress(city="Brno") if i % 2 else None, attributes=(Attribute("tier", f"t{i}"),))
        await store.insert_customer(c)
        await store.insert_activity(activity(i, c.id if i % 3 else None))
        await store.insert_open_list_entry(entry(i, "agent-b" if i % 2 else "agent-a"))
        for j in range(2):
            await store.insert_contact(contact(10 * i + j, c.id, role=ContactRole.MAIN if j else ContactRole.ADDITIONAL))
    first = customer(start)
    await store.update_customer(replace(first, version=2, last_name="Přejmenovaný\nna dva řádky", updated_at=at(99)), 1)
    k = contact(10 * start, first.id)
    await store.update_contact(replace(k, version=2, role=ContactRole.MAIN, email=EmailAddress("k@x.cz", "k@x.cz")), 1)
    await store.delete_contact(f"con{10 * start + 1:05d}")
    await store.update_activity(replace(activity(start), version=2, customer_id=first.id, associated_at=at(100)), 1)
    await store.update_open_list_entry(
        replace(entry(start), version=2, status=EntryStatus.CREATED, customer_id=first.id, resolved_at=at(101), resolved_by="agent-a"), 1
    )


def journal_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


# --- replay ---------------------------------------------------------------------------------


def test_every_kind_of_write_survives_closing_and_reopening(tmp_path):
    path = tmp_path / "data.jsonl"

    async def scenario():
        first = await opened(path)
        await write_a_bit_of_everything(first)
        before = await everything(first)
        await first.close()

        second = await opened(path)
        assert await everything(second) == before
        await write_a_bit_of_everything(second, start=20)  # and it goes on from there
        after = await everything(second)
        await second.close()

        third = await opened(path)
        assert await everything(third) == after
        await third.close()
        return before

    before = run(scenario())
    assert len(before["records"][0]) == 6 and len(before["records"][1]) == 11
    lines = journal_lines(path)
    assert lines[0] == {"format": "customer-context-journal", "version": 1}
    assert [line["seq"] for line in lines[1:]] == list(range(1, len(lines)))
    assert {(line["op"], line["kind"]) for line in lines[1:]} == {
        ("put", "customers"),
        ("put", "contacts"),
        ("delete", "contacts"),
        ("put", "activities"),
        ("put", "open_list_entries"),
    }
    assert lines[-1]["op"] == "put" and lines[-1]["doc"]["status"] == "CREATED"


def test_the_settings_data_file_is_what_the_backend_factory_uses(tmp_path):
    path = tmp_path / "from-settings.jsonl"

    async def scenario():
        store = MemoryStore(Settings(data_file=str(path)))
        await store.open()
        await store.insert_customer(customer(1, first_name="Zoë", last_name="\ud800 lone surrogate"))
        await store.close()
        again = MemoryStore(Settings(data_file=str(path)))
        await again.open()
        assert await again.get_customers(["cus00001"]) == [customer(1, first_name="Zoë", last_name="\ud800 lone surrogate")]
        await again.close()

    run(scenario())


def test_each_write_is_on_disk_before_anyone_can_see_it(tmp_path, monkeypatch):
    path = tmp_path / "data.jsonl"
    seen = []
    real_fsync = os.fsync

    async def scenario():
        store = await opened(path)

        def fsync(fd):
            real_fsync(fd)
            last = journal_lines(path)[-1]
            seen.append((last["doc"]["last_name"], store._customers.get("cus00001")))

        monkeypatch.setattr(os, "fsync", fsync)
        await store.insert_customer(customer(1))
        await store.update_customer(replace(customer(1), version=2, last_name="Nové"), 1)
        assert (await store.get_customers(["cus00001"]))[0].last_name == "Nové"
        monkeypatch.setattr(os, "fsync", real_fsync)
        await store.close()

    run(scenario())
    # At the fsync of each write its line was in the file and the store still showed the old state.
    assert seen == [("Dvořák1", None), ("Nové", customer(1))]


def test_a_write_that_fails_its_check_journals_nothing(tmp_path):
    path = tmp_path / "data.jsonl"

    async def scenario():
        store = await opened(path)
        await store.insert_customer(customer(1))
        await store.insert_contact(contact(1, "cus00001"))
        await store.insert_activity(activity(1))
        await store.insert_open_list_entry(entry(1))
        size = path.stat().st_size
        attempts = [
            store.insert_customer(customer(1)),
            store.update_customer(replace(customer(1), version=3), 2),
            store.update_customer(replace(customer(2), version=2), 1),
            store.insert_contact(contact(1, "cus00001")),
            store.update_contact(replace(contact(1, "cus00001"), version=3), 2),
            store.delete_contact("con00002"),
            store.insert_activity(activity(1)),
            store.update_activity(replace(activity(1), version=6), 5),
            store.insert_open_list_entry(entry(1)),
            store.update_open_list_entry(replace(entry(2), version=2), 1),
        ]
        for attempt in attempts:
            with pytest.raises((DuplicateId, StaleVersion, RecordNotFound)):
                await attempt
        assert path.stat().st_size == size
        await store.close()

    run(scenario())


def test_without_a_data_file_no_file_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    async def scenario():
        for store in (MemoryStore(), MemoryStore(Settings())):
            await store.open()
            await write_a_bit_of_everything(store)
            await store.ping()
            await store.close()
            assert store._journal is None

    run(scenario())
    assert list(tmp_path.iterdir()) == []


# --- damage ---------------------------------------------------------------------------------


def _three_customers(path: Path) -> None:
    async def scenario():
        store = await opened(path)
        for i in range(3):
            await store.insert_customer(customer(i))
        await store.close()

    run(scenario())


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda raw, last: raw[: last + 25], id="cut mid-line"),
        pytest.param(lambda raw, last: raw[:-1], id="only the newline missing"),
        pytest.param(lambda raw, last: raw[:last] + b"\0" * 300, id="zero-filled tail"),
        pytest.param(lambda raw, last: raw[:last] + b'{"seq":3,"op":"pu\x00\x00t"}\n', id="garbled last line"),
    ],
)
def test_a_torn_last_line_is_set_aside_with_a_warning_that_says_what_can_be_known(tmp_path, caplog, damage):
    path = tmp_path / "data.jsonl"
    _three_customers(path)
    raw = path.read_bytes()
    last = raw.rindex(b"\n", 0, len(raw) - 1) + 1  # where the third customer's line starts
    damaged = damage(raw, last)
    path.write_bytes(damaged)

    async def scenario():
        with caplog.at_level(logging.WARNING, logger="customer_context"):
            store = await opened(path)
        assert await store.get_customers(["cus00000", "cus00001", "cus00002"]) == [customer(0), customer(1), None]
        assert path.read_bytes() == raw[:last]  # cut back to the last good line
        await store.insert_customer(customer(7))  # later appends are clean
        await store.close()
        again = await opened(path)
        assert await again.get_customers(["cus00001", "cus00002", "cus00007"]) == [customer(1), None, customer(7)]
        await again.close()

    run(scenario())
    # The torn bytes are not cut away: they are kept, exactly, in one side file.
    (side,) = tmp_path.glob("data.jsonl.torn-*")
    assert side.read_bytes() == damaged[last:]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert str(path) in message and f"at byte {last}" in message and str(side) in message
    # The third customer's write WAS acknowledged (its insert returned), then its line was
    # torn: the warning must not claim it never was.
    assert "most likely a write cut short by a crash" in message and "the file alone cannot tell" in message
    assert "it was acknowledged and that write is now missing" in message and "the journal now ends at write 2" in message
    if damaged[last:].startswith(b'{"seq":3,'):
        assert "write 3)" in message


def test_a_torn_line_that_cannot_be_set_aside_stops_start_up_and_leaves_the_file_alone(tmp_path, monkeypatch):
    path = tmp_path / "data.jsonl"
    _three_customers(path)
    damaged = path.read_bytes()[:-10]
    path.write_bytes(damaged)
    real_open = os.open

    def no_space_for_side_files(name, *args, **kwargs):
        if ".torn-" in os.fspath(name):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_space_for_side_files)

    async def scenario():
        with pytest.raises(DataFileError, match="cannot keep its torn last line") as err:
            await opened(path)
        return str(err.value)

    assert "No space left on device" in run(scenario())
    assert path.read_bytes() == damaged and not list(tmp_path.glob("data.jsonl.torn-*"))
    monkeypatch.setattr(os, "open", real_open)

    async def with_space_again():
        store = await opened(path)
        await store.close()

    run(with_space_again())
    (side,) = tmp_path.glob("data.jsonl.torn-*")
    assert damaged.endswith(side.read_bytes())


@pytest.mark.parametrize(
    "damage, where",
    [
        pytest.param(lambda lines: lines[:2] + [b"garbage\n"] + lines[2:], "line 3", id="garbage line"),
        pytest.param(lambda lines: lines[:2] + [lines[2][:40] + b"\n"] + lines[3:], "line 3", id="half a line"),
        pytest.param(lambda lines: lines[:2] + lines[3:], "write 3 follows write 1", id="a write missing"),
        pytest.param(lambda lines: lines[:1] + lines[2:], "starts at write 2 but there is no snapshot", id="first write missing"),
        pytest.param(lambda lines: lines[:2] + [lines[2].replace(b'"customers"', b'"invoices"')] + lines[3:], "unknown record kind 'invoices'", id="unknown kind"),
        pytest.param(lambda lines: lines[1:], "not a Customer Context journal", id="no header"),
    ],
)
def test_damage_before_the_last_line_stops_start_up_and_leaves_the_file_alone(tmp_path, damage, where):
    path = tmp_path / "data.jsonl"
    _three_customers(path)
    damaged = b"".join(damage(path.read_bytes().splitlines(keepends=True)))
    path.write_bytes(damaged)

    async def scenario():
        with pytest.raises(ConfigurationError) as err:
            await opened(path)
        return str(err.value)

    message = run(scenario())
    assert str(path) in message and where in message and "will not start" in message
    assert path.read_bytes() == damaged
    assert "in use" not in run(scenario())  # the failed start released its lock


def test_a_file_that_is_not_a_journal_is_never_truncated(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes("Zákazníci: viz tabulka".encode())  # one line, no newline: would look torn

    async def scenario():
        with pytest.raises(DataFileError, match="not a Customer Context journal"):
            await opened(path)

    run(scenario())
    assert path.read_bytes() == "Zákazníci: viz tabulka".encode()


def test_a_damaged_snapshot_stops_start_up(tmp_path):
    path = tmp_path / "data.jsonl"

    async def scenario():
        store = await opened(path)
        for i in range(5):
            await store.insert_customer(customer(i))
        store._journal.compact(store._all_records())
        await store.close()
        snapshot = Path(str(path) + ".snapshot")
        snapshot.write_bytes(snapshot.read_bytes()[:-30])
        with pytest.raises(DataFileError, match=r"snapshot .*data\.jsonl\.snapshot is damaged at byte \d+"):
            await opened(path)

    run(scenario())


def test_a_write_that_cannot_reach_the_disk_fails_and_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "data.jsonl"
    real_write = os.write

    def disk_full(fd, data):
        real_write(fd, bytes(data)[:10])  # part of it lands, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    async def scenario():
        store = await opened(path)
        await store.insert_customer(customer(1))
        size = path.stat().st_size
        monkeypatch.setattr(os, "write", disk_full)
        with pytest.raises(StoreUnavailable, match="No space left"):
            await store.insert_customer(customer(2))
        monkeypatch.setattr(os, "write", real_write)
        assert await store.get_customers(["cus00002"]) == [None]
        assert path.stat().st_size == size  # the partial line was cut off again
        await store.insert_customer(customer(3))
        await store.ping()
        await store.close()
        again = await opened(path)
        assert await again.get_customers(["cus00001", "cus00002", "cus00003"]) == [customer(1), None, customer(3)]
        await again.close()

    run(scenario())


def test_after_a_failed_fsync_writes_and_readiness_fail(tmp_path, monkeypatch):
    path = tmp_path / "data.jsonl"

    def failing_fsync(fd):
        raise OSError(errno.EIO, "Input/output error")

    async def scenario():
        store = await opened(path)
        monkeypatch.setattr(os, "fsync", failing_fsync)
        with pytest.raises(StoreUnavailable, match="cannot sync"):
            await store.insert_customer(customer(1))
        monkeypatch.undo()
        assert await store.get_customers(["cus00001"]) == [None]
        with pytest.raises(StoreUnavailable, match="until the service restarts"):
            await store.insert_customer(customer(2))
        with pytest.raises(StoreUnavailable):
            await store.ping()
        await store.close()

    run(scenario())


# --- compaction -----------------------------------------------------------------------------


def test_compaction_keeps_the_journal_small_and_loses_nothing(tmp_path, monkeypatch):
    path = tmp_path / "data.jsonl"
    monkeypatch.setattr(journal_module, "COMPACT_MIN_LINES", 20)

    async def scenario():
        store = await opened(path)
        await write_a_bit_of_everything(store)
        c = customer(0)
        version = 2
        for n in range(300):  # a long history of a few live records
            await store.update_customer(replace(c, version=version + 1, organization_name=f"ACME {n}"), version)
            version += 1
            await store.compaction_finished()  # it runs in the background (see the next test)
            assert path.read_bytes().count(b"\n") <= 1 + max(20, 2 * 40) + 1
        before = await everything(store)
        await store.close()

        again = await opened(path)
        assert await everything(again) == before
        assert (await again.get_customers(["cus00000"]))[0].organization_name == "ACME 299"
        await again.close()

    run(scenario())
    snapshot = Path(str(path) + ".snapshot").read_bytes().splitlines()
    header = json.loads(snapshot[0])
    assert header["format"] == "customer-context-snapshot" and header["seq"] > 300 - 60
    assert json.loads(snapshot[-1]) == {"end": True, "count": 6 + 6 + 6 + 11}
    lines = journal_lines(path)
    assert len(lines) < 60 and all(line["seq"] > header["seq"] for line in lines[1:])


def test_writes_go_on_while_a_compaction_runs_and_the_journal_keeps_them(tmp_path, monkeypatch):
    """The snapshot is written in a worker thread: held there, the store still acknowledges
    writes; when it is done, the journal holds exactly the writes made meanwhile, and a
    restart finds everything."""
    path = tmp_path / "data.jsonl"
    release, started = threading.Event(), threading.Event()
    write_snapshot = journal_module.Journal.write_snapshot

    def held(self, records, mark):
        started.set()
        assert release.wait(10)
        write_snapshot(self, records, mark)

    monkeypatch.setattr(journal_module.Journal, "write_snapshot", held)

    async def scenario():
        store = await opened(path, compact_min_lines=10)
        await write_a_bit_of_everything(store)  # 29 live records: compaction past 58 lines
        version = 1
        while store._compaction is None:
            await store.update_customer(replace(customer(1), version=version + 1, organization_name=f"v{version}"), version)
            version += 1
            assert version < 100
        marked = store._journal.seq - 1  # the snapshot holds what was there before this write
        assert await asyncio.to_thread(started.wait, 10)
        for n in range(30):
            await store.insert_customer(customer(100 + n))  # acknowledged while the snapshot is held
        during = path.read_bytes().count(b"\n")
        release.set()
        await store.compaction_finished()
        state = await everything(store)
        await store.close()
        return marked, during, state

    marked, during, state = run(scenario())
    header = json.loads(Path(str(path) + ".snapshot").read_bytes().splitlines()[0])
    lines = journal_lines(path)
    assert during > 58 and header["seq"] == marked
    assert [line["seq"] for line in lines[1:]] == list(range(marked + 1, marked + 32))
    assert not Path(str(path) + ".tmp").exists()

    async def reopen():
        again = await opened(path)
        assert await everything(again) == state
        assert (await again.search_customers([], first=100, after=None)).total_count == 6 + 30
        await again.close()

    run(reopen())


def test_compaction_happens_at_start_when_the_journal_is_long(tmp_path):
    path = tmp_path / "data.jsonl"

    async def scenario():
        store = await opened(path)  # the default threshold: no compaction while writing
        await write_a_bit_of_everything(store)
        for version in range(2, 42):  # 29 live records, 75 writes: more than twice as many
            await store.update_customer(replace(customer(0), version=version + 1, organization_name=f"v{version}"), version)
        before = await everything(store)
        await store.close()
        assert len(journal_lines(path)) == 1 + 75
        again = await opened(path, compact_min_lines=5)
        assert len(journal_lines(path)) == 1
        assert await everything(again) == before
        await again.close()
        third = await opened(path)
        assert await everything(third) == before
        await third.close()

    run(scenario())


def test_a_crash_at_any_point_of_a_compaction_loses_nothing(tmp_path):
    """The files as a crash can leave them: (1) the old journal and a half-written temporary
    snapshot, (2) the new snapshot renamed into place but the journal not yet cut, (3) the
    same with the journal's newer lines half copied to PATH.tmp, (4) the new snapshot and
    the cut journal."""
    path = tmp_path / "data.jsonl"
    snapshot = Path(str(path) + ".snapshot")
    tmp = Path(str(path) + ".snapshot.tmp")

    async def make():
        store = await opened(path)
        await write_a_bit_of_everything(store)
        full_journal = path.read_bytes()
        store._journal.compact(store._all_records())
        state = await everything(store)
        await store.close()
        return full_journal, snapshot.read_bytes(), path.read_bytes(), state

    full_journal, new_snapshot, cut_journal, expected = run(make())
    assert len(cut_journal.splitlines()) == 1

    journal_tmp = Path(str(path) + ".tmp")  # the journal's newer lines being copied (writes went on)
    crashes = {
        "before the rename": (full_journal, None, new_snapshot[: len(new_snapshot) // 2], None),
        "before the journal was cut": (full_journal, new_snapshot, None, None),
        "while the newer lines were copied": (full_journal, new_snapshot, None, cut_journal[:20]),
        "after it was cut": (cut_journal, new_snapshot, None, None),
    }
    for name, (journal_bytes, snapshot_bytes, tmp_bytes, journal_tmp_bytes) in crashes.items():
        for p in (path, snapshot, tmp, journal_tmp):
            p.unlink(missing_ok=True)
        path.write_bytes(journal_bytes)
        if snapshot_bytes is not None:
            snapshot.write_bytes(snapshot_bytes)
        if tmp_bytes is not None:
            tmp.write_bytes(tmp_bytes)
        if journal_tmp_bytes is not None:
            journal_tmp.write_bytes(journal_tmp_bytes)

        async def check():
            store = await opened(path)
            assert await everything(store) == expected, name
            await store.insert_customer(customer(50))  # and the next write lands after the last one
            await store.close()
            again = await opened(path)
            assert (await again.get_customers(["cus00050"])) == [customer(50)], name
            await again.close()

        run(check())
        assert not tmp.exists() and not journal_tmp.exists(), name


@pytest.mark.parametrize("failing", ["snapshot", "cut"])
def test_a_compaction_that_fails_does_not_fail_the_write(tmp_path, monkeypatch, caplog, failing):
    """The snapshot cannot be renamed into place: no new snapshot. The journal cannot be cut
    (its newer lines cannot be renamed over it): a new snapshot, and the journal keeps the
    lines it already holds, followed by new ones. Either way every write is acknowledged and
    survives, and the next try waits until the journal has doubled."""
    path = tmp_path / "data.jsonl"
    target = str(path) + ".snapshot" if failing == "snapshot" else str(path)
    real_replace = os.replace
    calls = []

    def fails(src, dst):
        if os.fspath(dst) != target:
            return real_replace(src, dst)
        calls.append(dst)
        raise OSError(errno.EIO, "Input/output error")

    async def scenario():
        store = await opened(path, compact_min_lines=10)
        await store.insert_customer(customer(0))
        monkeypatch.setattr(os, "replace", fails)
        for version in range(1, 40):
            await store.update_customer(replace(customer(0), version=version + 1, organization_name=f"v{version}"), version)
            await store.compaction_finished()
        monkeypatch.undo()
        assert len(calls) == 2  # tried after 11 lines, then not before twice as many (22)
        before = await everything(store)
        await store.close()
        seqs = [line["seq"] for line in journal_lines(path)[1:]]
        assert seqs == list(range(1, 41))
        snapshot = Path(str(path) + ".snapshot")
        if failing == "cut":  # the journal holds lines the snapshot has, then newer ones
            assert 1 < json.loads(snapshot.read_bytes().splitlines()[0])["seq"] < 40
        else:
            assert not snapshot.exists()
        assert not Path(str(path) + ".tmp").exists() and not Path(str(path) + ".snapshot.tmp").exists()
        again = await opened(path)
        assert await everything(again) == before
        await again.close()

    with caplog.at_level(logging.ERROR, logger="customer_context"):
        run(scenario())
    assert any("compaction failed" in r.getMessage() or "cannot cut" in r.getMessage() for r in caplog.records)


# --- one process per data file --------------------------------------------------------------


def test_a_second_store_on_the_same_file_is_refused_until_the_first_closes(tmp_path):
    path = tmp_path / "data.jsonl"

    async def scenario():
        first = await opened(path)
        await first.insert_customer(customer(1))
        with pytest.raises(ConfigurationError) as err:
            await opened(path)
        message = str(err.value)
        assert f"data file {path} is in use by process {os.getpid()}" in message
        assert "choose another --data-file" in message
        await first.insert_customer(customer(2))  # the refused one changed nothing
        await first.close()

        second = await opened(path)
        assert await second.get_customers(["cus00001", "cus00002"]) == [customer(1), customer(2)]
        await second.close()

    run(scenario())


# --- the conformance suite, with a data file ------------------------------------------------


class TestJournaledMemoryStore(StorageConformance):
    @pytest.fixture
    def store_factory(self, tmp_path):
        numbers = itertools.count()
        return lambda: MemoryStore(data_file=str(tmp_path / f"data-{next(numbers)}.jsonl"))

    @pytest.fixture
    def reopen_factory(self):
        return lambda old: MemoryStore(data_file=old.data_file)


# --- the real thing -------------------------------------------------------------------------

CREATE = """
mutation Create($input: CustomerInput!) {
  createCustomer(input: $input) {
    __typename
    ... on CreateCustomerSuccess { customer { id } }
  }
}
"""
FIELDS = "id firstName lastName emails { address } phones { number e164 } attributes { key value }"


def _start(data_file: Path, log: Path) -> ServerProcess:
    return start_server("--data-file", str(data_file), log=log, ready="/readyz")


def _post(base: str, query: str, variables: dict) -> dict:
    body = json.dumps({"query": query, "variables": variables}).encode()
    req = urllib.request.Request(base + "/graphql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200
        payload = json.loads(r.read())
    assert "errors" not in payload, payload
    return payload["data"]


def _input(n: int) -> dict:
    return {
        "firstName": f"Zoë{n}",
        "lastName": f"Nováková-{n}",
        "emails": [{"address": f"zoe.{n}@example.cz"}],
        "phones": [{"number": f"+420 777 {n:06d}"}],
        "attributes": [{"key": "n", "value": str(n)}],
    }


def test_every_acknowledged_customer_survives_a_sigkill_of_the_server(tmp_path):
    data_file, log = tmp_path / "data.jsonl", tmp_path / "server.log"
    server = _start(data_file, log)
    base = server.base
    acknowledged: dict[str, dict] = {}
    numbers = itertools.count()
    stop = threading.Event()

    def send():  # one client of several, each sending mutations one after the other
        while not stop.is_set():
            n = next(numbers)
            try:
                result = _post(base, CREATE, {"input": _input(n)})["createCustomer"]
            except (OSError, urllib.error.URLError, json.JSONDecodeError, AssertionError):
                return  # the server is gone; this one was never acknowledged
            assert result["__typename"] == "CreateCustomerSuccess", result
            acknowledged[result["customer"]["id"]] = _input(n)

    senders = [threading.Thread(target=send) for _ in range(4)]
    try:
        for t in senders:
            t.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 150 and time.monotonic() < deadline and any(t.is_alive() for t in senders):
            time.sleep(0.01)
        server.stop(signal.SIGKILL)  # mid-stream: requests are in flight
    finally:
        stop.set()
        for t in senders:
            t.join(timeout=20)
        server.stop(signal.SIGKILL)
    assert len(acknowledged) >= 150, log.read_text()

    server = _start(data_file, log)
    base = server.base
    try:
        ids = list(acknowledged)
        for chunk in range(0, len(ids), 25):
            part = ids[chunk : chunk + 25]  # under the default alias limit (30)
            query = "query(" + ", ".join(f"$i{k}: ID!" for k in range(len(part))) + ") {"
            query += " ".join(f"c{k}: customer(id: $i{k}) {{ {FIELDS} }}" for k in range(len(part))) + "}"
            found = _post(base, query, {f"i{k}": cid for k, cid in enumerate(part)})
            for k, cid in enumerate(part):
                sent = acknowledged[cid]
                got = found[f"c{k}"]
                assert got is not None, f"acknowledged customer {cid} is lost"
                assert (got["firstName"], got["lastName"]) == (sent["firstName"], sent["lastName"])
                assert [e["address"] for e in got["emails"]] == [sent["emails"][0]["address"]]
                assert [p["number"] for p in got["phones"]] == [sent["phones"][0]["number"]]
                assert got["phones"][0]["e164"] == sent["phones"][0]["number"].replace(" ", "")
                assert got["attributes"] == sent["attributes"]
        # The restarted server writes on after what it replayed.
        after = _post(base, CREATE, {"input": _input(999_999)})["createCustomer"]
        assert after["__typename"] == "CreateCustomerSuccess"
    finally:
        server.stop()


def test_a_second_server_on_the_same_data_file_is_refused(tmp_path):
    data_file = tmp_path / "data.jsonl"
    server = _start(data_file, tmp_path / "first.log")
    try:
        second = subprocess.run(
            [*START, "--port", str(free_port()), "--data-file", str(data_file)],
            cwd=ROOT,
            env={k: v for k, v in os.environ.items() if not k.startswith("CUSTOMER_CONTEXT_")},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode != 0
        assert f"data file {data_file} is in use by process {server.proc.pid}" in second.stderr, second.stderr
        # The first one is unharmed.
        assert _post(server.base, CREATE, {"input": _input(1)})["createCustomer"]["__typename"] == "CreateCustomerSuccess"
    finally:
        server.stop()
