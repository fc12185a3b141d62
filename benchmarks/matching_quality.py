"""Matching quality on a labelled data set: customers, corrupted duplicates, and people who
are not customers at all.

Builds N customers (Czech, Slovak, German, Norwegian and Serbian names, phones, emails,
addresses) and queries that describe one of them with realistic damage (typos,
transpositions, initials, swapped first and last names, transliterations, reformatted
phones, missing fields, a new address) or describe nobody in the store (including
namesakes of customers). Runs every strategy and prints, for the automatic association
(the decision recordActivity takes): precision and recall; and top-1 accuracy of the
candidate list. A threshold sweep for the fuzzy strategy shows what tuning would give.

    .venv/bin/python benchmarks/matching_quality.py [--customers 10000] [--queries 10000] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plugins.exact_match import ExactMatching  # noqa: E402
from plugins.fuzzy_match import FuzzyMatching  # noqa: E402
from plugins.memory import MemoryStore  # noqa: E402
from service.domain.association import automatic_choice  # noqa: E402
from service.domain.identity import Identity  # noqa: E402
from service.domain.records import Customer, EmailAddress, PhoneNumber, PostalAddress  # noqa: E402

LANGS = ["cs", "sk", "de", "nb", "sr"]
# Surnames are long-tailed: a few very common, thousands rare. Build each language's list
# from real roots and endings, and draw from it with Zipf-like weights.
ROOTS = {
    "cs": ["Nov", "Svob", "Dvoř", "Čern", "Proch", "Kuč", "Ves", "Hor", "Něm", "Pok", "Mar", "Růž", "Čap", "Šim", "Řezn", "Bart", "Kop", "Hol", "Vlč", "Krej", "Straš", "Bene", "Fiál", "Jel", "Zem", "Sed", "Kříž", "Hrub", "Blaž", "Kad"],
    "sk": ["Kov", "Horv", "Varg", "Tót", "Bal", "Hud", "Chov", "Orav", "Slov", "Lukáč", "Miháľ", "Krajč", "Ďuriš", "Polák", "Šteff", "Jurč", "Kollár", "Gaj", "Rus", "Bielik"],
    "de": ["Müll", "Schmid", "Schneid", "Fisch", "Weiß", "Schäf", "Köhl", "Groß", "Bäck", "Hoffm", "Wagn", "Beck", "Schulz", "Krüg", "Lang", "Schwarz", "Zimmerm", "Braun", "Hartm", "Vogel"],
    "nb": ["Hans", "Johans", "Ols", "Lars", "Jørgens", "Østb", "Ærl", "Ås", "Berg", "Haug", "Nils", "Kristians", "Bakk", "Solb", "Lund", "Dahl", "Strøm", "Moe", "Eid", "Holm"],
    "sr": ["Đorđ", "Jovan", "Petr", "Nikol", "Čol", "Ćir", "Ljub", "Mark", "Stojan", "Ilić", "Pavl", "Mil", "Živk", "Todor", "Radov", "Stank", "Vukov", "Lazar", "Kost", "Simon"],
}
ENDINGS = {
    "cs": ["ák", "ová", "ek", "ka", "ý", "ec", "íček", "ovský", "ič", "ál", "ička", "ný"],
    "sk": ["áč", "ová", "ík", "ský", "a", "ec", "iak", "ovič", "ár", "ka"],
    "de": ["er", "mann", "el", "ing", "en", "ert", "hofer", "ner", "ke", "s"],
    "nb": ["en", "sen", "rud", "stad", "dal", "berg", "lie", "vik", "haug", "nes"],
    "sr": ["ević", "ović", "ić", "ski", "anović", "ijević", "ac", "in", "ić", "ović"],
}
FIRST = {
    "cs": ["Jan", "Petr", "Pavel", "Jana", "Eva", "Lucie", "Tomáš", "Jiří", "Věra", "Zdeněk", "Kateřina", "Martin", "Josef", "Hana", "Lenka", "Michal", "Tereza", "Ondřej", "Alena", "Vojtěch"],
    "sk": ["Peter", "Zuzana", "Martina", "Juraj", "Ľubomír", "Mária", "Ján", "Katarína", "Michal", "Lucia", "Marek", "Silvia", "Ľudmila", "Štefan"],
    "de": ["Jürgen", "Anna", "Lukas", "Sophie", "Maximilian", "Grete", "Klaus", "Jörg", "Ursula", "Felix", "Jonas", "Hannah", "Günther", "Lea"],
    "nb": ["Ola", "Kari", "Lars", "Ingrid", "Søren", "Åse", "Bjørn", "Ørjan", "Nora", "Emma", "Jakob", "Sigrid", "Håkon", "Tove"],
    "sr": ["Đorđe", "Milica", "Nikola", "Jelena", "Dušan", "Ivana", "Marko", "Ana", "Stefan", "Jovana", "Miloš", "Teodora"],
}


def _surnames(lang: str) -> list[str]:
    return [root + ending for root in ROOTS[lang] for ending in ENDINGS[lang]]


SURNAMES = {lang: _surnames(lang) for lang in ROOTS}
ZIPF = {lang: [1 / (rank + 1) ** 0.9 for rank in range(len(names))] for lang, names in SURNAMES.items()}


def surname(rng: random.Random, lang: str) -> str:
    return rng.choices(SURNAMES[lang], weights=ZIPF[lang])[0]


CITIES = {"cs": ["Praha", "Brno", "Ostrava", "Plzeň"], "sk": ["Bratislava", "Košice", "Žilina"], "de": ["München", "Köln", "Berlin"],
          "nb": ["Oslo", "Bergen", "Trondheim"], "sr": ["Beograd", "Novi Sad", "Niš"]}
STREETS = ["Hlavní", "Dlouhá", "Nádražní", "Hauptstraße", "Storgata", "Kralja Petra", "Školská", "Lindenweg"]
PREFIX = {"cs": "+420 6", "sk": "+421 9", "de": "+49 151 ", "nb": "+47 9", "sr": "+381 6"}
DIGITS = {"cs": 8, "sk": 8, "de": 8, "nb": 7, "sr": 8}
TRANSLIT = {"ø": "oe", "æ": "ae", "å": "aa", "ü": "ue", "ö": "oe", "ä": "ae", "ß": "ss"}


def phone(rng: random.Random, lang: str) -> tuple[str, str]:
    body = "".join(rng.choice("0123456789") for _ in range(DIGITS[lang]))
    typed = PREFIX[lang] + body
    return typed, "+" + "".join(ch for ch in typed if ch.isdigit())


def make_customers(n: int, rng: random.Random) -> list[Customer]:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        lang = rng.choice(LANGS)
        first, last = rng.choice(FIRST[lang]), surname(rng, lang)
        phones = (PhoneNumber(*phone(rng, lang)),) if rng.random() < 0.8 else ()
        email = f"{first}.{last}{rng.randrange(100)}@example.eu".lower()
        emails = (EmailAddress(email, email),) if rng.random() < 0.7 else ()
        address = (
            PostalAddress(street=f"{rng.choice(STREETS)} {rng.randrange(1, 200)}", city=rng.choice(CITIES[lang]), postcode=str(rng.randrange(10000, 99999)))
            if rng.random() < 0.6
            else None
        )
        out.append(Customer(f"c{i:07d}", 1, now, now, "bench", first_name=first, last_name=last, phones=phones, emails=emails, address=address))
    return out


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["insert", "delete", "substitute", "transpose"])
    if kind == "insert":
        return word[:i] + rng.choice("aeiourn") + word[i:]
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if kind == "substitute":
        return word[:i] + rng.choice("aeioulnrst") + word[i + 1 :]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def reformat(rng: random.Random, e164: str) -> str:
    """The same number as a caller ID might show it (normalised again for the query)."""
    return e164  # formats differ on the wire; the identity carries the normalised E.164


@dataclass
class Query:
    identity: Identity
    truth: str | None  # the customer it describes, or None
    kind: str


def damaged(rng: random.Random, c: Customer) -> Query:
    first, last = c.first_name or "", c.last_name or ""
    damage = []
    if rng.random() < 0.35:
        last = typo(rng, last)
        damage.append("typo")
    if rng.random() < 0.2:
        first = typo(rng, first)
        damage.append("typo")
    if rng.random() < 0.15:
        first = first[0] + "."
        damage.append("initial")
    if rng.random() < 0.15:
        first, last = last, first
        damage.append("swapped")
    if rng.random() < 0.25:
        last = "".join(TRANSLIT.get(ch, ch) for ch in last)
        first = "".join(TRANSLIT.get(ch, ch) for ch in first)
        damage.append("translit")
    phones = tuple(reformat(rng, p.e164) for p in c.phones) if rng.random() < 0.6 else ()
    emails = tuple(e.normalized for e in c.emails) if rng.random() < 0.5 else ()
    address = c.address
    if address and rng.random() < 0.2:
        address = PostalAddress(street=f"{rng.choice(STREETS)} {rng.randrange(1, 200)}", city=address.city, postcode=str(rng.randrange(10000, 99999)))
        damage.append("moved")
    if rng.random() < 0.5:
        address = None
    channel = rng.choice(["call", "chat", "email", "form"])
    if channel == "call":  # caller ID, sometimes a name from the IVR
        ident = Identity(first_name=first if rng.random() < 0.3 else None, last_name=last if rng.random() < 0.3 else None, phones=phones)
    elif channel == "chat":
        ident = Identity(first_name=first, last_name=last, emails=emails if rng.random() < 0.3 else ())
    elif channel == "email":
        ident = Identity(first_name=first if rng.random() < 0.5 else None, last_name=last if rng.random() < 0.5 else None, emails=emails)
    else:
        ident = Identity(first_name=first, last_name=last, phones=phones, emails=emails, address=address)
    return Query(ident, c.id, f"{channel}:{'+'.join(sorted(set(damage))) or 'clean'}")


def stranger(rng: random.Random, customers: list[Customer]) -> Query:
    """Someone who is not a customer: a namesake of one (same name, own identifiers) or new."""
    lang = rng.choice(LANGS)
    if rng.random() < 0.5:
        c = rng.choice(customers)
        first, last = c.first_name, c.last_name
    else:
        first, last = rng.choice(FIRST[lang]), surname(rng, lang)
    phones = (phone(rng, lang)[1],) if rng.random() < 0.6 else ()
    email = f"{(first or '').lower()}.{(last or '').lower()}.{rng.randrange(10**6)}@other.eu"
    emails = (email,) if rng.random() < 0.5 else ()
    return Query(Identity(first_name=first, last_name=last, phones=phones, emails=emails), None, "stranger")


async def evaluate(strategy, store, queries: list[Query], threshold: float, margin: float):
    results = []
    for q in queries:
        if q.identity.is_empty:
            results.append((q, []))
            continue
        results.append((q, await strategy.candidates(q.identity, store, limit=5)))
    return results


def report(name: str, results, threshold: float, margin: float) -> tuple[float, float, float]:
    auto = correct = positives = top1 = 0
    for q, candidates in results:
        chosen = automatic_choice(candidates, threshold, margin)
        if q.truth is not None:
            positives += 1
            if candidates and candidates[0].customer_id == q.truth:
                top1 += 1
        if chosen is not None:
            auto += 1
            correct += chosen.customer_id == q.truth
    precision = correct / auto if auto else 1.0
    recall = correct / positives if positives else 0.0
    return precision, recall, top1 / positives if positives else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--margin", type=float, default=0.1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    customers = make_customers(args.customers, rng)
    queries = [damaged(rng, rng.choice(customers)) if rng.random() < 0.7 else stranger(rng, customers) for _ in range(args.queries)]
    store = MemoryStore()

    async def run():
        for c in customers:
            await store.insert_customer(c)
        out = {}
        for name, strategy in [("exact", ExactMatching()), ("fuzzy", FuzzyMatching())]:
            t = time.perf_counter()
            out[name] = await evaluate(strategy, store, queries, args.threshold, args.margin)
            out[name + "_seconds"] = time.perf_counter() - t
        return out

    results = asyncio.run(run())
    positives = sum(q.truth is not None for q in queries)
    by_id = {c.id: c for c in customers}

    def identifiable(q: Query) -> bool:
        """Carries something that singles its customer out: a shared phone or email, or a
        name with an address (a name alone never should: namesakes exist)."""
        c = by_id[q.truth]
        shared = set(q.identity.phones) & {p.e164 for p in c.phones} or set(q.identity.emails) & {e.normalized for e in c.emails}
        return bool(shared) or (q.identity.has_name and q.identity.address is not None and c.address is not None)

    ceiling = sum(identifiable(q) for q in queries if q.truth is not None) / positives
    print(f"{args.customers:,} customers; {len(queries):,} queries: {positives:,} describe a customer (damaged), {len(queries) - positives:,} describe nobody in the store")
    print(f"recall ceiling: {ceiling:.4f} of the damaged queries carry a shared phone or email, or a name with an address")
    print(f"automatic association at threshold {args.threshold}, margin {args.margin}\n")
    print(f"{'strategy':10} {'precision':>10} {'recall':>8} {'top-1':>8} {'ms/query':>9}")
    for name in ("exact", "fuzzy"):
        p, r, t1 = report(name, results[name], args.threshold, args.margin)
        print(f"{name:10} {p:>10.4f} {r:>8.4f} {t1:>8.4f} {results[name + '_seconds'] * 1000 / len(queries):>9.2f}")
    print("\nfuzzy, threshold sweep (margin %.2f):" % args.margin)
    print(f"{'threshold':>10} {'precision':>10} {'recall':>8}")
    for threshold in (0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99):
        p, r, _ = report("fuzzy", results["fuzzy"], threshold, args.margin)
        print(f"{threshold:>10.2f} {p:>10.4f} {r:>8.4f}")
    print("\nfuzzy misses and errors by kind of query (at the chosen threshold):")
    by_kind: dict[str, list[int]] = {}
    for q, candidates in results["fuzzy"]:
        chosen = automatic_choice(candidates, args.threshold, args.margin)
        row = by_kind.setdefault(q.kind.split(":")[0], [0, 0, 0])
        row[0] += 1
        if chosen is not None and chosen.customer_id != q.truth:
            row[1] += 1
        if q.truth is not None and (chosen is None or chosen.customer_id != q.truth):
            row[2] += 1
    print(f"{'kind':12} {'queries':>8} {'wrong auto':>10} {'missed':>8}")
    for kind, (n, wrong, missed) in sorted(by_kind.items()):
        print(f"{kind:12} {n:>8} {wrong:>10} {missed:>8}")


if __name__ == "__main__":
    main()
