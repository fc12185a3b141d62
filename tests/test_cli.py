"""The `customer-context` command's rough edges (issue 16, item 6): a busy port and a
misspelt flag, through README's start command in a real process."""

from __future__ import annotations

import socket
import subprocess
import urllib.request

import pytest

from service import cli

from .server import ROOT, START, free_port, start_server


def run_serve(*args: str) -> subprocess.CompletedProcess:
    """README's start command to its end (it must end by itself: these start nothing)."""
    return subprocess.run([*START, *args], cwd=ROOT, capture_output=True, text=True, timeout=180)


def test_a_busy_port_is_one_line_naming_the_flag_and_nothing_says_ready():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_serve("--port", str(port))
    assert result.returncode == 2, result
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    (line,) = lines
    assert line.startswith("customer-context: cannot start: ") and f"port {port} " in line, line
    assert "already in use" in line and "--port" in line, line
    # Neither the service's announcement nor its store's "ready" came first.
    assert "Customer Context on" not in line and "customer context ready" not in line


def test_a_host_that_is_not_this_machines_is_one_line_naming_the_flags():
    # 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never an address of this machine.
    result = run_serve("--host", "192.0.2.1", "--tokens-file", "/dev/null", "--port", str(free_port()))
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 2, result
    assert output.startswith("customer-context: cannot start: cannot listen on 192.0.2.1 port"), output
    assert "--host" in output and len(output.splitlines()) == 1, output


def test_the_server_listens_on_the_port_it_announces(tmp_path):
    log = tmp_path / "server.log"
    server = start_server(log=log)
    try:
        with urllib.request.urlopen(server.base + "/healthz", timeout=5) as response:
            assert response.status == 200
    finally:
        server.stop()
    text = log.read_text()
    announced = f"Customer Context on {server.base}/graphql"
    assert announced in text, text
    # The announcement comes before the store reports ready (it is bound by then).
    assert text.index(announced) < text.index("customer context ready"), text


def test_an_unknown_serve_flag_shows_serves_usage_and_the_nearest_flag():
    result = run_serve("--prot", "8000")
    assert result.returncode == 2, result
    assert result.stderr.startswith("usage: customer-context serve "), result.stderr
    assert "--default-region" in result.stderr  # serve's flags, not the top command's
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("customer-context serve: error: unrecognized arguments: --prot 8000"), last
    assert "--prot: did you mean --port?" in last and "customer-context serve --help" in last, last


@pytest.mark.parametrize(
    "argv, hint",
    [
        (["serve", "--default-regoin=SK"], "--default-regoin: did you mean --default-region?"),
        (["serve", "--graphiqll"], "--graphiqll: did you mean --graphiql?"),
        (["serve", "--no-grahpiql"], "--no-grahpiql: did you mean --no-graphiql?"),
        (["migrate", "--mongodb-ulr", "x"], "--mongodb-ulr: did you mean --mongodb-url?"),
        (["token", "--id", "a", "--role", "ADMIN", "--rloe"], "--rloe: did you mean --role?"),
    ],
)
def test_each_command_suggests_its_own_nearest_flag(capsys, argv, hint):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: customer-context {argv[0]} "), err
    assert hint in err, err


def test_an_argument_like_no_flag_gets_no_guess(capsys):
    with pytest.raises(SystemExit):
        cli.main(["serve", "--zzzz", "8000"])
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == "customer-context serve: error: unrecognized arguments: --zzzz 8000; customer-context serve --help lists them all"


FAKE_PYTHON = """#!/bin/sh
# A stand-in interpreter: `-m venv DIR` makes DIR/bin/python (itself); `-m pip` talks as pip
# does; anything else says what it was asked to run.
if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && exit 0; fi
if [ "$1 $2" = "-m pip" ]; then echo "Collecting stand-in-dependency (from $*)"; echo "Successfully installed it"; exit 0; fi
echo "ran: $*"
"""


def test_the_first_run_says_what_it_is_doing_while_it_installs(tmp_path):
    python = tmp_path / "python3"
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    env = {"PATH": "/usr/bin:/bin", "PYTHON": str(python), "CUSTOMER_CONTEXT_VENV": str(tmp_path / "venv")}

    def run():
        return subprocess.run(["./run", "schema"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    first = run()
    assert first.returncode == 0, first
    lines = first.stderr.splitlines()
    steps = [i for i, line in enumerate(lines) if line.startswith("run: step ")]
    assert [lines[i].split(":")[1] for i in steps] == [" step 1/3", " step 2/3", " step 3/3"], lines
    assert "creating the virtual environment" in lines[steps[0]]
    assert "installing customer-context and its dependencies" in lines[steps[2]]
    # pip's own lines come between the steps, on stderr: stdout is the command's alone.
    assert any("Collecting" in line and "-e .[test]" in line for line in lines[steps[2]:]), lines
    assert lines[-1] == "run: installed", lines
    assert first.stdout == "ran: -m service.schema.export docs/schema.graphql\n"
    # Installed once: the next run goes straight to the command.
    second = run()
    assert (second.returncode, second.stderr, second.stdout) == (0, "", first.stdout)


def test_connections_on_the_servers_own_socket_get_no_nagle_delay():
    """serve binds its socket itself (for the busy-port line). asyncio turns Nagle's algorithm
    off (TCP_NODELAY) on accepted connections only when the socket says it is TCP; with
    Nagle on, an answer written in two sends (head, then body) waited for the client's
    delayed ACK, 40 ms a request. Checked on the connection the server side accepts."""
    import asyncio

    async def scenario() -> int:
        listener = cli._listen("127.0.0.1", 0)
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=listener)
        async with server:
            _reader, writer = await asyncio.open_connection(*listener.getsockname()[:2])
            nodelay = await asyncio.wait_for(accepted, 10)
            writer.close()
        return nodelay

    assert asyncio.run(scenario()) != 0
