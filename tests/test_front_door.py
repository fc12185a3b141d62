"""The front door (issue 14, parts 1, 6 and 8): every request to /graphql is authenticated
from its headers before its body is read or its document parsed, whatever its method,
content type or the encoding of its parameters, GraphiQL's page alone excepted where it is
served; no input gets a 500; the content type is exact on the media type.

Through the ASGI app, over HTTP (Starlette's TestClient), or, where what matters is whether
the app ever asked for the body or what raw bytes reach it, by calling the app with an ASGI
scope of our own; the reported GETs once more over raw sockets to the real server. The real
server's connection limits are in tests/test_connection_limits.py.
"""

from __future__ import annotations

import json
import logging
import socket
import string
from collections.abc import Iterator
from http.client import HTTPResponse
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from service import front_door, request_json
from service.app import create_app
from service.authentication import hash_token
from service.i18n import SUPPORTED
from service.settings import Settings

from .server import running_server

TOKEN = "ccs_front-door-admin-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
VIEWER = "{ viewer { id role } }"


def tokens_file(directory: Path) -> str:
    path = directory / "tokens"
    path.write_text(f"admin ADMIN {hash_token(TOKEN)}\n")
    return str(path)


def serve(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture(params=["production", "development"])
def service(request, tmp_path) -> Iterator[TestClient]:
    """With a tokens file: in production mode (no GraphiQL, no introspection), and in
    development mode (GraphiQL and introspection served)."""
    with serve(Settings(tokens_file=tokens_file(tmp_path), production=request.param == "production")) as http:
        yield http


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> Iterator[TestClient]:
    with serve(Settings(tokens_file=tokens_file(tmp_path_factory.mktemp("tokens")), production=True)) as http:
        yield http


def asgi(http: TestClient, method: str, path: str = "/graphql", *, query_string: bytes = b"", headers: dict[str, str] | None = None, body: bytes = b"") -> tuple[int, dict[bytes, bytes], bytes, int]:
    """The app called with a scope of our own (any bytes as its query string): status,
    headers, body, and how many times the app asked for the request's body."""
    sent: list[dict[str, Any]] = []
    asked = 0

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query_string,
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }

    async def run() -> None:
        await http.app(scope, receive, send)

    http.portal.call(run)
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), content, asked


# --- 1. authentication before anything -------------------------------------------------------

OPERATION = "%7Bviewer%7Bid%20role%7D%7D"  # { viewer { id role } }, percent-encoded
SCHEMA = "%7B__schema%7Btypes%7Bname%7D%7D%7D"  # { __schema { types { name } } }

#: (method, query string, headers, body): operations written every way a parser might read.
TOKENLESS = [
    pytest.param("GET", f"%71uery={OPERATION}", {"Accept": "text/html"}, b"", id="percent-encoded name (the report)"),
    pytest.param("GET", f"%51uery={OPERATION}", {"Accept": "text/html"}, b"", id="percent-encoded capital"),
    pytest.param("GET", f"%51UERY={OPERATION}", {"Accept": "text/html"}, b"", id="percent-encoded, upper case"),
    pytest.param("GET", f"QUERY={OPERATION}", {"Accept": "text/html"}, b"", id="upper case"),
    pytest.param("GET", f"qUeRy={OPERATION}", {"Accept": "text/html"}, b"", id="mixed case"),
    pytest.param("GET", "query={+viewer+{+id+}+}", {"Accept": "text/html"}, b"", id="plus for spaces"),
    pytest.param("GET", f"query={OPERATION}&query={OPERATION}", {"Accept": "text/html"}, b"", id="given twice"),
    pytest.param("GET", f"x=1;query={OPERATION}", {"Accept": "text/html"}, b"", id="semicolon separator"),
    pytest.param("GET", f"x=1&%71uery={SCHEMA}", {"Accept": "text/html"}, b"", id="introspection"),
    pytest.param("GET", "query=", {"Accept": "text/html"}, b"", id="empty query"),
    pytest.param("GET", "variables=%7B%7D", {"Accept": "text/html"}, b"", id="variables only"),
    pytest.param("GET", "operationName=A", {"Accept": "text/html"}, b"", id="operationName only"),
    pytest.param("GET", "OPERATIONNAME=A", {"Accept": "text/html"}, b"", id="operationName upper case"),
    pytest.param("GET", "extensions=%7B%7D", {"Accept": "text/html"}, b"", id="extensions only"),
    pytest.param("GET", f"query={OPERATION}", {"Accept": "text/html, application/json"}, b"", id="html and json"),
    pytest.param("GET", f"query={OPERATION}", {}, b"", id="no accept"),
    pytest.param("GET", "", {"Accept": "*/*"}, b"", id="no parameters, not a browser"),
    pytest.param("GET", "", {"Accept": "TEXT/HTML"}, b"", id="no parameters, html in capitals"),
    pytest.param("HEAD", f"query={OPERATION}", {"Accept": "text/html"}, b"", id="HEAD"),
    pytest.param("POST", "", {"Accept": "text/html", "Content-Type": JSON}, json.dumps({"query": VIEWER}).encode(), id="POST accepting html"),
    pytest.param("POST", "", {"Content-Type": JSON}, json.dumps({"query": VIEWER}).encode(), id="POST json"),
    pytest.param("POST", "", {"Content-Type": "application/x-www-form-urlencoded"}, f"query={OPERATION}".encode(), id="POST form"),
    pytest.param(
        "POST",
        "",
        {"Content-Type": "multipart/form-data; boundary=x"},
        b'--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ viewer { id } }\r\n--x--\r\n',
        id="POST multipart",
    ),
    pytest.param("POST", "", {"Content-Type": "text/plain"}, json.dumps({"query": VIEWER}).encode(), id="POST text/plain"),
    pytest.param("POST", "", {"Content-Type": "application/jsonx"}, json.dumps({"query": VIEWER}).encode(), id="POST jsonx"),
    pytest.param("POST", f"query={OPERATION}", {"Accept": "text/html"}, b"", id="POST with the operation in the URL"),
]


@pytest.mark.parametrize(("method", "query_string", "headers", "body"), TOKENLESS)
def test_without_a_token_every_way_of_sending_an_operation_gets_401_before_its_body_is_read(service, method, query_string, headers, body):
    status, answer_headers, content, asked = asgi(service, method, query_string=query_string.encode(), headers=headers, body=body)
    assert status == 401, content
    assert asked == 0  # the body was never asked for
    if method != "HEAD":
        (error,) = json.loads(content)["errors"]
        assert error["extensions"] == {"code": "UNAUTHENTICATED", "requestId": answer_headers[b"x-request-id"].decode()}
    # The same request with a token is let in (it is answered, whatever the answer).
    status, _, _, _ = asgi(service, method, query_string=query_string.encode(), headers={**headers, **AUTH}, body=body)
    assert status != 401


def test_the_reported_get_no_longer_reads_data_anonymously(service):
    """Issue 14, part 1, as reported: `?%71uery=...` with Accept: text/html answered 200 with
    data; in development mode `__schema` answered fully."""
    for query in (OPERATION, SCHEMA):
        response = service.get(f"/graphql?%71uery={query}", headers={"Accept": "text/html"})
        assert response.status_code == 401 and "data" not in response.json()
    with_token = service.get(f"/graphql?%71uery={OPERATION}", headers={"Accept": "text/html", **AUTH})
    assert with_token.json() == {"data": {"viewer": {"id": "admin", "role": "ADMIN"}}}


@pytest.mark.parametrize("query_string", ["", "?", "?foo=bar", "?theme=dark&x"])
def test_graphiql_page_needs_no_token_only_where_it_is_served(tmp_path, query_string):
    tokens = tokens_file(tmp_path)
    with serve(Settings(tokens_file=tokens)) as development:
        page = development.get(f"/graphql{query_string}", headers={"Accept": "text/html"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html") and "graphiql" in page.text.lower()
    with serve(Settings(tokens_file=tokens, production=True)) as production:
        assert production.get(f"/graphql{query_string}", headers={"Accept": "text/html"}).status_code == 401
        refused = production.get(f"/graphql{query_string}", headers={"Accept": "text/html", **AUTH})
        assert refused.status_code == 404 and refused.json()["errors"][0]["extensions"]["code"] == "GRAPHIQL_DISABLED"
    with serve(Settings(tokens_file=tokens, graphiql=False)) as no_graphiql:
        assert no_graphiql.get(f"/graphql{query_string}", headers={"Accept": "text/html"}).status_code == 401


def test_a_tokenless_request_of_a_known_operation_is_not_read_by_the_lane(production):
    """The short lane for known documents (KnownOperationLane) read whole bodies before
    authenticating; it now sits behind authentication."""
    body = json.dumps({"query": VIEWER}).encode()
    for _ in range(2):  # the second time, the document is known: the lane's
        status, _, content, asked = asgi(production, "POST", headers={"Content-Type": JSON, **AUTH}, body=body)
        assert status == 200 and json.loads(content)["data"]["viewer"]["id"] == "admin" and asked == 1
    status, _, _, asked = asgi(production, "POST", headers={"Content-Type": JSON, "Content-Length": str(len(body))}, body=body)
    assert (status, asked) == (401, 0)
    status, _, _, asked = asgi(production, "POST", headers={"Content-Type": JSON, "Authorization": "Bearer ccs_wrong"}, body=body)
    assert (status, asked) == (401, 0)


# --- 6. no 500 from any input ---------------------------------------------------------------

DEEP_1000 = b"[" * 1000 + b"]" * 1000
DEEP_100000 = b"[" * 100_000 + b"]" * 100_000
DIGITS = b"1" * 5000


def variables_body(raw: bytes, query: str = "query($a: Int) { viewer { id } }") -> bytes:
    return b'{"query": ' + json.dumps(query).encode() + b', "variables": {"a": ' + raw + b"}}"


#: (body, status, code, extensions beyond code and requestId)
BAD_BODIES = [
    pytest.param(b'{"query": "\xff"}', 400, "BAD_REQUEST", {"field": "body"}, id="invalid UTF-8"),
    pytest.param(b'{"query": "\xed\xa0\x80"}', 400, "BAD_REQUEST", {"field": "body"}, id="a surrogate encoded in UTF-8"),
    pytest.param(b"\xff\xfe{\x00}\x00", 400, "BAD_REQUEST", {"field": "body"}, id="UTF-16"),
    pytest.param(DEEP_1000, 400, "BAD_REQUEST", {"field": "body", "limit": request_json.MAX_DEPTH}, id="1,000 deep"),
    pytest.param(DEEP_100000, 400, "BAD_REQUEST", {"field": "body", "limit": request_json.MAX_DEPTH}, id="100,000 deep"),
    pytest.param(b'{"a":' * 100_000 + b"1" + b"}" * 100_000, 400, "BAD_REQUEST", {"field": "body", "limit": request_json.MAX_DEPTH}, id="100,000 deep objects"),
    pytest.param(variables_body(DEEP_1000), 400, "BAD_REQUEST", {"field": "body", "limit": request_json.MAX_DEPTH}, id="1,000 deep variables"),
    pytest.param(variables_body(DIGITS), 400, "BAD_REQUEST", {"field": "body", "limit": request_json.MAX_NUMBER_CHARS}, id="5,000 digits"),
    pytest.param(variables_body(b"-" + DIGITS), 400, "BAD_REQUEST", {"field": "body", "limit": request_json.MAX_NUMBER_CHARS}, id="-5,000 digits"),
    pytest.param(variables_body(b"NaN"), 400, "BAD_REQUEST", {"field": "body", "limit": request_json.MAX_NUMBER_CHARS}, id="NaN"),
    pytest.param(variables_body(b"Infinity"), 400, "BAD_REQUEST", {"field": "body", "limit": request_json.MAX_NUMBER_CHARS}, id="Infinity"),
    pytest.param(variables_body(b"-Infinity"), 400, "BAD_REQUEST", {"field": "body", "limit": request_json.MAX_NUMBER_CHARS}, id="-Infinity"),
    pytest.param(variables_body(b"1e400"), 400, "BAD_REQUEST", {"field": "body", "limit": request_json.MAX_NUMBER_CHARS}, id="beyond a double"),
    pytest.param(b'{"query": "{ viewer { id } }", "operationName": []}', 400, "BAD_REQUEST", {"field": "operationName"}, id="operationName a list"),
    pytest.param(b'{"query": "{ viewer { id } }", "operationName": ' + DEEP_1000[:60] + DEEP_1000[-60:] + b"}", 400, "BAD_REQUEST", {"field": "body", "limit": request_json.MAX_DEPTH}, id="operationName deep"),
    pytest.param(b'{"query": "query A { viewer { id } }", "operationName": "\\ud800"}', 400, "BAD_REQUEST", {}, id="operationName a lone surrogate"),
    pytest.param(b'{"query": "{ viewer { id } } # \\ud800"}', 400, "GRAPHQL_VALIDATION_FAILED", {}, id="a lone surrogate in the document"),
    pytest.param(b'{"query": "{ viewer { \\udc00 } }"}', 400, "GRAPHQL_VALIDATION_FAILED", {}, id="a lone surrogate as a name"),
    pytest.param(b'{"query": ', 400, "BAD_REQUEST", {"field": "body"}, id="cut short"),
    pytest.param(b"", 400, "BAD_REQUEST", {"field": "body"}, id="empty"),
    pytest.param(b"\xef\xbb\xbf{}", 400, "BAD_REQUEST", {"field": "body"}, id="byte order mark"),
    pytest.param(b'"{ viewer { id } }"', 400, "BAD_REQUEST", {"field": "body"}, id="a string"),
    pytest.param(b"1", 400, "BAD_REQUEST", {"field": "body"}, id="a number"),
    pytest.param(b"null", 400, "BAD_REQUEST", {"field": "body"}, id="null"),
]


def no_traceback(caplog) -> None:
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], caplog.text


def assert_json_error(status: int, headers: dict[bytes, bytes], content: bytes, expected_status: int, code: str) -> dict:
    assert status == expected_status, content
    (error,) = json.loads(content)["errors"]  # strict: JSON a client can read
    assert isinstance(error["message"], str) and error["message"]
    assert error["extensions"]["code"] == code
    assert error["extensions"]["requestId"] == headers[b"x-request-id"].decode()
    return error


@pytest.mark.parametrize(("body", "status", "code", "extensions"), BAD_BODIES)
def test_bad_bodies_get_a_4xx_json_error_with_a_request_id_and_no_traceback(production, caplog, body, status, code, extensions):
    caplog.set_level(logging.INFO)
    headers = {"Content-Type": JSON, "Accept": GRAPHQL_RESPONSE, **AUTH}
    for _ in range(2):  # the second time through the lane, should it take the document
        answer = asgi(production, "POST", headers=headers, body=body)
        error = assert_json_error(*answer[:3], status, code)
        assert {k: v for k, v in error["extensions"].items() if k not in ("code", "requestId")} == extensions
    no_traceback(caplog)


def test_a_json_error_names_the_part_the_limit_and_where_it_went_wrong(production):
    answer = production.post("/graphql", content=variables_body(DIGITS), headers={"Content-Type": JSON, **AUTH})
    assert answer.json()["errors"][0]["message"] == (
        "body holds a number this service does not accept: 11111111111111111111…. "
        "Numbers must be finite and at most 100 characters long."
    )
    answer = production.post("/graphql", content=b'{"query": }', headers={"Content-Type": JSON, "Accept-Language": "cs", **AUTH})
    assert answer.json()["errors"][0]["message"] == "body není platný JSON: chyba je na řádku 1, ve sloupci 11."
    answer = production.post("/graphql", content=DEEP_1000, headers={"Content-Type": JSON, "Accept-Language": "de", **AUTH})
    assert answer.json()["errors"][0]["message"] == (
        "body verschachtelt Arrays und Objekte tiefer als 32 Ebenen, das Höchstmaß, das dieser Dienst annimmt."
    )


@pytest.mark.parametrize(
    ("name", "raw", "code", "extensions"),
    [
        ("variables", b"%7B%22a%22%3A" + DIGITS + b"%7D", "BAD_REQUEST", {"field": "variables", "limit": request_json.MAX_NUMBER_CHARS}),
        ("variables", b"%7B%22a%22%3ANaN%7D", "BAD_REQUEST", {"field": "variables", "limit": request_json.MAX_NUMBER_CHARS}),
        ("variables", b"%5B" * 1000 + b"%5D" * 1000, "BAD_REQUEST", {"field": "variables", "limit": request_json.MAX_DEPTH}),
        ("variables", b"%7B%22a%22%3A", "BAD_REQUEST", {"field": "variables"}),
        ("extensions", b"%7B%22a%22%3A" + DIGITS + b"%7D", "BAD_REQUEST", {"field": "extensions", "limit": request_json.MAX_NUMBER_CHARS}),
        ("extensions", b"%7B", "BAD_REQUEST", {"field": "extensions"}),
        # Percent-escapes that are not UTF-8 are read as U+FFFD (Starlette): a string, which Int refuses.
        ("variables", b"%7B%22a%22%3A%22%ff%22%7D", "GRAPHQL_VALIDATION_FAILED", {}),
    ],
)
def test_bad_json_in_get_parameters_gets_a_4xx_naming_the_parameter(production, caplog, name, raw, code, extensions):
    caplog.set_level(logging.INFO)
    query_string = b"query=query(%24a%3AInt)%7Bviewer%7Bid%7D%7D&" + name.encode() + b"=" + raw
    answer = asgi(production, "GET", query_string=query_string, headers={"Accept": GRAPHQL_RESPONSE, **AUTH})
    error = assert_json_error(*answer[:3], 400, code)
    assert {k: v for k, v in error["extensions"].items() if k not in ("code", "requestId")} == extensions
    no_traceback(caplog)


@pytest.mark.parametrize(
    "content_type",
    ["application/jsonx", "application/json-patch+json", "application/jsonx; charset=utf-8", "text/json", "application/graphql", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application", "json"],
)
def test_a_content_type_that_is_not_exactly_json_gets_415_naming_application_json(production, content_type):
    answer = production.post("/graphql", content=json.dumps({"query": VIEWER}), headers={"Content-Type": content_type, **AUTH})
    assert answer.status_code == 415, answer.text
    (error,) = answer.json()["errors"]
    assert error["extensions"] == {"code": "UNSUPPORTED_MEDIA_TYPE", "field": "Content-Type", "requestId": answer.headers["x-request-id"]}
    assert "application/json" in error["message"] and content_type in error["message"]


def test_a_post_without_a_content_type_gets_415(production):
    status, headers, content, _ = asgi(production, "POST", headers=AUTH, body=json.dumps({"query": VIEWER}).encode())
    error = assert_json_error(status, headers, content, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert error["message"] == "A POST body must be JSON sent with Content-Type: application/json; this request has no Content-Type."


def test_the_415_follows_accept_language(production):
    answer = production.post("/graphql", content=b"{}", headers={"Content-Type": "application/jsonx", "Accept-Language": "nb", **AUTH})
    assert answer.json()["errors"][0]["message"] == (
        "Innholdet i en POST må være JSON sendt med Content-Type: application/json; "
        "denne forespørselen har Content-Type application/jsonx."
    )


@pytest.mark.parametrize(
    "content_type", ["application/json", "Application/JSON", "application/json; charset=utf-8", "application/json;charset=UTF-8", "application/json ; charset=utf-8"]
)
def test_json_with_parameters_or_in_any_case_is_json(production, content_type):
    answer = production.post("/graphql", content=json.dumps({"query": VIEWER}), headers={"Content-Type": content_type, **AUTH})
    assert answer.json() == {"data": {"viewer": {"id": "admin", "role": "ADMIN"}}}


def test_every_front_door_message_is_in_every_language_with_the_same_placeholders():
    def placeholders(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for key, texts in front_door.MESSAGES.items():
        assert set(texts) == set(SUPPORTED), key
        assert len({frozenset(placeholders(text)) for text in texts.values()}) == 1, key


# --- arbitrary bytes ------------------------------------------------------------------------

JSONISH = st.lists(
    st.sampled_from(
        [b"{", b"}", b"[", b"]", b":", b",", b'"', b'"query"', b'"variables"', b'"operationName"', b'"extensions"',
         b'"{ viewer { id } }"', b'"query($a: Int) { viewer { id } }"', b'"a"', b"null", b"true", b"1", b"-", b"1e999",
         b"1" * 120, b"NaN", b"Infinity", b"\\ud800", b"\\u0000", b"\xff", b"\xed\xa0\x80", b"\xc3\xa9", b"[" * 40, b"]" * 40]
    ),
    max_size=40,
).map(b"".join)

QUERY_STRINGISH = st.lists(
    st.sampled_from(
        [b"query=", b"QUERY=", b"%71uery=", b"variables=", b"operationName=", b"extensions=", b"&", b";", b"=", b"+", b"%",
         b"%7B", b"%7D", b"%5B" * 40, b"%22a%22", b"%3A", b"viewer", b"id", b"1" * 120, b"NaN", b"%ff", b"%ed%a0%80", b"%00",
         b"\xff", b" ", b"#", b"__schema", b"mutation"]
    ),
    max_size=30,
).map(b"".join)

CONTENT_TYPES = [JSON, "application/json; charset=utf-8", "application/jsonx", "text/plain", "application/x-www-form-urlencoded",
                 "multipart/form-data; boundary=x", "", "application/graphql-response+json"]


def assert_answered_as_the_service_answers(status: int, headers: dict[bytes, bytes], content: bytes) -> None:
    """Below 500, with a request id; JSON that is either an answer of GraphQL or errors that
    each carry a code and the request id."""
    assert status < 500, content
    request_id = headers[b"x-request-id"].decode()
    answer = json.loads(content)
    entries = answer if isinstance(answer, list) else [answer]  # a batch answers a list
    for entry in entries:
        assert "data" in entry or entry.get("errors"), entry
        for error in entry.get("errors") or []:
            assert isinstance(error["message"], str)
            assert isinstance(error["extensions"]["code"], str) and error["extensions"]["requestId"] == request_id, error


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.one_of(st.binary(max_size=200), JSONISH), content_type=st.sampled_from(CONTENT_TYPES))
@example(body=b'{"query": "\xff"}', content_type=JSON)
@example(body=b'{"query": "{ viewer { id } }", "operationName": []}', content_type=JSON)
@example(body=b'""', content_type=JSON)  # it once was a 500: a body that is JSON but no object
def test_arbitrary_bytes_as_a_body_are_never_a_500(production, body, content_type):
    headers = {"Accept": GRAPHQL_RESPONSE, **AUTH}
    if content_type:
        headers["Content-Type"] = content_type
    assert_answered_as_the_service_answers(*asgi(production, "POST", headers=headers, body=body)[:3])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(query_string=st.one_of(st.binary(max_size=200), QUERY_STRINGISH), accept=st.sampled_from([JSON, GRAPHQL_RESPONSE, "*/*"]))
@example(query_string=b"query=query(%24a%3AInt)%7Bviewer%7Bid%7D%7D&variables=%7B%22a%22%3A" + DIGITS + b"%7D", accept=JSON)
def test_arbitrary_bytes_as_a_query_string_are_never_a_500(production, query_string, accept):
    answer = asgi(production, "GET", query_string=query_string, headers={"Accept": accept, **AUTH})
    assert_answered_as_the_service_answers(*answer[:3])


# --- the same over the real server ----------------------------------------------------------


@pytest.fixture(scope="module")
def real_server(tmp_path_factory) -> Iterator[str]:
    with running_server("--production", "--tokens-file", tokens_file(tmp_path_factory.mktemp("real"))) as base:
        yield base


@pytest.mark.parametrize(
    "request_line",
    [
        f"GET /graphql?%71uery={OPERATION} HTTP/1.1",
        f"GET /graphql?%51uery={OPERATION} HTTP/1.1",
        f"GET /graphql?QUERY={OPERATION} HTTP/1.1",
        f"GET /graphql?x=1;query={OPERATION} HTTP/1.1",
        f"GET /graphql?query={OPERATION}&query={OPERATION} HTTP/1.1",
        "GET /graphql HTTP/1.1",
    ],
)
def test_over_the_real_server_a_tokenless_get_gets_401(real_server, request_line):
    """As issue 14 sent it: raw bytes on a socket, so no client library re-encodes the URL."""
    host, port = real_server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"{request_line}\r\nHost: x\r\nAccept: text/html\r\n\r\n".encode())
        response = HTTPResponse(sock, method="GET")
        response.begin()
        assert response.status == 401
        assert json.loads(response.read())["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        sock.sendall(f"{request_line}\r\nHost: x\r\nAccept: text/html\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode())
        response = HTTPResponse(sock, method="GET")
        response.begin()
        assert response.status != 401
        response.read()
