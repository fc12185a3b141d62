"""The memory store's durability (`--data-file PATH`): a write-ahead journal, snapshots that
keep start-up time flat, and a lock that keeps a second process off the same file.

Files, all beside each other:

- ``PATH``: the journal. A header line, then one JSON line per acknowledged write::

      {"format":"customer-context-journal","version":1}
      {"seq":1,"op":"put","kind":"customers","doc":{...}}
      {"seq":2,"op":"delete","kind":"contacts","id":"..."}

  ``seq`` counts writes over the data file's whole life (it does not restart when the
  journal is compacted). ``put`` stores the record (insert or replacement), ``doc`` being
  `service.documents.to_document` of it; ``kind`` is a `service.documents.RECORD_TYPES`
  name. A line is written with one ``write`` and the file is ``fsync``'ed before the write
  is applied in memory and before the store method returns: acknowledged means durable.
- ``PATH.snapshot``: every live record as of write ``seq`` (header, one line per record,
  footer with the count). Written to ``PATH.snapshot.tmp``, fsync'ed, renamed over, and
  the directory fsync'ed; only then is the journal cut back to its header. A crash at any
  point leaves either the old snapshot and the full journal, or the new snapshot and a
  journal whose lines up to its ``seq`` are skipped at start: nothing is lost.
- ``PATH.lock``: ``flock``'ed exclusively (non-blocking) for the store's lifetime and holding
  the owner's pid, so a second process fails at start instead of interleaving writes.

Start-up (`Journal.open`): lock, load the snapshot, replay the journal lines after the
snapshot's ``seq``. Damage is handled by where it is:

- the journal's LAST line incomplete (no newline) or not JSON ("torn"): its bytes are moved
  to a side file ``PATH.torn-<UTC time>`` (written and fsync'ed first), the journal is cut
  back to its last good line, and a WARNING names the file, the byte offset, the write's
  ``seq`` when it can be read, and the side file. What the file cannot tell is whether that
  write was acknowledged. Usually it was not: a crash (process killed, power lost) while
  the line was being written or before its fsync returned, and the service acknowledges a
  write only after both. But an acknowledged line ends up torn too when the disk or file
  system loses data it reported as synced (a volatile write cache, some virtual and network
  disks), or something else damaged, truncated or copied the file afterwards. Nothing is
  thrown away, so the operator can compare the side file with what clients were told.
- anything else that is wrong (an unreadable line with lines after it, a gap in ``seq``,
  an unknown kind, a record that does not decode, a damaged snapshot, a file that is not a
  journal at all): `DataFileError`, and the service does not start. Acknowledged data may
  be missing there; skipping it silently would serve a wrong state as if it were whole. The
  file is left untouched for the operator (restore a backup or repair it by hand).

When a write cannot be made durable (disk full, I/O error) the store method raises
`StoreUnavailable` and nothing changes in memory; the partial line is cut off again. If
that is impossible, or ``fsync`` itself failed (the kernel may have dropped the dirty
pages), every later write and `ping` raise `StoreUnavailable` until restart; the write
whose fsync failed was not applied, yet may reappear after a restart (like a timeout, the
error does not say it was not stored).

Costs: one ``write`` and one ``fsync`` per write, on the event loop (it blocks the loop for
the fsync, commonly 0.1-1 ms on SSDs; writes are serialised by it). A compaction, once per
at least 2 x live-records writes, encodes every live record in a worker thread (seconds for
100,000 records) while requests and writes go on; on the event loop it only takes the list
of live records and, at the end, copies the journal lines written meanwhile into a new
journal file (``PATH.tmp``, renamed over ``PATH``). A crash at any point leaves a snapshot
and a journal that together hold every acknowledged write.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from service.documents import RECORD_TYPES, from_document, from_json, to_document, to_json, to_json_bytes
from service.metrics import journal_compaction, journal_fsync
from service.settings import ConfigurationError
from service.storage import StoreUnavailable

log = logging.getLogger("customer_context.memory.journal")

#: Compact when the journal holds more lines than max(COMPACT_MIN_LINES, COMPACT_FACTOR x
#: live records): replay then never reads much more than the live data twice over, and
#: the cost of a compaction (writing every live record once) is spread over at least as
#: many writes as there are records.
COMPACT_MIN_LINES = 10_000
COMPACT_FACTOR = 2

JOURNAL_FORMAT = "customer-context-journal"
SNAPSHOT_FORMAT = "customer-context-snapshot"
VERSION = 1
_HEADER = (to_json({"format": JOURNAL_FORMAT, "version": VERSION}) + "\n").encode()


@dataclass(frozen=True, slots=True)
class CompactionMark:
    """Where the journal stood when a compaction began: its last write, its size in bytes
    and its number of write lines."""

    seq: int
    size: int
    lines: int


class DataFileError(ConfigurationError):
    """The data file cannot be used: another process holds it, it cannot be opened, or it is
    damaged beyond a torn last line. Start-up stops with this message."""


def _encode(obj: dict[str, Any]) -> bytes:
    # A lone surrogate that reached a record survives (see to_json_bytes) instead of
    # failing the write.
    return to_json_bytes(obj) + b"\n"


def _fsync_dir(path: str) -> None:
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _decode_record(kind: Any, doc: Any, shared: dict[str, str] | None = None) -> Any:
    cls = RECORD_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown record kind {kind!r}")
    if not isinstance(doc, dict):
        raise ValueError("the record is not a JSON object")
    if shared is not None:
        _share(kind, doc, shared)
    return from_document(cls, doc)


# What a replay keeps once (memory: docs/performance.md, Growth). JSON decoding makes a new
# string for every value, and a new datetime for every timestamp: a million customers'
# records held the same "created by", the same first names, each contact's customer id and
# each activity's phone number hundreds of thousands of times over.
#: Top-level text fields whose values repeat across records: one string per value.
_SHARED_TEXT = {
    "customers": ("id", "created_by", "first_name", "last_name"),
    "contacts": ("customer_id", "created_by", "salutation", "first_name", "last_name", "title"),
    "activities": ("customer_id", "created_by", "agent_id"),
    "open_list_entries": ("customer_id", "created_by", "agent_id", "resolved_by"),
}
#: Timestamps of one record: equal ones (created and updated at once) become one datetime.
_DATES = {
    "customers": ("created_at", "updated_at"),
    "contacts": ("created_at", "updated_at"),
    "activities": ("created_at", "updated_at", "occurred_at", "associated_at"),
    "open_list_entries": ("created_at", "updated_at", "resolved_at"),
}
#: Nested records (a dict, or a list of them): their text fields whose values repeat, and
#: pairs of fields that are often equal (an email as typed and normalised).
_NESTED = {
    "customers": (
        ("emails", ("label",), ("address", "normalized")),
        ("phones", ("number", "e164", "label"), None),
        ("address", ("street", "city", "postcode", "region", "country"), None),
        ("attributes", ("key",), None),
    ),
    "contacts": (("email", ("label",), ("address", "normalized")), ("phone", ("number", "e164", "label"), None)),
    "activities": (("sender", ("name", "phone", "phone_e164"), ("email", "email_normalized")),),
    "open_list_entries": (),
}


def _share(kind: str, doc: dict[str, Any], shared: dict[str, str]) -> None:
    """Replace values of `doc` by equal ones decoded before (`shared` holds them), so the
    records replayed hold each repeated value once. Only exact str values are touched (and
    timestamps that parse): what is damaged is left for `from_document` to refuse."""
    for name in _SHARED_TEXT.get(kind, ()):
        value = doc.get(name)
        if type(value) is str:
            doc[name] = shared.setdefault(value, value)
    dates: dict[str, datetime] = {}
    for name in _DATES.get(kind, ()):
        value = doc.get(name)
        if type(value) is str:
            when = dates.get(value)
            if when is None:
                try:
                    when = datetime.fromisoformat(value)
                except ValueError:
                    continue
                dates[value] = when
            doc[name] = when
    for name, texts, same in _NESTED.get(kind, ()):
        nested = doc.get(name)
        for item in nested if type(nested) is list else (nested,):
            if type(item) is not dict:
                continue
            for text in texts:
                value = item.get(text)
                if type(value) is str:
                    item[text] = shared.setdefault(value, value)
            if same is not None:
                first, second = item.get(same[0]), item.get(same[1])
                if type(first) is str and first == second:
                    item[same[1]] = first


#: The write a torn line was, when its start survived (`_encode` puts `seq` first).
_TORN_SEQ = re.compile(rb'\A\{"seq":([0-9]{1,18}),')


@dataclass(frozen=True, slots=True)
class _Torn:
    """The journal's last line, which is not a complete JSON object."""

    offset: int
    line: int
    size: int
    seq: int | None  # when its start survived

    @property
    def seq_text(self) -> str:
        return f", write {self.seq}" if self.seq is not None else ", its write number unreadable"


def _torn_seq(raw: bytes) -> int | None:
    found = _TORN_SEQ.match(raw)
    return int(found.group(1)) if found else None


class _Damaged(Exception):
    def __init__(self, offset: int, line: int, reason: str) -> None:
        super().__init__(reason)
        self.offset, self.line, self.reason = offset, line, reason


class Journal:
    """The files behind one durable MemoryStore. Every method is synchronous."""

    def __init__(self, path: str, *, compact_min_lines: int | None = None, compact_factor: int | None = None) -> None:
        self.path = os.fspath(path)
        self.snapshot_path = self.path + ".snapshot"
        self.lock_path = self.path + ".lock"
        self.compact_min_lines = COMPACT_MIN_LINES if compact_min_lines is None else compact_min_lines
        self.compact_factor = COMPACT_FACTOR if compact_factor is None else compact_factor
        self._fd: int | None = None
        self._lock_fd: int | None = None
        self._seq = 0  # the last write that is durable
        self._size = 0  # bytes of the journal up to the end of its last good line
        self._lines = 0  # write lines in the journal (its header not counted)
        self._broken: str | None = None
        self._next_compaction_lines = 0  # after a failed compaction: wait for this many lines
        self._stale = 0  # journal lines the snapshot already holds
        self._compacting = False  # between begin_compaction and finish/compaction_failed
        self._compaction_started = 0.0
        self._shared: dict[str, str] | None = None  # while open() replays: see _share

    # start-up ----------------------------------------------------------------------------
    def open(self, put: Callable[[str, Any], None], delete: Callable[[str, str], None]) -> None:
        """Lock the data file, then replay the snapshot and the journal through `put(kind,
        record)` and `delete(kind, id)`. Raises DataFileError when the file cannot be used."""
        if self._lock_fd is not None:
            raise RuntimeError("the journal is already open")
        self._lock()
        self._shared = {}  # values decoded once while replaying (`_share`)
        try:
            snapshot_seq = self._load_snapshot(put)
            self._replay(snapshot_seq, put, delete)
        except BaseException:
            self.close()
            raise
        finally:
            self._shared = None

    def _lock(self) -> None:
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise DataFileError(f"cannot open the data file's lock {self.lock_path}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            try:
                holder = os.read(fd, 64).decode("ascii", "replace").strip()
            except OSError:
                holder = ""
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise DataFileError(f"cannot lock data file {self.path} ({self.lock_path}): {exc.strerror}") from exc
            who = f"process {holder}" if holder.isdigit() else "another process"
            raise DataFileError(
                f"data file {self.path} is in use by {who} (lock {self.lock_path} is held); "
                "only one process may use a data file: stop the other one or choose another --data-file"
            ) from None
        self._lock_fd = fd
        try:  # who holds it, for the message another process gets
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass

    def _load_snapshot(self, put: Callable[[str, Any], None]) -> int:
        """Feed the snapshot's records to `put`; the seq it is complete up to (0: none)."""
        for leftover in (self.snapshot_path + ".tmp", self.path + ".tmp"):  # a compaction that did not finish
            try:
                os.unlink(leftover)
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise DataFileError(f"cannot remove {leftover}: {exc.strerror}") from exc
        try:
            f = open(self.snapshot_path, "rb")
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise DataFileError(f"cannot read snapshot {self.snapshot_path}: {exc.strerror}") from exc
        offset, number, seq, count, ended = 0, 0, None, 0, False
        with f:
            try:
                for number, raw in enumerate(f, 1):
                    if ended:
                        raise ValueError("data after the end marker")
                    if not raw.endswith(b"\n"):
                        raise ValueError("incomplete line")
                    obj = from_json(raw)
                    if not isinstance(obj, dict):
                        raise ValueError("not a JSON object")
                    if number == 1:
                        if obj.get("format") != SNAPSHOT_FORMAT or obj.get("version") != VERSION:
                            raise ValueError("not a Customer Context snapshot (version 1)")
                        seq = obj.get("seq")
                        if not isinstance(seq, int) or seq < 0:
                            raise ValueError("no seq in the header")
                    elif "end" in obj:
                        if obj.get("count") != count:
                            raise ValueError(f"the end marker counts {obj.get('count')!r} records, the file holds {count}")
                        ended = True
                    else:
                        put(obj.get("kind"), _decode_record(obj.get("kind"), obj.get("doc"), self._shared))
                        count += 1
                    offset += len(raw)
            except OSError as exc:
                raise DataFileError(f"cannot read snapshot {self.snapshot_path}: {exc.strerror}") from exc
            except Exception as exc:  # whatever a damaged record makes decoding raise
                raise DataFileError(
                    f"snapshot {self.snapshot_path} is damaged at byte {offset} (line {number}): "
                    f"{exc or type(exc).__name__}; the service will not start on partial data: restore the data "
                    "file and its snapshot from a backup"
                ) from exc
        if not ended:
            raise DataFileError(
                f"snapshot {self.snapshot_path} ends at byte {offset} without its end marker; "
                "the service will not start on partial data: restore the data file and its snapshot from a backup"
            )
        return seq  # type: ignore[return-value]

    def _replay(self, snapshot_seq: int, put: Callable[[str, Any], None], delete: Callable[[str, str], None]) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise DataFileError(f"cannot open data file {self.path}: {exc.strerror}") from exc
        self._fd = fd
        try:
            with open(fd, "rb", closefd=False) as f:
                good, lines, seq, stale, torn = self._read(f, snapshot_seq, put, delete)
        except _Damaged as exc:
            raise DataFileError(
                f"data file {self.path} is damaged at byte {exc.offset} (line {exc.line}): {exc.reason}; "
                "acknowledged writes may be missing there, so the service will not start: restore the file "
                "from a backup, or repair it by hand"
            ) from None
        except OSError as exc:
            raise DataFileError(f"cannot read data file {self.path}: {exc.strerror}") from exc
        self._seq = max(seq, snapshot_seq)
        end = os.fstat(fd).st_size
        # The torn line's bytes are kept, durably, before anything cuts them off.
        side = self._set_aside(fd, torn.offset, end) if torn is not None else None
        try:
            if good == 0:  # a new (or empty, or torn while being created) journal
                os.ftruncate(fd, 0)
                os.write(fd, _HEADER)
                os.fsync(fd)
                _fsync_dir(self.path)
                self._size = len(_HEADER)
            elif lines and stale == lines:
                # A compaction stopped after its snapshot was in place: finish cutting.
                os.ftruncate(fd, len(_HEADER))
                os.fsync(fd)
                self._size, lines, stale = len(_HEADER), 0, 0
            else:
                self._size = good
                if end > good:
                    os.ftruncate(fd, good)
                    os.fsync(fd)
        except OSError as exc:
            raise DataFileError(f"cannot write data file {self.path}: {exc.strerror}") from exc
        if torn is not None and side is not None:
            self._warn_torn(torn, side, self._seq)
        self._lines, self._stale = lines, stale

    def _set_aside(self, fd: int, start: int, end: int) -> str:
        """Copy the journal's bytes from `start` to `end` into a new side file, durably, before
        they are cut off; its path. A failure stops start-up with the journal untouched."""
        damaged = os.pread(fd, end - start, start)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        for attempt in range(1, 1000):
            side = f"{self.path}.torn-{stamp}" + (f"-{attempt}" if attempt > 1 else "")
            try:
                out = os.open(side, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            except FileExistsError:
                continue
            except OSError as exc:
                raise DataFileError(
                    f"data file {self.path}: cannot keep its torn last line in {side} ({exc.strerror}); "
                    "the file is left as it is: free space or fix permissions, then start again"
                ) from exc
            try:
                view = memoryview(damaged)
                while view:
                    view = view[os.write(out, view):]
                os.fsync(out)
            except OSError as exc:
                os.close(out)
                raise DataFileError(
                    f"data file {self.path}: cannot keep its torn last line in {side} ({exc.strerror}); "
                    "the file is left as it is: free space or fix permissions, then start again"
                ) from exc
            os.close(out)
            _fsync_dir(side)
            return side
        raise DataFileError(f"data file {self.path}: too many side files {self.path}.torn-{stamp}*")

    def _warn_torn(self, torn: _Torn, side: str, last_seq: int) -> None:
        log.warning(
            "data file %s: its last line (line %d, %d bytes at byte %d%s) is torn: not a complete JSON line. "
            "Its bytes are kept in %s and the journal now ends at write %d. It is most likely a write cut short by "
            "a crash, never acknowledged (writes are acknowledged only once written and fsync'ed); but if the disk "
            "or file system lost data it had reported as synced, or the file was damaged or truncated afterwards, "
            "it was acknowledged and that write is now missing: the file alone cannot tell",
            self.path, torn.line, torn.size, torn.offset, torn.seq_text, side, last_seq,
        )

    def _read(self, f, snapshot_seq: int, put, delete) -> tuple[int, int, int, int, _Torn | None]:
        """(bytes up to the last good line, write lines, last seq, lines the snapshot already
        holds, the torn last line if there is one: left out). Raises _Damaged."""
        offset, number, lines, seq, stale = 0, 0, 0, 0, 0
        for number, raw in enumerate(f, 1):
            start = offset
            offset += len(raw)
            obj = None
            if raw.endswith(b"\n"):
                try:
                    obj = from_json(raw)
                except (ValueError, RecursionError):
                    pass
            if not isinstance(obj, dict):
                last = not f.read(1)
                if number == 1 and not (last and _HEADER.startswith(raw)):
                    raise _Damaged(start, number, "not a Customer Context journal (its first line is no journal header)")
                if not last:  # lines follow: not a write cut short by a crash
                    raise _Damaged(start, number, "the line is not a complete JSON object")
                # A first line that is part of the header is a journal torn while being
                # created: it holds no write, so there is nothing to keep.
                torn = _Torn(start, number, len(raw), _torn_seq(raw)) if number > 1 else None
                return (start, lines, seq, stale, torn)
            if number == 1:
                if obj.get("format") != JOURNAL_FORMAT or obj.get("version") != VERSION:
                    raise _Damaged(start, number, "not a Customer Context journal (version 1) header")
                continue
            try:
                line_seq = obj["seq"]
                if not isinstance(line_seq, int) or isinstance(line_seq, bool):
                    raise ValueError("seq is not a whole number")
                if lines and line_seq <= seq:
                    raise ValueError(f"write {line_seq} follows write {seq}")
                if line_seq <= snapshot_seq:
                    stale += 1  # already in the snapshot (a compaction stopped before cutting the journal)
                else:
                    expected = max(seq, snapshot_seq) + 1
                    if line_seq != expected:
                        if not lines and not snapshot_seq:
                            raise ValueError(
                                f"the journal starts at write {line_seq} but there is no snapshot "
                                f"({self.snapshot_path}) holding the writes before it"
                            )
                        raise ValueError(f"write {line_seq} follows write {expected - 1}; the writes between are missing")
                    op, kind = obj["op"], obj["kind"]
                    if op == "put":
                        put(kind, _decode_record(kind, obj["doc"], self._shared))
                    elif op == "delete" and isinstance(obj["id"], str):
                        delete(kind, obj["id"])
                    else:
                        raise ValueError(f"unknown operation {op!r}")
            except KeyError as exc:
                raise _Damaged(start, number, f"no {exc} in a write") from None
            except Exception as exc:  # whatever a damaged record makes decoding or indexing raise
                raise _Damaged(start, number, str(exc) or type(exc).__name__) from None
            seq = line_seq
            lines += 1
        if number == 0:
            return (0, 0, 0, 0, None)
        return (offset, lines, seq, stale, None)

    # writing -----------------------------------------------------------------------------
    def append(self, op: str, kind: str, payload: Any) -> None:
        """Make one write durable: `put` a record or `delete` an id. Returns once it is on disk
        (written and fsync'ed); raises StoreUnavailable when it could not be made durable."""
        if self._fd is None:
            raise StoreUnavailable(f"data file {self.path} is not open")
        if self._broken is not None:
            raise StoreUnavailable(self._broken)
        seq = self._seq + 1
        if op == "put":
            line = _encode({"seq": seq, "op": "put", "kind": kind, "doc": to_document(payload)})
        else:
            line = _encode({"seq": seq, "op": op, "kind": kind, "id": payload})
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(self._fd, view):]
        except OSError as exc:
            try:
                os.ftruncate(self._fd, self._size)
            except OSError as exc2:
                self._fail(f"cannot write data file {self.path} ({exc.strerror}) nor cut the partial write ({exc2.strerror})")
            raise StoreUnavailable(f"cannot write data file {self.path}: {exc.strerror}") from exc
        started = time.perf_counter()
        try:
            os.fsync(self._fd)
        except OSError as exc:
            # After a failed fsync the kernel may have dropped the pages: nothing written from
            # now on can be trusted to be durable.
            self._fail(f"cannot sync data file {self.path}: {exc.strerror}")
            raise StoreUnavailable(self._broken) from exc
        journal_fsync(time.perf_counter() - started)
        self._seq = seq
        self._size += len(line)
        self._lines += 1

    def _fail(self, reason: str) -> None:
        self._broken = reason + "; writes are refused until the service restarts"
        log.error("%s", self._broken)

    def check(self) -> None:
        """Raise StoreUnavailable when writes can no longer be made durable."""
        if self._broken is not None:
            raise StoreUnavailable(self._broken)

    # compaction --------------------------------------------------------------------------
    def wants_compaction(self, live_records: int) -> bool:
        """Whether the journal has grown past max(compact_min_lines, compact_factor x live
        records), or holds lines a snapshot already has (never while a compaction runs)."""
        if self._compacting:
            return False
        threshold = 0 if self._stale else max(self.compact_min_lines, self.compact_factor * live_records)
        return self._lines > max(threshold, self._next_compaction_lines)

    def compact(self, records: Iterable[tuple[str, Any]]) -> None:
        """Compact now, synchronously (at start-up, before anything is served): `records`
        are every live record as of the last write. Failure is logged, not raised."""
        mark = self.begin_compaction()
        if mark is None:
            return
        try:
            self.write_snapshot(records, mark)
        except Exception as exc:
            self.compaction_failed(exc)
            return
        self.finish_compaction(mark)

    # Compaction in three steps, so that the store can run the slow one in a thread while
    # writes go on: (1) `begin_compaction` on the event loop marks where the journal stands
    # (the caller takes the live records at the same moment); (2) `write_snapshot` encodes
    # and writes them (any thread; it touches only the snapshot files); (3)
    # `finish_compaction`, on the event loop again, drops the journal lines the snapshot
    # holds and keeps those written meanwhile.
    def begin_compaction(self) -> CompactionMark | None:
        """Where the journal stands now (None when it is closed, broken or compacting)."""
        if self._fd is None or self._broken is not None or self._compacting:
            return None
        self._compacting = True
        self._compaction_started = time.perf_counter()
        return CompactionMark(self._seq, self._size, self._lines)

    def write_snapshot(self, records: Iterable[tuple[str, Any]], mark: CompactionMark) -> None:
        """Write `records` (every live record as of `mark`) as the snapshot: a temporary file,
        fsync'ed, renamed over the old one, directory fsync'ed. Raises on failure, leaving the
        old snapshot in place."""
        tmp = self.snapshot_path + ".tmp"
        try:
            count = 0
            with open(tmp, "wb", buffering=1 << 20) as out:
                out.write(_encode({"format": SNAPSHOT_FORMAT, "version": VERSION, "seq": mark.seq}))
                for kind, record in records:
                    out.write(_encode({"kind": kind, "doc": to_document(record)}))
                    count += 1
                out.write(_encode({"end": True, "count": count}))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.snapshot_path)
            _fsync_dir(self.snapshot_path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def compaction_failed(self, exc: BaseException) -> None:
        """The snapshot could not be written: the journal alone still holds everything; the
        next try waits until it has grown to twice its length."""
        self._compacting = False
        self._next_compaction_lines = 2 * self._lines
        journal_compaction("failed")
        log.error("data file %s: compaction failed (%r); the journal keeps growing, next try later", self.path, exc)

    def finish_compaction(self, mark: CompactionMark) -> None:
        """The snapshot as of `mark` is durable: cut the journal lines up to `mark`, keeping
        the ones written since. With none written since, the journal is truncated to its
        header; otherwise header and newer lines go to a new file renamed over the journal.
        A failure leaves the journal whole (replay skips the lines the snapshot holds)."""
        self._compacting = False
        if self._fd is None or self._broken is not None:
            return
        newer = self._size - mark.size
        try:
            if newer == 0:
                os.ftruncate(self._fd, len(_HEADER))
            else:
                self._replace_journal(os.pread(self._fd, newer, mark.size))
        except OSError as exc:
            self._stale, self._next_compaction_lines = mark.lines, 2 * self._lines
            log.error("data file %s: cannot cut the journal after a snapshot (%s); next try later", self.path, exc)
            journal_compaction("failed")
            return
        if newer == 0:
            try:
                os.fsync(self._fd)
            except OSError as exc:
                self._fail(f"cannot sync data file {self.path}: {exc.strerror}")
                return
        self._size = len(_HEADER) + newer
        self._lines -= mark.lines
        self._stale, self._next_compaction_lines = 0, 0
        journal_compaction("ok", time.perf_counter() - self._compaction_started)

    def _replace_journal(self, newer: bytes) -> None:
        """The journal as its header followed by `newer`, atomically: written to PATH.tmp,
        fsync'ed, renamed over PATH, directory fsync'ed; the store appends to the new file."""
        tmp = self.path + ".tmp"
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_CLOEXEC, 0o644)
        try:
            view = memoryview(_HEADER + newer)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
            os.replace(tmp, self.path)
        except BaseException:
            os.close(fd)
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        old, self._fd = self._fd, fd
        if old is not None:
            os.close(old)
        try:
            _fsync_dir(self.path)
        except OSError as exc:
            # The rename may not survive a crash; either file is a valid journal, but what is
            # written from now on goes to the new one: it must be durable.
            self._fail(f"cannot sync the directory of data file {self.path}: {exc.strerror}")

    # shutdown ----------------------------------------------------------------------------
    def close(self) -> None:
        """Close the journal (every write already is on disk) and release the lock."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
        lock, self._lock_fd = self._lock_fd, None
        if lock is not None:
            os.close(lock)  # releases the flock

    @property
    def lines(self) -> int:
        return self._lines

    @property
    def seq(self) -> int:
        return self._seq
