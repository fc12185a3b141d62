"""Contacts of a customer (seed 004) over GraphQL: roles that mean something, and the
directory with search, advanced filter, filters and language-aware sorting."""

from __future__ import annotations

import pytest

from .helpers import USER_ERROR, create_customer

CONTACT_FIELDS = """id version owner role salutation firstName lastName title email phone e164Phone
  reminderContact canCommunicate displayName warnings { code field message } customer { id } createdAt updatedAt"""

ADD = (
    """mutation Add($customerId: ID!, $input: ContactInput!) { addContact(customerId: $customerId, input: $input) {
  __typename ... on AddContactSuccess { contact { """
    + CONTACT_FIELDS
    + """ } customer { id } }
  ... on InvalidInputError { limit errors { code field } } """
    + USER_ERROR
    + "}}"
)
UPDATE = (
    """mutation Update($id: ID!, $v: Int!, $input: ContactInput!) { updateContact(id: $id, expectedVersion: $v, input: $input) {
  __typename ... on UpdateContactSuccess { contact { """
    + CONTACT_FIELDS
    + """ } }
  ... on VersionConflictError { currentVersion } ... on InvalidInputError { errors { code field } } """
    + USER_ERROR
    + "}}"
)
REMOVE = (
    """mutation Remove($id: ID!) { removeContact(id: $id) { __typename
  ... on RemoveContactSuccess { removedContactId customer { id } } """
    + USER_ERROR
    + "}}"
)
TAB = """query Tab($id: ID!, $role: ContactRole) { customer(id: $id) {
  contacts(role: $role) { totalCount edges { node { lastName role } } }
  messageRecipients { lastName } reminderRecipients { lastName } } }"""
DIRECTORY = """query Directory($filter: ContactFilter, $orderBy: ContactOrder, $first: Int, $after: String) {
  contacts(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id lastName firstName customer { id displayName } } } } }"""


def add(gql, customer_id, lang=None, **fields):
    result = gql(ADD, {"customerId": customer_id, "input": fields}, lang=lang)["addContact"]
    assert result["__typename"] == "AddContactSuccess", result
    return result["contact"]


def directory(gql, lang=None, **variables):
    return gql(DIRECTORY, variables, lang=lang)["contacts"]


def last_names(connection):
    return [e["node"]["lastName"] for e in connection["edges"]]


@pytest.fixture
def acme(gql):
    return create_customer(gql, organizationName="ACME s.r.o.")


def test_add_a_contact_with_every_field(gql, acme):
    contact = add(
        gql,
        acme["id"],
        salutation="Vážená paní",
        firstName="Jana",
        lastName="Nováková",
        title="Ing.",
        email="Jana.Novakova@ACME.cz",
        phone="601 123 456",
        role="MAIN",
        reminderContact=True,
    )
    assert contact["owner"] == "local-developer"  # the caller, never the input
    assert (contact["role"], contact["reminderContact"], contact["canCommunicate"]) == ("MAIN", True, True)
    assert contact["displayName"] == "Ing. Jana Nováková"
    assert contact["e164Phone"] == "+420601123456"
    assert contact["warnings"] == []
    assert contact["customer"]["id"] == acme["id"]
    assert contact["version"] == 1
    node = gql("query($id: ID!) { node(id: $id) { __typename ... on Contact { lastName } } }", {"id": contact["id"]})
    assert node["node"] == {"__typename": "Contact", "lastName": "Nováková"}


def test_defaults_are_an_additional_contact_without_reminders(gql, acme):
    contact = add(gql, acme["id"], lastName="Svoboda", email="svoboda@acme.cz")
    assert (contact["role"], contact["reminderContact"]) == ("ADDITIONAL", False)


def test_owner_cannot_be_sent(gql, acme):
    body = gql.raw(ADD, {"customerId": acme["id"], "input": {"lastName": "X", "owner": "someone-else"}})
    assert body["errors"] and "owner" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "fields, code, field",
    [
        ({"lastName": "x" * 2001}, "FIELD_TOO_LONG", "lastName"),
        ({"lastName": "ok", "salutation": "x" * 2001}, "FIELD_TOO_LONG", "salutation"),
        ({"lastName": "ok", "title": "x" * 2001}, "FIELD_TOO_LONG", "title"),
        ({"lastName": "ok", "firstName": "x" * 2001}, "FIELD_TOO_LONG", "firstName"),
        ({"lastName": "ok", "email": "x" * 2001}, "FIELD_TOO_LONG", "email"),
        ({"lastName": "ok", "email": "not an email"}, "INVALID_EMAIL", "email"),
        ({"lastName": "ok", "phone": "12"}, "INVALID_PHONE", "phone"),
        ({"salutation": "Mr", "title": "Dr."}, "REQUIRED", None),
    ],
)
def test_bad_contact_input_is_typed_and_adds_nothing(gql, acme, fields, code, field):
    result = gql(ADD, {"customerId": acme["id"], "input": fields})["addContact"]
    assert (result["__typename"], result["code"], result["field"]) == ("InvalidInputError", code, field)
    assert directory(gql)["totalCount"] == 0


def test_adding_to_an_unknown_customer_is_not_found(gql):
    result = gql(ADD, {"customerId": "Q3VzdG9tZXI6bm9ib2R5", "input": {"lastName": "X"}})["addContact"]
    assert (result["code"], result["field"]) == ("NOT_FOUND", "customerId")


def test_a_contact_without_email_is_saved_but_cannot_be_communicated_with(gql, acme):
    contact = add(gql, acme["id"], lang="cs", lastName="Bez E-mailu", role="MAIN", reminderContact=True)
    assert contact["canCommunicate"] is False
    assert [(w["code"], w["field"]) for w in contact["warnings"]] == [("MISSING_EMAIL", "email")]
    assert "e-mail" in contact["warnings"][0]["message"]  # in Czech
    tab = gql(TAB, {"id": acme["id"]})["customer"]
    assert last_names(tab["contacts"]) == ["Bez E-mailu"]
    assert tab["messageRecipients"] == [] and tab["reminderRecipients"] == []


def test_roles_decide_who_receives_what(gql, acme):
    add(gql, acme["id"], lastName="Hlavní", email="main@acme.cz", role="MAIN")
    add(gql, acme["id"], lastName="Hlavní bez e-mailu", role="MAIN")
    add(gql, acme["id"], lastName="Účetní", email="ucetni@acme.cz", role="ADDITIONAL", reminderContact=True)
    add(gql, acme["id"], lastName="Další", email="dalsi@acme.cz", role="ADDITIONAL")
    other = create_customer(gql, organizationName="Other")
    add(gql, other["id"], lastName="Cizí", email="x@other.cz", role="MAIN", reminderContact=True)

    tab = gql(TAB, {"id": acme["id"]}, lang="cs")["customer"]
    assert [r["lastName"] for r in tab["messageRecipients"]] == ["Hlavní"]
    assert [r["lastName"] for r in tab["reminderRecipients"]] == ["Účetní"]
    # The contacts tab: MAIN first, each group alphabetically.
    assert last_names(tab["contacts"]) == ["Hlavní", "Hlavní bez e-mailu", "Další", "Účetní"]
    assert last_names(gql(TAB, {"id": acme["id"], "role": "MAIN"})["customer"]["contacts"]) == ["Hlavní", "Hlavní bez e-mailu"]
    assert gql(TAB, {"id": acme["id"], "role": "ADDITIONAL"})["customer"]["contacts"]["totalCount"] == 2


def test_moving_between_main_and_additional_changes_who_gets_copies(gql, acme):
    contact = add(gql, acme["id"], lastName="Dvořák", email="dvorak@acme.cz")
    assert gql(TAB, {"id": acme["id"]})["customer"]["messageRecipients"] == []
    moved = gql(UPDATE, {"id": contact["id"], "v": 1, "input": {"role": "MAIN"}})["updateContact"]["contact"]
    assert (moved["role"], moved["version"], moved["lastName"], moved["email"]) == ("MAIN", 2, "Dvořák", "dvorak@acme.cz")
    assert [r["lastName"] for r in gql(TAB, {"id": acme["id"]})["customer"]["messageRecipients"]] == ["Dvořák"]
    # Clearing the email takes it off the list, and says why.
    cleared = gql(UPDATE, {"id": contact["id"], "v": 2, "input": {"email": None}})["updateContact"]["contact"]
    assert cleared["canCommunicate"] is False and cleared["warnings"][0]["code"] == "MISSING_EMAIL"
    assert gql(TAB, {"id": acme["id"]})["customer"]["messageRecipients"] == []


def test_contact_updates_are_versioned_and_validated(gql, acme):
    contact = add(gql, acme["id"], lastName="Novák")
    gql(UPDATE, {"id": contact["id"], "v": 1, "input": {"firstName": "Jan"}})
    stale = gql(UPDATE, {"id": contact["id"], "v": 1, "input": {"firstName": "Petr"}})["updateContact"]
    assert (stale["code"], stale["currentVersion"]) == ("VERSION_CONFLICT", 2)
    bad = gql(UPDATE, {"id": contact["id"], "v": 2, "input": {"title": "t" * 2001}})["updateContact"]
    assert (bad["code"], bad["field"]) == ("FIELD_TOO_LONG", "title")
    missing = gql(UPDATE, {"id": "bad", "v": 1, "input": {"title": "x"}})["updateContact"]
    assert (missing["code"], missing["field"]) == ("NOT_FOUND", "id")
    unchanged = gql(UPDATE, {"id": contact["id"], "v": 2, "input": {"firstName": "Jan"}})["updateContact"]["contact"]
    assert unchanged["version"] == 2


def test_remove_a_contact(gql, acme):
    contact = add(gql, acme["id"], lastName="Pryč", email="pryc@acme.cz", role="MAIN")
    result = gql(REMOVE, {"id": contact["id"]})["removeContact"]
    assert result == {"__typename": "RemoveContactSuccess", "removedContactId": contact["id"], "customer": {"id": acme["id"]}}
    assert gql(REMOVE, {"id": contact["id"]})["removeContact"]["code"] == "NOT_FOUND"
    assert directory(gql)["totalCount"] == 0
    assert gql(TAB, {"id": acme["id"]})["customer"]["messageRecipients"] == []
    assert directory(gql, filter={"search": "pryc"})["totalCount"] == 0


@pytest.fixture
def people(gql):
    acme = create_customer(gql, organizationName="ACME")
    beta = create_customer(gql, organizationName="Beta")
    rows = [
        (acme, dict(firstName="Peter", lastName="Kováč", title="Ing.", email="peter.kovac@acme.sk", phone="+421 905 111 222", role="MAIN", reminderContact=True)),
        (acme, dict(firstName="Jana", lastName="Nováková", title="Mgr.", email="jana@acme.cz", role="ADDITIONAL")),
        (beta, dict(firstName="Ivan", lastName="Horák", title="Ing.", role="MAIN")),
        (beta, dict(firstName="Eva", lastName="Kovaříková", email="eva.k@beta.cz", salutation="Paní", reminderContact=True)),
    ]
    for customer, fields in rows:
        add(gql, customer["id"], **fields)
    return {"acme": acme, "beta": beta}


@pytest.mark.parametrize(
    "filter, expected",
    [
        ({"search": "kovac"}, ["Kováč"]),
        ({"search": "KOVÁČ"}, ["Kováč"]),
        ({"search": "kova"}, ["Kováč", "Kovaříková"]),
        ({"search": "ing"}, ["Horák", "Kováč"]),
        ({"search": "ing", "searchIn": ["LAST_NAME"]}, []),
        ({"search": "ing", "searchIn": ["TITLE"]}, ["Horák", "Kováč"]),
        ({"search": "jana", "searchIn": ["EMAIL"]}, ["Nováková"]),
        ({"search": "jana", "searchIn": ["LAST_NAME", "TITLE"]}, []),
        ({"search": "905 111"}, ["Kováč"]),
        ({"search": "pani"}, ["Kovaříková"]),
        ({"role": "MAIN"}, ["Horák", "Kováč"]),
        ({"reminderContact": True}, ["Kováč", "Kovaříková"]),
        ({"canCommunicate": False}, ["Horák"]),
        ({"search": "ing", "canCommunicate": True}, ["Kováč"]),
    ],
)
def test_directory_search_and_filters(gql, people, filter, expected):
    result = directory(gql, filter=filter)
    assert last_names(result) == expected
    assert result["totalCount"] == len(expected)


def test_directory_filters_by_customer_and_every_contact_carries_its_customer(gql, people):
    result = directory(gql, filter={"customerId": people["beta"]["id"]})
    assert last_names(result) == ["Horák", "Kovaříková"]
    assert {e["node"]["customer"]["displayName"] for e in result["edges"]} == {"Beta"}
    body = gql.raw(DIRECTORY, {"filter": {"customerId": "nonsense"}})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "lang, names",
    [
        # Czech: Č is a letter after C, CH after H, Ř after R, Š after S, Ž after Z.
        ("cs", ["Cibulka", "Čapek", "Dvořák", "Hrubý", "Chudoba", "Ibl", "Rys", "Řezníček", "Sokol", "Šimek", "Zeman", "Žák"]),
        # Slovak: Ä after A, Č after C, CH after H, Ô after O.
        ("sk", ["Azúr", "Äno", "Cyril", "Čierny", "Hudec", "Chovan", "Oravec", "Ôsmy", "Pavol"]),
        # German: umlauts sort with their base letter.
        ("de", ["Abel", "Äbel", "Abele", "Muller", "Müller", "Mullers", "Zahn"]),
        # Norwegian: Æ, Ø, Å after Z.
        ("nb", ["Berg", "Zahl", "Ærlig", "Østby", "Åsen"]),
    ],
)
def test_directory_sorts_as_a_reader_of_that_language_expects(gql, lang, names):
    customer = create_customer(gql, organizationName="Sorting")
    for name in reversed(names):
        add(gql, customer["id"], lastName=name)
    asc = directory(gql, lang=lang, orderBy={"field": "LAST_NAME"}, first=100)
    assert last_names(asc) == names
    desc = directory(gql, lang=lang, orderBy={"field": "LAST_NAME", "direction": "DESC"}, first=100)
    assert last_names(desc) == list(reversed(names))


def test_english_readers_get_accents_as_variants_of_their_letter(gql):
    customer = create_customer(gql, organizationName="Sorting")
    for name in ["Dvořák", "Čapek", "Cibulka"]:
        add(gql, customer["id"], lastName=name)
    assert last_names(directory(gql, lang="en")) == ["Čapek", "Cibulka", "Dvořák"]
    assert last_names(directory(gql, lang="cs")) == ["Cibulka", "Čapek", "Dvořák"]


@pytest.mark.parametrize(
    "field, expected",
    [
        ("FIRST_NAME", ["Kovaříková", "Horák", "Nováková", "Kováč"]),  # Eva, Ivan, Jana, Peter
        ("TITLE", ["Horák", "Kováč", "Nováková", "Kovaříková"]),  # Ing. Ing. Mgr. (none last)
        ("EMAIL", ["Kovaříková", "Nováková", "Kováč", "Horák"]),  # eva.k, jana, peter; none last
        ("CUSTOMER", ["Kováč", "Nováková", "Horák", "Kovaříková"]),  # ACME, then Beta
        ("ROLE", ["Horák", "Kováč", "Kovaříková", "Nováková"]),  # MAIN first
        ("REMINDER_CONTACT", ["Kováč", "Kovaříková", "Horák", "Nováková"]),
        ("CREATED_AT", ["Kováč", "Nováková", "Horák", "Kovaříková"]),
    ],
)
def test_directory_sorts_by_any_column(gql, people, field, expected):
    assert last_names(directory(gql, lang="cs", orderBy={"field": field})) == expected
    desc = directory(gql, lang="cs", orderBy={"field": field, "direction": "DESC"})
    assert len(desc["edges"]) == 4


def test_directory_pages_with_cursors_and_rejects_a_cursor_of_another_order(gql, people):
    seen, after = [], None
    while True:
        page = directory(gql, first=3, after=after)
        seen += last_names(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["Horák", "Kováč", "Kovaříková", "Nováková"]
    first_page = directory(gql, first=1)
    body = gql.raw(DIRECTORY, {"first": 1, "after": first_page["pageInfo"]["endCursor"], "orderBy": {"field": "EMAIL"}})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_VALUE"


def test_renaming_a_customer_resorts_its_contacts_by_customer(gql, people):
    from .helpers import UPDATE_CUSTOMER

    assert last_names(directory(gql, orderBy={"field": "CUSTOMER"}))[:2] == ["Kováč", "Nováková"]
    gql(UPDATE_CUSTOMER, {"id": people["acme"]["id"], "v": 1, "input": {"organizationName": "Zeta"}})
    assert last_names(directory(gql, orderBy={"field": "CUSTOMER"}))[:2] == ["Horák", "Kovaříková"]


def test_role_and_reminder_flag_can_change_but_never_be_cleared(gql, acme):
    contact = add(gql, acme["id"], lastName="Novák", role="MAIN", reminderContact=True)
    for field in ("role", "reminderContact"):
        result = gql(UPDATE, {"id": contact["id"], "v": 1, "input": {field: None}})["updateContact"]
        assert (result["code"], result["field"]) == ("REQUIRED", field)
    changed = gql(UPDATE, {"id": contact["id"], "v": 1, "input": {"reminderContact": False}})["updateContact"]["contact"]
    assert (changed["role"], changed["reminderContact"]) == ("MAIN", False)


@pytest.mark.parametrize("typed", ["601222333", "601 222 333", "+420 601 222 333"])
@pytest.mark.parametrize("query", ["601 222", "601222", "+420 601 222", "00420601222333", "601"])
def test_phone_numbers_are_found_however_they_were_typed_and_searched(gql, acme, typed, query):
    add(gql, acme["id"], lastName="Telefon", phone=typed)
    assert last_names(directory(gql, filter={"search": query})) == ["Telefon"]
    assert last_names(directory(gql, filter={"search": query, "searchIn": ["PHONE"]})) == ["Telefon"]


def test_the_contact_limit_per_customer_is_a_typed_error(gql, acme, monkeypatch):
    from service.usecases import contacts as contact_usecases

    monkeypatch.setattr(contact_usecases, "MAX_CONTACTS_PER_CUSTOMER", 2)
    add(gql, acme["id"], lastName="A")
    add(gql, acme["id"], lastName="B")
    result = gql(ADD, {"customerId": acme["id"], "input": {"lastName": "C"}})["addContact"]
    assert (result["code"], result["field"], result["limit"]) == ("TOO_MANY_ITEMS", "customerId", 2)
    assert "already has 2 contacts" in result["message"]
