"""Live events: the domain events subscriptions show, published through the PubSub a plugin
provides (`pubsub` hook).

`LivePublisher` observes domain events like any plugin (`domain_event`) and queues the live
ones; one background task hands them to `PubSub.publish`, in order. A mutation therefore only
appends to a bounded queue: a slow, failing or unreachable pub/sub delays or loses live
events (logged), never a mutation. Events still queued when the process stops are lost;
subscribers reconnect and re-read (docs/workflow.md).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from typing import Any

import pluggy

from .hookspecs import hookimpl
from .pubsub import LIVE_EVENTS, PubSub
from .settings import ConfigurationError, Settings

log = logging.getLogger("customer_context.live")

#: How long shutdown waits for queued events to be published before dropping them.
FLUSH_SECONDS = 2.0


def build_pubsub(pm: pluggy.PluginManager, settings: Settings, store: Any) -> PubSub:
    """The PubSub the first plugin offers for `store` (`pubsub` hook); ConfigurationError when
    none does or it is not one."""
    pubsub = pm.hook.pubsub(settings=settings, store=store)
    if pubsub is None:
        raise ConfigurationError(f"no plugin provides live events (the pubsub hook) for storage backend {settings.backend!r}")
    if not isinstance(pubsub, PubSub):
        raise ConfigurationError(f"the pubsub hook returned {type(pubsub).__name__}, which does not implement service.pubsub.PubSub")
    return pubsub


class LivePublisher:
    """Registered as a plugin by the app: queues live events, publishes them from one task."""

    def __init__(self, queue_size: int) -> None:
        self.queue_size = queue_size
        self.pubsub: PubSub | None = None
        self.dropped = 0
        self._outbox: collections.deque[Any] = collections.deque()
        self._wake = asyncio.Event()
        self._accepting = False
        self._task: asyncio.Task | None = None

    @hookimpl
    def domain_event(self, event: Any) -> None:
        if not self._accepting or type(event).__name__ not in LIVE_EVENTS:
            return
        if len(self._outbox) >= self.queue_size:
            self._outbox.popleft()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.error(
                    "live events are published slower than they happen: %d dropped so far (--publish-queue-size %d)",
                    self.dropped,
                    self.queue_size,
                )
        self._outbox.append(event)
        self._wake.set()

    async def start(self, pubsub: PubSub) -> None:
        self.pubsub = pubsub
        self._wake = asyncio.Event()  # of this loop: an app may be started again in another
        self._accepting = True
        self._task = asyncio.create_task(self._run(), name="live-event publisher")

    async def _run(self) -> None:
        pubsub = self.pubsub
        assert pubsub is not None
        while True:
            while self._outbox:
                event = self._outbox.popleft()
                try:
                    await pubsub.publish(event)
                except Exception:
                    log.exception("publishing a live event (%s) failed", type(event).__name__)
            self._wake.clear()
            await self._wake.wait()

    async def stop(self) -> None:
        """Publish what is queued (for a short while), then close the PubSub."""
        task, self._task = self._task, None
        self._accepting = False
        if task is not None:
            if self._outbox:
                deadline = asyncio.get_running_loop().time() + FLUSH_SECONDS
                while self._outbox and asyncio.get_running_loop().time() < deadline and not task.done():
                    await asyncio.sleep(0.01)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._outbox:
            log.warning("%d live events were not published before shutdown", len(self._outbox))
            self._outbox.clear()
        if self.pubsub is not None:
            pubsub, self.pubsub = self.pubsub, None
            try:
                await pubsub.close()
            except Exception:
                log.exception("closing the pub/sub failed")
