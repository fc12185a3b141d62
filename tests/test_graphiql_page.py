"""GraphiQL opens on a Customer Context example with the headers to send (issue 16, item 6),
and the example's operations run against the service as they stand on the page."""

from __future__ import annotations

import json
import re

import pytest
from starlette.testclient import TestClient
from strawberry.http.ides import get_graphql_ide_html

from service.app import create_app
from service.authentication import hash_token
from service.graphiql_page import customer_context_page
from service.settings import Settings

from .helpers import create_customer, make_client, record

TOKEN = "ccs_graphiql-admin-0123456789"


def page_of(http: TestClient) -> str:
    page = http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), page.text
    return page.text


def literal(html: str, pattern: str) -> str:
    """The JavaScript string literal (JSON) the page assigns where `pattern` says."""
    match = re.search(pattern, html)
    assert match, f"no {pattern!r} on the page"
    return json.loads(match.group(1))


def example_of(html: str) -> str:
    return literal(html, r'const EXAMPLE_QUERY = ("(?:[^"\\]|\\.)*");')


def headers_of(html: str) -> dict:
    return json.loads(literal(html, r'React\.useState\(parameters\.headers \|\| ("(?:[^"\\]|\\.)*")\)'))


def test_graphiql_opens_on_the_open_list_and_matching_not_strawberrys_welcome():
    for gql in make_client():
        html = page_of(gql.http)
        assert "Welcome to GraphiQL" not in html
        example = example_of(html)
        assert "query OpenList" in example and "openList(" in example
        assert "query MatchCustomers" in example and "matchCustomers(" in example
        assert "Authorization: Bearer" in example and "Accept-Language" in example
        # GraphiQL's files still come from the package, not from the internet.
        assert "https://unpkg.com/" not in html and "/static/unpkg/" in html


def test_the_examples_operations_run_as_they_stand_on_the_page():
    for gql in make_client():
        example = example_of(page_of(gql.http))
        customer = create_customer(gql, firstName="Jan", lastName="Novák", phones=[{"number": "+420 601 123 456"}])
        record(gql, name="Eva Svobodová", phone="anonymous")
        waiting = gql.http.post("/graphql", json={"query": example, "operationName": "OpenList"}).json()
        assert "errors" not in waiting, waiting
        (edge,) = waiting["data"]["openList"]["edges"]
        assert edge["node"]["displayName"] == "Eva Svobodová"
        matched = gql.http.post("/graphql", json={"query": example, "operationName": "MatchCustomers"}).json()
        assert "errors" not in matched, matched
        assert matched["data"]["matchCustomers"][0]["customer"]["id"] == customer["id"]


def test_in_local_development_the_headers_are_the_language_alone():
    for gql in make_client():
        assert headers_of(page_of(gql.http)) == {"Accept-Language": "en"}


def test_with_staff_tokens_the_headers_hold_the_authorization_to_fill_in(tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text(f"admin ADMIN {hash_token(TOKEN)}\n")
    with TestClient(create_app(Settings(tokens_file=str(tokens)))) as http:
        headers = headers_of(page_of(http))
    assert headers == {"Authorization": "Bearer paste-your-staff-token-here", "Accept-Language": "en"}


def test_strawberrys_template_still_has_what_the_page_is_made_from():
    # What an upgrade of Strawberry may break: the page would open on its welcome again.
    html = customer_context_page(get_graphql_ide_html(graphql_ide="graphiql"), needs_token=False)
    assert example_of(html).startswith("# Customer Context")
    with pytest.raises(RuntimeError, match="GraphiQL template changed"):
        customer_context_page("<html>a page without the anchors</html>", needs_token=False)
