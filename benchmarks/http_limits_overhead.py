"""What the connection limits cost: the service behind uvicorn's own httptools protocol and
behind service/http_limits.py's (two timers armed and cancelled per request, the head's size
summed), side by side under `wrk`, in alternating rounds.

Both servers run the same app (`create_app`, memory store, local development mode) in a
process of their own on loopback. Prints requests per second of each (median of the rounds)
and the ratio limited/plain for a health probe (GET /healthz: the protocol is most of the
work) and a GraphQL query (POST /graphql through the lane).

    .venv/bin/python benchmarks/http_limits_overhead.py [--duration 3] [--rounds 3] [--connections 8]
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
import sys, uvicorn
sys.path.insert(0, {root!r})
from service import http_limits
from service.app import create_app
from service.settings import Settings
settings = Settings()
http = http_limits.protocol_class(settings) if {limited!r} else "httptools"
uvicorn.run(create_app(settings), host="127.0.0.1", port={port}, log_level="warning", http=http, loop="asyncio")
"""

POST = """
wrk.method = "POST"
wrk.body = {body!r}
wrk.headers["Content-Type"] = "application/json"
"""


def start(limited: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    return start_code(SERVER.format(root=str(ROOT), limited=limited, port=port), port)


def wrk(base: str, path: str, script: Path | None, duration: int, connections: int) -> float:
    return wrk_rps(base + path, script, duration, connections)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk (apt-get install wrk)")
    body = json.dumps({"query": "{ customers(first: 1) { totalCount } }"})
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(POST.format(body=body))
    servers = {"plain": start(False), "limited": start(True)}
    try:
        for _, base in servers.values():  # the document becomes known: the lane's from here on
            request = urllib.request.Request(base + "/graphql", body.encode(), {"Content-Type": "application/json"})
            urllib.request.urlopen(request).read()
        workloads = {"GET /healthz": ("/healthz", None), "POST /graphql (lane)": ("/graphql", Path(lua.name))}
        results = {(w, name): [] for w in workloads for name in servers}
        for _ in range(args.rounds):
            for workload, (path, script) in workloads.items():
                for name, (_, base) in servers.items():
                    results[workload, name].append(wrk(base, path, script, args.duration, args.connections))
        print(f"{'workload':24} {'plain req/s':>12} {'limited req/s':>14} {'limited/plain':>14}")
        for workload in workloads:
            plain = statistics.median(results[workload, "plain"])
            limited = statistics.median(results[workload, "limited"])
            ratios = [lim / pl for lim, pl in zip(results[workload, "limited"], results[workload, "plain"])]
            print(f"{workload:24} {plain:12.0f} {limited:14.0f} {statistics.median(ratios):14.3f}")
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=10)
        Path(lua.name).unlink()


if __name__ == "__main__":
    main()
