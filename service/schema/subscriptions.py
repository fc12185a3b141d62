"""Subscriptions: the open list and the screen pop, live (served over WebSocket by
service/websocket.py). Resolvers translate: the use cases (service/usecases/live.py) decide
who sees what; here events become GraphQL objects and failures top-level errors with a code."""

from __future__ import annotations

import enum
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import Info
from strawberry.types.graphql import OperationType

from ..domain.errors import UserError as DomainUserError
from ..i18n import DEFAULT, format_number
from ..pubsub import EventsLost, PubSubUnavailable, SubscriberTooSlow
from ..turns import take_turn
from ..usecases import live
from .context import to_graphql_error
from .mutations import RecordActivitySuccess
from .types import OpenListEntry

log = logging.getLogger("customer_context.live")

# Messages of the errors only subscriptions have. Kept here, beside the code that raises
# them, while service/i18n.py's catalogue is being changed by other work.
_MESSAGES: dict[str, dict[str, str]] = {
    "subscriber_too_slow": {
        "en": "This subscription fell more than {limit} events behind and was ended. Subscribe again and re-read what it shows.",
        "cs": "Toto odebírání se opozdilo o více než {limit} událostí a bylo ukončeno. Přihlaste se znovu a načtěte zobrazená data znovu.",
        "sk": "Toto odoberanie sa oneskorilo o viac ako {limit} udalostí a bolo ukončené. Prihláste sa znova a načítajte zobrazené údaje znova.",
        "de": "Dieses Abonnement lag mehr als {limit} Ereignisse zurück und wurde beendet. Abonnieren Sie erneut und laden Sie die angezeigten Daten neu.",
        "nb": "Dette abonnementet lå mer enn {limit} hendelser etter og ble avsluttet. Abonner på nytt og les inn det som vises på nytt.",
        "sr-Latn": "Ova pretplata je zaostala za više od {limit} događaja i prekinuta je. Pretplatite se ponovo i ponovo učitajte prikazane podatke.",
    },
    "events_lost": {
        "en": "Live updates were interrupted and some events may have been lost, so this subscription was ended. Re-read the lists, then subscribe again.",
        "cs": "Živé aktualizace byly přerušeny a některé události se mohly ztratit, proto bylo toto odebírání ukončeno. Načtěte seznamy znovu a pak se znovu přihlaste k odebírání.",
        "sk": "Živé aktualizácie boli prerušené a niektoré udalosti sa mohli stratiť, preto bolo toto odoberanie ukončené. Načítajte zoznamy znova a potom sa znova prihláste na odoberanie.",
        "de": "Live-Aktualisierungen wurden unterbrochen und einige Ereignisse sind möglicherweise verloren gegangen, daher wurde dieses Abonnement beendet. Laden Sie die Listen neu und abonnieren Sie dann erneut.",
        "nb": "Direkteoppdateringene ble avbrutt og noen hendelser kan ha gått tapt, så dette abonnementet ble avsluttet. Les listene inn på nytt, og abonner deretter på nytt.",
        "sr-Latn": "Ažuriranja uživo su prekinuta i neki događaji su možda izgubljeni, pa je ova pretplata prekinuta. Ponovo učitajte spiskove, pa se ponovo pretplatite.",
    },
    "subscriptions_unavailable": {
        "en": "Live updates are not available on this service right now. Try again later; until then, re-read the lists.",
        "cs": "Živé aktualizace teď v této službě nejsou k dispozici. Zkuste to později; do té doby seznamy načítejte znovu.",
        "sk": "Živé aktualizácie teraz v tejto službe nie sú k dispozícii. Skúste to neskôr; dovtedy zoznamy načítavajte znova.",
        "de": "Live-Aktualisierungen sind in diesem Dienst gerade nicht verfügbar. Versuchen Sie es später erneut; laden Sie die Listen bis dahin neu.",
        "nb": "Direkteoppdateringer er ikke tilgjengelige i denne tjenesten akkurat nå. Prøv igjen senere; les listene inn på nytt til da.",
        "sr-Latn": "Ažuriranja uživo trenutno nisu dostupna u ovom servisu. Pokušajte ponovo kasnije; do tada ponovo učitavajte spiskove.",
    },
    "too_many_subscriptions": {
        "en": "This connection already runs {limit} subscriptions, the most one connection may run. Complete one first.",
        "cs": "Toto spojení už má {limit} odebírání, nejvíc, kolik jedno spojení smí mít. Nejprve jedno ukončete.",
        "sk": "Toto spojenie už má {limit} odoberaní, najviac, koľko jedno spojenie smie mať. Najprv jedno ukončite.",
        "de": "Diese Verbindung hat bereits {limit} Abonnements, so viele, wie eine Verbindung haben darf. Beenden Sie zuerst eines.",
        "nb": "Denne forbindelsen har allerede {limit} abonnementer, det meste én forbindelse kan ha. Avslutt ett først.",
        "sr-Latn": "Ova veza već ima {limit} pretplata, koliko najviše jedna veza sme da ima. Prvo okončajte jednu.",
    },
    "websocket_required": {
        "en": "Subscriptions are served over WebSocket at /graphql (graphql-transport-ws protocol), not over HTTP.",
        "cs": "Odebírání (subscriptions) se obsluhuje přes WebSocket na /graphql (protokol graphql-transport-ws), ne přes HTTP.",
        "sk": "Odoberanie (subscriptions) sa obsluhuje cez WebSocket na /graphql (protokol graphql-transport-ws), nie cez HTTP.",
        "de": "Abonnements (Subscriptions) werden über WebSocket unter /graphql (Protokoll graphql-transport-ws) bedient, nicht über HTTP.",
        "nb": "Abonnementer (subscriptions) betjenes over WebSocket på /graphql (protokollen graphql-transport-ws), ikke over HTTP.",
        "sr-Latn": "Pretplate (subscriptions) se opslužuju preko WebSocketa na /graphql (protokol graphql-transport-ws), ne preko HTTP-a.",
    },
    "subscriptions_only": {
        "en": "Only subscriptions are served over WebSocket; send queries and mutations to /graphql with HTTP POST.",
        "cs": "Přes WebSocket se obsluhuje jen odebírání (subscription); dotazy a mutace posílejte na /graphql metodou HTTP POST.",
        "sk": "Cez WebSocket sa obsluhuje len odoberanie (subscription); dopyty a mutácie posielajte na /graphql metódou HTTP POST.",
        "de": "Über WebSocket werden nur Abonnements (Subscriptions) bedient; senden Sie Abfragen und Mutationen per HTTP POST an /graphql.",
        "nb": "Over WebSocket betjenes bare abonnementer (subscriptions); send spørringer og mutasjoner til /graphql med HTTP POST.",
        "sr-Latn": "Preko WebSocketa se opslužuju samo pretplate (subscriptions); upite i mutacije šaljite na /graphql metodom HTTP POST.",
    },
}


def message(locale: str, key: str, /, **params: Any) -> str:
    templates = _MESSAGES[key]
    template = templates.get(locale) or templates[DEFAULT]
    shown = {name: format_number(locale, v) if isinstance(v, int) else v for name, v in params.items()}
    return template.format_map(shown)


def coded_error(ctx: Any, code: str, key: str, /, *, limit: int | None = None) -> GraphQLError:
    """A top-level error with `extensions.code` (and `limit`), in the connection's language."""
    extensions: dict[str, Any] = {"code": code}
    params: dict[str, Any] = {}
    if limit is not None:
        extensions["limit"] = params["limit"] = limit
    return GraphQLError(message(getattr(ctx, "locale", DEFAULT), key, **params), extensions=extensions)


class _LiveStream:
    """A subscription's events as GraphQL objects; the ways a subscription can end early
    become errors with a code (the client hears why, then `complete`)."""

    def __init__(self, ctx: Any, source: Any, convert: Callable[[Any], Any]) -> None:
        self._ctx, self._source, self._convert = ctx, source, convert

    def __aiter__(self) -> _LiveStream:
        return self

    async def __anext__(self) -> Any:
        try:
            event = await self._source.__anext__()
        except SubscriberTooSlow as exc:
            raise coded_error(self._ctx, "SUBSCRIBER_TOO_SLOW", "subscriber_too_slow", limit=exc.limit) from None
        except EventsLost:
            raise coded_error(self._ctx, "EVENTS_LOST", "events_lost") from None
        except PubSubUnavailable:
            raise coded_error(self._ctx, "SUBSCRIPTIONS_UNAVAILABLE", "subscriptions_unavailable") from None
        # One event wakes every subscriber at once; resolving it for each in turns lets the
        # loop serve the network in between (service/turns.py).
        await take_turn()
        return self._convert(event)

    async def aclose(self) -> None:
        await self._source.aclose()


async def _start(info: Info, start: Callable[..., Any], agent_id: strawberry.ID | None, convert: Callable[[Any], Any]) -> _LiveStream:
    ctx = info.context
    try:
        source = await start(ctx.runtime, ctx.actor, str(agent_id) if agent_id is not None else None)
    except DomainUserError as err:
        raise to_graphql_error(err, ctx) from None
    except PubSubUnavailable as exc:
        log.warning("subscription refused: %s", exc)
        raise coded_error(ctx, "SUBSCRIPTIONS_UNAVAILABLE", "subscriptions_unavailable") from None
    return _LiveStream(ctx, source, convert)


class SubscriptionsNeedWebSocket(SchemaExtension):
    """Refuses a subscription sent over HTTP (WEBSOCKET_REQUIRED): Strawberry's HTTP view
    would run it once, as a query, with no event to show. Only the WebSocket view's contexts
    stream (service/websocket.py)."""

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.operation_type is OperationType.SUBSCRIPTION and not getattr(ec.context, "streams", False):
            error = coded_error(ec.context, "WEBSOCKET_REQUIRED", "websocket_required")
            if getattr(ec.context, "request_id", None):
                error.extensions["requestId"] = ec.context.request_id
            raise error
        yield


@strawberry.enum(description="How the open list changed.")
class OpenListChangeKind(enum.Enum):
    ADDED = strawberry.enum_value("ADDED", description="An unrecognised sender joined the open list (entry status OPEN).")
    JOINED = strawberry.enum_value(
        "JOINED",
        description="The entry's sender made another activity while waiting: it joined the entry (activityCount), "
        "which stays one entry on the open list.",
    )
    CREATED = strawberry.enum_value("CREATED", description="A customer was created from the entry; it left the open list.")
    ASSOCIATED = strawberry.enum_value(
        "ASSOCIATED", description="The entry's activity was associated with an existing customer; the entry left the open list."
    )
    DISCARDED = strawberry.enum_value("DISCARDED", description="The entry was closed and discarded; it left the open list.")


@strawberry.type(description="An entry joined or left an agent's open list.")
class OpenListChange:
    change: OpenListChangeKind = strawberry.field(description="What happened to the entry.")
    entry: OpenListEntry = strawberry.field(description="The entry as it is after the change.")


@strawberry.type(
    description="The screen pop: what the agent's desktop shows when an activity arrives, the same as recordActivity answered."
)
class ScreenPop(RecordActivitySuccess):
    """recordActivity's success fields, for whoever watches (RecordActivitySuccess.of)."""


def _open_list_change(change: live.OpenListChange) -> OpenListChange:
    return OpenListChange(change=OpenListChangeKind(change.kind), entry=OpenListEntry.from_domain(change.entry))


def _screen_pop(event: Any) -> ScreenPop:
    return ScreenPop.of(event)


_AGENT_ID = (
    "Only this agent's events. Left out: an agent gets its own, administrators and read-only staff everyone's. "
    "An agent naming another agent is refused (FORBIDDEN)."
)


@strawberry.type(
    description="Live updates, over WebSocket at /graphql with the graphql-transport-ws protocol; authenticate in "
    "connection_init ({\"authorization\": \"Bearer ...\"}). Staff only."
)
class Subscription:
    @strawberry.subscription(
        description="Entries joining the open list (ADDED), another activity of a waiting sender (JOINED) and entries leaving it (CREATED, ASSOCIATED, DISCARDED), from now on. "
        "Read openList first, then apply the changes."
    )
    async def open_list_changed(
        self, info: Info, agent_id: Annotated[strawberry.ID | None, strawberry.argument(description=_AGENT_ID)] = None
    ) -> AsyncIterator[OpenListChange]:
        return await _start(info, live.open_list_changes, agent_id, _open_list_change)

    @strawberry.subscription(
        description="The screen pop: every activity as it is recorded, with the recognised customer or the new open-list "
        "entry and the candidates."
    )
    async def activity_recorded(
        self, info: Info, agent_id: Annotated[strawberry.ID | None, strawberry.argument(description=_AGENT_ID)] = None
    ) -> AsyncIterator[ScreenPop]:
        return await _start(info, live.screen_pops, agent_id, _screen_pop)
