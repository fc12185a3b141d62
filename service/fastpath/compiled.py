"""Execution plans compiled once per validated query operation (the idea behind graphql-jit).

graphql-core's executor works out, for every field of every object it returns, which
fields the selection asks for (collecting fragments), which resolver to call, what the
return type is and how to complete it; for a 50-item list that is thousands of generic
steps per request. A plan does that work once per operation: for each selection set, the
list of (response key, how to get the value, how to complete it) for its one object type.
Running a plan is then a loop of attribute reads and calls.

What a plan does per field is what graphql-core does, with the very same functions:
resolvers are the schema's own `field.resolve` (Strawberry's wrappers), called with a
`GraphQLResolveInfo` built by graphql-core's own executor and arguments coerced by
graphql-core's `get_argument_values`; leaves are serialised by the schema's scalar and enum
types. Strawberry fields without a resolver are read as the attribute Strawberry itself
would read (what its default resolver does).

A plan supports a subset, and says so at compile time (`compile_operation` returns None) or
at run time (it raises `Unsupported`), and the caller then runs graphql-core's `execute`:

- compiled: queries; object types; lists; non-null; scalars and enums; fragments and
  inline fragments on object types; `__typename`.
- not compiled: mutations and subscriptions (a plan could not be re-run after a write),
  abstract types (interfaces, unions), directives (`@skip`, `@include`, ...),
  introspection fields other than `__typename`.
- at run time: any error at all (a resolver raising, a null in a non-null field, a value
  that does not serialise). Errors are rare and their exact shape (paths, null
  propagation, masking) is graphql-core's business: the whole query is run again by it.
  A query has no side effects, so running it again is safe.

Resolvers that return coroutines are driven synchronously as far as they go without
waiting (`coroutine.send`): the memory store's coroutines never wait, and that saves a task
per resolver. A coroutine that does wait (a DataLoader batch, a database call) is resumed
later with the other waiting ones, all gathered concurrently as graphql-core gathers them,
so DataLoaders still batch.
"""

from __future__ import annotations

import asyncio
import math
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined

__all__ = ["OperationPlan", "Unsupported", "compile_operation"]


class Unsupported(Exception):
    """This request leaves the plan: graphql-core's `execute` answers it instead."""


_MAX_INT, _MIN_INT = 2**31 - 1, -(2**31)
_DEFINITION = "strawberry-definition"

# field kinds
_TYPENAME, _ATTRIBUTE, _RESOLVER = range(3)


@dataclass(eq=False)
class FieldPlan:
    key: str
    kind: int
    #: _TYPENAME: the type's name; _ATTRIBUTE: the attribute's name; _RESOLVER: unused.
    name: str
    complete: Callable[[Run, Any, Any], Any] | None
    field_def: GraphQLField | None = None
    field_nodes: list[FieldNode] | None = None
    parent_type: GraphQLObjectType | None = None
    resolve: Callable[..., Any] | None = None
    #: Arguments that need coercing (the field has arguments or the node passes some).
    has_args: bool = False
    #: An attribute whose value is completed as an object or list: it needs its path.
    wants_path: bool = False


@dataclass(eq=False)
class ObjectPlan:
    type: GraphQLObjectType
    fields: list[FieldPlan]
    is_type_of: Callable[[Any, Any], bool] | None


@dataclass(eq=False)
class OperationPlan:
    root: ObjectPlan
    operation: OperationDefinitionNode


# --- compiling ---------------------------------------------------------------------------


class _Compiler:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.schema = schema
        self.fragments = fragments

    def collect(
        self, object_type: GraphQLObjectType, selection_set: SelectionSetNode, out: dict[str, list[FieldNode]], seen: set[str]
    ) -> None:
        for selection in selection_set.selections:
            if selection.directives:
                raise Unsupported("directives")
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                out.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is not None and condition.name.value != object_type.name:
                    raise Unsupported("a type condition on another type")
                self.collect(object_type, selection.selection_set, out, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in seen:
                    continue
                seen.add(name)
                fragment = self.fragments[name]
                if fragment.type_condition.name.value != object_type.name:
                    raise Unsupported("a fragment on another type")
                if fragment.directives or fragment.variable_definitions:
                    raise Unsupported("fragment directives or variables")
                self.collect(object_type, fragment.selection_set, out, seen)
            else:  # pragma: no cover - no other selections exist
                raise Unsupported(type(selection).__name__)

    def object_plan(self, object_type: GraphQLObjectType, selection_sets: Iterable[SelectionSetNode]) -> ObjectPlan:
        collected: dict[str, list[FieldNode]] = {}
        seen: set[str] = set()
        for selection_set in selection_sets:
            self.collect(object_type, selection_set, collected, seen)
        plans = []
        for key, nodes in collected.items():
            name = nodes[0].name.value
            if name == "__typename":
                plans.append(FieldPlan(key, _TYPENAME, object_type.name, None))
                continue
            if name.startswith("__"):
                raise Unsupported("introspection")
            field_def = object_type.fields.get(name)
            if field_def is None:  # pragma: no cover - validation rules it out
                raise Unsupported(f"unknown field {name}")
            complete = self.completer(field_def.type, [n.selection_set for n in nodes if n.selection_set])
            resolve = field_def.resolve
            definition = field_def.extensions.get(_DEFINITION)
            if (
                getattr(resolve, "_is_default", False)
                and definition is not None
                and getattr(definition, "default_resolver", None) is getattr
                and not field_def.args
                and not nodes[0].arguments
            ):
                # Strawberry's resolver for a field without one: getattr(source, python_name).
                plans.append(
                    FieldPlan(key, _ATTRIBUTE, definition.python_name, complete, wants_path=not _is_leaf(field_def.type))
                )
            elif resolve is not None:
                plans.append(
                    FieldPlan(
                        key,
                        _RESOLVER,
                        name,
                        complete,
                        field_def=field_def,
                        field_nodes=nodes,
                        parent_type=object_type,
                        resolve=resolve,
                        has_args=bool(field_def.args or nodes[0].arguments),
                    )
                )
            else:
                raise Unsupported("a field without a resolver")
        return ObjectPlan(object_type, plans, object_type.is_type_of)

    def completer(self, return_type: Any, selection_sets: list[SelectionSetNode]) -> Callable[[Run, Any, Any], Any]:
        if isinstance(return_type, GraphQLNonNull):
            inner = self.completer(return_type.of_type, selection_sets)

            def complete_non_null(run: Run, value: Any, path: Any) -> Any:
                if value is None:
                    raise Unsupported("null in a non-null field")
                return inner(run, value, path)

            return complete_non_null
        if isinstance(return_type, GraphQLList):
            item_type = return_type.of_type
            inner = self.completer(item_type, selection_sets)
            wants_path = not _is_leaf(item_type)

            def complete_list(run: Run, value: Any, path: Any) -> Any:
                if value is None:
                    return None
                if not isinstance(value, (list, tuple)):
                    raise Unsupported("a list that is not a list or tuple")
                if wants_path:
                    return [inner(run, item, Path(path, i, None)) for i, item in enumerate(value)]
                return [inner(run, item, None) for item in value]

            return complete_list
        if isinstance(return_type, GraphQLScalarType):
            return _scalar_completer(return_type)
        if isinstance(return_type, GraphQLEnumType):
            serialize = return_type.serialize

            def complete_enum(run: Run, value: Any, path: Any) -> Any:
                if value is None:
                    return None
                if isinstance(value, Exception):
                    raise Unsupported("an error as a value")
                out = serialize(value)
                if out is None or out is Undefined:
                    raise Unsupported("an enum value that does not serialise")
                return out

            return complete_enum
        if isinstance(return_type, GraphQLObjectType):
            plan = self.object_plan(return_type, selection_sets)

            def complete_object(run: Run, value: Any, path: Any) -> Any:
                if value is None:
                    return None
                if isinstance(value, Exception):
                    raise Unsupported("an error as a value")
                return run.object(plan, value, path)

            return complete_object
        raise Unsupported(f"{type(return_type).__name__} results")


def _is_leaf(t: Any) -> bool:
    while isinstance(t, (GraphQLNonNull, GraphQLList)):
        if isinstance(t, GraphQLList):
            return False
        t = t.of_type
    return isinstance(t, (GraphQLScalarType, GraphQLEnumType))


def _scalar_completer(scalar: GraphQLScalarType) -> Callable[[Run, Any, Any], Any]:
    serialize = scalar.serialize
    # graphql-core's own serialisers return these values unchanged; skip the call.
    exact: type | None = {id(GraphQLString): str, id(GraphQLID): str, id(GraphQLBoolean): bool}.get(id(scalar))

    if scalar is GraphQLInt:

        def complete_int(run: Run, value: Any, path: Any) -> Any:
            if value is None:
                return None
            if type(value) is int and _MIN_INT <= value <= _MAX_INT:
                return value
            return _serialized(serialize, value)

        return complete_int
    if scalar is GraphQLFloat:

        def complete_float(run: Run, value: Any, path: Any) -> Any:
            if value is None:
                return None
            if type(value) is float and math.isfinite(value):
                return value
            return _serialized(serialize, value)

        return complete_float

    def complete_scalar(run: Run, value: Any, path: Any) -> Any:
        if value is None:
            return None
        if type(value) is exact:
            return value
        return _serialized(serialize, value)

    return complete_scalar


def _serialized(serialize: Callable[[Any], Any], value: Any) -> Any:
    if isinstance(value, Exception):
        raise Unsupported("an error as a value")
    try:
        out = serialize(value)
    except Exception as exc:
        raise Unsupported("a value that does not serialise") from exc
    if out is None or out is Undefined:
        raise Unsupported("a value that serialises to nothing")
    return out


def compile_operation(
    schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> OperationPlan | None:
    """The plan of a validated query operation, or None when it is outside what plans do."""
    if operation.operation is not OperationType.QUERY or operation.directives:
        return None
    if any(v.directives for v in operation.variable_definitions or ()):
        return None
    root = schema.query_type
    if root is None:  # pragma: no cover
        return None
    try:
        return OperationPlan(_Compiler(schema, fragments).object_plan(root, [operation.selection_set]), operation)
    except (Unsupported, KeyError):
        return None


# --- running -----------------------------------------------------------------------------


@types.coroutine
def _resume(coroutine: Any, yielded: Any):
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


class Run:
    """One execution of a plan. `executor` is graphql-core's, built for this request (it
    coerced the variables and builds the resolvers' `info`)."""

    __slots__ = ("executor", "root_value", "pending", "_args")

    def __init__(self, executor: Any, root_value: Any) -> None:
        self.executor = executor
        self.root_value = root_value
        self.pending: list[Any] = []
        self._args: dict[int, dict[str, Any]] = {}

    async def execute(self, plan: OperationPlan) -> dict[str, Any]:
        try:
            data = self.object(plan.root, self.root_value, None)
            while self.pending:
                batch, self.pending = self.pending, []
                outcomes = await asyncio.gather(*batch, return_exceptions=True)
                for outcome in outcomes:
                    if isinstance(outcome, BaseException):
                        if isinstance(outcome, asyncio.CancelledError):
                            raise outcome
                        raise Unsupported("an error while waiting") from outcome
            return data
        except BaseException:
            for waiting in self.pending:
                waiting.close()
            raise

    def _arguments(self, field: FieldPlan) -> dict[str, Any]:
        # The same for every object the field is resolved on: coerced once per request.
        found = self._args.get(id(field))
        if found is None:
            try:
                found = get_argument_values(field.field_def, field.field_nodes[0], self.executor.variable_values)
            except Exception as exc:
                raise Unsupported("arguments that do not coerce") from exc
            self._args[id(field)] = found
        return found

    def object(self, plan: ObjectPlan, source: Any, path: Any) -> dict[str, Any]:
        if plan.is_type_of is not None:
            try:
                ok = plan.is_type_of(source, None)
            except Exception as exc:
                raise Unsupported("is_type_of failed") from exc
            if ok is not True:
                raise Unsupported("is_type_of is not simply true")
        out: dict[str, Any] = {}
        for field in plan.fields:
            kind = field.kind
            if kind == _ATTRIBUTE:
                value = getattr(source, field.name)
                out[field.key] = field.complete(
                    self, value, Path(path, field.key, plan.type.name) if field.wants_path else None
                )
            elif kind == _RESOLVER:
                field_path = Path(path, field.key, plan.type.name)
                info = self.executor.build_resolve_info(field.field_def, field.field_nodes, field.parent_type, field_path)
                args = self._arguments(field) if field.has_args else {}
                try:
                    result = field.resolve(source, info, **args)
                except Exception as exc:
                    raise Unsupported("a resolver raised") from exc
                if isinstance(result, types.CoroutineType):
                    try:
                        yielded = result.send(None)
                        if isinstance(yielded, asyncio.Future):
                            # As a task does on receiving it: another coroutine may await the
                            # same future (a DataLoader's, for a repeated key) before ours resumes.
                            yielded._asyncio_future_blocking = False
                    except StopIteration as stop:
                        result = stop.value
                    except Exception as exc:
                        raise Unsupported("a resolver raised") from exc
                    else:
                        out[field.key] = None  # keeps the response's key order
                        self.pending.append(self._later(_resume(result, yielded), out, field, field_path))
                        continue
                elif hasattr(result, "__await__") and not isinstance(result, (str, bytes, dict, list, tuple)):
                    out[field.key] = None
                    self.pending.append(self._later(result, out, field, field_path))
                    continue
                out[field.key] = field.complete(self, result, field_path)
            else:
                out[field.key] = field.name
        return out

    async def _later(self, awaitable: Any, out: dict[str, Any], field: FieldPlan, path: Any) -> None:
        out[field.key] = field.complete(self, await awaitable, path)
