"""The partner path, proven: the example backend in examples/sqlite-backend is a package of
its own, installed with pip like a partner's would be (into a directory of the test run's
own, on the PYTHONPATH of the processes it starts), found through its entry point,
selected by name, passing the conformance suite, and keeping a customer across a restart
of the real server. Not a line of the service knows about it.

Everything after the install runs in new interpreters (subprocesses): only they see the
entry point the install adds.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from service.storage import Storage

from .helpers import CREATE_FROM_ENTRY, RECORD
from .server import start_server

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "sqlite-backend"
DISTRIBUTION = "customer-context-sqlite"


def _installed_from_this_checkout() -> bool:
    """The example is installed, editable, from this very directory."""
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return False
    origin = json.loads(dist.read_text("direct_url.json") or "{}")
    return origin.get("url") == EXAMPLE.as_uri() and origin.get("dir_info", {}).get("editable", False)


def _setuptools_builds_here() -> bool:
    """Whether this environment's setuptools can build an editable wheel by itself (so pip
    needs no isolated build environment, and no download): from 70.1 on it can; before, it
    needs the `wheel` package beside it. (Python 3.11's venvs come with setuptools 65.)"""
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return False
    major_minor = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    return major_minor >= (70, 1) or importlib.util.find_spec("wheel") is not None


def _pip(*args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "pip", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"pip {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


#: Where the example is installed for this run (a directory put on the children's
#: PYTHONPATH); empty when a developer has it installed in the environment already.
_SITE: list[str] = []


@pytest.fixture(scope="module")
def example_installed(tmp_path_factory) -> Iterator[None]:
    """`pip install --no-deps --target <dir> examples/sqlite-backend`: a directory of this
    run's own, on the PYTHONPATH of the processes the tests start, so the shared
    environment is never changed (a second test run, or a benchmark, at the same time sees
    only the built-in plugins). Left alone when a developer installed it (editable, from
    this checkout)."""
    if _installed_from_this_checkout():
        yield
        return
    site = tmp_path_factory.mktemp("partner-site")
    isolation = ["--no-build-isolation"] if _setuptools_builds_here() else []
    left_behind = [EXAMPLE / "customer_context_sqlite.egg-info", EXAMPLE / "build"]  # what a build leaves in the tree
    existing = {path for path in left_behind if path.exists()}
    _pip("install", "--no-deps", *isolation, "-q", "--target", str(site), str(EXAMPLE))
    _SITE.append(str(site))
    try:
        yield
    finally:
        _SITE.clear()
        for path in left_behind:
            if path not in existing:
                shutil.rmtree(path, ignore_errors=True)


def _env(**extra: str) -> dict[str, str]:
    """The environment of a child process: ours without the service's settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMER_CONTEXT_")}
    if _SITE:
        env["PYTHONPATH"] = os.pathsep.join([*_SITE, *filter(None, [os.environ.get("PYTHONPATH")])])
    env.update(extra)
    return env


def _run(command: list[str], **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, env=_env(**extra_env), capture_output=True, text=True, timeout=300)


# --- (a) the example's own test file: the conformance suite ----------------------------------


def test_the_example_passes_the_conformance_suite(example_installed):
    result = _run([sys.executable, "-m", "pytest", str(EXAMPLE / "tests"), "-q", "-p", "no:cacheprovider"])
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    summary = output.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary) and "skipped" not in summary, summary  # persistence too


# --- (b) the service finds it ------------------------------------------------------------------


def test_the_service_lists_the_installed_backend(example_installed):
    script = Path(sys.executable).with_name("customer-context")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "service"]
    result = _run([*command, "plugins"])
    assert result.returncode == 0, result.stderr
    assert "  sqlite: customer_context_sqlite" in result.stdout  # the plugin, by its entry point
    backends = result.stdout.split("storage backends (--backend):")[1].split("matching strategies")[0]
    assert re.search(r"^  sqlite: .*CUSTOMER_CONTEXT_SQLITE_PATH", backends, re.M), result.stdout


# --- (c) the real server, selected by name, restarted over the same file ----------------------


@contextmanager
def _server(database: Path, log: Path) -> Iterator[str]:
    """README's start command with `--backend sqlite`, the file from the plugin's own env var;
    stopped gracefully (SIGTERM), so the store is closed."""
    env = {"CUSTOMER_CONTEXT_SQLITE_PATH": str(database), **({"PYTHONPATH": _env()["PYTHONPATH"]} if _SITE else {})}
    server = start_server("--backend", "sqlite", env=env, log=log, ready="/readyz")
    try:
        with urllib.request.urlopen(server.base + "/readyz", timeout=5) as r:
            assert json.loads(r.read()) == {"status": "ready", "store": "sqlite"}
        yield server.base
    finally:
        server.stop()


def _post(base: str, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(base + "/graphql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        payload = json.loads(r.read())
    assert "errors" not in payload, payload
    return payload["data"]


AFTER_RESTART = """
query ($id: ID!, $agentId: ID) {
  customer(id: $id) { id displayName emails { normalized } }
  customers(search: "jorgen") { totalCount edges { node { id } } }
  activities(customerId: $id) { totalCount }
  openList(agentId: $agentId) { totalCount }
}
"""


def test_the_real_server_keeps_a_customer_across_a_restart(example_installed, tmp_path):
    database, log = tmp_path / "customers.sqlite3", tmp_path / "server.log"
    agent = "partner-agent"
    sender = {"name": "Ingrid Jørgensen", "email": "Ingrid@Example.no"}

    with _server(database, log) as base:
        recorded = _post(base, RECORD, {"input": {"channel": "EMAIL", "agentId": agent, "sender": sender}})["recordActivity"]
        assert recorded["outcome"] == "ADDED_TO_OPEN_LIST", recorded
        created = _post(base, CREATE_FROM_ENTRY, {"entryId": recorded["openListEntry"]["id"]})["createCustomerFromOpenList"]
        assert created["__typename"] == "CreateCustomerFromOpenListSuccess", created
        customer_id = created["customer"]["id"]
    assert database.exists()

    with _server(database, log) as base:  # a new process over the same file
        found = _post(base, AFTER_RESTART, {"id": customer_id, "agentId": agent})
        assert found["customer"] == {"id": customer_id, "displayName": "Ingrid Jørgensen", "emails": [{"normalized": "ingrid@example.no"}]}
        assert [e["node"]["id"] for e in found["customers"]["edges"]] == [customer_id]
        assert found["activities"]["totalCount"] == 1
        assert found["openList"]["totalCount"] == 0
        # The identifier index survived too: the same sender is now recognised.
        again = _post(base, RECORD, {"input": {"channel": "EMAIL", "agentId": agent, "sender": {"email": "ingrid@example.no"}}})
        assert again["recordActivity"]["outcome"] == "ASSOCIATED"
        assert again["recordActivity"]["customer"]["id"] == customer_id


# --- the walkthrough for partners stays true to the example and the protocol -----------------

WALKTHROUGH = ROOT / "docs" / "writing-a-storage-plugin.md"


def _storage_methods() -> list[str]:
    return sorted(
        name for name, member in vars(Storage).items()
        if inspect.iscoroutinefunction(member) and not name.startswith("_")
    )


def test_there_are_storage_methods_to_check():
    assert len(_storage_methods()) > 10


@pytest.mark.parametrize("method", _storage_methods())
def test_the_walkthrough_documents_every_storage_method(method):
    assert f"`{method}(" in WALKTHROUGH.read_text(encoding="utf-8"), (
        f"docs/writing-a-storage-plugin.md does not document Storage.{method} (as `{method}(...)`)"
    )


def test_the_walkthrough_shows_the_partners_test_file_as_it_is():
    source = (EXAMPLE / "tests" / "test_conformance.py").read_text(encoding="utf-8")
    assert f"```python\n{source}```" in WALKTHROUGH.read_text(encoding="utf-8")


def test_the_walkthrough_shows_the_entry_point_the_example_declares():
    declared = (EXAMPLE / "pyproject.toml").read_text(encoding="utf-8")
    snippet = '[project.entry-points.customer_context]\nsqlite = "customer_context_sqlite"\n'
    assert snippet in declared and snippet in WALKTHROUGH.read_text(encoding="utf-8")
