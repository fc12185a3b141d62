"""Per-request context: the runtime, who is asking, in which language, and DataLoaders."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from graphql import GraphQLError
from strawberry.dataloader import Batch, DataLoader, dispatch_batch, should_create_new_batch

from ..aio import resume
from ..i18n import negotiate, translate
from ..authentication import LOCAL_DEVELOPER, request_id_from
from ..domain.access import Actor, Role
from ..domain.errors import UserError
from ..runtime import Runtime


class RecordLoader(DataLoader):
    """Strawberry's DataLoader (same batching, caching and errors: its own `dispatch_batch`
    loads each batch), except that a batch is started in the event loop's next round
    without a task of its own, and gets one only if its load waits: the memory store's
    loads finish at once."""

    def load(self, key: Any) -> Any:
        if self.cache:
            future = self.cache_map.get(key)
            if future and not future.cancelled():
                return future
        future = self.loop.create_future()
        if self.cache:
            self.cache_map.set(key, future)
        batch = self.batch
        if batch is None or not batch.tasks or should_create_new_batch(self, batch):
            batch = self.batch = Batch()
            self.loop.call_soon(self._dispatch, batch)
        batch.add_task(key, future)
        return future

    def _dispatch(self, batch: Batch) -> None:
        loading = dispatch_batch(self, batch)
        try:
            yielded = loading.send(None)
        except StopIteration:
            return
        batch._dispatch_task = asyncio.ensure_future(resume(loading, yielded))
        batch._dispatch_task.add_done_callback(lambda _: setattr(batch, "_dispatch_task", None))


@dataclass
class Context:
    runtime: Runtime
    actor: Actor
    locale: str
    request: Any = None
    response: Any = None
    request_id: str = ""

    # One set of loaders per request: batching within it, no caching across requests. Each
    # is made when a resolver first asks for it (most requests need one or none).

    @cached_property
    def customers(self) -> DataLoader:
        return RecordLoader(load_fn=self.runtime.store.get_customers)

    @cached_property
    def activities(self) -> DataLoader:
        return RecordLoader(load_fn=self.runtime.store.get_activities)

    @cached_property
    def entries(self) -> DataLoader:
        return RecordLoader(load_fn=self.runtime.store.get_open_list_entries)

    def t(self, message_key: str, /, **params: Any) -> str:
        return translate(self.locale, message_key, **params)


def to_graphql_error(err: UserError, ctx: Any) -> GraphQLError:
    """For queries (which have no payload union): a top-level error with code and field,
    its message in the request's language."""
    message = ctx.t(err.message_key, **{"field": err.field, **err.params})
    return GraphQLError(message, extensions={"code": err.code, "field": err.field})


def request_id_of(request: Any) -> str:
    """The caller's X-Request-Id when it is a sane token, else a new one."""
    return request_id_from(request.headers.get("x-request-id"))


def build_context(runtime: Runtime, request: Any, response: Any) -> Context:
    locale = negotiate(request.headers.get("accept-language"))
    request_id = request_id_of(request)
    if response is not None:
        response.headers["X-Request-Id"] = request_id
    # AuthenticationMiddleware put the actor there. Without one: the local developer in local
    # development mode (no tokens file), else nobody who may see anything.
    actor = getattr(request.state, "actor", None) or (
        LOCAL_DEVELOPER if runtime.staff is None else Actor("anonymous", Role.CUSTOMER)
    )
    return Context(runtime=runtime, actor=actor, locale=locale, request=request, response=response, request_id=request_id)
