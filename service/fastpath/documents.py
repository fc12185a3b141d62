"""Parsed and validated documents, kept per (query text, limits) so that a request whose
document was seen before skips the lexer, the parser and every validation rule.

Only documents that parsed and validated without an error are kept: a document with errors
goes through Strawberry's own path every time, which words the errors in the request's
language. Validation here runs the very rules that path runs (graphql-core's specified
rules, Strawberry's two, and the service's limits from service/schema/limits.py), so a
document is kept exactly when that path would have accepted it; before them, as on that
path, a document over the validation budget (`document_budget_error`) is not validated at
all. A kept document's operations each get a `ListGuard` (service/schema/budget.py) on first
use, which the fast path checks every request's variables with before coercing them, and an
estimate of their answer at the largest pages: only an operation that could pass the
result-size budget is estimated again per request, with the request's page sizes.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    specified_rules,
)
from strawberry.schema.schema import validate_document

from ..schema.budget import ListGuard, Over, result_size
from ..schema.limits import Limits, document_budget_error, limit_rules

#: Distinct documents kept; clients send a handful of operations over and over, so this
#: bounds memory against a client that sends a new document with every request.
MAX_DOCUMENTS = 500


@dataclass
class CachedDocument:
    """A document that parsed and validated under some limits; compiled plans per operation."""

    document: DocumentNode
    operations: dict[str | None, OperationDefinitionNode]
    fragments: dict[str, FragmentDefinitionNode]
    #: operation name -> compiled plan, or None when the operation cannot be compiled.
    plans: dict[str | None, Any] = field(default_factory=dict)
    #: operation name -> where its list inputs are and how long each may be.
    guards: dict[str | None, ListGuard] = field(default_factory=dict)
    #: operation name -> whether its answer could pass the result-size budget at the
    #: largest pages (only then is it estimated again per request, with its variables).
    costly: dict[str | None, bool] = field(default_factory=dict)

    def may_be_costly(self, schema: GraphQLSchema, name: str | None, limits: Limits) -> bool:
        """Whether operation `name` could be over `limits.result_size` with some variables."""
        found = self.costly.get(name)
        if found is None:
            try:
                result_size(schema, self.document, self.operations[name], page=limits.page, limit=limits.result_size)
                found = False
            except Over:
                found = True
            self.costly[name] = found
        return found

    def guard(self, schema: GraphQLSchema, name: str | None) -> ListGuard:
        """The `ListGuard` of operation `name` (a name `operation` found)."""
        found = self.guards.get(name)
        if found is None:
            found = self.guards[name] = ListGuard(schema, self.operations[name], self.fragments)
        return found

    def operation(self, name: str | None) -> OperationDefinitionNode | None:
        """The operation a request names; without a name, the document's only operation."""
        if name is None:
            return next(iter(self.operations.values())) if len(self.operations) == 1 else None
        return self.operations.get(name)


class DocumentCache:
    def __init__(self, schema: GraphQLSchema, max_documents: int = MAX_DOCUMENTS) -> None:
        self.schema = schema
        self.max_documents = max_documents
        self._documents: OrderedDict[tuple[str, Limits], CachedDocument | None] = OrderedDict()

    def get(self, query: str, limits: Limits) -> CachedDocument | None:
        """The cached document, parsing and validating it on first sight; None when it does
        not parse or validate (the caller leaves such a request to the generic path)."""
        key = (query, limits)
        try:
            found = self._documents[key]
        except KeyError:
            found = self._documents[key] = self._prepare(query, limits)
            if len(self._documents) > self.max_documents:
                self._documents.popitem(last=False)
            return found
        self._documents.move_to_end(key)
        return found

    def peek(self, query: str, limits: Limits) -> CachedDocument | None:
        """The cached document if there is one; never parses."""
        return self._documents.get((query, limits))

    def _prepare(self, query: str, limits: Limits) -> CachedDocument | None:
        try:
            document = parse(query, max_tokens=limits.tokens)
        except GraphQLError:
            return None
        # The locale only words errors, and a document with errors is not kept.
        if document_budget_error(document, limits, "en") is not None:
            return None
        rules = (*specified_rules, *limit_rules(limits, "en"))
        if validate_document(self.schema, document, rules):
            return None
        operations: dict[str | None, OperationDefinitionNode] = {}
        fragments: dict[str, FragmentDefinitionNode] = {}
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                operations[definition.name.value if definition.name else None] = definition
            elif isinstance(definition, FragmentDefinitionNode):
                fragments[definition.name.value] = definition
        return CachedDocument(document, operations, fragments)
