"""The matching port: given who an activity came from, which customers might it be?

A strategy is offered by a plugin's `matching_strategies` hook as a `MatchingStrategySpec`
(name and factory). The factory gets the service `Settings` and returns an object with an
async `candidates` method. The service decides what to do with the ranked candidates
(`service.domain.association`); the strategy only finds and scores them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from .domain.identity import Identity
from .domain.records import Candidate

if TYPE_CHECKING:
    from .settings import Settings
    from .storage import Storage


@runtime_checkable
class MatchingStrategy(Protocol):
    async def candidates(self, identity: Identity, store: Storage, *, limit: int) -> list[Candidate]:
        """Up to `limit` candidates, best first, each with a score in [0, 1] and the reasons.

        `identity` carries names, normalised emails and E.164 phones, and the address, of an
        activity's sender, a `matchCustomers` query or a customer being created. Use the
        store's indexed look-ups (`find_customers_by_identifiers`,
        `find_customers_by_blocking_keys`), never scans."""


@dataclass(frozen=True, slots=True)
class MatchingStrategySpec:
    """A named matching strategy offered by a plugin."""

    name: str
    factory: Callable[[Settings], MatchingStrategy]
    description: str = ""
