"""Places as lists write them: a province to its ISO 3166-2 subdivision, and abbreviated
place names ("Stgo. de Cuba", "C. García", "Diez de Oct.") read as what they shorten.

Lists write the same province many ways: with or without accents, "Provincia de ...",
abbreviated ("Holg.", "Mtzas.", "Stgo. de Cuba", "Pinar"), by its old name ("Ciudad de La
Habana", the city province renamed La Habana in 2011; "Isla de Pinos" for the Isla de la
Juventud). :func:`province_key` turns such a text into the subdivision's code from ISO
3166-2 (through ``pycountry``) for the country the registry is in, so that the comparison
of two places sees one province, not two spellings. The province "La Habana" *before*
2011 was divided into Artemisa and Mayabeque, and the city province took its name (ISO
3166-2 newsletter II-3, 2011): "Provincia (de La) Habana" may mean either, so it is kept
as all three and agrees "similarly" with each.

A text that names no subdivision (a town typed in the province column, another country)
is kept as written, folded. Pure Python (``pycountry`` for the subdivision names).
"""

from __future__ import annotations

from functools import lru_cache

from detente.matching.names import fold

__all__ = ["COUNTRY", "abbreviates", "division_from_text", "province_key", "words_abbreviate"]

# The registry's country (ISO 3166-1 alpha-2); Django's settings set it at start-up.
COUNTRY = "CU"

# Words that say "this is a province" or join its name, never tell provinces apart.
_GENERIC = frozenset(
    {"provincia", "prov", "pcia", "pr", "de", "del", "la", "las", "los", "el", "ciudad", "cdad"}
)
_PROVINCE_WORDS = frozenset({"provincia", "prov", "pcia", "pr"})
_CITY_WORDS = frozenset({"ciudad", "cdad", "c"})
# Other names of subdivisions, by their code (old official names still written in lists).
_ALIASES: dict[str, tuple[str, ...]] = {
    "CU-99": ("Isla de Pinos",),
    "CU-03": ("Ciudad de La Habana", "Ciudad Habana", "C Habana"),
}
# Subdivisions divided since: an old name stands for its successors.
_DIVIDED: dict[str, tuple[str, ...]] = {"CU-02": ("CU-03", "CU-15", "CU-16")}
_HAVANA = "habana"


def abbreviates(short: str, word: str) -> bool:
    """Whether ``short`` is ``word`` or a shortening of it: the same first letter and the
    rest of its letters in order ("stgo" / "santiago", "holg" / "holguin", "oct" /
    "octubre"), as Spanish abbreviations are made."""
    if short == word:
        return True
    if not short or len(short) >= len(word) or short[0] != word[0]:
        return False
    if word.startswith(short):
        return True
    # Cut from inside, an abbreviation keeps the consonants ("Stgo", "Mtzas", "Gtmo"): a
    # word that keeps its vowels ("Ciego") is another word, not a shortening.
    if sum(letter in "aeiou" for letter in short[1:-1]) > 1:
        return False
    rest = iter(word[1:])
    return all(letter in rest for letter in short[1:])


def words_abbreviate(short: list[str], words: list[str]) -> bool:
    """Every word of ``short`` shortens a word of ``words``, in order, the first the
    first; and a word is written out in full, or four letters are given at least (two
    bare initials prove nothing)."""
    if not short or not words or len(short) > len(words):
        return False
    if not abbreviates(short[0], words[0]):
        return False
    position = 1
    for word in short[1:]:
        while position < len(words) and not abbreviates(word, words[position]):
            position += 1
        if position == len(words):
            return False
        position += 1
    return any(w in words for w in short) or sum(len(w) for w in short) >= 4


def _significant(text: str) -> list[str]:
    return [w for w in fold(text).split() if w not in _GENERIC]


@lru_cache(maxsize=8)
def _subdivisions(country: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(code, significant words of a name) for every name of every subdivision."""
    try:
        import pycountry

        found = pycountry.subdivisions.get(country_code=country) or []
    except (ImportError, KeyError, LookupError):
        found = []
    out: list[tuple[str, tuple[str, ...]]] = []
    for subdivision in sorted(found, key=lambda s: s.code):
        for name in (subdivision.name, *_ALIASES.get(subdivision.code, ())):
            words = tuple(_significant(name))
            if words:
                out.append((subdivision.code, words))
    return tuple(out)


@lru_cache(maxsize=4096)
def province_key(text: str, country: str | None = None) -> str:
    """The province as compared: ``"cu-13"`` for "Stgo. de Cuba", all the successors for the
    old Havana province (``"cu-03|cu-15|cu-16"``), the folded text when it names no
    subdivision ("" for none)."""
    folded = fold(text or "")
    if not folded:
        return ""
    country = country or COUNTRY
    words = _significant(text)
    every = folded.split()
    if words == [_HAVANA] and country == "CU":
        said = set(every)
        if said & _PROVINCE_WORDS and not said & _CITY_WORDS:
            return "|".join(code.lower() for code in _DIVIDED["CU-02"])
    codes = {code for code, name in _subdivisions(country) if words_abbreviate(words, list(name))}
    if len(codes) == 1:
        return codes.pop().lower()
    return folded


def division_from_text(text: str, country: str) -> str:
    """The division a province written loosely names ("Stgo. de Cuba" → "CU-13"), or ""
    when it names none or could be several (the old Havana province): what the registry
    stores for a person recorded or imported with a province written as text."""
    from detente.core.places import divisions  # reads Django's settings: not at import

    key = province_key(text or "", country).upper()
    return key if key in dict(divisions(country)) else ""
