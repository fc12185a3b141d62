"""How long the event loop stalls while the memory store's journal compacts.

Loads N customers into a durable memory store (--data-file), then makes the next write
trigger a compaction while a ticker measures the event loop's lag every millisecond, and
the writes go on. Prints the worst and 99th-percentile lag during the compaction, the
compaction's duration, and the same for a synchronous compaction (the journal's
`compact()`, what the store did before compaction moved to a worker thread), in one run;
then the start-up time over the compacted files.

    .venv/bin/python benchmarks/journal_compaction.py --customers 100000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plugins.memory import MemoryStore  # noqa: E402
from service.domain.records import Customer, EmailAddress, PhoneNumber  # noqa: E402

T0 = datetime(2026, 11, 25, tzinfo=UTC)


def customer(i: int) -> Customer:
    return Customer(
        f"c{i:07d}", 1, T0, T0, "bench", first_name=f"Jana{i}", last_name=f"Nováková{i % 997}",
        emails=(EmailAddress(f"jana{i}@example.cz", f"jana{i}@example.cz"),),
        phones=(PhoneNumber(f"+420 601 {i:06d}", f"+420601{i:06d}"),),
    )


async def lag_during(work, *, writes: MemoryStore | None = None) -> tuple[float, list[float], int]:
    """Run `work()` while a ticker sleeps 1 ms at a time; the time taken and each tick's lag."""
    lags: list[float] = []
    done = asyncio.Event()
    written = 0

    async def ticker():
        while not done.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append(time.perf_counter() - t - 0.001)

    async def writer():
        nonlocal written
        while not done.is_set():
            await writes.insert_customer(customer(10_000_000 + written))
            written += 1
            await asyncio.sleep(0.005)

    tasks = [asyncio.create_task(ticker())] + ([asyncio.create_task(writer())] if writes else [])
    start = time.perf_counter()
    await work()
    took = time.perf_counter() - start - 0.01
    done.set()
    await asyncio.gather(*tasks)
    return took, lags, written


def show(name: str, took: float, lags: list[float], written: int) -> None:
    lags = sorted(lags) or [0.0]
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
    print(
        f"{name:<34} {took:7.2f} s   loop lag max {max(lags) * 1000:8.1f} ms  p99 {p99 * 1000:7.1f} ms  "
        f"median {statistics.median(lags) * 1000:5.2f} ms   writes meanwhile {written}"
    )


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.jsonl"
        store = MemoryStore(data_file=str(path), compact_min_lines=10**9)
        await store.open()
        for i in range(n):
            await store.insert_customer(customer(i))
        print(f"{n:,} customers in {path.stat().st_size / 1e6:.0f} MB of journal")

        # Before: the synchronous compaction, as every write past the threshold used to run it.
        journal = store._journal

        async def synchronous():
            await asyncio.sleep(0.01)  # the ticker is running
            journal.compact(store._all_records())

        took, lags, written = await lag_during(synchronous)
        show("synchronous compaction (before)", took, lags, written)

        # Now: the next write past the threshold starts it in a worker thread.
        await store.update_customer(replace(customer(0), version=2, organization_name="x"), 1)
        journal.compact_min_lines, journal.compact_factor = 0, 0

        async def background():
            await asyncio.sleep(0.01)
            await store.update_customer(replace(customer(0), version=3, organization_name="y"), 2)
            journal.compact_min_lines = 10**9
            assert store._compaction is not None
            await store.compaction_finished()

        took, lags, written = await lag_during(background, writes=store)
        show("background compaction (now)", took, lags, written)
        await store.close()

        # Start-up: load the snapshot and replay the journal written meanwhile.
        start = time.perf_counter()
        again = MemoryStore(data_file=str(path))
        await again.open()
        print(f"start-up (snapshot + journal replay, indexes): {time.perf_counter() - start:.2f} s")
        await again.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().customers))
