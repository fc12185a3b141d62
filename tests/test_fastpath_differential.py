"""The fast path (service/fastpath) against graphql-core's own execution: generated query
documents over the real schema run through `FastPath.execute` and through Strawberry's
`Schema.execute` (graphql-core's `execute` with the service's extensions), on the same data,
and must give identical data and identical errors (messages, paths, codes, request ids).

Generated documents use aliases, fragments, inline fragments, `@include`/`@skip`,
`__typename`, interfaces, arguments good and bad (page sizes out of range, unknown ids,
malformed cursors), so both the compiled plans and their fallbacks are exercised; a second
test checks that the plans really answer most of them.
"""

from __future__ import annotations

import asyncio
import enum
import json
from datetime import UTC, datetime, timedelta

import pytest
import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    get_named_type,
    parse,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.permission import BasePermission
from strawberry.types.graphql import OperationType

from plugins.memory import MemoryStore
from service import plugins
from service.authentication import LOCAL_DEVELOPER
from service.domain.access import Actor, Role
from service.domain.records import (
    Activity,
    Channel,
    Contact,
    ContactRole,
    Customer,
    CustomerPermission,
    Direction,
    EmailAddress,
    PhoneNumber,
    PostalAddress,
    Sender,
)
from service.events import EventBus
from service.fastpath import FastPath
from service.fastpath import compiled as compiled_module
from service.runtime import Runtime
from service.schema import schema
from service.schema.context import Context
from service.schema.ids import to_global_id
from service.settings import Settings

CORE = schema._schema
MAX_DEPTH = 4


def build_runtime(clock=None) -> Runtime:
    settings = Settings()
    pm = plugins.plugin_manager()
    store = MemoryStore()
    matcher = plugins.build_matcher(plugins.choose_matching(pm, settings), settings)
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    records = []
    for i in range(12):
        at = t0 + timedelta(minutes=i)
        e164 = f"+42060100{i:04d}"
        customer = Customer(
            f"c{i}",
            1,
            at,
            at,
            "seed",
            first_name=["Jana", "Petr", None][i % 3],
            last_name=["Nováková", "Dvořák", None][i % 3],
            organization_name=None if i % 3 != 2 else f"Firma {i} s.r.o.",
            emails=(EmailAddress(f"c{i}@example.cz", f"c{i}@example.cz"),) if i % 4 else (),
            phones=(PhoneNumber(f"+420 601 00{i:04d}"[:16], e164, "mobile"),),
            address=PostalAddress(city="Brno", postcode="60200") if i % 2 else None,
            external_id=f"x-{i}" if i % 5 == 0 else None,
        )
        records.append(("customer", customer))
        for k in range(i % 3):
            records.append(
                (
                    "contact",
                    Contact(
                        f"k{i}-{k}",
                        1,
                        at,
                        at,
                        "seed",
                        customer_id=customer.id,
                        role=ContactRole.MAIN if k == 0 else ContactRole.ADDITIONAL,
                        first_name=["Eva", None][k % 2],
                        last_name="Nová" if k == 0 else None,
                        title="Ing." if i % 2 else None,
                        email=EmailAddress(f"k{i}{k}@example.cz", f"k{i}{k}@example.cz") if (i + k) % 3 else None,
                        phone=PhoneNumber("601 000 111", "+420601000111") if k else None,
                        reminder_contact=bool(i % 2),
                    ),
                )
            )
        for k in range(i % 2 + 1):
            records.append(
                (
                    "activity",
                    Activity(
                        f"a{i}-{k}",
                        1,
                        at,
                        at,
                        "seed",
                        channel=[Channel.CALL, Channel.EMAIL, Channel.CHAT][k % 3],
                        direction=Direction.INBOUND,
                        sender=Sender(phone="601001000", phone_e164=e164),
                        occurred_at=at + timedelta(seconds=k),
                        customer_id=customer.id if i % 4 else None,
                        associated_at=at if i % 4 else None,
                    ),
                )
            )

    async def load() -> None:
        for kind, record in records:
            await getattr(store, f"insert_{kind}")(record)

    asyncio.run(load())
    events = EventBus(pm)
    extra = {"clock": clock} if clock is not None else {}
    runtime = Runtime(settings=settings, store=store, matcher=matcher, events=events, plugin_manager=pm, staff=None, **extra)
    events.runtime = runtime
    return runtime


RUNTIME = build_runtime()
ACTORS = [
    LOCAL_DEVELOPER,
    Actor("agent-1", Role.AGENT),
    Actor("acct", Role.CUSTOMER, customer_id="c1", permissions=frozenset({CustomerPermission.VIEW_CONTACTS})),
]
IDS = [to_global_id(t, i) for t, i in (("Customer", "c1"), ("Customer", "c5"), ("Contact", "k1-0"), ("Activity", "a2-1"))]
IDS += [to_global_id("Customer", "nobody"), "not-an-id", ""]
STRINGS = ["nov", "", "jana", "601", "Brno", "ž", "x" * 3]


def literal(draw, t, depth: int = 0) -> str | None:
    """A GraphQL literal of input type t (sometimes a wrong one), or None to leave it out."""
    if isinstance(t, GraphQLNonNull):
        return literal(draw, t.of_type, depth) or "null"
    if isinstance(t, GraphQLList):
        items = [literal(draw, t.of_type, depth + 1) for _ in range(draw(st.integers(0, 2)))]
        return "[" + ", ".join(i for i in items if i) + "]"
    if isinstance(t, GraphQLEnumType):
        return draw(st.sampled_from(list(t.values)))
    if isinstance(t, GraphQLInputObjectType):
        if depth > 2:
            return None
        parts = []
        for name, f in t.fields.items():
            required = isinstance(f.type, GraphQLNonNull) and f.default_value is None
            if required or draw(st.booleans()):
                value = literal(draw, f.type, depth + 1)
                if value:
                    parts.append(f"{name}: {value}")
        return "{" + ", ".join(parts) + "}"
    assert isinstance(t, GraphQLScalarType), t
    if t.name == "Int":
        return str(draw(st.sampled_from([0, 1, 2, 3, 5, 20, 101, -1])))
    if t.name == "Float":
        return draw(st.sampled_from(["0.5", "1"]))
    if t.name == "Boolean":
        return draw(st.sampled_from(["true", "false"]))
    if t.name == "ID":
        return json.dumps(draw(st.sampled_from(IDS)))
    if t.name == "DateTime":
        return json.dumps(draw(st.sampled_from(["2026-03-01T10:00:00+00:00", "yesterday"])))
    return json.dumps(draw(st.sampled_from(STRINGS)))


def selection(draw, t, depth: int, fragments: dict[str, str]) -> str:
    """A selection set for output type t (object, interface or union)."""
    named = get_named_type(t)
    parts: list[str] = []
    if isinstance(named, (GraphQLInterfaceType, GraphQLUnionType)):
        parts.append("__typename")
        possible = list(CORE.get_possible_types(named))
        for concrete in draw(st.lists(st.sampled_from(possible), max_size=2, unique_by=lambda x: x.name)):
            parts.append(f"... on {concrete.name} {selection(draw, concrete, depth, fragments)}")
        if isinstance(named, GraphQLUnionType):
            return "{ " + " ".join(parts) + " }"
    assert isinstance(named, (GraphQLObjectType, GraphQLInterfaceType))
    fields = sorted(named.fields.items())
    if depth >= MAX_DEPTH:
        fields = [(n, f) for n, f in fields if not isinstance(get_named_type(f.type), (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType))]
    chosen = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=5, unique_by=lambda x: x[0]))
    for number, (name, field) in enumerate(chosen):
        alias = draw(st.sampled_from([None, None, None, f"a{depth}{number}"]))
        args = []
        for arg_name, arg in sorted(field.args.items()):
            if isinstance(arg.type, GraphQLNonNull) or draw(st.integers(0, 2)) == 0:
                value = literal(draw, arg.type)
                if value:
                    args.append(f"{arg_name}: {value}")
        directive = draw(st.sampled_from(["", "", "", "", "@include(if: true)", "@skip(if: true)", "@include(if: false)"]))
        text = (f"{alias}: " if alias else "") + name + (f"({', '.join(args)})" if args else "") + (f" {directive}" if directive else "")
        inner = get_named_type(field.type)
        if isinstance(inner, (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)):
            sub = selection(draw, field.type, depth + 1, fragments)
            if isinstance(inner, GraphQLObjectType) and draw(st.integers(0, 4)) == 0:
                fragment = f"F{len(fragments)}"
                fragments[fragment] = f"fragment {fragment} on {inner.name} {sub}"
                sub = "{ ... " + fragment + (" __typename }" if draw(st.booleans()) else " }")
            text += " " + sub
        parts.append(text)
    if draw(st.integers(0, 5)) == 0:
        parts.append("__typename")
    if isinstance(named, GraphQLObjectType) and draw(st.integers(0, 6)) == 0:
        parts.append(f"... on {named.name} {{ __typename }}")
    return "{ " + " ".join(parts) + " }"


@st.composite
def documents(draw) -> str:
    fragments: dict[str, str] = {}
    body = selection(draw, CORE.query_type, 1, fragments)
    return " ".join(["query Q", body, *fragments.values()])


def context(actor, locale: str) -> Context:
    return Context(runtime=RUNTIME, actor=actor, locale=locale, request_id="req-1")


def run(coroutine):
    return asyncio.run(coroutine)


def both(query: str, actor, locale: str, variables=None):
    fast = FastPath(schema)
    allowed = {OperationType.QUERY, OperationType.MUTATION}
    ours = run(fast.execute(query, variables, None, None, context(actor, locale), None, allowed))
    theirs = run(schema.execute(query, variables, context(actor, locale), None, None, allowed))
    return ours, theirs


def shape(result):
    return {"data": result.data, "errors": [e.formatted for e in result.errors or []]}


@given(documents(), st.sampled_from(ACTORS), st.sampled_from(["en", "cs", "de"]))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_generated_queries_answer_alike_through_the_fast_path_and_graphql_core(query, actor, locale):
    ours, theirs = both(query, actor, locale)
    if ours is None:
        # Left to Strawberry's path: only documents that do not validate.
        assert theirs.errors and theirs.data is None, (query, shape(theirs))
        return
    assert shape(ours) == shape(theirs), query


@given(documents())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_generated_queries_answer_alike_without_any_plan(query):
    """The cached-document path alone (graphql-core's execute on a cached document)."""
    fast = FastPath(schema, compile_plans=False)
    allowed = {OperationType.QUERY}
    ours = run(fast.execute(query, None, None, None, context(LOCAL_DEVELOPER, "cs"), None, allowed))
    theirs = run(schema.execute(query, None, context(LOCAL_DEVELOPER, "cs"), None, None, allowed))
    if ours is not None:
        assert shape(ours) == shape(theirs), query


def test_plans_answer_the_common_queries_themselves(monkeypatch):
    """Not only fallbacks: the plans themselves answer error-free queries, fragments and
    DataLoader-backed fields included."""
    answered = []
    original = compiled_module.Run.execute

    async def counting(self, plan):
        data = await original(self, plan)
        answered.append(plan)
        return data

    monkeypatch.setattr(compiled_module.Run, "execute", counting)
    queries = [
        "query { customers(first: 5) { totalCount edges { cursor node { id displayName ...C } } } } "
        "fragment C on Customer { phones { e164 label } address { city } contacts(role: MAIN) { edges { node { displayName customer { id } } } } }",
        "query { contacts(filter: {search: \"nov\"}, first: 20) { totalCount pageInfo { hasNextPage endCursor } "
        "edges { node { id displayName email phone role warnings { code message } customer { id displayName } } } } }",
        "query { matchCustomers(identity: {phone: \"601000001\"}, limit: 2) { score reasons { field } customer { id activities { edges { node { id channel occurredAt } } } } } }",
        "query { activities(first: 3) { edges { node { __typename id sender { e164Phone } customer { displayName } } } } }",
    ]
    for query in queries:
        for actor in ACTORS[:2]:
            ours, theirs = both(query, actor, "cs")
            assert ours is not None and shape(ours) == shape(theirs), query
    assert len(answered) == len(queries) * 2


def test_variables_and_their_errors_answer_alike():
    query = "query Q($first: Int, $search: String) { customers(first: $first, search: $search) { totalCount edges { node { id } } } }"
    for variables in ({"first": 2, "search": "nov"}, {"first": 500}, {"first": "many"}, {}, {"search": None}):
        ours, theirs = both(query, LOCAL_DEVELOPER, "de", variables)
        if ours is None:  # variables that do not coerce are left to Strawberry's path
            assert theirs.errors and theirs.data is None
        else:
            assert shape(ours) == shape(theirs), variables


@pytest.mark.parametrize("locale", ["en", "cs", "nb"])
def test_a_resolver_error_comes_out_the_same(locale):
    query = 'query { customers(first: 5, after: "garbage") { totalCount } contacts(first: 1000) { totalCount } }'
    ours, theirs = both(query, LOCAL_DEVELOPER, locale)
    assert ours is not None and ours.errors and shape(ours) == shape(theirs)


# A tiny schema of its own, for what the service's schema does not have.


class Never(BasePermission):
    message = "not for you"

    def has_permission(self, source, info, **kwargs) -> bool:
        return False

@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"

@strawberry.input
class Box:
    colour: Colour
    sizes: list[int] = strawberry.field(default_factory=list)

@strawberry.type
class TinyQuery:
    @strawberry.field
    def plain(self, info: strawberry.Info, n: int = 1, colour: Colour | None = None) -> str:
        # (plans hand resolvers an Info that builds graphql-core's info only when read)
        seen = (info.path.key, info.field_name, info.context, info.return_type, isinstance(info, strawberry.Info))
        return f"{n} {colour} {seen} {type(self).__name__}"

    @strawberry.field
    def boxed(self, box: Box) -> str:
        box.sizes.append(len(box.sizes))  # the resolver's own copy: never seen by another call
        return f"{box.colour} {box.sizes}"

    @strawberry.field(permission_classes=[Never])
    def guarded(self) -> int:
        return 1



def test_plans_call_resolvers_directly_except_fields_with_extensions():
    """Plans call a resolver function themselves (converting its arguments, passing self and
    `info` as Strawberry's wrapper would) only where that wrapper does nothing else: a field
    with a permission class (a field extension) keeps Strawberry's wrapper, and both answer
    as graphql-core does."""
    tiny = strawberry.Schema(TinyQuery)
    document = parse('{ a: plain(n: 2, colour: BLUE) plain boxed(box: {colour: RED, sizes: [1]}) b: boxed(box: {colour: RED}) }')
    plan = compiled_module.compile_operation(tiny._schema, document.definitions[0], {})
    fields = {f.key: f for f in plan.root.fields}
    assert all(fields[k].direct is not None for k in ("a", "plain", "boxed", "b"))
    guarded = compiled_module.compile_operation(tiny._schema, parse("{ guarded }").definitions[0], {})
    assert guarded.root.fields[0].direct is None

    allowed = {OperationType.QUERY}
    for query in ("{ a: plain(n: 2, colour: BLUE) plain boxed(box: {colour: RED, sizes: [1]}) b: boxed(box: {colour: RED}) }", "{ plain guarded }"):
        ours = run(FastPath(tiny).execute(query, None, None, None, None, TinyQuery(), allowed))
        theirs = run(tiny.execute(query, None, None, TinyQuery(), None, allowed))
        # (the fast path masks errors as the service's schema does; this schema does not mask)
        assert ours is not None and ours.data == theirs.data, query
        assert [(e.message, e.path) for e in ours.errors or []] == [(e.message, e.path) for e in theirs.errors or []]


def test_the_real_schema_s_resolvers_are_called_directly():
    query = "query { customers(first: 2) { edges { node { displayName contacts(role: MAIN) { totalCount } } } } }"
    plan = compiled_module.compile_operation(CORE, parse(query).definitions[0], {})
    customers = plan.root.fields[0]
    node = _field(_field(_field(customers, "edges"), "node"), "displayName")
    contacts = _field(_field(_field(_field(customers, "edges"), "node"), "contacts"), "totalCount")
    assert customers.direct is not None and node.direct is not None
    assert _field(_field(_field(customers, "edges"), "node"), "contacts").direct is not None and contacts is not None


def _field(field, key):
    """The plan of a sub-field: through the completers' closures to the object plan."""
    complete = field.complete
    while True:
        cells = {c.cell_contents.__class__.__name__: c.cell_contents for c in complete.__closure__ or ()}
        if "ObjectPlan" in cells:
            return next(f for f in cells["ObjectPlan"].fields if f.key == key)
        complete = cells.get("function")


# --- mutations -----------------------------------------------------------------------------
#
# Mutations write, so each side gets a fresh store with the same seed data, the same clock
# and the same record ids; after the mutation, both stores are asked the same query too.

AFTERWARDS = (
    "query { customers(first: 50) { totalCount edges { node { id version displayName emails { address } "
    "contacts { totalCount edges { node { id role displayName } } } activities { totalCount edges { node { id channel } } } } } } "
    "openList(first: 50) { totalCount edges { node { id status displayName } } } }"
)


class Deterministic:
    """Record ids and the clock, the same sequence on each side."""

    def __init__(self, monkeypatch) -> None:
        from service.domain import ids as ids_module

        self.monkeypatch = monkeypatch
        self.ids_module = ids_module
        self.reset()

    def reset(self) -> None:
        counter = iter(range(1, 10**6))
        ticks = iter(range(1, 10**6))
        self.monkeypatch.setattr(self.ids_module, "os", type("os", (), {"urandom": staticmethod(lambda n: next(counter).to_bytes(n, "big"))}))
        self.monkeypatch.setattr(self.ids_module, "time", type("time", (), {"time_ns": staticmethod(lambda: 1_800_000_000_000_000_000)}))
        start = datetime(2026, 3, 2, tzinfo=UTC)
        self.clock = lambda: start + timedelta(seconds=next(ticks))
        from service import authentication

        secrets = iter(range(1, 10**6))  # customer-account credentials
        self.monkeypatch.setattr(
            authentication, "secrets", type("secrets", (), {"token_urlsafe": staticmethod(lambda n: f"secret{next(secrets)}")})
        )


def both_mutations(deterministic: Deterministic, query: str, actor, locale: str, variables=None):
    """(ours, theirs, the stores afterwards): the fast path and Strawberry's execute, each
    on a fresh runtime."""
    allowed = {OperationType.QUERY, OperationType.MUTATION}
    deterministic.reset()
    mine = build_runtime(deterministic.clock)
    ours = run(FastPath(schema).execute(query, variables, None, None, Context(runtime=mine, actor=actor, locale=locale, request_id="req-1"), None, allowed))
    deterministic.reset()
    other = build_runtime(deterministic.clock)
    theirs = run(schema.execute(query, variables, Context(runtime=other, actor=actor, locale=locale, request_id="req-1"), None, None, allowed))
    after = [
        shape(run(schema.execute(AFTERWARDS, None, Context(runtime=rt, actor=LOCAL_DEVELOPER, locale="en", request_id="r"), None, None, {OperationType.QUERY})))
        for rt in (mine, other)
    ]
    return ours, theirs, after


PHONES = ["+420 601 000 001", "601000005", "+420 777 123 456", "not a phone", ""]


@st.composite
def mutation_documents(draw) -> str:
    fragments: dict[str, str] = {}
    body = selection(draw, CORE.mutation_type, 1, fragments)
    return " ".join(["mutation M", body, *fragments.values()])


@given(mutation_documents(), st.sampled_from(ACTORS), st.sampled_from(["en", "cs"]))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
def test_generated_mutations_answer_alike_through_the_fast_path_and_graphql_core(monkeypatch, query, actor, locale):
    ours, theirs, (mine, other) = both_mutations(Deterministic(monkeypatch), query, actor, locale)
    if ours is None:
        assert theirs.errors and theirs.data is None, (query, shape(theirs))
        return
    assert shape(ours) == shape(theirs), query
    assert mine == other, query


RECORD_ACTIVITY = """mutation R($phone: String, $name: String, $channel: Channel!) {
  recordActivity(input: {channel: $channel, sender: {phone: $phone, name: $name}}) {
    __typename
    ... on RecordActivitySuccess {
      outcome activity { id channel direction sender { e164Phone name } customer { id displayName } }
      customer { id displayName contacts(role: MAIN) { edges { node { displayName } } } }
      openListEntry { id displayName } candidates { score customer { id } }
    }
    ... on UserError { code message field }
  }
  again: recordActivity(input: {channel: EMAIL, sender: {email: "c1@example.cz"}}) { __typename ... on RecordActivitySuccess { outcome } }
}"""


@pytest.mark.parametrize(
    "variables",
    [
        {"phone": "+420 601 000 001", "channel": "CALL"},
        {"phone": "601000005", "channel": "CHAT"},
        {"phone": "+420 777 123 456", "name": "Eva Nová", "channel": "CALL"},
        {"phone": "not a phone", "channel": "CALL"},
        {"channel": "CALL"},
        {"channel": "FAX"},
    ],
)
def test_record_activity_answers_alike_and_writes_once(monkeypatch, variables):
    answered = []
    original = compiled_module.Run.execute_mutation

    async def counting(self, plan):
        data = await original(self, plan)
        answered.append(plan)
        return data

    monkeypatch.setattr(compiled_module.Run, "execute_mutation", counting)
    for actor in ACTORS:
        ours, theirs, (mine, other) = both_mutations(Deterministic(monkeypatch), RECORD_ACTIVITY, actor, "cs", variables)
        if ours is None:  # variables that do not coerce: Strawberry's path
            assert theirs.errors and theirs.data is None and variables["channel"] == "FAX"
            continue
        assert shape(ours) == shape(theirs), (actor, variables)
        assert mine == other, (actor, variables)
    if variables["channel"] != "FAX":
        assert answered, "the plan itself answered none of them"


def test_a_mutation_that_leaves_its_plan_is_not_written_twice(monkeypatch):
    """When completing a payload fails after the resolver wrote, graphql-core completes it
    from the resolver's outcome: one activity, not two."""
    deterministic = Deterministic(monkeypatch)
    query = 'mutation { recordActivity(input: {channel: CALL, sender: {phone: "+420 601 000 001"}}) { __typename ... on RecordActivitySuccess { activity { id } } } }'
    original = compiled_module.Run.object

    def failing(self, plan, source, path):
        if plan.type.name == "Activity":
            raise compiled_module.Unsupported("as if a value did not serialise")
        return original(self, plan, source, path)

    monkeypatch.setattr(compiled_module.Run, "object", failing)
    ours, theirs, (mine, other) = both_mutations(deterministic, query, LOCAL_DEVELOPER, "en")
    assert ours is not None and shape(ours) == shape(theirs)
    assert mine == other


FIELDS_WITH_ARGUMENTS = [
    (t, name, f)
    for t in (CORE.query_type, CORE.mutation_type, *[x for x in CORE.type_map.values() if isinstance(x, GraphQLObjectType)])
    for name, f in sorted(t.fields.items())
    if f.args and f.extensions.get("strawberry-definition") is not None
]


@given(st.sampled_from(FIELDS_WITH_ARGUMENTS), st.data())
@settings(max_examples=200, deadline=None)
def test_compiled_argument_conversion_matches_strawberry_s(field, data):
    """Plans convert arguments with converters worked out once (`_compiled_arguments`);
    they give what Strawberry's `convert_arguments` gives, input objects and lists included."""
    from graphql.execution.values import get_argument_values
    from strawberry.types.arguments import convert_arguments

    _, name, field_def = field
    definition = field_def.extensions["strawberry-definition"]
    args = []
    for arg_name, arg in sorted(field_def.args.items()):
        value = literal(data.draw, arg.type)
        if value:
            args.append(f"{arg_name}: {value}")
    node = parse("{ f" + (f"({', '.join(args)})" if args else "") + " }").definitions[0].selection_set.selections[0]
    try:
        values = get_argument_values(field_def, node, {})
    except Exception:
        return  # does not coerce: neither converts it
    converter = schema.schema_converter
    compiled = compiled_module._compiled_arguments(definition.arguments, converter.scalar_registry, schema.config)
    assert compiled is not None, name  # every argument of this schema is compiled
    theirs = convert_arguments(values, definition.arguments, scalar_registry=converter.scalar_registry, config=schema.config)
    assert compiled(values, None) == theirs


def test_a_query_that_leaves_its_plan_runs_again_with_fresh_dataloaders():
    """Found by the generated queries: the plan had started a DataLoader batch for
    `customer` when `activities` raised; graphql-core, running the query again with that
    batch, got the customer a turn earlier and reported an error under the nulled root
    that its own run (with fresh loaders) does not report."""
    query = (
        'query Q { customer(id: "Q3VzdG9tZXI6YzE") { activities(after: "nov", first: 0) { edges { cursor } } } '
        'activities(after: "nov", customerId: "Q3VzdG9tZXI6YzE", first: 0, unassociated: true) { edges { cursor } } }'
    )
    ours, theirs = both(query, LOCAL_DEVELOPER, "en")
    assert ours is not None and shape(ours) == shape(theirs)
