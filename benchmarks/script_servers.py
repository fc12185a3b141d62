"""What the small A/B benchmarks (http_limits_overhead.py, metrics_overhead.py) share: a server
started from a few lines of Python on a free loopback port, and wrk's requests per second
against it."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(code: str, port: int) -> tuple[subprocess.Popen, str]:
    """`code` run by this interpreter (it serves on `port`); returns once /healthz answers."""
    proc = subprocess.Popen([sys.executable, "-c", code])
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1):
                return proc, base
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("a server did not come up")


def wrk_rps(url: str, script: Path | None, duration: int, connections: int, *, only_2xx: bool = False) -> float:
    """wrk's requests per second at `url` (one thread), with `script` (Lua) if given;
    `only_2xx`: stop when wrk met any other status."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s"] + (["-s", str(script)] if script else []) + [url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if only_2xx and "Non-2xx" in output:
        raise SystemExit(f"wrk met errors:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
