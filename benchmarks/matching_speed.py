"""Matching speed at scale: N customers (default 1,000,000) in the memory store.

Prints latency percentiles of phone, email and fuzzy name look-ups through the strategies
(the calls recordActivity makes), and the memory used per customer (growth of the
process's resident memory from before the customers are made to after they are loaded:
records and every index). A baseline
measured in the same run, a plain scan comparing every customer's phones, shows what the
index saves.

    .venv/bin/python benchmarks/matching_speed.py [--customers 1000000] [--lookups 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matching_quality import damaged, make_customers  # noqa: E402

from plugins.exact_match import ExactMatching  # noqa: E402
from plugins.fuzzy_match import FuzzyMatching  # noqa: E402
from plugins.memory import MemoryStore  # noqa: E402
from service.domain.identity import Identity  # noqa: E402


def rss_bytes() -> int:
    """The process's resident memory (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def percentiles(samples_ms: list[float]) -> str:
    q = statistics.quantiles(samples_ms, n=100)
    return f"p50 {q[49]:7.3f} ms   p90 {q[89]:7.3f} ms   p99 {q[98]:7.3f} ms   max {max(samples_ms):7.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    rss_before = rss_bytes()
    t = time.perf_counter()
    customers = make_customers(args.customers, rng)
    print(f"generated {len(customers):,} customers in {time.perf_counter() - t:.0f} s")

    store = MemoryStore()

    async def load():
        for c in customers:
            await store.insert_customer(c)

    t = time.perf_counter()
    asyncio.run(load())
    load_s = time.perf_counter() - t
    gc.collect()
    used = rss_bytes() - rss_before
    print(f"loaded into the memory store in {load_s:.0f} s ({len(customers) / load_s:,.0f} customers/s); "
          f"memory: {used / len(customers):,.0f} bytes per customer (records and every index; process RSS growth)")

    with_phone = [c for c in customers if c.phones]
    with_email = [c for c in customers if c.emails]
    exact, fuzzy = ExactMatching(), FuzzyMatching()

    async def timed(strategy, identities):
        out = []
        for identity in identities:
            t = time.perf_counter()
            await strategy.candidates(identity, store, limit=5)
            out.append((time.perf_counter() - t) * 1000)
        return out

    phones = [Identity(phones=(rng.choice(with_phone).phones[0].e164,)) for _ in range(args.lookups)]
    emails = [Identity(emails=(rng.choice(with_email).emails[0].normalized,)) for _ in range(args.lookups)]
    names = []
    while len(names) < args.lookups:
        q = damaged(rng, rng.choice(customers))
        if q.identity.has_name:
            names.append(Identity(first_name=q.identity.first_name, last_name=q.identity.last_name))

    async def run():
        return {
            "phone (exact)": await timed(exact, phones),
            "email (exact)": await timed(exact, emails),
            "phone (fuzzy)": await timed(fuzzy, phones),
            "damaged name (fuzzy)": await timed(fuzzy, names),
        }

    results = asyncio.run(run())
    print(f"\n{args.lookups:,} look-ups each:")
    for label, samples in results.items():
        print(f"{label:22} {percentiles(samples)}")

    # Baseline in the same run: what a scan costs (on 20 look-ups: it is slow).
    sample = phones[:20]
    t = time.perf_counter()
    for identity in sample:
        wanted = identity.phones[0]
        [c for c in customers if any(p.e164 == wanted for p in c.phones)]
    scan_ms = (time.perf_counter() - t) * 1000 / len(sample)
    p50 = statistics.median(results["phone (exact)"])
    print(f"\nbaseline: a scan of every customer's phones takes {scan_ms:,.1f} ms per look-up: {scan_ms / p50:,.0f}x the indexed p50")


if __name__ == "__main__":
    main()
