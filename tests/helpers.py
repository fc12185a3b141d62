"""GraphQL operations as a gadget sends them, and a client that POSTs them over HTTP."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from service.app import create_app
from service.settings import Settings

JS = Path(__file__).resolve().parent / "js"


def npm_dependencies() -> None:
    """Node.js tools in tests/js, ready to run: skips the test without node and npm on the
    PATH; `npm ci` when tests/js/node_modules is missing or older than the lockfile (a clean
    clone has none: node_modules is not committed). A lock keeps parallel test workers from
    installing at once."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs Node.js tools from tests/js: {' and '.join(missing)} not on PATH")
    installed = JS / "node_modules" / ".package-lock.json"
    with open(Path(tempfile.gettempdir()) / "customer-context-npm-ci.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed.exists() and installed.stat().st_mtime >= (JS / "package-lock.json").stat().st_mtime:
            return
        result = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=JS, capture_output=True, text=True, timeout=600
        )
    assert result.returncode == 0, f"npm ci in tests/js failed:\n{result.stdout}\n{result.stderr}"


class GraphQLClient:
    """POSTs GraphQL to /graphql like any frontend does."""

    def __init__(self, http: TestClient) -> None:
        self.http = http

    def raw(self, query: str, variables: dict[str, Any] | None = None, *, lang: str | None = None) -> dict:
        headers = {"Accept-Language": lang} if lang else {}
        response = self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    def __call__(self, query: str, variables: dict[str, Any] | None = None, *, lang: str | None = None) -> dict:
        body = self.raw(query, variables, lang=lang)
        assert "errors" not in body, body["errors"]
        return body["data"]


def make_client(settings: Settings | None = None, plugins=()) -> Iterator[GraphQLClient]:
    app = create_app(settings or Settings(), extra_plugins=plugins)
    with TestClient(app) as http:
        yield GraphQLClient(http)


# Operations most tests need, written the way a gadget would send them. ------------------

USER_ERROR = """
  ... on UserError { code message field }
"""
ERROR_FIELDS = USER_ERROR + """
  ... on InvalidInputError { limit errors { code field message limit } }
"""

RECORD = (
    """
mutation Record($input: RecordActivityInput!) {
  recordActivity(input: $input) {
    __typename
    ... on RecordActivitySuccess {
      outcome
      activity { id channel direction customer { id } sender { name email phone e164Phone normalizedEmail } }
      customer { id displayName }
      openListEntry { id displayName status agentId prefill { firstName lastName email phone }
                      candidates { score customer { id } reasons { field method strength } } }
      candidates { score customer { id } }
    }
"""
    + ERROR_FIELDS
    + "}}"
)

CREATE_FROM_ENTRY = (
    """
mutation Create($entryId: ID!, $input: CustomerInput) {
  createCustomerFromOpenList(entryId: $entryId, input: $input) {
    __typename
    ... on CreateCustomerFromOpenListSuccess {
      customer { id version displayName firstName lastName emails { address } phones { number e164 } }
      activity { id customer { id } }
      entry { id status customer { id } }
    }
    ... on AlreadyResolvedError { entry { status customer { id } } }
"""
    + ERROR_FIELDS
    + "}}"
)

DISCARD = (
    """
mutation Discard($entryId: ID!) {
  discardOpenListEntry(entryId: $entryId) {
    __typename
    ... on DiscardOpenListEntrySuccess { entry { id status } activity { id customer { id } } }
    ... on AlreadyResolvedError { entry { status } }
"""
    + USER_ERROR
    + "}}"
)

CREATE_CUSTOMER = (
    """
mutation CreateCustomer($input: CustomerInput!, $activityId: ID) {
  createCustomer(input: $input, activityId: $activityId) {
    __typename
    ... on CreateCustomerSuccess {
      customer { id version displayName firstName lastName organizationName externalId
                 emails { address normalized label } phones { number e164 label }
                 address { street city postcode region country } attributes { key value } createdAt updatedAt createdBy }
      activity { id customer { id } }
    }
"""
    + ERROR_FIELDS
    + "}}"
)

UPDATE_CUSTOMER = (
    """
mutation Update($id: ID!, $v: Int!, $input: CustomerInput!) {
  updateCustomer(id: $id, expectedVersion: $v, input: $input) {
    __typename
    ... on UpdateCustomerSuccess { customer { id version firstName lastName emails { address } phones { e164 } updatedAt createdAt } }
    ... on VersionConflictError { expectedVersion currentVersion }
"""
    + ERROR_FIELDS
    + "}}"
)

ASSOCIATE = (
    """
mutation Associate($activityId: ID!, $customerId: ID!) {
  associateActivity(activityId: $activityId, customerId: $customerId) {
    __typename
    ... on AssociateActivitySuccess { activity { id customer { id } openListEntry { status } } customer { id } }
"""
    + USER_ERROR
    + "}}"
)

OPEN_LIST = """
query OpenList($agentId: ID, $first: Int, $after: String) {
  openList(agentId: $agentId, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id displayName status agentId activity { id } } }
  }
}
"""


def record(gql: GraphQLClient, channel: str = "CALL", lang: str | None = None, **sender) -> dict:
    variables = {"input": {"channel": channel, "sender": sender, "agentId": sender.pop("agentId", "agent-1")}}
    return gql(RECORD, variables, lang=lang)["recordActivity"]


def create_customer(gql: GraphQLClient, activity_id: str | None = None, **fields) -> dict:
    result = gql(CREATE_CUSTOMER, {"input": fields, "activityId": activity_id})["createCustomer"]
    assert result["__typename"] == "CreateCustomerSuccess", result
    return result["customer"]
