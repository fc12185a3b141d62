"""Metrics at /metrics (service/metrics.py, service/metrics_endpoint.py): every GraphQL request
counted by operation, type and outcome (the known-operation lane's too), errors by code, the
fast path's fallbacks, store calls, the open list, live subscriptions, the journal, matching
decisions; protected like the API or on a port of its own; added up over several processes.

The metrics live in the test process for as long as it runs, so each test compares a
scrape before with a scrape after what it does, never absolute values (the open list's size
aside, which a scrape counts from the test's own fresh store)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator

import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from plugins.memory import MemoryStore
from plugins.memory import journal as journal_module
from service.app import create_app
from service.authentication import CUSTOMER_PREFIX, hash_token
from service.hookspecs import hookimpl
from service.settings import ConfigurationError, Settings, parse
from service.storage import StorageBackend

from .helpers import CREATE_CUSTOMER, record
from .server import ROOT, START, free_port, running_server, start_server
from .test_admission import HELD, QUICK, served, until

SCREEN_POP = (
    "query ScreenPop($phone: String!) { matchCustomers(identity: {phone: $phone}, limit: 1) "
    "{ score customer { id displayName } } }"
)


def scrape(http, **headers) -> dict[tuple[str, frozenset], float]:
    response = http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse_scrape(response.text)


def parse_scrape(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def grew(before, after, name: str, **labels) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


@pytest.fixture
def http() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as client:
        yield client


def post(http, query: str, variables: dict | None = None, **headers):
    return http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)


def test_screen_pops_are_counted_with_their_latency_also_those_the_lane_answers(http, lane):
    before = scrape(http)
    for _ in range(3):
        response = post(http, SCREEN_POP, {"phone": "601222333"})
        assert response.status_code == 200 and "errors" not in response.json()
    assert lane == [False, True, True]  # the second and third took the lane
    after = scrape(http)
    assert grew(before, after, "customer_context_requests_total", operation="ScreenPop", type="query", outcome="ok") == 3
    assert grew(before, after, "customer_context_request_duration_seconds_count", operation="ScreenPop", type="query") == 3
    assert grew(before, after, "customer_context_request_duration_seconds_bucket", operation="ScreenPop", type="query", le="+Inf") == 3
    # The store's calls beneath, timed per method.
    assert grew(before, after, "customer_context_store_call_duration_seconds_count", method="find_customers_by_identifiers") >= 3


def test_mutations_errors_by_code_and_outcomes(http):
    before = scrape(http)
    created = post(http, CREATE_CUSTOMER, {"input": {"firstName": "Eva", "emails": [{"address": "not an email"}]}})
    assert created.json()["data"]["createCustomer"]["__typename"] == "InvalidInputError"
    bad = post(http, "query Broken { customers(first: -5) { totalCount } }")
    assert bad.status_code == 200 and bad.json()["errors"]
    unknown = post(http, "query Nope { noSuchField }")
    assert unknown.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    too_large = http.post("/graphql", content=b"{" + b" " * 1_000_001 + b"}", headers={"Content-Type": "application/json"})
    assert too_large.status_code == 413
    after = scrape(http)
    assert grew(before, after, "customer_context_requests_total", operation="CreateCustomer", type="mutation", outcome="ok") == 1
    assert grew(before, after, "customer_context_errors_total", code="INVALID_EMAIL") == 1  # a payload error
    assert grew(before, after, "customer_context_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert grew(before, after, "customer_context_errors_total", code="REQUEST_TOO_LARGE") == 1
    assert grew(before, after, "customer_context_requests_total", operation="(none)", type="(none)", outcome="refused") == 1
    error_outcomes = sum(
        grew(before, after, "customer_context_requests_total", operation=name, type=kind, outcome="error")
        for name, kind in (("Broken", "query"), ("(none)", "(none)"), ("Nope", "(none)"), ("Nope", "query"))
    )
    assert error_outcomes == 2


def test_the_fast_path_counts_why_it_leaves_an_operation(http):
    before = scrape(http)
    post(http, "{ __schema { queryType { name } } }")  # introspection has no compiled plan
    post(http, "query { customers(first: $undefined) { totalCount } }")  # does not validate
    post(http, SCREEN_POP, {"phone": ["not", "a", "string"]})  # variables that do not coerce
    after = scrape(http)
    assert grew(before, after, "customer_context_fastpath_fallbacks_total", reason="no_plan") >= 1
    assert grew(before, after, "customer_context_fastpath_fallbacks_total", reason="invalid_document") == 1
    assert grew(before, after, "customer_context_fastpath_fallbacks_total", reason="variables") == 1


def test_open_list_size_and_matching_decisions_by_channel(http):
    gql = _Client(http)
    before = scrape(http)
    assert value(before, "customer_context_open_list_entries") == 0
    assert record(gql, "CALL", phone="+420 601 111 222")["outcome"] == "ADDED_TO_OPEN_LIST"  # nobody: none
    assert record(gql, "EMAIL", email="petr@example.com")["outcome"] == "ADDED_TO_OPEN_LIST"
    gql(CREATE_CUSTOMER, {"input": {"firstName": "Petr", "emails": [{"address": "petr@example.com"}]}})
    assert record(gql, "EMAIL", email="petr@example.com")["outcome"] == "ASSOCIATED"  # automatic
    for name in ("Jan", "Jana"):  # two customers share a phone: candidates, no automatic choice
        gql(CREATE_CUSTOMER, {"input": {"firstName": name, "phones": [{"number": "+420 602 000 111"}]}})
    offered = record(gql, "CHAT", phone="+420 602 000 111")
    assert offered["outcome"] == "ADDED_TO_OPEN_LIST" and offered["openListEntry"]["candidates"]
    after = scrape(http)
    assert value(after, "customer_context_open_list_entries") == 3
    assert grew(before, after, "customer_context_matching_decisions_total", channel="CALL", decision="none") == 1
    assert grew(before, after, "customer_context_matching_decisions_total", channel="EMAIL", decision="none") == 1
    assert grew(before, after, "customer_context_matching_decisions_total", channel="EMAIL", decision="automatic") == 1
    assert grew(before, after, "customer_context_matching_decisions_total", channel="CHAT", decision="offered") == 1


class _Client:
    def __init__(self, http) -> None:
        self.http = http

    def __call__(self, query, variables=None, lang=None):
        body = post(self.http, query, variables).json()
        assert "errors" not in body, body
        return body["data"]


def test_live_subscriptions_are_counted_while_open(http):
    before = scrape(http)
    with http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json() == {"type": "connection_ack"}
        for number in range(2):
            ws.send_json(
                {"id": str(number), "type": "subscribe", "payload": {"query": "subscription { activityRecorded { outcome } }"}}
            )
        # The first event proves both subscriptions are running.
        record(_Client(http), "CALL", phone="+420 601 333 444")
        assert ws.receive_json()["type"] == "next" and ws.receive_json()["type"] == "next"
        during = scrape(http)
        assert grew(before, during, "customer_context_live_subscriptions") == 2
        ws.send_json({"id": "0", "type": "complete"})
        for _ in range(200):
            if grew(before, scrape(http), "customer_context_live_subscriptions") == 1:
                break
        assert grew(before, scrape(http), "customer_context_live_subscriptions") == 1
    for _ in range(200):
        if grew(before, scrape(http), "customer_context_live_subscriptions") == 0:
            break
    assert grew(before, scrape(http), "customer_context_live_subscriptions") == 0


def test_journal_fsyncs_and_compactions(tmp_path, monkeypatch):
    data_file = str(tmp_path / "data.journal")
    with TestClient(create_app(Settings(data_file=data_file))) as http:
        before = scrape(http)
        record(_Client(http), "CALL", phone="+420 601 555 666")
        after = scrape(http)
        # One write each: the activity and its open-list entry.
        assert grew(before, after, "customer_context_journal_fsync_duration_seconds_count") == 2
    monkeypatch.setattr(journal_module, "COMPACT_MIN_LINES", 1)
    monkeypatch.setattr(journal_module, "COMPACT_FACTOR", 0)
    with TestClient(create_app(Settings(data_file=data_file))) as http:  # compacts at start-up
        again = scrape(http)
    assert grew(after, again, "customer_context_journal_compactions_total", outcome="ok") == 1
    assert grew(after, again, "customer_context_journal_compaction_duration_seconds_count") == 1


def test_shed_requests_are_counted_as_overloaded():
    async def scenario():
        async with served(max_in_flight_requests=1, admission_wait_seconds=0) as (client, hold):
            before = parse_scrape((await client.get("/metrics")).text)
            held = asyncio.create_task(client.post("/graphql", json=HELD))
            await until(lambda: hold.waiting == 1, "one request held")
            assert (await client.post("/graphql", json=QUICK)).status_code == 503
            hold.release()
            assert (await held).status_code == 200
            after = parse_scrape((await client.get("/metrics")).text)
            assert grew(before, after, "customer_context_errors_total", code="OVERLOADED") == 1
            assert grew(before, after, "customer_context_requests_total", operation="(none)", type="(none)", outcome="shed") == 1

    asyncio.run(scenario())


def test_operation_names_are_bounded(http, monkeypatch):
    from service import metrics

    monkeypatch.setattr(metrics, "_operation_names", set())  # the names other tests used do not count here
    for number in range(metrics.MAX_OPERATION_NAMES + 5):
        post(http, f"query Name{number} {{ openList {{ totalCount }} }}")
    operations = {
        dict(labels)["operation"]
        for (name, labels) in scrape(http)
        if name == "customer_context_requests_total"
    }
    assert "(other)" in operations
    assert f"Name{metrics.MAX_OPERATION_NAMES - 1}" in operations and f"Name{metrics.MAX_OPERATION_NAMES}" not in operations


# -- who may scrape ---------------------------------------------------------------------------

TOKENS = {"admin": ("ADMIN", "t-admin-1"), "reader": ("READ_ONLY", "t-reader-1"), "agent": ("AGENT", "t-agent-1")}


@pytest.fixture
def tokens_file(tmp_path) -> str:
    path = tmp_path / "tokens"
    path.write_text("".join(f"{who} {role} {hash_token(token)}\n" for who, (role, token) in TOKENS.items()))
    return str(path)


def test_with_staff_tokens_only_admin_and_read_only_may_scrape(tokens_file):
    with TestClient(create_app(Settings(tokens_file=tokens_file))) as http:
        missing = http.get("/metrics", headers={"Accept-Language": "cs"})
        assert missing.status_code == 401 and missing.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert missing.json()["errors"][0]["message"] == "Požadavek vyžaduje platný token (Authorization: Bearer ...)."
        assert missing.headers["www-authenticate"].startswith("Bearer")
        assert http.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        agent = http.get("/metrics", headers={"Authorization": f"Bearer {TOKENS['agent'][1]}", "Accept-Language": "de"})
        assert agent.status_code == 403
        error = agent.json()["errors"][0]
        assert error["extensions"]["code"] == "FORBIDDEN" and error["message"] == "Dazu sind Sie nicht berechtigt."
        for who in ("admin", "reader"):
            samples = scrape(http, Authorization=f"Bearer {TOKENS[who][1]}")
            assert ("customer_context_open_list_entries", frozenset()) in samples
        # The 401s are counted like any other answer of /graphql.
        before = scrape(http, Authorization=f"Bearer {TOKENS['admin'][1]}")
        assert post(http, "{ openList { totalCount } }").status_code == 401
        after = scrape(http, Authorization=f"Bearer {TOKENS['admin'][1]}")
        assert grew(before, after, "customer_context_errors_total", code="UNAUTHENTICATED") == 1


def test_without_metrics_there_is_no_endpoint():
    with TestClient(create_app(Settings(metrics=False))) as http:
        assert http.get("/metrics").status_code == 404
        assert post(http, "{ openList { totalCount } }").status_code == 200


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--metrics-port", "70000"], "metrics port must be between 0 and 65535"),
        (["--port", "9100", "--metrics-port", "9100"], "metrics port must differ from --port"),
    ],
)
def test_bad_metrics_settings_stop_startup(argv, words):
    with pytest.raises(ConfigurationError, match=words):
        parse(argv, environ={})


def test_settings_come_from_flags_and_environment():
    assert parse(["--no-metrics", "--metrics-port", "9464"], environ={}).metrics is False
    assert parse([], environ={"CUSTOMER_CONTEXT_METRICS_PORT": "9464"}).metrics_port == 9464


# -- the real server ----------------------------------------------------------------------------


def test_the_real_server_serves_metrics_on_its_own_port_without_a_token(tokens_file):
    metrics_port = free_port()
    with running_server("--tokens-file", tokens_file, "--metrics-port", str(metrics_port)) as base:
        with httpx2.Client(base_url=base) as client:
            assert client.get("/metrics").status_code == 404  # not on the service's port
            token = {"Authorization": f"Bearer {TOKENS['agent'][1]}"}
            assert client.post("/graphql", json={"query": "query Probe { openList { totalCount } }"}, headers=token).status_code == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as response:
            samples = parse_scrape(response.read().decode())
        assert value(samples, "customer_context_requests_total", operation="Probe", type="query", outcome="ok") == 1
        assert value(samples, "customer_context_open_list_entries") == 0


def test_a_busy_metrics_port_stops_startup_in_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*START, "--port", str(free_port()), "--metrics-port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env={k: v for k, v in os.environ.items() if not k.startswith("CUSTOMER_CONTEXT_")},
        )
    assert done.returncode == 2, done.stderr
    assert f"cannot start: cannot serve metrics on 127.0.0.1:{port} (--metrics-port)" in done.stderr
    assert "Traceback" not in done.stderr


def test_several_processes_add_up_in_multiprocess_mode(tmp_path):
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(directory)}
    first = start_server(env=env, log=tmp_path / "first.log")
    try:
        second = start_server(env=env, log=tmp_path / "second.log")
        try:
            for base, times in ((first.base, 2), (second.base, 3)):
                for _ in range(times):
                    request = urllib.request.Request(
                        base + "/graphql",
                        data=json.dumps({"query": "query Together { openList { totalCount } }"}).encode(),
                        headers={"Content-Type": "application/json"},
                    )
                    with urllib.request.urlopen(request, timeout=10) as response:
                        assert response.status == 200
            # Either process answers for both.
            for base in (first.base, second.base):
                with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
                    samples = parse_scrape(response.read().decode())
                assert value(samples, "customer_context_requests_total", operation="Together", type="query", outcome="ok") == 5
                assert value(samples, "customer_context_request_duration_seconds_count", operation="Together", type="query") == 5
        finally:
            second.stop()
    finally:
        first.stop()


class FailingContacts:
    """A throwaway plugin: backend "failing", the memory store whose contact lookups fail
    (a customer account's token is checked against its contact: a failure there is a bug's
    500, before GraphQL)."""

    @hookimpl
    def storage_backends(self):
        class FailingStore(MemoryStore):
            async def get_contacts(self, ids):
                raise RuntimeError("the store failed")

        return [StorageBackend("failing", FailingStore, "test double")]


def test_a_failure_outside_graphql_counts_as_failed_and_its_store_call_as_an_error():
    app = create_app(Settings(backend="failing"), extra_plugins=[FailingContacts()])
    with TestClient(app, raise_server_exceptions=False) as http:
        before = scrape(http)
        token = {"Authorization": f"Bearer {CUSTOMER_PREFIX}contact-1.secret"}
        assert post(http, "{ viewer { id } }", **token).status_code == 500
        after = scrape(http)
    assert grew(before, after, "customer_context_requests_total", operation="(none)", type="(none)", outcome="failed") == 1
    assert grew(before, after, "customer_context_store_call_errors_total", method="get_contacts") == 1
