"""The real thing: the service started with README's command, spoken to over a socket."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request

from .server import ROOT, START


def post(base: str, query: str, variables: dict | None = None, lang: str = "en") -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(
        base + "/graphql",
        data=body,
        headers={"Content-Type": "application/json", "Accept-Language": lang},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        payload = json.loads(r.read())
    assert "errors" not in payload, payload
    return payload["data"]


def test_open_list_flow_against_the_real_server(server):
    from .helpers import CREATE_FROM_ENTRY, DISCARD, OPEN_LIST, RECORD

    agent = f"agent-{time.monotonic_ns()}"  # the server is shared: keep to our own open list
    new = post(server, RECORD, {"input": {"channel": "CALL", "agentId": agent, "sender": {"name": "Karel Čapek", "phone": "+420 602 555 111"}}})
    entry = new["recordActivity"]["openListEntry"]
    assert new["recordActivity"]["outcome"] == "ADDED_TO_OPEN_LIST"
    assert entry["displayName"] == "Karel Čapek"

    unknown = post(server, RECORD, {"input": {"channel": "CHAT", "agentId": agent}}, lang="nb")
    assert unknown["recordActivity"]["openListEntry"]["displayName"] == "Ukjent kunde"

    listed = post(server, OPEN_LIST, {"agentId": agent})["openList"]
    assert [e["node"]["displayName"] for e in listed["edges"]] == ["Karel Čapek", "Unknown customer"]

    created = post(server, CREATE_FROM_ENTRY, {"entryId": entry["id"]})["createCustomerFromOpenList"]
    assert created["__typename"] == "CreateCustomerFromOpenListSuccess"
    customer_id = created["customer"]["id"]
    assert created["activity"]["customer"]["id"] == customer_id

    again = post(server, RECORD, {"input": {"channel": "CALL", "agentId": agent, "sender": {"phone": "00420602555111"}}})
    assert again["recordActivity"]["outcome"] == "ASSOCIATED"
    assert again["recordActivity"]["customer"]["id"] == customer_id

    discard_id = listed["edges"][1]["node"]["id"]
    assert post(server, DISCARD, {"entryId": discard_id})["discardOpenListEntry"]["entry"]["status"] == "DISCARDED"
    assert post(server, OPEN_LIST, {"agentId": agent})["openList"]["totalCount"] == 0


def test_health_graphiql_and_readiness_on_the_real_server(server):
    with urllib.request.urlopen(server + "/healthz") as r:
        assert r.status == 200
    with urllib.request.urlopen(server + "/readyz") as r:
        assert json.loads(r.read()) == {"status": "ready", "store": "memory"}
    req = urllib.request.Request(server + "/graphql", headers={"Accept": "text/html"})
    with urllib.request.urlopen(req) as r:
        assert "graphiql" in r.read().decode().lower()


def test_start_command_refuses_an_unknown_backend_naming_the_known_ones():
    result = subprocess.run([*START, "--backend", "nope"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "unknown storage backend 'nope'" in result.stderr and "known: memory" in result.stderr
