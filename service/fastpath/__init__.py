"""The fast path for GraphQL operations: what Strawberry's `Schema.execute` does for a
request, without the work that is the same for every request with the same document.

Strawberry's path parses and validates every request's document (and validation, with the
service's per-request limit rules, is most of a small query's time), runs its extension
hooks, then graphql-core's generic executor. For a request whose document was seen before,
this path instead takes the parsed and validated document from a cache
(`documents.DocumentCache`) and

1. for a query or mutation that a compiled plan supports (`compiled`), runs the plan;
2. otherwise (directives, introspection, and any query whose plan met an error), runs
   graphql-core's `execute` on the cached document, as Strawberry would; a mutation whose
   plan met an error after a root resolver ran is completed by graphql-core from that
   resolver's outcome, never by calling it again (`compiled.Replay`).

Either way the result is post-processed as Strawberry's path does it: errors are logged by
the schema's `process_errors` and masked by the same `MaskInternalErrors` code, and the
HTTP view's `OperationWatch` learns the operation type (a timed-out mutation is left to
finish). Requests it does not handle at all (`FastPath.execute` returns None) go through
Strawberry's path untouched: documents that do not parse or validate (or are over the
validation budget), variables with a list over its limit (checked before coercion) or
page sizes that make the answer larger than the result-size budget,
variables that do not coerce, an operation type the HTTP method does not allow, batches' odd shapes, operation
`extensions`, documents with several operations and no operation name.

The switch is the `fastpath` setting (`--no-fastpath` turns it off); tests/test_fastpath*.py
check that both paths answer alike.
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Callable, Collection
from types import SimpleNamespace
from typing import Any

from graphql import GraphQLError
from graphql import OperationType as CoreOperationType
from graphql.execution import Executor, execute
from graphql.execution.values import get_variable_values
from graphql.execution.middleware import MiddlewareManager
from strawberry.dataloader import DataLoader, DefaultCache
from strawberry.execution import optimized_is_awaitable
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.utils.await_maybe import await_maybe

from ..metrics import count_fallback
from ..observation import note_operation
from ..schema.executor_turns import TakeTurns
from ..schema.limits import Limits, limits_of, result_size_error
from ..schema.masking import MaskInternalErrors
from .compiled import Replay, Run, Unsupported, compile_operation, replay_middleware
from .documents import CachedDocument, DocumentCache

__all__ = ["FastPath"]

#: graphql-core's `execute` stops coercing variables after this many errors (its default).
COERCION_ERRORS = 50

log = logging.getLogger("customer_context.fastpath")

_OPERATION_TYPES = {
    CoreOperationType.QUERY: OperationType.QUERY,
    CoreOperationType.MUTATION: OperationType.MUTATION,
    CoreOperationType.SUBSCRIPTION: OperationType.SUBSCRIPTION,
}


class FastPath:
    """Executes requests for one Strawberry schema; see the module docstring."""

    def __init__(self, schema: Any, *, compile_plans: bool = True) -> None:
        self.schema = schema
        self.core_schema = schema._schema
        self.documents = DocumentCache(self.core_schema)
        self.compile_plans = compile_plans

    async def execute(
        self,
        query: Any,
        variables: Any,
        operation_name: Any,
        extensions: Any,
        context: Any,
        root_value: Any,
        allowed_operation_types: Collection[OperationType],
        watch: Any = None,
    ) -> ExecutionResult | None:
        """The result of one operation, or None to leave the request to Strawberry's path."""
        if not isinstance(query, str) or extensions or (variables is not None and not isinstance(variables, dict)):
            return _leave("request_shape")
        if operation_name is not None and not isinstance(operation_name, str):
            return _leave("request_shape")
        limits = limits_of(context)
        cached = self.documents.get(query, limits)
        if cached is None:
            return _leave("invalid_document")
        operation = cached.operation(operation_name)
        if operation is None:
            return _leave("no_such_operation")
        operation_type = _OPERATION_TYPES[operation.operation]
        if operation_type not in allowed_operation_types or operation_type is OperationType.SUBSCRIPTION:
            return _leave("operation_type")
        name = operation.name.value if operation.name else None
        note_operation(name, operation_type)
        if cached.guard(self.core_schema, name).check(variables) is not None:
            return _leave("list_too_long")  # a list over its limit: Strawberry's path refuses it, in the request's words
        if cached.may_be_costly(self.core_schema, name, limits) and (
            result_size_error(self.core_schema, cached.document, operation, variables, limits, "en") is not None
        ):
            return _leave("answer_too_large")  # an answer over the budget: the same
        plan = self._plan(cached, name) if self.compile_plans else None
        if plan is not None:
            # At most as many coercion errors as graphql-core's `execute` collects (its
            # default): each costs a did-you-mean search, and 110,000 bad enum values took 18 s.
            variable_values = get_variable_values(
                self.core_schema, operation.variable_definitions or (), variables or {}, max_errors=COERCION_ERRORS
            )
            if isinstance(variable_values, list):  # variables that do not coerce: Strawberry's path words it
                return _leave("variables")
            executor = _Execution(
                variable_values,
                context,
                functools.partial(
                    Executor.build,
                    self.core_schema,
                    cached.document,
                    root_value,
                    context,
                    variables,
                    name,
                    middleware=MiddlewareManager(),
                    is_awaitable=optimized_is_awaitable,
                ),
            )
            if watch is not None:
                watch.operation_type = operation_type
            run = Run(executor, root_value)
            if plan.mutation:
                try:
                    return ExecutionResult(data=await run.execute_mutation(plan), errors=None)
                except Replay as replay:
                    count_fallback("mutation_replay")
                    _forget_loaded(context)
                    if not isinstance(replay.__cause__, (Unsupported, Replay)) and replay.outcomes:
                        log.debug("mutation left its plan", exc_info=replay.__cause__)
                    result = await self._generic(
                        cached, name, variables, context, root_value, replay_middleware(replay.outcomes)
                    )
                    if result is None:  # pragma: no cover - variables coerced above
                        raise RuntimeError("a replayed mutation met a request error") from None
                    return result
            try:
                return ExecutionResult(data=await run.execute(plan), errors=None)
            except Unsupported as exc:
                count_fallback("plan_unsupported")
                log.debug("query left its plan: %s", exc, exc_info=exc.__cause__)
                _forget_loaded(context)
            except Exception:  # a bug of the plan's: graphql-core answers, the log says why
                count_fallback("plan_failed")
                log.exception("compiled plan failed; running the query with graphql-core")
                _forget_loaded(context)
        elif self.compile_plans:
            count_fallback("no_plan")
        if watch is not None:
            watch.operation_type = operation_type
        return await self._generic(cached, name, variables, context, root_value)

    def is_known_query(self, request_data: Any, context: Any) -> bool:
        """Whether this request is a query of a document already in the cache (the HTTP
        view runs those without a task of their own: service/app.py)."""
        query, name = getattr(request_data, "query", None), getattr(request_data, "operation_name", None)
        if not isinstance(query, str) or (name is not None and not isinstance(name, str)):
            return False
        cached, operation = self._peek(query, name, limits_of(context))
        return operation is not None and operation.operation is CoreOperationType.QUERY

    def known_operation(self, query: str, operation_name: str | None, limits: Limits) -> OperationType | None:
        """The type of the operation a request names when its document is in the cache and
        the operation has a compiled plan (a query or a mutation), else None; never parses."""
        cached, operation = self._peek(query, operation_name, limits)
        if operation is None or operation.operation is CoreOperationType.SUBSCRIPTION:
            return None
        if cached.plans.get(operation.name.value if operation.name else None) is None:
            return None
        return _OPERATION_TYPES[operation.operation]

    def _peek(self, query: str, operation_name: str | None, limits: Limits) -> tuple[CachedDocument | None, Any]:
        """The cached document and the operation the request names in it, if any; never parses."""
        cached = self.documents.peek(query, limits)
        return cached, cached.operation(operation_name) if cached is not None else None

    def _plan(self, cached: CachedDocument, name: str | None) -> Any:
        try:
            return cached.plans[name]
        except KeyError:
            plan = cached.plans[name] = compile_operation(self.core_schema, cached.operations[name], cached.fragments)
            return plan

    async def _generic(
        self, cached: CachedDocument, name: str | None, variables: Any, context: Any, root_value: Any, *middleware: Any
    ) -> ExecutionResult | None:
        result = await await_maybe(
            execute(
                self.core_schema,
                cached.document,
                root_value=root_value,
                # Turn-taking last: graphql-core makes the last middleware the outermost.
                middleware=MiddlewareManager(*middleware, TakeTurns()),
                variable_values=variables,
                operation_name=name,
                context_value=context,
                is_awaitable=optimized_is_awaitable,
            )
        )
        errors = result.errors
        if errors and result.data is None and all(e.path is None for e in errors):
            # A request error (variables that do not coerce): Strawberry's path words it.
            return None
        if errors:
            execution_context = SimpleNamespace(context=context)
            # As Strawberry's path: log the originals first, then mask what the client sees.
            self.schema.process_errors(errors, execution_context)
            errors = _mask(errors, execution_context)
        return ExecutionResult(data=result.data, errors=errors)


class _Execution:
    """What a plan's run needs of graphql-core's `Executor`: the coerced variables and the
    context at once; the executor itself, built as `execute` builds it, only when a
    resolver's `GraphQLResolveInfo` is first needed (most requests need none: see
    `compiled._lazy_info_class`)."""

    __slots__ = ("variable_values", "context_value", "_build", "_executor")

    def __init__(self, variable_values: dict[str, Any], context_value: Any, build: Callable[[], Any]) -> None:
        self.variable_values, self.context_value, self._build, self._executor = variable_values, context_value, build, None

    def build_resolve_info(self, *args: Any) -> Any:
        if self._executor is None:
            self._executor = self._build()
        return self._executor.build_resolve_info(*args)


def _leave(reason: str) -> None:
    """Counts why a request is left to Strawberry's path (the None `execute` returns)."""
    count_fallback(reason)
    return None


def _forget_loaded(context: Any) -> None:
    """Gives the request fresh DataLoaders (empty cache, no batch) before graphql-core runs
    a query again, as it would have had on Strawberry's path: what the plan loaded, or the
    batch it started, would otherwise arrive earlier than a new batch, and which errors
    graphql-core reports under a nulled field depends on that order."""
    if not hasattr(context, "__dict__"):
        return
    for name, value in list(vars(context).items()):
        if isinstance(value, DataLoader):
            fresh = copy.copy(value)
            fresh.batch = None
            cache = fresh.cache_map = copy.copy(value.cache_map)
            if isinstance(cache, DefaultCache):
                cache.cache_map = {}
            else:
                cache.clear()
            setattr(context, name, fresh)


def _mask(errors: list[GraphQLError], execution_context: Any) -> list[GraphQLError]:
    masking = MaskInternalErrors()
    masking.execution_context = execution_context
    return masking._process_errors(errors)
