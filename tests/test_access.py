"""Who may see and change what (issue 6): staff tokens and roles, agents on their own open
list, read-only staff, customer accounts seeing only their own customer, development mode."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
import urllib.request

import pytest
from starlette.testclient import TestClient

from service.app import create_app
from service.authentication import hash_token
from service.schema.ids import raw_id_of
from service.settings import ConfigurationError, Settings

from .helpers import CREATE_FROM_ENTRY, OPEN_LIST, RECORD
from .server import running_server

ROOT = Path(__file__).resolve().parent.parent
TOKENS = {"admin": "ccs_admin-secret-0123456789", "agent-1": "ccs_agent1-secret-0123456789", "agent-2": "ccs_agent2-secret-0123456789", "auditor": "ccs_auditor-secret-0123456789"}
ROLES = {"admin": "ADMIN", "agent-1": "AGENT", "agent-2": "AGENT", "auditor": "READ_ONLY"}


class Client:
    def __init__(self, http: TestClient) -> None:
        self.http = http

    def raw(self, query, variables=None, token=None, lang=None):
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if lang:
            headers["Accept-Language"] = lang
        return self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)

    def __call__(self, query, variables=None, token=None):
        response = self.raw(query, variables, token)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def as_(self, who):
        return lambda query, variables=None: self(query, variables, TOKENS.get(who, who))


@pytest.fixture
def api(tmp_path):
    path = tmp_path / "tokens"
    path.write_text("# staff\n" + "".join(f"{who} {ROLES[who]} {hash_token(t)}\n" for who, t in TOKENS.items()))
    with TestClient(create_app(Settings(tokens_file=str(path)))) as http:
        yield Client(http)


def viewer(client, token):
    return client("{ viewer { id role permissions customer { id } } }", token=token)["viewer"]


def test_staff_tokens_are_kept_as_hashes_and_name_the_caller(api):
    assert viewer(api, TOKENS["agent-1"]) == {"id": "agent-1", "role": "AGENT", "permissions": [], "customer": None}
    assert viewer(api, TOKENS["auditor"])["role"] == "READ_ONLY"


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Basic abc", "Bearer ", "Bearer cca_nope.x"])
def test_requests_without_a_valid_token_are_refused(api, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = api.http.post("/graphql", json={"query": "{ viewer { id } }"}, headers={**headers, "Accept-Language": "de"})
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED" and "Token" in error["message"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    # A request id, as on every error, in the body and the header.
    assert error["extensions"]["requestId"] == response.headers["x-request-id"] and len(response.headers["x-request-id"]) == 32
    followed = api.http.post("/graphql", json={"query": "{ viewer { id } }"}, headers={**headers, "X-Request-Id": "desk-42.call-7"})
    assert followed.json()["errors"][0]["extensions"]["requestId"] == followed.headers["x-request-id"] == "desk-42.call-7"


def test_a_tokens_file_with_a_clear_token_or_unknown_role_stops_startup(tmp_path):
    bad = tmp_path / "tokens"
    bad.write_text("agent-1 AGENT my-secret-token\n")
    with pytest.raises(ConfigurationError, match="never in clear"):
        create_app(Settings(tokens_file=str(bad)))
    bad.write_text("agent-1 AGENT sha256:" + "z" * 64 + "\n")  # right length, not a SHA-256 digest
    with pytest.raises(ConfigurationError, match="sha256:<64 hex digits>"):
        create_app(Settings(tokens_file=str(bad)))
    bad.write_text(f"agent-1 SUPERUSER {hash_token('x')}\n")
    with pytest.raises(ConfigurationError, match="line 1: role must be"):
        create_app(Settings(tokens_file=str(bad)))
    with pytest.raises(ConfigurationError, match="cannot read"):
        create_app(Settings(tokens_file=str(tmp_path / "missing")))


def record_for(client, token, agent_id=None, name="Caller"):
    return client(RECORD, {"input": {"channel": "CALL", "agentId": agent_id, "sender": {"name": name}}}, token)["recordActivity"]


def test_agents_see_and_act_on_their_own_open_list(api):
    mine = record_for(api, TOKENS["agent-1"], name="Mine")["openListEntry"]
    assert mine["agentId"] == "agent-1"  # an agent's activity joins its own list
    theirs = record_for(api, TOKENS["agent-2"], name="Theirs")["openListEntry"]
    forged = record_for(api, TOKENS["agent-1"], agent_id="agent-2")
    assert (forged["__typename"], forged["code"], forged["field"]) == ("ForbiddenError", "FORBIDDEN", "agentId")

    own = api(OPEN_LIST, {}, TOKENS["agent-1"])["openList"]
    assert [e["node"]["displayName"] for e in own["edges"]] == ["Mine"]
    body = api.raw(OPEN_LIST, {"agentId": "agent-2"}, TOKENS["agent-1"]).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    result = api(CREATE_FROM_ENTRY, {"entryId": theirs["id"]}, TOKENS["agent-1"])["createCustomerFromOpenList"]
    assert result["code"] == "FORBIDDEN"
    assert api("query($id: ID!) { openListEntry(id: $id) { id } }", {"id": theirs["id"]}, TOKENS["agent-1"])["openListEntry"] is None
    # Administrators see and act on everyone's.
    assert api(OPEN_LIST, {}, TOKENS["admin"])["openList"]["totalCount"] == 2
    done = api(CREATE_FROM_ENTRY, {"entryId": theirs["id"]}, TOKENS["admin"])["createCustomerFromOpenList"]
    assert done["__typename"] == "CreateCustomerFromOpenListSuccess"
    assert api(CREATE_FROM_ENTRY, {"entryId": mine["id"]}, TOKENS["agent-1"])["createCustomerFromOpenList"]["__typename"] == "CreateCustomerFromOpenListSuccess"


def test_read_only_staff_read_everything_and_change_nothing(api):
    record_for(api, TOKENS["agent-1"], name="Someone")
    assert api(OPEN_LIST, {}, TOKENS["auditor"])["openList"]["totalCount"] == 1
    assert api("{ customers { totalCount } }", token=TOKENS["auditor"])["customers"]["totalCount"] == 0
    result = api('mutation { createCustomer(input: {lastName: "X"}) { __typename ... on UserError { code } } }', token=TOKENS["auditor"])
    assert result["createCustomer"] == {"__typename": "ForbiddenError", "code": "FORBIDDEN"}
    assert record_for(api, TOKENS["auditor"])["code"] == "FORBIDDEN"


ACCOUNT = """mutation($c: ID!, $p: [CustomerPermission!]!) { createCustomerAccount(contactId: $c, permissions: $p) {
  __typename ... on CustomerAccountCredentialSuccess { credential contact { account { id enabled permissions } } }
  ... on UserError { code field } } }"""


@pytest.fixture
def org(api):
    admin = api.as_("admin")
    acme = admin('mutation { createCustomer(input: {organizationName: "ACME", phones: [{number: "601 111 222"}]}) { ... on CreateCustomerSuccess { customer { id } } } }')["createCustomer"]["customer"]["id"]
    other = admin('mutation { createCustomer(input: {organizationName: "Other"}) { ... on CreateCustomerSuccess { customer { id } } } }')["createCustomer"]["customer"]["id"]
    add = 'mutation($c: ID!, $n: String!) { addContact(customerId: $c, input: {lastName: $n, email: "x@acme.cz", role: MAIN}) { ... on AddContactSuccess { contact { id } } } }'
    jana = admin(add, {"c": acme, "n": "Jana"})["addContact"]["contact"]["id"]
    admin(add, {"c": other, "n": "Stranger"})
    admin(RECORD, {"input": {"channel": "CALL", "sender": {"phone": "601111222"}}})
    return {"acme": acme, "other": other, "jana": jana}


def test_only_administrators_create_customer_accounts(api, org):
    result = api(ACCOUNT, {"c": org["jana"], "p": ["VIEW_CUSTOMER"]}, TOKENS["agent-1"])["createCustomerAccount"]
    assert result["code"] == "FORBIDDEN"
    made = api(ACCOUNT, {"c": org["jana"], "p": ["VIEW_CUSTOMER", "VIEW_CONTACTS"]}, TOKENS["admin"])["createCustomerAccount"]
    assert made["credential"].startswith("cca_")
    assert made["contact"]["account"]["permissions"] == ["VIEW_CONTACTS", "VIEW_CUSTOMER"]
    again = api(ACCOUNT, {"c": org["jana"], "p": ["VIEW_CUSTOMER"]}, TOKENS["admin"])["createCustomerAccount"]
    assert (again["code"], again["field"]) == ("ALREADY_EXISTS", "contactId")
    empty = api(ACCOUNT, {"c": org["jana"], "p": []}, TOKENS["admin"])["createCustomerAccount"]
    assert empty["code"] in {"REQUIRED", "ALREADY_EXISTS"}
    # The credential is stored only as a hash.
    stored = api.http.app.state.runtime.store._contacts[raw_id_of(org["jana"], "Contact")].account
    assert stored.credential_hash == hash_token(made["credential"])
    assert made["credential"] not in repr(stored)


def test_a_customer_account_sees_its_own_customer_within_its_permissions_and_nothing_else(api, org):
    token = api(ACCOUNT, {"c": org["jana"], "p": ["VIEW_CUSTOMER", "VIEW_CONTACTS"]}, TOKENS["admin"])["createCustomerAccount"]["credential"]
    me = viewer(api, token)
    assert me["role"] == "CUSTOMER" and me["customer"] == {"id": org["acme"]}
    own = api("query($id: ID!) { customer(id: $id) { displayName contacts { totalCount } messageRecipients { lastName } } }", {"id": org["acme"]}, token)
    assert own["customer"] == {"displayName": "ACME", "contacts": {"totalCount": 1}, "messageRecipients": [{"lastName": "Jana"}]}
    assert api("query($id: ID!) { customer(id: $id) { id } }", {"id": org["other"]}, token)["customer"] is None
    assert api("query($id: ID!) { node(id: $id) { id } }", {"id": org["other"]}, token)["node"] is None
    for query in ["{ customers { totalCount } }", "{ contacts { totalCount } }", "{ openList { totalCount } }", "{ activities { totalCount } }",
                  '{ matchCustomers(identity: {name: "x"}) { score } }']:
        body = api.raw(query, token=token).json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", query
    # No VIEW_ACTIVITIES: its own activities stay hidden: the list is empty (not an error,
    # which would null the whole customer); its activities by id are null.
    body = api.raw("query($id: ID!) { customer(id: $id) { displayName activities { totalCount edges { node { id } } } } }", {"id": org["acme"]}, token).json()
    assert body == {"data": {"customer": {"displayName": "ACME", "activities": {"totalCount": 0, "edges": []}}}}
    activity_id = api("{ activities { edges { node { id } } } }", token=TOKENS["admin"])["activities"]["edges"][0]["node"]["id"]
    assert api("query($id: ID!) { activity(id: $id) { id } }", {"id": activity_id}, token)["activity"] is None
    # No mutation it was not granted.
    result = api('mutation($id: ID!) { updateCustomer(id: $id, expectedVersion: 1, input: {organizationName: "Mine"}) { __typename } }', {"id": org["acme"]}, token)
    assert result["updateCustomer"]["__typename"] == "ForbiddenError"
    # Staff-only details of its own contact stay hidden.
    contacts = api("query($id: ID!) { customer(id: $id) { contacts { edges { node { lastName account { id } } } } } }", {"id": org["acme"]}, token)
    assert contacts["customer"]["contacts"]["edges"][0]["node"] == {"lastName": "Jana", "account": None}


def test_an_account_with_only_view_customer_gets_its_customer_with_the_lists_empty(api, org):
    token = api(ACCOUNT, {"c": org["jana"], "p": ["VIEW_CUSTOMER"]}, TOKENS["admin"])["createCustomerAccount"]["credential"]
    query = """query($id: ID!) { customer(id: $id) { displayName
      contacts { totalCount edges { node { id } } } main: contacts(role: MAIN) { totalCount }
      activities { totalCount } messageRecipients { id } reminderRecipients { id } } }"""
    body = api.raw(query, {"id": org["acme"]}, token).json()
    assert body == {"data": {"customer": {
        "displayName": "ACME", "contacts": {"totalCount": 0, "edges": []}, "main": {"totalCount": 0},
        "activities": {"totalCount": 0}, "messageRecipients": [], "reminderRecipients": []}}}
    # Its own contact by id, too, stays hidden without VIEW_CONTACTS.
    assert api("query($id: ID!) { contact(id: $id) { id } }", {"id": org["jana"]}, token)["contact"] is None
    # Staff see the same customer's lists in full.
    staff = api(query, {"id": org["acme"]}, TOKENS["agent-1"])["customer"]
    assert (staff["contacts"]["totalCount"], staff["activities"]["totalCount"], len(staff["messageRecipients"])) == (1, 1, 1)


def test_permissions_rotation_and_disabling_take_effect_at_once(api, org):
    admin = api.as_("admin")
    token = admin(ACCOUNT, {"c": org["jana"], "p": ["VIEW_CUSTOMER"]})["createCustomerAccount"]["credential"]
    activities = "query($id: ID!) { customer(id: $id) { activities { totalCount } } }"
    assert api(activities, {"id": org["acme"]}, token)["customer"]["activities"]["totalCount"] == 0
    admin('mutation($c: ID!) { setCustomerAccountPermissions(contactId: $c, permissions: [VIEW_CUSTOMER, VIEW_ACTIVITIES]) { __typename } }', {"c": org["jana"]})
    assert api(activities, {"id": org["acme"]}, token)["customer"]["activities"]["totalCount"] == 1
    rotated = admin('mutation($c: ID!) { rotateCustomerAccountCredential(contactId: $c) { ... on CustomerAccountCredentialSuccess { credential } } }', {"c": org["jana"]})
    new_token = rotated["rotateCustomerAccountCredential"]["credential"]
    assert api.raw("{ viewer { id } }", token=token).status_code == 401
    assert viewer(api, new_token)["role"] == "CUSTOMER"
    admin('mutation($c: ID!) { setCustomerAccountEnabled(contactId: $c, enabled: false) { __typename } }', {"c": org["jana"]})
    assert api.raw("{ viewer { id } }", token=new_token).status_code == 401
    shown = admin("query($id: ID!) { contact(id: $id) { account { enabled } } }", {"id": org["jana"]})
    assert shown["contact"]["account"] == {"enabled": False}
    no_account = admin('mutation($c: ID!) { rotateCustomerAccountCredential(contactId: $c) { ... on UserError { code } } }', {"c": org["acme"]})
    assert no_account["rotateCustomerAccountCredential"]["code"] == "NOT_FOUND"


def test_development_mode_is_the_local_developer_on_loopback_only():
    with TestClient(create_app(Settings())) as http:
        body = http.post("/graphql", json={"query": "{ viewer { id role } }"}).json()
        assert body["data"]["viewer"] == {"id": "local-developer", "role": "ADMIN"}
    result = subprocess.run(
        [sys.executable, "-m", "service", "serve", "--host", "0.0.0.0", "--port", "0"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0 without staff tokens" in result.stderr


def test_production_mode_refuses_to_start_without_staff_tokens(tmp_path):
    """Production mode is never local development mode, not even on loopback."""
    result = subprocess.run(
        [sys.executable, "-m", "service", "serve", "--production", "--port", "0"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "production mode needs staff tokens" in result.stderr and "Traceback" not in result.stderr
    # With a tokens file it starts (and stops on SIGTERM).
    tokens = tmp_path / "tokens"
    tokens.write_text(f"admin ADMIN {hash_token('ccs_' + 'a' * 43)}\n")
    with running_server("--production", "--tokens-file", str(tokens)) as base:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
            assert response.status == 200


def test_the_token_command_prints_a_token_and_only_its_hash_for_the_file():
    result = subprocess.run([sys.executable, "-m", "service", "token", "--id", "agent-9", "--role", "agent"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    lines = [line.strip() for line in result.stdout.splitlines()]
    token = lines[1]
    assert token.startswith("ccs_") and lines[3] == f"agent-9 AGENT {hash_token(token)}"


def test_customer_accounts_can_be_switched_off(tmp_path, api, org):
    token = api(ACCOUNT, {"c": org["jana"], "p": ["VIEW_CUSTOMER"]}, TOKENS["admin"])["createCustomerAccount"]["credential"]
    assert api.raw("{ viewer { id } }", token=token).status_code == 200
    # The same store under a service started with --no-customer-accounts:
    runtime = api.http.app.state.runtime
    from dataclasses import replace

    runtime.settings = replace(runtime.settings, customer_accounts=False)
    assert api.raw("{ viewer { id } }", token=token).status_code == 401
