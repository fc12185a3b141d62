"""Shared fixtures: a fresh service per test, spoken to over HTTP through the ASGI app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.app import KnownOperationLane

from .helpers import GraphQLClient, make_client
from .server import running_server


@pytest.fixture
def gql() -> Iterator[GraphQLClient]:
    yield from make_client()


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """One real server process (README's start command) shared by every end-to-end test."""
    with running_server() as base:
        yield base


@pytest.fixture
def lane(monkeypatch) -> list[bool]:
    """Whether the known-operation lane (service/app.py) answered, per request that reached it."""
    taken: list[bool] = []
    original = KnownOperationLane._answer

    async def spied(self, *args):
        answer = await original(self, *args)
        taken.append(answer is not None)
        return answer

    monkeypatch.setattr(KnownOperationLane, "_answer", spied)
    return taken
