"""Where the memory store's memory goes: bytes per customer of its records and of each index.

Writes the data set of `service_load.py` (n customers, about 2 contacts and 1.4 activities
each) as a `--data-file` snapshot, streaming, then opens a memory store from it in a child
process (run under an address-space limit) and reports:

- the process's RSS and Python's traced allocations after each step of opening: replaying
  the snapshot into the record tables, indexing them, and building the directory's sort
  index (the first directory search builds it);
- every attribute of the store, by a walk over the objects it reaches: records first, so a
  string shared by a record and an index counts once, with the record.

    .venv/bin/python benchmarks/memory_footprint.py [--customers 100000] [--limit-gb 20]
        [--no-tracemalloc]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import subprocess
import sys
import tempfile
import time
import types
from enum import Enum
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

#: The store's attributes in the order the walk attributes them; the rest follow.
FIRST = ["_customers", "_contacts", "_activities", "_entries"]
_SKIP = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType, Enum)


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def deep_size(root: object, seen: set[int]) -> tuple[int, int]:
    """(bytes, objects) reachable from `root` and not in `seen` (which is updated)."""
    total = count = 0
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _SKIP):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        count += 1
        if hasattr(obj, "__dict__") and not isinstance(obj, (dict, type)):
            d = vars(obj)
            stack.append(d)
        stack.extend(gc.get_referents(obj))
    return total, count


def measure(data_file: str, customers: int, trace: bool) -> None:
    import tracemalloc

    from plugins.memory import MemoryStore
    from service.domain.contact_directory import ContactSort

    if trace:
        tracemalloc.start()

    def traced() -> int:
        return tracemalloc.get_traced_memory()[0] if trace else 0

    steps = []
    base_rss, base_traced = rss(), traced()
    last = (base_rss, base_traced)

    def step(label: str, started: float) -> None:
        nonlocal last
        now = (rss(), traced())
        steps.append((label, time.perf_counter() - started, now[0] - last[0], now[1] - last[1]))
        last = now

    store = MemoryStore(data_file=data_file)
    t = time.perf_counter()
    store._journal.open(store._replay_put, store._replay_delete)
    step("replay the snapshot (record tables)", t)
    t = time.perf_counter()
    store._index_loaded()
    step("index the records", t)
    t = time.perf_counter()
    asyncio.run(store._sort_index(ContactSort.LAST_NAME, "en"))
    step("directory sort index (LAST_NAME, en)", t)
    peak_traced = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    gc.collect()

    n = customers
    print(
        f"{n:,} customers, {len(store._contacts):,} contacts, {len(store._activities):,} activities; "
        f"RSS {base_rss / 2**20:.0f} MiB before opening"
    )
    print(f"\n{'step':42} {'s':>6} {'RSS MiB':>9} {'B/cust':>7} {'traced MiB':>11} {'B/cust':>7}")
    for label, secs, d_rss, d_traced in steps:
        print(f"{label:42} {secs:6.1f} {d_rss / 2**20:9.0f} {d_rss / n:7.0f} {d_traced / 2**20:11.0f} {d_traced / n:7.0f}")
    total_rss = last[0] - base_rss
    print(f"{'total':42} {'':6} {total_rss / 2**20:9.0f} {total_rss / n:7.0f} {(last[1] - base_traced) / 2**20:11.0f} {(last[1] - base_traced) / n:7.0f}")
    if trace:
        print(f"traced peak while opening: {(peak_traced - base_traced) / 2**20:.0f} MiB, {(peak_traced - base_traced) / n:.0f} B/customer")
    print(f"peak RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")

    seen: set[int] = {id(store), id(vars(store))}
    names = [k for k in FIRST if hasattr(store, k)] + [k for k in vars(store) if k not in FIRST]
    print(f"\n{'store attribute (walked; shared objects counted once, first)':62} {'MiB':>7} {'B/cust':>7} {'objects':>11}")
    grand = 0
    for name in names:
        if name in ("_journal", "_compaction", "data_file"):
            continue
        size, objects = deep_size(getattr(store, name), seen)
        grand += size
        if size:
            print(f"{name:62} {size / 2**20:7.0f} {size / n:7.0f} {objects:11,}")
    print(f"{'all':62} {grand / 2**20:7.0f} {grand / n:7.0f}")
    store._journal.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--limit-gb", type=float, default=20, help="address-space limit of the measuring process")
    parser.add_argument("--no-tracemalloc", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child: the data file to open
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.customers, not args.no_tracemalloc)
        return
    from service_load import iter_dataset, write_records

    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(prefix="cc-footprint-", dir=base) as tmp:
        data_file = Path(tmp) / "data.journal"
        t = time.perf_counter()
        counts = write_records(data_file, iter_dataset(args.customers))
        size = (Path(tmp) / "data.journal.snapshot").stat().st_size
        print(f"snapshot: {counts} written in {time.perf_counter() - t:.0f} s, {size / 2**20:.0f} MiB", flush=True)
        limit = int(args.limit_gb * 2**30)
        command = [sys.executable, __file__, "--measure", str(data_file), "--customers", str(args.customers)]
        if args.no_tracemalloc:
            command.append("--no-tracemalloc")
        subprocess.run(
            command, check=True, preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        )


if __name__ == "__main__":
    main()
