"""The seeds' workflow over GraphQL: an activity arrives, lands on its customer or on the
open list; the agent creates the customer from the entry, or closes and discards it."""

from __future__ import annotations

import pytest

from .helpers import CREATE_FROM_ENTRY, DISCARD, OPEN_LIST, create_customer, record


def open_entries(gql, agent_id=None):
    return [e["node"] for e in gql(OPEN_LIST, {"agentId": agent_id})["openList"]["edges"]]


def test_unknown_sender_goes_to_the_open_list_prefilled_and_nothing_is_saved(gql):
    result = record(gql, name="Jan Novák", email="Jan.Novak@Example.cz", phone="+420 601 123 456")
    assert result["outcome"] == "ADDED_TO_OPEN_LIST"
    assert result["customer"] is None
    assert result["activity"]["customer"] is None
    entry = result["openListEntry"]
    assert entry["status"] == "OPEN"
    assert entry["displayName"] == "Jan Novák"
    assert entry["prefill"] == {
        "firstName": "Jan",
        "lastName": "Novák",
        "email": "Jan.Novak@Example.cz",
        "phone": "+420 601 123 456",
    }
    assert [e["id"] for e in open_entries(gql)] == [entry["id"]]
    # Nothing is a customer until the agent clicks Create.
    assert gql("{ customers { totalCount } }")["customers"]["totalCount"] == 0


@pytest.mark.parametrize(
    "stored, received",
    [
        ("+420 601 123 456", "00420601123456"),
        ("+420 601 123 456", "601 123 456"),
        ("601123456", "+420601123456"),
        ("(601) 123-456", "00420 601/123 456"),
    ],
)
def test_caller_id_in_any_format_lands_on_the_existing_customer(gql, stored, received):
    customer = create_customer(gql, firstName="Eva", lastName="Dvořáková", phones=[{"number": stored}])
    result = record(gql, phone=received)
    assert result["outcome"] == "ASSOCIATED"
    assert result["customer"]["id"] == customer["id"]
    assert result["activity"]["customer"]["id"] == customer["id"]
    assert result["openListEntry"] is None
    assert open_entries(gql) == []


def test_email_matches_case_insensitively(gql):
    customer = create_customer(gql, lastName="Kováč", emails=[{"address": "Peter.Kovac@Firma.sk"}])
    result = record(gql, channel="EMAIL", email="  peter.kovac@FIRMA.SK ")
    assert result["outcome"] == "ASSOCIATED"
    assert result["customer"]["id"] == customer["id"]


def test_two_customers_matching_is_not_guessed_the_agent_picks(gql):
    a = create_customer(gql, firstName="A", phones=[{"number": "+420601000001"}])
    b = create_customer(gql, firstName="B", emails=[{"address": "shared@example.com"}])
    result = record(gql, phone="+420601000001", email="shared@example.com")
    assert result["outcome"] == "ADDED_TO_OPEN_LIST"
    candidates = {c["customer"]["id"] for c in result["openListEntry"]["candidates"]}
    assert candidates == {a["id"], b["id"]}
    reasons = {r["field"] for c in result["openListEntry"]["candidates"] for r in c["reasons"]}
    assert reasons == {"phone", "email"}


@pytest.mark.parametrize(
    "sender, shown",
    [
        ({"name": "Ingrid Jørgensen", "email": "ingrid@example.no", "phone": "+47 22 12 34 56"}, "Ingrid Jørgensen"),
        ({"email": "ingrid@example.no", "phone": "+47 22 12 34 56"}, "ingrid@example.no"),
        ({"phone": "+47 22 12 34 56"}, "+47 22 12 34 56"),
        ({}, "Unknown customer"),
    ],
)
def test_display_name_falls_back_name_email_phone_unknown(gql, sender, shown):
    entry = record(gql, **sender)["openListEntry"]
    assert entry["displayName"] == shown
    assert [e["displayName"] for e in open_entries(gql)] == [shown]


def test_create_from_the_open_list_saves_the_customer_and_associates_the_activity(gql):
    recorded = record(gql, name="Jan Novák", phone="601 123 456")
    entry_id = recorded["openListEntry"]["id"]
    result = gql(CREATE_FROM_ENTRY, {"entryId": entry_id})["createCustomerFromOpenList"]
    assert result["__typename"] == "CreateCustomerFromOpenListSuccess"
    customer = result["customer"]
    assert (customer["firstName"], customer["lastName"]) == ("Jan", "Novák")
    assert customer["phones"] == [{"number": "601 123 456", "e164": "+420601123456"}]
    assert customer["version"] == 1
    assert result["activity"] == {"id": recorded["activity"]["id"], "customer": {"id": customer["id"]}}
    assert result["entry"]["status"] == "CREATED"
    assert result["entry"]["customer"] == {"id": customer["id"]}
    assert open_entries(gql) == []
    # The next call from the same number is recognised.
    assert record(gql, phone="+420601123456")["customer"]["id"] == customer["id"]


def test_create_from_the_open_list_with_the_agents_edits(gql):
    entry_id = record(gql, email="jan@example.cz")["openListEntry"]["id"]
    edited = {"firstName": "Jan", "lastName": "Novák", "emails": [{"address": "jan.novak@example.cz", "label": "work"}]}
    result = gql(CREATE_FROM_ENTRY, {"entryId": entry_id, "input": edited})["createCustomerFromOpenList"]
    assert result["customer"]["displayName"] == "Jan Novák"
    assert result["customer"]["emails"] == [{"address": "jan.novak@example.cz"}]


def test_creating_twice_creates_one_customer(gql):
    entry_id = record(gql, name="Jan Novák")["openListEntry"]["id"]
    first = gql(CREATE_FROM_ENTRY, {"entryId": entry_id})["createCustomerFromOpenList"]
    second = gql(CREATE_FROM_ENTRY, {"entryId": entry_id})["createCustomerFromOpenList"]
    assert first["__typename"] == "CreateCustomerFromOpenListSuccess"
    assert second["__typename"] == "AlreadyResolvedError"
    assert second["code"] == "ALREADY_RESOLVED"
    assert second["field"] == "entryId"
    # The error points the client at the customer the first request created.
    assert second["entry"] == {"status": "CREATED", "customer": {"id": first["customer"]["id"]}}
    assert gql("{ customers { totalCount } }")["customers"]["totalCount"] == 1


def test_concurrent_creates_from_one_entry_create_one_customer():
    import asyncio

    import httpx2

    from service.app import create_app

    async def scenario():
        app = create_app()
        async with app.router.lifespan_context(app):
            transport = httpx2.ASGITransport(app=app)
            async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:

                async def post(query, variables):
                    r = await client.post("/graphql", json={"query": query, "variables": variables})
                    return r.json()["data"]

                from .helpers import RECORD

                rec = await post(RECORD, {"input": {"channel": "CALL", "sender": {"name": "Ada"}}})
                entry_id = rec["recordActivity"]["openListEntry"]["id"]
                results = await asyncio.gather(*[post(CREATE_FROM_ENTRY, {"entryId": entry_id}) for _ in range(8)])
                kinds = sorted(r["createCustomerFromOpenList"]["__typename"] for r in results)
                total = (await post("{ customers { totalCount } }", {}))["customers"]["totalCount"]
                return kinds, total

    kinds, total = asyncio.run(scenario())
    assert kinds.count("CreateCustomerFromOpenListSuccess") == 1
    assert kinds.count("AlreadyResolvedError") == 7
    assert total == 1


def test_close_and_discard_saves_nothing_and_leaves_the_activity_unassociated(gql):
    recorded = record(gql, name="Jan Novák", phone="601123456")
    entry_id = recorded["openListEntry"]["id"]
    result = gql(DISCARD, {"entryId": entry_id})["discardOpenListEntry"]
    assert result["__typename"] == "DiscardOpenListEntrySuccess"
    assert result["entry"]["status"] == "DISCARDED"
    assert result["activity"] == {"id": recorded["activity"]["id"], "customer": None}
    assert open_entries(gql) == []
    assert gql("{ customers { totalCount } }")["customers"]["totalCount"] == 0
    unassociated = gql("{ activities(unassociated: true) { totalCount edges { node { id } } } }")["activities"]
    assert [e["node"]["id"] for e in unassociated["edges"]] == [recorded["activity"]["id"]]
    # A discarded entry cannot be created or discarded again.
    again = gql(CREATE_FROM_ENTRY, {"entryId": entry_id})["createCustomerFromOpenList"]
    assert (again["code"], again["entry"]["status"]) == ("ALREADY_RESOLVED", "DISCARDED")
    again = gql(DISCARD, {"entryId": entry_id})["discardOpenListEntry"]
    assert again["code"] == "ALREADY_RESOLVED"
    # The call from that number is still unknown next time.
    assert record(gql, phone="601123456")["outcome"] == "ADDED_TO_OPEN_LIST"


def test_open_list_is_per_agent_and_pages(gql):
    ids = {agent: [] for agent in ("agent-1", "agent-2")}
    for i in range(5):
        for agent in ids:
            ids[agent].append(record(gql, name=f"Caller {i}", agentId=agent)["openListEntry"]["id"])
    mine = gql(OPEN_LIST, {"agentId": "agent-1"})["openList"]
    assert mine["totalCount"] == 5
    assert [e["node"]["id"] for e in mine["edges"]] == ids["agent-1"]  # oldest first
    assert {e["node"]["agentId"] for e in mine["edges"]} == {"agent-1"}
    assert gql(OPEN_LIST, {})["openList"]["totalCount"] == 10

    seen, after = [], None
    while True:
        page = gql(OPEN_LIST, {"agentId": "agent-2", "first": 2, "after": after})["openList"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ids["agent-2"]


def test_manual_create_associates_the_current_activity_and_resolves_its_entry(gql):
    recorded = record(gql, phone="+420 777 888 999")
    activity_id = recorded["activity"]["id"]
    customer = create_customer(gql, activity_id, firstName="Petr", lastName="Svoboda", phones=[{"number": "777888999"}])
    activity = gql("query($id: ID!) { activity(id: $id) { customer { id } openListEntry { status customer { id } } } }", {"id": activity_id})
    assert activity["activity"]["customer"]["id"] == customer["id"]
    assert activity["activity"]["openListEntry"] == {"status": "CREATED", "customer": {"id": customer["id"]}}
    assert open_entries(gql) == []


def test_unknown_entry_is_not_found_and_changes_nothing(gql):
    record(gql, name="Somebody")
    for bad in ["nonsense", "T3Blbkxpc3RFbnRyeTpub3BlCg", "Q3VzdG9tZXI6MDFtODhj"]:
        result = gql(CREATE_FROM_ENTRY, {"entryId": bad})["createCustomerFromOpenList"]
        assert (result["__typename"], result["code"], result["field"]) == ("NotFoundError", "NOT_FOUND", "entryId")
        assert gql(DISCARD, {"entryId": bad})["discardOpenListEntry"]["code"] == "NOT_FOUND"
    assert len(open_entries(gql)) == 1


def test_invalid_edits_on_create_change_nothing(gql):
    entry_id = record(gql, name="Jan")["openListEntry"]["id"]
    result = gql(CREATE_FROM_ENTRY, {"entryId": entry_id, "input": {"firstName": "J" * 2001}})["createCustomerFromOpenList"]
    assert (result["code"], result["field"], result["limit"]) == ("FIELD_TOO_LONG", "firstName", 2000)
    assert [e["status"] for e in open_entries(gql)] == ["OPEN"]
    assert gql("{ customers { totalCount } }")["customers"]["totalCount"] == 0


def test_unknown_customer_entry_needs_details_before_it_can_be_created(gql):
    entry_id = record(gql)["openListEntry"]["id"]
    result = gql(CREATE_FROM_ENTRY, {"entryId": entry_id})["createCustomerFromOpenList"]
    assert result["__typename"] == "InvalidInputError"
    assert result["code"] == "REQUIRED"
    result = gql(CREATE_FROM_ENTRY, {"entryId": entry_id, "input": {"lastName": "Horák"}})["createCustomerFromOpenList"]
    assert result["customer"]["displayName"] == "Horák"
