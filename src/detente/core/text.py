"""Text folded for comparison: case, accents and punctuation removed.

One rule for every comparison of names and places: matching compares people's names
with it (``detente.matching.names``), and the forms sort countries and provinces by it
(``detente.core.places``). Pure Python; the ASCII table is built once at import.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold"]

# Apostrophes (straight, curly, modifier letter, grave and a lone acute accent) are deleted
# rather than turned into spaces, so "O'Farrill" and "OFarrill" agree and a stray accent typed
# after a letter ("Pe" + U+00B4 + "rez") disappears.
_APOSTROPHES = "'\u2019\u2018\u02bc`\u00b4"
_NON_WORD_RE = re.compile(r"[\W_]+")


def _fold_slow(text: str) -> str:
    # Repeat until stable: lower() can produce combining marks (U+0130 -> i + dot above) and
    # NFKD can produce capitals (U+210C -> H) or apostrophes (U+0149 -> U+02BC n), so a single
    # pass is not idempotent.
    previous = None
    while text != previous:
        previous = text
        text = unicodedata.normalize("NFKD", text)
        text = "".join(
            ch for ch in text if not unicodedata.combining(ch) and ch not in _APOSTROPHES
        )
        text = text.lower()
    return text


def _build_ascii_table() -> bytes:
    # Upper case to lower case, every other non-alphanumeric ASCII byte to a space.
    table = bytearray(b" " * 256)
    for byte in b"abcdefghijklmnopqrstuvwxyz0123456789":
        table[byte] = byte
    for byte in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        table[byte] = byte + 32
    return bytes(table)


_ASCII_TABLE = _build_ascii_table()
_ASCII_APOSTROPHES = b"'`"
# Anything that is neither ASCII nor a combining diacritic needs the general path.
_NEEDS_SLOW_FOLD_RE = re.compile("[^\x00-\x7f\u0300-\u036f]")


def fold(text: str) -> str:
    """Lower-case, strip diacritics, turn punctuation into spaces and collapse spaces.

    ``ñ`` becomes ``n``, ``ª``/``º`` become ``a``/``o`` (so "Mª" folds to "ma"), apostrophes
    are deleted (``"O'Farrill" -> "ofarrill"``). Letters of other scripts are kept (their
    diacritics removed). The result contains only word characters and single spaces, and
    ``fold(fold(x)) == fold(x)``.
    """
    if text.isascii():
        raw = text.encode("ascii")
    else:
        # Fast path for Latin text: after NFKD it is ASCII plus combining marks, and dropping
        # the non-ASCII bytes drops exactly the marks. NFKD would turn a lone acute accent into
        # a space, so it is deleted first like the other apostrophes.
        decomposed = unicodedata.normalize("NFKD", text.replace("\u00b4", ""))
        if _NEEDS_SLOW_FOLD_RE.search(decomposed):
            return _NON_WORD_RE.sub(" ", _fold_slow(text)).strip()
        raw = decomposed.encode("ascii", "ignore")
    return " ".join(raw.translate(_ASCII_TABLE, _ASCII_APOSTROPHES).decode("ascii").split())
