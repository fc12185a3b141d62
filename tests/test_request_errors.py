"""Top-level errors carry a code and a request id, and never internals."""

from __future__ import annotations

import logging

from starlette.testclient import TestClient

from plugins.memory import MemoryStore
from service.app import create_app
from service.hookspecs import hookimpl
from service.settings import Settings
from service.storage import StorageBackend


class BuggyStore(MemoryStore):
    async def search_customers(self, tokens, *, first, after):
        raise ZeroDivisionError("secret internals: password=hunter2")


class Buggy:
    @hookimpl
    def storage_backends(self):
        return [StorageBackend("buggy", BuggyStore)]


def test_a_bug_is_masked_with_a_request_id_that_is_also_in_the_log(caplog):
    app = create_app(Settings(backend="buggy"), extra_plugins=[Buggy()])
    with TestClient(app) as http, caplog.at_level(logging.ERROR):
        response = http.post("/graphql", json={"query": "{ customers { totalCount } }"}, headers={"Accept-Language": "de"})
    assert response.status_code == 200
    error = response.json()["errors"][0]
    request_id = error["extensions"]["requestId"]
    assert error["extensions"]["code"] == "INTERNAL_ERROR"
    assert request_id in error["message"]
    assert "hunter2" not in response.text and "ZeroDivisionError" not in response.text
    assert response.headers["x-request-id"] == request_id
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].exc_info[0] is ZeroDivisionError


def test_request_ids_are_taken_from_the_caller_when_sane(gql):
    http = gql.http
    r = http.post("/graphql", json={"query": "{ nope }"}, headers={"X-Request-Id": "abc-123"})
    error = r.json()["errors"][0]
    assert r.headers["x-request-id"] == "abc-123"
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED", "requestId": "abc-123"}
    r = http.post("/graphql", json={"query": "{ nope }"}, headers={"X-Request-Id": "<script>"})
    assert r.headers["x-request-id"] != "<script>" and len(r.headers["x-request-id"]) == 32


def test_syntax_errors_have_a_code(gql):
    body = gql.raw("{ customers { ")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
