"""Keys that let differently written names meet, and the blocking keys that find
candidate customers for fuzzy matching through an index instead of a scan.

`name_key` goes beyond `fold` (case, diacritics): spellings of one sound meet, so
"Jørgensen", "Joergensen" and "jorgensen"; "Müller" and "Mueller"; "Nowak" and "Novák";
"Hanssen" and "Hansen" give equal keys."""

from __future__ import annotations

import functools
import re

from .identity import Identity
from .normalize import fold

# Order matters: digraphs first, then letters, then doubled letters collapse.
# "dj" is how Đ is written without diacritics (Đorđević, Djordjević).
_DIGRAPHS = [("dj", "d"), ("oe", "o"), ("ae", "a"), ("ue", "u"), ("aa", "a"), ("ph", "f"), ("th", "t"), ("ck", "k"), ("qu", "kv")]
_LETTERS = str.maketrans({"w": "v", "y": "i", "q": "k", "x": "ks", "z": "s"})
_NON_LETTER = re.compile(r"[^a-z0-9]+")
_DOUBLE = re.compile(r"(.)\1+")
_VOWELS = re.compile(r"[aeiou]")
_WORD_BREAK = re.compile(r"[\s\-.,]+")


def name_key(text: str | None) -> str:
    """One word's matching key: folded, transliterated, doubled letters collapsed."""
    if not text:
        return ""
    return _name_key(text)


# Names repeat (a country has a few thousand common first and last names): every customer
# indexed at start-up and every fuzzy query asks for the same few keys again.
@functools.lru_cache(maxsize=1 << 16)
def _name_key(text: str) -> str:
    key = _NON_LETTER.sub("", fold(text))
    for digraph, single in _DIGRAPHS:
        key = key.replace(digraph, single)
    key = key.translate(_LETTERS)
    return _DOUBLE.sub(r"\1", key)


def name_words(text: str | None) -> list[str]:
    """The keys of each word of a name ("Jan Amos", "Nováková-Svobodová", "J.")."""
    if not text:
        return []
    return list(_name_words(text))


@functools.lru_cache(maxsize=1 << 16)
def _name_words(text: str) -> tuple[str, ...]:
    return tuple(k for k in (name_key(w) for w in _WORD_BREAK.split(text)) if k)


def skeleton(key: str) -> str:
    """The key without vowels after its first letter: survives vowel typos and swaps
    ("Novak", "Nvoak", "Novek" -> "nvk")."""
    return key[:1] + _VOWELS.sub("", key[1:]) if key else ""


def person_words(identity: Identity) -> list[str]:
    return name_words(identity.first_name) + name_words(identity.last_name)


def blocking_keys(identity: Identity) -> set[str]:
    """Keys under which a customer is indexed and a query looks: every ordered pair of name
    words (so swapped first and last names meet) as the first word's prefix and skeleton
    with the second word's initial (so initials and typos after the first letters meet);
    a lone word by its prefix and skeleton; organisation names by their words."""
    keys: set[str] = set()
    words = [w for w in person_words(identity) if w]
    if len(words) == 1:
        w = words[0]
        keys |= {f"p:{w[:4]}", f"s:{skeleton(w)[:4]}"}
    for a in words:
        if len(a) < 2:
            continue  # an initial only says something together with a longer word
        for b in words:
            if b is a:
                continue
            keys |= {f"p:{a[:3]}|{b[0]}", f"s:{skeleton(a)[:3]}|{b[0]}"}
    for w in name_words(identity.organization_name):
        if len(w) >= 3:
            keys |= {f"o:{w[:4]}", f"os:{skeleton(w)[:4]}"}
    return keys
