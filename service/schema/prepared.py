"""An operation whose document arrives parsed and validated already: Strawberry skips both.

The WebSocket handler (service/websocket.py) keeps subscription documents parsed and
validated in a cache of its own (the fast path's DocumentCache, which validates with every
rule Strawberry's path runs, the service's limits included), because parsing and
validating the same screen-pop document for each of thousands of subscribers held the event
loop for seconds. It hands the cached document over with `use_prepared`; this extension puts
it where Strawberry looks before parsing (the way Strawberry documents for parser caches) and
marks validation as done. An operation without one is untouched.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension

#: (query text, its parsed and validated document) for the operation the current task runs.
_PREPARED: contextvars.ContextVar[tuple[str, DocumentNode] | None] = contextvars.ContextVar("prepared_document", default=None)


def use_prepared(query: str, document: DocumentNode) -> None:
    """Operations run from now on in the current task with the text `query` use `document`,
    which the caller parsed and validated under the same limits."""
    _PREPARED.set((query, document))


class PreparedDocument(SchemaExtension):
    def _document(self) -> DocumentNode | None:
        prepared = _PREPARED.get()
        if prepared is None or prepared[0] != self.execution_context.query:
            return None
        return prepared[1]

    def on_parse(self) -> Iterator[None]:
        document = self._document()
        if document is not None:
            self.execution_context.graphql_document = document
        yield

    def on_validate(self) -> Iterator[None]:
        if self._document() is not None:
            self.execution_context.pre_execution_errors = []  # validated with the same rules
        yield
