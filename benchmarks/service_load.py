"""The service under load against its own ceiling, in one run on one machine.

Writes a realistic data set (default 100,000 customers with contacts and activities) as a
`--data-file` snapshot, then starts, side by side, each on its own copy of it:

- the real service with its real CLI (`customer-context serve`, one uvicorn worker, the
  memory store);
- the baseline (benchmarks/baseline_app.py): a minimal Starlette app making the same use-case
  and store calls and answering the same JSON, with no GraphQL.

Both are driven by `wrk` (installed with apt-get when missing) with the same request bodies,
in rounds (--rounds, default 3, of --duration seconds): service, then baseline, then the
next round, so that a passing load on the machine weighs on both alike. For each workload it
prints requests per second and p50/p99 latency of both (their median rounds) and the ratio
service/baseline (the median of the rounds' ratios), after checking that both answer every
sampled request identically.

Then (unless --no-growth) it builds stores of 10,000 to 1,000,000 customers, each in a child
process of its own under an address-space limit (--growth-limit-gb), and prints how the
screen-pop look-up and the directory search through the service's GraphQL endpoint
(in-process ASGI, no network) change with the number of customers.

    .venv/bin/python benchmarks/service_load.py [--customers 100000] [--duration 6] [--rounds 3]
        [--connections 8] [--growth 10000,100000,1000000] [--growth-limit-gb 20] [--no-growth]
        [--no-fastpath]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.domain.records import (  # noqa: E402
    Activity,
    Channel,
    Contact,
    ContactRole,
    Customer,
    Direction,
    EmailAddress,
    PhoneNumber,
    PostalAddress,
    Sender,
)

FIRST = "Jan Petr Jana Eva Peter Zuzana Ingrid Ola Kari Lars Anna Jürgen Łukasz Đorđe Milica Ivana Karel Věra Ørjan Åse Søren Marek Lucie Tomáš".split()
LAST = (
    "Novák Nováková Svoboda Dvořák Černý Procházka Kučera Veselý Horák Kováč Čapek Cibulka Šimek Řezníček Žák "
    "Hudec Chovan Oravec Müller Schäfer Weiß Jørgensen Østby Ærlig Åsen Hansen Đorđević Čolić Ćirić Ljubić Njegoš "
    "Marek Beneš Fiala Sedláček Doležal Zeman Kolář Navrátil Čermák Urban Vaněk Blažek Kříž Kovář Bartoš Vlček"
).split()
CITIES = "Praha Brno Ostrava Bratislava Košice Wien München Oslo Bergen Beograd Novi\u00a0Sad Plzeň Olomouc".split()
ORG_FORMS = ["s.r.o.", "a.s.", "GmbH", "AS", "d.o.o.", "k.s."]
TITLES = [None, None, None, "Ing.", "Mgr.", "Dr.", "Bc."]
SALUTATIONS = [None, "Pan", "Paní", "Herr", "Frau"]


def phone_of(i: int) -> tuple[str, str]:
    """A valid Czech mobile number per customer: (as typed, E.164)."""
    block, rest = divmod(i, 1_000_000)
    e164 = f"+42060{block + 1}{rest:06d}"
    return f"+420 60{block + 1} {rest // 1000:03d} {rest % 1000:03d}", e164


def iter_dataset(n: int, seed: int = 7):
    """The records of `make_dataset`, one customer's at a time, as (kind, record): the
    customer, then its contacts, then its activities. Nothing is kept, so a million
    customers can be written to a snapshot without holding them."""
    rng = random.Random(seed)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(n):
        created = t0 + timedelta(seconds=i)
        number, e164 = phone_of(i)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if i % 3 == 0:
            org = f"{rng.choice(LAST)} {rng.choice(ORG_FORMS)} {i}"
            person = (None, None)
        else:
            org, person = None, (first, last)
        email = f"{(first + '.' + last).lower()}.{i}@example.eu"
        c = Customer(
            f"cu{i:07d}",
            1,
            created,
            created,
            "bench",
            first_name=person[0],
            last_name=person[1],
            organization_name=org,
            emails=(EmailAddress(email, email),),
            phones=(PhoneNumber(number, e164, "mobile"),),
            address=PostalAddress(street=f"Hlavní {i % 200}", city=rng.choice(CITIES), postcode=f"{10000 + i % 80000}", country="CZ"),
            external_id=f"crm-{i}",
        )
        yield "customers", c
        for k in range(rng.choice((0, 1, 2, 2, 3, 4))):
            cf, cl = rng.choice(FIRST), rng.choice(LAST)
            ce = f"{cf}.{cl}.{i}.{k}@example.eu".lower()
            yield "contacts", Contact(
                f"co{i:07d}{k}",
                1,
                created,
                created,
                "bench",
                customer_id=c.id,
                role=ContactRole.MAIN if k == 0 or rng.random() < 0.3 else ContactRole.ADDITIONAL,
                salutation=rng.choice(SALUTATIONS),
                first_name=cf,
                last_name=cl,
                title=rng.choice(TITLES),
                email=EmailAddress(ce, ce) if rng.random() < 0.85 else None,
                phone=PhoneNumber(number, e164) if rng.random() < 0.5 else None,
                reminder_contact=rng.random() < 0.1,
            )
        for k in range(rng.choice((0, 1, 1, 2, 3))):
            at = created + timedelta(hours=k + 1)
            yield "activities", Activity(
                f"ac{i:07d}{k}",
                2,
                at,
                at,
                "bench",
                channel=Channel.CALL,
                direction=Direction.INBOUND,
                sender=Sender(phone=number, phone_e164=e164),
                occurred_at=at,
                customer_id=c.id,
                associated_at=at,
            )


def make_dataset(n: int, seed: int = 7) -> tuple[list[Customer], list[Contact], list[Activity]]:
    """n customers (a third organisations), about 2 contacts and 1.5 activities each."""
    tables: dict[str, list] = {"customers": [], "contacts": [], "activities": []}
    for kind, record in iter_dataset(n, seed):
        tables[kind].append(record)
    return tables["customers"], tables["contacts"], tables["activities"]


def write_data_file(path: Path, customers, contacts, activities) -> None:
    """A `--data-file` whose snapshot holds the records (plugins/memory/journal.py)."""
    write_records(
        path,
        [("customers", c) for c in customers] + [("contacts", k) for k in contacts] + [("activities", a) for a in activities],
    )


def write_records(path: Path, records) -> dict[str, int]:
    """A `--data-file` whose snapshot holds `records` ((kind, record) pairs, consumed one at
    a time, so a generator is never held whole); the number written of each kind."""
    from plugins.memory.journal import Journal

    counts: dict[str, int] = {}

    def counted():
        for kind, record in records:
            counts[kind] = counts.get(kind, 0) + 1
            yield kind, record

    journal = Journal(str(path))
    journal.open(lambda kind, record: None, lambda kind, record_id: None)
    try:
        mark = journal.begin_compaction()
        journal.write_snapshot(counted(), mark)  # raises, unlike compact(), which logs
        journal.finish_compaction(mark)
    finally:
        journal.close()
    return counts


# --- the workloads -----------------------------------------------------------------------

SCREEN_POP = """query ScreenPop($phone: String!) {
  matchCustomers(identity: {phone: $phone}, limit: 1) { score customer { id displayName organizationName } }
}"""
CUSTOMER_LIST = """query CustomerList($first: Int!) {
  customers(first: $first) {
    totalCount
    edges { cursor node { id displayName contacts(role: MAIN) { edges { node { id displayName email phone } } } } }
  }
}"""
DIRECTORY = """query Directory($search: String!, $first: Int!) {
  contacts(filter: {search: $search}, first: $first) {
    totalCount
    edges { node { id displayName email phone customer { id displayName } } }
  }
}"""
RECORD_ACTIVITY = """mutation RecordActivity($phone: String!) {
  recordActivity(input: {channel: CALL, sender: {phone: $phone}}) {
    __typename
    ... on RecordActivitySuccess {
      outcome activity { channel direction sender { e164Phone } } customer { id displayName }
    }
    ... on UserError { code message }
  }
}"""

DIRECTORY_SEARCHES = ["nov", "svob", "jan", "müller", "dvořák", "hansen", "peter", "ing", "kol", "zeman", "ana", "ole"]


def workloads(n: int, rng: random.Random) -> list[tuple[str, list[dict[str, Any]]]]:
    """(label, request bodies) per workload; wrk cycles through the bodies."""
    phones = [phone_of(rng.randrange(n))[0] for _ in range(200)]
    national = [p.replace("+420 ", "") for p in phones]  # as caller ID often arrives
    return [
        (
            "screen pop: matchCustomers by phone",
            [{"query": SCREEN_POP, "operationName": "ScreenPop", "variables": {"phone": p}} for p in national],
        ),
        (
            "50 customers with their MAIN contacts",
            [{"query": CUSTOMER_LIST, "operationName": "CustomerList", "variables": {"first": 50}}],
        ),
        (
            "contact directory search, 20 per page",
            [
                {"query": DIRECTORY, "operationName": "Directory", "variables": {"search": s, "first": 20}}
                for s in DIRECTORY_SEARCHES
            ],
        ),
        (
            "recordActivity (a known caller)",
            [{"query": RECORD_ACTIVITY, "operationName": "RecordActivity", "variables": {"phone": p}} for p in phones],
        ),
    ]


# --- processes and wrk -------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: installing it with apt-get", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or sys.exit("wrk could not be installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, name: str, command: list[str], env: dict[str, str], port: int) -> None:
        self.name, self.command, self.env, self.port = name, command, env, port
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 600  # loading a large snapshot takes a while
        while True:
            if self.proc.poll() is not None:
                self.log.seek(0)
                sys.exit(f"{self.name} exited early:\n{self.log.read().decode(errors='replace')}")
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"{self.name} did not come up")
            time.sleep(0.25)

    def __exit__(self, *exc: Any) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def post(self, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            self.base + "/graphql",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as r:
            return json.loads(r.read())


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def wrk_script(bodies: list[dict[str, Any]], directory: Path, extra: str = "") -> Path:
    """A wrk Lua script that POSTs `bodies` in turn; `extra` is more Lua appended (wrk's
    other hooks: benchmarks/saturation.py counts 503s with them)."""
    path = directory / f"wrk-{abs(hash(json.dumps(bodies) + extra)) % 10**8}.lua"
    items = ",\n".join(lua_string(json.dumps(b, ensure_ascii=False)) for b in bodies)
    path.write_text(
        f"""local bodies = {{
{items}
}}
local headers = {{["Content-Type"] = "application/json", ["Accept"] = "application/json"}}
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/graphql", headers, bodies[i])
end
{extra}""",
        encoding="utf-8",
    )
    return path


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> dict[str, float]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    out = {"rps": rps}
    for pct, key in (("50", "p50"), ("99", "p99")):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        out[key] = float(m.group(1)) * _UNITS[m.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    out["non2xx"] = int(bad.group(1)) if bad else 0
    if errors:
        print(f"    wrk: socket errors: {errors.group(1)}")
    return out


def drive(wrk: str, server: Server, script: Path, seconds: float, connections: int) -> dict[str, float]:
    command = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "-s", str(script), server.base + "/graphql"]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return parse_wrk(done.stdout)


def canonical(response: Any) -> str:
    return json.dumps(response, sort_keys=False, ensure_ascii=False)


def server_command(name: str, port: int, data_file: Path, loop: str) -> list[str]:
    """Both servers on the same event loop (`--loop`), so that the ratio is the service's own
    work against the baseline's, not asyncio's against uvloop's."""
    if name == "service":
        return [
            str(ROOT / ".venv/bin/customer-context"), "serve", "--port", str(port),
            "--data-file", str(data_file), "--log-level", "warning", "--loop", loop,
        ]  # fmt: skip
    return [
        str(ROOT / ".venv/bin/python"), "-m", "uvicorn", "--app-dir", str(ROOT / "benchmarks"), "baseline_app:app",
        "--port", str(port), "--log-level", "warning", "--workers", "1", "--loop", loop,
    ]  # fmt: skip


def measure(args, wrk: str, workdir: Path, data_file: Path, n: int) -> None:
    """Both servers up at once, each on its own copy of the data file; for each workload,
    `--rounds` rounds of load, service then baseline in each round, so that both see the
    machine as it is at that moment. Reported per server: the median round's rps and
    latencies; the ratio is the median of the rounds' own ratios."""
    rng = random.Random(3)
    loads = workloads(n, rng)
    scripts = [wrk_script(bodies, workdir) for _, bodies in loads]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMER_CONTEXT_")}
    if args.no_fastpath:
        env["CUSTOMER_CONTEXT_FASTPATH"] = "false"
    names = ("service", "baseline")
    with contextlib.ExitStack() as stack:
        servers: dict[str, Server] = {}
        for name in names:
            copy = workdir / name
            copy.mkdir()
            for f in data_file.parent.glob(data_file.name + "*"):
                if not f.name.endswith(".lock"):
                    shutil.copy(f, copy / f.name)
            port = free_port()
            t = time.perf_counter()
            server_env = {**env, "BASELINE_DATA_FILE": str(copy / data_file.name)} if name == "baseline" else env
            servers[name] = stack.enter_context(Server(name, server_command(name, port, copy / data_file.name, args.loop), server_env, port))
            print(f"{name}: up in {time.perf_counter() - t:.0f} s (pid {servers[name].proc.pid})", flush=True)
        rows = []
        for (label, bodies), script in zip(loads, scripts):
            # The answers to compare: the first few bodies, before any load.
            answers = {name: [canonical(servers[name].post(b)) for b in bodies[:12]] for name in names}
            for name in names:
                drive(wrk, servers[name], script, args.warmup, args.connections)
            rounds: dict[str, list[dict[str, float]]] = {name: [] for name in names}
            for _ in range(args.rounds):
                for name in names:
                    rounds[name].append(drive(wrk, servers[name], script, args.duration, args.connections))
            ratios = [s["rps"] / b["rps"] for s, b in zip(rounds["service"], rounds["baseline"])]
            median_round = {name: sorted(rounds[name], key=lambda r: r["rps"])[len(rounds[name]) // 2] for name in names}
            rows.append((label, median_round, statistics.median(ratios), ratios, answers))
            s, b = median_round["service"], median_round["baseline"]
            print(
                f"  {label:40} service {s['rps']:7,.0f} rps, baseline {b['rps']:7,.0f} rps; "
                f"ratio per round {', '.join(f'{r:.0%}' for r in ratios)}",
                flush=True,
            )
            for name in names:
                if bad := sum(r["non2xx"] for r in rounds[name]):
                    print(f"    {name}: {bad} responses were not 2xx")

    print()
    print(
        f"{'workload':40} {'service rps':>11} {'p50 ms':>7} {'p99 ms':>7} {'baseline rps':>12} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'service/baseline':>16}  same answers"
    )
    for label, median_round, ratio, ratios, answers in rows:
        s, b = median_round["service"], median_round["baseline"]
        same = answers["service"] == answers["baseline"]
        print(
            f"{label:40} {s['rps']:11,.0f} {s['p50']:7.2f} {s['p99']:7.2f} {b['rps']:12,.0f} {b['p50']:7.2f} {b['p99']:7.2f} "
            f"{ratio:15.0%}  {'yes' if same else 'NO'}"
        )
        if not same:
            for x, y in zip(answers["service"], answers["baseline"]):
                if x != y:
                    print(f"    service:  {x[:600]}\n    baseline: {y[:600]}")
                    break
    print(f"(median of {args.rounds} rounds of {args.duration:g} s each, service and baseline alternating; ratio: median of the rounds' ratios)")


# --- growth ------------------------------------------------------------------------------


def growth_row(n: int, requests: int, no_fastpath: bool) -> dict[str, Any]:
    """One row of the growth table, measured in this process (a child of `growth`): the data
    set written as a snapshot, streaming (never held whole), then a store opened from it by
    the real app (its lifespan replays the snapshot, as `serve --data-file` does) and the
    screen pop and the directory search asked through it in-process."""
    import resource

    from starlette.testclient import TestClient

    from plugins.memory import MemoryStore
    from service.app import create_app
    from service.hookspecs import hookimpl
    from service.settings import Settings
    from service.storage import StorageBackend

    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="cc-growth-", dir=base) as tmp:
        data_file = Path(tmp) / "data.journal"
        t = time.perf_counter()
        counts = write_records(data_file, iter_dataset(n))
        written = time.perf_counter() - t
        written_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        store = MemoryStore(data_file=str(data_file))  # the app's lifespan opens it: replays the snapshot

        class Preloaded:
            @hookimpl
            def storage_backends(self):
                return [StorageBackend("preloaded", lambda settings: store)]

        fast = {"fastpath": not no_fastpath} if "fastpath" in Settings.__dataclass_fields__ else {}
        app = create_app(Settings(backend="preloaded", **fast), extra_plugins=[Preloaded()])
        rng = random.Random(5)
        pops, searches = workloads(n, rng)[0][1], workloads(n, rng)[2][1]
        # A narrow search beside the broad ones: a customer's phone number as a person types
        # it, which finds that customer's contacts with the number (0 to 4 of them).
        numbers = [
            {"query": DIRECTORY, "operationName": "Directory", "variables": {"search": phone_of(rng.randrange(n))[0][5:], "first": 20}}
            for _ in range(50)
        ]
        timings: dict[str, list[float]] = {"pop": [], "search": [], "number": []}
        matches = []
        t = time.perf_counter()
        with TestClient(app) as http:
            opened = time.perf_counter() - t
            for key, bodies in (("pop", pops), ("search", searches), ("number", numbers)):
                for body in bodies[:3]:
                    http.post("/graphql", json=body)  # warm: sort indexes per language, caches
                for j in range(requests):
                    body = bodies[j % len(bodies)]
                    start = time.perf_counter()
                    r = http.post("/graphql", json=body)
                    timings[key].append((time.perf_counter() - start) * 1000)
                    data = r.json()
                    assert "errors" not in data, data
                    if key == "search" and j < len(bodies):
                        matches.append(data["data"]["contacts"]["totalCount"])
    return {
        "customers": n,
        "contacts": counts.get("contacts", 0),
        "activities": counts.get("activities", 0),
        "write_s": written,
        "open_s": opened,
        "median": {k: statistics.median(v) for k, v in timings.items()},
        "p90": {k: statistics.quantiles(v, n=10)[8] for k, v in timings.items()},
        "matches": [min(matches), max(matches)],
        "writing_peak_rss": written_rss,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,  # KiB -> bytes
    }


def growth(sizes: list[int], requests: int, no_fastpath: bool, limit_gb: float = 20) -> None:
    """Median latency of the screen pop and the directory search through the real app
    (in-process ASGI), at each store size. Each size is measured in a child process of its
    own, under an address-space limit of `limit_gb`: its memory is the store's alone, and
    is all given back before the next size."""
    import resource

    print(f"\ngrowth: median (p90) latency of one request through the app in-process, {requests} requests each")
    print("(each size in a child process: the snapshot written streaming, then opened by the app as `serve --data-file` opens one;")
    print(f" address space limited to {limit_gb:g} GiB)")
    print(
        f"{'customers':>10} {'contacts':>9} {'write s':>7} {'open s':>7} {'screen pop ms':>16} {'directory ms':>16}"
        f"  {'directory matches':>17} {'by number ms':>16}  peak RSS"
    )
    limit = int(limit_gb * 2**30)
    rows = []
    for n in sizes:
        command = [sys.executable, __file__, "--growth-child", str(n), "--growth-requests", str(requests)]
        if no_fastpath:
            command.append("--no-fastpath")
        done = subprocess.run(
            command, stdout=subprocess.PIPE, text=True,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)),
        )  # fmt: skip
        if done.returncode != 0:
            print(f"{n:>10,}  failed (exit status {done.returncode}; see its output above)", flush=True)
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        med, p90 = row["median"], row["p90"]
        print(
            f"{n:>10,} {row['contacts']:>9,} {row['write_s']:>7.0f} {row['open_s']:>7.0f} "
            f"{med['pop']:>7.2f} ({p90['pop']:>6.2f}) {med['search']:>7.2f} ({p90['search']:>6.2f})  "
            f"{row['matches'][0]:>7,} to {row['matches'][1]:>7,} {med['number']:>7.2f} ({p90['number']:>6.2f})  "
            f"{row['peak_rss'] / 2**30:.2f} GiB",
            flush=True,
        )
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        n0, n1 = a["customers"], b["customers"]
        print(
            f"from {n0:,} to {n1:,} customers ({n1 / n0:,.0f}x): screen pop x{b['median']['pop'] / a['median']['pop']:.2f}, "
            f"directory search x{b['median']['search'] / a['median']['search']:.2f}, "
            f"directory search by number x{b['median']['number'] / a['median']['number']:.2f}"
        )


def machine() -> str:
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=6, help="seconds of load per round, workload and server")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per workload, service and baseline alternating")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load before each measurement")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--growth", default="10000,100000,1000000", help="store sizes for the growth table")
    parser.add_argument("--growth-requests", type=int, default=200)
    parser.add_argument("--no-growth", action="store_true")
    parser.add_argument("--no-load", action="store_true", help="only the growth table")
    parser.add_argument("--no-fastpath", action="store_true", help="run the service with --no-fastpath")
    parser.add_argument(
        "--loop", choices=("asyncio", "uvloop"), default="asyncio",
        help="event loop of both servers (the service's default is asyncio: docs/performance.md, Under saturation)",
    )  # fmt: skip
    parser.add_argument("--growth-limit-gb", type=float, default=20, help="address-space limit of each growth step")
    parser.add_argument("--growth-child", type=int, help=argparse.SUPPRESS)  # one growth row, printed as JSON
    args = parser.parse_args()
    if args.growth_child:
        print(json.dumps(growth_row(args.growth_child, args.growth_requests, args.no_fastpath)))
        return
    print(f"machine: {machine()}")
    print(f"command: {' '.join(sys.argv)}\n", flush=True)
    if not args.no_load:
        wrk = ensure_wrk()
        base = Path("/dev/shm") if Path("/dev/shm").is_dir() else None  # fsync'ed journal writes cost no disk
        with tempfile.TemporaryDirectory(prefix="cc-load-", dir=base) as tmp:
            workdir = Path(tmp)
            t = time.perf_counter()
            customers, contacts, activities = make_dataset(args.customers)
            data_file = workdir / "data" / "data.journal"
            data_file.parent.mkdir()
            write_data_file(data_file, customers, contacts, activities)
            print(
                f"data set: {len(customers):,} customers, {len(contacts):,} contacts, {len(activities):,} activities "
                f"written in {time.perf_counter() - t:.0f} s",
                flush=True,
            )
            del customers, contacts, activities
            measure(args, wrk, workdir, data_file, args.customers)
    if not args.no_growth:
        growth([int(x) for x in args.growth.split(",")], args.growth_requests, args.no_fastpath, args.growth_limit_gb)


if __name__ == "__main__":
    main()
