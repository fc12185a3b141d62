"""Execution plans compiled once per validated query operation (the idea behind graphql-jit).

graphql-core's executor works out, for every field of every object it returns, which
fields the selection asks for (collecting fragments), which resolver to call, what the
return type is and how to complete it; for a 50-item list that is thousands of generic
steps per request. A plan does that work once per operation: for each selection set, the
list of (response key, how to get the value, how to complete it) for its one object type.
Running a plan is then a loop of attribute reads and calls.

What a plan does per field is what graphql-core and Strawberry do, with the same functions
where it counts: a Strawberry resolver is called directly (`Direct`), with its arguments
converted as Strawberry's `convert_arguments` converts them (by converters worked out once,
`_compiled_arguments`) and the source and an `Info` passed to the parameters that ask for
them, exactly what Strawberry's resolver wrapper does for a field without field extensions
(permission classes) or exception handlers; other fields are resolved by the schema's own
`field.resolve` with a `GraphQLResolveInfo` built by graphql-core's executor. Leaves are
serialised by the schema's scalar and enum types; abstract types by the schema's own
`resolve_type`. Strawberry fields without a resolver are read as the attribute Strawberry
itself would read (what its default resolver does).

A plan supports a subset, and says so at compile time (`compile_operation` returns None) or
at run time (it raises `Unsupported`), and the caller then runs graphql-core's `execute`:

- compiled: queries and mutations; object types, interfaces and unions (with their
  `resolve_type`); lists; non-null; scalars and enums; fragments and inline fragments;
  `__typename`.
- not compiled: subscriptions, directives (`@skip`, `@include`, ...), introspection fields
  other than `__typename`.
- at run time: any error at all (a resolver raising, a null in a non-null field, a value
  that does not serialise). Errors are rare and their exact shape (paths, null
  propagation, masking) is graphql-core's business. A query is run again by it (a query has
  no side effects). A mutation is not: its root fields run one after the other and what
  each root resolver returned or raised is kept, and graphql-core completes the operation
  with those outcomes given back to those fields (`Replay`, `replay_middleware`), so no
  write is ever made twice.

Resolvers that return coroutines are driven synchronously as far as they go without
waiting (`coroutine.send`): the memory store's coroutines never wait, and that saves a task
per resolver. A coroutine that does wait (a DataLoader batch, a database call) is resumed
later with the other waiting ones, all gathered concurrently as graphql-core gathers them,
so DataLoaders still batch.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import inspect
import math
import time
import types
from collections.abc import Callable, Iterable
from dataclasses import MISSING, dataclass
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
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    is_abstract_type,
)
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined
from strawberry.relay.types import GlobalID
from strawberry.types.arguments import (
    _is_leaf_type,
    _is_optional_leaf_type,
    convert_arguments,
)
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

from ..aio import resume

__all__ = ["OperationPlan", "Replay", "Unsupported", "compile_operation", "replay_middleware"]


class Unsupported(Exception):
    """This request leaves the plan: graphql-core's `execute` answers it instead."""


class Replay(Exception):
    """A mutation leaves its plan after some of its root resolvers were called: graphql-core
    answers it with `replay_middleware(outcomes)`, which gives those fields what their
    resolvers returned or raised instead of calling them again."""

    def __init__(self, outcomes: dict[str, tuple[bool, Any]]) -> None:
        super().__init__(f"mutation replayed after {len(outcomes)} root field(s)")
        self.outcomes = outcomes


def replay_middleware(outcomes: dict[str, tuple[bool, Any]]) -> Callable[..., Any]:
    """A graphql-core middleware: a root field whose resolver the plan called gets that
    call's outcome; every other field is resolved as usual."""

    def replay(next_: Callable[..., Any], source: Any, info: Any, **args: Any) -> Any:
        path = info.path
        if path.prev is None:
            found = outcomes.get(path.key)
            if found is not None:
                ok, value = found
                if ok:
                    return value
                raise value
        return next_(source, info, **args)

    return replay


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
    #: The Strawberry resolver called directly, without Strawberry's wrapper (`Direct`).
    direct: Direct | None = None


@dataclass(eq=False)
class Direct:
    """How Strawberry's wrapper (`GraphQLCoreConverter.from_resolver`) would call a field's
    resolver, worked out once: which of the resolver's parameters get the source and the
    `Info`, and how its arguments are converted (`convert_arguments`). Only for fields
    without field extensions (permission classes are extensions) and without exception
    handlers, where that wrapper does nothing else."""

    field: Any  # StrawberryField
    call: Callable[..., Any]  # the resolver's own function
    pass_self: bool
    source_names: tuple[str, ...]  # parameters named for the parent or the root
    info_name: str | None
    info_class: type
    has_arguments: bool
    convert: Callable[[dict[str, Any], Any], dict[str, Any]]


@functools.cache
def _lazy_info_class(info_class: type) -> type:
    """`info_class` (Strawberry's `Info`, or the schema's own) whose graphql-core
    `GraphQLResolveInfo` is built when first read: most resolvers read only `context`,
    which comes straight from the run. Everything else an `Info` offers reads the real
    `GraphQLResolveInfo`, the same one `Run._prepare` and graphql-core would build."""

    class LazyInfo(info_class):  # type: ignore[misc, valid-type]
        def __init__(self, run: Run, field: FieldPlan, path: Any, strawberry_field: Any) -> None:
            self._run, self._plan, self._path, self._field = run, field, path, strawberry_field

        @property
        def _raw_info(self) -> Any:
            raw = self.__dict__.get("_raw")
            if raw is None:
                f = self._plan
                raw = self.__dict__["_raw"] = self._run.executor.build_resolve_info(f.field_def, f.field_nodes, f.parent_type, self._path)
            return raw

        @property
        def context(self) -> Any:
            return self._run.executor.context_value

    LazyInfo.__name__ = LazyInfo.__qualname__ = info_class.__name__
    return LazyInfo


@dataclass(eq=False)
class ObjectPlan:
    type: GraphQLObjectType
    fields: list[FieldPlan]
    is_type_of: Callable[[Any, Any], bool] | None


@dataclass(eq=False)
class OperationPlan:
    root: ObjectPlan
    operation: OperationDefinitionNode
    #: Root fields run one after the other (`Run.execute_mutation`).
    mutation: bool = False


# --- compiling ---------------------------------------------------------------------------


class _Compiler:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.schema = schema
        self.fragments = fragments
        #: The Strawberry schema the core schema was built from (None: call `field.resolve`).
        self.strawberry = getattr(schema, "_strawberry_schema", None)

    def direct(self, definition: Any) -> Direct | None:
        """A direct call of a Strawberry field's resolver, or None to call `field.resolve`."""
        strawberry_schema = self.strawberry
        if strawberry_schema is None or definition is None:
            return None
        resolver = getattr(definition, "base_resolver", None)
        if resolver is None or definition.extensions or not callable(resolver.wrapped_func):
            return None
        converter = strawberry_schema.schema_converter
        if converter._get_field_exception_handlers(definition):
            return None
        config = strawberry_schema.config
        registry = converter.scalar_registry
        arguments = definition.arguments

        convert = _compiled_arguments(arguments, registry, config)
        if convert is None:

            def convert(values: dict[str, Any], info: Any) -> dict[str, Any]:
                return convert_arguments(values, arguments, scalar_registry=registry, config=config, info=info)

        info = resolver.info_parameter
        return Direct(
            field=definition,
            call=resolver.wrapped_func,
            pass_self=resolver.self_parameter is not None,
            source_names=tuple(p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None),
            info_name=info.name if info is not None else None,
            info_class=_lazy_info_class(config.info_class),
            has_arguments=bool(arguments),
            convert=convert,
        )

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
                if self.applies(selection.type_condition, object_type):
                    self.collect(object_type, selection.selection_set, out, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in seen:
                    continue
                fragment = self.fragments[name]
                if fragment.directives or fragment.variable_definitions:
                    raise Unsupported("fragment directives or variables")
                if not self.applies(fragment.type_condition, object_type):
                    continue
                seen.add(name)
                self.collect(object_type, fragment.selection_set, out, seen)
            else:  # pragma: no cover - no other selections exist
                raise Unsupported(type(selection).__name__)

    def applies(self, condition: Any, object_type: GraphQLObjectType) -> bool:
        """Whether a fragment's type condition takes in objects of `object_type`
        (graphql-core's `does_fragment_condition_match`)."""
        if condition is None:
            return True
        conditional = self.schema.get_type(condition.name.value)
        if conditional is object_type:
            return True
        if is_abstract_type(conditional):
            return self.schema.is_sub_type(conditional, object_type)
        return False

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
            complete = self.completer(
                field_def.type, [n.selection_set for n in nodes if n.selection_set], (field_def, nodes, object_type)
            )
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
                        direct=self.direct(definition),
                    )
                )
            else:
                raise Unsupported("a field without a resolver")
        return ObjectPlan(object_type, plans, object_type.is_type_of)

    def completer(
        self, return_type: Any, selection_sets: list[SelectionSetNode], field: tuple[GraphQLField, list[FieldNode], GraphQLObjectType]
    ) -> Callable[[Run, Any, Any], Any]:
        """How to complete a value of `return_type` (of `field`: its definition, nodes and
        parent type, for the `info` of an abstract type's `resolve_type`)."""
        if isinstance(return_type, GraphQLNonNull):
            inner = self.completer(return_type.of_type, selection_sets, field)

            def complete_non_null(run: Run, value: Any, path: Any) -> Any:
                if value is None:
                    raise Unsupported("null in a non-null field")
                return inner(run, value, path)

            return complete_non_null
        if isinstance(return_type, GraphQLList):
            item_type = return_type.of_type
            inner = self.completer(item_type, selection_sets, field)
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
        if isinstance(return_type, (GraphQLUnionType, GraphQLInterfaceType)):
            resolve_type = return_type.resolve_type
            if resolve_type is None:  # graphql-core's default type resolver: not compiled
                raise Unsupported("an abstract type without resolve_type")
            plans = {t.name: self.object_plan(t, selection_sets) for t in self.schema.get_possible_types(return_type)}
            field_def, field_nodes, parent_type = field

            def complete_abstract(run: Run, value: Any, path: Any) -> Any:
                if value is None:
                    return None
                if isinstance(value, Exception):
                    raise Unsupported("an error as a value")
                field_path = path
                while type(field_path.key) is int:  # an item's path: the field's info is the list's
                    field_path = field_path.prev
                info = run.executor.build_resolve_info(field_def, field_nodes, parent_type, field_path)
                try:
                    name = resolve_type(value, info, return_type)
                except Exception as exc:
                    raise Unsupported("resolve_type raised") from exc
                plan = plans.get(name) if type(name) is str else None
                if plan is None:  # awaitable, unknown or not a possible type: graphql-core words it
                    raise Unsupported("a runtime type the plan does not know")
                return run.object(plan, value, path)

            return complete_abstract
        raise Unsupported(f"{type(return_type).__name__} results")


class _NotCompiled(Exception):
    pass


def _compiled_arguments(arguments: list[Any], registry: Any, config: Any) -> Callable[[dict[str, Any], Any], dict[str, Any]] | None:
    """Strawberry's `convert_arguments` for these arguments, worked out once: it converts
    input objects by reading every field's annotation on every call, a third of a small
    mutation's time. None where a type is outside what this does (Maybe, lazy types,
    GlobalID, `from_input`): Strawberry's own function converts those."""
    try:
        converters = [
            (config.name_converter.from_argument(a), a.python_name, _converter(a.type, registry, config)) for a in arguments
        ]
    except _NotCompiled:
        return None

    def convert(values: dict[str, Any], info: Any) -> dict[str, Any]:
        kwargs = {}
        for name, python_name, converter in converters:
            if name in values:
                kwargs[python_name] = converter(values[name])
        return kwargs

    return convert


def _same(value: Any) -> Any:
    return value


def _converter(type_: Any, registry: Any, config: Any) -> Callable[[Any], Any]:
    """`convert_argument(value, type_, ...)` for one type, in the order it tests types."""
    if isinstance(type_, StrawberryMaybe):
        raise _NotCompiled
    if isinstance(type_, StrawberryOptional):
        return _converter(type_.of_type, registry, config)
    if isinstance(type_, StrawberryList):
        item = type_.of_type
        if _is_leaf_type(item, registry, skip_classes=(GlobalID,)) or _is_optional_leaf_type(item, registry, skip_classes=(GlobalID,)):

            def leaves(value: Any) -> Any:
                if value is None or value is UNSET:
                    return value
                return list(value)  # copied, as Strawberry copies it (defaults are shared)

            return leaves
        inner = _converter(item, registry, config)

        def items(value: Any) -> Any:
            if value is None or value is UNSET:
                return value
            return [inner(x) for x in value]

        return items
    if _is_leaf_type(type_, registry):
        if type_ is GlobalID:
            raise _NotCompiled
        return _same
    if isinstance(type_, LazyType):
        raise _NotCompiled
    if has_enum_definition(type_):
        return _same  # graphql-core gave the enum's value already; Strawberry passes it on
    if has_object_definition(type_):
        definition = type_.__strawberry_definition__
        if definition.from_input is not None:
            raise _NotCompiled
        defaults = (
            {f.python_name: None for f in definition.fields if f.default_value is MISSING and f.default_factory is MISSING}
            if definition.is_input
            else {}
        )
        fields = [
            (config.name_converter.from_field(f), f.python_name, _converter(f.resolve_type(type_definition=definition), registry, config))
            for f in definition.fields
        ]
        cls = type_

        def input_object(value: Any) -> Any:
            if value is None or value is UNSET:
                return value
            kwargs = dict(defaults)
            for name, python_name, converter in fields:
                if name in value:
                    kwargs[python_name] = converter(value[name])
            return cls(**kwargs)

        return input_object
    raise _NotCompiled


_IMMUTABLE = (str, int, float, bool, enum.Enum, type(None))


def _immutable(value: Any) -> bool:
    return isinstance(value, _IMMUTABLE) or value is UNSET


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
    """The plan of a validated query or mutation, or None when it is outside what plans do."""
    if operation.directives or operation.operation is OperationType.SUBSCRIPTION:
        return None
    if any(v.directives for v in operation.variable_definitions or ()):
        return None
    mutation = operation.operation is OperationType.MUTATION
    root = schema.mutation_type if mutation else schema.query_type
    if root is None:  # pragma: no cover
        return None
    try:
        return OperationPlan(_Compiler(schema, fragments).object_plan(root, [operation.selection_set]), operation, mutation)
    except (Unsupported, KeyError):
        return None


# --- running -----------------------------------------------------------------------------


#: How long a query's plan runs before it lets the event loop take a turn (seconds), and
#: how many objects it completes between looks at the clock. A large answer (tens of
#: thousands of values, about 2 µs each: benchmarks/answer_size.py) would otherwise be
#: produced in one go while every other request waits.
TURN_SECONDS = 0.01
TURN_CHECK = 64


async def _next_turn(run: Run, value: Any) -> Any:
    """`value`, after the event loop had a turn. The first of the fields put off in one turn
    to resume starts the next turn; the others resume within it (or are put off again)."""
    turn = run.turn
    await asyncio.sleep(0)
    if run.turn == turn:
        run.new_turn()
    return value


class Run:
    """One execution of a plan. `executor` holds the request's coerced variables and context
    and builds the resolvers' `GraphQLResolveInfo` (fastpath._Execution: graphql-core's
    executor, made when first needed).

    A query's run takes turns (`TURN_SECONDS`): once its turn is over, the fields it has not
    completed yet are completed later, through `pending` as a resolver's awaited value is,
    after the event loop had a turn; the answer is the same, built in several turns."""

    __slots__ = ("executor", "root_value", "pending", "_args", "_converted", "_objects", "_turn_ends", "_yielding", "turn")

    def __init__(self, executor: Any, root_value: Any) -> None:
        self.executor = executor
        self.root_value = root_value
        self.pending: list[Any] = []
        self._args: dict[int, dict[str, Any]] = {}
        self._converted: dict[int, dict[str, Any]] = {}
        self._objects = 0
        #: None: no turns (a mutation's run, whose fields complete in order).
        self._turn_ends: float | None = None
        self._yielding = False
        self.turn = 0

    def new_turn(self) -> None:
        self.turn += 1
        self._turn_ends = time.monotonic() + TURN_SECONDS
        self._yielding = False

    async def execute(self, plan: OperationPlan) -> dict[str, Any]:
        try:
            self.new_turn()
            data = self.object(plan.root, self.root_value, None)
            await self._drain()
            return data
        except BaseException:
            self._abandon()
            raise

    async def _drain(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
            if len(batch) == 1:  # (a screen pop's one customer): no task and gather for it
                try:
                    await batch[0]
                except Exception as exc:
                    raise Unsupported("an error while waiting") from exc
                continue
            outcomes = await asyncio.gather(*batch, return_exceptions=True)
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    if isinstance(outcome, asyncio.CancelledError):
                        raise outcome
                    raise Unsupported("an error while waiting") from outcome

    def _abandon(self) -> None:
        for waiting in self.pending:
            waiting.close()
        self.pending = []

    async def execute_mutation(self, plan: OperationPlan) -> dict[str, Any]:
        """A mutation's root fields one after the other, each completed before the next
        resolver is called, as graphql-core runs them. What each root resolver returned (or
        raised) is kept; should anything leave the plan after the first resolver was
        called, `Replay` hands those outcomes to graphql-core, which answers from them
        without calling those resolvers again (a write is never repeated)."""
        outcomes: dict[str, tuple[bool, Any]] = {}
        data: dict[str, Any] = {}
        root = plan.root
        for field in root.fields:
            if field.kind == _TYPENAME:
                data[field.key] = field.name
                continue
            path = Path(None, field.key, root.type.name)
            try:
                if field.kind == _ATTRIBUTE:
                    call = functools.partial(getattr, self.root_value, field.name)
                else:
                    call = self._prepare(field, self.root_value, path)
            except Exception as exc:  # nothing was called: graphql-core calls it
                raise Replay(outcomes) from exc
            try:
                result = call()
                if inspect.isawaitable(result):
                    result = await result
            except Exception as exc:
                outcomes[field.key] = (False, exc)
                raise Replay(outcomes) from exc
            outcomes[field.key] = (True, result)
            try:
                data[field.key] = field.complete(self, result, path)
                await self._drain()
            except asyncio.CancelledError:
                self._abandon()
                raise
            except Exception as exc:
                self._abandon()
                raise Replay(outcomes) from exc
        return data

    def _prepare(self, field: FieldPlan, source: Any, path: Any) -> Callable[[], Any]:
        """The call of a field's resolver, its arguments ready (see `_call`)."""
        direct = field.direct
        if direct is None:
            info = self.executor.build_resolve_info(field.field_def, field.field_nodes, field.parent_type, path)
            args = self._arguments(field) if field.has_args else {}
            return functools.partial(field.resolve, source, info, **args)
        kwargs = self._direct_kwargs(field, direct, source, path)
        if direct.pass_self:
            return functools.partial(direct.call, source, **kwargs)
        return functools.partial(direct.call, **kwargs)

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

    def _call(self, field: FieldPlan, direct: Direct, source: Any, path: Any) -> Any:
        """What Strawberry's wrapper does for one call of the resolver: convert the
        arguments, pass the source and an `Info` where the resolver asks for them."""
        kwargs = self._direct_kwargs(field, direct, source, path)
        if direct.pass_self:
            return direct.call(source, **kwargs)
        return direct.call(**kwargs)

    def _direct_kwargs(self, field: FieldPlan, direct: Direct, source: Any, path: Any) -> dict[str, Any]:
        info = None
        if direct.info_name is not None or direct.has_arguments:
            info = direct.info_class(self, field, path, direct.field)
        if direct.has_arguments:
            kwargs = self._converted.get(id(field))
            if kwargs is None:
                kwargs = direct.convert(self._arguments(field), info)
                if all(_immutable(v) for v in kwargs.values()):
                    # Plain values, the same for every object in this request: converted once.
                    self._converted[id(field)] = kwargs
                # (input objects and lists are not kept: each call converts its own, as in Strawberry)
            kwargs = dict(kwargs)
        else:
            kwargs = {}
        for name in direct.source_names:
            kwargs[name] = source
        if direct.info_name is not None:
            kwargs[direct.info_name] = info
        return kwargs

    def object(self, plan: ObjectPlan, source: Any, path: Any) -> dict[str, Any]:
        if plan.is_type_of is not None:
            try:
                ok = plan.is_type_of(source, None)
            except Exception as exc:
                raise Unsupported("is_type_of failed") from exc
            if ok is not True:
                raise Unsupported("is_type_of is not simply true")
        if self._turn_ends is not None:
            self._objects += 1
            if not self._objects % TURN_CHECK and time.monotonic() > self._turn_ends:
                self._yielding = True
        out: dict[str, Any] = {}
        for field in plan.fields:
            kind = field.kind
            if kind == _ATTRIBUTE:
                value = getattr(source, field.name)
                if field.wants_path and self._yielding:  # an object or a list: in a later turn
                    out[field.key] = None  # keeps the response's key order
                    self.pending.append(self._later(_next_turn(self, value), out, field, Path(path, field.key, plan.type.name)))
                    continue
                out[field.key] = field.complete(
                    self, value, Path(path, field.key, plan.type.name) if field.wants_path else None
                )
            elif kind == _RESOLVER:
                field_path = Path(path, field.key, plan.type.name)
                try:
                    direct = field.direct
                    if direct is not None:
                        result = self._call(field, direct, source, field_path)
                    else:
                        info = self.executor.build_resolve_info(field.field_def, field.field_nodes, field.parent_type, field_path)
                        args = self._arguments(field) if field.has_args else {}
                        result = field.resolve(source, info, **args)
                except Unsupported:
                    raise
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
                        self.pending.append(self._later(resume(result, yielded), out, field, field_path))
                        continue
                elif hasattr(result, "__await__") and not isinstance(result, (str, bytes, dict, list, tuple)):
                    out[field.key] = None
                    self.pending.append(self._later(result, out, field, field_path))
                    continue
                if self._yielding:
                    out[field.key] = None
                    self.pending.append(self._later(_next_turn(self, result), out, field, field_path))
                    continue
                out[field.key] = field.complete(self, result, field_path)
            else:
                out[field.key] = field.name
        return out

    async def _later(self, awaitable: Any, out: dict[str, Any], field: FieldPlan, path: Any) -> None:
        out[field.key] = field.complete(self, await awaitable, path)
