"""What metrics and the request log cost the screen pop: `matchCustomers` by phone through
the known-operation lane, on three servers side by side under `wrk`, in alternating rounds:

- off: `--no-metrics`, the request log below its level (nothing is written);
- metrics: counted (service/metrics.py: requests, latency, store calls), nothing logged;
- metrics+log: counted, and one JSON line per request written (to /dev/null).

Each runs the same app (`create_app`, memory store with one customer, local development
mode) in a process of its own on loopback; each round starts with another of them. Prints
requests per second of each (median of the rounds) and the ratio to `off` (median of the
per-round ratios).

    .venv/bin/python benchmarks/metrics_overhead.py [--duration 3] [--rounds 3] [--connections 8]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from script_servers import free_port, start as start_code, wrk_rps  # noqa: E402

SERVER = """
import logging, sys, uvicorn
sys.path.insert(0, {root!r})
from service.app import create_app
from service.settings import Settings
if {log!r}:
    handler = logging.FileHandler("/dev/null")
    handler.setFormatter(logging.Formatter("%(message)s"))
    requests = logging.getLogger("customer_context.requests")
    requests.addHandler(handler)
    requests.setLevel(logging.INFO)
    requests.propagate = False
uvicorn.run(create_app(Settings(metrics={metrics!r}, log_format="json")), host="127.0.0.1", port={port},
            log_level="warning", access_log=False, loop="asyncio")
"""

POST = """
wrk.method = "POST"
wrk.body = {body!r}
wrk.headers["Content-Type"] = "application/json"
"""

SEED = (
    'mutation { createCustomer(input: {firstName: "Jana", lastName: "Nováková", phones: [{number: "601 222 333"}]}) '
    "{ __typename } }"
)
SCREEN_POP = (
    "query ScreenPop($phone: String!) { matchCustomers(identity: {phone: $phone}, limit: 1) "
    "{ score customer { id displayName organizationName } } }"
)

CONFIGURATIONS = {"off": (False, False), "metrics": (True, False), "metrics+log": (True, True)}


def start(metrics: bool, log: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    return start_code(SERVER.format(root=str(ROOT), metrics=metrics, log=log, port=port), port)


def post(base: str, body: str) -> dict:
    request = urllib.request.Request(base + "/graphql", body.encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def wrk(base: str, script: Path, duration: int, connections: int) -> float:
    return wrk_rps(base + "/graphql", script, duration, connections, only_2xx=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk (apt-get install wrk)")
    body = json.dumps({"query": SCREEN_POP, "variables": {"phone": "601222333"}})
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(POST.format(body=body))
    servers = {name: start(*flags) for name, flags in CONFIGURATIONS.items()}
    try:
        for _, base in servers.values():
            assert post(base, json.dumps({"query": SEED}))["data"]["createCustomer"]["__typename"] == "CreateCustomerSuccess"
            answer = post(base, body)  # the document becomes known: the lane's from here on
            assert answer["data"]["matchCustomers"][0]["customer"]["displayName"] == "Jana Nováková", answer
        results: dict[str, list[float]] = {name: [] for name in servers}
        names = list(servers)
        for number in range(args.rounds):
            # Each round starts with another configuration, so that none is always measured
            # first or last (a neighbour's load on a shared machine comes and goes).
            for name in names[number % len(names):] + names[: number % len(names)]:
                results[name].append(wrk(servers[name][1], Path(lua.name), args.duration, args.connections))
        print(f"screen pop through the lane, {args.rounds} rounds of {args.duration} s, {args.connections} connections")
        print(f"{'configuration':14} {'req/s':>8} {'ratio to off':>13}")
        for name in servers:
            ratios = [value / off for value, off in zip(results[name], results["off"])]
            print(f"{name:14} {statistics.median(results[name]):8.0f} {statistics.median(ratios):13.3f}")
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=10)
        Path(lua.name).unlink()


if __name__ == "__main__":
    main()
