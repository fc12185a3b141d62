"""Admission control (service/admission.py): past `max_in_flight_requests` GraphQL requests a
process refuses more with 503 OVERLOADED and Retry-After, keeps answering health probes and
GraphiQL, and gives every slot back however its request ends.

Requests are held by a throwaway storage backend whose customer search for "held" waits
until the test lets it go, so "in flight" is something the test controls, not a race."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx2
import pytest
import uvicorn

from plugins.memory import MemoryStore
from service import cli
from service.admission import overloaded_message
from service.app import create_app
from service.hookspecs import hookimpl
from service.i18n import SUPPORTED
from service.settings import ConfigurationError, Settings, parse
from service.storage import StorageBackend

HELD = {"query": '{ customers(search: "held") { totalCount } }'}
FAILING = {"query": '{ customers(search: "boom") { totalCount } }'}
QUICK = {"query": "{ openList { totalCount } }"}
QUICK_ANSWER = {"data": {"openList": {"totalCount": 0}}}


class Hold:
    """What the held searches wait on: the test lets them go with `release()`, from any
    thread. `waiting` counts the searches that have arrived and not yet been let go."""

    def __init__(self) -> None:
        self.waiting = 0
        self.finished = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    async def wait(self) -> None:
        if self._event is None:
            self._loop, self._event = asyncio.get_running_loop(), asyncio.Event()
        self.waiting += 1
        try:
            await self._event.wait()
        finally:
            self.waiting -= 1
            self.finished += 1

    def release(self) -> None:
        if self._loop is not None and self._event is not None:
            self._loop.call_soon_threadsafe(self._event.set)


class HeldBackend:
    """A throwaway plugin: backend "held", the memory store with a search that waits."""

    def __init__(self) -> None:
        self.hold = Hold()
        hold = self.hold

        class HeldStore(MemoryStore):
            async def search_customers(self, tokens, *, first, after):
                if "held" in tokens:
                    await hold.wait()
                if "boom" in tokens:
                    raise RuntimeError("the store failed")
                return await super().search_customers(tokens, first=first, after=after)

        self.store_class = HeldStore

    @hookimpl
    def storage_backends(self):
        return [StorageBackend("held", self.store_class, "test double")]


@contextlib.asynccontextmanager
async def served(**settings) -> AsyncIterator[tuple[httpx2.AsyncClient, Hold]]:
    """The app with the held backend, spoken to over HTTP through ASGI, requests concurrent."""
    plugin = HeldBackend()
    app = create_app(Settings(backend="held", **settings), extra_plugins=[plugin])
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
            try:
                yield client, plugin.hold
            finally:
                plugin.hold.release()


async def until(condition, what: str) -> None:
    """Lets the loop run until `condition()` holds (a bound only for a broken build)."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    pytest.fail(f"never happened: {what}")


def assert_overloaded(response, *, limit: int, request_id: str | None = None, media_type: str = "application/json") -> dict:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == media_type
    body = response.json()
    assert list(body) == ["errors"] and len(body["errors"]) == 1
    error = body["errors"][0]
    assert error["extensions"]["code"] == "OVERLOADED"
    assert error["extensions"]["limit"] == limit
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    if request_id is not None:
        assert response.headers["x-request-id"] == request_id
    return error


def test_beyond_the_limit_a_request_gets_503_while_health_and_graphiql_answer(caplog):
    caplog.set_level(logging.WARNING, logger="customer_context")

    async def scenario():
        async with served(max_in_flight_requests=2, admission_wait_seconds=0) as (client, hold):
            held = [asyncio.create_task(client.post("/graphql", json=HELD)) for _ in range(2)]
            await until(lambda: hold.waiting == 2, "two requests held")

            refused = await client.post("/graphql", json=QUICK, headers={"X-Request-Id": "probe-42"})
            error = assert_overloaded(refused, limit=2, request_id="probe-42")
            assert error["message"] == overloaded_message("en", 2)
            assert "2 requests" in error["message"]
            # A GraphQL-over-HTTP client gets its own media type, as with every request error.
            refused = await client.post("/graphql", json=QUICK, headers={"Accept": "application/graphql-response+json"})
            assert_overloaded(refused, limit=2, media_type="application/graphql-response+json")
            # An operation over GET counts, however its parameter's name is encoded.
            for query_string in ("query=%7BopenList%7BtotalCount%7D%7D", "%71uery=%7BopenList%7BtotalCount%7D%7D"):
                assert_overloaded(await client.get(f"/graphql?{query_string}"), limit=2)

            # Never shed: health probes and the GraphiQL page.
            assert (await client.get("/healthz")).status_code == 200
            ready = await client.get("/readyz")
            assert ready.status_code == 200 and ready.json()["status"] == "ready"
            page = await client.get("/graphql", headers={"Accept": "text/html"})
            assert page.status_code == 200 and "graphiql" in page.text.lower()
            assert hold.waiting == 2  # all of that while both were still held

            hold.release()
            for response in await asyncio.gather(*held):
                assert response.status_code == 200
                assert response.json() == {"data": {"customers": {"totalCount": 0}}}
            # Admitted again once they are done.
            again = await client.post("/graphql", json=QUICK)
            assert again.status_code == 200 and again.json() == QUICK_ANSWER

    asyncio.run(scenario())
    # Operators hear of it, once for the burst of four refusals rather than four times.
    overloaded = [r.getMessage() for r in caplog.records if r.getMessage().startswith("overloaded:")]
    assert overloaded == [
        "overloaded: refused 1 request(s) with 503 since the last such line (2 in flight at most, --max-in-flight-requests)"
    ]


def test_a_browser_on_an_allowed_origin_can_read_the_503():
    async def scenario():
        origin = "https://desk.example.com"
        async with served(max_in_flight_requests=1, admission_wait_seconds=0, allowed_origins=origin) as (client, hold):
            held = asyncio.create_task(client.post("/graphql", json=HELD))
            await until(lambda: hold.waiting == 1, "a request held")
            refused = await client.post("/graphql", json=QUICK, headers={"Origin": origin})
            assert_overloaded(refused, limit=1)
            assert refused.headers["access-control-allow-origin"] == origin
            assert "x-request-id" in refused.headers["access-control-expose-headers"].lower()
            hold.release()
            assert (await held).status_code == 200

    asyncio.run(scenario())


@pytest.mark.parametrize("locale", SUPPORTED)
def test_the_503_speaks_the_request_language(locale):
    async def scenario():
        async with served(max_in_flight_requests=1200, admission_wait_seconds=0) as (client, hold):
            held = [asyncio.create_task(client.post("/graphql", json=HELD)) for _ in range(1200)]
            await until(lambda: hold.waiting == 1200, "1,200 requests held")
            refused = await client.post("/graphql", json=QUICK, headers={"Accept-Language": locale})
            error = assert_overloaded(refused, limit=1200)
            hold.release()
            await asyncio.gather(*held)
            return error["message"]

    message = asyncio.run(scenario())
    assert message == overloaded_message(locale, 1200)
    grouped = {"en": "1,200", "de": "1.200", "sr-Latn": "1.200"}.get(locale, "1\u00a0200")
    assert grouped in message  # the limit, grouped as the language writes numbers
    others = {overloaded_message(other, 1200) for other in SUPPORTED if other != locale}
    assert message not in others  # a text of its own, not English for all


def test_a_request_may_wait_for_a_slot_within_the_admission_wait():
    async def scenario():
        async with served(max_in_flight_requests=1, admission_wait_seconds=20) as (client, hold):
            first = asyncio.create_task(client.post("/graphql", json=HELD))
            await until(lambda: hold.waiting == 1, "one request held")
            waiting = asyncio.create_task(client.post("/graphql", json=QUICK))
            await asyncio.sleep(0.05)
            assert not waiting.done()  # neither answered nor refused: it waits for the slot
            hold.release()
            assert (await first).status_code == 200
            response = await waiting
            assert response.status_code == 200 and response.json() == QUICK_ANSWER

    asyncio.run(scenario())


def test_slots_come_back_after_errors_bad_requests_and_timeouts():
    async def scenario():
        async with served(max_in_flight_requests=1, admission_wait_seconds=0, request_timeout_seconds=0.3) as (client, hold):
            # A store that fails: the request's error is answered, its slot given back.
            failed = await client.post("/graphql", json=FAILING)
            assert failed.status_code == 200 and failed.json()["errors"]
            assert (await client.post("/graphql", json=QUICK)).json() == QUICK_ANSWER
            # A request that is not GraphQL at all.
            bad = await client.post("/graphql", content=b"{not json", headers={"Content-Type": "application/json"})
            assert bad.status_code == 400
            assert (await client.post("/graphql", json=QUICK)).json() == QUICK_ANSWER
            # A request that runs out of time (its search is never let go).
            timed_out = await client.post("/graphql", json=HELD)
            assert timed_out.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
            await until(lambda: hold.waiting == 0, "the timed-out search cancelled")
            assert (await client.post("/graphql", json=QUICK)).json() == QUICK_ANSWER
            # A request cancelled under way (the server shutting down a connection).
            held = asyncio.create_task(client.post("/graphql", json=HELD))
            await until(lambda: hold.waiting == 1, "a request held")
            assert_overloaded(await client.post("/graphql", json=QUICK), limit=1)
            held.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await held
            assert (await client.post("/graphql", json=QUICK)).json() == QUICK_ANSWER

    asyncio.run(scenario())


def test_a_body_still_arriving_holds_no_slot():
    """A client trickling its body keeps its connection, not a slot: others are admitted."""

    async def scenario():
        async with served(max_in_flight_requests=1, admission_wait_seconds=0) as (client, hold):
            rest = asyncio.Event()

            async def trickled() -> AsyncIterator[bytes]:
                yield b'{"query": "{ openList '
                await rest.wait()
                yield b'{ totalCount } }"}'

            slow = asyncio.create_task(
                client.post("/graphql", content=trickled(), headers={"Content-Type": "application/json"})
            )
            await asyncio.sleep(0.05)
            assert not slow.done()
            for _ in range(3):
                assert (await client.post("/graphql", json=QUICK)).json() == QUICK_ANSWER
            rest.set()
            response = await slow
            assert response.status_code == 200 and response.json() == QUICK_ANSWER

    asyncio.run(scenario())


def test_no_limit_when_max_in_flight_requests_is_0():
    async def scenario():
        async with served(max_in_flight_requests=0) as (client, hold):
            held = [asyncio.create_task(client.post("/graphql", json=HELD)) for _ in range(50)]
            await until(lambda: hold.waiting == 50, "fifty requests held")
            assert (await client.post("/graphql", json=QUICK)).json() == QUICK_ANSWER
            hold.release()
            assert {r.status_code for r in await asyncio.gather(*held)} == {200}

    asyncio.run(scenario())


# --- over real sockets ----------------------------------------------------------------------


@contextlib.contextmanager
def real_server(**settings) -> Iterator[tuple[str, Hold]]:
    """The app with the held backend behind uvicorn on a loopback port, in a thread: real
    connections, so a client can really leave."""
    plugin = HeldBackend()
    app = create_app(Settings(backend="held", **settings), extra_plugins=[plugin])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, loop="asyncio", log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(2000):
            if server.started:
                break
            time.sleep(0.005)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}", plugin.hold
    finally:
        plugin.hold.release()
        server.should_exit = True
        thread.join(30)


def test_a_client_that_leaves_gives_its_slot_back_and_health_answers_meanwhile():
    with real_server(max_in_flight_requests=1, admission_wait_seconds=0) as (base, hold), httpx2.Client(base_url=base) as http:
        raw = socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])))
        body = b'{"query": "{ customers(search: \\"held\\") { totalCount } }"}'
        raw.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        for _ in range(2000):
            if hold.waiting == 1:
                break
            time.sleep(0.005)
        assert hold.waiting == 1
        assert_overloaded(http.post("/graphql", json=QUICK), limit=1)
        # A fresh connection for each probe, as a load balancer's health check makes.
        for path in ("/healthz", "/readyz"):
            with httpx2.Client(base_url=base) as fresh:
                assert fresh.get(path).status_code == 200
        raw.close()  # the client leaves without its answer
        hold.release()
        for _ in range(2000):  # its operation ends, then its slot comes back
            response = http.post("/graphql", json=QUICK)
            if response.status_code != 503:
                break
            time.sleep(0.005)
        assert response.status_code == 200 and response.json() == QUICK_ANSWER
        assert hold.finished == 1


# --- settings and the command line ----------------------------------------------------------


def test_admission_and_loop_settings_come_from_flags_and_environment():
    assert (Settings().max_in_flight_requests, Settings().admission_wait_seconds, Settings().loop) == (8, 0.25, "asyncio")
    s = parse(["--max-in-flight-requests", "5", "--admission-wait-seconds", "0", "--loop", "UVLOOP"])
    assert (s.max_in_flight_requests, s.admission_wait_seconds, s.loop) == (5, 0.0, "uvloop")
    s = parse([], environ={"CUSTOMER_CONTEXT_MAX_IN_FLIGHT_REQUESTS": "0", "CUSTOMER_CONTEXT_LOOP": "asyncio"})
    assert (s.max_in_flight_requests, s.loop) == (0, "asyncio")


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--max-in-flight-requests", "-1"], "max in flight requests must be at least 0"),
        (["--admission-wait-seconds", "-0.5"], "admission wait seconds must be"),
        (["--admission-wait-seconds", "nan"], "admission wait seconds must be"),
        (["--admission-wait-seconds", "40", "--request-timeout-seconds", "30"], "to the request timeout (30.0)"),
        (["--loop", "trio"], "loop must be asyncio or uvloop, not 'trio'"),
    ],
)
def test_bad_admission_and_loop_settings_stop_startup(argv, words):
    with pytest.raises(ConfigurationError, match=re.escape(words)):
        parse(argv)


@pytest.mark.parametrize("argv, loop", [([], "asyncio"), (["--loop", "uvloop"], "uvloop")])
def test_the_server_runs_on_the_chosen_loop(monkeypatch, argv, loop):
    started = {}

    def run_on(listener, app, **options):  # the server the CLI would start, not started
        listener.close()
        started.update(options)

    monkeypatch.setattr(cli, "_run_on", run_on)
    assert cli.main(["serve", "--port", "0", *argv]) == 0
    assert started["loop"] == loop
