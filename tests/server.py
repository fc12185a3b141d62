"""Starting the real service the way README does, for end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
START = ["./run", "serve"]  # README's start command


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerProcess:
    """A started service: its base URL, its process (group) and the file its output goes to."""

    base: str
    proc: subprocess.Popen
    output: Path

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        """Send `sig` to the whole process group (./run and the server under it) and wait;
        SIGKILL when it does not stop in time."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def start_server(
    *args: str, env: dict[str, str] | None = None, log: Path | None = None, ready: str = "/healthz", port: int | None = None
) -> ServerProcess:
    """The service started with README's command on a free port, once `ready` answers 200.
    Its output goes to `log` (appended; a temporary file when None), never into a pipe that
    nobody reads and that would stall a chatty server. The environment is the test's own
    without CUSTOMER_CONTEXT_* settings, plus `env`. `port`: the one a server stopped before
    had, to start it again where its clients reconnect."""
    port = port or free_port()
    if log is None:
        handle, name = tempfile.mkstemp(prefix="customer-context-server-", suffix=".log")
        os.close(handle)
        log = Path(name)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMER_CONTEXT_")}
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [*START, "--port", str(port), *args],
            cwd=ROOT,
            env={**base_env, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = ServerProcess(f"http://127.0.0.1:{port}", proc, log)
    deadline = time.monotonic() + 120  # the first run may still be installing
    while True:
        if proc.poll() is not None:
            pytest.fail(f"server exited early:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.base + ready, timeout=1) as r:
                if r.status == 200:
                    return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop(signal.SIGKILL)
            pytest.fail(f"server did not come up:\n{server.log()}")
        time.sleep(0.05)


@contextlib.contextmanager
def running_server(*args: str, env: dict[str, str] | None = None, log: Path | None = None) -> Iterator[str]:
    """The service started with README's command on a free port; its base URL. Stopped
    with SIGTERM (SIGKILL if it does not stop) when the block ends."""
    server = start_server(*args, env=env, log=log)
    try:
        yield server.base
    finally:
        server.stop()
