"""One waiting entry per unknown sender (issue 16, item 2): the same sender calling again
before an agent resolves the first entry joins it; resolving it resolves every activity."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from .helpers import ASSOCIATE, CREATE_FROM_ENTRY, DISCARD, ERROR_FIELDS, create_customer, make_client
from .test_subscriptions import OPEN_LIST_CHANGED, driver, live, post, unique  # noqa: F401 (driver: a fixture)
from .test_subscriptions import record as record_on_server

RECORD = (
    """
mutation Record($input: RecordActivityInput!) {
  recordActivity(input: $input) {
    __typename
    ... on RecordActivitySuccess {
      outcome
      activity { id openListEntry { id activityCount } }
      openListEntry { id version displayName activityCount activity { id } activities { totalCount edges { node { id } } } }
    }
"""
    + ERROR_FIELDS
    + "}}"
)
OPEN_LIST = """query($agentId: ID) { openList(agentId: $agentId) { totalCount edges { node {
  id displayName activityCount activities { totalCount edges { node { id sender { phone email } } } } } } } }"""
ACTIVITY = "query($id: ID!) { node(id: $id) { ... on Activity { customer { id } openListEntry { id status } } } }"
ENTRY_ACTIVITIES = """query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on OpenListEntry {
  activities(first: $first, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { id } } } } } }"""


def call(gql, agent="agent-1", channel="CALL", **sender):
    variables = {"input": {"channel": channel, "agentId": agent, "sender": sender}}
    result = gql(RECORD, variables)["recordActivity"]
    assert result["__typename"] == "RecordActivitySuccess", result
    return result


def waiting(gql, agent=None):
    return [e["node"] for e in gql(OPEN_LIST, {"agentId": agent})["openList"]["edges"]]


@pytest.mark.parametrize(
    "first, again",
    [
        ({"phone": "601 123 456"}, {"phone": "+420 601 123 456", "name": "Jan Novák"}),
        ({"email": "Eva@Example.cz"}, {"email": " eva@example.CZ", "name": "Eva"}),
        # A caller ID no region reads, the same as sent (digits: it names a line).
        ({"phone": "(212) 555-0147"}, {"phone": "(212) 555-0147"}),
    ],
)
def test_the_same_unknown_sender_calling_again_joins_its_waiting_entry(gql, first, again):
    one = call(gql, **first)
    two = call(gql, **again)
    entry = two["openListEntry"]
    assert two["outcome"] == "ADDED_TO_OPEN_LIST"
    assert entry["id"] == one["openListEntry"]["id"]
    assert entry["activityCount"] == 2 and entry["version"] == 2
    # The entry's first activity stays `activity`; `activities` holds both, the first first.
    assert entry["activity"]["id"] == one["activity"]["id"]
    assert [e["node"]["id"] for e in entry["activities"]["edges"]] == [one["activity"]["id"], two["activity"]["id"]]
    assert two["activity"]["openListEntry"] == {"id": entry["id"], "activityCount": 2}
    (listed,) = waiting(gql)
    assert (listed["id"], listed["activityCount"], listed["activities"]["totalCount"]) == (entry["id"], 2, 2)


@pytest.mark.parametrize(
    "first, again, agents",
    [
        ({"phone": "601 123 456"}, {"phone": "601 123 457"}, ("agent-1", "agent-1")),
        ({"phone": "601 123 456"}, {"phone": "601 123 456"}, ("agent-1", "agent-2")),  # each agent's own list
        ({"phone": "anonymous"}, {"phone": "anonymous"}, ("agent-1", "agent-1")),  # a withheld number names nobody
        ({"name": "Jan Novák"}, {"name": "Jan Novák"}, ("agent-1", "agent-1")),  # a name alone is no identity
        ({"phone": "601 123 456"}, {"email": "jan@example.cz"}, ("agent-1", "agent-1")),
    ],
)
def test_other_senders_wait_in_entries_of_their_own(gql, first, again, agents):
    one = call(gql, agent=agents[0], **first)
    two = call(gql, agent=agents[1], **again)
    assert one["openListEntry"]["id"] != two["openListEntry"]["id"]
    assert [e["activityCount"] for e in waiting(gql)] == [1, 1]


def test_creating_the_customer_gives_every_activity_of_the_entry_the_customer(gql):
    one = call(gql, phone="601 123 456", name="Jan Novák")
    two = call(gql, channel="CHAT", phone="+420601123456")
    created = gql(CREATE_FROM_ENTRY, {"entryId": one["openListEntry"]["id"]})["createCustomerFromOpenList"]
    assert created["__typename"] == "CreateCustomerFromOpenListSuccess", created
    customer = created["customer"]["id"]
    for recorded in (one, two):
        activity = gql(ACTIVITY, {"id": recorded["activity"]["id"]})["node"]
        assert activity == {"customer": {"id": customer}, "openListEntry": {"id": one["openListEntry"]["id"], "status": "CREATED"}}
    assert waiting(gql) == []
    # The next call is recognised: no entry at all.
    assert call(gql, phone="601123456")["outcome"] == "ASSOCIATED"


def test_associating_any_of_its_activities_associates_them_all(gql):
    existing = create_customer(gql, lastName="Novák", emails=[{"address": "jan@example.cz"}])
    one = call(gql, phone="601 123 456")
    two = call(gql, phone="601 123 456")
    result = gql(ASSOCIATE, {"activityId": two["activity"]["id"], "customerId": existing["id"]})["associateActivity"]
    assert result["__typename"] == "AssociateActivitySuccess", result
    for recorded in (one, two):
        activity = gql(ACTIVITY, {"id": recorded["activity"]["id"]})["node"]
        assert activity["customer"] == {"id": existing["id"]} and activity["openListEntry"]["status"] == "ASSOCIATED"
    assert waiting(gql) == []


def test_discarding_leaves_every_activity_without_a_customer_and_the_next_call_waits_anew(gql):
    one = call(gql, phone="601 123 456")
    two = call(gql, phone="601 123 456")
    entry = one["openListEntry"]["id"]
    assert gql(DISCARD, {"entryId": entry})["discardOpenListEntry"]["__typename"] == "DiscardOpenListEntrySuccess"
    for recorded in (one, two):
        assert gql(ACTIVITY, {"id": recorded["activity"]["id"]})["node"]["customer"] is None
    three = call(gql, phone="601 123 456")
    assert three["openListEntry"]["id"] != entry and three["openListEntry"]["activityCount"] == 1
    assert [e["id"] for e in waiting(gql)] == [three["openListEntry"]["id"]]


def test_an_entrys_activities_page_like_every_list(gql):
    calls = [call(gql, phone="601 123 456") for _ in range(3)]
    entry = calls[0]["openListEntry"]["id"]
    first = gql(ENTRY_ACTIVITIES, {"id": entry, "first": 2})["node"]["activities"]
    assert [e["node"]["id"] for e in first["edges"]] == [c["activity"]["id"] for c in calls[:2]]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    rest = gql(ENTRY_ACTIVITIES, {"id": entry, "first": 2, "after": first["pageInfo"]["endCursor"]})["node"]["activities"]
    assert [e["node"]["id"] for e in rest["edges"]] == [calls[2]["activity"]["id"]]
    assert not rest["pageInfo"]["hasNextPage"] and rest["pageInfo"]["hasPreviousPage"]
    for bad in ("nope", "OTk5"):
        body = gql.raw(ENTRY_ACTIVITIES, {"id": entry, "after": bad})
        assert body["errors"][0]["extensions"]["code"] == "INVALID_VALUE", body


def test_concurrent_calls_of_one_sender_make_one_entry_on_the_real_server(server):
    agent, phone = unique("agent"), "+420 601 555 010"
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: record_on_server(server, agent, phone=phone), range(8)))
    entries = {r["openListEntry"]["id"] for r in results}
    assert len(entries) == 1, entries
    listed = post(server, OPEN_LIST, {"agentId": agent})["openList"]
    assert listed["totalCount"] == 1
    (edge,) = listed["edges"]
    assert edge["node"]["activityCount"] == 8
    assert {e["node"]["id"] for e in edge["node"]["activities"]["edges"]} == {r["activity"]["id"] for r in results}


def test_the_live_open_list_shows_the_join(server, driver):  # noqa: F811 (driver: the fixture)
    agent = unique("agent")
    driver.client("desk", server)
    driver.subscribe("desk", "list", OPEN_LIST_CHANGED.replace("status agentId", "status agentId activityCount"), {"agentId": agent})
    live(driver, "list", server, agent)
    one = record_on_server(server, agent, phone="+420 601 555 011")
    added = driver.next_of("list", what="ADDED")["openListChanged"]
    assert (added["change"], added["entry"]["id"], added["entry"]["activityCount"]) == ("ADDED", one["openListEntry"]["id"], 1)
    record_on_server(server, agent, phone="601 555 011")
    joined = driver.next_of("list", what="JOINED")["openListChanged"]
    assert (joined["change"], joined["entry"]["id"], joined["entry"]["activityCount"]) == ("JOINED", one["openListEntry"]["id"], 2)
    assert joined["entry"]["status"] == "OPEN"


def test_a_sender_key_holds_no_personal_data():
    from service.domain.records import Sender
    from service.domain.sender_key import sender_key

    key = sender_key("agent-1", Sender(phone="601 123 456", phone_e164="+420601123456", email="jan@example.cz"))
    assert key is not None and "601" not in key and "jan" not in key and len(key) == 64
    assert key != sender_key("agent-2", Sender(phone="601 123 456", phone_e164="+420601123456"))
    assert sender_key("agent-1", Sender(name="Jan")) is None


def test_with_a_data_file_the_waiting_sender_is_still_joined_after_a_restart(tmp_path):
    from service.settings import Settings

    settings = Settings(data_file=str(tmp_path / "data.jsonl"))
    for gql in make_client(settings):
        first = call(gql, phone="601 123 456")
    for gql in make_client(settings):
        again = call(gql, phone="601 123 456")
        assert again["openListEntry"]["id"] == first["openListEntry"]["id"]
        assert again["openListEntry"]["activityCount"] == 2


def test_creating_a_customer_for_one_of_its_activities_in_the_management_pane_takes_them_all(gql):
    one = call(gql, email="petr@example.org")
    two = call(gql, channel="EMAIL", email="Petr@Example.org")
    customer = create_customer(gql, two["activity"]["id"], firstName="Petr", emails=[{"address": "petr@example.org"}])
    for recorded in (one, two):
        activity = gql(ACTIVITY, {"id": recorded["activity"]["id"]})["node"]
        assert activity["customer"] == {"id": customer["id"]} and activity["openListEntry"]["status"] == "CREATED"
    assert waiting(gql) == []
