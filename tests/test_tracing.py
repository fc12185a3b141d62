"""OpenTelemetry traces (service/tracing.py, --otel): a span per operation, joined to the
caller's `traceparent`, with the store's calls beneath, whichever path ran the operation (the
known-operation lane, the fast path, Strawberry's path); nothing of OpenTelemetry is
imported without --otel. Spans are read from the SDK's InMemorySpanExporter."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.testclient import TestClient

from service.app import create_app
from service.settings import Settings

from .server import ROOT

EXPORTER = InMemorySpanExporter()

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"

SCREEN_POP = (
    "query ScreenPop($phone: String!) { matchCustomers(identity: {phone: $phone}, limit: 1) "
    "{ score customer { id displayName } } }"
)
CREATE = 'mutation Create { createCustomer(input: {firstName: "Jana", phones: [{number: "601 222 333"}]}) { __typename } }'


@pytest.fixture(scope="module", autouse=True)
def provider() -> None:
    # The process's one tracer provider (OpenTelemetry lets it be set once): the service
    # uses the provider it finds, as it would one set by opentelemetry-instrument.
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
        trace.set_tracer_provider(provider)
    assert isinstance(trace.get_tracer_provider(), TracerProvider)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    EXPORTER.clear()
    yield EXPORTER


def operations(finished) -> list:
    return [s for s in finished if s.kind is trace.SpanKind.SERVER]


def children(finished, parent) -> list[str]:
    return sorted(s.name for s in finished if s.parent is not None and s.parent.span_id == parent.context.span_id)


def descendants(finished, ancestor) -> list[str]:
    found, frontier = [], [ancestor]
    while frontier:
        span = frontier.pop()
        below = [s for s in finished if s.parent is not None and s.parent.span_id == span.context.span_id]
        found += [s.name for s in below]
        frontier += below
    return sorted(found)


def test_screen_pops_are_traced_from_the_callers_trace_also_on_the_lane(spans, lane):
    with TestClient(create_app(Settings(otel=True))) as http:
        assert http.post("/graphql", json={"query": CREATE}).status_code == 200
        spans.clear()
        lane.clear()
        for _ in range(2):
            response = http.post(
                "/graphql",
                json={"query": SCREEN_POP, "variables": {"phone": "601222333"}},
                headers={"traceparent": TRACEPARENT, "X-Request-Id": "pop-1"},
            )
            assert response.json()["data"]["matchCustomers"][0]["score"] > 0
    assert lane == [False, True]  # the second took the lane
    finished = spans.get_finished_spans()
    pops = operations(finished)
    assert [s.name for s in pops] == ["query ScreenPop", "query ScreenPop"]
    for pop in pops:
        assert format(pop.context.trace_id, "032x") == TRACE_ID
        assert pop.parent is not None and format(pop.parent.span_id, "016x") == PARENT_ID and pop.parent.is_remote
        assert pop.attributes["graphql.operation.name"] == "ScreenPop"
        assert pop.attributes["graphql.operation.type"] == "query"
        assert pop.attributes["http.response.status_code"] == 200
        assert pop.attributes["customer_context.request_id"] == "pop-1"
        assert pop.attributes["customer_context.outcome"] == "ok"
        # The resolvers that work are its children, the store's calls theirs.
        assert children(finished, pop) == ["resolve MatchCandidate.customer", "resolve Query.matchCustomers"]
        (resolver,) = [s for s in finished if s.name == "resolve Query.matchCustomers" and s.parent.span_id == pop.context.span_id]
        assert "store.find_customers_by_identifiers" in descendants(finished, resolver)
        assert "store.get_customers" in descendants(finished, pop)
        for store_span in (s for s in finished if s.name.startswith("store.")):
            assert store_span.kind is trace.SpanKind.CLIENT and store_span.context.trace_id == pop.context.trace_id


@pytest.mark.parametrize("fastpath", [True, False], ids=["fast path", "strawberry path"])
def test_a_mutation_without_traceparent_starts_a_trace_with_its_store_calls(spans, fastpath):
    with TestClient(create_app(Settings(otel=True, fastpath=fastpath))) as http:
        assert http.post("/graphql", json={"query": CREATE}).json()["data"]["createCustomer"]["__typename"] == "CreateCustomerSuccess"
    finished = spans.get_finished_spans()
    (create,) = operations(finished)
    assert create.name == "mutation Create" and create.parent is None
    assert children(finished, create) == ["resolve Mutation.createCustomer"]
    assert "store.insert_customer" in descendants(finished, create)


def test_a_request_error_marks_its_span(spans):
    with TestClient(create_app(Settings(otel=True))) as http:
        body = http.post("/graphql", json={"query": "query Broken { nothing }"}).json()
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    (broken,) = operations(spans.get_finished_spans())
    assert broken.status.status_code is trace.StatusCode.ERROR
    assert broken.attributes["customer_context.outcome"] == "error"
    assert list(broken.attributes["customer_context.error_codes"]) == ["GRAPHQL_VALIDATION_FAILED"]


def test_without_otel_nothing_is_traced_or_imported(spans):
    # This process's resolvers were wrapped by the tests above: an app without --otel
    # still makes no span.
    with TestClient(create_app(Settings())) as http:
        assert http.post("/graphql", json={"query": CREATE}).status_code == 200
    assert spans.get_finished_spans() == ()
    probe = (
        "import sys\n"
        "from starlette.testclient import TestClient\n"
        "from service.app import create_app\n"
        "from service.settings import Settings\n"
        "with TestClient(create_app(Settings())) as http:\n"
        "    assert http.post('/graphql', json={'query': '{ openList { totalCount } }'}).status_code == 200\n"
        "print(sorted(name for name in sys.modules if name.startswith('opentelemetry')))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_otel_without_the_extra_stops_startup_naming_it(monkeypatch):
    from service.settings import ConfigurationError

    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # as if the extra were not installed
    with pytest.raises(ConfigurationError, match=r"--otel needs OpenTelemetry: pip install 'customer-context\[otel\]'"):
        create_app(Settings(otel=True))


def test_otel_sdk_disabled_turns_tracing_off(spans, monkeypatch):
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    with TestClient(create_app(Settings(otel=True))) as http:
        assert http.post("/graphql", json={"query": CREATE}).status_code == 200
    assert spans.get_finished_spans() == ()
