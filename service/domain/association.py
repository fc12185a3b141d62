"""When may an activity be associated with a customer without asking the agent?

Only when the best candidate is confident and clearly ahead of the next: a wrong automatic
association shows an agent the wrong person's history, so doubt goes to the open list.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from .records import Candidate

class Outcome(enum.Enum):
    """What recording an activity did with it."""

    ASSOCIATED = "ASSOCIATED"
    ADDED_TO_OPEN_LIST = "ADDED_TO_OPEN_LIST"


#: Defaults of the settings: a candidate this strong (the exact strategy's identifier
#: matches score 0.95 or 1.0) may be associated automatically ...
AUTO_ASSOCIATE_THRESHOLD = 0.9
#: ... if no other candidate comes within this distance of it.
AUTO_ASSOCIATE_MARGIN = 0.1


def automatic_choice(
    candidates: Sequence[Candidate], threshold: float = AUTO_ASSOCIATE_THRESHOLD, margin: float = AUTO_ASSOCIATE_MARGIN
) -> Candidate | None:
    """The candidate to associate automatically, or None to ask the agent."""
    if not candidates:
        return None
    ranked = sorted(candidates, key=lambda c: c.score, reverse=True)
    best = ranked[0]
    if best.score < threshold:
        return None
    if len(ranked) > 1 and best.score - ranked[1].score < margin:
        return None
    return best
