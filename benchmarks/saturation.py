"""The service saturated: do health probes still answer, and is excess work shed early?

Starts the real service with its CLI (`customer-context serve`, memory store, loopback only)
on a data set of --customers customers with their contacts (benchmarks/service_load.py's
generator), once per configuration and round, and drives it with `wrk`: --clients
connections sending heavy contact directory searches (`contacts(filter: {search: ...})`,
100 per page) for --duration seconds. Meanwhile it probes `/healthz` every 100 ms, each probe
on a fresh connection as a load balancer's health check is, and waits for every answer.

Configurations (--configs) are `loop:max_in_flight_requests[:admission_wait_seconds]`, e.g.
`uvloop:0` (uvloop, no admission control). They run in alternating rounds (--rounds): every
configuration once, then the next round, so that a passing load on the machine weighs on all
alike. Printed per configuration, over all its rounds: probe latency p50/p99/max, probes
that got no answer within 30 s, searches answered (2xx), searches shed (503) and the
searches' own latency p50/p99 as wrk measured it.

    .venv/bin/python benchmarks/saturation.py [--customers 5000] [--clients 200] [--duration 15]
        [--rounds 2] [--configs uvloop:0,asyncio:0,uvloop:8,asyncio:8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from service_load import (  # noqa: E402
    DIRECTORY,
    DIRECTORY_SEARCHES,
    ROOT,
    Server,
    ensure_wrk,
    free_port,
    machine,
    make_dataset,
    parse_wrk,
    wrk_script,
    write_data_file,
)

#: Seconds between probes, and how long one probe waits for its answer.
PROBE_EVERY = 0.1
PROBE_TIMEOUT = 30.0


@dataclass(frozen=True)
class Config:
    loop: str
    limit: int
    wait: float | None = None

    @classmethod
    def parse(cls, text: str) -> Config:
        loop, limit, *wait = text.split(":")
        return cls(loop, int(limit), float(wait[0]) if wait else None)

    def __str__(self) -> str:
        admission = "no admission control" if self.limit == 0 else f"max {self.limit} in flight"
        if self.limit and self.wait is not None:
            admission += f", wait {self.wait:g} s"
        return f"{self.loop}, {admission}"

    def flags(self) -> list[str]:
        flags = ["--loop", self.loop, "--max-in-flight-requests", str(self.limit)]
        if self.wait is not None:
            flags += ["--admission-wait-seconds", str(self.wait)]
        return flags


@dataclass
class Tally:
    probes: list[float] = field(default_factory=list)  # seconds; PROBE_TIMEOUT for no answer
    unanswered: int = 0
    answered: int = 0  # searches with a 2xx answer
    shed: int = 0  # searches answered 503
    other: int = 0  # any other status, or a socket error
    search_p50: list[float] = field(default_factory=list)
    search_p99: list[float] = field(default_factory=list)


# --- probes ----------------------------------------------------------------------------------


async def probe_once(port: int) -> float | None:
    """Seconds from connecting to the whole answer of GET /healthz on a new connection;
    None when no 200 came within PROBE_TIMEOUT."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            answer = await reader.read()
            writer.close()
    except (TimeoutError, OSError):
        return None
    return time.perf_counter() - started if answer.startswith(b"HTTP/1.1 200") else None


def probe_while(port: int, running: threading.Event, results: list[float | None]) -> threading.Thread:
    """A thread with a loop of its own that starts a probe every PROBE_EVERY seconds while
    `running` is set (without waiting for the previous one), then waits for all of them."""

    async def probing() -> None:
        tasks = []
        while running.is_set():
            tasks.append(asyncio.create_task(probe_once(port)))
            await asyncio.sleep(PROBE_EVERY)
        results.extend(await asyncio.gather(*tasks))

    thread = threading.Thread(target=asyncio.run, args=(probing(),), daemon=True)
    thread.start()
    return thread


# --- why uvloop starves new connections ------------------------------------------------------


def accepted_per_turn(loop_name: str, connections: int = 20, turn: float = 0.1) -> tuple[float, float]:
    """Seconds until the first and the last of `connections` queued connections reached
    connection_made, while a ready callback keeps every turn of the event loop busy for
    `turn` seconds (as a saturated server's requests do). An event loop that accepts every
    waiting connection in one turn takes a few turns for all; one that accepts one per turn
    takes `connections` turns."""
    import socket

    import uvloop

    async def measure() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        made: list[float] = []

        class Accepted(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                made.append(time.perf_counter())
                transport.close()

        server = await loop.create_server(Accepted, "127.0.0.1", 0, backlog=2048)
        port = server.sockets[0].getsockname()[1]
        clients = []
        for _ in range(connections):
            client = socket.socket()
            client.setblocking(False)
            try:
                client.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            clients.append(client)
        # No await until the busy turns begin: the loop gets no quiet turn to accept in (on
        # loopback the kernel completes each handshake within connect()).
        busy = True

        def one_busy_turn() -> None:
            until = time.perf_counter() + turn
            while time.perf_counter() < until:
                pass
            if busy:
                loop.call_soon(one_busy_turn)

        started = time.perf_counter()
        loop.call_soon(one_busy_turn)
        while len(made) < connections:
            await asyncio.sleep(0)
        busy = False
        server.close()
        for client in clients:
            client.close()
        return made[0] - started, made[-1] - started

    return uvloop.run(measure()) if loop_name == "uvloop" else asyncio.run(measure())


# --- load ------------------------------------------------------------------------------------


#: wrk counts only "non-2xx"; each thread counts its 503s, `done` adds them up.
SHED_COUNTER = """local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) shed = 0 end
function response(status, headers, body) if status == 503 then shed = shed + 1 end end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("shed") end
  io.write(string.format("status 503: %d\\n", total))
end
"""


def search_script(directory: Path, first: int) -> Path:
    bodies = [
        {"query": DIRECTORY, "operationName": "Directory", "variables": {"search": s, "first": first}}
        for s in DIRECTORY_SEARCHES
    ]
    return wrk_script(bodies, directory, SHED_COUNTER)


def saturate(wrk: str, port: int, script: Path, clients: int, seconds: float, tally: Tally) -> None:
    """One round: wrk's clients for `seconds`, probes meanwhile."""
    running = threading.Event()
    running.set()
    probes: list[float | None] = []
    prober = probe_while(port, running, probes)
    command = [
        wrk, "-t2", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", f"{PROBE_TIMEOUT:g}s", "--latency",
        "-s", str(script), f"http://127.0.0.1:{port}/graphql",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=True)
    finally:
        running.clear()
        prober.join()
    tally.probes += [PROBE_TIMEOUT if p is None else p for p in probes]
    tally.unanswered += sum(p is None for p in probes)
    numbers = parse_wrk(done.stdout)
    total = int(re.search(r"(\d+) requests in", done.stdout).group(1))
    shed = _shed_count(done.stdout)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", done.stdout))
    tally.answered += total - int(numbers["non2xx"])
    tally.shed += shed
    tally.other += int(numbers["non2xx"]) - shed + errors
    tally.search_p50.append(numbers["p50"])
    tally.search_p99.append(numbers["p99"])


def _shed_count(wrk_output: str) -> int:
    """The 503s the script's `done` counted."""
    return int(re.search(r"^status 503: (\d+)$", wrk_output, re.M).group(1))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run(args: argparse.Namespace) -> dict[Config, Tally]:
    configs = [Config.parse(c) for c in args.configs.split(",")]
    wrk = ensure_wrk()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMER_CONTEXT_")}
    tallies = {c: Tally() for c in configs}
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="cc-saturation-", dir=base) as tmp:
        workdir = Path(tmp)
        customers, contacts, activities = make_dataset(args.customers)
        data = workdir / "data" / "data.journal"
        data.parent.mkdir()
        write_data_file(data, customers, contacts, activities)
        print(f"data set: {len(customers):,} customers, {len(contacts):,} contacts, {len(activities):,} activities", flush=True)
        del customers, contacts, activities
        script = search_script(workdir, args.first)
        for round_number in range(1, args.rounds + 1):
            for number, config in enumerate(configs):
                copy = workdir / f"round-{round_number}-config-{number}"
                copy.mkdir()
                for f in data.parent.glob(data.name + "*"):
                    if not f.name.endswith(".lock"):
                        shutil.copy(f, copy / f.name)
                port = free_port()
                command = [
                    str(ROOT / ".venv/bin/customer-context"), "serve", "--port", str(port), "--data-file",
                    str(copy / data.name), "--log-level", "warning", *config.flags(),
                ]  # fmt: skip
                with Server(str(config), command, env, port):
                    saturate(wrk, port, script, args.clients, args.duration, tallies[config])
                t = tallies[config]
                print(
                    f"  round {round_number}, {config}: probes p99 {percentile(t.probes, 0.99) * 1000:,.0f} ms "
                    f"so far; {t.answered:,} searches answered, {t.shed:,} shed",
                    flush=True,
                )
    return tallies


def report(args: argparse.Namespace, tallies: dict[Config, Tally]) -> None:
    print()
    print(
        f"{'configuration':44} {'probes':>6} {'p50 ms':>7} {'p99 ms':>8} {'max ms':>8} {'no answer':>9}"
        f" {'answered':>9} {'shed 503':>9} {'other':>6} {'search p50 ms':>13} {'p99 ms':>8}"
    )
    for config, t in tallies.items():
        print(
            f"{str(config):44} {len(t.probes):6} {percentile(t.probes, 0.5) * 1000:7,.0f} "
            f"{percentile(t.probes, 0.99) * 1000:8,.0f} {max(t.probes) * 1000:8,.0f} {t.unanswered:9} "
            f"{t.answered:9,} {t.shed:9,} {t.other:6} {statistics.median(t.search_p50):13,.0f} "
            f"{statistics.median(t.search_p99):8,.0f}"
        )
    print(
        f"({args.rounds} round(s) of {args.duration:g} s per configuration, configurations alternating; {args.clients} "
        f"clients of directory searches ({args.first} per page) on {args.customers:,} customers; /healthz probed every "
        f"{PROBE_EVERY * 1000:.0f} ms on a fresh connection; probe and answer counts summed over rounds, search "
        "latencies the median of the rounds')"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=float, default=15, help="seconds of load per configuration and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--first", type=int, default=100, help="contacts per page of each search")
    parser.add_argument("--configs", default="uvloop:0,asyncio:0,uvloop:8,asyncio:8")
    args = parser.parse_args(argv)
    if args.clients > 1000 or args.duration > 120 or args.rounds > 10:
        parser.error("at most 1,000 clients, 120 s and 10 rounds: this is a benchmark, not a load test of the machine")
    print(f"machine: {machine()}")
    print(f"command: {' '.join(sys.argv)}\n", flush=True)
    print("20 connections waiting in the listen backlog while every turn of the event loop takes 100 ms:")
    for loop_name in ("uvloop", "asyncio"):
        first, last = accepted_per_turn(loop_name)
        print(f"  {loop_name:8} first accepted after {first * 1000:5,.0f} ms, the last after {last * 1000:6,.0f} ms")
    print(flush=True)
    report(args, run(args))


if __name__ == "__main__":
    main()
