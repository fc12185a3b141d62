"""One log line per GraphQL request (service/request_log.py): JSON in production, readable in
development, with request id, operation, actor, status, outcome, duration and error codes,
and never a token or personal data."""

from __future__ import annotations

import json
import logging
import urllib.request

import pytest
from starlette.testclient import TestClient

from service.app import create_app
from service.authentication import hash_token
from service.settings import Settings

from .server import start_server

TOKEN = "t-agent-secret-7"
PHONE = "+420 601 777 888"
RECORD = (
    "mutation Record($input: RecordActivityInput!) { recordActivity(input: $input) { __typename } }"
)


@pytest.fixture
def tokens_file(tmp_path) -> str:
    path = tmp_path / "tokens"
    path.write_text(f"agent-7 AGENT {hash_token(TOKEN)}\n")
    return str(path)


def request_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "customer_context.requests"]


def record_call(http, **headers):
    variables = {"input": {"channel": "CALL", "sender": {"name": "Jana Nováková", "phone": PHONE}, "agentId": "agent-7"}}
    return http.post("/graphql", json={"query": RECORD, "variables": variables}, headers=headers)


def test_a_json_line_per_request_with_its_facts_and_no_secret(tokens_file, caplog):
    caplog.set_level(logging.INFO, logger="customer_context.requests")
    with TestClient(create_app(Settings(tokens_file=tokens_file, log_format="json"))) as http:
        ok = record_call(http, Authorization=f"Bearer {TOKEN}", **{"X-Request-Id": "call-1"})
        assert ok.json() == {"data": {"recordActivity": {"__typename": "RecordActivitySuccess"}}}
        refused = record_call(http, Authorization="Bearer wrong-token-99")
        assert refused.status_code == 401
        invalid = http.post("/graphql", json={"query": "query Nope { nothing }"}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert invalid.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    lines = request_lines(caplog)
    assert len(lines) == 3
    first, second, third = (json.loads(line) for line in lines)
    assert first["requestId"] == "call-1" == ok.headers["x-request-id"]
    assert {k: first[k] for k in ("event", "method", "operation", "type", "actor", "status", "outcome", "errorCodes")} == {
        "event": "request",
        "method": "POST",
        "operation": "Record",
        "type": "mutation",
        "actor": "agent-7",
        "status": 200,
        "outcome": "ok",
        "errorCodes": [],
    }
    assert isinstance(first["durationMs"], float) and first["durationMs"] >= 0
    assert second["actor"] is None and second["status"] == 401 and second["outcome"] == "refused"
    assert second["errorCodes"] == ["UNAUTHENTICATED"] and second["requestId"] == refused.headers["x-request-id"]
    assert third["operation"] is None and third["outcome"] == "error" and third["errorCodes"] == ["GRAPHQL_VALIDATION_FAILED"]
    everything = "\n".join(lines)
    for secret in (TOKEN, "wrong-token-99", "601 777", "601777888", "Nováková", "Jana", "127.0.0.1", "testclient"):
        assert secret not in everything


def test_a_readable_line_in_development(caplog):
    caplog.set_level(logging.INFO, logger="customer_context.requests")
    with TestClient(create_app(Settings())) as http:
        http.post(
            "/graphql", json={"query": "query Pop { openList { totalCount } }"}, headers={"X-Request-Id": "pop-1"}
        )
        http.post("/graphql", json={"query": "{ customers(first: -1) { totalCount } }"}, headers={"X-Request-Id": "bad-2"})
    first, second = request_lines(caplog)
    assert first.startswith("request pop-1 POST Pop (query) by local-developer: 200 ok in ")
    assert first.endswith(" ms")
    assert second.startswith("request bad-2 POST (anonymous) (query) by local-developer: 200 ")
    assert second.endswith("]") and "[" in second


def test_the_real_server_in_production_writes_json_lines_only(tokens_file, tmp_path):
    log = tmp_path / "server.log"
    server = start_server("--production", "--tokens-file", tokens_file, log=log)
    try:
        for number in range(3):
            request = urllib.request.Request(
                server.base + "/graphql",
                data=json.dumps({"query": "query Probe { openList { totalCount } }"}).encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}", "X-Request-Id": f"probe-{number}"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200
    finally:
        server.stop()
    lines = [line for line in log.read_text().splitlines() if '"event":"request"' in line]
    assert [json.loads(line)["requestId"] for line in lines] == ["probe-0", "probe-1", "probe-2"]
    assert all(json.loads(line)["actor"] == "agent-7" for line in lines)
    assert '"POST /graphql HTTP/1.1"' not in log.read_text()  # no second, differently shaped access line
    assert TOKEN not in log.read_text()
