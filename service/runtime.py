"""Everything a use case needs, built once at startup: settings, store, matcher, events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .events import EventBus
from .matching import MatchingStrategy
from .settings import Settings
from .storage import Storage


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is making a request. `id` becomes `createdBy`/`resolvedBy` on what they write."""

    id: str


@dataclass
class Runtime:
    settings: Settings
    store: Storage
    matcher: MatchingStrategy
    events: EventBus
    plugin_manager: Any = None
    clock: Callable[[], datetime] = field(default=utc_now)
