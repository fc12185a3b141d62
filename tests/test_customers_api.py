"""Customer records over GraphQL: manual creation, versioned updates, validation, search."""

from __future__ import annotations

import pytest

from .helpers import CREATE_CUSTOMER, UPDATE_CUSTOMER, create_customer

CUSTOMER = """query($id: ID!) { customer(id: $id) { id version firstName lastName organizationName displayName
  emails { address normalized label } phones { number e164 label } address { city country } externalId attributes { key value } } }"""


def search(gql, text, **kw):
    data = gql(
        "query($s: String, $first: Int, $after: String) { customers(search: $s, first: $first, after: $after) "
        "{ totalCount pageInfo { hasNextPage endCursor } edges { node { displayName } } } }",
        {"s": text, **kw},
    )["customers"]
    return data


def test_create_customer_with_every_field(gql):
    customer = create_customer(
        gql,
        firstName="  Jan ",
        lastName="Novák",
        organizationName="Novák s.r.o.",
        emails=[{"address": "Jan.Novak@Example.cz", "label": "work"}, {"address": "jan.novak@example.cz"}],
        phones=[{"number": "601 123 456", "label": "mobile"}],
        address={"street": "Dlouhá 1", "city": "Praha", "postcode": "110 00", "country": "CZ"},
        externalId="CRM-42",
        attributes=[{"key": "tier", "value": "gold"}],
    )
    assert customer["firstName"] == "Jan"  # trimmed
    assert customer["displayName"] == "Jan Novák"
    # The same address twice is one address.
    assert customer["emails"] == [{"address": "Jan.Novak@Example.cz", "normalized": "jan.novak@example.cz", "label": "work"}]
    assert customer["phones"] == [{"number": "601 123 456", "e164": "+420601123456", "label": "mobile"}]
    assert customer["address"] == {"street": "Dlouhá 1", "city": "Praha", "postcode": "110 00", "region": None, "country": "CZ"}
    assert customer["attributes"] == [{"key": "tier", "value": "gold"}]
    assert customer["version"] == 1
    assert customer["createdAt"] == customer["updatedAt"]
    assert customer["createdAt"].endswith("+00:00")
    assert customer["createdBy"]
    fetched = gql(CUSTOMER, {"id": customer["id"]})["customer"]
    assert fetched["externalId"] == "CRM-42"
    node = gql("query($id: ID!) { node(id: $id) { __typename id } }", {"id": customer["id"]})["node"]
    assert node == {"__typename": "Customer", "id": customer["id"]}


def test_organisation_only_customer_shows_the_organisation(gql):
    assert create_customer(gql, organizationName="ACME a.s.")["displayName"] == "ACME a.s."


@pytest.mark.parametrize(
    "fields, code, field",
    [
        ({"firstName": "x" * 2001}, "FIELD_TOO_LONG", "firstName"),
        ({"lastName": "ok", "address": {"city": "y" * 2001}}, "FIELD_TOO_LONG", "address.city"),
        ({"lastName": "ok", "attributes": [{"key": "k", "value": "v" * 2001}]}, "FIELD_TOO_LONG", "attributes[0].value"),
        ({"lastName": "ok", "emails": [{"address": "a@b.cz"}, {"address": "not-an-email"}]}, "INVALID_EMAIL", "emails[1].address"),
        ({"lastName": "ok", "phones": [{"number": "12"}]}, "INVALID_PHONE", "phones[0].number"),
        ({"lastName": "ok", "phones": [{"number": "anonymous"}]}, "INVALID_PHONE", "phones[0].number"),
        ({"lastName": "ok", "attributes": [{"key": " ", "value": "v"}]}, "REQUIRED", "attributes[0].key"),
        ({"lastName": "ok", "attributes": [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]}, "INVALID_VALUE", "attributes[1].key"),
        ({"lastName": "ok", "emails": [{"address": f"a{i}@b.cz"} for i in range(51)]}, "TOO_MANY_ITEMS", "emails"),
        ({}, "REQUIRED", None),
        ({"firstName": "   "}, "REQUIRED", None),
    ],
)
def test_bad_input_is_a_typed_error_naming_the_field_and_saves_nothing(gql, fields, code, field):
    result = gql(CREATE_CUSTOMER, {"input": fields})["createCustomer"]
    assert result["__typename"] == "InvalidInputError"
    assert (result["code"], result["field"]) == (code, field)
    assert result["message"]
    assert gql("{ customers { totalCount } }")["customers"]["totalCount"] == 0


def test_exactly_2000_characters_is_accepted(gql):
    assert len(create_customer(gql, lastName="ž" * 2000)["lastName"]) == 2000


def test_every_problem_is_reported_at_once(gql):
    result = gql(
        CREATE_CUSTOMER,
        {"input": {"firstName": "x" * 2500, "emails": [{"address": "bad"}], "phones": [{"number": "1"}]}},
    )["createCustomer"]
    assert [(e["code"], e["field"]) for e in result["errors"]] == [
        ("FIELD_TOO_LONG", "firstName"),
        ("INVALID_EMAIL", "emails[0].address"),
        ("INVALID_PHONE", "phones[0].number"),
    ]
    assert result["errors"][0]["limit"] == 2000
    assert "2,000" in result["errors"][0]["message"] and "2,500" in result["errors"][0]["message"]


def test_create_with_unknown_activity_creates_nothing(gql):
    result = gql(CREATE_CUSTOMER, {"input": {"lastName": "X"}, "activityId": "QWN0aXZpdHk6bm9uZQ"})["createCustomer"]
    assert (result["__typename"], result["code"], result["field"]) == ("NotFoundError", "NOT_FOUND", "activityId")
    assert gql("{ customers { totalCount } }")["customers"]["totalCount"] == 0


def test_update_with_the_version_read_changes_only_the_fields_sent(gql):
    customer = create_customer(gql, firstName="Jan", lastName="Novák", emails=[{"address": "jan@example.cz"}])
    result = gql(UPDATE_CUSTOMER, {"id": customer["id"], "v": 1, "input": {"lastName": "Nováček"}})["updateCustomer"]
    updated = result["customer"]
    assert updated["version"] == 2
    assert (updated["firstName"], updated["lastName"]) == ("Jan", "Nováček")
    assert updated["emails"] == [{"address": "jan@example.cz"}]  # left out: kept
    assert updated["updatedAt"] >= updated["createdAt"]
    # null clears, a list replaces
    result = gql(UPDATE_CUSTOMER, {"id": customer["id"], "v": 2, "input": {"firstName": None, "emails": [], "phones": [{"number": "+421 905 123 456"}]}})
    updated = result["updateCustomer"]["customer"]
    assert (updated["firstName"], updated["emails"], updated["phones"]) == (None, [], [{"e164": "+421905123456"}])


def test_an_update_that_changes_nothing_keeps_the_version(gql):
    customer = create_customer(gql, lastName="Novák", emails=[{"address": "a@b.cz"}])
    for change in [{}, {"lastName": "Novák"}, {"lastName": " Novák "}, {"emails": [{"address": "a@b.cz"}]}]:
        result = gql(UPDATE_CUSTOMER, {"id": customer["id"], "v": 1, "input": change})["updateCustomer"]
        assert result["customer"]["version"] == 1


def test_stale_version_is_a_conflict_never_a_silent_overwrite(gql):
    customer = create_customer(gql, lastName="Novák")
    gql(UPDATE_CUSTOMER, {"id": customer["id"], "v": 1, "input": {"firstName": "Agent A"}})
    result = gql(UPDATE_CUSTOMER, {"id": customer["id"], "v": 1, "input": {"firstName": "Agent B"}})["updateCustomer"]
    assert result["__typename"] == "VersionConflictError"
    assert (result["code"], result["field"]) == ("VERSION_CONFLICT", "expectedVersion")
    assert (result["expectedVersion"], result["currentVersion"]) == (1, 2)
    assert gql(CUSTOMER, {"id": customer["id"]})["customer"]["firstName"] == "Agent A"


def test_update_errors_change_nothing(gql):
    customer = create_customer(gql, lastName="Novák")
    result = gql(UPDATE_CUSTOMER, {"id": customer["id"], "v": 1, "input": {"lastName": "x" * 2001}})["updateCustomer"]
    assert result["code"] == "FIELD_TOO_LONG"
    result = gql(UPDATE_CUSTOMER, {"id": customer["id"], "v": 1, "input": {"lastName": None}})["updateCustomer"]
    assert result["code"] == "REQUIRED"  # the last identifying field cannot be cleared
    result = gql(UPDATE_CUSTOMER, {"id": "Q3VzdG9tZXI6bm9ib2R5", "v": 1, "input": {"lastName": "x"}})["updateCustomer"]
    assert (result["code"], result["field"]) == ("NOT_FOUND", "id")
    fetched = gql(CUSTOMER, {"id": customer["id"]})["customer"]
    assert (fetched["version"], fetched["lastName"]) == (1, "Novák")


def test_unknown_or_malformed_ids_read_as_null(gql):
    for bad in ["", "x", "Q3VzdG9tZXI6bm9ib2R5", "QWN0aXZpdHk6MDE"]:
        assert gql(CUSTOMER, {"id": bad})["customer"] is None
        assert gql("query($id: ID!) { node(id: $id) { id } }", {"id": bad})["node"] is None


@pytest.mark.parametrize(
    "query, expected",
    [
        ("novak", ["Jan Novák", "Petra Nováková"]),
        ("NOVÁK", ["Jan Novák", "Petra Nováková"]),
        ("jorgensen", ["Ingrid Jørgensen"]),
        ("dordevic", ["Đorđe Đorđević"]),
        ("jan nov", ["Jan Novák"]),
        ("praha", ["Petra Nováková"]),
        ("601 123", ["Jan Novák"]),
        ("+420601123456", ["Jan Novák"]),
        ("601123", ["Jan Novák"]),
        ("00420 601 12", ["Jan Novák"]),
        ("110 00", ["Petra Nováková"]),
        ("ingrid@example.no", ["Ingrid Jørgensen"]),
        ("nobody", []),
    ],
)
def test_search_ignores_case_and_diacritics(gql, query, expected):
    create_customer(gql, firstName="Jan", lastName="Novák", phones=[{"number": "+420 601 123 456"}])
    create_customer(gql, firstName="Petra", lastName="Nováková", address={"city": "Praha", "postcode": "110 00"})
    create_customer(gql, firstName="Ingrid", lastName="Jørgensen", emails=[{"address": "ingrid@example.no"}])
    create_customer(gql, firstName="Đorđe", lastName="Đorđević")
    result = search(gql, query)
    assert [e["node"]["displayName"] for e in result["edges"]] == expected
    assert result["totalCount"] == len(expected)


def test_customers_list_alphabetically_and_pages_stably_under_inserts(gql):
    for name in ["Dvořák", "Cibulka", "Adámek", "Čapek", "Zeman", "Bártová"]:
        create_customer(gql, lastName=name)
    first = search(gql, None, first=3)
    assert [e["node"]["displayName"] for e in first["edges"]] == ["Adámek", "Bártová", "Čapek"]
    assert first["totalCount"] == 6 and first["pageInfo"]["hasNextPage"]
    create_customer(gql, lastName="Aaron")  # sorts before the cursor: must not shift the next page
    rest = search(gql, None, first=10, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["displayName"] for e in rest["edges"]] == ["Cibulka", "Dvořák", "Zeman"]
    assert not rest["pageInfo"]["hasNextPage"]


def test_page_size_and_cursor_errors_are_typed(gql):
    body = gql.raw("{ customers(first: 101) { totalCount } }")
    assert body["errors"][0]["extensions"].items() >= {"code": "INVALID_VALUE", "field": "first"}.items()
    assert body["errors"][0]["message"] == "first must be between 0 and 100."
    body = gql.raw("{ customers(first: -1) { totalCount } }")
    assert body["errors"][0]["extensions"]["field"] == "first"
    # matchCustomers' limit starts at 1, and says so.
    for limit in (0, 51):
        body = gql.raw('query($l: Int) { matchCustomers(identity: {phone: "601123456"}, limit: $l) { score } }', {"l": limit})
        error = body["errors"][0]
        assert (error["extensions"]["code"], error["extensions"]["field"], error["message"]) == ("INVALID_VALUE", "limit", "limit must be between 1 and 50.")
    body = gql.raw('{ customers(after: "garbage!") { totalCount } }')
    assert body["errors"][0]["extensions"].items() >= {"code": "INVALID_VALUE", "field": "after"}.items()
    assert "Traceback" not in str(body)


def test_nested_lists_check_page_size_and_cursor_too(gql):
    customer = create_customer(gql, lastName="Novák")
    query = "query($id: ID!, $first: Int, $after: String) { customer(id: $id) { activities(first: $first, after: $after) { totalCount } } }"
    body = gql.raw(query, {"id": customer["id"], "first": 500})
    assert body["errors"][0]["extensions"].items() >= {"code": "INVALID_VALUE", "field": "first"}.items()
    body = gql.raw(query, {"id": customer["id"], "after": "###"})
    assert body["errors"][0]["extensions"].items() >= {"code": "INVALID_VALUE", "field": "after"}.items()


LIMITS = """{ limits { textLength emailsPerCustomer phonesPerCustomer attributesPerCustomer contactsPerCustomer
  defaultPageSize maxPageSize maxMatchCandidates maxQueryDepth maxAliases } }"""


def test_the_limits_a_form_needs_are_data_and_are_the_ones_enforced():
    from service.settings import Settings

    from .helpers import make_client

    for gql in make_client(Settings(default_page_size=7, max_page_size=40, max_query_depth=9, max_aliases=5)):
        limits = gql(LIMITS)["limits"]
        assert limits == {
            "textLength": 2000, "emailsPerCustomer": 50, "phonesPerCustomer": 50, "attributesPerCustomer": 200,
            "contactsPerCustomer": 1000, "defaultPageSize": 7, "maxPageSize": 40, "maxMatchCandidates": 50,
            "maxQueryDepth": 9, "maxAliases": 5,
        }
        create = "mutation($i: CustomerInput!) { createCustomer(input: $i) { __typename ... on InvalidInputError { errors { code field limit } } } }"
        too_long = gql(create, {"i": {"lastName": "x" * (limits["textLength"] + 1)}})["createCustomer"]
        assert too_long["errors"] == [{"code": "FIELD_TOO_LONG", "field": "lastName", "limit": limits["textLength"]}]
        emails = [{"address": f"a{n}@example.cz"} for n in range(limits["emailsPerCustomer"] + 1)]
        too_many = gql(create, {"i": {"lastName": "x", "emails": emails}})["createCustomer"]
        assert too_many["errors"] == [{"code": "TOO_MANY_ITEMS", "field": "emails", "limit": limits["emailsPerCustomer"]}]
        assert gql.raw("query($n: Int) { customers(first: $n) { totalCount } }", {"n": limits["maxPageSize"] + 1})["errors"]
        assert "errors" not in gql.raw("query($n: Int) { customers(first: $n) { totalCount } }", {"n": limits["maxPageSize"]})
