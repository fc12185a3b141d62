"""The CPU budget of one GraphQL request, worked out in linear passes before graphql-core
does the work it bounds.

Three measures, each with its own limit (service/schema/limits.py words the errors):

- **Overlap** (`overlap_cost`, before validation). graphql-core's
  OverlappingFieldsCanBeMergedRule compares every two fields that share a response name in a
  selection set (fragments and inline fragments merged into it), and for each such pair
  compares their sub-selections as well: quadratic in the repeats, and only 2,000 tokens
  made it take 0.4 to 1.5 s (`{ viewer { id id id ... } }`, `viewer { id }` 490 times,
  380 `emails { address }` in one customer). The cost of a selection set is the sum, over
  its pairs of fields with the same response name, of PAIR plus the product of the two
  fields' sizes (a field's size: itself, its argument values, SUB_SELECTION when it has one,
  and everything below it), plus FRAGMENT_PAIR per pair of distinct fragments spread into
  it; a document's cost is the sum over its selection sets, each fragment's own measured
  once. A document that asks for each field once costs 0 however large it is, as do the
  gadget's documents. benchmarks/validation_cost.py measures what a unit costs graphql-core
  on the worst documents of eleven families (the weights are fitted there).
- **Result size** (`result_size`, per request before execution, with the request's
  variables): how many values the answer may hold, each list counted at the most it can
  hold (a connection at its `first`, from the document or the variables, or the default
  page when it is left out; the lists of a customer at their domain limits). It bounds what
  execution can be asked to do: 30 aliases of `customers(first: 100)` with their contacts'
  customers' contacts would otherwise be millions of values resolved without the event loop
  getting a turn.
- **List inputs** (`ListGuard`, before variables are coerced): every list an argument or an
  input field accepts has a most items (`LIST_LIMITS`), checked on the raw JSON variables
  and on literals, and an input object may not hold far more keys than its type has fields.
  graphql-core coerced a 110,000-entry enum list in 0.34 s, and in 18 s when its values were
  invalid (an error with a did-you-mean search each); counting it first costs one `len()`.

The same functions serve Strawberry's path (GraphQLLimits in limits.py), the fast path's
document cache (service/fastpath/documents.py) and, through Strawberry's schema extension,
subscriptions over WebSocket.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ArgumentNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeInfo,
    TypeInfoVisitor,
    ValueNode,
    VariableNode,
    Visitor,
    get_named_type,
    type_from_ast,
    visit,
)

from ..domain import limits as domain_limits
from ..usecases import matching
from .inputs import ContactSearchField
from .types import CustomerPermission

__all__ = [
    "LIST_LIMITS",
    "ListGuard",
    "ListTooLong",
    "Over",
    "list_guard",
    "overlap_cost",
    "operation_named",
    "result_size",
]


class Over(Exception):
    """A measure passed its limit; the walk stops there (what it had counted: `so_far`)."""

    def __init__(self, so_far: int) -> None:
        super().__init__(so_far)
        self.so_far = so_far


# ---------------------------------------------------------------------------------------
# Overlap: what graphql-core's OverlappingFieldsCanBeMergedRule will compare


#: Weights, in units of about 0.1 µs of graphql-core's time on this machine, fitted by
#: benchmarks/validation_cost.py: any pair of same-named fields costs PAIR beyond the product
#: of their sizes, a field with a sub-selection weighs SUB_SELECTION more, and comparing two
#: fragments costs FRAGMENT_PAIR.
PAIR = 10
SUB_SELECTION = 8
FRAGMENT_PAIR = 128


class _Groups:
    """The fields of a merged selection set by response name: for each, how many, the sum
    of their sizes and of their squared sizes (what the pairs' products add up from); the
    fragment names spread into it, and its size."""

    __slots__ = ("names", "fragments", "size")

    def __init__(self) -> None:
        self.names: dict[str, list[int]] = {}
        self.fragments: set[str] = set()
        self.size = 0

    def add(self, name: str, size: int) -> None:
        found = self.names.get(name)
        if found is None:
            self.names[name] = [1, size, size * size]
        else:
            found[0] += 1
            found[1] += size
            found[2] += size * size
        self.size += size

    def merge(self, other: _Groups) -> None:
        for name, (count, total, squares) in other.names.items():
            found = self.names.get(name)
            if found is None:
                self.names[name] = [count, total, squares]
            else:
                found[0] += count
                found[1] += total
                found[2] += squares
        self.fragments |= other.fragments
        self.size += other.size

    def pairs(self) -> int:
        """For each pair of same-named fields, PAIR plus the product of their sizes; for each
        pair of distinct fragments, FRAGMENT_PAIR (graphql-core compares every two)."""
        k = len(self.fragments)
        fields = sum(PAIR * (c * (c - 1) // 2) + (t * t - s) // 2 for c, t, s in self.names.values())
        return fields + FRAGMENT_PAIR * (k * (k - 1) // 2)


def _value_size(value: ValueNode) -> int:
    if isinstance(value, ListValueNode):
        return 1 + sum(_value_size(v) for v in value.values)
    if isinstance(value, ObjectValueNode):
        return 1 + sum(_value_size(f.value) for f in value.fields)
    return 1


class _Overlap:
    def __init__(self, document: DocumentNode, limit: int) -> None:
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.limit = limit
        self.cost = 0
        self._merged: dict[str, _Groups] = {}
        self._visiting: set[str] = set()

    def _charge(self, units: int) -> None:
        self.cost += units
        if self.cost > self.limit:
            raise Over(self.cost)

    def selection_set(self, selection_set: SelectionSetNode) -> _Groups:
        """The set's merged fields; charges its pairs (graphql-core checks every set once)."""
        groups = self._collect(selection_set, _Groups())
        self._charge(groups.pairs())
        return groups

    def _collect(self, selection_set: SelectionSetNode, into: _Groups) -> _Groups:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                size = 1 + sum(_value_size(a.value) for a in selection.arguments or ())
                if selection.selection_set:
                    size += SUB_SELECTION + self.selection_set(selection.selection_set).size
                into.add((selection.alias or selection.name).value, size)
            elif isinstance(selection, InlineFragmentNode):
                # Its fields join the enclosing set; graphql-core also checks it as a set.
                into.merge(self.selection_set(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragment(name)
                if fragment is not None:
                    into.merge(fragment)
                    into.fragments.add(name)
        return into

    def fragment(self, name: str) -> _Groups | None:
        """A fragment's merged fields, measured (and its own pairs charged) once."""
        found = self._merged.get(name)
        if found is not None:
            return found
        definition = self.fragments.get(name)
        if definition is None or name in self._visiting:  # unknown or a cycle: other rules report it
            return None
        self._visiting.add(name)
        try:
            found = self._merged[name] = self.selection_set(definition.selection_set)
        finally:
            self._visiting.discard(name)
        return found


def overlap_cost(document: DocumentNode, limit: int) -> int:
    """What checking that the document's fields can be merged costs (module docstring), in
    one pass; raises `Over` as soon as it passes `limit`. Works on any parsed document,
    valid or not."""
    measure = _Overlap(document, limit)
    try:
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                measure.selection_set(definition.selection_set)
            elif isinstance(definition, FragmentDefinitionNode):
                measure.fragment(definition.name.value)
    except RecursionError:  # nested deeper than Python recurses: far past any budget
        raise Over(limit + 1) from None
    return measure.cost


# ---------------------------------------------------------------------------------------
# Result size: what execution may be asked to produce

#: The most items each list field of the schema can hold, where a domain limit says so;
#: connections' `edges` hold their `first`. A list not named here counts as a page.
OUTPUT_LIST_SIZES: dict[str, int] = {
    "Customer.emails": domain_limits.MAX_EMAILS,
    "Customer.phones": domain_limits.MAX_PHONES,
    "Customer.attributes": domain_limits.MAX_ATTRIBUTES,
    "Customer.messageRecipients": domain_limits.MAX_CONTACTS_PER_CUSTOMER,
    "Customer.reminderRecipients": domain_limits.MAX_CONTACTS_PER_CUSTOMER,
    "Query.matchCustomers": matching.MAX_CANDIDATES,
    "OpenListEntry.candidates": matching.MAX_CANDIDATES,
    "ScreenPop.candidates": matching.MAX_CANDIDATES,
    "RecordActivitySuccess.candidates": matching.MAX_CANDIDATES,
    "DuplicateSuspectedError.candidates": matching.MAX_CANDIDATES,
    "CreateCustomerSuccess.duplicates": matching.MAX_CANDIDATES,
    "CreateCustomerFromOpenListSuccess.duplicates": matching.MAX_CANDIDATES,
    # One reason per identifier that matched (name, email, phone, organisation, address...).
    "MatchCandidate.reasons": 10,
    "Contact.warnings": 10,
    "Viewer.permissions": len(CustomerPermission),
    "CustomerAccount.permissions": len(CustomerPermission),
}


class _ResultSize:
    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, page: tuple[int, int], limit: int, variables: Mapping[str, Any] | None
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.default_page, self.max_page = page
        self.limit = limit
        self._memo: dict[tuple[str, int | None], int] = {}
        self._visiting: set[str] = set()

    def _first(self, field: FieldNode) -> int:
        for argument in field.arguments or ():
            if argument.name.value == "first":
                value = argument.value
                if isinstance(value, IntValueNode):
                    try:
                        return max(0, min(int(value.value), self.max_page))
                    except ValueError:  # pragma: no cover - the lexer only makes digits
                        return self.max_page
                if isinstance(value, VariableNode) and self.variables is not None:
                    given = self.variables.get(value.name.value)
                    if given is None:  # left out or null: the list's default page
                        return self.default_page
                    if isinstance(given, int) and not isinstance(given, bool):
                        return max(0, min(given, self.max_page))
                return self.max_page  # a variable not known yet, or junk coercion will refuse
        return self.default_page

    def selection_set(self, selection_set: SelectionSetNode, parent: Any, page: int | None) -> int:
        """Values the set yields once (each field 1 plus what its sub-selection yields,
        times the most items its list holds); `page`: the `first` of the connection whose
        selection this is."""
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(selection.selection_set, inner, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, page)
            if total > self.limit:
                raise Over(total)
        return total

    def field(self, node: FieldNode, parent: Any, page: int | None) -> int:
        name = node.name.value
        definition = parent.fields.get(name) if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)) else None
        if definition is None:  # __typename, introspection (bounded by its own rule), or unknown
            return 1
        kind = definition.type
        if isinstance(kind, GraphQLNonNull):
            kind = kind.of_type
        items = 1
        if isinstance(kind, GraphQLList):
            if name == "edges" and page is not None:
                items = page
            else:
                items = OUTPUT_LIST_SIZES.get(f"{parent.name}.{name}", self.max_page)
        below = 0
        if node.selection_set:
            inner_page = self._first(node) if "first" in definition.args else None
            below = self.selection_set(node.selection_set, get_named_type(kind), inner_page)
        return items * (1 + below)

    def fragment(self, name: str, page: int | None) -> int:
        """What a fragment yields where it is spread (a connection's page reaches its `edges`),
        measured once per fragment and page."""
        found = self._memo.get((name, page))
        if found is not None:
            return found
        definition = self.fragments.get(name)
        if definition is None or name in self._visiting:
            return 0
        self._visiting.add(name)
        try:
            parent = self.schema.get_type(definition.type_condition.name.value)
            found = self._memo[name, page] = self.selection_set(definition.selection_set, parent, page)
        finally:
            self._visiting.discard(name)
        return found


def result_size(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    *,
    page: tuple[int, int],
    limit: int,
    variables: Mapping[str, Any] | None = None,
) -> int:
    """The most values `operation`'s answer can hold (module docstring); raises `Over` past
    `limit`. `page`: (default, largest) `first`; a `first` from a variable counts as the
    request's value when `variables` (raw) are given, else as the largest page. Meant for a
    valid document."""
    root = schema.get_root_type(operation.operation)
    measure = _ResultSize(schema, document, page, limit, variables)
    try:
        return measure.selection_set(operation.selection_set, root, None)
    except RecursionError:
        raise Over(limit + 1) from None


# ---------------------------------------------------------------------------------------
# List inputs

#: Items one list input may hold, by schema coordinate (`Type.field` for input fields,
#: `Type.field(argument:)` for arguments). Enum lists: each value once. A customer's emails,
#: phones and attributes: their per-customer limits (TOO_MANY_ITEMS in the payload) hold
#: up to this guard, so a form over by a few hears which field, in its payload, as before;
#: past the guard nothing is read. tests/test_cpu_budget.py fails when the schema gains a
#: list input that is not listed here.
INPUT_LIST_ITEMS = 1000
LIST_LIMITS: dict[str, int] = {
    "ContactFilter.searchIn": len(ContactSearchField),
    "CustomerInput.emails": INPUT_LIST_ITEMS,
    "CustomerInput.phones": INPUT_LIST_ITEMS,
    "CustomerInput.attributes": INPUT_LIST_ITEMS,
    "Mutation.createCustomerAccount(permissions:)": len(CustomerPermission),
    "Mutation.setCustomerAccountPermissions(permissions:)": len(CustomerPermission),
}


@dataclass(frozen=True)
class ListTooLong:
    """A list input holds more items than its limit: `field` is its name as a client writes
    it (the argument or input field), `coordinate` its schema coordinate. With `kind`
    "object": an input object in the variables with far more keys than its type has fields
    (`limit`; `field` the variable's path, `coordinate` the type), which graphql-core would
    otherwise look up one by one, with a did-you-mean search each."""

    field: str
    coordinate: str
    count: int
    limit: int
    kind: str = "list"


#: Keys an input object may hold beyond its type's fields before it is refused unread; a
#: few unknown ones still get graphql-core's own error, with its suggestions.
UNKNOWN_KEYS = 10


def _coordinate_name(coordinate: str) -> str:
    """`ContactFilter.searchIn` -> `searchIn`; `Mutation.x(permissions:)` -> `permissions`."""
    if coordinate.endswith(":)"):
        return coordinate[coordinate.index("(") + 1 : -2]
    return coordinate.rsplit(".", 1)[1]


def _unwrap(kind: Any) -> Any:
    return kind.of_type if isinstance(kind, GraphQLNonNull) else kind


class ListGuard:
    """The list inputs of one operation: where its variables are used (so a list variable
    gets the limit of the argument or input field it fills) and any literal list over its
    limit. Built once per cached document and operation; `check` runs per request."""

    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        limits: Mapping[str, int] = LIST_LIMITS,
    ) -> None:
        self.limits = limits
        #: variable name -> (its declared type, the limits of the places it fills)
        self.variables: dict[str, tuple[Any, list[str]]] = {}
        self.literal: ListTooLong | None = None
        declared: dict[str, Any] = {}
        for definition in operation.variable_definitions or ():
            declared[definition.variable.name.value] = type_from_ast(schema, definition.type)
        uses: dict[str, list[str]] = {name: [] for name in declared}
        guard = self

        class Collect(Visitor):
            def enter_argument(self, node: ArgumentNode, _key: Any, _parent: Any, _path: Any, ancestors: Any) -> None:
                owner = next((a for a in reversed(ancestors) if isinstance(a, (FieldNode, DirectiveNode))), None)
                parent = type_info.get_parent_type()
                if not isinstance(owner, FieldNode) or parent is None:
                    return
                guard._place(f"{parent.name}.{owner.name.value}({node.name.value}:)", node.value, uses)

            def enter_object_field(self, node: ObjectFieldNode, *_args: Any) -> None:
                owner = get_named_type(type_info.get_parent_input_type())
                if isinstance(owner, GraphQLInputObjectType):
                    guard._place(f"{owner.name}.{node.name.value}", node.value, uses)

        definitions: list[Any] = [operation]
        seen: set[str] = set()
        while definitions:
            definition = definitions.pop()
            type_info = TypeInfo(schema)
            visit(definition, TypeInfoVisitor(type_info, Collect()))
            for spread in _spreads(definition.selection_set):
                if spread not in seen and spread in fragments:
                    seen.add(spread)
                    definitions.append(fragments[spread])
        for name, kind in declared.items():
            self.variables[name] = (kind, uses[name])

    def _place(self, coordinate: str, value: ValueNode, uses: dict[str, list[str]]) -> None:
        if isinstance(value, VariableNode):
            if value.name.value in uses:
                uses[value.name.value].append(coordinate)
        elif isinstance(value, ListValueNode) and self.literal is None:
            limit = self.limits.get(coordinate)
            if limit is not None and len(value.values) > limit:
                self.literal = ListTooLong(_coordinate_name(coordinate), coordinate, len(value.values), limit)

    def check(self, variables: Mapping[str, Any] | None) -> ListTooLong | None:
        """The first list over its limit in the literals or in `variables` (raw JSON, not yet
        coerced), or None. Costs a `len()` per list and a look at each input object's keys
        that the schema declares, never more than the lists' limits allow."""
        if self.literal is not None:
            return self.literal
        if not variables:
            return None
        for name, (kind, places) in self.variables.items():
            if name not in variables:
                continue
            value = variables[name]
            kind = _unwrap(kind)
            if isinstance(kind, GraphQLList) and isinstance(value, list):
                for coordinate in places:
                    limit = self.limits.get(coordinate)
                    if limit is not None and len(value) > limit:
                        return ListTooLong(_coordinate_name(coordinate), coordinate, len(value), limit)
            found = self._value(value, kind, f"${name}")
            if found is not None:
                return found
        return None

    def _value(self, value: Any, kind: Any, path: str) -> ListTooLong | None:
        kind = _unwrap(kind)
        if isinstance(kind, GraphQLList):
            if isinstance(value, list):
                for item in value:  # bounded: the list's own length was checked where it is used
                    found = self._value(item, kind.of_type, path)
                    if found is not None:
                        return found
            return None
        if isinstance(kind, GraphQLInputObjectType) and isinstance(value, dict):
            if len(value) > len(kind.fields) + UNKNOWN_KEYS:
                return ListTooLong(path, kind.name, len(value), len(kind.fields), kind="object")
            for name, field in kind.fields.items():
                if name not in value:
                    continue
                item, item_kind = value[name], _unwrap(field.type)
                if isinstance(item_kind, GraphQLList) and isinstance(item, list):
                    coordinate = f"{kind.name}.{name}"
                    limit = self.limits.get(coordinate)
                    if limit is not None and len(item) > limit:
                        return ListTooLong(name, coordinate, len(item), limit)
                found = self._value(item, item_kind, f"{path}.{name}")
                if found is not None:
                    return found
        return None


def _spreads(selection_set: SelectionSetNode | None) -> Iterable[str]:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FragmentSpreadNode):
            yield selection.name.value
        elif isinstance(selection, (FieldNode, InlineFragmentNode)):
            yield from _spreads(selection.selection_set)


def operation_named(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    """The operation a request names (its only one when unnamed), or None when there is no
    such operation (graphql-core reports that)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == operation_name), None)


def list_guard(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> ListGuard | None:
    """The `ListGuard` of the operation a request names, or None when there is none."""
    operation = operation_named(document, operation_name)
    if operation is None:
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return ListGuard(schema, operation, fragments)
