"""Pages of another origin (a partner's agent desktop) calling the API from a browser:
refused unless the operator lists the origin in --allowed-origins; then CORS on HTTP and
the Origin check on WebSockets let exactly those pages in."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from service.app import create_app
from service.authentication import hash_token
from service.settings import ConfigurationError, Settings, parse

DESK = "https://desk.example.com"
OTHER = "https://evil.example.net"
QUERY = {"query": "{ viewer { id role } }"}


@contextlib.contextmanager
def app(**settings) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(**settings).validate())) as client:
        yield client


def preflight(client: TestClient, origin: str):
    return client.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, accept-language",
        },
    )


def websocket_accepted(client: TestClient, origin: str) -> bool:
    try:
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"], headers={"Origin": origin}) as ws:
            ws.send_json({"type": "connection_init", "payload": {}})
            return ws.receive_json() == {"type": "connection_ack"}
    except WebSocketDisconnect:
        return False


def test_without_allowed_origins_other_origins_get_no_cors_and_no_websocket():
    with app() as client:
        assert "access-control-allow-origin" not in preflight(client, DESK).headers
        response = client.post("/graphql", json=QUERY, headers={"Origin": DESK})
        assert "access-control-allow-origin" not in response.headers  # the browser keeps the answer from the page
        assert not websocket_accepted(client, DESK)
        assert websocket_accepted(client, "http://testserver")  # the service's own pages (GraphiQL, /gadget)


def test_an_allowed_origin_gets_cors_and_websockets_and_no_other_does(tmp_path):
    tokens = tmp_path / "tokens"
    token = "ccs_" + "k" * 43
    tokens.write_text(f"agent-7 AGENT {hash_token(token)}\n")
    with app(allowed_origins=f"{DESK}/, http://localhost:5173", tokens_file=str(tokens)) as client:
        answer = preflight(client, DESK)
        assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == DESK
        assert "authorization" in answer.headers["access-control-allow-headers"].lower()
        assert "POST" in answer.headers["access-control-allow-methods"]
        assert "access-control-allow-credentials" not in answer.headers  # tokens are headers, not cookies

        ok = client.post("/graphql", json=QUERY, headers={"Origin": DESK, "Authorization": f"Bearer {token}"})
        assert ok.json() == {"data": {"viewer": {"id": "agent-7", "role": "AGENT"}}}
        assert ok.headers["access-control-allow-origin"] == DESK
        assert "x-request-id" in ok.headers["access-control-expose-headers"].lower()
        # A refusal is readable by the page too, so it can ask for a new token.
        refused = client.post("/graphql", json=QUERY, headers={"Origin": "http://localhost:5173"})
        assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == "http://localhost:5173"

        assert "access-control-allow-origin" not in preflight(client, OTHER).headers
        assert "access-control-allow-origin" not in client.post("/graphql", json=QUERY, headers={"Origin": OTHER}).headers

        assert websocket_accepted(client, DESK) is False  # accepted, then refused without a credential (4403)
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"], headers={"Origin": DESK}) as ws:
            ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
            assert ws.receive_json() == {"type": "connection_ack"}
        with pytest.raises(WebSocketDisconnect) as refused_origin:
            with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"], headers={"Origin": OTHER}) as ws:
                ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
                ws.receive_json()
        assert refused_origin.value.code != 1000


def test_any_origin_with_a_star():
    with app(allowed_origins="*") as client:
        assert preflight(client, OTHER).headers["access-control-allow-origin"] == "*"
        assert websocket_accepted(client, OTHER)


@pytest.mark.parametrize("origin", ["desk.example.com", "https://desk.example.com/gadget", "ftp://desk.example.com", "https://"])
def test_what_is_not_an_origin_stops_startup(origin):
    with pytest.raises(ConfigurationError, match="is not an origin"):
        parse(["--allowed-origins", origin], environ={}).validate()
    with pytest.raises(ConfigurationError, match="is not an origin"):
        parse([], environ={"CUSTOMER_CONTEXT_ALLOWED_ORIGINS": f"{DESK},{origin}"}).validate()
