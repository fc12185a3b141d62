"""Top-level errors: a code for every one, a request id in every one, no internals ever.

Errors raised on purpose (GraphQLErrors with a code) pass through; parse and validation
errors get a code; anything else is a bug: the client sees a translated message quoting the
request id, the log gets the traceback under the same id."""

from __future__ import annotations

import logging
import re

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

log = logging.getLogger("customer_context.errors")

#: graphql-core's "Did you mean 'customer' or 'customers'?" (and "Did you mean the enum value
#: 'X'?", "Did you mean to use an inline fragment on 'T'?"): a sentence ending a message or,
#: in a variable's coercion error, before "Found: ...". Schema names never hold a '?'.
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def without_suggestions(message: str) -> str:
    """A validation or coercion message without the names the schema has: in production
    mode a misspelt field must not teach the schema that introspection no longer shows."""
    return _SUGGESTION.sub("", message)


def is_internal(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskInternalErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=is_internal)

    def _context(self):
        return getattr(self.execution_context, "context", None)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        ctx = self._context()
        request_id = getattr(ctx, "request_id", None)
        out = []
        for error in errors:
            if is_internal(error):
                message = ctx.t("internal_error", requestId=request_id) if ctx else "Internal error."
                error = GraphQLError(message, error.nodes, error.source, error.positions, error.path)
                code = "INTERNAL_ERROR"
            else:
                code = (error.extensions or {}).get("code") or "GRAPHQL_VALIDATION_FAILED"
            message = error.message
            if ctx is not None and ctx.runtime.settings.production:
                message = without_suggestions(message)
            extensions = {**(error.extensions or {}), "code": code}
            if request_id:
                extensions["requestId"] = request_id
            out.append(
                GraphQLError(
                    message, error.nodes, error.source, error.positions, error.path, extensions=extensions
                )
            )
        return out


def log_internal_errors(errors: list[GraphQLError], execution_context) -> None:
    ctx = getattr(execution_context, "context", None)
    for error in errors:
        if is_internal(error):
            log.error(
                "internal error in request %s at %s",
                getattr(ctx, "request_id", "?"),
                ".".join(map(str, error.path or [])),
                exc_info=error.original_error,
            )
