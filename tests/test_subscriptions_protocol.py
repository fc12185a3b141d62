"""The WebSocket side of subscriptions through the ASGI app (Starlette's test client): the
protocol's edges, limits, languages, and a subscriber ended for falling behind, made to
happen for certain by delivering a burst of events without a pause. The real server and the
reference client are in test_subscriptions.py."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from mongomock_motor import AsyncMongoMockClient
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from plugins.mongo import MongoStore
from service.app import create_app
from service.authentication import hash_token
from service.domain.association import Outcome
from service.events import ActivityRecorded
from service.hookspecs import hookimpl
from service.settings import Settings
from service.schema.ids import raw_id_of
from service.storage import StorageBackend

from .helpers import RECORD

PROTOCOL = "graphql-transport-ws"
OPEN_LIST = "subscription { openListChanged(agentId: \"agent-1\") { change entry { id displayName } } }"
SCREEN_POP = "subscription { activityRecorded { outcome activity { id } openListEntry { id } } }"


@contextlib.contextmanager
def app(**settings) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(**settings))) as client:
        yield client


@contextlib.contextmanager
def connect(client: TestClient, payload: dict | None = None, headers: dict | None = None):
    with client.websocket_connect("/graphql", subprotocols=[PROTOCOL], headers=headers or {}) as ws:
        ws.send_json({"type": "connection_init", "payload": payload or {}})
        assert ws.receive_json() == {"type": "connection_ack"}
        yield ws


def closed_with(ws) -> tuple[int, str]:
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    return closed.value.code, closed.value.reason


def record(client: TestClient, agent: str = "agent-1", name: str = "Eva Svobodová") -> dict:
    variables = {"input": {"channel": "CALL", "sender": {"name": name}, "agentId": agent}}
    return client.post("/graphql", json={"query": RECORD, "variables": variables}).json()["data"]["recordActivity"]


def test_a_subscription_gets_the_events_recorded_after_it():
    with app() as client:
        with connect(client) as ws:
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": OPEN_LIST}})
            ws.send_json({"type": "ping"})  # answered after the subscription is set up in this process
            assert ws.receive_json() == {"type": "pong"}
            recorded = record(client)
            message = ws.receive_json()
            assert message["id"] == "1" and message["type"] == "next"
            change = message["payload"]["data"]["openListChanged"]
            assert change == {"change": "ADDED", "entry": {"id": recorded["openListEntry"]["id"], "displayName": "Eva Svobodová"}}
            ws.send_json({"id": "1", "type": "complete"})


@pytest.mark.parametrize("protocols", [["graphql-ws"], []], ids=["legacy-subscriptions-transport-ws", "none"])
def test_only_graphql_transport_ws_is_spoken(protocols):
    with app() as client:
        with client.websocket_connect("/graphql", subprotocols=protocols) as ws:
            assert closed_with(ws) == (4406, "Subprotocol not acceptable")


def test_subscribing_before_connection_init_closes_the_socket():
    with app() as client:
        with client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as ws:
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": OPEN_LIST}})
            assert closed_with(ws) == (4401, "Unauthorized")


def test_a_socket_that_never_sends_connection_init_is_closed():
    with app(connection_init_timeout_seconds=0.2) as client:
        with client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as ws:
            assert closed_with(ws) == (4408, "Connection initialisation timeout")


def test_connections_are_bounded_and_the_one_too_many_is_told_to_come_back_later():
    with app(max_websocket_connections=1) as client:
        with connect(client):
            with client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as second:
                # Counted when acknowledged: a socket that has not authenticated holds no slot.
                second.send_json({"type": "connection_init", "payload": {}})
                assert closed_with(second) == (1013, "Too many connections; try again later")
        with connect(client):  # room again
            pass


def test_queries_and_mutations_are_not_served_over_the_socket():
    with app() as client:
        with connect(client) as ws:
            mutation = 'mutation { recordActivity(input: {channel: CALL, agentId: "agent-1"}) { __typename } }'
            for n, query in enumerate(["{ viewer { id } }", mutation]):
                ws.send_json({"id": str(n), "type": "subscribe", "payload": {"query": query}})
                message = ws.receive_json()
                assert message["type"] == "error" and message["id"] == str(n)
                (error,) = message["payload"]
                assert error["extensions"]["code"] == "SUBSCRIPTIONS_ONLY"
                assert error["message"] == "Only subscriptions are served over WebSocket; send queries and mutations to /graphql with HTTP POST."
            listed = client.post("/graphql", json={"query": "{ openList { totalCount } }"}).json()
            assert listed["data"]["openList"]["totalCount"] == 0  # the mutation did not run


def test_the_limits_of_http_requests_hold_for_subscribe_messages():
    with app(max_query_depth=2) as client:
        with connect(client) as ws:
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": OPEN_LIST}})
            (error,) = ws.receive_json()["payload"]
            assert error["extensions"]["code"] == "QUERY_TOO_DEEP" and error["extensions"]["limit"] == 2


def test_messages_follow_the_handshakes_language_or_the_payloads():
    with app(max_subscriptions_per_connection=1) as client:
        for headers, payload in (({"Accept-Language": "cs"}, {}), ({}, {"acceptLanguage": "cs"})):
            with connect(client, payload, headers) as ws:
                ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": OPEN_LIST}})
                ws.send_json({"id": "2", "type": "subscribe", "payload": {"query": OPEN_LIST}})
                (error,) = ws.receive_json()["payload"]
                assert error["extensions"] == {"code": "TOO_MANY_SUBSCRIPTIONS", "limit": 1, "requestId": error["extensions"]["requestId"]}
                assert error["message"] == "Toto spojení už má 1 odebírání, nejvíc, kolik jedno spojení smí mít. Nejprve jedno ukončete."


def test_a_subscriber_that_falls_behind_is_told_why_and_ended():
    with app(subscription_queue_size=3) as client:
        with connect(client) as ws:
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SCREEN_POP}})
            ws.send_json({"type": "ping"})
            assert ws.receive_json() == {"type": "pong"}
            recorded = record(client)
            first = ws.receive_json()
            assert first["payload"]["data"]["activityRecorded"]["activity"]["id"] == recorded["activity"]["id"]

            runtime = client.app.state.runtime
            activity_id = raw_id_of(recorded["activity"]["id"], "Activity")

            async def burst():
                # Ten events without a pause: the subscription cannot take one before the fourth.
                (activity,) = await runtime.store.get_activities([activity_id])
                for _ in range(10):
                    await runtime.pubsub.publish(ActivityRecorded(activity, "admin", Outcome.ADDED_TO_OPEN_LIST))

            client.portal.call(burst)
            message = ws.receive_json()
            assert message["type"] == "next" and message["payload"]["data"] is None
            (error,) = message["payload"]["errors"]
            assert error["extensions"]["code"] == "SUBSCRIBER_TOO_SLOW" and error["extensions"]["limit"] == 3
            assert error["message"] == (
                "This subscription fell more than 3 events behind and was ended. Subscribe again and re-read what it shows."
            )
            assert ws.receive_json() == {"id": "1", "type": "complete"}
            # The connection goes on: subscribing again works.
            ws.send_json({"id": "2", "type": "subscribe", "payload": {"query": SCREEN_POP}})
            ws.send_json({"type": "ping"})
            assert ws.receive_json() == {"type": "pong"}
            again = record(client)
            assert ws.receive_json()["payload"]["data"]["activityRecorded"]["activity"]["id"] == again["activity"]["id"]
            assert record(client)["outcome"] == "ADDED_TO_OPEN_LIST"


def test_a_credential_that_is_not_a_string_is_refused(tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text(f"admin ADMIN {hash_token('ccs_admin-0123456789')}\n")
    with app(tokens_file=str(tokens)) as client:
        for payload in ({"authorization": ["Bearer ccs_admin-0123456789"]}, {"authorization": None}, {"authorization": "ccs_admin-0123456789"}):
            with client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as ws:
                ws.send_json({"type": "connection_init", "payload": payload})
                assert closed_with(ws) == (4403, "Forbidden")
        with connect(client, {"authorization": "Bearer ccs_admin-0123456789"}):
            pass


def test_local_development_mode_acts_as_the_local_developer_whatever_the_token():
    with app() as client:
        for payload in ({}, {"authorization": "Bearer anything"}):
            with connect(client, payload) as ws:
                ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SCREEN_POP}})  # everyone's: an administrator
                ws.send_json({"type": "ping"})
                assert ws.receive_json() == {"type": "pong"}
                recorded = record(client, agent="agent-9")
                assert ws.receive_json()["payload"]["data"]["activityRecorded"]["activity"]["id"] == recorded["activity"]["id"]


class MockMongo:
    @hookimpl
    def storage_backends(self):
        return [StorageBackend("mockmongo", lambda settings: MongoStore(settings, client=AsyncMongoMockClient()))]


def test_without_change_streams_a_subscription_is_refused_with_a_reason(caplog):
    with TestClient(create_app(Settings(backend="mockmongo"), extra_plugins=[MockMongo()])) as client:
        with connect(client) as ws:
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": OPEN_LIST}})
            (error,) = ws.receive_json()["payload"]
            assert error["extensions"]["code"] == "SUBSCRIPTIONS_UNAVAILABLE"
            assert "replica set" not in error["message"]  # the reason is for the operator: in the log
            assert record(client)["outcome"] == "ADDED_TO_OPEN_LIST"  # mutations are unaffected
    assert "subscription refused: live events need MongoDB change streams" in caplog.text


@pytest.mark.parametrize("accept, status", [("application/json", 200), ("application/graphql-response+json", 400)])
def test_a_subscription_sent_over_http_is_told_to_use_a_websocket(accept, status):
    with app() as client:
        response = client.post("/graphql", json={"query": OPEN_LIST}, headers={"Accept": accept, "Accept-Language": "de"})
        assert response.status_code == status
        (error,) = response.json()["errors"]
        assert error["extensions"] == {"code": "WEBSOCKET_REQUIRED", "requestId": response.headers["x-request-id"]}
        assert error["message"].startswith("Abonnements (Subscriptions) werden über WebSocket unter /graphql")
