"""Agents see another agent's waiting callers nowhere (issue 14, item 7).

A caller the matching strategy did not recognise waits on the open list of the agent its
activity was recorded for. `openListEntry` hid the entry from other agents, but the activity
behind it (sender name, phone, text) was readable by id, through `node`, and in the
`activities` lists. The rule (service/domain/access.py, `may_see_activity`): an activity
without a customer follows its entry's rule, so an agent sees its own and the unassigned ones;
administrators and read-only staff see all; once associated it is its customer's.

Every path is tried through HTTP to the ASGI app, subscriptions over its WebSocket."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from service.app import create_app
from service.authentication import hash_token
from service.settings import Settings

from .helpers import ASSOCIATE, CREATE_CUSTOMER, DISCARD, RECORD

TOKENS = {
    "admin": "ccs_admin-visibility-0123456789",
    "agent-1": "ccs_agent1-visibility-0123456789",
    "agent-2": "ccs_agent2-visibility-0123456789",
    "auditor": "ccs_auditor-visibility-0123456789",
}
ROLES = {"admin": "ADMIN", "agent-1": "AGENT", "agent-2": "AGENT", "auditor": "READ_ONLY"}

ACTIVITY = "query($id: ID!) { activity(id: $id) { id text sender { name phone } } node(id: $id) { id ... on Activity { text } } }"
ACTIVITIES = """
query($unassociated: Boolean, $first: Int, $after: String) {
  activities(unassociated: $unassociated, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id sender { name phone } text } }
  }
}
"""


class Staff:
    def __init__(self, http: TestClient) -> None:
        self.http = http

    def body(self, who: str, query: str, variables: dict | None = None) -> dict:
        response = self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers={"Authorization": f"Bearer {TOKENS[who]}"}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def __call__(self, who: str, query: str, variables: dict | None = None) -> dict:
        body = self.body(who, query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    def record(self, who: str, name: str, *, agent: str | None = None, phone: str = "+420 601 111 222") -> dict:
        variables = {"input": {"channel": "CALL", "agentId": agent, "sender": {"name": name, "phone": phone}, "text": f"notes on {name}"}}
        result = self(who, RECORD, variables)["recordActivity"]
        assert result["outcome"] == "ADDED_TO_OPEN_LIST", result
        return result

    def names(self, who: str, unassociated: bool | None = None) -> list[str]:
        """Every activity the list shows, page by page (one item a page), checked against its totalCount."""
        names, after, total = [], None, None
        while True:
            page = self(who, ACTIVITIES, {"unassociated": unassociated, "first": 1, "after": after})["activities"]
            total = page["totalCount"] if total is None else total
            names += [e["node"]["sender"]["name"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            assert page["edges"], "a page cut short: hasNextPage with no items"
            after = page["pageInfo"]["endCursor"]
        assert total == len(names), (total, names)
        return names


@contextlib.contextmanager
def staff_app(tmp_path) -> Iterator[Staff]:
    tokens = tmp_path / "tokens"
    tokens.write_text("".join(f"{who} {ROLES[who]} {hash_token(t)}\n" for who, t in TOKENS.items()))
    with TestClient(create_app(Settings(tokens_file=str(tokens)))) as http:
        yield Staff(http)


@pytest.fixture
def staff(tmp_path) -> Iterator[Staff]:
    with staff_app(tmp_path) as s:
        yield s


@pytest.fixture
def waiting(staff):
    """Interleaved, newest last: agent-2's callers lie between agent-1's, so a list filtered
    after paging would come back with short pages."""
    recorded = {}
    for who, name, agent in [
        ("agent-1", "Mine One", None),
        ("agent-2", "Theirs One", None),
        ("agent-2", "Theirs Two", None),
        ("admin", "Nobody's", None),  # recorded without an agent: unassigned
        ("agent-2", "Theirs Three", None),
        ("agent-1", "Mine Two", None),
    ]:
        recorded[name] = staff.record(who, name, agent=agent)
    return recorded


def test_an_agent_cannot_read_another_agents_waiting_caller_by_id_or_as_a_node(staff, waiting):
    theirs = waiting["Theirs One"]["activity"]["id"]
    assert staff("agent-1", ACTIVITY, {"id": theirs}) == {"activity": None, "node": None}
    # Its own and the unassigned ones it reads; the other agent reads its own.
    for who, name in [("agent-1", "Mine One"), ("agent-1", "Nobody's"), ("agent-2", "Theirs One")]:
        seen = staff(who, ACTIVITY, {"id": waiting[name]["activity"]["id"]})
        assert seen["activity"]["sender"]["name"] == name and seen["node"]["text"] == f"notes on {name}"


def test_an_agents_activity_lists_leave_out_other_agents_waiting_callers_and_page_right(staff, waiting):
    mine = ["Mine Two", "Nobody's", "Mine One"]  # newest first
    assert staff.names("agent-1", unassociated=True) == mine
    assert staff.names("agent-1") == mine
    assert staff.names("agent-2", unassociated=True) == ["Theirs Three", "Nobody's", "Theirs Two", "Theirs One"]
    every = ["Mine Two", "Theirs Three", "Nobody's", "Theirs Two", "Theirs One", "Mine One"]
    assert staff.names("admin", unassociated=True) == every
    assert staff.names("auditor") == every  # read-only staff (supervisors, auditors) see every caller
    # Nothing of the hidden callers in any field of the page either.
    page = staff.body("agent-1", ACTIVITIES, {"first": 100})
    assert "Theirs" not in str(page) and "notes on Theirs" not in str(page)


def test_a_discarded_caller_stays_the_agents_own_until_it_has_a_customer(staff, waiting):
    entry = waiting["Theirs One"]["openListEntry"]["id"]
    activity = waiting["Theirs One"]["activity"]["id"]
    assert staff("agent-2", DISCARD, {"entryId": entry})["discardOpenListEntry"]["__typename"] == "DiscardOpenListEntrySuccess"
    assert staff("agent-1", ACTIVITY, {"id": activity})["activity"] is None
    assert "Theirs One" not in staff.names("agent-1", unassociated=True)
    # Nor can the other agent take it: the payload would show it.
    customer = staff("agent-1", CREATE_CUSTOMER, {"input": {"lastName": "Someone"}})["createCustomer"]["customer"]["id"]
    taken = staff("agent-1", ASSOCIATE, {"activityId": activity, "customerId": customer})["associateActivity"]
    assert (taken["__typename"], taken["code"], taken["field"]) == ("ForbiddenError", "FORBIDDEN", "activityId")
    created = staff("agent-1", CREATE_CUSTOMER, {"input": {"lastName": "Theirs"}, "activityId": activity})["createCustomer"]
    assert (created["__typename"], created["field"]) == ("ForbiddenError", "activityId")
    # Its own agent gives it a customer: from then on it is that customer's, seen by all staff.
    done = staff("agent-2", ASSOCIATE, {"activityId": activity, "customerId": customer})["associateActivity"]
    assert done["__typename"] == "AssociateActivitySuccess"
    assert staff("agent-1", ACTIVITY, {"id": activity})["activity"]["sender"]["name"] == "Theirs One"
    assert "Theirs One" in staff.names("agent-1")
    assert "Theirs One" not in staff.names("agent-1", unassociated=True)
    shown = staff("agent-1", "query($id: ID!) { customer(id: $id) { activities { totalCount edges { node { id } } } } }", {"id": customer})
    assert [e["node"]["id"] for e in shown["customer"]["activities"]["edges"]] == [activity]


def test_searches_and_matching_show_customers_never_a_waiting_caller(staff, waiting):
    """The customer search, the contact directory and matchCustomers answer with customers
    and contacts only; a waiting caller is neither until someone creates it."""
    found = staff("agent-1", '{ customers(search: "theirs") { totalCount } contacts(filter: {search: "theirs"}) { totalCount } }')
    assert found == {"customers": {"totalCount": 0}, "contacts": {"totalCount": 0}}
    matched = staff("agent-1", '{ matchCustomers(identity: {name: "Theirs One", phone: "+420 601 111 222"}) { customer { id } } }')
    assert matched == {"matchCustomers": []}


PROTOCOL = "graphql-transport-ws"
SCREEN_POP = "subscription { activityRecorded { activity { id sender { name } } } }"
OPEN_LIST_CHANGED = "subscription { openListChanged { change entry { id displayName activity { id text } } } }"


def test_subscriptions_bring_an_agent_its_own_callers_only(tmp_path):
    with staff_app(tmp_path) as staff:
        with staff.http.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as ws:
            ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {TOKENS['agent-1']}"}})
            assert ws.receive_json() == {"type": "connection_ack"}
            ws.send_json({"id": "pop", "type": "subscribe", "payload": {"query": SCREEN_POP}})
            ws.send_json({"id": "list", "type": "subscribe", "payload": {"query": OPEN_LIST_CHANGED}})
            ws.send_json({"type": "ping"})  # answered once both subscriptions are set up
            assert ws.receive_json() == {"type": "pong"}
            staff.record("agent-2", "Theirs Live")
            staff.record("admin", "Nobody's Live")
            mine = staff.record("agent-1", "Mine Live")
            # Events arrive in the order they were recorded: had either of the others been
            # sent, it would come before these.
            received = [ws.receive_json(), ws.receive_json()]
            assert {m["id"] for m in received} == {"pop", "list"}
            for message in received:
                assert message["type"] == "next"
                data = message["payload"]["data"]
                if message["id"] == "pop":
                    assert data["activityRecorded"]["activity"] == {"id": mine["activity"]["id"], "sender": {"name": "Mine Live"}}
                else:
                    assert data["openListChanged"]["entry"]["displayName"] == "Mine Live"
            for sub in ("pop", "list"):
                ws.send_json({"id": sub, "type": "complete"})
