"""Built-in matching strategy `exact`: same normalised phone (E.164) or email address.

A customer sharing both the phone and the email scores 1.0, either one alone 0.95: both
are confident, and when two different customers match, neither is clearly ahead, so the
activity goes to the agent's open list with both as candidates.
"""

from __future__ import annotations

from service.domain.identity import Identity
from service.domain.records import Candidate, MatchReason
from service.hookspecs import hookimpl
from service.matching import MatchingStrategySpec


class ExactMatching:
    """Exact identifier matching through the store's indexed lookups."""

    def __init__(self, settings=None) -> None:
        pass

    async def candidates(self, identity: Identity, store, *, limit: int) -> list[Candidate]:
        phones, emails = set(identity.phones), set(identity.emails)
        if not phones and not emails:
            return []
        found = await store.find_customers_by_identifiers(phones=sorted(phones), emails=sorted(emails), limit=limit)
        out = []
        for customer in found:
            reasons = []
            if phones & {p.e164 for p in customer.phones}:
                reasons.append(MatchReason("phone", "EXACT", 1.0))
            if emails & {e.normalized for e in customer.emails}:
                reasons.append(MatchReason("email", "EXACT", 1.0))
            if reasons:
                score = 1.0 if len(reasons) == 2 else 0.95
                out.append(Candidate(customer.id, score, tuple(reasons)))
        out.sort(key=lambda c: (-c.score, c.customer_id))
        return out[:limit]


@hookimpl
def matching_strategies():
    return [
        MatchingStrategySpec(
            "exact",
            ExactMatching,
            "Same phone number (E.164) or email address (case-insensitive).",
        )
    ]
