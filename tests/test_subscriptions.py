"""Subscriptions (openListChanged, activityRecorded) against the real server, driven by the
reference graphql-ws client on Node.js (tests/js/subscribe.mjs): subscribe, record over HTTP,
receive; an agent sees only its own; refusals; limits; reconnecting after the server went
away; a subscriber that stops reading. The protocol's edges are checked in-process too
(test_subscriptions_protocol.py), the pub/sub implementations without any server
(test_pubsub.py)."""

from __future__ import annotations

import base64
import itertools
import json
import os
import socket
import struct
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from service.authentication import hash_token

from .helpers import CREATE_FROM_ENTRY, DISCARD, JS, RECORD, npm_dependencies
from .server import free_port, running_server, start_server

TOKENS = {
    "admin": "ccs_admin-live-secret-0123456789",
    "agent-1": "ccs_agent1-live-secret-0123456789",
    "agent-2": "ccs_agent2-live-secret-0123456789",
    "auditor": "ccs_auditor-live-secret-0123456789",
}
ROLES = {"admin": "ADMIN", "agent-1": "AGENT", "agent-2": "AGENT", "auditor": "READ_ONLY"}

SCREEN_POP = """
subscription ScreenPop($agentId: ID) {
  activityRecorded(agentId: $agentId) {
    outcome
    activity { id agentId channel subject text sender { name email phone } }
    customer { id displayName }
    openListEntry { id status displayName prefill { firstName lastName email phone } activity { id text } }
    candidates { score customer { id } }
  }
}
"""
OPEN_LIST_CHANGED = """
subscription OpenListChanged($agentId: ID) {
  openListChanged(agentId: $agentId) {
    change
    entry { id status agentId displayName activity { id } customer { id } }
  }
}
"""
WAIT = 20.0  # seconds to wait for something that should come; never an assertion on speed
_unique = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{time.monotonic_ns()}-{next(_unique)}"


# --- talking to the server -----------------------------------------------------------------


def post(base: str, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(base + "/graphql", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = json.loads(response.read())
    assert "errors" not in payload, payload
    return payload["data"]


def record(base: str, agent: str | None, token: str | None = None, **sender: Any) -> dict:
    text = sender.pop("text", None)
    variables = {"input": {"channel": "CALL", "agentId": agent, "sender": sender, "text": text}}
    result = post(base, RECORD, variables, token)["recordActivity"]
    assert result["__typename"] == "RecordActivitySuccess", result
    return result


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/graphql"


class Driver:
    """tests/js/subscribe.mjs: the graphql-ws client, told what to do line by line; what it
    reports is kept, and `expect` waits for the first report not yet taken that matches."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["node", "subscribe.mjs"],
            cwd=JS,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.reports: list[dict] = []
        self._taken: set[int] = set()
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.expect(lambda r: r.get("event") == "ready")

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._changed:
                self.reports.append(json.loads(line))
                self._changed.notify_all()

    def send(self, **command: Any) -> None:
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def client(self, name: str, base: str, token: str | None = None, *, retry: bool = False, params: dict | None = None) -> None:
        if params is None:
            params = {"authorization": f"Bearer {token}"} if token else {}
        self.send(op="client", client=name, url=ws_url(base), connectionParams=params, retry=retry)

    def subscribe(self, client: str, sub: str, query: str, variables: dict | None = None) -> None:
        self.send(op="subscribe", client=client, id=sub, query=query, variables=variables or {})

    def expect(self, match: Callable[[dict], bool], timeout: float = WAIT, what: str = "") -> dict:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for n, report in enumerate(self.reports):
                    if n not in self._taken and match(report):
                        self._taken.add(n)
                        return report
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    errors = self.proc.stderr.read() if self.proc.poll() is not None else ""
                    pytest.fail(f"no report {what or 'matching'} within {timeout} s; reports: {self.reports}\n{errors}")
                self._changed.wait(left)

    def next_of(self, sub: str, match: Callable[[dict], bool] = lambda data: True, what: str = "") -> dict:
        """The data of the next event of subscription `sub` that `match`es."""
        report = self.expect(
            lambda r: r.get("id") == sub and r.get("event") == "next" and match(r["payload"].get("data") or {}),
            what=what or f"event of {sub}",
        )
        assert "errors" not in report["payload"], report
        return report["payload"]["data"]

    def take_all(self, sub: str) -> None:
        """Take every report of `sub` so far: `expect` and `next_of` look only at later ones."""
        with self._changed:
            self._taken |= {n for n, r in enumerate(self.reports) if r.get("id") == sub}

    def events_of(self, sub: str, event: str = "next") -> list[dict]:
        with self._changed:
            return [r for r in self.reports if r.get("id") == sub and r.get("event") == event]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def driver() -> Iterator[Driver]:
    npm_dependencies()
    d = Driver()
    yield d
    d.close()


def live(driver: Driver, subs: str | list[str], base: str, agent: str | None, token: str | None = None) -> None:
    """Return once every subscription in `subs` delivers. graphql-transport-ws does not tell a
    client when the server has set a subscription up, so record activities (for `agent`, whose
    events `subs` must show) until each subscription has shown one of them. Events arrive in
    order, so every event they had by then was one of these: all are taken."""
    subs = [subs] if isinstance(subs, str) else subs
    waiting = set(subs)
    recorded: set[str] = set()
    for attempt in range(100):
        result = record(base, agent, token, name=unique("warm-up"))
        recorded |= {result["activity"]["id"], (result["openListEntry"] or {}).get("id")}

        def ours(r: dict) -> bool:
            if r.get("id") not in waiting or r.get("event") != "next":
                return False
            data = r["payload"].get("data") or {}
            pop = data.get("activityRecorded") or {}
            change = data.get("openListChanged") or {}
            return pop.get("activity", {}).get("id") in recorded or change.get("entry", {}).get("id") in recorded

        deadline = time.monotonic() + 0.5
        while waiting and time.monotonic() < deadline:
            try:
                report = driver.expect(ours, timeout=max(0.01, deadline - time.monotonic()))
            except pytest.fail.Exception:
                break
            waiting.discard(report["id"])
        if not waiting:
            for sub in subs:
                driver.take_all(sub)
            return
    pytest.fail(f"subscriptions {sorted(waiting)} delivered nothing; reports: {driver.reports}")


# --- the walk-through, in local development mode (the shared server) -------------------------


def test_the_screen_pop_and_the_open_list_arrive_as_they_happen(server, driver):
    agent = unique("agent")
    driver.client("desk", server)
    driver.subscribe("desk", "pop", SCREEN_POP, {"agentId": agent})
    driver.subscribe("desk", "list", OPEN_LIST_CHANGED, {"agentId": agent})
    live(driver, ["pop", "list"], server, agent)

    # An unknown caller: the screen pop shows the new open-list entry, the list gains it.
    recorded = record(server, agent, name="Svobodová, Eva", email="eva.svobodova@example.com", text="Nabídka")
    pop = driver.next_of("pop", what="screen pop")["activityRecorded"]
    assert pop["outcome"] == "ADDED_TO_OPEN_LIST"
    assert pop["activity"]["id"] == recorded["activity"]["id"] and pop["activity"]["text"] == "Nabídka"
    assert pop["customer"] is None and pop["candidates"] == []
    entry = pop["openListEntry"]
    assert entry["id"] == recorded["openListEntry"]["id"] and entry["status"] == "OPEN"
    assert entry["displayName"] == "Eva Svobodová"
    assert entry["prefill"] == {"firstName": "Eva", "lastName": "Svobodová", "email": "eva.svobodova@example.com", "phone": None}
    assert entry["activity"]["id"] == recorded["activity"]["id"]
    change = driver.next_of("list", what="ADDED")["openListChanged"]
    assert change["change"] == "ADDED" and change["entry"]["id"] == entry["id"] and change["entry"]["agentId"] == agent

    # The agent creates the customer: the entry leaves the list as CREATED, with its customer.
    created = post(server, CREATE_FROM_ENTRY, {"entryId": entry["id"]})["createCustomerFromOpenList"]
    change = driver.next_of("list", what="CREATED")["openListChanged"]
    assert change["change"] == "CREATED" and change["entry"]["status"] == "CREATED"
    assert change["entry"]["customer"]["id"] == created["customer"]["id"]

    # She calls again and is recognised: the screen pop shows her.
    again = record(server, agent, email="EVA.SVOBODOVA@example.com")
    pop = driver.next_of("pop", lambda d: d["activityRecorded"]["activity"]["id"] == again["activity"]["id"])["activityRecorded"]
    assert pop["outcome"] == "ASSOCIATED" and pop["openListEntry"] is None
    assert pop["customer"] == {"id": created["customer"]["id"], "displayName": "Eva Svobodová"}
    assert pop["candidates"][0]["customer"]["id"] == created["customer"]["id"]

    # Close and discard another entry: DISCARDED.
    other = record(server, agent, phone="777 888 999")
    driver.next_of("list", lambda d: d["openListChanged"]["change"] == "ADDED")
    post(server, DISCARD, {"entryId": other["openListEntry"]["id"]})
    change = driver.next_of("list", lambda d: d["openListChanged"]["change"] == "DISCARDED")["openListChanged"]
    assert change["entry"]["id"] == other["openListEntry"]["id"] and change["entry"]["status"] == "DISCARDED"

    # Associating an entry's activity with an existing customer: ASSOCIATED.
    third = record(server, agent, name="Někdo Jiný")
    driver.next_of("list", lambda d: d["openListChanged"]["change"] == "ADDED")
    associate = "mutation($a: ID!, $c: ID!) { associateActivity(activityId: $a, customerId: $c) { __typename } }"
    post(server, associate, {"a": third["activity"]["id"], "c": created["customer"]["id"]})
    change = driver.next_of("list", lambda d: d["openListChanged"]["change"] == "ASSOCIATED")["openListChanged"]
    assert change["entry"]["id"] == third["openListEntry"]["id"] and change["entry"]["customer"]["id"] == created["customer"]["id"]


# --- with staff tokens ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def staff_server(tmp_path_factory) -> Iterator[str]:
    tokens = tmp_path_factory.mktemp("live") / "tokens"
    tokens.write_text("".join(f"{who} {ROLES[who]} {hash_token(t)}\n" for who, t in TOKENS.items()))
    with running_server("--tokens-file", str(tokens), "--max-subscriptions-per-connection", "3") as base:
        yield base


def test_an_agent_gets_its_own_events_and_an_administrator_everyones(staff_server, driver):
    driver.client("agent", staff_server, TOKENS["agent-1"])
    driver.client("admin", staff_server, TOKENS["admin"])
    driver.subscribe("agent", "mine", SCREEN_POP)  # no agentId: its own
    driver.subscribe("admin", "all", SCREEN_POP)  # no agentId: everyone's
    driver.subscribe("admin", "two", OPEN_LIST_CHANGED, {"agentId": "agent-2"})
    live(driver, ["mine", "all"], staff_server, "agent-1", TOKENS["admin"])
    live(driver, "two", staff_server, "agent-2", TOKENS["admin"])
    driver.take_all("all")  # agent-2's warm-up events

    theirs = record(staff_server, "agent-2", TOKENS["admin"], name=unique("theirs"))
    mine = record(staff_server, "agent-1", TOKENS["admin"], name=unique("mine"))
    got = driver.next_of("mine", lambda d: d["activityRecorded"]["activity"]["id"] == mine["activity"]["id"])
    assert got["activityRecorded"]["openListEntry"]["id"] == mine["openListEntry"]["id"]
    # Events arrive in the order they happened: had agent-2's been let through, it would be here.
    shown = [e["payload"]["data"]["activityRecorded"]["activity"]["agentId"] for e in driver.events_of("mine")]
    assert set(shown) == {"agent-1"}, shown

    seen = {driver.next_of("all", lambda d: d["activityRecorded"]["activity"]["id"] in {theirs["activity"]["id"], mine["activity"]["id"]})["activityRecorded"]["activity"]["agentId"] for _ in range(2)}
    assert seen == {"agent-1", "agent-2"}
    change = driver.next_of("two", lambda d: d["openListChanged"]["entry"]["id"] == theirs["openListEntry"]["id"])
    assert change["openListChanged"]["change"] == "ADDED"

    # An agent's own recording (it names no agent: the activity is its own) pops up too.
    own = record(staff_server, None, TOKENS["agent-1"], name=unique("own"))
    pop = driver.next_of("mine", lambda d: d["activityRecorded"]["activity"]["id"] == own["activity"]["id"])
    assert pop["activityRecorded"]["activity"]["agentId"] == "agent-1"


def test_read_only_staff_may_watch(staff_server, driver):
    driver.client("auditor", staff_server, TOKENS["auditor"])
    driver.subscribe("auditor", "watch", OPEN_LIST_CHANGED, {"agentId": "agent-2"})
    live(driver, "watch", staff_server, "agent-2", TOKENS["admin"])


@pytest.mark.parametrize(
    "params",
    [
        {"authorization": "Bearer ccs_not-a-token-anyone-has"},
        {"Authorization": "Bearer ccs_not-a-token-anyone-has"},
        {"authorization": "Basic YWRtaW46YWRtaW4="},
        {},  # no credential at all, with a tokens file configured
    ],
    ids=["bad-token", "bad-token-capitalised", "not-bearer", "none"],
)
def test_a_bad_or_missing_credential_closes_the_socket_with_4403(staff_server, driver, params):
    driver.client("intruder", staff_server, params=params)
    driver.subscribe("intruder", "s", SCREEN_POP)
    closed = driver.expect(lambda r: r.get("client") == "intruder" and r.get("event") == "closed", what="close")
    assert (closed["code"], closed["reason"]) == (4403, "Forbidden")
    error = driver.expect(lambda r: r.get("id") == "s" and r.get("event") == "error", what="subscription error")
    assert error["close"]["code"] == 4403


def test_the_capitalised_authorization_key_works_too(staff_server, driver):
    driver.client("desk", staff_server, params={"Authorization": f"Bearer {TOKENS['agent-2']}"})
    driver.subscribe("desk", "s", OPEN_LIST_CHANGED)
    live(driver, "s", staff_server, "agent-2", TOKENS["admin"])


def _customer_account_token(base: str) -> str:
    admin = TOKENS["admin"]
    customer = post(base, 'mutation { createCustomer(input: {organizationName: "ACME s.r.o."}) { ... on CreateCustomerSuccess { customer { id } } } }', token=admin)
    customer_id = customer["createCustomer"]["customer"]["id"]
    add = 'mutation($c: ID!) { addContact(customerId: $c, input: {lastName: "Nováková", email: "jana@acme.cz", role: MAIN}) { ... on AddContactSuccess { contact { id } } } }'
    contact_id = post(base, add, {"c": customer_id}, admin)["addContact"]["contact"]["id"]
    account = "mutation($c: ID!) { createCustomerAccount(contactId: $c, permissions: [VIEW_CUSTOMER, VIEW_CONTACTS, VIEW_ACTIVITIES]) { ... on CustomerAccountCredentialSuccess { credential } } }"
    return post(base, account, {"c": contact_id}, admin)["createCustomerAccount"]["credential"]


def test_refusals_come_as_errors_with_a_code(staff_server, driver):
    driver.client("customer", staff_server, _customer_account_token(staff_server))
    driver.subscribe("customer", "pop", SCREEN_POP)
    driver.subscribe("customer", "list", OPEN_LIST_CHANGED)
    driver.client("agent", staff_server, TOKENS["agent-1"])
    driver.subscribe("agent", "other", OPEN_LIST_CHANGED, {"agentId": "agent-2"})
    driver.subscribe("agent", "other-pop", SCREEN_POP, {"agentId": "agent-2"})

    def error_of(sub: str) -> dict:
        (error,) = driver.expect(lambda r: r.get("id") == sub and r.get("event") == "error", what=f"error of {sub}")["errors"]
        return error

    for sub in ("pop", "list"):  # a customer account: FORBIDDEN, whatever it asks
        error = error_of(sub)
        assert error["extensions"]["code"] == "FORBIDDEN" and error["extensions"]["field"] is None, error
    for sub in ("other", "other-pop"):  # an agent naming another agent, as openList answers it
        error = error_of(sub)
        assert (error["extensions"]["code"], error["extensions"]["field"]) == ("FORBIDDEN", "agentId"), error
        assert error["message"] == "You are not allowed to do this."
        assert error["extensions"]["requestId"]
    # (Refused subscriptions count towards --max-subscriptions-per-connection until refused.)
    driver.subscribe("agent", "bad", "subscription { openListChanged { nosuchfield } }")
    driver.subscribe("agent", "query", "query { viewer { id } }")
    assert error_of("bad")["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error_of("query")["extensions"]["code"] == "SUBSCRIPTIONS_ONLY"
    # Refusals end the subscription, not the connection: the agent's own still works.
    driver.subscribe("agent", "mine", OPEN_LIST_CHANGED)
    live(driver, "mine", staff_server, "agent-1", TOKENS["admin"])


def test_subscriptions_per_connection_are_bounded(staff_server, driver):
    driver.client("desk", staff_server, TOKENS["admin"])
    for n in range(3):
        driver.subscribe("desk", f"s{n}", OPEN_LIST_CHANGED, {"agentId": f"agent-{n}"})
    live(driver, "s2", staff_server, "agent-2", TOKENS["admin"])  # s0 and s1 were subscribed before it
    driver.subscribe("desk", "s3", OPEN_LIST_CHANGED)
    (error,) = driver.expect(lambda r: r.get("id") == "s3" and r.get("event") == "error", what="limit error")["errors"]
    assert error["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS" and error["extensions"]["limit"] == 3, error
    assert "3" in error["message"]
    # Completing one makes room.
    driver.send(op="unsubscribe", id="s0")
    driver.subscribe("desk", "s4", OPEN_LIST_CHANGED, {"agentId": "agent-1"})
    live(driver, "s4", staff_server, "agent-1", TOKENS["admin"])


def test_a_websocket_message_is_held_to_the_body_limit(server):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with connect(ws_url(server), subprotocols=["graphql-transport-ws"], max_size=None) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(ws.recv(timeout=WAIT)) == {"type": "connection_ack"}
        padding = " " * 1_000_001  # one byte more than --max-body-bytes' default allows
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "subscription {" + padding + "}"}}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=WAIT)
        assert closed.value.rcvd.code == 1009


# --- reconnecting ---------------------------------------------------------------------------


def test_a_client_reconnects_and_resubscribes_after_the_server_went_away(driver, tmp_path):
    port = free_port()
    first = start_server(port=port, log=tmp_path / "first.log")
    try:
        base = first.base
        agent = unique("agent")
        driver.client("desk", base, retry=True)
        driver.subscribe("desk", "pop", SCREEN_POP, {"agentId": agent})
        live(driver, "pop", base, agent)
        driver.expect(lambda r: r.get("client") == "desk" and r.get("event") == "connected")
    finally:
        first.stop()  # SIGTERM: the server closes its sockets (1012 Service Restart) and ends
    closed = driver.expect(lambda r: r.get("client") == "desk" and r.get("event") == "closed", what="close")
    assert closed["code"] in (1001, 1006, 1012), closed

    second = start_server(port=port, log=tmp_path / "second.log")
    try:
        # The client's own retries bring it back, and it subscribes again by itself.
        driver.expect(lambda r: r.get("client") == "desk" and r.get("event") == "connected", what="reconnection")
        live(driver, "pop", second.base, agent)
        recorded = record(second.base, agent, name="Po restartu")
        pop = driver.next_of("pop", lambda d: d["activityRecorded"]["activity"]["id"] == recorded["activity"]["id"])
        assert pop["activityRecorded"]["outcome"] == "ADDED_TO_OPEN_LIST"
        assert not driver.events_of("pop", "complete") and not driver.events_of("pop", "error")
    finally:
        second.stop()


# --- a subscriber that stops reading ----------------------------------------------------------


class StalledSocket:
    """A graphql-transport-ws client on a bare socket that reads nothing until told to: its
    receive buffer is tiny, so what the server sends it soon cannot go anywhere. (A WebSocket
    library would keep reading into memory in the background.)"""

    def __init__(self, base: str) -> None:
        port = int(base.rsplit(":", 1)[1])
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: the window
        self.sock.settimeout(WAIT)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n".encode()
        )
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += self._exactly(1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def _exactly(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            assert chunk, "the server closed the connection"
            data += chunk
        return data

    def send(self, message: dict) -> None:
        data, mask = json.dumps(message).encode(), os.urandom(4)
        n = len(data)
        length = bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n)
        self.sock.sendall(b"\x81" + length + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def receive(self) -> dict:
        """The next text message (frames from the server are never masked)."""
        while True:
            first, second = self._exactly(2)
            n = second & 0x7F
            if n == 126:
                (n,) = struct.unpack("!H", self._exactly(2))
            elif n == 127:
                (n,) = struct.unpack("!Q", self._exactly(8))
            payload = self._exactly(n)
            if first & 0x0F == 0x1:
                return json.loads(payload)
            assert first & 0x0F != 0x8, f"closed by the server: {payload!r}"

    def close(self) -> None:
        self.sock.close()


def test_a_subscriber_that_stops_reading_holds_up_no_mutation_and_no_other_subscriber(driver, tmp_path):
    with running_server("--subscription-queue-size", "5", log=tmp_path / "server.log") as base:
        agent = unique("agent")
        driver.client("desk", base)
        driver.subscribe("desk", "pop", SCREEN_POP, {"agentId": agent})
        live(driver, "pop", base, agent)

        # It subscribes 20 times (the most one connection may), so every event goes to it 20
        # times: 100 events of some 5 kB make 10 MB, more than the sockets' buffers hold (the
        # kernel's send buffer grows to 4 MB at most here), so its subscriptions fall behind.
        slow = StalledSocket(base)
        try:
            slow.send({"type": "connection_init", "payload": {}})
            assert slow.receive() == {"type": "connection_ack"}
            for n in range(20):
                slow.send({"id": f"slow{n}", "type": "subscribe", "payload": {"query": SCREEN_POP, "variables": {"agentId": agent}}})

            text = "Přepis hovoru. " * 130  # close to the 2,000 characters a text field holds
            recorded = [record(base, agent, name=f"Volající {n}", text=text) for n in range(100)]
            assert all(r["outcome"] == "ADDED_TO_OPEN_LIST" for r in recorded)  # every mutation went through

            # The subscriber that reads got every event, in order.
            wanted = [r["activity"]["id"] for r in recorded]
            got = []
            while len(got) < len(wanted):
                activity_id = driver.next_of("pop")["activityRecorded"]["activity"]["id"]
                if activity_id in wanted:
                    got.append(activity_id)
            assert got == wanted

            # The slow one, reading at last: each subscription got its events in order with
            # nothing left out, up to the last one or up to an error saying it fell behind.
            received: dict[str, list[str]] = {f"slow{n}": [] for n in range(20)}
            endings: dict[str, Any] = {}
            while len(endings) < 20:
                message = slow.receive()
                sub = message.get("id")
                if sub in endings:
                    continue
                if message["type"] == "next" and "errors" in message["payload"]:
                    (endings[sub],) = message["payload"]["errors"]
                elif message["type"] == "next":
                    activity_id = message["payload"]["data"]["activityRecorded"]["activity"]["id"]
                    if activity_id in wanted:
                        received[sub].append(activity_id)
                    if activity_id == wanted[-1]:
                        endings[sub] = "all"
                else:
                    endings[sub] = message
        finally:
            slow.close()
        for sub, ids in received.items():
            # (Set up while the first were recorded, it may have missed those: not for it.)
            start = wanted.index(ids[0]) if ids else 0
            assert ids == wanted[start : start + len(ids)], sub
        too_slow = [e for e in endings.values() if e != "all"]
        assert too_slow, "no subscription fell behind: the test did not test what it says"
        for error in too_slow:
            assert error["extensions"]["code"] == "SUBSCRIBER_TOO_SLOW" and error["extensions"]["limit"] == 5, error
            assert error["message"].startswith("This subscription fell more than 5 events behind and was ended.")
        assert "fell more than 5 events behind" in (tmp_path / "server.log").read_text()
