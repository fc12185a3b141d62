"""Languages for human-readable strings: negotiation, number grouping, message catalogue.

Only words change with the language; error codes and field paths never do. The locales are
the ones the product's users speak (see the seeds): English, Czech, Slovak, German,
Norwegian Bokmål and Serbian in Latin script.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["SUPPORTED", "DEFAULT", "CATALOGUE", "BESIDE_FIELD", "negotiate", "format_number", "translate", "translate_beside_field"]

SUPPORTED: tuple[str, ...] = ("en", "cs", "sk", "de", "nb", "sr-Latn")
DEFAULT = "en"

# ---------------------------------------------------------------------------------------
# Negotiation (RFC 9110 section 12.5.4 Accept-Language, RFC 4647 language ranges)

#: Longer headers are not parsed at all: no browser sends one, and parsing them is work an
#: attacker chooses.
MAX_HEADER_LENGTH = 4096

# language-range = (1*8ALPHA *("-" 1*8alphanum)) / "*"
_RANGE = re.compile(r"\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
# qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")

#: Primary language subtag (lower case) -> the supported locale that serves it.
_BY_PRIMARY: dict[str, str] = {
    "en": "en",
    "cs": "cs",
    "sk": "sk",
    "de": "de",
    # Norwegian: Bokmål, the macrolanguage, and Nynorsk (whose readers read Bokmål).
    "nb": "nb",
    "no": "nb",
    "nn": "nb",
    # Serbian in any script or region: we only have Latin, which every Serbian reads.
    "sr": "sr-Latn",
}

#: Ranges that name a supported locale's whole language, so that q=0 on them rules it out.
#: A narrower range ("de-AT;q=0", "sr-Cyrl;q=0") or a neighbour ("nn;q=0") does not: our
#: "de" is not Austrian German and our "nb" is not Nynorsk.
_WHOLE_LANGUAGE: dict[str, frozenset[str]] = {
    "en": frozenset({"en"}),
    "cs": frozenset({"cs"}),
    "sk": frozenset({"sk"}),
    "de": frozenset({"de"}),
    "nb": frozenset({"nb", "no"}),
    "sr-Latn": frozenset({"sr", "sr-latn"}),
}


def _parse(header: str) -> list[tuple[str, float]]:
    """(lower-cased range, weight) for every well-formed member of the list, in order."""
    ranges: list[tuple[str, float]] = []
    for part in header.split(","):
        tag, *params = (p.strip(" \t") for p in part.split(";"))
        if not tag:
            continue  # empty list elements are allowed and mean nothing
        if not _RANGE.fullmatch(tag):
            continue
        q = 1.0
        if params:
            if len(params) != 1:
                continue
            name, sep, value = params[0].partition("=")
            if not sep or name.strip(" \t").lower() != "q":
                continue
            value = value.strip(" \t")
            if not _QVALUE.fullmatch(value):
                continue
            q = float(value)
        ranges.append((tag.lower(), q))
    return ranges


@lru_cache(maxsize=256)
def _negotiate(header: str) -> str:
    ranges = _parse(header)

    # "*;q=0" refuses every language the header does not name; "de;q=0" refuses German.
    named = {_BY_PRIMARY.get(rng.split("-", 1)[0]) for rng, _ in ranges if rng != "*"}
    excluded = {
        locale
        for rng, q in ranges
        if q == 0
        for locale in SUPPORTED
        if (rng == "*" and locale not in named) or rng in _WHOLE_LANGUAGE[locale]
    }

    # (weight, specific beats "*" on a tie, earlier beats later on a tie, locale)
    best: tuple[float, int, int, str] | None = None
    for position, (rng, q) in enumerate(ranges):
        if q == 0:
            continue
        if rng == "*":
            allowed = [loc for loc in SUPPORTED if loc not in excluded]
            if not allowed:
                continue
            locale = DEFAULT if DEFAULT in allowed else allowed[0]
            specific = 0
        else:
            locale = _BY_PRIMARY.get(rng.split("-", 1)[0])
            if locale is None or locale in excluded:
                continue
            specific = 1
        candidate = (q, specific, -position, locale)
        if best is None or candidate[:3] > best[:3]:
            best = candidate
    return best[3] if best else DEFAULT


def negotiate(accept_language: str | None) -> str:
    """Pick the best supported locale from an HTTP Accept-Language header.

    Weights follow RFC 9110 (q=0 means "not this"; equal weights keep the header's order,
    and a named language beats "*"); "*" means any language, i.e. DEFAULT. Malformed
    members are ignored, nothing raises, and a missing, empty, non-string or over-long
    (> 4096 characters) header gives DEFAULT. Matching is by primary language subtag,
    case-insensitive: "cs-CZ" -> "cs", "no"/"nn" -> "nb", "sr-Cyrl-RS" -> "sr-Latn".
    """
    if not isinstance(accept_language, str) or len(accept_language) > MAX_HEADER_LENGTH:
        return DEFAULT
    try:
        return _negotiate(accept_language)
    except Exception:  # pragma: no cover - a header must never fail a request
        return DEFAULT


negotiate.cache_info = _negotiate.cache_info  # type: ignore[attr-defined]
negotiate.cache_clear = _negotiate.cache_clear  # type: ignore[attr-defined]

# ---------------------------------------------------------------------------------------
# Numbers

_NBSP = "\u00a0"

#: Thousands separator per locale (CLDR): a no-break space keeps "2 000" on one line.
_GROUP_SEPARATOR: dict[str, str] = {
    "en": ",",
    "cs": _NBSP,
    "sk": _NBSP,
    "de": ".",
    "nb": _NBSP,
    "sr-Latn": ".",
}


def format_number(locale: str, n: int) -> str:
    """Integer with the locale's digit grouping: en "2,000", de and sr-Latn "2.000",
    cs, sk and nb "2 000" with a no-break space (U+00A0). Unknown locales group as English."""
    separator = _GROUP_SEPARATOR.get(locale, _GROUP_SEPARATOR[DEFAULT])
    grouped = f"{abs(int(n)):,}".replace(",", separator)
    return f"-{grouped}" if n < 0 else grouped


# ---------------------------------------------------------------------------------------
# Messages
#
# Wording follows the seeds' terms: "open list" is "otevřený seznam" / "otvorený zoznam" /
# "offene Liste" / "den åpne listen" / "otvorena lista"; discarding is "Zahodit" /
# "Verwerfen" / "Fjern" / "Odbaci"; associating is "přidružit" / "zuordnen" / "knytte" /
# "povezati". {field} is a path such as "firstName" or "emails[1]", never translated.

CATALOGUE: dict[str, dict[str, str]] = {
    "unknown_customer": {
        "en": "Unknown customer",
        "cs": "Neznámý zákazník",
        "sk": "Neznámy zákazník",
        "de": "Unbekannter Kunde",
        "nb": "Ukjent kunde",
        "sr-Latn": "Nepoznati kupac",
    },
    "field_too_long": {
        "en": "{field} holds at most {limit} characters; {length} were sent.",
        "cs": "Pole {field} může obsahovat nejvýše {limit} znaků (odesláno: {length}).",
        "sk": "Pole {field} môže obsahovať najviac {limit} znakov (odoslané: {length}).",
        "de": "Das Feld {field} darf höchstens {limit} Zeichen enthalten; gesendet wurden {length}.",
        "nb": "Feltet {field} kan inneholde maks {limit} tegn, men {length} ble sendt.",
        "sr-Latn": "Polje {field} može da sadrži najviše {limit} znakova (poslato: {length}).",
    },
    "invalid_characters": {
        "en": "{field} holds a character that is not text at position {position} (a control character or a broken UTF-16 pair).",
        "cs": "Pole {field} obsahuje na pozici {position} znak, který není text (řídicí znak nebo neúplný pár UTF-16).",
        "sk": "Pole {field} obsahuje na pozícii {position} znak, ktorý nie je text (riadiaci znak alebo neúplný pár UTF-16).",
        "de": "Das Feld {field} enthält an Position {position} ein Zeichen, das kein Text ist (ein Steuerzeichen oder ein unvollständiges UTF-16-Paar).",
        "nb": "Feltet {field} inneholder et tegn som ikke er tekst i posisjon {position} (et kontrolltegn eller et ufullstendig UTF-16-par).",
        "sr-Latn": "Polje {field} na poziciji {position} sadrži znak koji nije tekst (kontrolni znak ili nepotpun UTF-16 par).",
    },
    "invisible_name": {
        "en": "{field} holds only invisible characters (such as zero-width spaces or joiners, format characters or combining marks without a letter); a name needs something a person can read.",
        "cs": "Pole {field} obsahuje jen neviditelné znaky (například mezery nulové šířky, spojovače, formátovací znaky nebo kombinující znaky bez písmene); jméno musí obsahovat něco, co člověk přečte.",
        "sk": "Pole {field} obsahuje len neviditeľné znaky (napríklad medzery nulovej šírky, spájače, formátovacie znaky alebo kombinujúce znaky bez písmena); meno musí obsahovať niečo, čo človek prečíta.",
        "de": "Das Feld {field} enthält nur unsichtbare Zeichen (etwa Leerzeichen ohne Breite, Verbinder, Formatzeichen oder kombinierende Zeichen ohne Buchstaben); ein Name braucht etwas, das ein Mensch lesen kann.",
        "nb": "Feltet {field} inneholder bare usynlige tegn (for eksempel mellomrom uten bredde, skjøtetegn, formateringstegn eller kombinerende tegn uten bokstav); et navn må ha noe et menneske kan lese.",
        "sr-Latn": "Polje {field} sadrži samo nevidljive znakove (na primer razmake nulte širine, spojnice, znakove za formatiranje ili kombinujuće znakove bez slova); ime mora da sadrži nešto što čovek može da pročita.",
    },
    "bidi_control": {
        "en": "{field} holds a character that changes the direction of text (a bidirectional control such as a right-to-left override) at position {position}; it can make a name show as another. Remove it.",
        "cs": "Pole {field} obsahuje na pozici {position} znak, který mění směr textu (obousměrný řídicí znak, například vynucení zprava doleva); jméno se tím může zobrazit jako jiné. Odstraňte ho.",
        "sk": "Pole {field} obsahuje na pozícii {position} znak, ktorý mení smer textu (obojsmerný riadiaci znak, napríklad vynútenie sprava doľava); meno sa tým môže zobraziť ako iné. Odstráňte ho.",
        "de": "Das Feld {field} enthält an Position {position} ein Zeichen, das die Schreibrichtung ändert (ein bidirektionales Steuerzeichen wie eine Rechts-nach-links-Überschreibung); ein Name kann dadurch als ein anderer erscheinen. Entfernen Sie es.",
        "nb": "Feltet {field} inneholder et tegn som endrer tekstretningen (et toveis kontrolltegn, for eksempel en høyre-til-venstre-overstyring) i posisjon {position}; et navn kan da vises som et annet. Fjern det.",
        "sr-Latn": "Polje {field} na poziciji {position} sadrži znak koji menja smer teksta (dvosmerni kontrolni znak, na primer nametanje smera zdesna nalevo); ime se zbog njega može prikazati kao neko drugo. Uklonite ga.",
    },
    "too_many_items": {
        "en": "{field} holds at most {limit} items; {count} were sent.",
        "cs": "Pole {field} může obsahovat nejvýše {limit} položek (odesláno: {count}).",
        "sk": "Pole {field} môže obsahovať najviac {limit} položiek (odoslané: {count}).",
        "de": "Das Feld {field} darf höchstens {limit} Einträge enthalten; gesendet wurden {count}.",
        "nb": "Feltet {field} kan inneholde maks {limit} elementer, men {count} ble sendt.",
        "sr-Latn": "Polje {field} može da sadrži najviše {limit} stavki (poslato: {count}).",
    },
    "invalid_email": {
        "en": "{field} is not a valid email address.",
        "cs": "Pole {field} neobsahuje platnou e-mailovou adresu.",
        "sk": "Pole {field} neobsahuje platnú e-mailovú adresu.",
        "de": "Das Feld {field} enthält keine gültige E-Mail-Adresse.",
        "nb": "Feltet {field} inneholder ikke en gyldig e-postadresse.",
        "sr-Latn": "Polje {field} ne sadrži važeću adresu e-pošte.",
    },
    "invalid_phone": {
        "en": "{field} is not a valid phone number in {region}, the default region; write it in the international form, e.g. {example}.",
        "cs": "Pole {field} neobsahuje platné telefonní číslo výchozí oblasti {region}; zadejte ho v mezinárodním tvaru, např. {example}.",
        "sk": "Pole {field} neobsahuje platné telefónne číslo predvolenej oblasti {region}; zadajte ho v medzinárodnom tvare, napr. {example}.",
        "de": "Das Feld {field} enthält keine gültige Telefonnummer der Standardregion {region}; geben Sie sie in internationaler Form an, z. B. {example}.",
        "nb": "Feltet {field} inneholder ikke et gyldig telefonnummer i standardregionen {region}; skriv det i internasjonal form, for eksempel {example}.",
        "sr-Latn": "Polje {field} ne sadrži važeći broj telefona podrazumevane oblasti {region}; unesite ga u međunarodnom obliku, na primer {example}.",
    },
    "time_out_of_range": {
        "en": "{field} must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in UTC.",
        "cs": "Pole {field} musí v UTC ležet mezi 0001-01-01T00:00:00Z a 9999-12-31T23:59:59Z.",
        "sk": "Pole {field} musí v UTC ležať medzi 0001-01-01T00:00:00Z a 9999-12-31T23:59:59Z.",
        "de": "Das Feld {field} muss in UTC zwischen 0001-01-01T00:00:00Z und 9999-12-31T23:59:59Z liegen.",
        "nb": "Feltet {field} må ligge mellom 0001-01-01T00:00:00Z og 9999-12-31T23:59:59Z i UTC.",
        "sr-Latn": "Polje {field} mora u UTC da bude između 0001-01-01T00:00:00Z i 9999-12-31T23:59:59Z.",
    },
    "invalid_value": {
        "en": "{field} has an invalid value: {reason}",
        "cs": "Pole {field} má neplatnou hodnotu: {reason}",
        "sk": "Pole {field} má neplatnú hodnotu: {reason}",
        "de": "Das Feld {field} hat einen ungültigen Wert: {reason}",
        "nb": "Feltet {field} har en ugyldig verdi: {reason}",
        "sr-Latn": "Polje {field} ima nevažeću vrednost: {reason}",
    },
    "customer_needs_identity": {
        "en": "A customer needs at least a name, an organisation name, an email address or a phone number.",
        "cs": "Zákazník musí mít alespoň jméno, název organizace, e-mailovou adresu nebo telefonní číslo.",
        "sk": "Zákazník musí mať aspoň meno, názov organizácie, e-mailovú adresu alebo telefónne číslo.",
        "de": "Ein Kunde braucht mindestens einen Namen, einen Organisationsnamen, eine E-Mail-Adresse oder eine Telefonnummer.",
        "nb": "En kunde må ha minst et navn, et organisasjonsnavn, en e-postadresse eller et telefonnummer.",
        "sr-Latn": "Kupac mora da ima bar ime, naziv organizacije, adresu e-pošte ili broj telefona.",
    },
    "contact_needs_identity": {
        "en": "A contact needs at least a first or last name, an email address or a phone number.",
        "cs": "Kontakt musí mít alespoň jméno nebo příjmení, e-mailovou adresu nebo telefonní číslo.",
        "sk": "Kontakt musí mať aspoň meno alebo priezvisko, e-mailovú adresu alebo telefónne číslo.",
        "de": "Ein Kontakt braucht mindestens einen Vor- oder Nachnamen, eine E-Mail-Adresse oder eine Telefonnummer.",
        "nb": "En kontakt må ha minst et fornavn eller etternavn, en e-postadresse eller et telefonnummer.",
        "sr-Latn": "Kontakt mora da ima bar ime ili prezime, adresu e-pošte ili broj telefona.",
    },
    "contact_not_found": {
        "en": "No contact has the id {id}.",
        "cs": "Žádný kontakt nemá ID {id}.",
        "sk": "Žiadny kontakt nemá ID {id}.",
        "de": "Kein Kontakt hat die ID {id}.",
        "nb": "Ingen kontakt har ID-en {id}.",
        "sr-Latn": "Nijedan kontakt nema ID {id}.",
    },
    "contact_missing_email": {
        "en": "This contact has no email address: nobody can communicate with it, so it gets neither copies of messages nor payment reminders.",
        "cs": "Kontakt nemá e-mailovou adresu: nelze s ním komunikovat, a proto nedostává kopie zpráv ani upomínky.",
        "sk": "Kontakt nemá e-mailovú adresu: nedá sa s ním komunikovať, preto nedostáva kópie správ ani upomienky.",
        "de": "Dieser Kontakt hat keine E-Mail-Adresse: Mit ihm kann niemand kommunizieren, daher erhält er weder Kopien von Nachrichten noch Zahlungserinnerungen.",
        "nb": "Denne kontakten har ingen e-postadresse: ingen kan kommunisere med den, så den får verken kopier av meldinger eller betalingspåminnelser.",
        "sr-Latn": "Ovaj kontakt nema adresu e-pošte: niko ne može da komunicira s njim, pa ne dobija ni kopije poruka ni opomene za plaćanje.",
    },
    "cannot_be_null": {
        "en": "{field} cannot be null: leave it out to keep its value.",
        "cs": "Pole {field} nemůže být null: vynechte ho, pokud má zůstat beze změny.",
        "sk": "Pole {field} nemôže byť null: vynechajte ho, ak má zostať bez zmeny.",
        "de": "{field} darf nicht null sein: Lassen Sie das Feld weg, um den Wert zu behalten.",
        "nb": "{field} kan ikke være null: utelat feltet for å beholde verdien.",
        "sr-Latn": "Polje {field} ne može biti null: izostavite ga da bi zadržalo vrednost.",
    },
    "too_many_contacts": {
        "en": "This customer already has {limit} contacts, the most one customer can have.",
        "cs": "Tento zákazník už má {limit} kontaktů, což je nejvyšší povolený počet.",
        "sk": "Tento zákazník už má {limit} kontaktov, čo je najvyšší povolený počet.",
        "de": "Dieser Kunde hat bereits {limit} Kontakte, die Höchstzahl für einen Kunden.",
        "nb": "Denne kunden har allerede {limit} kontakter, som er det høyeste antallet en kunde kan ha.",
        "sr-Latn": "Ovaj kupac već ima {limit} kontakata, što je najveći dozvoljeni broj.",
    },
    "duplicate_suspected": {
        "en": "This customer looks like existing customers (count: {count}). Check them; if this is a different customer, confirm it to create it.",
        "cs": "Tento zákazník se podobá existujícím zákazníkům (počet: {count}). Zkontrolujte je; pokud jde o jiného zákazníka, potvrďte vytvoření.",
        "sk": "Tento zákazník sa podobá existujúcim zákazníkom (počet: {count}). Skontrolujte ich; ak ide o iného zákazníka, potvrďte vytvorenie.",
        "de": "Dieser Kunde ähnelt {count} vorhandenen Kunden. Prüfen Sie diese; ist es ein anderer Kunde, bestätigen Sie das Anlegen.",
        "nb": "Denne kunden ligner eksisterende kunder (antall: {count}). Sjekk dem; er det en annen kunde, bekreft for å opprette den.",
        "sr-Latn": "Ovaj kupac liči na postojeće kupce (broj: {count}). Proverite ih; ako je reč o drugom kupcu, potvrdite kreiranje.",
    },
    "forbidden": {
        "en": "You are not allowed to do this.",
        "cs": "K této akci nemáte oprávnění.",
        "sk": "Na túto akciu nemáte oprávnenie.",
        "de": "Dazu sind Sie nicht berechtigt.",
        "nb": "Du har ikke tilgang til å gjøre dette.",
        "sr-Latn": "Nemate dozvolu za ovu radnju.",
    },
    "unauthenticated": {
        "en": "The request needs a valid bearer token (Authorization: Bearer ...).",
        "cs": "Požadavek vyžaduje platný token (Authorization: Bearer ...).",
        "sk": "Požiadavka vyžaduje platný token (Authorization: Bearer ...).",
        "de": "Die Anfrage braucht ein gültiges Token (Authorization: Bearer ...).",
        "nb": "Forespørselen krever et gyldig token (Authorization: Bearer ...).",
        "sr-Latn": "Zahtev zahteva važeći token (Authorization: Bearer ...).",
    },
    "account_exists": {
        "en": "This contact already has a customer account: rotate its credential or change its permissions instead.",
        "cs": "Tento kontakt už má zákaznický účet: místo toho obnovte jeho přihlašovací údaj nebo změňte oprávnění.",
        "sk": "Tento kontakt už má zákaznícke konto: namiesto toho obnovte jeho prihlasovací údaj alebo zmeňte oprávnenia.",
        "de": "Dieser Kontakt hat bereits ein Kundenkonto: Erneuern Sie stattdessen seine Zugangsdaten oder ändern Sie die Berechtigungen.",
        "nb": "Denne kontakten har allerede en kundekonto: forny påloggingsnøkkelen eller endre tillatelsene i stedet.",
        "sr-Latn": "Ovaj kontakt već ima nalog kupca: umesto toga obnovite njegov podatak za prijavu ili promenite dozvole.",
    },
    "no_account": {
        "en": "This contact has no customer account.",
        "cs": "Tento kontakt nemá zákaznický účet.",
        "sk": "Tento kontakt nemá zákaznícke konto.",
        "de": "Dieser Kontakt hat kein Kundenkonto.",
        "nb": "Denne kontakten har ingen kundekonto.",
        "sr-Latn": "Ovaj kontakt nema nalog kupca.",
    },
    "permissions_required": {
        "en": "{field}: give the account at least one permission.",
        "cs": "{field}: udělte účtu alespoň jedno oprávnění.",
        "sk": "{field}: udeľte kontu aspoň jedno oprávnenie.",
        "de": "{field}: Geben Sie dem Konto mindestens eine Berechtigung.",
        "nb": "{field}: gi kontoen minst én tillatelse.",
        "sr-Latn": "{field}: dodelite nalogu bar jednu dozvolu.",
    },
    "blank_attribute_key": {
        "en": "{field}: an attribute needs a non-empty key.",
        "cs": "{field}: atribut musí mít neprázdný klíč.",
        "sk": "{field}: atribút musí mať neprázdny kľúč.",
        "de": "{field}: Ein Attribut braucht einen nicht leeren Schlüssel.",
        "nb": "{field}: et attributt må ha en nøkkel som ikke er tom.",
        "sr-Latn": "{field}: atribut mora da ima ključ koji nije prazan.",
    },
    "duplicate_attribute_key": {
        "en": '{field}: the attribute key "{key}" appears more than once.',
        "cs": "{field}: klíč atributu „{key}“ se vyskytuje více než jednou.",
        "sk": "{field}: kľúč atribútu „{key}“ sa vyskytuje viac ako raz.",
        "de": "{field}: Der Attributschlüssel „{key}“ kommt mehr als einmal vor.",
        "nb": "{field}: attributtnøkkelen «{key}» forekommer mer enn én gang.",
        "sr-Latn": "{field}: ključ atributa „{key}“ pojavljuje se više puta.",
    },
    "customer_not_found": {
        "en": "No customer has the id {id}.",
        "cs": "Zákazník s ID {id} neexistuje.",
        "sk": "Zákazník s ID {id} neexistuje.",
        "de": "Es gibt keinen Kunden mit der ID {id}.",
        "nb": "Ingen kunde har ID-en {id}.",
        "sr-Latn": "Nijedan kupac nema ID {id}.",
    },
    "activity_not_found": {
        "en": "No activity has the id {id}.",
        "cs": "Aktivita s ID {id} neexistuje.",
        "sk": "Aktivita s ID {id} neexistuje.",
        "de": "Es gibt keine Aktivität mit der ID {id}.",
        "nb": "Ingen aktivitet har ID-en {id}.",
        "sr-Latn": "Nijedna aktivnost nema ID {id}.",
    },
    "open_list_entry_not_found": {
        "en": "No open-list entry has the id {id}.",
        "cs": "Položka otevřeného seznamu s ID {id} neexistuje.",
        "sk": "Položka otvoreného zoznamu s ID {id} neexistuje.",
        "de": "Es gibt keinen Eintrag der offenen Liste mit der ID {id}.",
        "nb": "Ingen oppføring i den åpne listen har ID-en {id}.",
        "sr-Latn": "Nijedna stavka otvorene liste nema ID {id}.",
    },
    "version_conflict": {
        "en": (
            "This record was changed by someone else: you edited version {expected}, the "
            "current version is {current}. Reload it and apply your changes again."
        ),
        "cs": (
            "Tento záznam mezitím změnil někdo jiný: upravovali jste verzi {expected}, "
            "aktuální verze je {current}. Načtěte ho znovu a proveďte změny ještě jednou."
        ),
        "sk": (
            "Tento záznam medzitým zmenil niekto iný: upravovali ste verziu {expected}, "
            "aktuálna verzia je {current}. Načítajte ho znova a vykonajte zmeny ešte raz."
        ),
        "de": (
            "Dieser Datensatz wurde inzwischen von jemand anderem geändert: Sie haben "
            "Version {expected} bearbeitet, aktuell ist Version {current}. Laden Sie ihn neu "
            "und nehmen Sie Ihre Änderungen erneut vor."
        ),
        "nb": (
            "Denne oppføringen er endret av noen andre: du redigerte versjon {expected}, "
            "gjeldende versjon er {current}. Last den inn på nytt og gjør endringene dine "
            "én gang til."
        ),
        "sr-Latn": (
            "Neko drugi je u međuvremenu izmenio ovaj zapis: uređivali ste verziju "
            "{expected}, a trenutna verzija je {current}. Ponovo ga učitajte i još jednom "
            "unesite izmene."
        ),
    },
    "already_created": {
        "en": "This open-list entry was already created as a customer.",
        "cs": "Z této položky otevřeného seznamu již byl vytvořen zákazník.",
        "sk": "Z tejto položky otvoreného zoznamu už bol vytvorený zákazník.",
        "de": "Aus diesem Eintrag der offenen Liste wurde bereits ein Kunde erstellt.",
        "nb": "Det er allerede opprettet en kunde fra denne oppføringen i den åpne listen.",
        "sr-Latn": "Od ove stavke otvorene liste već je kreiran kupac.",
    },
    "already_discarded": {
        "en": "This open-list entry was already discarded.",
        "cs": "Tato položka otevřeného seznamu již byla zahozena.",
        "sk": "Táto položka otvoreného zoznamu už bola zahodená.",
        "de": "Dieser Eintrag der offenen Liste wurde bereits verworfen.",
        "nb": "Denne oppføringen i den åpne listen er allerede fjernet.",
        "sr-Latn": "Ova stavka otvorene liste je već odbačena.",
    },
    "already_associated": {
        "en": (
            "This open-list entry was already resolved by associating its activity with an "
            "existing customer."
        ),
        "cs": (
            "Tato položka otevřeného seznamu již byla vyřízena přidružením její aktivity "
            "k existujícímu zákazníkovi."
        ),
        "sk": (
            "Táto položka otvoreného zoznamu už bola vybavená priradením jej aktivity "
            "k existujúcemu zákazníkovi."
        ),
        "de": (
            "Dieser Eintrag der offenen Liste wurde bereits erledigt, indem seine Aktivität "
            "einem vorhandenen Kunden zugeordnet wurde."
        ),
        "nb": (
            "Denne oppføringen i den åpne listen er allerede håndtert ved at aktiviteten ble "
            "knyttet til en eksisterende kunde."
        ),
        "sr-Latn": (
            "Ova stavka otvorene liste je već rešena povezivanjem njene aktivnosti sa "
            "postojećim kupcem."
        ),
    },
    "invalid_page_size": {
        "en": "{field} must be between {min} and {limit}.",
        "cs": "Hodnota {field} musí být od {min} do {limit}.",
        "sk": "Hodnota {field} musí byť od {min} do {limit}.",
        "de": "{field} muss zwischen {min} und {limit} liegen.",
        "nb": "{field} må være mellom {min} og {limit}.",
        "sr-Latn": "{field} mora da bude između {min} i {limit}.",
    },
    "invalid_cursor": {
        "en": "{field} is not a cursor this list gave out.",
        "cs": "Hodnota {field} není kurzor, který vydal tento seznam.",
        "sk": "Hodnota {field} nie je kurzor, ktorý vydal tento zoznam.",
        "de": "{field} ist kein Cursor, den diese Liste ausgegeben hat.",
        "nb": "{field} er ikke en markør som denne listen har gitt ut.",
        "sr-Latn": "{field} nije kursor koji je izdala ova lista.",
    },
    "internal_error": {
        "en": (
            "The request could not be completed because of an error in the service. Quote "
            "request id {requestId} when reporting it."
        ),
        "cs": (
            "Požadavek nelze dokončit kvůli chybě ve službě. Při nahlašování chyby uveďte "
            "ID požadavku {requestId}."
        ),
        "sk": (
            "Požiadavku sa nepodarilo dokončiť pre chybu v službe. Pri nahlasovaní chyby "
            "uveďte ID požiadavky {requestId}."
        ),
        "de": (
            "Die Anfrage konnte wegen eines Fehlers im Dienst nicht abgeschlossen werden. "
            "Geben Sie beim Melden die Anfrage-ID {requestId} an."
        ),
        "nb": (
            "Forespørselen kunne ikke fullføres på grunn av en feil i tjenesten. Oppgi "
            "forespørsels-ID {requestId} når du rapporterer feilen."
        ),
        "sr-Latn": (
            "Zahtev nije mogao da se završi zbog greške u usluzi. Kada prijavljujete grešku, "
            "navedite ID zahteva {requestId}."
        ),
    },
}


#: The same messages as they read beside the input they concern (UserError.fieldMessage): a
#: form shows them under a labelled field, where "emails[0].address" means nothing to the
#: person typing. Every CATALOGUE message that names {field} has its entry here (tests check
#: it); messages that name no field are shown as they are.
BESIDE_FIELD: dict[str, dict[str, str]] = {
    "field_too_long": {
        "en": "At most {limit} characters; {length} were entered.",
        "cs": "Nejvýše {limit} znaků (zadáno: {length}).",
        "sk": "Najviac {limit} znakov (zadané: {length}).",
        "de": "Höchstens {limit} Zeichen; eingegeben wurden {length}.",
        "nb": "Maks {limit} tegn, men {length} ble skrevet inn.",
        "sr-Latn": "Najviše {limit} znakova (uneto: {length}).",
    },
    "invalid_characters": {
        "en": "Position {position} holds a character that is not text (a control character or a broken UTF-16 pair).",
        "cs": "Na pozici {position} je znak, který není text (řídicí znak nebo neúplný pár UTF-16).",
        "sk": "Na pozícii {position} je znak, ktorý nie je text (riadiaci znak alebo neúplný pár UTF-16).",
        "de": "An Position {position} steht ein Zeichen, das kein Text ist (ein Steuerzeichen oder ein unvollständiges UTF-16-Paar).",
        "nb": "Posisjon {position} inneholder et tegn som ikke er tekst (et kontrolltegn eller et ufullstendig UTF-16-par).",
        "sr-Latn": "Na poziciji {position} je znak koji nije tekst (kontrolni znak ili nepotpun UTF-16 par).",
    },
    "invisible_name": {
        "en": "Only invisible characters were entered (such as zero-width spaces or joiners); enter a name a person can read.",
        "cs": "Zadány byly jen neviditelné znaky (například mezery nulové šířky nebo spojovače); zadejte jméno, které člověk přečte.",
        "sk": "Zadané boli len neviditeľné znaky (napríklad medzery nulovej šírky alebo spájače); zadajte meno, ktoré človek prečíta.",
        "de": "Es wurden nur unsichtbare Zeichen eingegeben (etwa Leerzeichen ohne Breite oder Verbinder); geben Sie einen lesbaren Namen ein.",
        "nb": "Bare usynlige tegn ble skrevet inn (for eksempel mellomrom uten bredde eller skjøtetegn); skriv et navn et menneske kan lese.",
        "sr-Latn": "Uneti su samo nevidljivi znakovi (na primer razmaci nulte širine ili spojnice); unesite ime koje čovek može da pročita.",
    },
    "bidi_control": {
        "en": "Position {position} holds a character that changes the direction of text (such as a right-to-left override); remove it.",
        "cs": "Na pozici {position} je znak, který mění směr textu (například vynucení zprava doleva); odstraňte ho.",
        "sk": "Na pozícii {position} je znak, ktorý mení smer textu (napríklad vynútenie sprava doľava); odstráňte ho.",
        "de": "An Position {position} steht ein Zeichen, das die Schreibrichtung ändert (etwa eine Rechts-nach-links-Überschreibung); entfernen Sie es.",
        "nb": "Posisjon {position} inneholder et tegn som endrer tekstretningen (for eksempel en høyre-til-venstre-overstyring); fjern det.",
        "sr-Latn": "Na poziciji {position} je znak koji menja smer teksta (na primer nametanje smera zdesna nalevo); uklonite ga.",
    },
    "too_many_items": {
        "en": "At most {limit} items; {count} were entered.",
        "cs": "Nejvýše {limit} položek (zadáno: {count}).",
        "sk": "Najviac {limit} položiek (zadané: {count}).",
        "de": "Höchstens {limit} Einträge; eingegeben wurden {count}.",
        "nb": "Maks {limit} elementer, men {count} ble skrevet inn.",
        "sr-Latn": "Najviše {limit} stavki (uneto: {count}).",
    },
    "invalid_email": {
        "en": "This is not a valid email address.",
        "cs": "Toto není platná e-mailová adresa.",
        "sk": "Toto nie je platná e-mailová adresa.",
        "de": "Das ist keine gültige E-Mail-Adresse.",
        "nb": "Dette er ikke en gyldig e-postadresse.",
        "sr-Latn": "Ovo nije važeća adresa e-pošte.",
    },
    "invalid_phone": {
        "en": "This is not a valid phone number in {region}; write it in the international form, e.g. {example}.",
        "cs": "Toto není platné telefonní číslo oblasti {region}; zadejte ho v mezinárodním tvaru, např. {example}.",
        "sk": "Toto nie je platné telefónne číslo oblasti {region}; zadajte ho v medzinárodnom tvare, napr. {example}.",
        "de": "Das ist keine gültige Telefonnummer der Region {region}; geben Sie sie in internationaler Form an, z. B. {example}.",
        "nb": "Dette er ikke et gyldig telefonnummer i regionen {region}; skriv det i internasjonal form, for eksempel {example}.",
        "sr-Latn": "Ovo nije važeći broj telefona oblasti {region}; unesite ga u međunarodnom obliku, na primer {example}.",
    },
    "time_out_of_range": {
        "en": "Must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in UTC.",
        "cs": "Musí v UTC ležet mezi 0001-01-01T00:00:00Z a 9999-12-31T23:59:59Z.",
        "sk": "Musí v UTC ležať medzi 0001-01-01T00:00:00Z a 9999-12-31T23:59:59Z.",
        "de": "Muss in UTC zwischen 0001-01-01T00:00:00Z und 9999-12-31T23:59:59Z liegen.",
        "nb": "Må ligge mellom 0001-01-01T00:00:00Z og 9999-12-31T23:59:59Z i UTC.",
        "sr-Latn": "Mora u UTC da bude između 0001-01-01T00:00:00Z i 9999-12-31T23:59:59Z.",
    },
    "invalid_value": {
        "en": "Invalid value: {reason}",
        "cs": "Neplatná hodnota: {reason}",
        "sk": "Neplatná hodnota: {reason}",
        "de": "Ungültiger Wert: {reason}",
        "nb": "Ugyldig verdi: {reason}",
        "sr-Latn": "Nevažeća vrednost: {reason}",
    },
    "cannot_be_null": {
        "en": "Cannot be null: leave it out to keep its value.",
        "cs": "Nemůže být null: vynechte pole, pokud má zůstat beze změny.",
        "sk": "Nemôže byť null: vynechajte pole, ak má zostať bez zmeny.",
        "de": "Darf nicht null sein: Lassen Sie das Feld weg, um den Wert zu behalten.",
        "nb": "Kan ikke være null: utelat feltet for å beholde verdien.",
        "sr-Latn": "Ne može biti null: izostavite polje da bi zadržalo vrednost.",
    },
    "permissions_required": {
        "en": "Give the account at least one permission.",
        "cs": "Udělte účtu alespoň jedno oprávnění.",
        "sk": "Udeľte kontu aspoň jedno oprávnenie.",
        "de": "Geben Sie dem Konto mindestens eine Berechtigung.",
        "nb": "Gi kontoen minst én tillatelse.",
        "sr-Latn": "Dodelite nalogu bar jednu dozvolu.",
    },
    "blank_attribute_key": {
        "en": "An attribute needs a non-empty key.",
        "cs": "Atribut musí mít neprázdný klíč.",
        "sk": "Atribút musí mať neprázdny kľúč.",
        "de": "Ein Attribut braucht einen nicht leeren Schlüssel.",
        "nb": "Et attributt må ha en nøkkel som ikke er tom.",
        "sr-Latn": "Atribut mora da ima ključ koji nije prazan.",
    },
    "duplicate_attribute_key": {
        "en": 'The attribute key "{key}" appears more than once.',
        "cs": "Klíč atributu „{key}“ se vyskytuje více než jednou.",
        "sk": "Kľúč atribútu „{key}“ sa vyskytuje viac ako raz.",
        "de": "Der Attributschlüssel „{key}“ kommt mehr als einmal vor.",
        "nb": "Attributtnøkkelen «{key}» forekommer mer enn én gang.",
        "sr-Latn": "Ključ atributa „{key}“ pojavljuje se više puta.",
    },
    "invalid_page_size": {
        "en": "Must be between {min} and {limit}.",
        "cs": "Musí být od {min} do {limit}.",
        "sk": "Musí byť od {min} do {limit}.",
        "de": "Muss zwischen {min} und {limit} liegen.",
        "nb": "Må være mellom {min} og {limit}.",
        "sr-Latn": "Mora da bude između {min} i {limit}.",
    },
    "invalid_cursor": {
        "en": "This is not a cursor this list gave out.",
        "cs": "Toto není kurzor, který vydal tento seznam.",
        "sk": "Toto nie je kurzor, ktorý vydal tento zoznam.",
        "de": "Das ist kein Cursor, den diese Liste ausgegeben hat.",
        "nb": "Dette er ikke en markør som denne listen har gitt ut.",
        "sr-Latn": "Ovo nije kursor koji je izdala ova lista.",
    },
}


def _render(locale: str, value: Any) -> Any:
    # bool is an int subclass, but "True" is not a number to group.
    if isinstance(value, int) and not isinstance(value, bool):
        return format_number(locale, value)
    return value


def translate(locale: str, key: str, /, **params: Any) -> str:
    """Message `key` in `locale`, English where the locale lacks it, placeholders filled.

    `locale` and `key` are positional-only so that a template may itself use {key} (as
    duplicate_attribute_key does) or {locale} as a placeholder.

    Integer parameters are grouped with format_number. An unknown key (or a missing
    parameter) raises KeyError: that is a bug in the caller, not something a user did.
    """
    templates = CATALOGUE[key]
    template = templates.get(locale) or templates[DEFAULT]
    return template.format_map({name: _render(locale, v) for name, v in params.items()})


def translate_beside_field(locale: str, key: str, /, **params: Any) -> str:
    """Message `key` as it reads beside the input it concerns: without the field's path
    (BESIDE_FIELD), or the message itself when it names no field. Same rules as translate."""
    templates = BESIDE_FIELD.get(key)
    if templates is None:
        return translate(locale, key, **params)
    template = templates.get(locale) or templates[DEFAULT]
    return template.format_map({name: _render(locale, v) for name, v in params.items()})
