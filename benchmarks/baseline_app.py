"""The ceiling for benchmarks/service_load.py: a minimal Starlette app that makes the same
use-case and store calls as the service's GraphQL resolvers for each benchmarked operation
and answers the same JSON, with no GraphQL at all (no parsing, validation or execution).

It takes the same POST /graphql body as the service and picks a hand-written handler by the
body's `operationName`; the `query` text is ignored. The store, matching strategy and runtime
are built exactly as `service.app.create_app`'s lifespan builds them.

    BASELINE_DATA_FILE=/path/data.journal .venv/bin/python -m uvicorn --app-dir benchmarks \
        baseline_app:app --port 8001 --log-level warning
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service import plugins  # noqa: E402
from service.authentication import LOCAL_DEVELOPER  # noqa: E402
from service.domain.access import may_see_customer  # noqa: E402
from service.domain.activity_input import ActivityDraft  # noqa: E402
from service.domain.contact_directory import ContactQuery, ContactSort  # noqa: E402
from service.domain.display_name import customer_display_name  # noqa: E402
from service.domain.identity_input import IdentityDraft  # noqa: E402
from service.domain.records import Channel, ContactRole, CustomerPermission, Direction  # noqa: E402
from service.domain.search import query_tokens  # noqa: E402
from service.events import EventBus  # noqa: E402
from service.i18n import negotiate, translate  # noqa: E402
from service.runtime import Runtime  # noqa: E402
from service.schema.ids import cursor_out, to_global_id  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.usecases import activities, matching, queries  # noqa: E402


def customer_name(c, locale: str) -> str:
    return customer_display_name(c) or translate(locale, "unknown_customer")


def contact_name(c, locale: str) -> str:
    name = " ".join(x for x in (c.title, c.first_name, c.last_name) if x)
    return name or (c.email.address if c.email else None) or (c.phone.number if c.phone else "") or translate(
        locale, "unknown_customer"
    )


async def screen_pop(rt: Runtime, variables: dict[str, Any], locale: str) -> dict[str, Any]:
    found = await matching.match_customers(rt, LOCAL_DEVELOPER, IdentityDraft(phone=variables["phone"]), 1)
    customers = await rt.store.get_customers([c.customer_id for c in found])
    return {
        "matchCustomers": [
            {
                "score": c.score,
                "customer": {
                    "id": to_global_id("Customer", r.id),
                    "displayName": customer_name(r, locale),
                    "organizationName": r.organization_name,
                }
                if r
                else None,
            }
            for c, r in zip(found, customers)
        ]
    }


async def customer_list(rt: Runtime, variables: dict[str, Any], locale: str) -> dict[str, Any]:
    page = await queries.customers(rt, LOCAL_DEVELOPER, None, variables["first"], None)
    edges = []
    for cursor, c in page.items:
        q = ContactQuery(customer_id=c.id, role=ContactRole.MAIN, order=ContactSort.ROLE, locale=locale)
        contacts = await queries.contacts(rt, LOCAL_DEVELOPER, q, None, None)
        edges.append(
            {
                "cursor": cursor_out(cursor),
                "node": {
                    "id": to_global_id("Customer", c.id),
                    "displayName": customer_name(c, locale),
                    "contacts": {
                        "edges": [
                            {
                                "node": {
                                    "id": to_global_id("Contact", k.id),
                                    "displayName": contact_name(k, locale),
                                    "email": k.email.address if k.email else None,
                                    "phone": k.phone.number if k.phone else None,
                                }
                            }
                            for _, k in contacts.items
                        ]
                    },
                },
            }
        )
    return {"customers": {"totalCount": page.total_count, "edges": edges}}


async def directory(rt: Runtime, variables: dict[str, Any], locale: str) -> dict[str, Any]:
    q = ContactQuery(tokens=tuple(query_tokens(variables["search"][:2000])), order=ContactSort.LAST_NAME, locale=locale)
    page = await queries.contacts(rt, LOCAL_DEVELOPER, q, variables["first"], None)
    ids = list(dict.fromkeys(k.customer_id for _, k in page.items))
    customers = dict(zip(ids, await rt.store.get_customers(ids)))
    edges = []
    for _, k in page.items:
        customer = None
        if may_see_customer(LOCAL_DEVELOPER, k.customer_id, CustomerPermission.VIEW_CUSTOMER):
            c = customers[k.customer_id]
            customer = {"id": to_global_id("Customer", c.id), "displayName": customer_name(c, locale)}
        edges.append(
            {
                "node": {
                    "id": to_global_id("Contact", k.id),
                    "displayName": contact_name(k, locale),
                    "email": k.email.address if k.email else None,
                    "phone": k.phone.number if k.phone else None,
                    "customer": customer,
                }
            }
        )
    return {"contacts": {"totalCount": page.total_count, "edges": edges}}


async def record_activity(rt: Runtime, variables: dict[str, Any], locale: str) -> dict[str, Any]:
    draft = ActivityDraft(channel=Channel.CALL, direction=Direction.INBOUND, sender_phone=variables["phone"])
    r = await activities.record_activity(rt, LOCAL_DEVELOPER, draft)
    a = r.activity
    return {
        "recordActivity": {
            "__typename": "RecordActivitySuccess",
            "outcome": r.outcome.value,
            "activity": {
                "channel": a.channel.value,
                "direction": a.direction.value,
                "sender": {"e164Phone": a.sender.phone_e164},
            },
            "customer": {"id": to_global_id("Customer", r.customer.id), "displayName": customer_name(r.customer, locale)}
            if r.customer
            else None,
        }
    }


HANDLERS = {
    "ScreenPop": screen_pop,
    "CustomerList": customer_list,
    "Directory": directory,
    "RecordActivity": record_activity,
}


async def graphql(request: Request) -> Response:
    body = orjson.loads(await request.body())
    handler = HANDLERS[body["operationName"]]
    locale = negotiate(request.headers.get("accept-language"))
    data = await handler(request.app.state.runtime, body.get("variables") or {}, locale)
    return Response(orjson.dumps({"data": data}), media_type="application/json")


async def readyz(request: Request) -> Response:
    return Response(b'{"status":"ready"}', media_type="application/json")


@contextlib.asynccontextmanager
async def lifespan(app: Starlette):
    settings = Settings(data_file=os.environ.get("BASELINE_DATA_FILE", "")).validate()
    pm = plugins.plugin_manager()
    backend = plugins.choose_storage(pm, settings)
    strategy = plugins.choose_matching(pm, settings)
    store = plugins.build_store(backend, settings)
    matcher = plugins.build_matcher(strategy, settings)
    await store.open()
    events = EventBus(pm)
    runtime = Runtime(settings=settings, store=store, matcher=matcher, events=events, plugin_manager=pm, staff=None)
    events.runtime = runtime
    await plugins.call_startup(pm, runtime)
    # As the service's server does (create_app(freeze_after_startup=True)): the loaded store
    # out of the cyclic collector's sight, so neither pauses for full collections over it.
    gc.collect()
    gc.freeze()
    app.state.runtime = runtime
    try:
        yield
    finally:
        await plugins.call_each_safely(pm.hook.shutdown, "shutdown", runtime=runtime)
        await store.close()


app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"]), Route("/readyz", readyz)], lifespan=lifespan)
