"""Built-in matching strategy `fuzzy`: identifiers plus names and address.

Candidates come from indexed look-ups only: the phone and email identifier index, and
the name blocking keys (`service.domain.name_keys.blocking_keys`), never a scan. Each is
scored by `scoring.score`: typos, transpositions, initials, swapped first and last names,
transliterations (Jørgensen/Joergensen) and the address all count, as evidence weights.
"""

from __future__ import annotations

from service.domain.identity import Identity
from service.domain.name_keys import blocking_keys
from service.domain.records import Candidate
from service.hookspecs import hookimpl
from service.matching import MatchingStrategySpec

from .scoring import DEFAULT_WEIGHTS, Weights, score

#: Candidates fetched per blocking look-up before scoring.
BLOCK_LIMIT = 500
#: Candidates below this score are noise, not worth an agent's attention.
MIN_SCORE = 0.05


class FuzzyMatching:
    def __init__(self, settings=None, weights: Weights = DEFAULT_WEIGHTS) -> None:
        self.weights = weights

    async def candidates(self, identity: Identity, store, *, limit: int) -> list[Candidate]:
        found = {}
        if identity.phones or identity.emails:
            for c in await store.find_customers_by_identifiers(
                phones=list(identity.phones), emails=list(identity.emails), limit=BLOCK_LIMIT
            ):
                found[c.id] = c
        keys = blocking_keys(identity)
        if keys:
            for c in await store.find_customers_by_blocking_keys(sorted(keys), limit=BLOCK_LIMIT):
                found.setdefault(c.id, c)
        scored = []
        for c in found.values():
            s, reasons = score(identity, c, self.weights)
            if s >= MIN_SCORE:
                scored.append(Candidate(c.id, s, reasons))
        scored.sort(key=lambda c: (-c.score, c.customer_id))
        return scored[:limit]


@hookimpl
def matching_strategies():
    return [
        MatchingStrategySpec(
            "fuzzy",
            FuzzyMatching,
            "Phone and email, plus names with typos, initials, swapped names and transliterations, and the address.",
        )
    ]
