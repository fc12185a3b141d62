"""Per-request context: the runtime, who is asking, in which language, and DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.dataloader import DataLoader

from ..i18n import negotiate, translate
from ..runtime import Actor, Runtime


@dataclass
class Context:
    runtime: Runtime
    actor: Actor
    locale: str
    request: Any = None
    response: Any = None
    customers: DataLoader = field(init=False)
    activities: DataLoader = field(init=False)
    entries: DataLoader = field(init=False)

    def __post_init__(self) -> None:
        store = self.runtime.store
        # One set of loaders per request: batching within it, no caching across requests.
        self.customers = DataLoader(load_fn=store.get_customers)
        self.activities = DataLoader(load_fn=store.get_activities)
        self.entries = DataLoader(load_fn=store.get_open_list_entries)

    def t(self, message_key: str, /, **params: Any) -> str:
        return translate(self.locale, message_key, **params)


def build_context(runtime: Runtime, request: Any, response: Any) -> Context:
    locale = negotiate(request.headers.get("accept-language"))
    # Until access control lands every caller is the local developer.
    return Context(runtime=runtime, actor=Actor("local"), locale=locale, request=request, response=response)
