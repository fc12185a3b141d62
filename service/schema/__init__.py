"""The GraphQL schema: queries and mutations over customers, activities and the open list."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.utils.logging import StrawberryLogger

from .mutations import Mutation
from .queries import Query
from .types import Activity, Customer, OpenListEntry


def _is_internal(error: GraphQLError) -> bool:
    """Errors raised on purpose are GraphQLErrors; anything else is a bug whose details stay in the log."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        # Client mistakes (syntax, validation, typed user errors) are answered, not logged
        # as failures; bugs are logged with their traceback.
        for error in errors:
            if _is_internal(error):
                StrawberryLogger.error(error, execution_context)


def build_schema() -> strawberry.Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        types=[Customer, Activity, OpenListEntry],
        extensions=[
            lambda: MaskErrors(
                should_mask_error=_is_internal,
                error_message="Internal error: the service could not complete the request. It has been logged.",
            )
        ],
    )


schema = build_schema()


def sdl() -> str:
    """The schema in SDL, as committed in docs/schema.graphql."""
    return schema.as_str() + "\n"
