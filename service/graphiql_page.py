"""GraphiQL's page as this service serves it: it opens on a Customer Context example (the
open list, matching a caller) with the headers a request needs, not Strawberry's welcome.

Strawberry has no setting for GraphiQL's default query or headers, so its page is edited
at the two places below. STRAWBERRY_ANCHORS lists what the edit leans on in Strawberry's
template; tests/test_graphiql_page.py fails (and so does startup) when an upgrade renames
one, instead of the page silently opening on the welcome text again.
"""

from __future__ import annotations

import json
import re

#: What Strawberry's graphiql.html must hold for the edit: the example query's declaration
#: and the headers editor's initial state.
STRAWBERRY_ANCHORS = (re.compile(r"const EXAMPLE_QUERY = `.*?`;", re.S), "React.useState(parameters.headers)")

EXAMPLE = """\
# Customer Context: recognise who is calling, chatting or emailing, keep customer records,
# tie every activity to the right customer.
#
# Run an operation with Ctrl-Enter or the play button (it asks which one). The Docs pane
# (the book, top left) describes every type, field and argument; docs/workflow.md walks
# through the whole workflow.
#
# Headers (the Headers tab below, as JSON):
#   Authorization: Bearer <your staff token>   (docs/security.md; not needed in local
#                                               development mode, which acts as admin)
#   Accept-Language: en, cs, sk, de, nb or sr-Latn   (the language of messages)

# The callers waiting for an agent: pending new customers to create or discard.
query OpenList {
  openList(first: 10) {
    totalCount
    edges {
      node {
        id
        displayName
        activity { channel occurredAt sender { name email phone phoneParsed } }
        candidates { score customer { id displayName } }
      }
    }
  }
}

# Who might this caller be? Any of name, email, phone and address.
query MatchCustomers {
  matchCustomers(identity: { phone: "+420 601 123 456", name: "Jan Novák" }) {
    score
    reasons { field method strength }
    customer { id displayName phones { number } }
  }
}
"""


def default_headers(needs_token: bool) -> str:
    """The Headers tab's text: the language, and the staff token where one is needed."""
    headers = {"Authorization": "Bearer paste-your-staff-token-here"} if needs_token else {}
    headers["Accept-Language"] = "en"
    return json.dumps(headers, indent=2)


def customer_context_page(strawberry_html: str, *, needs_token: bool) -> str:
    """Strawberry's GraphiQL page opening on EXAMPLE with default_headers(needs_token).
    Raises RuntimeError when the template no longer holds an anchor."""
    query_anchor, headers_anchor = STRAWBERRY_ANCHORS
    if not query_anchor.search(strawberry_html) or headers_anchor not in strawberry_html:
        raise RuntimeError("Strawberry's GraphiQL template changed: see service/graphiql_page.py")
    # json.dumps makes a JavaScript string literal; '<' escaped so no text closes the script.
    literal = json.dumps(EXAMPLE).replace("<", "\\u003c")
    headers = json.dumps(default_headers(needs_token)).replace("<", "\\u003c")
    html = query_anchor.sub(lambda _: f"const EXAMPLE_QUERY = {literal};", strawberry_html, count=1)
    return html.replace(headers_anchor, f"React.useState(parameters.headers || {headers})", 1)
