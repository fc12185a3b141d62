"""The short lane for the common request (service/app.py, KnownOperationLane): a POST of one
operation whose document is known answers exactly as the full stack answers it the first
time (status, every header but Date, body), and whatever the lane does not take is handed
on, body and all, and answered by the layers below."""

from __future__ import annotations

from http.client import HTTPConnection
import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from service.app import create_app
from service.settings import Settings

from .helpers import RECORD

SCREEN_POP = (
    "query ScreenPop($phone: String!) { matchCustomers(identity: {phone: $phone}, limit: 1) "
    "{ score customer { id displayName organizationName } } }"
)
SEED = (
    'mutation { createCustomer(input: {firstName: "Jana", lastName: "Nováková", phones: [{number: "601 222 333"}]}) '
    "{ __typename } }"
)


@pytest.fixture
def http() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(max_body_bytes=4096, request_timeout_seconds=5))) as client:
        assert client.post("/graphql", json={"query": SEED}).json() == {"data": {"createCustomer": {"__typename": "CreateCustomerSuccess"}}}
        yield client


def answer(response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = sorted((k.lower(), v) for k, v in response.headers.items() if k.lower() != "date")
    return response.status_code, headers, response.content


REQUESTS = [
    pytest.param({"query": SCREEN_POP, "variables": {"phone": "601222333"}}, {}, id="screen pop"),
    pytest.param({"query": SCREEN_POP, "variables": {"phone": "601222333"}, "operationName": "ScreenPop"}, {"Accept-Language": "cs"}, id="named"),
    pytest.param({"query": "{ customers { totalCount edges { node { displayName } } } }"}, {"Accept": "application/graphql-response+json"}, id="graphql-response"),
    pytest.param({"query": '{ node(id: "bm90LWFuLWlk") { id } }'}, {}, id="field error"),
    pytest.param({"query": "query($n: Int!) { customers(first: $n) { totalCount } }", "variables": {"n": 1000}}, {"Accept": "application/graphql-response+json"}, id="limit error"),
    pytest.param({"query": RECORD, "variables": {"input": {"channel": "CALL", "sender": {"phone": "601 222 333"}}}}, {}, id="mutation"),
    pytest.param({"query": RECORD, "variables": {"input": {"channel": "CHAT", "sender": {"name": "x" * 2001}}}}, {"Accept-Language": "de"}, id="mutation refused"),
]


@pytest.mark.parametrize(("body", "headers"), REQUESTS)
def test_a_known_operation_takes_the_lane_and_answers_as_the_first_time(http, lane, body, headers):
    headers = {"X-Request-Id": "req-1", **headers}
    first = answer(http.post("/graphql", json=body, headers=headers))  # parsed, validated, compiled
    second = answer(http.post("/graphql", json=body, headers=headers))
    assert lane == [False, True]
    if "mutation" in body["query"]:  # a new activity each time: its id differs, nothing else
        first, second = first[:2], second[:2]
    assert first == second


def test_the_lane_gives_each_request_its_own_request_id(http, lane):
    body = {"query": SCREEN_POP, "variables": {"phone": "601222333"}}
    ids = {http.post("/graphql", json=body).headers["x-request-id"] for _ in range(3)}
    assert lane == [False, True, True] and len(ids) == 3


def test_a_known_query_times_out_on_the_lane_as_it_does_below(lane):
    from .test_limits import GRAPHQL_RESPONSE, SLOW_QUERY, SlowStore, only_error, post, serve

    with serve(backend="slow", request_timeout_seconds=0.3) as client:
        answers = []
        for _ in range(2):
            SlowStore.cancelled.clear()
            response = post(client, SLOW_QUERY, Accept=GRAPHQL_RESPONSE)
            answers.append((response.status_code, only_error(response)["extensions"]["code"]))
            assert SlowStore.cancelled.wait(5)
    assert lane == [False, True] and answers == [(504, "TIMEOUT")] * 2


KNOWN = {"query": SCREEN_POP, "variables": {"phone": "601222333"}}


def chunked():
    data = json.dumps(KNOWN).encode()
    yield data[:10]
    yield data[10:]


HANDED_ON = [
    pytest.param({"json": {**KNOWN, "variables": {"phone": 5}}}, 200, "cannot represent a non string value", id="variables that do not coerce"),
    pytest.param({"json": {**KNOWN, "extensions": {}}}, 200, '"matchCustomers"', id="extensions"),
    pytest.param({"json": KNOWN, "headers": {"Authorization": "Basic eA=="}}, 401, "UNAUTHENTICATED", id="refused credentials"),
    pytest.param({"content": chunked()}, 200, '"matchCustomers"', id="no content-length"),
    pytest.param(
        {"content": json.dumps({**KNOWN, "pad": "x" * 5000}), "headers": {"Content-Type": "application/json"}},
        413,
        "REQUEST_TOO_LARGE",
        id="over the body limit",
    ),
    pytest.param({"content": "{not json", "headers": {"Content-Type": "application/json"}}, 400, "BAD_REQUEST", id="not json"),
    pytest.param({"json": [KNOWN]}, 200, '[{"data"', id="a batch"),
    pytest.param({"json": {"query": SCREEN_POP + " "}}, 200, "Expected a value of non-null type", id="a new document"),
    pytest.param(
        {"json": KNOWN, "headers": {"Content-Type": "application/json; charset=latin-1"}}, 200, '"matchCustomers"', id="other content type"
    ),
]


@pytest.mark.parametrize(("request_kwargs", "status", "expected"), HANDED_ON)
def test_what_the_lane_does_not_take_is_answered_below(http, lane, request_kwargs, status, expected):
    http.post("/graphql", json=KNOWN)  # the document is known from here on
    kwargs = {"headers": {}, **request_kwargs}
    if "content" in kwargs:
        kwargs["headers"] = {"Content-Type": "application/json", **kwargs["headers"]}
    response = http.post("/graphql", **kwargs)
    assert lane[1:] in ([], [False])  # not answered here (some never reach the reading of the body)
    assert response.status_code == status, response.text
    assert expected in response.text


def test_a_header_given_twice_is_left_to_the_layers_below(http, lane):
    http.post("/graphql", json=KNOWN)
    body = json.dumps(KNOWN).encode()
    headers = [("content-type", "application/json"), ("accept", "application/graphql-response+json"), ("accept", "application/json")]
    response = http.post("/graphql", content=body, headers=headers)
    assert lane == [False] and response.status_code == 200 and "matchCustomers" in response.text


def test_over_a_real_socket_the_lane_answers_as_the_full_stack(server):
    """The shared real server: the first request of a new document goes the full way, the
    next ones the lane's; status, headers (but Date) and body are the same, also when the
    body arrives in pieces."""
    url = urlsplit(server)
    # A document no other test sends: its first request here is the first the server sees.
    query = SCREEN_POP.replace("ScreenPop", "LaneOverSocket")
    body = json.dumps({"query": query, "variables": {"phone": "777000111"}}).encode()
    seen = []
    for _ in range(3):
        connection = HTTPConnection(url.hostname, url.port, timeout=10)
        connection.request("POST", "/graphql", body, {"Content-Type": "application/json", "X-Request-Id": "socket-1"})
        response = connection.getresponse()
        headers = sorted((k.lower(), v) for k, v in response.getheaders() if k.lower() != "date")
        seen.append((response.status, headers, response.read()))
        connection.close()
    assert seen[0] == seen[1] == seen[2]
    assert seen[0][0] == 200 and json.loads(seen[0][2]) == {"data": {"matchCustomers": []}}
    with socket.create_connection((url.hostname, url.port), timeout=10) as raw:
        head = (
            f"POST /graphql HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
            f"X-Request-Id: socket-1\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        raw.sendall(head + body[:7])
        raw.sendall(body[7:])
        reply = b""
        while chunk := raw.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200") and reply.endswith(seen[0][2])
