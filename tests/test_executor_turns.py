"""graphql-core's generic executor builds a large query answer in turns on the event loop
(service/schema/executor_turns.py), as the fast path's plans do: on the fast path's fallback
(a document with a directive has no plan) and on Strawberry's path (--no-fastpath). Shown by
counting how often a ticker task gets the loop while one request is answered, with a turn of
0 s against a turn too long to end (no timing is asserted: the turn's length is set, the
answers compared)."""

from __future__ import annotations

import asyncio

import httpx2
import pytest

from service.app import create_app
from service.schema import executor_turns
from service.settings import Settings

CREATE = "mutation($i: CustomerInput!) { createCustomer(input: $i) { __typename } }"
# @include has no compiled plan: the fast path leaves the query to graphql-core's executor.
LIST = """query Everyone { customers(first: 60) { edges { node {
  displayName @include(if: true) emails { address } phones { number } } } } }"""


async def answer_and_ticks(client: httpx2.AsyncClient) -> tuple[dict, int]:
    """The list's answer, and how many times a ticker task ran while it was made."""
    ticks = 0
    running = True

    async def ticker() -> None:
        nonlocal ticks
        while running:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    start = ticks
    response = await client.post("/graphql", json={"query": LIST})
    running = False
    await task
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    return response.json(), ticks - start


@pytest.mark.parametrize("fastpath", [True, False], ids=["fast-path-fallback", "no-fastpath"])
def test_a_large_answer_of_the_generic_executor_is_made_in_turns(monkeypatch, fastpath):
    async def scenario() -> None:
        app = create_app(Settings(fastpath=fastpath))
        async with app.router.lifespan_context(app):
            transport = httpx2.ASGITransport(app=app)
            async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
                for n in range(60):
                    customer = {
                        "firstName": f"Jana{n}",
                        "lastName": "Nováková",
                        "emails": [{"address": f"jana{n}.{k}@example.com"} for k in range(3)],
                        "phones": [{"number": f"+420 601 {n:03d} {k:03d}"} for k in range(2)],
                    }
                    created = await client.post("/graphql", json={"query": CREATE, "variables": {"i": customer}})
                    assert created.json()["data"]["createCustomer"]["__typename"] == "CreateCustomerSuccess"
                monkeypatch.setattr(executor_turns, "TURN_SECONDS", 3600.0)
                whole, ticks_in_one_go = await answer_and_ticks(client)
                monkeypatch.setattr(executor_turns, "TURN_SECONDS", 0.0)
                monkeypatch.setattr(executor_turns, "TURN_CHECK", 1)
                in_turns, ticks_in_turns = await answer_and_ticks(client)
        assert in_turns == whole  # the same answer, in the same order
        assert len(whole["data"]["customers"]["edges"]) == 60
        # In one go the loop got a turn only where the request itself waited (its store
        # calls); in turns, at least once more for every customer of the page.
        assert ticks_in_turns >= ticks_in_one_go + 60, (ticks_in_one_go, ticks_in_turns)

    asyncio.run(scenario())
