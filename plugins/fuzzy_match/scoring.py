"""How much two descriptions of a person agree: field evidence weighed as log-likelihoods
(Fellegi-Sunter style) and turned into a score between 0 and 1.

Identifiers (phone, email) are strong on their own. Names are weak on their own (there are
many Jan Nováks) but strong with an address or an identifier. A first name that clearly
differs outweighs a shared phone: families share numbers, and associating an activity
with the wrong family member is worse than asking the agent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from service.domain.identity import Identity
from service.domain.name_keys import name_key, name_words
from service.domain.records import Customer, MatchReason, PostalAddress


@dataclass(frozen=True)
class Weights:
    """Evidence weights; the score is logistic(total - offset). Tuned with
    benchmarks/matching_quality.py (see docs/matching.md)."""

    phone_same: float = 10.0
    phone_different: float = -1.5
    email_same: float = 10.0
    email_different: float = -1.0
    last_exact: float = 5.0
    last_close: float = 3.5
    last_near: float = 1.5
    last_different: float = -4.0
    first_exact: float = 3.0
    first_close: float = 2.0
    first_near: float = 0.5
    first_initial: float = 1.0
    first_different: float = -6.0
    org_exact: float = 5.0
    org_close: float = 3.0
    org_different: float = -2.0
    postcode_same: float = 1.5
    postcode_different: float = -0.5
    city_same: float = 1.0
    city_different: float = -1.0
    street_same: float = 2.5
    offset: float = 7.0


DEFAULT_WEIGHTS = Weights()


def _similarity(a: str, b: str) -> float:
    return JaroWinkler.similarity(a, b) if a and b else 0.0


def _key(text: str | None) -> str:
    return "".join(name_words(text))


def _name_part(q: str, c: str, exact: float, close: float, near: float, different: float) -> tuple[float, str, float]:
    s = _similarity(q, c)
    if s >= 0.97:
        return exact, "EXACT", s
    if s >= 0.9:
        return close, "FUZZY", s
    if s >= 0.84:
        return near, "FUZZY", s
    return different, "DIFFERENT", s


def _first_part(q: str, c: str, w: Weights) -> tuple[float, str, float]:
    if len(q) == 1 or len(c) == 1:  # an initial
        return (w.first_initial, "INITIAL", 1.0) if q[0] == c[0] else (w.first_different, "DIFFERENT", 0.0)
    return _name_part(q, c, w.first_exact, w.first_close, w.first_near, w.first_different)


def _names(q: Identity, c: Customer, w: Weights) -> tuple[float, list[MatchReason]]:
    qf, ql, cf, cl = _key(q.first_name), _key(q.last_name), _key(c.first_name), _key(c.last_name)
    options = []
    for swapped, (a_first, a_last) in ((False, (qf, ql)), (True, (ql, qf))):
        total, reasons = 0.0, []
        if a_last and cl:
            points, method, s = _name_part(a_last, cl, w.last_exact, w.last_close, w.last_near, w.last_different)
            total += points
            reasons.append(MatchReason("lastName", "SWAPPED" if swapped and points > 0 else method, round(s, 3)))
        if a_first and cf:
            points, method, s = _first_part(a_first, cf, w)
            total += points
            reasons.append(MatchReason("firstName", "SWAPPED" if swapped and points > 0 else method, round(s, 3)))
        options.append((total, reasons))
    # A name given as one word may be either name of the customer.
    if (qf and not ql) or (ql and not qf):
        lone = qf or ql
        for field, key in (("lastName", cl), ("firstName", cf)):
            if key:
                points, method, s = _name_part(lone, key, w.last_exact, w.last_close, w.last_near, 0.0)
                options.append((points, [MatchReason(field, method, round(s, 3))]))
    return max(options, key=lambda o: o[0]) if options else (0.0, [])


def _org(q: Identity, c: Customer, w: Weights) -> tuple[float, list[MatchReason]]:
    if not (q.organization_name and c.organization_name):
        return 0.0, []
    s = fuzz.token_sort_ratio(" ".join(name_words(q.organization_name)), " ".join(name_words(c.organization_name))) / 100
    if s >= 0.95:
        return w.org_exact, [MatchReason("organizationName", "EXACT", round(s, 3))]
    if s >= 0.85:
        return w.org_close, [MatchReason("organizationName", "FUZZY", round(s, 3))]
    return w.org_different, [MatchReason("organizationName", "DIFFERENT", round(s, 3))]


def _address(q: PostalAddress | None, c: PostalAddress | None, w: Weights) -> tuple[float, list[MatchReason]]:
    if q is None or c is None:
        return 0.0, []
    total, reasons = 0.0, []
    if q.postcode and c.postcode:
        same = q.postcode.replace(" ", "").lower() == c.postcode.replace(" ", "").lower()
        total += w.postcode_same if same else w.postcode_different
        reasons.append(MatchReason("address.postcode", "EXACT" if same else "DIFFERENT", 1.0 if same else 0.0))
    if q.city and c.city:
        s = _similarity(name_key(q.city), name_key(c.city))
        total += w.city_same if s >= 0.9 else w.city_different
        reasons.append(MatchReason("address.city", "FUZZY" if s >= 0.9 else "DIFFERENT", round(s, 3)))
    if q.street and c.street:
        s = fuzz.token_set_ratio(" ".join(name_words(q.street)), " ".join(name_words(c.street))) / 100
        if s >= 0.85:
            total += w.street_same
            reasons.append(MatchReason("address.street", "FUZZY", round(s, 3)))
    return total, reasons


def score(query: Identity, candidate: Customer, weights: Weights = DEFAULT_WEIGHTS) -> tuple[float, tuple[MatchReason, ...]]:
    """The probability-like score that `candidate` is who `query` describes, and why."""
    w = weights
    total, reasons = 0.0, []
    if query.phones and candidate.phones:
        if set(query.phones) & {p.e164 for p in candidate.phones}:
            total += w.phone_same
            reasons.append(MatchReason("phone", "EXACT", 1.0))
        else:
            total += w.phone_different
    if query.emails and candidate.emails:
        if set(query.emails) & {e.normalized for e in candidate.emails}:
            total += w.email_same
            reasons.append(MatchReason("email", "EXACT", 1.0))
        else:
            total += w.email_different
    for part in (_names(query, candidate, w), _org(query, candidate, w), _address(query.address, candidate.address, w)):
        total += part[0]
        reasons += part[1]
    probability = 1 / (1 + math.exp(-(total - w.offset)))
    return round(probability, 4), tuple(reasons)
