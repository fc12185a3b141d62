"""Shared fixtures: a fresh service per test, spoken to over HTTP through the ASGI app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .helpers import GraphQLClient, make_client


@pytest.fixture
def gql() -> Iterator[GraphQLClient]:
    yield from make_client()
