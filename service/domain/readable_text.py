"""Whether a name can be read as what it is: not made of invisible characters only, and free
of the controls that reorder how text is shown.

A name of zero-width spaces looks blank on every screen yet is not blank to the service (it
is a customer nobody can find or tell apart); a right-to-left override makes "Jan Novák"
show as something else than it is (the "Trojan Source" trick, CVE-2021-42574). The rules
for names are in `validation.Problems.name`; this module only tells the characters apart.

Invisible: Unicode's Default_Ignorable_Code_Point characters, format characters and every
other character with nothing to see of its own. The standard library's `unicodedata` has no
Default_Ignorable_Code_Point property, but the general categories cover it but for four
Hangul fillers (letters by category, blank on screen), which are listed: format (Cf, which
includes the zero-width space, joiners, word joiner, BOM, soft hyphen and the bidirectional
controls), combining marks (Mn, Me: variation selectors, the grapheme joiner), spaces and
separators (Zs, Zl, Zp) and controls (Cc). The braille blank (U+2800) is added as it shows
nothing either. tests/test_domain_rules.py checks every assigned Default_Ignorable_Code_Point
of the Unicode data against this.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Mn", "Me", "Zs", "Zl", "Zp"})

#: Blank on screen though their category is a letter or symbol: the Hangul fillers
#: (Default_Ignorable_Code_Point, category Lo) and the braille pattern blank (So).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")

#: Bidirectional controls: embeddings and overrides (U+202A-U+202E), isolates
#: (U+2066-U+2069), the left-to-right and right-to-left marks and the Arabic letter mark.
#: The Unicode bidirectional algorithm orders Arabic and Hebrew names correctly without them.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def invisible(ch: str) -> bool:
    """Whether one character shows nothing of its own."""
    return ch in _BLANK_LETTERS or unicodedata.category(ch) in _INVISIBLE_CATEGORIES


def only_invisible(text: str) -> bool:
    """Whether `text` (not empty) has no character a person can see."""
    return all(map(invisible, text))


def without_bidi_controls(text: str) -> str:
    return BIDI_CONTROLS.sub("", text)
