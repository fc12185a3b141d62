"""Everything a use case needs, built once at startup: settings, store, matcher, events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .domain.access import Actor, Role  # noqa: F401  (re-exported: use cases import Actor from here)
from .events import EventBus
from .matching import MatchingStrategy
from .settings import Settings
from .storage import Storage


def to_millis(moment: datetime) -> datetime:
    """Milliseconds are the finest time every store keeps (BSON dates, JavaScript), so the
    service never makes a finer one: a record reads back exactly as it was written."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def utc_now() -> datetime:
    return to_millis(datetime.now(UTC))


@dataclass
class Runtime:
    settings: Settings
    store: Storage
    matcher: MatchingStrategy
    events: EventBus
    plugin_manager: Any = None
    #: Staff tokens (service.authentication.StaffDirectory); None in local development mode.
    staff: Any = None
    #: Live events for subscriptions (service.pubsub.PubSub), from the `pubsub` hook.
    pubsub: Any = None
    clock: Callable[[], datetime] = field(default=utc_now)
