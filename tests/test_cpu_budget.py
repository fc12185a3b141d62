"""The CPU budget of one request (issue 14): documents that would cost graphql-core's validation
too much, answers too large to produce and list inputs too long to coerce are refused with a
typed top-level error naming the limit, on the fast path and on Strawberry's path alike, and
the `limits` query reports every number that is enforced. Through real HTTP to the ASGI app;
nothing here measures time (benchmarks/validation_cost.py does)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from service.app import create_app
from service.settings import Settings

GADGET_OPERATIONS = Path(__file__).resolve().parent.parent / "service" / "gadget" / "js" / "operations.js"
BUDGET_CODES = {"QUERY_TOO_COMPLEX", "QUERY_TOO_COSTLY", "LIST_TOO_LONG", "INPUT_OBJECT_TOO_LARGE"}

PATHS = pytest.mark.parametrize("fastpath", [True, False], ids=["fastpath", "no-fastpath"])


@contextlib.contextmanager
def serve(**settings: Any) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(**settings))) as http:
        yield http


def post(http: TestClient, query: str, variables: dict[str, Any] | None = None, lang: str | None = None) -> dict:
    headers = {"Accept-Language": lang} if lang else {}
    response = http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def refusal(body: dict) -> dict:
    """The one top-level error of a request refused as a whole."""
    assert body.get("data") is None, body
    (error,) = body["errors"]
    assert error["extensions"]["requestId"], error
    return error


def codes(body: dict) -> set[str]:
    return {(e.get("extensions") or {}).get("code") for e in body.get("errors") or ()}


LIMITS = """{ limits { maxQueryComplexity maxResultSize listLimits { input maxItems }
  emailsPerCustomer phonesPerCustomer attributesPerCustomer maxPageSize } }"""


# --- documents that validation would spend seconds on -------------------------------------

COSTLY_DOCUMENTS = {
    # 1,900 repeated fields within the 2,000-token limit: 0.4 to 1.3 s of validation before.
    "same field 1,900 times": "{ viewer { " + "id " * 1900 + "} }",
    "__typename 1,990 times": "{ " + "__typename " * 1990 + "}",
    "same field with a selection, 490 times": "{ " + "viewer { id } " * 490 + "}",
    "same field, different arguments": "{ " + " ".join(f'node(id: "{i}") {{ id }}' for i in range(200)) + " }",
    "distinct fragments": "{ viewer { "
    + " ".join(f"...F{i}" for i in range(200))
    + " } } "
    + " ".join(f"fragment F{i} on Viewer {{ id }}" for i in range(200)),
    "fragments with selections": "{ "
    + " ".join(f"...F{i}" for i in range(150))
    + " } "
    + " ".join(f"fragment F{i} on Query {{ viewer {{ id }} }}" for i in range(150)),
    "one fragment spread 990 times": "{ viewer { " + "...A " * 990 + "} } fragment A on Viewer { id }",
    "inline fragments": "{ viewer { " + "... on Viewer { id } " * 330 + "} }",
    "deep but within depth: fan-out under a page": "{ customers(first: 1) { edges { node { "
    + "emails { address } " * 400
    + "} } } }",
    "two levels of repeats": "{ " + ("viewer { " + "customer { id } " * 20 + "} ") * 20 + "}",
}


@PATHS
@pytest.mark.parametrize("name", COSTLY_DOCUMENTS)
def test_documents_costly_to_validate_are_refused_with_the_cost_code(fastpath, name):
    with serve(fastpath=fastpath) as http:
        limit = post(http, LIMITS)["data"]["limits"]["maxQueryComplexity"]
        for _ in range(2):  # the second time as well: a refused document is never cached as good
            error = refusal(post(http, COSTLY_DOCUMENTS[name]))
            assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX", error
            assert error["extensions"]["limit"] == limit == Settings().max_query_complexity
        assert post(http, "{ viewer { id } }") == {"data": {"viewer": {"id": "local-developer"}}}


@PATHS
def test_the_refusal_follows_the_request_language(fastpath):
    with serve(fastpath=fastpath) as http:
        error = refusal(post(http, COSTLY_DOCUMENTS["same field 1,900 times"], lang="de"))
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert "60.000 Einheiten" in error["message"] and "Aliase" in error["message"], error["message"]
        error = refusal(post(http, COSTLY_DOCUMENTS["same field 1,900 times"], lang="cs"))
        assert "60\xa0000 jednotek" in error["message"], error["message"]


def _repeated_ids(k: int) -> str:
    return "{ viewer { " + "id " * k + "} }"


@PATHS
def test_the_reported_complexity_limit_is_the_enforced_one(fastpath):
    # k same-named leaves: k(k-1)/2 pairs, each costing 10 plus 1 x 1 (service/schema/budget.py).
    cost_of_ten = 11 * (10 * 9 // 2)
    with serve(fastpath=fastpath, max_query_complexity=cost_of_ten) as http:
        assert post(http, LIMITS)["data"]["limits"]["maxQueryComplexity"] == cost_of_ten
        assert post(http, _repeated_ids(10)) == {"data": {"viewer": {"id": "local-developer"}}}
        error = refusal(post(http, _repeated_ids(11)))
        assert (error["extensions"]["code"], error["extensions"]["limit"]) == ("QUERY_TOO_COMPLEX", cost_of_ten)
        # Aliases make repeats distinct: nothing to compare, nothing to pay.
        aliased = "{ viewer { " + " ".join(f"a{i}: id" for i in range(20)) + " } }"
        assert "errors" not in post(http, aliased)


def test_a_document_that_asks_for_each_field_once_costs_nothing():
    with serve(max_query_complexity=0) as http:
        assert "errors" not in post(http, "{ viewer { id role permissions } limits { textLength maxPageSize } }")
        assert refusal(post(http, "{ viewer { id id } }"))["extensions"]["code"] == "QUERY_TOO_COMPLEX"


# --- answers too large to produce --------------------------------------------------------


def _page(first: Any) -> str:
    return f"{{ customers(first: {first}) {{ edges {{ node {{ id }} }} }} }}"


@PATHS
def test_the_reported_result_size_limit_is_the_enforced_one(fastpath):
    # customers: 1 + its edges, each 1 + node (1 + id): 1 + 3 x first.
    with serve(fastpath=fastpath, max_result_size=1 + 3 * 10) as http:
        # (The limits query asks for little: listLimits alone counts as a page of them.)
        assert post(http, "{ limits { maxResultSize } }")["data"]["limits"]["maxResultSize"] == 31
        assert post(http, _page(10)) == {"data": {"customers": {"edges": []}}}
        error = refusal(post(http, _page(11), lang="nb"))
        assert (error["extensions"]["code"], error["extensions"]["limit"]) == ("QUERY_TOO_COSTLY", 31)
        assert "mer enn 31 verdier" in error["message"], error["message"]
        # `first` from a variable counts as what the request asks for, each time; left out or
        # null, as the default page (20).
        variable = "query Page($n: Int) { customers(first: $n) { edges { node { id } } } }"
        for _ in range(2):
            assert post(http, variable, {"n": 10}) == {"data": {"customers": {"edges": []}}}
            assert refusal(post(http, variable, {"n": 11}))["extensions"]["code"] == "QUERY_TOO_COSTLY"
            assert refusal(post(http, variable, {"n": None}))["extensions"]["code"] == "QUERY_TOO_COSTLY"
            assert refusal(post(http, variable))["extensions"]["code"] == "QUERY_TOO_COSTLY"


@PATHS
def test_aliases_times_pages_of_nested_lists_are_refused_by_default(fastpath):
    # 30 aliases of a page of 100 customers with their message recipients' customers: the
    # estimate is hundreds of millions of values; by default at most 200,000.
    node = "node { id messageRecipients { customer { id emails { address } } } }"
    query = "{ " + " ".join(f"a{i}: customers(first: 100) {{ edges {{ {node} }} }}" for i in range(30)) + " }"
    with serve(fastpath=fastpath) as http:
        limit = post(http, LIMITS)["data"]["limits"]["maxResultSize"]
        error = refusal(post(http, query))
        assert (error["extensions"]["code"], error["extensions"]["limit"]) == ("QUERY_TOO_COSTLY", limit)
        # The same through a fragment: a connection's page reaches the fragment's edges.
        fragment = f"{{ customers(first: 100) {{ ...Page }} }} fragment Page on CustomerConnection {{ edges {{ {node} }} }}"
        assert refusal(post(http, fragment))["extensions"]["code"] == "QUERY_TOO_COSTLY"


# --- list inputs -------------------------------------------------------------------------

DIRECTORY = "query Directory($s: [ContactSearchField!]) { contacts(filter: {search: \"a\", searchIn: $s}) { totalCount } }"
CREATE = "mutation Create($i: CustomerInput!) { createCustomer(input: $i) { __typename ... on InvalidInputError { errors { code field limit } } } }"
CREATE_ACCOUNT = "mutation Account($p: [CustomerPermission!]!) { createCustomerAccount(contactId: \"nope\", permissions: $p) { __typename } }"
SET_PERMISSIONS = "mutation Permissions($p: [CustomerPermission!]!) { setCustomerAccountPermissions(contactId: \"nope\", permissions: $p) { __typename } }"
SEARCH_FIELDS = ["SALUTATION", "FIRST_NAME", "LAST_NAME", "TITLE", "EMAIL", "PHONE"]
PERMISSIONS = ["VIEW_CUSTOMER", "VIEW_CONTACTS", "VIEW_ACTIVITIES"]


def _items(pool: list[Any], n: int) -> list[Any]:
    return [pool[i % len(pool)] for i in range(n)]


#: coordinate -> (document, variables holding a list of n items), for every list input.
LIST_REQUESTS: dict[str, Callable[[int], tuple[str, dict[str, Any]]]] = {
    "ContactFilter.searchIn": lambda n: (DIRECTORY, {"s": _items(SEARCH_FIELDS, n)}),
    "CustomerInput.emails": lambda n: (CREATE, {"i": {"lastName": "L", "emails": [{"address": f"a{i}@b.cz"} for i in range(n)]}}),
    "CustomerInput.phones": lambda n: (CREATE, {"i": {"lastName": "L", "phones": [{"number": f"+420601{i:06d}"} for i in range(n)]}}),
    "CustomerInput.attributes": lambda n: (CREATE, {"i": {"lastName": "L", "attributes": [{"key": f"k{i}", "value": "v"} for i in range(n)]}}),
    "Mutation.createCustomerAccount(permissions:)": lambda n: (CREATE_ACCOUNT, {"p": _items(PERMISSIONS, n)}),
    "Mutation.setCustomerAccountPermissions(permissions:)": lambda n: (SET_PERMISSIONS, {"p": _items(PERMISSIONS, n)}),
}

SCHEMA_LISTS = """{ __schema { types { name kind
  fields { name args { name type { kind ofType { kind ofType { kind } } } } }
  inputFields { name type { kind ofType { kind ofType { kind } } } } } } }"""


def _is_list(kind: dict) -> bool:
    while kind:
        if kind["kind"] == "LIST":
            return True
        kind = kind.get("ofType")
    return False


def test_every_list_input_of_the_schema_has_a_reported_limit(gql):
    schema_types = gql(SCHEMA_LISTS)["__schema"]["types"]
    inputs = set()
    for t in schema_types:
        if t["name"].startswith("__"):
            continue
        for field in t["inputFields"] or ():
            if _is_list(field["type"]):
                inputs.add(f"{t['name']}.{field['name']}")
        for field in t["fields"] or ():
            for arg in field["args"]:
                if _is_list(arg["type"]):
                    inputs.add(f"{t['name']}.{field['name']}({arg['name']}:)")
    reported = {row["input"] for row in gql(LIMITS)["limits"]["listLimits"]}
    assert inputs == reported == set(LIST_REQUESTS)
    assert "ContactFilter.searchIn" in inputs


@PATHS
def test_each_reported_list_limit_is_the_enforced_one(fastpath):
    with serve(fastpath=fastpath) as http:
        limits = post(http, LIMITS)["data"]["limits"]
        for row in limits["listLimits"]:
            coordinate, most = row["input"], row["maxItems"]
            query, variables = LIST_REQUESTS[coordinate](most)
            assert not codes(post(http, query, variables)) & BUDGET_CODES, coordinate
            query, variables = LIST_REQUESTS[coordinate](most + 1)
            error = refusal(post(http, query, variables))
            assert error["extensions"]["code"] == "LIST_TOO_LONG", (coordinate, error)
            assert error["extensions"]["limit"] == most and error["extensions"]["coordinate"] == coordinate
            name = coordinate[coordinate.index("(") + 1 : -2] if "(" in coordinate else coordinate.split(".")[1]
            assert error["extensions"]["field"] == name and name in error["message"], error


@PATHS
def test_a_customers_lists_over_their_own_limit_but_within_the_guard_get_the_payload_error(fastpath):
    with serve(fastpath=fastpath) as http:
        limits = post(http, LIMITS)["data"]["limits"]
        query, variables = LIST_REQUESTS["CustomerInput.emails"](limits["emailsPerCustomer"] + 1)
        result = post(http, query, variables)["data"]["createCustomer"]
        assert result["__typename"] == "InvalidInputError"
        assert {"code": "TOO_MANY_ITEMS", "field": "emails", "limit": limits["emailsPerCustomer"]} in result["errors"]


@PATHS
def test_a_110000_entry_search_in_is_refused_naming_the_field_and_the_limit(fastpath):
    with serve(fastpath=fastpath) as http:
        body = post(http, DIRECTORY, {"s": ["EMAIL"] * 110_000}, lang="sk")
        error = refusal(body)
        assert error["extensions"]["code"] == "LIST_TOO_LONG"
        assert error["extensions"]["field"] == "searchIn" and error["extensions"]["limit"] == 6
        assert error["message"] == "Zoznam searchIn obsahuje 110\xa0000 položiek; povolených je najviac 6."
        # Bad values as well: graphql-core would word an error, with suggestions, for each.
        assert refusal(post(http, DIRECTORY, {"s": ["NOPE"] * 110_000}))["extensions"]["code"] == "LIST_TOO_LONG"
        # Six distinct fields is every field there is: served.
        assert post(http, DIRECTORY, {"s": SEARCH_FIELDS}) == {"data": {"contacts": {"totalCount": 0}}}


@PATHS
def test_a_literal_list_over_its_limit_is_refused(fastpath):
    query = "{ contacts(filter: {search: \"a\", searchIn: [" + ", ".join(["EMAIL"] * 7) + "]}) { totalCount } }"
    with serve(fastpath=fastpath) as http:
        error = refusal(post(http, query))
        assert (error["extensions"]["code"], error["extensions"]["field"], error["extensions"]["limit"]) == ("LIST_TOO_LONG", "searchIn", 6)


@PATHS
def test_an_input_object_with_thousands_of_unknown_keys_is_refused_unread(fastpath):
    variables = {"i": {"lastName": "L", **{f"k{i}": 1 for i in range(50_000)}}}
    with serve(fastpath=fastpath) as http:
        error = refusal(post(http, CREATE, variables))
        assert error["extensions"]["code"] == "INPUT_OBJECT_TOO_LARGE"
        assert error["extensions"]["field"] == "$i" and error["extensions"]["coordinate"] == "CustomerInput"
        assert "CustomerInput" in error["message"] and "50,001" in error["message"]
        # A few unknown keys still get graphql-core's own error, with its suggestion.
        body = post(http, CREATE, {"i": {"lastNam": "L"}})
        assert "INPUT_OBJECT_TOO_LARGE" not in codes(body) and "lastName" in body["errors"][0]["message"]


# --- what clients send every day still works ---------------------------------------------


def gadget_operations() -> list[tuple[str, str]]:
    source = GADGET_OPERATIONS.read_text(encoding="utf-8")
    return re.findall(r"export const (\w+) = gql`(.*?)`;", source, re.S)


@PATHS
def test_the_gadgets_documents_are_within_the_budget(fastpath):
    operations = [(n, d) for n, d in gadget_operations() if not d.lstrip().startswith("subscription")]
    assert len(operations) > 10
    with serve(fastpath=fastpath) as http:
        for name, document in operations:
            body = post(http, document)  # without variables: refused later, if at all, never by the budget
            assert not codes(body) & BUDGET_CODES, (name, body)


def test_graphiqls_introspection_query_is_within_the_budget(gql):
    import graphql

    query = graphql.get_introspection_query(descriptions=True, input_value_deprecation=True)
    assert gql(query)["__schema"]["queryType"]["name"] == "Query"


def test_a_subscription_document_costly_to_validate_is_refused_over_websocket():
    # Subscriptions' documents go through the fast path's document cache and the same
    # extension: the budget holds there too, with an `error` message for the subscription.
    query = "subscription { openListChanged { change " + "change " * 1900 + "} }"
    with serve() as http:
        with http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"], headers={"Accept-Language": "de"}) as ws:
            ws.send_json({"type": "connection_init", "payload": {}})
            assert ws.receive_json() == {"type": "connection_ack"}
            ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query}})
            message = ws.receive_json()
            assert (message["type"], message["id"]) == ("error", "1"), message
            (error,) = message["payload"]
            assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX" and "Einheiten" in error["message"], error


# --- a large answer takes turns with everyone else -----------------------------------------


async def _asgi_post(app, body: dict) -> dict:
    """One POST /graphql to the ASGI app on the running event loop (what uvicorn does), so
    that a ticker task on the same loop sees whether the request lets it run."""
    import asyncio
    import json

    payload = json.dumps(body).encode()
    scope = {
        "type": "http", "http_version": "1.1", "method": "POST", "path": "/graphql", "raw_path": b"/graphql",
        "query_string": b"", "root_path": "", "scheme": "http", "server": ("test", 80), "client": ("127.0.0.1", 1),
        "headers": [(b"host", b"test"), (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
    }  # fmt: skip
    chunks: list[bytes] = []
    sent = False

    async def receive() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": payload, "more_body": False}
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return json.loads(b"".join(chunks))


BIG_PAGE = "{ customers(first: 30) { edges { node { id displayName emails { address label normalized } phones { number e164 } } } } }"


def _answers_with_turns(fastpath: bool) -> list[tuple[dict, int]]:
    """BIG_PAGE's answer on 30 customers with 50 emails and 50 phones each, twice (the
    second time from the cached plan), each with how many turns a ticker task got meanwhile."""
    import asyncio

    async def main() -> list[tuple[dict, int]]:
        app = create_app(Settings(fastpath=fastpath))
        async with app.router.lifespan_context(app):
            for i in range(30):
                customer = {
                    "lastName": f"Customer {i}",
                    "emails": [{"address": f"c{i}.e{j}@example.eu", "label": "work"} for j in range(50)],
                    "phones": [{"number": f"+420601{i:03d}{j:03d}"} for j in range(50)],
                }
                created = await _asgi_post(app, {"query": CREATE, "variables": {"i": customer}})
                assert created["data"]["createCustomer"]["__typename"] == "CreateCustomer" + "Success", created
            results = []
            for _ in range(2):
                turns, done = 0, False

                async def ticker() -> None:
                    nonlocal turns
                    while not done:
                        await asyncio.sleep(0)
                        turns += 1

                task = asyncio.create_task(ticker())
                await asyncio.sleep(0)
                turns = 0
                answer = await _asgi_post(app, {"query": BIG_PAGE})
                done = True
                await task
                results.append((answer, turns))
            return results

    return asyncio.run(main())


def _without_ids(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_ids(v) for k, v in data.items() if k != "id"}
    if isinstance(data, list):
        return [_without_ids(v) for v in data]
    return data


def test_a_large_answer_on_the_fast_path_lets_the_event_loop_take_turns(monkeypatch):
    from service.fastpath import compiled

    # Every turn over at once: the plan puts off what is left each time it looks at the clock.
    monkeypatch.setattr(compiled, "TURN_SECONDS", 0.0)
    taking_turns = _answers_with_turns(fastpath=True)
    monkeypatch.setattr(compiled, "TURN_SECONDS", 3600.0)
    in_one_go = _answers_with_turns(fastpath=True)
    generic = _answers_with_turns(fastpath=False)

    answer = taking_turns[1][0]
    assert len(answer["data"]["customers"]["edges"]) == 30 and "errors" not in answer
    assert len(answer["data"]["customers"]["edges"][0]["node"]["emails"]) == 50
    # The same answer however it was built: in turns, in one go, by graphql-core (each app
    # made its own ids; everything else is equal, order included).
    assert answer == taking_turns[0][0]
    assert _without_ids(answer) == _without_ids(in_one_go[1][0]) == _without_ids(generic[1][0])
    # Building 30 x 100 objects from the cached plan, taking turns let the ticker run at every
    # look at the clock (every 64 objects: deterministic, as every turn is over at once); in
    # one go it ran only where the request itself waits.
    assert taking_turns[1][1] > 5, taking_turns[1][1]
    assert in_one_go[1][1] < taking_turns[1][1], (in_one_go[1][1], taking_turns[1][1])
