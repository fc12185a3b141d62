"""Limits on what one GraphQL request may ask for, each refused with a top-level error that
has its own code and names the limit (message and `extensions.limit`).

| Code | Checked | Setting |
|---|---|---|
| QUERY_TOO_LARGE | while parsing: lexical tokens, comments included | max_query_tokens |
| QUERY_TOO_COMPLEX | before validation: pairs of same-named fields graphql-core would compare | max_query_complexity |
| QUERY_TOO_DEEP | validation: nesting of fields, through fragments | max_query_depth |
| TOO_MANY_ALIASES | validation: aliases per operation, through fragments | max_aliases |
| INTROSPECTION_DISABLED | validation: __schema / __type | introspection, production |
| QUERY_TOO_COSTLY | before execution: values the answer may hold, lists at their largest | max_result_size |
| LIST_TOO_LONG | before variables are coerced: items in one list input | budget.LIST_LIMITS |
| INPUT_OBJECT_TOO_LARGE | before variables are coerced: keys of an input object, past its fields + 10 | the schema |
| BATCH_TOO_LARGE | the HTTP view (400): operations in one JSON array | max_batch_size |
| REQUEST_TOO_LARGE | the HTTP middleware (413): body bytes | max_body_bytes |
| TIMEOUT | the HTTP view: a request's running time | request_timeout_seconds |

Depth and aliases are measured once per fragment (memoised), so a document that spreads
fragments into fragments costs time linear in its size, not in the size it expands to
(Strawberry's QueryDepthLimiter and MaxAliasesLimiter walk every expansion: 20 fragments
that each spread the next twice take them seconds). Fragment cycles end the walk; graphql-
core's NoFragmentCyclesRule reports them. Introspection fields (`__schema`, `__type`) do not
count towards depth, as GraphiQL's own schema query nests 15 deep; graphql-core's
MaxIntrospectionDepthRule (part of its specified rules) bounds introspection's fan-out.

The CPU budget (QUERY_TOO_COMPLEX, QUERY_TOO_COSTLY, LIST_TOO_LONG) is measured in
service/schema/budget.py; this module words its errors and applies it on Strawberry's path
(`GraphQLLimits`) and, through `document_budget_error` and `result_size_error`, on the fast
path.

Messages follow the request's language; codes and the `limit` never change with it.
"""

from __future__ import annotations

import contextvars
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult as CoreExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    SKIP,
    ValidationRule,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from ..i18n import DEFAULT, format_number
from ..observation import note_operation
from ..settings import Settings
from .budget import ListGuard, ListTooLong, Over, operation_named, overlap_cost, result_size

__all__ = [
    "GraphQLLimits",
    "Limits",
    "OperationWatch",
    "document_budget_error",
    "result_size_error",
    "error_entry",
    "limit_error",
    "list_too_long_error",
    "limits_of",
    "message",
    "reset_watch",
    "watch_operation",
]

_DEFAULTS = Settings()

# ---------------------------------------------------------------------------------------
# Messages. Kept here rather than in service/i18n.py's catalogue while that file is being
# changed by the authentication work; `message` formats them the same way (numbers grouped
# per locale, English where a locale lacks a text).

_MESSAGES: dict[str, dict[str, str]] = {
    "query_too_deep": {
        "en": "This operation nests fields {depth} levels deep; at most {limit} are allowed.",
        "cs": "Tato operace vnořuje pole do hloubky {depth} úrovní; povoleno je nejvýše {limit}.",
        "sk": "Táto operácia vnára polia do hĺbky {depth} úrovní; povolených je najviac {limit}.",
        "de": "Diese Operation verschachtelt Felder {depth} Ebenen tief; erlaubt sind höchstens {limit}.",
        "nb": "Denne operasjonen nøster felt {depth} nivåer dypt; høyst {limit} er tillatt.",
        "sr-Latn": "Ova operacija ugnežđuje polja do dubine od {depth} nivoa; dozvoljeno je najviše {limit}.",
    },
    "too_many_aliases": {
        "en": "This operation uses {count} aliases; at most {limit} are allowed.",
        "cs": "Tato operace používá {count} aliasů; povoleno je nejvýše {limit}.",
        "sk": "Táto operácia používa {count} aliasov; povolených je najviac {limit}.",
        "de": "Diese Operation verwendet {count} Aliase; erlaubt sind höchstens {limit}.",
        "nb": "Denne operasjonen bruker {count} aliaser; høyst {limit} er tillatt.",
        "sr-Latn": "Ova operacija koristi {count} alijasa; dozvoljeno je najviše {limit}.",
    },
    "query_too_large": {
        "en": "The GraphQL document is too large: it has more than {limit} tokens (names, punctuation, values, comments).",
        "cs": "Dokument GraphQL je příliš velký: má více než {limit} tokenů (názvy, interpunkce, hodnoty, komentáře).",
        "sk": "Dokument GraphQL je príliš veľký: má viac ako {limit} tokenov (názvy, interpunkcia, hodnoty, komentáre).",
        "de": "Das GraphQL-Dokument ist zu groß: Es hat mehr als {limit} Token (Namen, Satzzeichen, Werte, Kommentare).",
        "nb": "GraphQL-dokumentet er for stort: det har mer enn {limit} tokener (navn, tegnsetting, verdier, kommentarer).",
        "sr-Latn": "GraphQL dokument je prevelik: ima više od {limit} tokena (imena, interpunkcija, vrednosti, komentari).",
    },
    "introspection_disabled": {
        "en": "Introspection is turned off on this service; the operation asks for {field}.",
        "cs": "Introspekce je v této službě vypnutá; operace se ptá na {field}.",
        "sk": "Introspekcia je v tejto službe vypnutá; operácia sa pýta na {field}.",
        "de": "Introspektion ist in diesem Dienst abgeschaltet; die Operation fragt nach {field}.",
        "nb": "Introspeksjon er slått av i denne tjenesten; operasjonen spør etter {field}.",
        "sr-Latn": "Introspekcija je isključena u ovom servisu; operacija traži {field}.",
    },
    "batch_too_large": {
        "en": "The request holds {count} operations; one batch may hold at most {limit}.",
        "cs": "Požadavek obsahuje {count} operací; jedna dávka smí obsahovat nejvýše {limit}.",
        "sk": "Požiadavka obsahuje {count} operácií; jedna dávka smie obsahovať najviac {limit}.",
        "de": "Die Anfrage enthält {count} Operationen; ein Stapel darf höchstens {limit} enthalten.",
        "nb": "Forespørselen inneholder {count} operasjoner; én bunt kan inneholde høyst {limit}.",
        "sr-Latn": "Zahtev sadrži {count} operacija; jedna grupa sme da sadrži najviše {limit}.",
    },
    "request_too_large": {
        "en": "The request body is larger than {limit} bytes, the most this service accepts.",
        "cs": "Tělo požadavku je větší než {limit} bajtů, což je nejvíc, co služba přijme.",
        "sk": "Telo požiadavky je väčšie ako {limit} bajtov, čo je najviac, čo služba prijme.",
        "de": "Der Anfragetext ist größer als {limit} Byte, das Höchstmaß, das dieser Dienst annimmt.",
        "nb": "Forespørselens innhold er større enn {limit} byte, det meste denne tjenesten tar imot.",
        "sr-Latn": "Telo zahteva je veće od {limit} bajtova, koliko ovaj servis najviše prima.",
    },
    "timeout": {
        "en": "The request took longer than its time limit ({limit} s) and was stopped.",
        "cs": "Požadavek trval déle, než je časový limit ({limit} s), a byl zastaven.",
        "sk": "Požiadavka trvala dlhšie, ako je časový limit ({limit} s), a bola zastavená.",
        "de": "Die Anfrage dauerte länger als ihr Zeitlimit ({limit} s) und wurde abgebrochen.",
        "nb": "Forespørselen tok lengre tid enn tidsgrensen ({limit} s) og ble stoppet.",
        "sr-Latn": "Zahtev je trajao duže od vremenskog ograničenja ({limit} s) i prekinut je.",
    },
    "timeout_mutation": {
        "en": "The mutation did not finish within its time limit ({limit} s). It may still complete: check its outcome before retrying it.",
        "cs": "Mutace nedoběhla v časovém limitu ({limit} s). Může se ještě dokončit: než ji zopakujete, ověřte její výsledek.",
        "sk": "Mutácia neskončila v časovom limite ({limit} s). Ešte sa môže dokončiť: pred zopakovaním overte jej výsledok.",
        "de": "Die Mutation wurde nicht innerhalb ihres Zeitlimits ({limit} s) fertig. Sie kann noch abgeschlossen werden: Prüfen Sie ihr Ergebnis, bevor Sie sie wiederholen.",
        "nb": "Mutasjonen ble ikke ferdig innen tidsgrensen ({limit} s). Den kan fortsatt fullføres: sjekk resultatet før du prøver igjen.",
        "sr-Latn": "Mutacija nije završena u okviru vremenskog ograničenja ({limit} s). Možda će se ipak izvršiti: proverite ishod pre nego što je ponovite.",
    },
    "bad_request": {
        "en": "This is not a valid GraphQL request: {reason}",
        "cs": "Toto není platný požadavek GraphQL: {reason}",
        "sk": "Toto nie je platná požiadavka GraphQL: {reason}",
        "de": "Dies ist keine gültige GraphQL-Anfrage: {reason}",
        "nb": "Dette er ikke en gyldig GraphQL-forespørsel: {reason}",
        "sr-Latn": "Ovo nije ispravan GraphQL zahtev: {reason}",
    },
    "query_too_complex": {
        "en": "This operation repeats fields too often to be checked: comparing its fields that share a name would cost more than {limit} units. Ask for each field once, or give repeats different aliases.",
        "cs": "Tato operace opakuje pole příliš často, než aby ji šlo ověřit: porovnání jejích polí se stejným názvem by stálo více než {limit} jednotek. Ptejte se na každé pole jednou, nebo opakováním dejte různé aliasy.",
        "sk": "Táto operácia opakuje polia príliš často na to, aby sa dala overiť: porovnanie jej polí s rovnakým názvom by stálo viac ako {limit} jednotiek. Pýtajte sa na každé pole raz, alebo opakovaniam dajte rôzne aliasy.",
        "de": "Diese Operation wiederholt Felder zu oft, um geprüft zu werden: Der Vergleich ihrer gleichnamigen Felder würde mehr als {limit} Einheiten kosten. Fragen Sie jedes Feld einmal ab oder geben Sie Wiederholungen verschiedene Aliase.",
        "nb": "Denne operasjonen gjentar felt for ofte til å kunne kontrolleres: å sammenligne feltene med samme navn ville koste mer enn {limit} enheter. Spør etter hvert felt én gang, eller gi gjentakelser ulike aliaser.",
        "sr-Latn": "Ova operacija previše često ponavlja polja da bi mogla da se proveri: poređenje njenih polja istog imena koštalo bi više od {limit} jedinica. Tražite svako polje jednom ili ponavljanjima dajte različite alijase.",
    },
    "query_too_costly": {
        "en": "This operation's answer could hold more than {limit} values (each list counted at the most it can hold, a connection at its `first`). Ask for smaller pages or fewer nested lists.",
        "cs": "Odpověď na tuto operaci by mohla obsahovat více než {limit} hodnot (každý seznam počítaný v největší možné délce, stránkování podle `first`). Žádejte menší stránky nebo méně vnořených seznamů.",
        "sk": "Odpoveď na túto operáciu by mohla obsahovať viac ako {limit} hodnôt (každý zoznam počítaný v najväčšej možnej dĺžke, stránkovanie podľa `first`). Žiadajte menšie stránky alebo menej vnorených zoznamov.",
        "de": "Die Antwort auf diese Operation könnte mehr als {limit} Werte enthalten (jede Liste in ihrer größtmöglichen Länge gezählt, eine Verbindung nach `first`). Fragen Sie kleinere Seiten oder weniger verschachtelte Listen ab.",
        "nb": "Svaret på denne operasjonen kan inneholde mer enn {limit} verdier (hver liste regnet med sin største lengde, en forbindelse etter `first`). Be om mindre sider eller færre nøstede lister.",
        "sr-Latn": "Odgovor na ovu operaciju mogao bi da sadrži više od {limit} vrednosti (svaka lista računata u najvećoj mogućoj dužini, stranica prema `first`). Tražite manje stranice ili manje ugnežđenih lista.",
    },
    "list_too_long": {
        "en": "The list {field} holds {count} items; at most {limit} are allowed.",
        "cs": "Seznam {field} obsahuje {count} položek; povoleno je nejvýše {limit}.",
        "sk": "Zoznam {field} obsahuje {count} položiek; povolených je najviac {limit}.",
        "de": "Die Liste {field} enthält {count} Einträge; erlaubt sind höchstens {limit}.",
        "nb": "Listen {field} inneholder {count} elementer; høyst {limit} er tillatt.",
        "sr-Latn": "Lista {field} sadrži {count} stavki; dozvoljeno je najviše {limit}.",
    },
    "input_object_too_large": {
        "en": "The value of {field} holds {count} keys; its type {type} has {limit} fields.",
        "cs": "Hodnota {field} obsahuje {count} klíčů; její typ {type} má {limit} polí.",
        "sk": "Hodnota {field} obsahuje {count} kľúčov; jej typ {type} má {limit} polí.",
        "de": "Der Wert von {field} enthält {count} Schlüssel; sein Typ {type} hat {limit} Felder.",
        "nb": "Verdien av {field} inneholder {count} nøkler; typen {type} har {limit} felt.",
        "sr-Latn": "Vrednost {field} sadrži {count} ključeva; njen tip {type} ima {limit} polja.",
    },
    "graphiql_disabled": {
        "en": "GraphiQL is not served by this service; send GraphQL operations to this address with POST.",
        "cs": "Tato služba GraphiQL neposkytuje; operace GraphQL posílejte na tuto adresu metodou POST.",
        "sk": "Táto služba GraphiQL neposkytuje; operácie GraphQL posielajte na túto adresu metódou POST.",
        "de": "Dieser Dienst stellt GraphiQL nicht bereit; senden Sie GraphQL-Operationen per POST an diese Adresse.",
        "nb": "Denne tjenesten tilbyr ikke GraphiQL; send GraphQL-operasjoner til denne adressen med POST.",
        "sr-Latn": "Ovaj servis ne nudi GraphiQL; šaljite GraphQL operacije na ovu adresu metodom POST.",
    },
}

_DECIMAL_COMMA = {"cs", "sk", "de", "nb", "sr-Latn"}


def _render(locale: str, value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return format_number(locale, value)
    if isinstance(value, float):
        text = f"{value:g}"
        return text.replace(".", ",") if locale in _DECIMAL_COMMA else text
    return value


def message(locale: str, key: str, /, **params: Any) -> str:
    templates = _MESSAGES[key]
    template = templates.get(locale) or templates[DEFAULT]
    return template.format_map({name: _render(locale, v) for name, v in params.items()})


def limit_error(
    locale: str, code: str, key: str, /, *, limit: Any = None, nodes: Any = None, **params: Any
) -> GraphQLError:
    """A GraphQLError with `extensions.code` (and `extensions.limit` when there is one)."""
    extensions: dict[str, Any] = {"code": code}
    if limit is not None:
        extensions["limit"] = limit
    return GraphQLError(message(locale, key, limit=limit, **params), nodes, extensions=extensions)


def error_entry(
    locale: str, code: str, key: str, /, *, request_id: str | None, limit: Any = None, **params: Any
) -> dict[str, Any]:
    """One formatted entry of a response's `errors`, for answers made outside GraphQL
    execution (body too large, batch too large, malformed requests, timeouts)."""
    error = limit_error(locale, code, key, limit=limit, **params)
    extensions = dict(error.extensions or {})
    if request_id:
        extensions["requestId"] = request_id
    return {"message": error.message, "extensions": extensions}


# ---------------------------------------------------------------------------------------
# Which limits apply to a request: the running service's settings, or the defaults when the
# schema is executed without the service's context (scripts, tests).


@dataclass(frozen=True)
class Limits:
    depth: int
    aliases: int
    tokens: int
    introspection: bool
    complexity: int = _DEFAULTS.max_query_complexity
    result_size: int = _DEFAULTS.max_result_size
    #: (default, largest) `first` of a connection: what result_size counts a page as.
    page: tuple[int, int] = (_DEFAULTS.default_page_size, _DEFAULTS.max_page_size)


def limits_of(context: Any) -> Limits:
    runtime = getattr(context, "runtime", None)
    return limits_of_settings(getattr(runtime, "settings", None) or _DEFAULTS)


#: id(settings) -> (settings, its limits): worked out once per settings, not per request.
_LIMITS: dict[int, tuple[Any, Limits]] = {}


def limits_of_settings(settings: Any) -> Limits:
    found = _LIMITS.get(id(settings))
    if found is None or found[0] is not settings:
        limits = Limits(
            depth=settings.max_query_depth,
            aliases=settings.max_aliases,
            tokens=settings.max_query_tokens,
            introspection=settings.allows_introspection,
            complexity=settings.max_query_complexity,
            result_size=settings.max_result_size,
            page=(settings.default_page_size, settings.max_page_size),
        )
        if len(_LIMITS) > 64:  # settings are made once per app; tests make many
            _LIMITS.clear()
        found = _LIMITS[id(settings)] = (settings, limits)
    return found[1]


# ---------------------------------------------------------------------------------------
# Depth and aliases


class _Measure:
    """Depth and alias counts of selection sets, each fragment measured once."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._depths: dict[str, int] = {}
        self._aliases: dict[str, int] = {}
        self._visiting: set[str] = set()

    def _fragment(self, name: str, memo: dict[str, int], measure) -> int:
        if name in memo:
            return memo[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self._visiting:  # unknown or a cycle: other rules report it
            return 0
        self._visiting.add(name)
        try:
            value = measure(fragment.selection_set)
        finally:
            self._visiting.discard(name)
        memo[name] = value
        return value

    def depth(self, selection_set: SelectionSetNode) -> int:
        """Fields on the longest path: `{ a }` is 1, `{ a { b } }` is 2."""
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__"):
                    continue  # introspection and __typename: see the module docstring
                below = self.depth(selection.selection_set) if selection.selection_set else 0
                found = 1 + below
            elif isinstance(selection, InlineFragmentNode):
                found = self.depth(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                found = self._fragment(selection.name.value, self._depths, self.depth)
            else:  # pragma: no cover - no other selections exist
                continue
            deepest = max(deepest, found)
        return deepest

    def aliases(self, selection_set: SelectionSetNode) -> int:
        """Aliased fields, a fragment's counted for every place it is spread."""
        count = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                count += selection.alias is not None
                if selection.selection_set:
                    count += self.aliases(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                count += self.aliases(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += self._fragment(selection.name.value, self._aliases, self.aliases)
        return count


def limit_rules(limits: Limits, locale: str) -> list[type[ValidationRule]]:
    """The validation rules that hold a document to `limits` (depth, aliases, and no
    introspection where it is off), their errors in `locale`: what Strawberry's path adds
    to graphql-core's rules, and what the fast path validates its cached documents with."""
    rules: list[type[ValidationRule]] = [_shape_rule(limits, locale)]
    if not limits.introspection:
        rules.append(_introspection_rule(locale))
    return rules


def _shape_rule(limits: Limits, locale: str) -> type[ValidationRule]:
    class OperationShapeRule(ValidationRule):
        """QUERY_TOO_DEEP and TOO_MANY_ALIASES, per operation."""

        def enter_document(self, node: DocumentNode, *_args: Any) -> None:
            measure = _Measure(node)
            for operation in node.definitions:
                if not isinstance(operation, OperationDefinitionNode):
                    continue
                try:
                    depth = measure.depth(operation.selection_set)
                except RecursionError:  # deeper than Python recurses: far past any limit
                    depth = math.inf
                if depth > limits.depth:
                    shown = depth if depth != math.inf else f"> {limits.depth}"
                    self.report_error(
                        limit_error(locale, "QUERY_TOO_DEEP", "query_too_deep", limit=limits.depth, depth=shown, nodes=operation)
                    )
                try:
                    aliases = measure.aliases(operation.selection_set)
                except RecursionError:
                    aliases = math.inf
                if aliases > limits.aliases:
                    shown = aliases if aliases != math.inf else f"> {limits.aliases}"
                    self.report_error(
                        limit_error(
                            locale, "TOO_MANY_ALIASES", "too_many_aliases", limit=limits.aliases, count=shown, nodes=operation
                        )
                    )

    return OperationShapeRule


def result_size_error(
    schema: Any, document: DocumentNode, operation: OperationDefinitionNode, variables: Any, limits: Limits, locale: str
) -> GraphQLError | None:
    """QUERY_TOO_COSTLY when `operation`'s answer could hold more values than the budget
    allows with these (raw) variables' page sizes, else None (service/schema/budget.py)."""
    try:
        result_size(schema, document, operation, page=limits.page, limit=limits.result_size, variables=variables or {})
    except Over:
        return limit_error(locale, "QUERY_TOO_COSTLY", "query_too_costly", limit=limits.result_size)
    return None


def document_budget_error(document: DocumentNode, limits: Limits, locale: str) -> GraphQLError | None:
    """QUERY_TOO_COMPLEX when checking `document` would cost graphql-core's validation more
    than the budget allows, else None. Call it after parsing and before validating a new
    document: Strawberry's path (`GraphQLLimits`), the fast path's document cache, and any
    other path that validates documents (subscriptions go through GraphQLLimits)."""
    try:
        overlap_cost(document, limits.complexity)
    except Over:
        return limit_error(locale, "QUERY_TOO_COMPLEX", "query_too_complex", limit=limits.complexity)
    return None


def list_too_long_error(found: ListTooLong, locale: str) -> GraphQLError:
    """LIST_TOO_LONG for a list input over its limit; `extensions.field` names the argument
    or input field, `extensions.coordinate` its schema coordinate (as the `limits` query
    reports it)."""
    if found.kind == "object":
        error = limit_error(
            locale, "INPUT_OBJECT_TOO_LARGE", "input_object_too_large", limit=found.limit, field=found.field, count=found.count, type=found.coordinate
        )
    else:
        error = limit_error(locale, "LIST_TOO_LONG", "list_too_long", limit=found.limit, field=found.field, count=found.count)
    error.extensions.update(field=found.field, coordinate=found.coordinate)
    return error


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _introspection_rule(locale: str) -> type[ValidationRule]:
    class NoIntrospectionRule(NoSchemaIntrospectionCustomRule):
        """graphql-core's rule, with our code and words, and one error per introspection
        field asked for (not one more for every field inside it)."""

        def enter_field(self, node: FieldNode, *args: Any) -> Any:
            self._field, self._reported = node.name.value, False
            super().enter_field(node, *args)
            return SKIP if self._reported else None

        def report_error(self, error: GraphQLError) -> None:
            self._reported = True
            super().report_error(
                limit_error(locale, "INTROSPECTION_DISABLED", "introspection_disabled", field=self._field, nodes=error.nodes)
            )

    return NoIntrospectionRule


# ---------------------------------------------------------------------------------------
# Which operation a request runs: the HTTP view needs to know whether a timed-out request
# was a mutation (left to finish) or a query (cancelled).


class OperationWatch:
    operation_type: OperationType | None = None

    @property
    def is_mutation(self) -> bool:
        return self.operation_type is OperationType.MUTATION


_WATCH: contextvars.ContextVar[OperationWatch | None] = contextvars.ContextVar("operation_watch", default=None)


def watch_operation(watch: OperationWatch) -> contextvars.Token:
    """Tasks started after this call (until the token is reset) report their operation's
    type to `watch`."""
    return _WATCH.set(watch)


def reset_watch(token: contextvars.Token) -> None:
    _WATCH.reset(token)


# ---------------------------------------------------------------------------------------
# The extension


_TOKEN_LIMIT = re.compile(r"Syntax Error: Document contains more than (\d+) tokens\. Parsing aborted\.")


class GraphQLLimits(SchemaExtension):
    """Sets the parser's token limit and adds the limit rules; turns graphql-core's token
    limit syntax error into QUERY_TOO_LARGE. List it after MaskInternalErrors, so that its
    rewrite happens first and the masking adds the request id."""

    def on_operation(self) -> Iterator[None]:
        ec = self.execution_context
        ctx = ec.context
        locale = getattr(ctx, "locale", DEFAULT)
        limits = limits_of(ctx)
        # `max_tokens` counts comments too (unlike `max_lexical_tokens`), so one limit
        # bounds the work of lexing whatever the document is made of.
        ec.parse_options["max_tokens"] = limits.tokens
        ec.validation_rules = (*ec.validation_rules, *limit_rules(limits, locale))
        self._limits, self._locale = limits, locale
        yield
        result = ec.result
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [self._recode(error, limits, locale) for error in errors]

    @staticmethod
    def _recode(error: GraphQLError, limits: Limits, locale: str) -> GraphQLError:
        if isinstance(error, GraphQLSyntaxError):
            match = _TOKEN_LIMIT.fullmatch(error.message)
            if match and int(match.group(1)) == limits.tokens:
                return limit_error(locale, "QUERY_TOO_LARGE", "query_too_large", limit=limits.tokens)
        return error

    def on_validate(self) -> Iterator[None]:
        # Before graphql-core's rules: a document over the budget is refused without them
        # (Strawberry skips validation when errors are already set).
        ec = self.execution_context
        if ec.graphql_document is not None and ec.pre_execution_errors is None:
            error = document_budget_error(ec.graphql_document, self._limits, self._locale)
            if error is not None:
                ec.pre_execution_errors = [error]
        yield

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        watch = _WATCH.get()
        if watch is not None:
            watch.operation_type = ec.operation_type
        note_operation(ec.operation_name, ec.operation_type)
        # Before graphql-core coerces the variables: a result set here is answered instead.
        schema, document = ec.schema._schema, ec.graphql_document
        operation = operation_named(document, ec.operation_name)
        if operation is not None:
            found = ListGuard(schema, operation, _fragments(document)).check(ec.variables)
            error = (
                list_too_long_error(found, self._locale)
                if found is not None
                else result_size_error(schema, document, operation, ec.variables, self._limits, self._locale)
            )
            if error is not None:
                ec.result = CoreExecutionResult(data=None, errors=[error])
        yield
