"""Over HTTP, the fast path on and off answer alike: status, media type, body, headers that
matter, for queries, mutations, errors of every kind, languages, GET, batches, customer
accounts, limits. The same app is asked twice, its fast path switched off in between, so
the data (and with it every id) is the same both times."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from service.app import GraphQLApp, create_app
from service.settings import Settings

from .helpers import RECORD

SEED = [
    'mutation { createCustomer(input: {firstName: "Jana", lastName: "Nováková", emails: [{address: "jana@example.cz"}], '
    'phones: [{number: "601 222 333"}]}) { __typename ... on CreateCustomerSuccess { customer { id } } } }',
    'mutation { createCustomer(input: {organizationName: "Kovář s.r.o.", phones: [{number: "+420 602 111 222"}]}) '
    "{ __typename ... on CreateCustomerSuccess { customer { id } } } }",
]

QUERIES = [
    # the benchmark's read workloads
    'query ScreenPop($phone: String!) { matchCustomers(identity: {phone: $phone}, limit: 1) '
    "{ score customer { id displayName organizationName } } }",
    "query CustomerList($first: Int!) { customers(first: $first) { totalCount edges { cursor node { id displayName "
    "contacts(role: MAIN) { edges { node { id displayName email phone } } } } } } }",
    "query Directory($search: String!, $first: Int!) { contacts(filter: {search: $search}, first: $first) "
    "{ totalCount edges { node { id displayName email phone customer { id displayName } } } } }",
    # more shapes
    "{ customers(first: 2) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { ...C } } } } "
    "fragment C on Customer { __typename id version createdAt phones { number e164 label } emails { address } address { city } "
    "messageRecipients { id } activities(first: 1) { totalCount } }",
    '{ customers(search: "nov") { edges { node { displayName @include(if: true) firstName @skip(if: true) } } } }',
    "{ viewer { id role permissions customer { id } } openList { totalCount } }",
    '{ node(id: "bm90LWFuLWlk") { __typename id } unknown: customers(first: 1) { totalCount } }',
    "{ customers(first: 1000) { totalCount } }",
    '{ customers(after: "not a cursor") { totalCount } }',
    "{ customers { edges { node { nope } } } }",
    "{ customers(first: 1) { edges { node { displayName } } ",
    "{ __schema { queryType { name } } }",
    "{ a: viewer { id } b: viewer { id } c: viewer { id } }",
]


def graphql_view(app) -> GraphQLApp:
    return next(r.endpoint for r in app.routes if getattr(r, "path", None) == "/graphql" and isinstance(r.endpoint, GraphQLApp))


@pytest.fixture
def api() -> Iterator[tuple[TestClient, GraphQLApp]]:
    app = create_app(Settings(max_aliases=2))
    with TestClient(app) as http:
        for seed in SEED:
            assert http.post("/graphql", json={"query": seed}).status_code == 200
        yield http, graphql_view(app)


def ask(http: TestClient, view: GraphQLApp, fast: bool, method: str = "POST", **kwargs):
    saved = view.fastpath
    if not fast:
        view.fastpath = None
    try:
        headers = {"X-Request-Id": "same-id", **kwargs.pop("headers", {})}
        response = http.request(method, "/graphql", headers=headers, **kwargs)
    finally:
        view.fastpath = saved
    return response.status_code, response.headers.get("content-type"), response.headers.get("x-request-id"), response.json()


def variables_for(query: str) -> dict:
    return {"phone": "601222333", "first": 50, "search": "nov"} if "$" in query else {}


def test_the_fast_path_is_on_by_default_and_a_setting_turns_it_off():
    assert graphql_view(create_app(Settings())).fastpath is not None
    assert graphql_view(create_app(Settings(fastpath=False))).fastpath is None


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
@pytest.mark.parametrize("lang", ["en", "cs"])
def test_queries_answer_alike(api, query, accept, lang):
    http, view = api
    body = {"query": query, "variables": variables_for(query)}
    headers = {"Accept": accept, "Accept-Language": lang}
    fast = ask(http, view, True, json=body, headers=headers)
    fast_again = ask(http, view, True, json=body, headers=headers)  # from the caches
    slow = ask(http, view, False, json=body, headers=headers)
    assert fast == fast_again == slow


def test_get_requests_and_mutations_over_get_answer_alike(api):
    http, view = api
    for params in (
        {"query": "{ customers(first: 1) { totalCount } }"},
        {"query": SEED[0]},
        {"query": "query A { viewer { id } } query B { viewer { role } }", "operationName": "B"},
        {"query": "query A { viewer { id } } query B { viewer { role } }"},
    ):
        for accept in ("application/json", "application/graphql-response+json"):
            headers = {"Accept": accept}
            fast = ask(http, view, True, "GET", params=params, headers=headers)
            assert fast == ask(http, view, False, "GET", params=params, headers=headers), params


def test_batches_answer_alike(api):
    http, view = api
    batch = [{"query": q, "variables": variables_for(q)} for q in QUERIES[:4]] + [{"query": "{ nope }"}]
    assert ask(http, view, True, json=batch) == ask(http, view, False, json=batch)


def test_mutations_answer_alike(api):
    http, view = api
    stable = """mutation Record($input: RecordActivityInput!) { recordActivity(input: $input) { __typename
      ... on RecordActivitySuccess { outcome customer { id displayName } activity { channel direction sender { e164Phone } } }
      ... on UserError { code message field } ... on InvalidInputError { errors { code field message } } } }"""
    inputs = [
        {"channel": "CALL", "sender": {"phone": "601 222 333"}},
        {"channel": "EMAIL", "sender": {"email": "not an email"}},
        {"channel": "CHAT", "sender": {"name": "x" * 2001}},
    ]
    for variables in inputs:
        for lang in ("en", "de"):
            body = {"query": stable, "variables": {"input": variables}}
            headers = {"Accept-Language": lang}
            assert ask(http, view, True, json=body, headers=headers) == ask(http, view, False, json=body, headers=headers)
    # Variables that do not coerce, and the helpers' own recordActivity document.
    body = {"query": RECORD, "variables": {"input": {"channel": "FAX"}}}
    assert ask(http, view, True, json=body) == ask(http, view, False, json=body)


def test_customer_accounts_see_the_same_through_both_paths(tmp_path):
    tokens = tmp_path / "tokens"
    from service.authentication import hash_token

    tokens.write_text(f"admin-1 ADMIN {hash_token('admin-token')}\n")
    app = create_app(Settings(tokens_file=str(tokens)))
    admin = {"Authorization": "Bearer admin-token"}
    with TestClient(app) as http:
        view = graphql_view(app)
        created = http.post(
            "/graphql",
            headers=admin,
            json={"query": 'mutation { createCustomer(input: {organizationName: "Acme"}) { ... on CreateCustomerSuccess { customer { id } } } }'},
        ).json()
        customer = created["data"]["createCustomer"]["customer"]["id"]
        added = http.post(
            "/graphql",
            headers=admin,
            json={
                "query": "mutation($c: ID!) { addContact(customerId: $c, input: {lastName: \"Jana\", email: \"x@acme.cz\", role: MAIN}) "
                "{ ... on AddContactSuccess { contact { id } } } }",
                "variables": {"c": customer},
            },
        ).json()
        contact = added["data"]["addContact"]["contact"]["id"]
        issued = http.post(
            "/graphql",
            headers=admin,
            json={
                "query": "mutation($k: ID!) { createCustomerAccount(contactId: $k, permissions: [VIEW_CONTACTS]) "
                "{ ... on CustomerAccountCredentialSuccess { credential } } }",
                "variables": {"k": contact},
            },
        ).json()
        credential = issued["data"]["createCustomerAccount"]["credential"]
        query = (
            "query($c: ID!) { viewer { role permissions customer { id } } customer(id: $c) { id } "
            "contacts(filter: {customerId: $c}) { totalCount edges { node { id displayName account { id } customer { id } } } } "
            "customers { totalCount } }"
        )
        for who in (admin, {"Authorization": f"Bearer {credential}"}, {"Authorization": "Bearer wrong"}, {}):
            body = {"query": query, "variables": {"c": customer}}
            assert ask(http, view, True, json=body, headers=who) == ask(http, view, False, json=body, headers=who), who


def test_unicode_and_lone_surrogates_survive_the_json_encoder(api):
    http, view = api
    query = (
        "query($s: String, $c: ContactRole) { customers(search: $s) { edges { node { displayName } } } "
        "contacts(filter: {role: $c}) { totalCount } }"
    )
    names = ask(http, view, True, json={"query": query, "variables": {"s": "Nováková", "c": "MAIN"}})
    assert names == ask(http, view, False, json={"query": query, "variables": {"s": "Nováková", "c": "MAIN"}})
    assert names[3]["data"]["customers"]["edges"] == [{"node": {"displayName": "Jana Nováková"}}]
    # An error that quotes a lone surrogate: orjson refuses it, the standard encoder escapes it.
    raw = json.dumps({"query": query, "variables": {"s": "x", "c": "\ud800"}}).encode()  # escaped: \\ud800
    body = {"content": raw, "headers": {"Content-Type": "application/json"}}
    refused = ask(http, view, True, **body)
    assert refused == ask(http, view, False, **body) and "\ud800" in refused[3]["errors"][0]["message"]


def test_a_known_query_that_times_out_answers_as_one_seen_for_the_first_time(monkeypatch):
    """A query whose document is cached runs in the request's own task under a timeout
    (GraphQLApp.within_deadline, in place), not in a task of its own: on time out it is
    stopped and the client hears the same TIMEOUT, with the same status, as the first time."""
    from .test_limits import GRAPHQL_RESPONSE, SLOW_QUERY, SlowStore, only_error, post, serve

    here = []
    original = GraphQLApp.within_deadline

    async def counted(self, *args, in_place):
        here.append(in_place)
        return await original(self, *args, in_place=in_place)

    monkeypatch.setattr(GraphQLApp, "within_deadline", counted)
    with serve(backend="slow", request_timeout_seconds=0.3) as client:
        answers = []
        for accept in ("application/json", "application/json", GRAPHQL_RESPONSE, GRAPHQL_RESPONSE):
            SlowStore.cancelled.clear()
            response = post(client, SLOW_QUERY, Accept=accept)
            error = only_error(response)
            answers.append((response.status_code, response.headers["content-type"], error["message"], error["extensions"]["code"]))
            assert SlowStore.cancelled.wait(5)  # stopped, not left running
        assert answers[0] == answers[1] and answers[2] == answers[3]
        assert answers[0][3] == "TIMEOUT" and answers[2][0] == 504
        assert here == [False, True, True, True]  # all but the first: the document was known by then
        assert client.post("/graphql", json={"query": "{ customers { totalCount } }"}).json() == {"data": {"customers": {"totalCount": 0}}}
