"""graphql-core's generic executor taking turns on the event loop while it builds a query's
answer, as the fast path's compiled plans do (service/fastpath/compiled.py, `TURN_SECONDS`).

The generic executor runs where no plan does: `--no-fastpath` (Strawberry's path) and what the
plans leave to it (directives, introspection, a plan's fallback). A resolver of the memory
store answers at once, so without turns an answer of `--max-result-size` values is made in one
go while every other request waits (about 2 µs a value: benchmarks/answer_size.py).

`TakeTurns` is a graphql-core middleware (and `TakeTurnsExtension` the same for Strawberry's
path). Once a query has worked for a turn, the fields it reaches next are not resolved now:
each resolves, with everything below it, after the event loop had a turn; the first of them
to resume starts the next turn, the others resume within it while it lasts and else wait for
a later one. Only the fields reached after the turn ended are put off, not
the values below them, so a turn costs a few awaitables per cut, not one per value. The answer
is the same, in the same order. Mutations (whose fields run in order) and subscriptions are
left alone.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any

from graphql import GraphQLResolveInfo, OperationType
from strawberry.extensions import SchemaExtension

#: How long a query runs before the event loop gets a turn (seconds), and how many fields it
#: resolves between looks at the clock.
TURN_SECONDS = 0.01
TURN_CHECK = 64


class TakeTurns:
    """graphql-core middleware for one execution: see the module docstring."""

    __slots__ = ("_ends", "_fields", "_yielding", "_turn")

    def __init__(self) -> None:
        self._ends = time.monotonic() + TURN_SECONDS
        self._fields = 0
        self._yielding = False
        self._turn = 0

    def resolve(self, next_: Any, root: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        if info.operation.operation is not OperationType.QUERY:
            return next_(root, info, **args)
        if not self._yielding:
            self._fields += 1
            if self._fields % TURN_CHECK or time.monotonic() <= self._ends:
                return next_(root, info, **args)
            self._yielding = True
        return self._after_a_turn(next_, root, info, args)

    async def _after_a_turn(self, next_: Any, root: Any, info: GraphQLResolveInfo, args: dict[str, Any]) -> Any:
        while True:
            turn = self._turn
            await asyncio.sleep(0)
            if self._turn == turn:  # the first to resume starts the next turn
                self._turn += 1
                self._ends = time.monotonic() + TURN_SECONDS
                self._yielding = False
                break
            if not self._yielding:  # resumed within a turn that has time left
                break
            # that turn is over already: wait for the next one
        value = next_(root, info, **args)
        return await value if inspect.isawaitable(value) else value


class TakeTurnsExtension(SchemaExtension):
    """`TakeTurns` on Strawberry's path: one per execution (Strawberry makes an extension
    instance for each)."""

    def __init__(self) -> None:
        self._turns = TakeTurns()

    def resolve(self, _next: Any, root: Any, info: GraphQLResolveInfo, *args: Any, **kwargs: Any) -> Any:
        return self._turns.resolve(_next, root, info, **kwargs)
