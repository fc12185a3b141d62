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
import json
from datetime import UTC, datetime, timedelta

import pytest
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
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
from strawberry.types.graphql import OperationType

CORE = schema._schema
MAX_DEPTH = 4


def build_runtime() -> Runtime:
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
    runtime = Runtime(settings=settings, store=store, matcher=matcher, events=events, plugin_manager=pm, staff=None)
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
