"""Refusals at the front door: requests answered before GraphQL sees them because of how they
arrived (a connection too slow or too large, a body that is not JSON, a content type that is
not `application/json`). Their messages in every locale, and the one JSON shape every error
of the service has: `{"errors": [{"message", "extensions": {"code", "requestId", ...}}]}`.

The messages live here rather than in service/i18n.py's catalogue or service/schema/limits.py's,
both of which other work changes at the same time; they are formatted the same way (numbers
grouped per locale, English where a locale lacks a text).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from .i18n import DEFAULT, format_number

#: `extensions.code` of each refusal; documented in docs/errors.md, never changed.
BAD_REQUEST = "BAD_REQUEST"
UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
HEADERS_TOO_LARGE = "HEADERS_TOO_LARGE"

MESSAGES: dict[str, dict[str, str]] = {
    "unsupported_media_type": {
        "en": "A POST body must be JSON sent with Content-Type: application/json; this request's Content-Type is {content_type}.",
        "cs": "Tělo požadavku POST musí být JSON odeslaný s Content-Type: application/json; tento požadavek má Content-Type {content_type}.",
        "sk": "Telo požiadavky POST musí byť JSON odoslaný s Content-Type: application/json; táto požiadavka má Content-Type {content_type}.",
        "de": "Der Rumpf eines POST muss JSON mit Content-Type: application/json sein; diese Anfrage hat Content-Type {content_type}.",
        "nb": "Innholdet i en POST må være JSON sendt med Content-Type: application/json; denne forespørselen har Content-Type {content_type}.",
        "sr-Latn": "Telo POST zahteva mora biti JSON poslat sa Content-Type: application/json; ovaj zahtev ima Content-Type {content_type}.",
    },
    "missing_media_type": {
        "en": "A POST body must be JSON sent with Content-Type: application/json; this request has no Content-Type.",
        "cs": "Tělo požadavku POST musí být JSON odeslaný s Content-Type: application/json; tento požadavek Content-Type nemá.",
        "sk": "Telo požiadavky POST musí byť JSON odoslaný s Content-Type: application/json; táto požiadavka Content-Type nemá.",
        "de": "Der Rumpf eines POST muss JSON mit Content-Type: application/json sein; diese Anfrage hat keinen Content-Type.",
        "nb": "Innholdet i en POST må være JSON sendt med Content-Type: application/json; denne forespørselen har ingen Content-Type.",
        "sr-Latn": "Telo POST zahteva mora biti JSON poslat sa Content-Type: application/json; ovaj zahtev nema Content-Type.",
    },
    "json_not_utf8": {
        "en": "{field} is not UTF-8 text, which JSON must be (the first wrong byte is at position {position}).",
        "cs": "{field} není text v UTF-8, jakým JSON musí být (první chybný bajt je na pozici {position}).",
        "sk": "{field} nie je text v UTF-8, akým JSON musí byť (prvý chybný bajt je na pozícii {position}).",
        "de": "{field} ist kein UTF-8-Text, was JSON sein muss (das erste falsche Byte steht an Position {position}).",
        "nb": "{field} er ikke UTF-8-tekst, som JSON må være (den første feile byten er på posisjon {position}).",
        "sr-Latn": "{field} nije UTF-8 tekst, a JSON to mora biti (prvi pogrešan bajt je na poziciji {position}).",
    },
    "json_malformed": {
        "en": "{field} is not valid JSON: it goes wrong at line {line}, column {column}.",
        "cs": "{field} není platný JSON: chyba je na řádku {line}, ve sloupci {column}.",
        "sk": "{field} nie je platný JSON: chyba je na riadku {line}, v stĺpci {column}.",
        "de": "{field} ist kein gültiges JSON: Der Fehler steht in Zeile {line}, Spalte {column}.",
        "nb": "{field} er ikke gyldig JSON: feilen er på linje {line}, kolonne {column}.",
        "sr-Latn": "{field} nije ispravan JSON: greška je u redu {line}, koloni {column}.",
    },
    "json_too_deep": {
        "en": "{field} nests arrays and objects more than {limit} levels deep, the most this service accepts.",
        "cs": "{field} vnořuje pole a objekty hlouběji než {limit} úrovní, což je nejvíc, co služba přijme.",
        "sk": "{field} vnára polia a objekty hlbšie ako {limit} úrovní, čo je najviac, čo služba prijme.",
        "de": "{field} verschachtelt Arrays und Objekte tiefer als {limit} Ebenen, das Höchstmaß, das dieser Dienst annimmt.",
        "nb": "{field} nøster lister og objekter dypere enn {limit} nivåer, det meste denne tjenesten tar imot.",
        "sr-Latn": "{field} ugnežđuje nizove i objekte dublje od {limit} nivoa, koliko ovaj servis najviše prima.",
    },
    "json_number": {
        "en": "{field} holds a number this service does not accept: {number}. Numbers must be finite and at most {limit} characters long.",
        "cs": "{field} obsahuje číslo, které služba nepřijímá: {number}. Čísla musí být konečná a mít nejvýše {limit} znaků.",
        "sk": "{field} obsahuje číslo, ktoré služba neprijíma: {number}. Čísla musia byť konečné a mať najviac {limit} znakov.",
        "de": "{field} enthält eine Zahl, die dieser Dienst nicht annimmt: {number}. Zahlen müssen endlich und höchstens {limit} Zeichen lang sein.",
        "nb": "{field} inneholder et tall denne tjenesten ikke tar imot: {number}. Tall må være endelige og høyst {limit} tegn lange.",
        "sr-Latn": "{field} sadrži broj koji ovaj servis ne prima: {number}. Brojevi moraju biti konačni i imati najviše {limit} znakova.",
    },
    "json_not_operation": {
        "en": "{field} must be a JSON object (one operation) or an array of them (a batch).",
        "cs": "{field} musí být objekt JSON (jedna operace) nebo jejich pole (dávka).",
        "sk": "{field} musí byť objekt JSON (jedna operácia) alebo ich pole (dávka).",
        "de": "{field} muss ein JSON-Objekt (eine Operation) oder ein Array davon (ein Stapel) sein.",
        "nb": "{field} må være et JSON-objekt (én operasjon) eller en liste av dem (en bunt).",
        "sr-Latn": "{field} mora biti JSON objekat (jedna operacija) ili niz takvih (grupa).",
    },
    "operation_name_type": {
        "en": "operationName must be a string or null.",
        "cs": "operationName musí být řetězec nebo null.",
        "sk": "operationName musí byť reťazec alebo null.",
        "de": "operationName muss eine Zeichenkette oder null sein.",
        "nb": "operationName må være en streng eller null.",
        "sr-Latn": "operationName mora biti niska ili null.",
    },
    "header_timeout": {
        "en": "The request's headers did not arrive within {limit} s; the connection is closed.",
        "cs": "Hlavičky požadavku nedorazily do {limit} s; spojení se uzavírá.",
        "sk": "Hlavičky požiadavky neprišli do {limit} s; spojenie sa uzatvára.",
        "de": "Die Kopfzeilen der Anfrage kamen nicht innerhalb von {limit} s an; die Verbindung wird geschlossen.",
        "nb": "Forespørselens hoder kom ikke fram innen {limit} s; forbindelsen lukkes.",
        "sr-Latn": "Zaglavlja zahteva nisu stigla u roku od {limit} s; veza se zatvara.",
    },
    "body_timeout": {
        "en": "The request body did not arrive within {limit} s; the connection is closed.",
        "cs": "Tělo požadavku nedorazilo do {limit} s; spojení se uzavírá.",
        "sk": "Telo požiadavky neprišlo do {limit} s; spojenie sa uzatvára.",
        "de": "Der Anfragetext kam nicht innerhalb von {limit} s an; die Verbindung wird geschlossen.",
        "nb": "Forespørselens innhold kom ikke fram innen {limit} s; forbindelsen lukkes.",
        "sr-Latn": "Telo zahteva nije stiglo u roku od {limit} s; veza se zatvara.",
    },
    "headers_too_large": {
        "en": "The request line and headers are larger than {limit} bytes, the most this service accepts.",
        "cs": "Řádek a hlavičky požadavku jsou větší než {limit} bajtů, což je nejvíc, co služba přijme.",
        "sk": "Riadok a hlavičky požiadavky sú väčšie ako {limit} bajtov, čo je najviac, čo služba prijme.",
        "de": "Anfragezeile und Kopfzeilen sind größer als {limit} Byte, das Höchstmaß, das dieser Dienst annimmt.",
        "nb": "Forespørselslinjen og hodene er større enn {limit} byte, det meste denne tjenesten tar imot.",
        "sr-Latn": "Linija i zaglavlja zahteva su veći od {limit} bajtova, koliko ovaj servis najviše prima.",
    },
    "bad_http": {
        "en": "This is not a valid HTTP request: {reason}",
        "cs": "Toto není platný požadavek HTTP: {reason}",
        "sk": "Toto nie je platná požiadavka HTTP: {reason}",
        "de": "Dies ist keine gültige HTTP-Anfrage: {reason}",
        "nb": "Dette er ikke en gyldig HTTP-forespørsel: {reason}",
        "sr-Latn": "Ovo nije ispravan HTTP zahtev: {reason}",
    },
}


def _render(locale: str, value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if type(value) is int:
        return format_number(locale, value)
    if isinstance(value, float):
        return f"{value:g}" if locale == DEFAULT else f"{value:g}".replace(".", ",")
    return value


def message(locale: str, key: str, /, **params: Any) -> str:
    """`key`'s text in `locale` (English where it has none), numbers written the locale's
    way (grouped digits, a decimal comma)."""
    template = MESSAGES[key].get(locale) or MESSAGES[key][DEFAULT]
    return template.format_map({name: _render(locale, value) for name, value in params.items()})


def error_entry(locale: str, code: str, key: str, /, *, request_id: str, limit: Any = None, field: str | None = None, **params: Any) -> dict[str, Any]:
    """One entry of a response's `errors`: the message, `code`, `requestId`, and `limit` and
    `field` when the refusal has them."""
    extensions: dict[str, Any] = {"code": code, "requestId": request_id}
    if limit is not None:
        extensions["limit"] = limit
    if field is not None:
        extensions["field"] = field
        params["field"] = field
    return {"message": message(locale, key, limit=limit, **params), "extensions": extensions}


def encode(body: Any) -> bytes:
    """JSON bytes of an answer. A client's text quoted back may hold a lone surrogate, which
    UTF-8 cannot carry: the standard library's ASCII escapes do (orjson refuses it)."""
    try:
        return orjson.dumps(body)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(body).encode("ascii")


class Refusal(Exception):
    """A request refused before GraphQL sees it: its status, code, message key and the
    message's parameters (`field`, `limit`, ...)."""

    def __init__(self, status: int, code: str, key: str, /, **params: Any) -> None:
        super().__init__(key)
        self.status, self.code, self.key, self.params = status, code, key, params

    def entry(self, locale: str, request_id: str) -> dict[str, Any]:
        return error_entry(locale, self.code, self.key, request_id=request_id, **self.params)
