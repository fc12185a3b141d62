"""Live events within one process: what every single-process backend needs (the memory
store's, a partner's SQLite file), and what the `memory` plugin offers for any store no
other plugin serves. Several processes each see only their own events: run one, or use a
backend whose plugin carries events between processes (mongo)."""

from __future__ import annotations

from typing import Any

from service.pubsub import Accept, Fanout, Subscription


class InProcessPubSub:
    """Publishing hands the event straight to this process's subscribers (bounded queues,
    never waiting: see `service.pubsub.Fanout`)."""

    def __init__(self, queue_size: int = 100) -> None:
        self._fanout = Fanout(queue_size)

    async def publish(self, event: Any) -> None:
        self._fanout.deliver(event)

    async def subscribe(self, accept: Accept | None = None) -> Subscription:
        return self._fanout.subscribe(accept)

    async def close(self) -> None:
        self._fanout.close()

    @property
    def subscribers(self) -> int:
        """How many subscriptions are open (for tests and metrics)."""
        return len(self._fanout)
