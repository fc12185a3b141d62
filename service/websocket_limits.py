"""What WebSocket clients may hold of one process: slots and message rates.

A socket is *pending* from its handshake until its `connection_init` is acknowledged, then
*admitted*. The two are counted apart, so that strangers (who need no token to open a
socket) can only ever fill the small pending budget, never the slots of authenticated
connections: an administrator can connect while the pending budget is full, and is held
only to the limits of admitted connections (per process, per actor).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from .settings import Settings

#: Close code for a full budget: graphql-ws clients retry it with a backoff (RFC 6455 1013).
TRY_AGAIN_LATER = 1013


@dataclass
class SocketBudget:
    """The process's counts of pending and admitted sockets, with the settings' caps."""

    settings: Settings
    pending: int = 0
    pending_by_client: Counter[str] = field(default_factory=Counter)
    admitted: int = 0
    admitted_by_actor: Counter[str] = field(default_factory=Counter)

    def open(self, client: str) -> Slot | str:
        """A pending slot for a new socket from `client` (its address), or why there is none."""
        if self.pending >= self.settings.max_pending_websockets:
            return "Too many connections waiting for connection_init; try again later"
        if self.pending_by_client[client] >= self.settings.max_pending_websockets_per_client:
            return "Too many connections from this address waiting for connection_init; try again later"
        self.pending += 1
        self.pending_by_client[client] += 1
        return Slot(self, client)


class Slot:
    """One socket's place in the budget: pending, then admitted for an actor, then released."""

    def __init__(self, budget: SocketBudget, client: str) -> None:
        self.budget = budget
        self.client = client
        self.actor: str | None = None
        self.released = False

    def admit(self, actor: str) -> str | None:
        """Moves the socket from pending to admitted for `actor`; None when it fits, else why not."""
        budget, settings = self.budget, self.budget.settings
        if budget.admitted >= settings.max_websocket_connections:
            return "Too many connections; try again later"
        if budget.admitted_by_actor[actor] >= settings.max_websocket_connections_per_actor:
            return "Too many connections with this credential; close one or try again later"
        self._leave_pending()
        budget.admitted += 1
        budget.admitted_by_actor[actor] += 1
        self.actor = actor
        return None

    def release(self) -> None:
        """The socket closed: its place is free again (idempotent)."""
        if self.released:
            return
        self.released = True
        if self.actor is None:
            self._leave_pending()
            return
        budget = self.budget
        budget.admitted -= 1
        budget.admitted_by_actor[self.actor] -= 1
        if not budget.admitted_by_actor[self.actor]:
            del budget.admitted_by_actor[self.actor]

    def _leave_pending(self) -> None:
        budget = self.budget
        budget.pending -= 1
        budget.pending_by_client[self.client] -= 1
        if not budget.pending_by_client[self.client]:
            del budget.pending_by_client[self.client]  # no memory kept per address once it left


class TokenBucket:
    """Messages per second for one socket: `burst` at once, refilled at `rate` a second.

    Written out rather than taken from a rate-limiting library: the available ones
    (pyrate-limiter, limits) keep a timestamp per hit in a shared store, or wait for
    capacity instead of refusing; one socket needs two floats and one comparison.
    """

    __slots__ = ("rate", "burst", "tokens", "stamp")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        """Whether one more message may be handled now (and counts it)."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True
