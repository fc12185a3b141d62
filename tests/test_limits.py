"""Limits on requests, each answered with a clear top-level error (a code, the limit, a request
id) and never with a 500; production mode; the per-request timeout."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import graphql
import pytest
from starlette.testclient import TestClient

from plugins.memory import MemoryStore
from service.app import create_app
from service.hookspecs import hookimpl
from service.settings import ConfigurationError, Settings, parse
from service.storage import StorageBackend

from .helpers import make_client

GRAPHQL_RESPONSE = "application/graphql-response+json"


def post(http: TestClient, body, **headers):
    return http.post("/graphql", json=body, headers=headers)


def only_error(response) -> dict:
    """The single top-level error of a request that was refused as a whole."""
    body = response.json()
    assert body.get("data") is None, body
    (error,) = body["errors"]
    assert error["extensions"]["requestId"] == response.headers["x-request-id"], (error, response.headers)
    return error


@contextlib.contextmanager
def serve(**settings) -> Iterator[TestClient]:
    """The service with these settings (and the slow store below), over HTTP."""
    with TestClient(create_app(Settings(**settings), extra_plugins=[Slow()])) as http:
        yield http


# --- depth ----------------------------------------------------------------------------------

# A page of one: messageRecipients counts as 1,000 contacts in the result-size estimate
# (QUERY_TOO_COSTLY, tests/test_cpu_budget.py), which is not what these test.
DEPTH_5 = "{ customers(first: 1) { edges { node { messageRecipients { id } } } } }"
DEPTH_6 = "{ customers(first: 1) { edges { node { messageRecipients { customer { id } } } } } }"
DEPTH_6_THROUGH_FRAGMENTS = """
query Deep { customers(first: 1) { ...Connection } }
fragment Connection on CustomerConnection { edges { node { ... on Customer { ...Recipients } } } }
fragment Recipients on Customer { messageRecipients { customer { id } } }
"""


def test_depth_up_to_the_limit_is_served_and_deeper_is_refused():
    with serve(max_query_depth=5) as client:
        assert post(client, {"query": DEPTH_5}).json() == {"data": {"customers": {"edges": []}}}
        for query in (DEPTH_6, DEPTH_6_THROUGH_FRAGMENTS):
            response = post(client, {"query": query}, **{"Accept-Language": "de"})
            assert response.status_code == 200
            error = only_error(response)
            assert error["extensions"]["code"] == "QUERY_TOO_DEEP"
            assert error["extensions"]["limit"] == 5
            assert "6 Ebenen" in error["message"] and "höchstens 5" in error["message"]


def test_graphiqls_schema_query_passes_the_default_limits(gql):
    # GraphiQL's introspection query nests 15 deep: introspection is exempt from the depth
    # limit (graphql-core's MaxIntrospectionDepthRule bounds it instead).
    query = graphql.get_introspection_query(descriptions=True, input_value_deprecation=True)
    data = gql(query)
    assert data["__schema"]["queryType"]["name"] == "Query"


def test_introspection_fan_out_is_still_refused(gql):
    deep = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    body = gql.raw(deep)
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "introspection depth" in body["errors"][0]["message"].lower()


# --- aliases --------------------------------------------------------------------------------


def test_aliases_are_counted_per_operation_through_fragments():
    with serve(max_aliases=3) as client:
        ok = "{ a: customers { totalCount } b: customers { totalCount } c: openList { totalCount } }"
        assert "errors" not in post(client, {"query": ok}).json()
        too_many = """
        { a: customers { ...Count } b: customers { ...Count } }
        fragment Count on CustomerConnection { n: totalCount }
        """  # a, b, and n once per spread: 4
        error = only_error(post(client, {"query": too_many}))
        assert error["extensions"] == {"code": "TOO_MANY_ALIASES", "limit": 3, "requestId": error["extensions"]["requestId"]}
        assert "4 aliases" in error["message"] and "at most 3" in error["message"]
        # Each operation of a document has its own budget: three aliases in each of two is fine.
        two = "query A { a: openList { n: totalCount } b: openList { totalCount } } query B { a: openList { n: totalCount } b: __typename }"
        assert post(client, {"query": two, "operationName": "B"}).json() == {"data": {"a": {"n": 0}, "b": "Query"}}


def test_fragments_spread_into_fragments_are_measured_in_linear_time():
    # 40 fragments, each spreading the next twice, expand to 2^40 aliased fields: walking
    # every expansion (as Strawberry's own limiters do) would never finish. The validation
    # budget refuses this document first (QUERY_TOO_COMPLEX: tests/test_cpu_budget.py), so it
    # is lifted here to reach the alias count, which must be linear too.
    n = 40
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n)]
    fragments.append(f"fragment F{n} on Query {{ alias: __typename }}")
    query = "{ ...F0 }\n" + "\n".join(fragments)
    with serve(max_query_complexity=10**30) as client:
        started = time.monotonic()
        body = post(client, {"query": query}).json()
        assert time.monotonic() - started < 2
    assert body["errors"][0]["extensions"]["code"] == "TOO_MANY_ALIASES"
    assert f"{2**n:,} aliases" in body["errors"][0]["message"]


def test_fragment_cycles_are_a_validation_error_not_a_hang(gql):
    query = "{ ...A } fragment A on Query { openList { totalCount } ...B } fragment B on Query { ...A }"
    body = gql.raw(query)
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes == {"GRAPHQL_VALIDATION_FAILED"}
    assert any("Cannot spread fragment" in e["message"] for e in body["errors"])


# --- tokens ---------------------------------------------------------------------------------


def test_documents_with_too_many_tokens_are_refused_before_parsing_finishes():
    with serve(max_query_tokens=20) as client:
        assert "errors" not in post(client, {"query": "{ customers { totalCount } openList { totalCount } }"}).json()
        for query in (
            "{ " + "__typename " * 30 + "}",
            "{ __typename }" + "\n# a comment" * 30,  # comments count too
        ):
            response = post(client, {"query": query}, **{"Accept-Language": "cs"})
            error = only_error(response)
            assert error["extensions"]["code"] == "QUERY_TOO_LARGE"
            assert error["extensions"]["limit"] == 20
            assert "více než 20 tokenů" in error["message"]
        # A syntax error within the limit is still a syntax error.
        error = only_error(post(client, {"query": "{ customers { "}))
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED" and "Syntax Error" in error["message"]


# --- batches --------------------------------------------------------------------------------


def test_batches_up_to_the_limit_are_served_and_larger_ones_refused_with_400():
    with serve(max_batch_size=2) as client:
        one = {"query": "{ openList { totalCount } }"}
        response = post(client, [one, {"query": "query Q($n: Int) { customers(first: $n) { totalCount } }", "variables": {"n": 1}}])
        assert response.status_code == 200
        assert response.json() == [{"data": {"openList": {"totalCount": 0}}}, {"data": {"customers": {"totalCount": 0}}}]

        response = post(client, [one, one, one], **{"Accept-Language": "nb"})
        assert response.status_code == 400 and response.headers["content-type"].startswith("application/json")
        error = only_error(response)
        assert error["extensions"]["code"] == "BATCH_TOO_LARGE" and error["extensions"]["limit"] == 2
        assert "3 operasjoner" in error["message"] and "høyst 2" in error["message"]


@pytest.mark.parametrize("batch", [[], [1], ["{ __typename }"], [{"query": 5}], [{"query": "{ __typename }", "variables": []}]])
def test_malformed_batches_are_a_400_with_a_json_error(gql, batch):
    response = gql.http.post("/graphql", json=batch)
    assert response.status_code == 400
    assert only_error(response)["extensions"]["code"] == "BAD_REQUEST"


# --- introspection and production mode ------------------------------------------------------

INTROSPECTION = ["{ __schema { queryType { name } } }", '{ __type(name: "Customer") { name } }']


@pytest.mark.parametrize("query", INTROSPECTION)
def test_introspection_can_be_turned_off(query):
    with serve(introspection=False) as client:
        error = only_error(post(client, {"query": query}))
        assert error["extensions"]["code"] == "INTROSPECTION_DISABLED"
        assert error["message"].startswith("Introspection is turned off")
        # __typename is not introspection; GraphiQL is still served (even if it cannot load the schema).
        assert post(client, {"query": "{ __typename }"}).json() == {"data": {"__typename": "Query"}}
        assert client.get("/graphql", headers={"Accept": "text/html"}).status_code == 200


def test_production_mode_serves_no_graphiql_and_no_introspection():
    with serve(production=True, graphiql=True, introspection=True) as client:
        page = client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 404
        assert only_error(page)["extensions"]["code"] == "GRAPHIQL_DISABLED"
        for query in INTROSPECTION:
            assert only_error(post(client, {"query": query}))["extensions"]["code"] == "INTROSPECTION_DISABLED"
        assert post(client, {"query": "{ openList { totalCount } }"}).json() == {"data": {"openList": {"totalCount": 0}}}


def test_production_mode_wins_over_graphiql_and_introspection_flags():
    s = parse(["--production", "--graphiql", "--introspection"], environ={})
    assert (s.serves_graphiql, s.allows_introspection) == (False, False)
    s = parse([], environ={"CUSTOMER_CONTEXT_PRODUCTION": "false"})
    assert (s.serves_graphiql, s.allows_introspection) == (True, True)


# --- body size ------------------------------------------------------------------------------


def test_too_large_bodies_get_413_and_the_service_serves_the_next_request():
    with serve(max_body_bytes=2000) as client:
        small = {"query": "{ openList { totalCount } }"}
        large = {"query": "{ openList { totalCount } }", "variables": {"padding": "x" * 3000}}
        response = post(client, large, **{"Accept-Language": "sk"})  # with Content-Length
        assert response.status_code == 413
        error = only_error(response)
        assert error["extensions"]["code"] == "REQUEST_TOO_LARGE" and error["extensions"]["limit"] == 2000
        assert "2\u00a0000 bajtov" in error["message"]  # grouped with a no-break space
        assert post(client, small).json() == {"data": {"openList": {"totalCount": 0}}}

        def chunks():  # no Content-Length: counted while it streams
            yield b'{"query": "{ openList { totalCount } }", "variables": {"padding": "'
            for _ in range(10):
                yield b"x" * 500
            yield b'"}}'

        response = client.post("/graphql", content=chunks(), headers={"Content-Type": "application/json"})
        assert response.status_code == 413 and only_error(response)["extensions"]["code"] == "REQUEST_TOO_LARGE"
        assert post(client, small).json() == {"data": {"openList": {"totalCount": 0}}}
        # At the limit is fine.
        exact = b'{"query": "{ openList { totalCount } }"}'
        exact = exact[:-1] + b" " * (2000 - len(exact)) + b"}"
        response = client.post("/graphql", content=exact, headers={"Content-Type": "application/json"})
        assert response.status_code == 200 and response.json() == {"data": {"openList": {"totalCount": 0}}}


# --- timeout --------------------------------------------------------------------------------


class SlowStore(MemoryStore):
    """Searching for "slow" hangs (until cancelled); creating a customer named "Slow" takes
    half a second."""

    started = threading.Event()
    cancelled = threading.Event()

    async def search_customers(self, tokens, *, first, after):
        if "slow" in tokens:
            SlowStore.started.set()
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                SlowStore.cancelled.set()
                raise
        return await super().search_customers(tokens, first=first, after=after)

    async def insert_customer(self, customer):
        if customer.last_name == "Slow":
            await asyncio.sleep(0.5)
        await super().insert_customer(customer)


class Slow:
    @hookimpl
    def storage_backends(self):
        return [StorageBackend("slow", SlowStore)]


SLOW_QUERY = {"query": '{ customers(search: "slow") { totalCount } }'}


def test_a_slow_request_times_out_and_does_not_stall_the_others():
    with serve(backend="slow", request_timeout_seconds=1.0) as client:
        SlowStore.started.clear()
        SlowStore.cancelled.clear()
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(post, client, SLOW_QUERY)
            assert SlowStore.started.wait(5)
            fast = post(client, {"query": "{ openList { totalCount } customers { totalCount } }"})
            assert fast.json() == {"data": {"openList": {"totalCount": 0}, "customers": {"totalCount": 0}}}
            assert not slow.done()  # served while the slow one was still waiting
            response = slow.result(timeout=10)
        assert response.status_code == 200
        error = only_error(response)
        assert error["extensions"]["code"] == "TIMEOUT" and error["extensions"]["limit"] == 1.0
        assert error["message"] == "The request took longer than its time limit (1 s) and was stopped."
        assert SlowStore.cancelled.wait(5)  # the query was stopped, not left running


def test_a_timeout_is_a_504_request_error_for_graphql_response_json_clients():
    with serve(backend="slow", request_timeout_seconds=0.2) as client:
        response = post(client, SLOW_QUERY, Accept=GRAPHQL_RESPONSE)
        assert response.status_code == 504 and response.headers["content-type"] == GRAPHQL_RESPONSE
        assert "data" not in response.json()
        assert only_error(response)["extensions"]["code"] == "TIMEOUT"


def test_a_timed_out_mutation_is_left_to_finish():
    with serve(backend="slow", request_timeout_seconds=0.2) as client:
        create = {
            "query": "mutation { createCustomer(input: {lastName: \"Slow\"}) { __typename } }",
        }
        error = only_error(post(client, create))
        assert error["extensions"]["code"] == "TIMEOUT"
        assert "check its outcome before retrying" in error["message"]
        deadline = time.monotonic() + 5
        count = {"query": "{ customers { totalCount } }"}
        while post(client, count).json()["data"]["customers"]["totalCount"] != 1:
            assert time.monotonic() < deadline, "the mutation never finished"
            time.sleep(0.05)


# --- settings -------------------------------------------------------------------------------


def test_limit_defaults():
    s = parse([], environ={})
    assert (s.max_query_depth, s.max_aliases, s.max_query_tokens, s.max_batch_size, s.max_body_bytes) == (
        12,
        30,
        2000,
        10,
        1_000_000,
    )
    assert (s.request_timeout_seconds, s.production, s.introspection) == (30.0, False, True)
    assert (s.tokens_file, s.customer_accounts) == ("", True)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--max-query-depth", "0"], "max query depth must be at least 1"),
        (["--max-aliases", "-1"], "max aliases must be at least 0"),
        (["--max-query-tokens", "0"], "max query tokens must be at least 1"),
        (["--max-batch-size", "0"], "max batch size must be at least 1"),
        (["--max-body-bytes", "0"], "max body bytes must be at least 1"),
        (["--request-timeout-seconds", "0"], "request timeout seconds must be a positive number"),
        (["--request-timeout-seconds", "nan"], "request timeout seconds must be a positive number"),
        (["--request-timeout-seconds", "soon"], "--request-timeout-seconds must be a number"),
    ],
)
def test_bad_limits_are_named(argv, message):
    with pytest.raises(ConfigurationError, match=message):
        parse(argv, environ={})


def test_limits_apply_through_make_client_too():
    for gql in make_client(Settings(max_query_depth=2)):
        body = gql.raw(DEPTH_5)
        assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"


def test_every_query_in_the_docs_passes_the_default_limits():
    from service.schema.limits import _Measure

    from .test_docs import GRAPHQL_BLOCKS

    defaults = Settings()
    for label, source in GRAPHQL_BLOCKS:
        document = graphql.parse(source, max_tokens=defaults.max_query_tokens)
        measure = _Measure(document)
        for operation in document.definitions:
            if isinstance(operation, graphql.OperationDefinitionNode):
                assert measure.depth(operation.selection_set) <= defaults.max_query_depth, label
                assert measure.aliases(operation.selection_set) <= defaults.max_aliases, label
