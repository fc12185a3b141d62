"""Driving coroutines by hand: the fast path and the DataLoaders run a coroutine up to its
first wait themselves (most of the memory store's finish without waiting) and only hand
what is left to the event loop when it does wait."""

from __future__ import annotations

import asyncio
import types
from typing import Any


@types.coroutine
def resume(coroutine: Any, yielded: Any):
    """The rest of a coroutine that was driven by `send` until it first waited on `yielded`:
    awaiting this passes what it waits on to the running task, as `await` would have."""
    if isinstance(yielded, asyncio.Future):
        yielded._asyncio_future_blocking = True  # as the future's own __await__ left it
    while True:
        try:
            sent = yield yielded
        except GeneratorExit:
            coroutine.close()
            raise
        except BaseException as exc:  # thrown in by the task (cancellation): pass it on
            try:
                yielded = coroutine.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                yielded = coroutine.send(sent)
            except StopIteration as stop:
                return stop.value
