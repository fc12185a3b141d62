"""GraphQL over HTTP as the specification says: graphql-http's server audit (the reference
implementation's, run by node from tests/js) against the real server, and the media types
and status codes behind it, through the ASGI app."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from plugins.memory import MemoryStore
from service.app import create_app, response_media_type
from service.hookspecs import hookimpl
from service.settings import Settings
from service.storage import StorageBackend

from .helpers import npm_dependencies
from .server import ROOT

JS = ROOT / "tests" / "js"
GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


# --- the audit against the real server ------------------------------------------------------


@pytest.fixture(scope="module")
def audit(request) -> dict:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the GraphQL-over-HTTP audit runs graphql-http on Node.js: {' and '.join(missing)} not on PATH")
    npm_dependencies()
    server = request.getfixturevalue("server")
    result = subprocess.run(
        ["node", "audit.mjs", server + "/graphql"], cwd=JS, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"node audit.mjs failed:\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout)


def _failures(audit: dict, status: str) -> str:
    return "\n".join(
        f"  {r['id']} {r['name']}: {r['reason']} (answered {r['response']['status']} "
        f"{r['response']['contentType']}: {r['response']['body'][:200]})"
        for r in audit["results"]
        if r["status"] == status
    )


def test_the_audit_ran(audit):
    assert len(audit["results"]) > 50 and sum(audit["counts"].values()) == len(audit["results"]), audit["counts"]
    assert audit["counts"]["ok"] > 0


def test_no_must_fails(audit):
    assert audit["counts"]["error"] == 0, "MUSTs of GraphQL over HTTP the server does not meet:\n" + _failures(audit, "error")


def test_no_should_is_missed(audit):
    assert audit["counts"]["warn"] == 0, "SHOULDs of GraphQL over HTTP the server misses:\n" + _failures(audit, "warn")


def test_no_may_is_missed_either(audit):
    assert audit["counts"]["notice"] == 0, "MAYs the server does not do:\n" + _failures(audit, "notice")


# --- media types and status codes, through the ASGI app --------------------------------------


@pytest.mark.parametrize(
    "accept, expected",
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        (JSON, JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, {JSON};q=0.9", GRAPHQL_RESPONSE),
        (f"{JSON}, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),  # as much as application/json: the spec's own
        (f"{GRAPHQL_RESPONSE};q=0.5, {JSON}", JSON),
        (f"{GRAPHQL_RESPONSE};q=0, */*", JSON),
        (f"{GRAPHQL_RESPONSE}, */*;q=0.1", GRAPHQL_RESPONSE),
        ("text/html", JSON),  # names neither: legacy clients get application/json
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSON),
    ],
)
def test_response_media_type(accept, expected):
    assert response_media_type(accept) == expected


class BuggyStore(MemoryStore):
    async def list_open_list_entries(self, *, agent_id, first, after):
        raise RuntimeError("secret internals")


class Buggy:
    @hookimpl
    def storage_backends(self):
        return [StorageBackend("buggy", BuggyStore)]


@pytest.fixture(scope="module")
def http() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(backend="buggy"), extra_plugins=[Buggy()])) as client:
        yield client


REQUEST_ERRORS = {
    "parse": {"query": "{"},
    "validation": {"query": "{ noSuchField }"},
    "variables": {"query": "query Q($n: Int!) { customers(first: $n) { totalCount } }", "variables": {"n": "many"}},
}


@pytest.mark.parametrize("kind", REQUEST_ERRORS)
def test_request_errors_are_400_without_data_for_graphql_response_json(http, kind):
    response = http.post("/graphql", json=REQUEST_ERRORS[kind], headers={"Accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    body = response.json()
    assert "data" not in body and body["errors"][0]["extensions"]["requestId"] == response.headers["x-request-id"]


@pytest.mark.parametrize("kind", REQUEST_ERRORS)
def test_request_errors_are_200_with_null_data_for_application_json(http, kind):
    response = http.post("/graphql", json=REQUEST_ERRORS[kind], headers={"Accept": JSON})
    assert response.status_code == 200 and response.headers["content-type"] == JSON
    assert response.json()["data"] is None


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
def test_field_errors_keep_200_and_their_data(http, accept):
    response = http.post(
        "/graphql", json={"query": "{ customers { totalCount } openList { totalCount } }"}, headers={"Accept": accept}
    )
    assert response.status_code == 200 and response.headers["content-type"] == accept
    body = response.json()
    # openList is non-null, so its error nulls all of `data`: still a field error (it has a
    # path), not a request error.
    assert "data" in body and body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_ERROR" and body["errors"][0]["path"] == ["openList"]
    assert "secret" not in response.text


def test_malformed_requests_get_a_json_error_in_the_negotiated_media_type(http):
    response = http.post("/graphql", content=b'{"query": ', headers={"Content-Type": JSON, "Accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400 and response.headers["content-type"] == GRAPHQL_RESPONSE
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_REQUEST", "requestId": response.headers["x-request-id"], "field": "body"}
    assert error["message"] == "body is not valid JSON: it goes wrong at line 1, column 11."
    response = http.post("/graphql", content=b"{ __typename }", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415 and response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_a_mutation_over_get_is_405(http):
    response = http.get("/graphql", params={"query": "mutation { __typename }"}, headers={"Accept": JSON})
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    response = http.get("/graphql", params={"query": "{ __typename }"}, headers={"Accept": GRAPHQL_RESPONSE})
    assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}
