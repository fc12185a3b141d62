"""Who is asking: bearer tokens for staff (from the operator's tokens file) and customer
accounts (stored, hashed, on their contact). Tokens are random and long, so a SHA-256
hash is enough to keep them safe at rest (a slow password hash guards guessable secrets).

Staff tokens file, one staff member per line (blank lines and # comments ignored):

    # id          role        hash of the token
    agent-7       AGENT       sha256:6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b
    supervisor-1  READ_ONLY   sha256:...

`customer-context token --id agent-7 --role AGENT` makes a token and prints its line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Message, Scope

from .domain.access import STAFF, Actor, Role
from .i18n import negotiate, translate
from .settings import ConfigurationError

log = logging.getLogger("customer_context")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id_from(sent: str | None) -> str:
    """The caller's X-Request-Id when it is a sane token (so logs join up across services),
    else a new one."""
    return sent if sent and _REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex

STAFF_PREFIX = "ccs_"
CUSTOMER_PREFIX = "cca_"

#: The actor of every request in local development mode (no tokens file).
LOCAL_DEVELOPER = Actor("local-developer", Role.ADMIN)


def hash_token(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_staff_token() -> str:
    return STAFF_PREFIX + secrets.token_urlsafe(32)


def new_customer_token(contact_id: str) -> str:
    """The contact id travels in the token so that verifying it is one look-up by id."""
    return f"{CUSTOMER_PREFIX}{contact_id}.{secrets.token_urlsafe(32)}"


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class StaffDirectory:
    """Staff tokens by hash; loaded once at startup."""

    by_hash: dict[str, Actor]

    @classmethod
    def load(cls, path: str) -> StaffDirectory:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigurationError(f"cannot read the tokens file {path}: {exc.strerror}") from None
        by_hash: dict[str, Actor] = {}
        for number, line in enumerate(lines, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            parts = text.split()
            where = f"tokens file {path}, line {number}"
            if len(parts) != 3:
                raise ConfigurationError(f"{where}: expected 'id role sha256:hash', found {len(parts)} fields")
            staff_id, role_name, digest = parts
            try:
                role = Role(role_name.upper())
            except ValueError:
                role = None
            if role not in STAFF:
                raise ConfigurationError(f"{where}: role must be ADMIN, AGENT or READ_ONLY, not {role_name!r}")
            if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
                raise ConfigurationError(f"{where}: the token must be given as sha256:<64 hex digits>, never in clear")
            if digest in by_hash:
                raise ConfigurationError(f"{where}: the same token hash appears twice")
            by_hash[digest] = Actor(staff_id, role)
        if not by_hash:
            raise ConfigurationError(f"the tokens file {path} lists no tokens")
        return cls(by_hash)


async def customer_actor(store: Any, token: str) -> Actor | None:
    """The customer account a token belongs to, if it is valid and enabled."""
    contact_id, dot, _secret = token[len(CUSTOMER_PREFIX) :].partition(".")
    if not dot or not contact_id or len(contact_id) > 64:
        return None
    (contact,) = await store.get_contacts([contact_id])
    account = contact.account if contact else None
    if account is None or not account.enabled or not same_hash(account.credential_hash, hash_token(token)):
        return None
    return Actor(f"account:{account.id}", Role.CUSTOMER, contact.customer_id, frozenset(account.permissions))


async def authenticate(
    authorization: str | None, staff: StaffDirectory | None, store: Any, *, customer_accounts: bool = True
) -> Actor | None:
    """The actor of a request, or None when its credentials are missing or invalid. Without
    a tokens file (local development) a request without credentials is the local developer;
    customer-account tokens are honoured either way, so accounts can be tried locally."""
    token = None
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            token = value.strip()
        else:
            return None
    if token is None:
        return LOCAL_DEVELOPER if staff is None else None
    if token.startswith(CUSTOMER_PREFIX):
        return await customer_actor(store, token) if customer_accounts else None
    if staff is None:
        return LOCAL_DEVELOPER
    return staff.by_hash.get(hash_token(token))


#: Parameters that make a GET an operation rather than a request for GraphiQL's page.
OPERATION_PARAMETERS = frozenset({"query", "variables", "operationname", "extensions"})


def names_an_operation(query_string: bytes) -> bool:
    """Whether a query string holds any parameter of an operation, however it is written:
    percent-encoded (`%71uery`), in any case (`QUERY`), with `+` or `;` between, given
    twice, with or without a value. Looser than any parser below it reads it (Starlette
    splits on `&` only and keeps the case), so whatever may run as an operation counts."""
    if not query_string:
        return False
    text = query_string.decode("latin-1").replace(";", "&")
    return any(name.strip().lower() in OPERATION_PARAMETERS for name, _ in parse_qsl(text, keep_blank_values=True))


def is_graphiql_page(scope: Scope, serves_graphiql: bool) -> bool:
    """A browser's GET for GraphiQL's page, which needs no token (the page sends one with
    each operation): only where GraphiQL is served, and only without any parameter of an
    operation."""
    if not serves_graphiql or scope["method"] != "GET" or names_an_operation(scope.get("query_string", b"")):
        return False
    accept = b", ".join(value for name, value in scope["headers"] if name.lower() == b"accept")
    # As Strawberry decides to render the page (case and all), so that what passes here
    # without a token is always the page and never reaches an operation.
    return b"text/html" in accept


def unauthenticated(headers: dict[str, str]) -> tuple[Message, Message]:
    """The 401's two ASGI messages: a GraphQL-shaped JSON error in the request's language."""
    locale = negotiate(headers.get("accept-language"))
    request_id = request_id_from(headers.get("x-request-id"))
    log.info("request %s refused: no valid credential (401)", request_id)
    extensions = {"code": "UNAUTHENTICATED", "requestId": request_id}
    body = json.dumps({"errors": [{"message": translate(locale, "unauthenticated"), "extensions": extensions}]}).encode()
    start: Message = {
        "type": "http.response.start",
        "status": 401,
        "headers": [
            (b"content-type", b"application/json"),
            (b"www-authenticate", b'Bearer realm="customer-context"'),
            (b"x-request-id", request_id.encode()),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


class AuthenticationMiddleware:
    """Authenticates every HTTP request to /graphql, whatever its method, content type or
    parameters, from its headers alone, before a byte of its body is read or its document
    parsed: the actor goes into the scope's state; bad or missing credentials get 401 with a
    GraphQL-shaped JSON error. The one exception is GraphiQL's page (`is_graphiql_page`).
    WebSockets authenticate with their `connection_init` (service/websocket.py)."""

    def __init__(self, app: Any, path: str = "/graphql", *, serves_graphiql: bool = False) -> None:
        self.app = app
        self.path = path
        self.serves_graphiql = serves_graphiql

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("path") != self.path or is_graphiql_page(scope, self.serves_graphiql):
            return await self.app(scope, receive, send)
        headers: dict[str, str] = {}
        for name, value in scope.get("headers", []):
            # A header given twice: the first counts, as Starlette's Headers.get reads it.
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        runtime = scope["app"].state.runtime
        actor = (
            await authenticate(
                headers.get("authorization"),
                runtime.staff,
                runtime.store,
                customer_accounts=runtime.settings.customer_accounts,
            )
            if runtime
            else None
        )
        if actor is None:
            start, body = unauthenticated(headers)
            await send(start)
            await send(body)
            return None
        scope.setdefault("state", {})["actor"] = actor
        return await self.app(scope, receive, send)
