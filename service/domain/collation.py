"""Language-aware sort keys: lists sorted "alphabetically, as a person of that language expects".

`sort_key(text, locale)` returns a compact string whose plain string order (`<`, which is
also UTF-8 byte order and UTF-16 code-unit order, see "Key format") is the locale's
alphabetical order, so a store can keep the key next to the value and sort or range-query on
it without knowing anything about languages. Keys are only comparable with keys made for the
same locale.

The algorithm is a simplified Unicode Collation Algorithm (UTS #10) with the CLDR
tailorings of our locales, because PyICU is not available to us. Text is compared on three
levels, each only breaking the ties of the one before:

1. primary: the letters. Accents and case are ignored, unless the language makes the accented
   letter a letter of its own (Czech "č" after "c", Norwegian "å" after "ø", ...) or a pair of
   letters one letter (Czech/Slovak "ch" after "h", Serbian "lj" after "l", ...).
2. secondary: the accents ("Muller" < "Müller" < "Mullers": the accent only counts when the
   letters are equal).
3. tertiary: case, lower before upper ("novák" < "Novák"), and variants such as "ß" after
   "ss".

Primary order: a space < punctuation < other symbols (emoji among them) < digits < Latin
letters (in the locale's alphabet) < letters of other scripts, by code point. So
"Nov Ab" < "Nova" < "Novák", and "Van Der Berg" < "van Dijk" < "Vance". Spaces and
punctuation are not ignored ("non-ignorable", the CLDR/ICU default). Whitespace at the ends is
stripped and runs of it inside count as one space. None, blank text and text without a single
visible character sort after everything else.

Tailorings (CLDR "standard" collations; de has none, German dictionary order is root):

- en, de (root): accented letters are secondary variants of their base letter; ß = ss,
  æ = ae, œ = oe, þ = th (each a tertiary variant of the expansion); ø, đ, ð, ł, ħ, ŧ, ı are
  secondary variants of o, d, d, l, h, t, i.
- cs: c < č, h < ch, r < ř, s < š, z < ž.
- sk: a < ä, c < č, h < ch, o < ô, r < ř, s < š, z < ž.
- nb: æ < ø < å after z; ä ~ æ, ö ő ~ ø, ü ű ~ y (secondary); aa ~ å (tertiary); đ ð ~ d.
- sr-Latn: c < č < ć, d < dž < đ, l < lj, n < nj, s < š, z < ž.

Simplifications against CLDR/ICU, on purpose:

- Punctuation and symbols: the common ones (ASCII, Latin-1, quotes and dashes) follow the CLDR
  root order; typographic apostrophes, quotes and hyphens are tertiary variants of the ASCII
  ones so "O’Brien" sorts with "O'Brien". Every other symbol sorts after them by code point.
- Digits of every script share the ASCII digits' primaries (and differ from them on the
  tertiary level); numbers are compared digit by digit ("10" < "9"), as ICU does unless
  numeric collation is switched on.
- Letters outside the Latin tables sort by code point of their case-folded base letter, with
  the accents of the general-purpose combining blocks as secondary differences (Greek tonos;
  Cyrillic "ё" ~ "е", while "й", "ў" and "ї" stay letters of their own, which makes Russian
  order right). The marks of other scripts (Indic vowel signs, Hebrew points, Arabic
  harakat) sort as letters, by code point. Latin letters that no table lists (ŋ, ə, ...) come
  after the locale's whole alphabet, by code point.
- Digraphs are matched contiguously on the NFKC text, not with UCA's discontiguous
  matching; a pair of letters is not a digraph when one of them carries an accent. Serbian
  "dž" is always the digraph, also in words like "nadživeti" (ICU does the same).
- NFKC is applied first, so compatibility characters (ligatures "ﬁ", full-width letters,
  "ǅ", superscripts, "™") sort as their decomposition and are not told apart from it.
- No identical level: texts that differ only in normalisation or in the variant of an
  ignorable character get equal keys.

Key format: primary weights, "\\x01", secondary weights, "\\x01", tertiary weights. Each
collation element (a letter, a digraph, one half of "ß" = "ss", a digit, a space, ...) has one
weight on every level: one character (two for symbols other than the common ones and for
letters above U+BFFF; a letter with several accents has one per accent). The separator is lower than every weight, so comparing
keys compares primaries first. The secondary and tertiary levels drop their trailing default
(= lowest) weights, and empty trailing levels go with their separators; both keep the order,
because the default is the lowest weight. So plain lower-case text gets a key as long as
itself and "Nováková" one of 19 characters. A key is at most three characters per
character of its text, plus two, except for text of rare symbols, several accents on one
letter, or characters that expand ("ß" = "ss", "æ" = "ae", NFKD: "ﬃ", "㎒"). All
key characters are BMP characters outside the surrogate range, so Python's order, UTF-8 byte
order (MongoDB's binary comparison) and UTF-16 code-unit order (JavaScript) agree. Keys
change when these tables change: whoever stores them stores `COLLATION_VERSION` with them
and recomputes on a change.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable

__all__ = ["LOCALES", "COLLATION_VERSION", "sort_key"]

LOCALES: tuple[str, ...] = ("en", "cs", "sk", "de", "nb", "sr-Latn")

#: Bumped whenever a change to this module changes any key; stored keys of an older version
#: must be recomputed.
COLLATION_VERSION = 1

# ---------------------------------------------------------------------------------------
# Weights. Every level's weights are characters; the ranges below never overlap and are all
# BMP characters outside U+D800..U+DFFF.

_SEP = "\x01"  # between levels; lower than every weight
_BLANK = "\ufffd"  # the whole key of blank text; higher than the first character of any other

# Primary ranges (ascending): space, listed punctuation, other non-letters (two characters),
# digits, the locale's Latin alphabet, other letters (by code point).
_P_SPACE = "\x20"
_P_PUNCT = 0x21  # + rank in _PUNCTUATION
_P_SYMBOL = 0x100  # two characters: _P_SYMBOL + (cp >> 10), _P_SYMBOL + (cp & 0x3FF)
_P_DIGIT = 0x600  # + digit value
_P_LATIN = 0x700  # + rank in the locale's alphabet
_P_OTHER = 0x1000  # _code_point_weight()

# Secondary: the default, then the known marks in DUCET's order, then any other mark by code
# point.
_S_COMMON = "\x20"

# Tertiary.
_T_LOWER = "\x20"  # lower case or uncased: the default
_T_LOWER_VARIANT = "\x21"  # ß (vs ss), æ (vs ae), ’ (vs '), nb "aa" (vs å), non-ASCII digits
_T_MIXED = "\x22"  # a digraph whose first letter is lower case and another is not: "cH"
_T_UPPER = "\x23"  # an upper-case letter; a title-case digraph: "Ch"
_T_UPPER_VARIANT = "\x24"  # ẞ, Æ, "Aa"
_T_ALL_UPPER = "\x25"  # an all-upper-case digraph: "CH"
_T_ALL_UPPER_VARIANT = "\x26"  # "AA"


def _code_point_weight(cp: int) -> str:
    """One character for the BMP up to U+BFFF, two above; order-preserving, prefix-free."""
    if cp < 0xC000:
        return chr(_P_OTHER + cp)  # U+1000..U+CFFF
    return chr(0xE000 + (cp >> 12)) + chr(0x1000 + (cp & 0xFFF))  # lead U+E00C..U+E10F


def _symbol_weight(cp: int) -> str:
    return chr(_P_SYMBOL + (cp >> 10)) + chr(_P_SYMBOL + (cp & 0x3FF))  # lead < U+0540


# CLDR root order of the common punctuation and symbols (those NFKD leaves alone).
_PUNCTUATION = (
    "_-–—,;:!¡?¿.·'\"«»‹›()[]{}§¶@*/\\&#%‰†‡•`^°©®+±÷×<=>¬|¦~¤¢$£¥€"
)
_PUNCTUATION_WEIGHT = {c: chr(_P_PUNCT + i) for i, c in enumerate(_PUNCTUATION)}
# Typographic forms people and word processors substitute for the ASCII ones.
_PUNCTUATION_VARIANT = {
    "’": "'", "‘": "'", "‚": "'", "ʼ": "'",
    "“": '"', "”": '"', "„": '"',
    "‐": "-", "‒": "-", "−": "-",
}

# Combining marks, in DUCET's secondary order; then pseudo-marks for the letters that have no
# decomposition but are, in root, an accented form of another letter.
_MARK_ORDER = (
    "\u0301",  # acute
    "\u0300",  # grave
    "\u0306",  # breve
    "\u0302",  # circumflex
    "\u030c",  # caron
    "\u030a",  # ring above
    "\u0308",  # diaeresis
    "\u030b",  # double acute
    "\u0303",  # tilde
    "\u0307",  # dot above
    "\u0323",  # dot below
    "\u0327",  # cedilla
    "\u0328",  # ogonek
    "\u0304",  # macron
    "\u0309",  # hook above
    "\u031b",  # horn
    "\u0326",  # comma below
    "stroke",  # ø đ ł ħ ŧ
    "eth",  # ð
    "dotless",  # ı
)
_MARK_WEIGHT = {m: chr(0x21 + i) for i, m in enumerate(_MARK_ORDER)}


def _mark_weight(mark: str) -> str:
    weight = _MARK_WEIGHT.get(mark)
    return weight if weight is not None else _code_point_weight(ord(mark))


# The combining marks that attach to the letter before them as its accents: the
# general-purpose combining blocks (Latin, Greek and Cyrillic accents) and the variation
# selectors. The marks of other scripts (Indic vowel signs, Hebrew points, ...) are rather
# letters of their own there, and sort as other letters do, by code point.
_MARKS = (
    "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe00-\ufe0f\ufe20-\ufe2f"
    "\U000e0100-\U000e01ef"
)
_IS_MARKS = re.compile(f"[{_MARKS}]+").fullmatch
# Cyrillic letters that decompose to an accented "и", "у", "і", but are letters of their own
# in every language that uses them.
_KEEP_COMPOSED = frozenset("йЙўЎїЇ")
# In a level's weights (intermediate only): "the weights after me belong to the collation
# element before me", for combining marks that NFKC could not compose with their letter.
_ATTACH = "\x02"
# Noncharacters, which interchanged text never contains (and that we delete if it does),
# stand in for the digraphs while a key is made.
_PLACEHOLDERS = tuple(map(chr, range(0xFDD0, 0xFDF0)))
_NONCHARACTERS = re.compile("[\ufdd0-\ufdef]")
# In the all-levels table: a slot of an ignorable character, and the mark of a character
# whose weights do not fit one character per level.
_NOTHING = "\x00"
_MISFIT = "\x03\x03\x03"

# ---------------------------------------------------------------------------------------
# Tailorings

# A collation element spec: (letter of the alphabet, pseudo-marks / marks, is a tertiary variant).
_Spec = tuple[str, tuple[str, ...], bool]

_ROOT_ALPHABET = tuple("abcdefghijklmnopqrstuvwxyz")
_ROOT_VARIANTS: dict[str, tuple[_Spec, ...]] = {
    "ß": (("s", (), True), ("s", (), True)),
    "æ": (("a", (), True), ("e", (), True)),
    "œ": (("o", (), True), ("e", (), True)),
    "þ": (("t", (), True), ("h", (), True)),
    "ø": (("o", ("stroke",), False),),
    "đ": (("d", ("stroke",), False),),
    "ð": (("d", ("eth",), False),),
    "ł": (("l", ("stroke",), False),),
    "ħ": (("h", ("stroke",), False),),
    "ŧ": (("t", ("stroke",), False),),
    "ı": (("i", ("dotless",), False),),
}


def _alphabet(*insertions: tuple[str, Iterable[str]]) -> tuple[str, ...]:
    """The root alphabet with `letters` inserted after `anchor` (as a primary difference)."""
    letters = list(_ROOT_ALPHABET)
    for anchor, new in insertions:
        at = letters.index(anchor) + 1
        letters[at:at] = list(new)
    return tuple(letters)


_TAILORINGS: dict[str, tuple[tuple[str, ...], dict[str, tuple[_Spec, ...]]]] = {
    "en": (_ROOT_ALPHABET, {}),
    "cs": (_alphabet(("c", "č"), ("h", ["ch"]), ("r", "ř"), ("s", "š"), ("z", "ž")), {}),
    "sk": (
        _alphabet(("a", "ä"), ("c", "č"), ("h", ["ch"]), ("o", "ô"), ("r", "ř"), ("s", "š"),
                  ("z", "ž")),
        {},
    ),
    "nb": (
        _alphabet(("z", "æøå")),
        {
            "ä": (("æ", ("\u0308",), False),),
            "ö": (("ø", ("\u0308",), False),),
            "ő": (("ø", ("\u030b",), False),),
            "ü": (("y", ("\u0308",), False),),
            "ű": (("y", ("\u030b",), False),),
            "aa": (("å", (), True),),
        },
    ),
    "sr-Latn": (
        _alphabet(("c", "čć"), ("d", ["dž", "đ"]), ("l", ["lj"]), ("n", ["nj"]), ("s", "š"),
                  ("z", "ž")),
        {},
    ),
}


class _Table(dict):
    """code point -> weights, as str.translate reads them: of one level, or of all three (one
    character each). Filled on first sight of a character, up to a limit: text of a million
    different characters does not get a million cached entries."""

    LIMIT = 50_000

    def __init__(self, collator: _Collator, level: int) -> None:
        super().__init__()
        self._collator = collator
        self._level = level

    def __missing__(self, code_point: int) -> str:
        return self._collator.learn(code_point)[self._level]


class _Collator:
    """The tables of one locale.

    A key is made in a few C-speed string operations: NFKC; a regular expression that
    replaces the digraphs by placeholder characters; one str.translate from characters to
    the weights of all levels at once, which slicing takes apart; for the few characters whose
    weights are not one character per level (ß = ss, a mark NFKC could not compose with its
    letter, ...), one str.translate per level instead.
    """

    def __init__(self, alphabet: tuple[str, ...], variants: dict[str, tuple[_Spec, ...]]):
        nfd, nfc = (lambda s, f=f: unicodedata.normalize(f, s) for f in ("NFD", "NFC"))
        primary = {nfd(letter): chr(_P_LATIN + i) for i, letter in enumerate(alphabet)}
        # lower case, NFD -> its collation elements: (primary, intrinsic secondary, is variant)
        elements: dict[str, tuple[tuple[str, str, bool], ...]] = {}
        for text, specs in {**_ROOT_VARIANTS, **variants}.items():
            elements[nfd(text)] = tuple(
                (primary[nfd(letter)], "".join(map(_mark_weight, marks)), variant)
                for letter, marks, variant in specs
            )
        for letter, weight in primary.items():  # a letter of the alphabet beats a variant
            elements[letter] = ((weight, "", False),)
        # Letters, alone or with their accents ("č"), are found by learn(); digraphs are
        # replaced by placeholders first.
        self._elements = {k: v for k, v in elements.items() if len(nfc(k)) == 1}
        self._longest = max(map(len, self._elements))
        self.levels = (_Table(self, 0), _Table(self, 1), _Table(self, 2))
        self.all_levels = _Table(self, 3)

        # Digraphs ("ch", "lj", "dž", nb "aa") in every mix of case. One whose last letter
        # carries an accent of its own is no digraph.
        placeholders = iter(_PLACEHOLDERS)
        digraphs: dict[str, str] = {}
        for key, specs in elements.items():
            if len(nfc(key)) < 2:
                continue
            for form in map("".join, itertools.product(*((c, c.upper()) for c in nfc(key)))):
                placeholder = next(placeholders)
                self._enter(ord(placeholder), _weights(specs, form, ""))
                digraphs[form] = placeholder
        if digraphs:
            pattern = "|".join(
                re.escape(d) + ("" if len(nfd(d[-1])) > 1 else f"(?![{_MARKS}])")
                for d in sorted(digraphs, key=len, reverse=True)
            )
            replace = re.compile(pattern).sub
            self.digraphs = lambda text: replace(lambda m: digraphs[m.group()], text)
        else:
            self.digraphs = None

    def learn(self, code_point: int) -> tuple[str, str, str, str]:
        """The weights of a character no table names yet: primary, secondary, tertiary and
        all three in one. Entered into the tables while they have room."""
        char = chr(code_point)
        if _IS_MARKS(char):  # a mark NFKC could not compose with the letter before it
            weights = ("", _ATTACH + _mark_weight(char), "")
        else:
            decomposed = char if char in _KEEP_COMPOSED else unicodedata.normalize("NFD", char)
            if len(decomposed) > 1 and not _IS_MARKS(decomposed[1:]):
                decomposed = char  # Hangul syllables and the like: keep whole
            lower = decomposed.lower()
            # The longest letter of the table the character starts with ("å" in nb "ǻ"), or
            # none: the base letter then sorts as a character of no table.
            for n in range(min(len(lower), self._longest), 0, -1):
                specs = self._elements.get(lower[:n])
                if specs is not None:
                    break
            else:
                n, specs = 1, _character(decomposed[0])
            weights = _weights(specs, decomposed[:n], decomposed[n:])
        if len(self.all_levels) < _Table.LIMIT:
            return self._enter(code_point, weights)
        return (*weights, _all_levels(weights))

    def _enter(self, code_point: int, weights: tuple[str, str, str]) -> tuple[str, ...]:
        entry = (*weights, _all_levels(weights))
        for table, weight in zip((*self.levels, self.all_levels), entry):
            dict.__setitem__(table, code_point, weight)
        return entry


def _all_levels(weights: tuple[str, str, str]) -> str:
    if not any(weights):
        return _NOTHING * 3  # ignorable
    if all(len(w) == 1 for w in weights):
        return "".join(weights)
    return _MISFIT


def _weights(specs: tuple[tuple[str, str, bool], ...], form: str, marks: str
             ) -> tuple[str, str, str]:
    """(primary, secondary, tertiary) weights of collation elements `specs` standing for the
    letters `form` (of which only the case counts), with accents `marks` on the last one."""
    if not specs:
        return ("", "", "")  # ignorable
    upper = [c != c.lower() for c in form if not _IS_MARKS(c)]
    primary, secondary, tertiary = [], [], []
    for i, (p, s, variant) in enumerate(specs):
        if i == len(specs) - 1:
            s += "".join(map(_mark_weight, marks))
        primary.append(p)
        secondary.append(s or _S_COMMON)
        tertiary.append(_tertiary(upper, variant))
    return "".join(primary), "".join(secondary), "".join(tertiary)


def _character(c: str) -> tuple[tuple[str, str, bool], ...]:
    """The collation element of a character none of the locale's tables names."""
    category = unicodedata.category(c)
    if category[0] == "Z" or c.isspace():
        return ((_P_SPACE, "", False),)
    if category in ("Cc", "Cf", "Cs") or c in _PLACEHOLDERS:
        return ()
    digit = unicodedata.decimal(c, None)
    if digit is not None:
        return ((chr(_P_DIGIT + digit), "", not c.isascii()),)
    if c in _PUNCTUATION_WEIGHT:
        return ((_PUNCTUATION_WEIGHT[c], "", False),)
    if c in _PUNCTUATION_VARIANT:  # before letters: "ʼ" is a modifier letter
        return ((_PUNCTUATION_WEIGHT[_PUNCTUATION_VARIANT[c]], "", True),)
    if category[0] == "L":
        lower, folded = c.lower(), c.casefold()
        base = folded if len(folded) == 1 else lower if len(lower) == 1 else c
        return ((_code_point_weight(ord(base)), "", folded != lower),)
    if category[0] == "M":  # marks of other scripts; a mark with no letter before it
        return ((_code_point_weight(ord(c)), "", False),)
    return ((_symbol_weight(ord(c)), "", False),)  # symbols, unassigned, private use, ...


def _tertiary(upper: list[bool], variant: bool) -> str:
    if not any(upper):
        return _T_LOWER_VARIANT if variant else _T_LOWER
    if not upper[0]:
        return _T_MIXED
    if len(upper) > 1 and all(upper):
        return _T_ALL_UPPER_VARIANT if variant else _T_ALL_UPPER
    return _T_UPPER_VARIANT if variant else _T_UPPER


_COLLATORS = {code: _Collator(*tables) for code, tables in _TAILORINGS.items()}
_COLLATORS["de"] = _COLLATORS["en"]  # CLDR de "standard" is root: umlauts are accents

#: Primary language subtag -> locale, for codes a little off the ones in LOCALES ("cs-CZ",
#: "sr", "no"), as in service.i18n.
_BY_PRIMARY = {"en": "en", "cs": "cs", "sk": "sk", "de": "de", "nb": "nb", "no": "nb",
               "nn": "nb", "sr": "sr-Latn"}


def _collator(locale: str) -> _Collator:
    collator = _COLLATORS.get(locale)
    if collator is None:
        primary = str(locale or "").replace("_", "-").split("-")[0].lower()
        collator = _COLLATORS[_BY_PRIMARY.get(primary, "en")]
    return collator


@functools.lru_cache(maxsize=1 << 16)
def sort_key(text: str | None, locale: str) -> str:
    """A compact string whose plain Python string order (`<`) is the locale's alphabetical
    order of `text`.

    `locale` is one of LOCALES; other tags of the same language ("cs-CZ", "no") get its
    rules, unknown ones the 'en' (CLDR root) rules. None, blank text and text of invisible
    characters only get a key that sorts after every other text's key.

    Names repeat (thousands of Nováks): the keys of the last 65,536 distinct texts are kept,
    which makes building a directory sort index over millions of contacts several times
    faster.
    """
    if text is None:
        return _BLANK
    collator = _collator(locale)
    if not text.isascii():
        text = _NONCHARACTERS.sub("", unicodedata.normalize("NFKC", text))
    if collator.digraphs is not None:
        text = collator.digraphs(text)
    text = " ".join(text.split())
    weights = text.translate(collator.all_levels)
    if _MISFIT not in weights:  # one character per level and character: take them apart
        if _NOTHING in weights:
            weights = weights.replace(_NOTHING, "")
        primary, secondary, tertiary = weights[0::3], weights[1::3], weights[2::3]
    else:
        primary, secondary, tertiary = (text.translate(level) for level in collator.levels)
        if _ATTACH in secondary:
            # A mark's weight replaces the default weight of the element before it, or
            # follows that element's other weights.
            secondary = secondary.replace(_S_COMMON + _ATTACH, "").replace(_ATTACH, "")
    if not primary:
        return _BLANK  # blank, or invisible characters only
    secondary = secondary.rstrip(_S_COMMON)
    tertiary = tertiary.rstrip(_T_LOWER)
    return (primary + _SEP + secondary + _SEP + tertiary).rstrip(_SEP)
