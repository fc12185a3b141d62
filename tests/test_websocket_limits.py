"""What WebSocket clients may hold of the process (issue 14): sockets that have not
authenticated have a budget of their own and a short deadline, so strangers never take an
authenticated client's slot; acknowledged connections are capped per process and per
actor; messages per socket are rate-limited; anything that is not a message of the
protocol closes the socket with 4400, never with an exception in the log. In-process
through Starlette's test client (client addresses chosen per socket), and the lockout and
malformed frames once more against the real server. No timings are asserted: the deadline
and the rate are set so small or so large that the outcome does not depend on speed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterator

import pytest
import websockets
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from service.app import create_app
from service.authentication import hash_token
from service.settings import ConfigurationError, Settings

from .helpers import RECORD
from .server import start_server

PROTOCOL = "graphql-transport-ws"
ADMIN = "ccs_admin-limits-0123456789"
AGENT = "ccs_agent1-limits-0123456789"
# Named, with a variable the subscribe message leaves out: the cached operation is found by its name.
SCREEN_POP = "subscription ScreenPop($agentId: ID) { activityRecorded(agentId: $agentId) { outcome activity { id } } }"
FULL = "Too many connections; try again later"
FULL_ADDRESS = "Too many connections from this address waiting for connection_init; try again later"
FULL_PENDING = "Too many connections waiting for connection_init; try again later"
FULL_ACTOR = "Too many connections with this credential; close one or try again later"


@pytest.fixture
def tokens(tmp_path) -> str:
    path = tmp_path / "tokens"
    path.write_text(f"admin ADMIN {hash_token(ADMIN)}\nagent-1 AGENT {hash_token(AGENT)}\n")
    return str(path)


@contextlib.contextmanager
def app(**settings) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(**settings)), client=("203.0.113.1", 50000)) as client:
        yield client


def from_address(client: TestClient, host: str) -> TestClient:
    """A client of the same running app whose sockets come from `host`."""
    other = TestClient(client.app, client=(host, 50000))
    other.portal = client.portal  # the running app's event loop and lifespan
    return other


def opened(client: TestClient):
    return client.websocket_connect("/graphql", subprotocols=[PROTOCOL])


@contextlib.contextmanager
def connected(client: TestClient, token: str | None = None):
    with opened(client) as ws:
        payload = {"authorization": f"Bearer {token}"} if token else {}
        ws.send_json({"type": "connection_init", "payload": payload})
        assert ws.receive_json() == {"type": "connection_ack"}
        yield ws


def closed_with(ws) -> tuple[int, str]:
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            ws.receive_json()
    return closed.value.code, closed.value.reason


def refused_at_init(client: TestClient, token: str | None) -> tuple[int, str]:
    with opened(client) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"} if token else {}})
        return closed_with(ws)


def subscribe_and_receive(client: TestClient, ws) -> None:
    """A subscription on `ws` gets the next recorded activity."""
    ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SCREEN_POP}})
    ws.send_json({"type": "ping"})  # answered once the subscription is set up in this process
    assert ws.receive_json() == {"type": "pong"}
    variables = {"input": {"channel": "CALL", "sender": {"name": "Eva Svobodová"}, "agentId": "agent-1"}}
    response = client.post("/graphql", json={"query": RECORD, "variables": variables}, headers={"Authorization": f"Bearer {ADMIN}"})
    recorded = response.json()["data"]["recordActivity"]
    message = ws.receive_json()
    assert message["type"] == "next"
    assert message["payload"]["data"]["activityRecorded"]["activity"]["id"] == recorded["activity"]["id"]


# --- pending sockets ---------------------------------------------------------------------


def test_strangers_holding_pending_sockets_never_lock_out_an_administrator(tokens):
    # Issue 14: 50 sockets that never sent connection_init took all 50 slots. Here the
    # strangers hold every pending socket their address may have, and as many as the
    # process allows authenticated connections, yet the administrator connects, subscribes
    # and is served.
    with app(tokens_file=tokens, max_websocket_connections=2, max_pending_websockets_per_client=2) as client:
        stranger = from_address(client, "198.51.100.7")
        with opened(stranger), opened(stranger):
            with opened(stranger) as third:
                assert closed_with(third) == (1013, FULL_ADDRESS)
            with connected(client, ADMIN) as ws:
                subscribe_and_receive(client, ws)
            with connected(client, AGENT), connected(client, ADMIN):  # both admitted slots
                pass


def test_the_process_wide_pending_budget_is_a_backstop_and_frees_on_close(tokens):
    with app(tokens_file=tokens, max_pending_websockets=2, max_pending_websockets_per_client=2) as client:
        first, second = from_address(client, "198.51.100.1"), from_address(client, "198.51.100.2")
        with opened(first):
            with opened(second):
                with opened(client) as third:
                    assert closed_with(third) == (1013, FULL_PENDING)
            with connected(client, ADMIN) as ws:  # one pending socket closed: room again
                subscribe_and_receive(client, ws)


def test_an_acknowledged_socket_leaves_the_pending_budget(tokens):
    with app(tokens_file=tokens, max_pending_websockets_per_client=1) as client:
        with connected(client, ADMIN), connected(client, AGENT):
            with opened(client):  # the address's one pending socket
                with opened(client) as another:
                    assert closed_with(another) == (1013, FULL_ADDRESS)


def test_a_socket_that_does_not_send_connection_init_in_time_is_closed_with_4408_and_frees_its_slot(tokens):
    with app(tokens_file=tokens, connection_init_timeout_seconds=0.05, max_pending_websockets=1) as client:
        with opened(client) as ws:
            assert closed_with(ws) == (4408, "Connection initialisation timeout")
        with connected(client, ADMIN):
            pass


def test_a_refused_credential_frees_the_pending_slot(tokens):
    with app(tokens_file=tokens, max_pending_websockets=1) as client:
        assert refused_at_init(client, "ccs_wrong-0123456789") == (4403, "Forbidden")
        with connected(client, ADMIN):
            pass


# --- acknowledged connections --------------------------------------------------------------


def test_connections_per_actor_are_capped_and_other_actors_are_not(tokens):
    with app(tokens_file=tokens, max_websocket_connections_per_actor=1) as client:
        with connected(client, ADMIN):
            assert refused_at_init(client, ADMIN) == (1013, FULL_ACTOR)
            with connected(client, AGENT) as ws:
                subscribe_and_receive(client, ws)
        with connected(client, ADMIN):  # the first one closed: room again
            pass


def test_connections_per_process_are_counted_when_acknowledged(tokens):
    with app(tokens_file=tokens, max_websocket_connections=1) as client:
        with connected(client, AGENT):
            assert refused_at_init(client, ADMIN) == (1013, FULL)
        with connected(client, ADMIN):
            pass


# --- messages per second ---------------------------------------------------------------------


def test_a_socket_that_sends_faster_than_its_rate_is_closed_with_4429_and_logged_once(caplog):
    # A burst of 3 and a rate so low that no token comes back during the test.
    with app(websocket_message_burst=3, websocket_messages_per_second=0.001) as client:
        with connected(client) as ws:
            for _ in range(2):
                ws.send_json({"type": "ping"})
                assert ws.receive_json() == {"type": "pong"}
            for _ in range(3):  # the first is one too many; the socket is gone after it
                ws.send_json({"type": "ping"})
            assert closed_with(ws) == (4429, "Too many messages: at most 0.001 a second")
        with connected(client) as other:  # its own bucket
            other.send_json({"type": "ping"})
            assert other.receive_json() == {"type": "pong"}
    warnings = [r for r in caplog.records if "more than 0.001 messages a second" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


def test_the_rate_limit_applies_before_connection_init_too():
    with app(websocket_message_burst=1, websocket_messages_per_second=0.001) as client:
        with opened(client) as ws:
            ws.send_json({"type": "ping"})
            assert ws.receive_json() == {"type": "pong"}
            ws.send_json({"type": "connection_init", "payload": {}})
            assert closed_with(ws) == (4429, "Too many messages: at most 0.001 a second")


@pytest.mark.parametrize(
    "setting, value",
    [
        ("max_pending_websockets", 0),
        ("max_pending_websockets_per_client", 0),
        ("max_websocket_connections_per_actor", 0),
        ("websocket_message_burst", 0),
        ("websocket_messages_per_second", 0.0),
        ("websocket_messages_per_second", float("nan")),
    ],
)
def test_the_settings_refuse_values_that_would_shut_every_client_out(setting, value):
    with pytest.raises(ConfigurationError, match=setting.replace("_", " ")):
        Settings(**{setting: value}).validate()


# --- what subscribing costs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings, query, code",
    [
        ({"max_query_complexity": 0}, "subscription { activityRecorded { outcome outcome } }", "QUERY_TOO_COMPLEX"),
        ({"max_result_size": 2}, SCREEN_POP, "QUERY_TOO_COSTLY"),
        ({"max_query_depth": 1}, SCREEN_POP, "QUERY_TOO_DEEP"),
        ({"max_query_tokens": 5}, SCREEN_POP, "QUERY_TOO_LARGE"),
    ],
)
def test_subscription_documents_are_held_to_the_limits_and_the_cpu_budget_every_time(settings, query, code):
    # Twice: the document cache keeps only documents that passed, so the second is refused too.
    with app(**settings) as client:
        with connected(client) as ws:
            for n in ("1", "2"):
                ws.send_json({"id": n, "type": "subscribe", "payload": {"query": query}})
                message = ws.receive_json()
                assert message["type"] == "error" and message["id"] == n
                (error,) = message["payload"]
                assert error["extensions"]["code"] == code


def test_a_cached_subscription_document_is_not_used_under_stricter_limits():
    with app() as loose:
        with connected(loose) as ws:
            subscribe_and_receive(loose, ws)
    with app(max_query_depth=1) as strict:
        with connected(strict) as ws:
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SCREEN_POP}})
            (error,) = ws.receive_json()["payload"]
            assert error["extensions"]["code"] == "QUERY_TOO_DEEP"


def test_many_tasks_wanting_the_loop_at_once_take_turns_a_few_per_pass():
    from service.turns import PER_PASS, take_turn

    async def scenario() -> list[int]:
        loop = asyncio.get_running_loop()
        passes, done = [0], []

        def count_pass() -> None:  # runs once per pass of the loop
            passes[0] += 1
            if len(done) < 50:
                loop.call_soon(count_pass)

        async def subscriber() -> None:
            await take_turn()
            done.append(passes[0])

        loop.call_soon(count_pass)
        await asyncio.gather(*(subscriber() for _ in range(50)))
        return done

    done = asyncio.run(scenario())
    per_pass = {p: done.count(p) for p in set(done)}
    assert len(done) == 50 and max(per_pass.values()) <= PER_PASS, per_pass
    assert len(per_pass) >= 50 // PER_PASS


# --- messages that are not the protocol's ------------------------------------------------------

NOT_AN_OBJECT = "WebSocket message must be a JSON object"
NOT_JSON = "WebSocket message must be valid JSON"
MALFORMED = [
    ("[]", NOT_AN_OBJECT),
    ("1", NOT_AN_OBJECT),
    ('"x"', NOT_AN_OBJECT),
    ("null", NOT_AN_OBJECT),
    ("{", NOT_JSON),
    ("[" * 5000 + "]" * 5000, NOT_JSON),  # json.loads raised RecursionError
    ('{"type": "ping", "n": ' + "1" * 5000 + "}", NOT_JSON),  # json.loads raised ValueError past 4,300 digits
    ("{}", "WebSocket message must have a string type"),
    ('{"type": ["subscribe"]}', "WebSocket message must have a string type"),
    ('{"type": "nope"}', "Unknown message type: nope"),
    ('{"type": "subscribe", "id": 1, "payload": {"query": "subscription { activityRecorded { outcome } }"}}',
     "A subscribe message must have a non-empty string id"),
    ('{"type": "subscribe", "id": ["1"], "payload": {"query": "{ a }"}}', "A subscribe message must have a non-empty string id"),
    ('{"type": "subscribe", "id": "1", "payload": []}', "A subscribe message's payload must be an object"),
    ('{"type": "subscribe", "id": "1", "payload": "x"}', "A subscribe message's payload must be an object"),
    ('{"type": "subscribe", "id": "1"}', "A subscribe message's payload must be an object"),
    ('{"type": "subscribe", "id": "1", "payload": {"query": 1}}', "A subscribe message's payload must have a string query"),
    ('{"type": "subscribe", "id": "1", "payload": {"query": "{ a }", "variables": []}}',
     "A subscribe message's variables must be an object"),
    ('{"type": "subscribe", "id": "1", "payload": {"query": "{ a }", "operationName": 7}}',
     "A subscribe message's operationName must be a string"),
    ('{"type": "subscribe", "id": "1", "payload": {"query": "{ a }", "extensions": "x"}}',
     "A subscribe message's extensions must be an object"),
    ('{"type": "complete", "id": {}}', "A complete message must have a non-empty string id"),
    ('{"type": "complete"}', "A complete message must have a non-empty string id"),
    ('{"type": "connection_init", "payload": []}', "Invalid connection init payload"),
]


def assert_no_server_error(caplog) -> None:
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not failures, [r.getMessage() for r in failures]


@pytest.mark.parametrize("initialised", [False, True], ids=["before-connection_init", "after-connection_init"])
@pytest.mark.parametrize("text, reason", MALFORMED)
def test_a_message_that_is_not_the_protocols_closes_the_socket_with_4400(caplog, initialised, text, reason):
    with app() as client:
        with opened(client) as ws:
            if initialised:
                ws.send_json({"type": "connection_init", "payload": {}})
                assert ws.receive_json() == {"type": "connection_ack"}
            ws.send_text(text)
            assert closed_with(ws) == (4400, reason)
    assert_no_server_error(caplog)


def test_a_binary_frame_closes_the_socket_with_4400(caplog):
    with app() as client:
        with connected(client) as ws:
            ws.send_bytes(b'{"type": "ping"}')
            assert closed_with(ws) == (4400, "WebSocket message type must be text")
    assert_no_server_error(caplog)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
PROTOCOL_LIKE = st.fixed_dictionaries(
    {"type": st.sampled_from(["connection_init", "ping", "pong", "subscribe", "complete", "next", "error", "x"])},
    optional={
        "id": JSON,
        "payload": JSON | st.fixed_dictionaries({}, optional={"query": JSON, "variables": JSON, "operationName": JSON, "extensions": JSON}),
    },
)
MESSAGES = (
    st.binary(max_size=64).map(lambda b: ("bytes", b))
    | st.text(max_size=64).map(lambda t: ("text", t))
    | JSON.map(lambda v: ("text", json.dumps(v)))
    | PROTOCOL_LIKE.map(lambda v: ("text", json.dumps(v)))
)
#: How graphql-transport-ws closes a socket for what a client sent (4429: a second
#: connection_init; 4401: subscribe before connection_init; 4409: an id already running).
PROTOCOL_CLOSES = {4400, 4401, 4403, 4409, 4429}


def test_arbitrary_messages_get_the_protocols_close_codes_and_never_a_server_error(caplog):
    with app() as client:

        @hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(initialised=st.booleans(), message=MESSAGES)
        def check(initialised: bool, message: tuple[str, object]) -> None:
            caplog.clear()
            kind, data = message
            with opened(client) as ws:
                if initialised:
                    ws.send_json({"type": "connection_init", "payload": {}})
                    assert ws.receive_json() == {"type": "connection_ack"}
                ws.send_bytes(data) if kind == "bytes" else ws.send_text(data)
                ws.send_json({"type": "ping"})
                try:
                    # Open still: answers (an ack, an error, a pong) until our ping's pong.
                    for _ in range(5):
                        if ws.receive_json() == {"type": "pong"}:
                            break
                    else:
                        pytest.fail("no pong for a ping")
                except WebSocketDisconnect as closed:
                    assert closed.code in PROTOCOL_CLOSES, (closed.code, closed.reason, message)
                    assert closed.reason
            assert_no_server_error(caplog)

        check()


# --- the real server ---------------------------------------------------------------------------


def test_the_real_server_keeps_the_administrators_slot_and_refuses_bad_frames_without_a_traceback(tokens, tmp_path):
    log = tmp_path / "server.log"
    server = start_server(
        "--tokens-file", tokens, "--max-websocket-connections", "5", "--max-pending-websockets-per-client", "5",
        "--connection-init-timeout-seconds", "60", log=log,
    )
    url = server.base.replace("http://", "ws://") + "/graphql"

    async def scenario() -> None:
        connect = lambda: websockets.connect(url, subprotocols=[PROTOCOL])  # noqa: E731
        # Strangers on 127.0.0.1 hold every pending socket their address may have, as many
        # as the process allows authenticated connections (issue 14: that locked the
        # administrator out with 1013).
        strangers = [await connect() for _ in range(5)]
        over = await connect()
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await over.recv()
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1013, FULL_ADDRESS)
        # The administrator, from another loopback address, is admitted and served.
        async with websockets.connect(url, subprotocols=[PROTOCOL], local_addr=("127.0.0.2", 0)) as admin:
            await admin.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {ADMIN}"}}))
            assert json.loads(await admin.recv()) == {"type": "connection_ack"}
            await admin.send(json.dumps({"type": "ping"}))
            assert json.loads(await admin.recv()) == {"type": "pong"}
        # Frames that are not the protocol's, from the strangers' sockets.
        frames = [("[]", 4400), (b"\x00\x01", 4400), (b"\xff\xfe invalid UTF-8", 1007)]
        for ws, (frame, code) in zip(strangers, frames):
            await ws.send(frame, text=True) if code == 1007 else await ws.send(frame)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == code
        for ws in strangers:
            await ws.close()

    try:
        asyncio.run(scenario())
    finally:
        server.stop()
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "ERROR" not in text, text
    assert "websocket refused: " + FULL_ADDRESS in text
