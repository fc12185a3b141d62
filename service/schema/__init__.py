"""The GraphQL schema: queries, mutations and subscriptions over customers, activities and the open list."""

from __future__ import annotations

import strawberry

from .executor_turns import TakeTurnsExtension
from .limits import GraphQLLimits
from .masking import MaskInternalErrors, log_internal_errors
from .mutations import Mutation
from .prepared import PreparedDocument
from .queries import Query
from .subscriptions import Subscription, SubscriptionsNeedWebSocket
from .types import Activity, Customer, OpenListEntry


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        # Client mistakes (syntax, validation, typed user errors) are answered, not logged
        # as failures; bugs are logged with their traceback and request id.
        log_internal_errors(errors, execution_context)


def build_schema() -> strawberry.Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Customer, Activity, OpenListEntry],
        # GraphQLLimits after MaskInternalErrors: its errors are rewritten first, then masked
        # (and given the request id) like every other.
        # PreparedDocument: subscription documents the WebSocket handler parsed and validated once.
        # TakeTurnsExtension: a query's answer built in turns on the event loop (executor_turns.py).
        extensions=[MaskInternalErrors, GraphQLLimits, SubscriptionsNeedWebSocket, PreparedDocument, TakeTurnsExtension],
    )


schema = build_schema()


def sdl() -> str:
    """The schema in SDL, as committed in docs/schema.graphql."""
    return schema.as_str() + "\n"
