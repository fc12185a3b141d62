"""The OWASP GraphQL Cheat Sheet (https://cheatsheetseries.owasp.org/cheatsheets/GraphQL_Cheat_Sheet.html),
one test per item that applies to this service, each named after its item, the item's name
in its docstring. docs/security.md says how each item is handled.

Items that do not apply: "Process Validation" (there are no file uploads: multipart bodies
are refused, see the CSRF test) and "Rate Limiting" (left to the proxy in front of the
service, as docs/security.md says). CSRF is not an item of the cheat sheet but of the brief
that asked for these tests; it is here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import graphql
import pytest
from starlette.testclient import TestClient

from plugins.memory import MemoryStore
from service.app import create_app
from service.authentication import hash_token
from service.hookspecs import hookimpl
from service.settings import Settings
from service.storage import StorageBackend

from .test_access import ROLES, TOKENS, Client, record_for
from .test_hostile_input import MUTATIONS
from .test_limits import SLOW_QUERY, Slow, SlowStore
from .test_mongo import MockMongoBackend

ROOT = Path(__file__).resolve().parent.parent


# --- services ---------------------------------------------------------------------------------


def serve(settings: Settings, plugins=()) -> TestClient:
    return TestClient(create_app(settings, extra_plugins=plugins))


@pytest.fixture
def production(tmp_path) -> Iterator[Client]:
    """Production mode with staff tokens (tests/test_access.py's), as docs/security.md asks a
    deployment to run."""
    path = tmp_path / "tokens"
    path.write_text("".join(f"{who} {ROLES[who]} {hash_token(token)}\n" for who, token in TOKENS.items()))
    with serve(Settings(tokens_file=str(path), production=True)) as http:
        yield Client(http)


@pytest.fixture
def development() -> Iterator[TestClient]:
    """Local development mode: a request without a token acts as an administrator, which is
    what makes CSRF worth testing."""
    with serve(Settings()) as http:
        yield http


def single_error(response) -> dict:
    body = response.json()
    assert body.get("data") is None, body
    (error,) = body["errors"]
    return error


def codes(body: dict) -> set[str]:
    return {e["extensions"]["code"] for e in body.get("errors") or []}


CREATE = 'mutation($n: String) { createCustomer(input: {lastName: $n}) { __typename ... on CreateCustomerSuccess { customer { id } } } }'
ADD_CONTACT = """mutation($c: ID!, $n: String!, $p: String) { addContact(customerId: $c, input: {lastName: $n, email: "x@example.cz", phone: $p, role: MAIN}) {
  ... on AddContactSuccess { contact { id } } } }"""
ACCOUNT = """mutation($c: ID!, $p: [CustomerPermission!]!) { createCustomerAccount(contactId: $c, permissions: $p) {
  ... on CustomerAccountCredentialSuccess { credential } } }"""


def customer_count(http: TestClient, headers: dict | None = None) -> int:
    return http.post("/graphql", json={"query": "{ customers { totalCount } }"}, headers=headers or {}).json()["data"]["customers"]["totalCount"]


def two_customers(api: Client) -> dict:
    """ACME (with a contact Jana, who has a customer account that may see everything of
    ACME) and Other (with a contact and an activity): what a customer account must never
    reach of another customer."""
    admin = api.as_("admin")
    ids = {}
    for key, name, phone in (("acme", "ACME", "601 111 222"), ("other", "Other", "602 333 444")):
        made = admin('mutation($n: String, $p: String!) { createCustomer(input: {organizationName: $n, phones: [{number: $p}]}) { ... on CreateCustomerSuccess { customer { id } } } }', {"n": name, "p": phone})
        ids[key] = made["createCustomer"]["customer"]["id"]
        recorded = admin(
            'mutation($p: String) { recordActivity(input: {channel: CALL, sender: {phone: $p}}) { ... on RecordActivitySuccess { outcome activity { id } } } }', {"p": phone}
        )["recordActivity"]
        assert recorded["outcome"] == "ASSOCIATED"
        ids[f"{key}_activity"] = recorded["activity"]["id"]
    ids["jana"] = admin(ADD_CONTACT, {"c": ids["acme"], "n": "Jana"})["addContact"]["contact"]["id"]
    ids["stranger"] = admin(ADD_CONTACT, {"c": ids["other"], "n": "Stranger"})["addContact"]["contact"]["id"]
    granted = admin(ACCOUNT, {"c": ids["jana"], "p": ["VIEW_CUSTOMER", "VIEW_CONTACTS", "VIEW_ACTIVITIES"]})
    ids["token"] = granted["createCustomerAccount"]["credential"]
    return ids


# --- Input validation ---------------------------------------------------------------------------


def test_input_validation_general_practices(development):
    """Input Validation: General Practices. Every argument is typed (Int, ID, enums, input
    types): a value of the wrong type, an unknown enum value or field, an Int beyond 32 bits
    is refused before anything runs; what types cannot say (lengths, email and phone syntax,
    list sizes) the domain checks, answering InvalidInputError with every problem, its field,
    code and limit; nothing invalid is stored."""
    post = lambda query, variables=None: development.post("/graphql", json={"query": query, "variables": variables or {}}).json()  # noqa: E731
    for query, variables in [
        ("query($n: Int) { customers(first: $n) { totalCount } }", {"n": "ten"}),
        ("query($n: Int) { customers(first: $n) { totalCount } }", {"n": 2**31}),
        ("query($n: Int) { customers(first: $n) { totalCount } }", {"n": 1.5}),
        ('mutation { recordActivity(input: {channel: FAX}) { __typename } }', None),
        ('mutation($i: RecordActivityInput!) { recordActivity(input: $i) { __typename } }', {"i": {"channel": "CALL", "admin": True}}),
        ('mutation($i: CustomerInput!) { createCustomer(input: $i) { __typename } }', {"i": {"lastName": ["a"]}}),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": {"$ne": None}}),
    ]:
        body = post(query, variables)
        assert body["data"] is None and codes(body) == {"GRAPHQL_VALIDATION_FAILED"}, (query, variables, body)

    bad = {
        "lastName": "x" * 2001,
        "emails": [{"address": "not an email"}],
        "phones": [{"number": "12"}],
        "attributes": [{"key": "k", "value": "v"}] * 201,
    }
    answer = post(
        "mutation($i: CustomerInput!) { createCustomer(input: $i) { __typename ... on InvalidInputError { code field limit errors { code field limit message } } } }",
        {"i": bad},
    )["data"]["createCustomer"]
    assert answer["__typename"] == "InvalidInputError"
    assert [(e["code"], e["field"], e["limit"]) for e in answer["errors"]] == [
        ("FIELD_TOO_LONG", "lastName", 2000),
        ("INVALID_EMAIL", "emails[0].address", None),
        ("INVALID_PHONE", "phones[0].number", None),
        ("TOO_MANY_ITEMS", "attributes", 200),
    ]
    assert all(e["message"] for e in answer["errors"])
    assert customer_count(development) == 0


@pytest.mark.parametrize("backend", ["memory", "mongo-mock"])
def test_input_validation_injection_prevention(backend):
    """Input Validation: Injection Prevention. No query language is built from input: search
    text with regular expression or MongoDB operator syntax is matched literally (memory and
    MongoDB backends), and an operator object where a string or id belongs is refused by the
    schema's types."""
    plugins = [MockMongoBackend()] if backend == "mongo-mock" else []
    with serve(Settings(backend=backend), plugins) as http:
        post = lambda query, variables=None: http.post("/graphql", json={"query": query, "variables": variables or {}}).json()  # noqa: E731
        for name in ("Novák", "Dvořák", "$where"):
            assert post(CREATE, {"n": name})["data"]["createCustomer"]["__typename"] == "CreateCustomerSuccess"
        search = "query($s: String) { customers(search: $s) { totalCount edges { node { lastName } } } }"
        found = lambda s: [e["node"]["lastName"] for e in post(search, {"s": s})["data"]["customers"]["edges"]]  # noqa: E731
        assert found("nov") == ["Novák"] and found("$where") == ["$where"]
        # Words, not patterns: every word must begin a word of the customer's.
        for pattern in ("nov|dvo", "n.v", "[nd]ov", "n?v", "nov$|dvo", '{"$ne": null}', "'||'1'=='1"):
            assert found(pattern) == [], pattern
        # Punctuation alone is no search at all: everyone, as without `search`.
        assert found(".*") == found("^$") == found(None) == ["$where", "Dvořák", "Novák"]
        for variables in ({"s": {"$regex": ".*"}}, {"s": {"$ne": None}}, {"s": ["nov"]}):
            body = post(search, variables)
            assert body["data"] is None and codes(body) == {"GRAPHQL_VALIDATION_FAILED"}, variables
        body = post('query($id: ID!) { customer(id: $id) { id } }', {"id": {"$gt": ""}})
        assert codes(body) == {"GRAPHQL_VALIDATION_FAILED"}


# --- Denial of service ---------------------------------------------------------------------------


def test_dos_query_limiting_depth(production):
    """DoS Prevention: Query Limiting (Depth). In production mode with the default limit (12),
    a deeper operation is refused before it runs, also when fragments hide the depth; a cycle
    of fragments is a validation error, not a hang."""
    deep = """{ customers { edges { node { contacts { edges { node { customer { contacts { edges { node {
      customer { activities { edges { node { id } } } } } } } } } } } } } } }"""  # 15 levels
    response = production.raw(deep, token=TOKENS["auditor"])
    error = single_error(response)
    assert (error["extensions"]["code"], error["extensions"]["limit"]) == ("QUERY_TOO_DEEP", 12)
    hidden = """{ ...A } fragment A on Query { customers { edges { node { ...B } } } }
      fragment B on Customer { contacts { edges { node { customer { ...C } } } } }
      fragment C on Customer { contacts { edges { node { customer { activities { edges { node { id } } } } } } } }"""
    assert single_error(production.raw(hidden, token=TOKENS["auditor"]))["extensions"]["code"] == "QUERY_TOO_DEEP"
    cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
    assert codes(production.raw(cycle, token=TOKENS["auditor"]).json()) == {"GRAPHQL_VALIDATION_FAILED"}


def test_dos_query_limiting_amount(production):
    """DoS Prevention: Query Limiting (Amount). Every list is paged and a page holds at most
    max_page_size (100) items, at the top and nested alike; matchCustomers answers at most 50."""
    production.as_("admin")(CREATE, {"n": "Someone"})  # for the nested list to run
    for query in (
        "{ customers(first: 101) { totalCount } }",
        "{ contacts(first: 101) { totalCount } }",
        "{ activities(first: 1000) { totalCount } }",
        "{ openList(first: 101) { totalCount } }",
        "{ customers(first: 1) { edges { node { contacts(first: 101) { totalCount } } } } }",
        '{ matchCustomers(identity: {name: "x"}, limit: 51) { score } }',
    ):
        body = production.raw(query, token=TOKENS["auditor"]).json()
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "INVALID_VALUE" and error["extensions"]["field"] in ("first", "limit"), (query, body)
    assert production.as_("auditor")("{ customers(first: 100) { totalCount } }")["customers"]["totalCount"] == 1


def test_dos_query_cost_analysis(production):
    """DoS Prevention: Query Cost Analysis. There is no cost model; what one operation may cost
    is bounded by its document's size (max_query_tokens, counted while parsing, comments
    included), depth, aliases and page sizes. A document over 2,000 tokens is refused
    before it is parsed to the end."""
    for query in ("{ " + "__typename " * 2001 + "}", "{ __typename }" + "\n#" * 2001):
        error = single_error(production.raw(query, token=TOKENS["auditor"]))
        assert (error["extensions"]["code"], error["extensions"]["limit"]) == ("QUERY_TOO_LARGE", 2000)


def test_dos_timeouts():
    """DoS Prevention: Timeouts. A request that runs longer than request_timeout_seconds is
    answered with TIMEOUT and its query is stopped."""
    SlowStore.started.clear()
    SlowStore.cancelled.clear()
    with serve(Settings(backend="slow", request_timeout_seconds=0.3, production=True), [Slow()]) as http:
        error = single_error(http.post("/graphql", json=SLOW_QUERY))
        assert (error["extensions"]["code"], error["extensions"]["limit"]) == ("TIMEOUT", 0.3)
        assert SlowStore.cancelled.wait(5)


class CountingStore(MemoryStore):
    """Counts the store's reads of customers by id."""

    reads: list[int] = []

    async def get_customers(self, ids):
        CountingStore.reads.append(len(ids))
        return await super().get_customers(ids)


class Counting:
    @hookimpl
    def storage_backends(self):
        return [StorageBackend("counting", CountingStore, "test double")]


def test_dos_server_side_batching_and_caching():
    """DoS Prevention: Server-side Batching and Caching. Related records are loaded through
    DataLoaders: the customers of a page of 30 activities are read in one call to the store,
    not in 30."""
    with serve(Settings(backend="counting"), [Counting()]) as http:
        post = lambda query, variables=None: http.post("/graphql", json={"query": query, "variables": variables or {}}).json()  # noqa: E731
        for n in range(3):
            post(
                'mutation($n: String, $p: String!) { createCustomer(input: {lastName: $n, phones: [{number: $p}]}) { __typename } }',
                {"n": f"Customer {n}", "p": f"601 000 00{n}"},
            )
        for i in range(30):
            recorded = post(
                "mutation($p: String) { recordActivity(input: {channel: CALL, sender: {phone: $p}}) { ... on RecordActivitySuccess { outcome } } }",
                {"p": f"601 000 00{i % 3}"},
            )
            assert recorded["data"]["recordActivity"]["outcome"] == "ASSOCIATED"
        CountingStore.reads.clear()
        page = post("{ activities(first: 30) { edges { node { customer { id displayName } } } } }")["data"]["activities"]["edges"]
        assert len(page) == 30 and all(e["node"]["customer"] for e in page)
        assert CountingStore.reads == [3], CountingStore.reads


def test_dos_system_resource_management_request_size(production):
    """DoS Prevention: System Resource Management. A request body over max_body_bytes (1 MB
    by default) is refused with 413 before it is read to the end or authenticated, and the
    service goes on serving."""
    response = production.http.post("/graphql", content=b'{"query": "' + b" " * 1_000_001 + b'{ __typename }"}', headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert single_error(response)["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert production.as_("auditor")("{ __typename }") == {"__typename": "Query"}


# --- Access control -------------------------------------------------------------------------------


def test_access_control_general_data_access(production):
    """Access Control: General Data Access. Authorization holds on every object, however it is
    reached: a customer account (with every permission) gets null for another customer's
    records by node(id:), by the typed single reads, and through nested fields, exactly as
    for ids that name nothing (no IDOR, no existence oracle). Requests without a valid token
    get nothing at all."""
    ids = two_customers(production)
    me = production.as_(ids["token"])
    for other in ("other", "other_activity", "stranger"):
        found = me(
            "query($id: ID!) { node(id: $id) { id } customer(id: $id) { id } activity(id: $id) { id } contact(id: $id) { id } openListEntry(id: $id) { id } }",
            {"id": ids[other]},
        )
        assert set(found.values()) == {None}, (other, found)
    # Its own records, and everything nested in them, are its own customer's only.
    own = me(
        """query($id: ID!) { customer(id: $id) { id contacts { edges { node { customer { id } account { id } } } }
           activities { edges { node { customer { id } openListEntry { id } } } } messageRecipients { customer { id } } } }""",
        {"id": ids["acme"]},
    )["customer"]
    assert own["contacts"]["edges"] and own["activities"]["edges"] and own["messageRecipients"]
    reached = [e["node"]["customer"] for e in own["contacts"]["edges"] + own["activities"]["edges"]]
    reached += [c["customer"] for c in own["messageRecipients"]]
    assert {c["id"] for c in reached if c is not None} <= {ids["acme"]}  # null: see the xfail test below
    assert all(e["node"]["account"] is None for e in own["contacts"]["edges"])
    assert all(e["node"]["openListEntry"] is None for e in own["activities"]["edges"])
    # No token, a wrong one: 401, whatever is asked.
    for headers in ({}, {"Authorization": "Bearer ccs_guess"}, {"Authorization": "Bearer " + ids["token"][:-1]}):
        response = production.http.post("/graphql", json={"query": "{ viewer { id } }"}, headers=headers)
        assert response.status_code == 401 and "data" not in response.json()


def test_access_control_general_data_access_own_customer_through_nested_fields(production):
    """Access Control: General Data Access. The same rule gives the same answer however a record
    is reached: a customer account that may see its own customer sees it through its contacts
    and activities too."""
    ids = two_customers(production)
    own = production.as_(ids["token"])(
        "query($id: ID!) { customer(id: $id) { contacts { edges { node { customer { id } } } } activities { edges { node { customer { id } } } } } }",
        {"id": ids["acme"]},
    )["customer"]
    reached = [e["node"]["customer"] for e in own["contacts"]["edges"] + own["activities"]["edges"]]
    assert reached == [{"id": ids["acme"]}] * 2


def test_access_control_query_access_data_fetching(production):
    """Access Control: Query Access (Data Fetching). The lists of everything and matching are
    refused to a customer account (FORBIDDEN), also when filtered to another customer; an
    agent sees only its own open list and not another agent's entries."""
    ids = two_customers(production)
    token = ids["token"]
    for query, variables in [
        ("{ customers { totalCount } }", None),
        ("{ contacts { totalCount } }", None),
        ("query($c: ID) { contacts(filter: {customerId: $c}) { totalCount } }", {"c": ids["other"]}),
        ("{ activities { totalCount } }", None),
        ("query($c: ID) { activities(customerId: $c) { totalCount } }", {"c": ids["other"]}),
        ("{ openList { totalCount } }", None),
        ('{ matchCustomers(identity: {phone: "602 333 444"}) { customer { id } } }', None),
    ]:
        body = production.raw(query, variables, token).json()
        assert body["data"] is None and codes(body) == {"FORBIDDEN"}, (query, body)
        assert ids["other"] not in str(body)
    own = production("query($c: ID) { contacts(filter: {customerId: $c}) { totalCount } }", {"c": ids["acme"]}, token)
    assert own["contacts"]["totalCount"] == 1

    theirs = record_for(production, TOKENS["agent-2"], name="Theirs")
    agent = production.as_("agent-1")
    assert agent("{ openList { totalCount } }")["openList"]["totalCount"] == 0
    body = production.raw("query($a: ID) { openList(agentId: $a) { totalCount } }", {"a": "agent-2"}, TOKENS["agent-1"]).json()
    assert codes(body) == {"FORBIDDEN"}
    entry, activity = theirs["openListEntry"]["id"], theirs["activity"]["id"]
    assert agent("query($id: ID!) { openListEntry(id: $id) { id } node(id: $id) { id } }", {"id": entry}) == {"openListEntry": None, "node": None}
    # Another agent's waiting caller is not there at all for this agent (issue 14): neither the
    # activity nor, through it, its entry.
    assert agent("query($id: ID!) { activity(id: $id) { openListEntry { id } } }", {"id": activity})["activity"] is None


ARGUMENTS = {
    "recordActivity": lambda ids: {"input": {"channel": "CALL", "sender": {"name": "Mallory"}}},
    "createCustomer": lambda ids: {"input": {"lastName": "Mallory"}},
    "updateCustomer": lambda ids: {"id": ids["acme"], "version": 1, "input": {"organizationName": "Mine"}},
    "createCustomerFromOpenList": lambda ids: {"entryId": ids["entry"]},
    "discardOpenListEntry": lambda ids: {"entryId": ids["entry"]},
    "associateActivity": lambda ids: {"activityId": ids["other_activity"], "customerId": ids["acme"]},
    "addContact": lambda ids: {"customerId": ids["acme"], "input": {"lastName": "Mallory"}},
    "updateContact": lambda ids: {"id": ids["jana"], "version": 2, "input": {"email": "mallory@example.cz"}},
    "removeContact": lambda ids: {"id": ids["stranger"]},
    "createCustomerAccount": lambda ids: {"contactId": ids["stranger"], "permissions": ["VIEW_CUSTOMER"]},
    "rotateCustomerAccountCredential": lambda ids: {"contactId": ids["jana"]},
    "setCustomerAccountEnabled": lambda ids: {"contactId": ids["jana"], "enabled": False},
    "setCustomerAccountPermissions": lambda ids: {"contactId": ids["jana"], "permissions": ["VIEW_CUSTOMER"]},
}
STATE = """query($acme: ID!, $other: ID!, $jana: ID!, $stranger: ID!, $entry: ID!, $act: ID!) {
  customers { totalCount } contacts { totalCount } activities { totalCount } openList { totalCount }
  acme: customer(id: $acme) { version } other: customer(id: $other) { version }
  jana: contact(id: $jana) { version account { enabled permissions credentialRotatedAt } }
  stranger: contact(id: $stranger) { version account { id } }
  entry: openListEntry(id: $entry) { version status } act: activity(id: $act) { version customer { id } } }"""


def test_access_control_mutation_access_data_manipulation(production):
    """Access Control: Mutation Access (Data Manipulation). Every mutation checks the caller's
    role before anything else: a customer account and read-only staff get ForbiddenError for
    all thirteen, an agent for the four account mutations and for another agent's open-list
    entry; none of them changes anything."""
    ids = two_customers(production)
    ids["entry"] = record_for(production, TOKENS["agent-2"], name="Theirs")["openListEntry"]["id"]
    state_variables = {k: ids[k] for k in ("acme", "other", "jana", "stranger", "entry")} | {"act": ids["other_activity"]}
    state = lambda: production.as_("admin")(STATE, state_variables)  # noqa: E731
    before = state()
    refused = {
        ids["token"]: set(MUTATIONS),
        TOKENS["auditor"]: set(MUTATIONS),
        TOKENS["agent-1"]: {
            "createCustomerAccount", "rotateCustomerAccountCredential", "setCustomerAccountEnabled",
            "setCustomerAccountPermissions", "createCustomerFromOpenList", "discardOpenListEntry",
        },
    }
    for token, names in refused.items():
        for name in names:
            mutation = MUTATIONS[name]
            payload = production(mutation.document, ARGUMENTS[name](ids), token)[name]
            assert (payload["__typename"], payload["code"]) == ("ForbiddenError", "FORBIDDEN"), (name, payload)
    forged = production(MUTATIONS["recordActivity"].document, {"input": {"channel": "CALL", "agentId": "agent-2"}}, TOKENS["agent-1"])
    assert (forged["recordActivity"]["code"], forged["recordActivity"]["field"]) == ("FORBIDDEN", "agentId")
    assert state() == before


@pytest.mark.parametrize("how", ["associateActivity", "createCustomer"])
def test_access_control_mutation_access_another_agents_entry_through_its_activity(production, how):
    """Access Control: Mutation Access (Data Manipulation). An agent cannot take another
    agent's open-list entry off that agent's list by any mutation."""
    theirs = record_for(production, TOKENS["agent-2"], name="Theirs")
    agent = production.as_("agent-1")
    customer = agent(CREATE, {"n": "Mine"})["createCustomer"]["customer"]["id"]
    if how == "associateActivity":
        variables = {"activityId": theirs["activity"]["id"], "customerId": customer}
    else:
        variables = {"input": {"lastName": "Also mine"}, "activityId": theirs["activity"]["id"]}
    payload = production(MUTATIONS[how].document, variables, TOKENS["agent-1"])[how]
    assert (payload["__typename"], payload["code"], payload["field"]) == ("ForbiddenError", "FORBIDDEN", "activityId"), payload
    entry = production.as_("admin")("query($id: ID!) { openListEntry(id: $id) { status resolvedBy } }", {"id": theirs["openListEntry"]["id"]})
    assert entry["openListEntry"] == {"status": "OPEN", "resolvedBy": None}


# --- Batching attacks -----------------------------------------------------------------------------


def test_batching_attacks_alias_based_brute_force(production):
    """Batching Attacks: Mitigating Batching Attacks (aliases). One operation may hold at most
    max_aliases (30) aliases: 31 aliased guesses of ids, or 31 aliased mutations, are refused
    as a whole and none of them runs. Credentials cannot be guessed through GraphQL at all: no
    argument or input field takes a token, credential or password (they travel in the
    Authorization header, and are 256 random bits)."""
    guesses = " ".join(f'g{n}: customer(id: "Q3VzdG9tZXI6{n:04d}") {{ id }}' for n in range(31))
    error = single_error(production.raw("{ " + guesses + " }", token=TOKENS["auditor"]))
    assert (error["extensions"]["code"], error["extensions"]["limit"]) == ("TOO_MANY_ALIASES", 30)
    creates = " ".join(f'c{n}: createCustomer(input: {{lastName: "Bulk {n}"}}) {{ __typename }}' for n in range(31))
    assert single_error(production.raw("mutation { " + creates + " }", token=TOKENS["admin"]))["extensions"]["code"] == "TOO_MANY_ALIASES"
    assert production.as_("admin")("{ customers { totalCount } }")["customers"]["totalCount"] == 0

    schema = graphql.build_schema((ROOT / "docs" / "schema.graphql").read_text())
    secret = re.compile(r"token|credential|password|secret|hash", re.I)
    named = []
    for type_ in schema.type_map.values():
        if isinstance(type_, graphql.GraphQLInputObjectType):
            named += [f"{type_.name}.{name}" for name in type_.fields if secret.search(name)]
        elif isinstance(type_, graphql.GraphQLObjectType):
            for field_name, field in type_.fields.items():
                named += [f"{type_.name}.{field_name}({arg})" for arg in field.args if secret.search(arg)]
    assert named == []


def test_batching_attacks_array_batching(production):
    """Batching Attacks: Mitigating Batching Attacks (array batching). A JSON array of more
    operations than max_batch_size (10) is refused with 400 BATCH_TOO_LARGE and none of its
    operations runs."""
    batch = [{"query": CREATE, "variables": {"n": f"Batch {n}"}} for n in range(11)]
    response = production.http.post("/graphql", json=batch, headers={"Authorization": f"Bearer {TOKENS['admin']}"})
    assert response.status_code == 400
    assert single_error(response)["extensions"] | {"requestId": None} == {"code": "BATCH_TOO_LARGE", "limit": 10, "requestId": None}
    assert production.as_("admin")("{ customers { totalCount } }")["customers"]["totalCount"] == 0


# --- Introspection, GraphiQL, errors ---------------------------------------------------------------


def test_introspection_and_graphiql_disabled_in_production():
    """Introspection + GraphiQL. In production mode, whatever --graphiql and --introspection
    say, GraphiQL is not served and introspection is refused, also through aliases and
    fragments; __typename (not introspection) still works."""
    with serve(Settings(production=True, graphiql=True, introspection=True)) as http:
        page = http.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 404 and "<html" not in page.text.lower()
        assert single_error(page)["extensions"]["code"] == "GRAPHIQL_DISABLED"
        for query in (
            "{ __schema { types { name } } }",
            '{ __type(name: "Customer") { fields { name } } }',
            "{ s: __schema { queryType { name } } }",
            "{ ...F } fragment F on Query { __schema { queryType { name } } }",
            "{ ... on Query { __type(name: \"Query\") { name } } }",
            graphql.get_introspection_query(),
        ):
            body = http.post("/graphql", json={"query": query}).json()
            assert body.get("data") is None and codes(body) == {"INTROSPECTION_DISABLED"}, (query[:60], body)
        assert http.post("/graphql", json={"query": "{ __typename }"}).json() == {"data": {"__typename": "Query"}}


class Buggy:
    class Store(MemoryStore):
        async def search_customers(self, tokens, *, first, after):
            raise KeyError("mongodb://admin:hunter2@db.internal:27017 /srv/customer_context/store.py")

    @hookimpl
    def storage_backends(self):
        return [StorageBackend("buggy", Buggy.Store, "test double")]


def test_dont_return_excessive_errors_no_stack_traces_or_internals():
    """Don't Return Excessive Errors. A bug reaches the client as INTERNAL_ERROR with a request
    id and nothing of the exception (type, message, traceback, paths); malformed requests are
    answered with a code and a short reason."""
    with serve(Settings(backend="buggy", production=True), [Buggy()]) as http:
        response = http.post("/graphql", json={"query": "{ customers { totalCount } }"})
        assert response.status_code == 200
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "INTERNAL_ERROR" and error["extensions"]["requestId"] in error["message"]
        for leak in ("hunter2", "KeyError", "Traceback", "mongodb", "/srv", ".py", "store"):
            assert leak not in response.text, leak
        for body in (b'{"query": ', b"[1, 2", b'{"query": "{", "variables": 5}'):
            response = http.post("/graphql", content=body, headers={"Content-Type": "application/json"})
            assert response.status_code == 400 and "Traceback" not in response.text and ".py" not in response.text
            assert single_error(response)["extensions"]["code"] == "BAD_REQUEST"


def test_dont_return_excessive_errors_no_field_suggestions_in_production():
    """Don't Return Excessive Errors: no field suggestions in production. Misspelt fields,
    arguments, input fields and enum values must not be answered with the names the schema
    has, or the schema can be guessed without introspection."""
    with serve(Settings(production=True)) as http:
        for query, variables in [
            ('{ custmer(id: "x") { id } }', None),
            ("{ customers(frst: 1) { totalCount } }", None),
            ("{ contacts(orderBy: {field: LASTNAME}) { totalCount } }", None),
            ("mutation($i: RecordActivityInput!) { recordActivity(input: $i) { __typename } }", {"i": {"channel": "CALL", "sendr": {}}}),
        ]:
            body = http.post("/graphql", json={"query": query, "variables": variables or {}}).json()
            assert codes(body) == {"GRAPHQL_VALIDATION_FAILED"}
            assert "Did you mean" not in str(body), body
            # Still says what is wrong, naming what the client sent.
            assert re.search(r"custmer|frst|LASTNAME|sendr", body["errors"][0]["message"]), body
    # Developers keep them.
    with serve(Settings()) as http:
        body = http.post("/graphql", json={"query": '{ custmer(id: "x") { id } }'}).json()
        assert "Did you mean 'customer'" in body["errors"][0]["message"], body


# --- CSRF --------------------------------------------------------------------------------------


def test_csrf_a_get_request_cannot_run_a_mutation(development):
    """Cross-Site Request Forgery: GET. A mutation in a GET request (a link, an image) is
    refused with 405 and not run; queries over GET still work."""
    response = development.get("/graphql", params={"query": 'mutation { createCustomer(input: {lastName: "CSRF"}) { __typename } }'})
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert single_error(response)["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert customer_count(development) == 0
    assert development.get("/graphql", params={"query": "{ customers { totalCount } }"}).json() == {"data": {"customers": {"totalCount": 0}}}


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/x-www-form-urlencoded", "query=" + CREATE.replace("$n", '"CSRF"').replace("($n: String)", "")),
        ("text/plain", '{"query": "mutation { createCustomer(input: {lastName: \\"CSRF\\"}) { __typename } }"}'),
        ("text/plain;charset=UTF-8", '{"query": "mutation { createCustomer(input: {lastName: \\"CSRF\\"}) { __typename } }"}'),
        (
            "multipart/form-data; boundary=x",
            '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\nmutation { createCustomer(input: {lastName: "CSRF"}) { __typename } }\r\n--x--\r\n',
        ),
    ],
)
def test_csrf_a_simple_form_post_is_not_executed(development, content_type, body):
    """Cross-Site Request Forgery: simple requests. A cross-site page can POST a form
    (urlencoded, multipart) or text/plain without a CORS preflight; the service runs only
    application/json bodies, so these are refused with 415 and not run. Nor does it answer a
    CORS preflight, so a cross-site page cannot send application/json either."""
    response = development.post("/graphql", content=body.encode(), headers={"Content-Type": content_type, "Origin": "https://evil.example"})
    assert response.status_code == 415, response.text
    assert single_error(response)["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "access-control-allow-origin" not in response.headers
    assert customer_count(development) == 0
    preflight = development.options(
        "/graphql",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert "access-control-allow-origin" not in preflight.headers
