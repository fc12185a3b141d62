"""How long the memory store takes to build a directory sort index (the first directory
search in a column and language builds it, in a worker thread), with collation keys worked
out per contact and with the memoised `collation.sort_key`, and the event loop's longest
pause meanwhile.

    .venv/bin/python benchmarks/sort_index_build.py [--customers 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import service_load  # noqa: E402
from plugins.memory import MemoryStore  # noqa: E402
from service.domain import collation, contact_directory  # noqa: E402
from service.domain.contact_directory import ContactSort  # noqa: E402
from service.settings import Settings  # noqa: E402


async def _ticker(lags: list[float]) -> None:
    """Records how late each 1 ms sleep wakes up: the event loop's pauses."""
    while True:
        t = time.perf_counter()
        await asyncio.sleep(0.001)
        lags.append(time.perf_counter() - t)


async def measure(path: Path) -> None:
    store = MemoryStore(Settings(data_file=str(path)))
    t = time.perf_counter()
    await store.open()
    print(f"store opened in {time.perf_counter() - t:.1f} s", flush=True)
    # As the server does after start-up (create_app(freeze_after_startup=True)): without it a
    # full collection during the build walks every record, holding the GIL for a second or more.
    gc.collect()
    gc.freeze()
    try:
        for label, key in (("a collation key per contact", collation.sort_key.__wrapped__), ("memoised collation keys", collation.sort_key)):
            contact_directory.sort_key = key
            store._sort_indexes.clear()
            lags: list[float] = []
            ticking = asyncio.ensure_future(_ticker(lags))
            t = time.perf_counter()
            await store._sort_index(ContactSort.LAST_NAME, "en")
            built = time.perf_counter() - t
            ticking.cancel()
            print(
                f"{label:28}: LAST_NAME/en sort index built in {built:.2f} s; the event loop's longest pause "
                f"meanwhile {max(lags, default=built) * 1000:.0f} ms ({len(lags)} ticks of a 1 ms timer)",
                flush=True,
            )
    finally:
        contact_directory.sort_key = collation.sort_key
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="cc-sort-", dir=base) as tmp:
        path = Path(tmp) / "data.journal"
        customers, contacts, activities = service_load.make_dataset(args.customers)
        service_load.write_data_file(path, customers, contacts, activities)
        print(f"{len(customers):,} customers, {len(contacts):,} contacts", flush=True)
        del customers, contacts, activities
        asyncio.run(measure(path))


if __name__ == "__main__":
    main()
