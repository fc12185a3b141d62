"""Activities over GraphQL: recording, validation, lists, association and moves."""

from __future__ import annotations

import pytest

from .helpers import ASSOCIATE, OPEN_LIST, RECORD, create_customer, record

ACTIVITIES = """query($customerId: ID, $unassociated: Boolean, $first: Int, $after: String) {
  activities(customerId: $customerId, unassociated: $unassociated, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id subject occurredAt customer { id } } } } }"""


def ids(connection):
    return [e["node"]["id"] for e in connection["edges"]]


def test_recorded_activity_keeps_everything_it_arrived_with(gql):
    variables = {
        "input": {
            "channel": "EMAIL",
            "direction": "INBOUND",
            "sender": {"name": "Jan Novák", "email": "Jan@Example.CZ", "phone": "601 123 456"},
            "subject": "Faktura",
            "text": "Dobrý den,\n  posílám fakturu.",
            "occurredAt": "2026-11-20T10:15:00+01:00",
            "agentId": "agent-9",
        }
    }
    result = gql(RECORD, variables)["recordActivity"]
    activity_id = result["activity"]["id"]
    activity = gql(
        "query($id: ID!) { activity(id: $id) { channel direction subject text occurredAt agentId version "
        "sender { name email phone normalizedEmail e164Phone } } }",
        {"id": activity_id},
    )["activity"]
    assert activity == {
        "channel": "EMAIL",
        "direction": "INBOUND",
        "subject": "Faktura",
        "text": "Dobrý den,\n  posílám fakturu.",
        "occurredAt": "2026-11-20T09:15:00+00:00",
        "agentId": "agent-9",
        "version": 1,
        "sender": {
            "name": "Jan Novák",
            "email": "Jan@Example.CZ",
            "phone": "601 123 456",
            "normalizedEmail": "jan@example.cz",
            "e164Phone": "+420601123456",
        },
    }


@pytest.mark.parametrize(
    "patch, code, field",
    [
        ({"sender": {"email": "nope"}}, "INVALID_EMAIL", "sender.email"),
        # A caller ID that is no number is recorded as sent (tests/test_caller_ids.py); too long is not.
        ({"sender": {"phone": "6" * 2001}}, "FIELD_TOO_LONG", "sender.phone"),
        ({"sender": {"name": "n" * 2001}}, "FIELD_TOO_LONG", "sender.name"),
        ({"subject": "s" * 2001}, "FIELD_TOO_LONG", "subject"),
        ({"text": "t" * 2001}, "FIELD_TOO_LONG", "text"),
        ({"agentId": "a" * 2001}, "FIELD_TOO_LONG", "agentId"),
    ],
)
def test_bad_activity_input_records_nothing(gql, patch, code, field):
    result = gql(RECORD, {"input": {"channel": "CHAT", **patch}})["recordActivity"]
    assert (result["__typename"], result["code"], result["field"]) == ("InvalidInputError", code, field)
    assert gql(ACTIVITIES, {})["activities"]["totalCount"] == 0
    assert gql(OPEN_LIST, {})["openList"]["totalCount"] == 0


def test_malformed_graphql_input_is_a_request_error_not_a_crash(gql):
    body = gql.raw(RECORD, {"input": {"channel": "FAX"}})
    assert body["errors"] and "FAX" in body["errors"][0]["message"]
    body = gql.raw(RECORD, {"input": {"channel": "CALL", "occurredAt": "yesterday"}})
    assert body["errors"]
    body = gql.raw("{ nope }")
    assert body["errors"][0]["message"].startswith("Cannot query field")


def test_activity_lists_filter_and_order_newest_first(gql):
    customer = create_customer(gql, lastName="Novák", phones=[{"number": "601123456"}])
    times = ["2026-11-01T08:00:00Z", "2026-11-03T08:00:00Z", "2026-11-02T08:00:00Z"]
    mine = [
        gql(RECORD, {"input": {"channel": "CALL", "sender": {"phone": "601123456"}, "occurredAt": t}})["recordActivity"]["activity"]["id"]
        for t in times
    ]
    other = record(gql, phone="+420 777 000 111")["activity"]["id"]

    by_customer = gql(ACTIVITIES, {"customerId": customer["id"]})["activities"]
    assert ids(by_customer) == [mine[1], mine[2], mine[0]]
    assert by_customer["totalCount"] == 3
    nested = gql(
        "query($id: ID!) { customer(id: $id) { activities(first: 2) { totalCount edges { node { id } } } } }",
        {"id": customer["id"]},
    )["customer"]["activities"]
    assert ids(nested) == [mine[1], mine[2]] and nested["totalCount"] == 3

    assert ids(gql(ACTIVITIES, {"unassociated": True})["activities"]) == [other]
    associated = gql(ACTIVITIES, {"unassociated": False})["activities"]
    assert set(ids(associated)) == set(mine) and associated["totalCount"] == 3
    assert gql(ACTIVITIES, {})["activities"]["totalCount"] == 4


def test_activities_page_through_without_gaps_or_repeats(gql):
    recorded = [record(gql, name=f"Caller {i}")["activity"]["id"] for i in range(7)]
    seen, after = [], None
    while True:
        page = gql(ACTIVITIES, {"first": 3, "after": after})["activities"]
        seen += ids(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(recorded) and len(seen) == 7


def test_picking_a_candidate_associates_and_takes_the_entry_off_the_open_list(gql):
    customer = create_customer(gql, lastName="Novák")
    recorded = record(gql, name="Jan Novák", phone="+420 608 111 222")
    result = gql(ASSOCIATE, {"activityId": recorded["activity"]["id"], "customerId": customer["id"]})["associateActivity"]
    assert result["__typename"] == "AssociateActivitySuccess"
    assert result["activity"]["customer"]["id"] == customer["id"]
    assert result["activity"]["openListEntry"]["status"] == "ASSOCIATED"
    assert gql(OPEN_LIST, {})["openList"]["totalCount"] == 0


def test_an_activity_can_move_to_another_customer(gql):
    a = create_customer(gql, lastName="A", phones=[{"number": "601000001"}])
    b = create_customer(gql, lastName="B")
    activity_id = record(gql, phone="601000001")["activity"]["id"]
    gql(ASSOCIATE, {"activityId": activity_id, "customerId": b["id"]})
    assert ids(gql(ACTIVITIES, {"customerId": a["id"]})["activities"]) == []
    assert ids(gql(ACTIVITIES, {"customerId": b["id"]})["activities"]) == [activity_id]
    # Repeating it is harmless.
    again = gql(ASSOCIATE, {"activityId": activity_id, "customerId": b["id"]})["associateActivity"]
    assert again["activity"]["customer"]["id"] == b["id"]


def test_associating_with_unknown_records_is_not_found(gql):
    customer = create_customer(gql, lastName="A")
    activity_id = record(gql, name="x")["activity"]["id"]
    result = gql(ASSOCIATE, {"activityId": "bad", "customerId": customer["id"]})["associateActivity"]
    assert (result["code"], result["field"]) == ("NOT_FOUND", "activityId")
    result = gql(ASSOCIATE, {"activityId": activity_id, "customerId": activity_id})["associateActivity"]
    assert (result["code"], result["field"]) == ("NOT_FOUND", "customerId")
    assert gql(ACTIVITIES, {"unassociated": True})["activities"]["totalCount"] == 1
