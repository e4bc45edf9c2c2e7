"""Spanish-aware handling of personal names.

The same person turns up in different organisations' lists as "Ma. del Carmen Pérez
Gonzalez", "MARIA DEL CARMEN PEREZ", "Maricarmen Pérez G." or "PÉREZ GONZÁLEZ, María del
Carmen". This module turns such strings into comparable parts:

* :func:`fold` -- case, accents and punctuation removed (``detente.core.text``, where
  sorting by name uses it too);
* :func:`normalise_given` / :func:`normalise_surname` -- abbreviations expanded;
* :func:`parse_full_name` -- free text split into given names and both surnames;
* :func:`canonical_given` / :func:`given_variants` -- nicknames mapped to given names;
* :func:`phonetic_key` -- a key equal for spellings that sound alike in Spanish.

Everything is pure Python. Results of the hot functions are cached, so they must stay
pure; all tables are built once at import time.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from detente.core.text import fold
from detente.matching import hypocoristics as _data

__all__ = [
    "ParsedName",
    "canonical_given",
    "diminutive_base",
    "fold",
    "given_variants",
    "normalise_given",
    "normalise_surname",
    "parse_full_name",
    "phonetic_key",
]

# ---------------------------------------------------------------------------------------------
# Tables, folded once
# ---------------------------------------------------------------------------------------------


def _fold_set(words: frozenset[str]) -> frozenset[str]:
    return frozenset(fold(word) for word in words)


def _fold_map(mapping: dict[str, str]) -> dict[str, str]:
    return {fold(key): fold(value) for key, value in mapping.items()}


_HYPOCORISTICS: dict[str, tuple[str, ...]] = {
    fold(key): tuple(fold(value) for value in values) for key, values in _data.HYPOCORISTICS.items()
}
_GIVEN_ABBREVIATIONS = _fold_map(_data.GIVEN_ABBREVIATIONS)
_SURNAME_ABBREVIATIONS = _fold_map(_data.SURNAME_ABBREVIATIONS)
_SURNAME_LIKE_GIVEN = _fold_set(_data.SURNAME_LIKE_GIVEN)
_DEVOTIONAL = _fold_set(_data.DEVOTIONAL)
_DEVOTIONAL_SURNAME_LIKE = _fold_set(_data.DEVOTIONAL_SURNAME_LIKE)
_TITLES = _fold_set(_data.TITLES)

# Particles joining a compound surname or the devotional part of a given name.
_PARTICLES = frozenset({"de", "del", "la", "las", "los", "y"})
# Leading words that glue to the next one in surnames: "San Martín", "Santa Cruz".
_PREFIXES = frozenset({"san", "santa", "santo"})
# Words left out of ParsedName.given_tokens ("maria del carmen" -> maria, carmen).
_GIVEN_FILLERS = frozenset({"de", "del", "la", "las", "los", "el", "y"})

# ---------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------


def _expand_given(tokens: list[str]) -> list[str]:
    return [_GIVEN_ABBREVIATIONS.get(token, token) for token in tokens]


def _expand_surname(tokens: list[str]) -> list[str]:
    return [_SURNAME_ABBREVIATIONS.get(token, token) for token in tokens]


def _strip_leading_particles(tokens: list[str]) -> list[str]:
    if not tokens or tokens[0] not in _PARTICLES:
        return tokens
    start = 0
    while start < len(tokens) and tokens[start] in _PARTICLES:
        start += 1
    # A surname made of particles only ("De", a truncated "de la") is kept as written.
    return tokens[start:] if start < len(tokens) else tokens


def normalise_given(text: str) -> str:
    """Fold a given-name string and expand the usual abbreviations.

    ``"Ma. del Carmen"`` -> ``"maria del carmen"``, ``"Fco. Javier"`` -> ``"francisco
    javier"``, ``"Jno."`` -> ``"juan"`` (the old clerical abbreviation). Particles inside a
    compound given name are kept. Single letters stay as initials (``"M."`` -> ``"m"``, it could
    be María or Manuel). Nicknames are *not* mapped here; see :func:`canonical_given`.
    Idempotent.
    """
    return " ".join(_expand_given(fold(text).split()))


def normalise_surname(text: str, *, keep_particles: bool = False) -> str:
    """Fold a surname and expand abbreviations ("Rguez" -> "rodriguez", "Glez" -> "gonzalez").

    By default leading particles ("de", "del", "de la", "de los", "y", ...) are dropped, which
    is what a matching key wants: ``"de la Cruz"`` -> ``"cruz"``. Pass ``keep_particles=True``
    for a display-oriented form (``"de la cruz"``). "San"/"Santa" are not particles
    (``"San Martín"`` -> ``"san martin"``). A lone initial stays an initial (``"G."`` -> ``"g"``).
    Idempotent.
    """
    tokens = _expand_surname(fold(text).split())
    if not keep_particles:
        tokens = _strip_leading_particles(tokens)
    return " ".join(tokens)


# ---------------------------------------------------------------------------------------------
# Nicknames
# ---------------------------------------------------------------------------------------------

_MAX_VARIANTS = 32
# Spanish diminutives of given names: -ito/-ita, -cito/-cita, Cuban -ico/-ica, -illo/-illa.
_DIMINUTIVE_RE = re.compile(r"^(.{2,}?)(?:c?it|ic|ill)([oa])(s?)$")


@lru_cache(maxsize=16384)
def diminutive_base(word: str) -> str:
    """The given name a diminutive is made from, or "" when ``word`` is not one.

    ``"miguelito"`` -> ``"miguel"``, ``"robertico"`` -> ``"roberto"``, ``"martica"`` ->
    ``"marta"``, ``"carlitos"`` -> ``"carlos"``. Only a name of the vocabulary is accepted as
    the base, and a word that is itself a vocabulary name or a listed nickname is never
    read as a diminutive (Benito, Margarita, Federico, Lolita stay as they are).
    """
    if word in _HYPOCORISTICS or word in _GIVEN_NAMES:
        return ""
    match = _DIMINUTIVE_RE.match(word)
    if match is None:
        return ""
    stem, vowel, plural = match.groups()
    for candidate in (stem + vowel + plural, stem + plural, stem + vowel, stem):
        if candidate in _GIVEN_NAMES:
            return candidate
    return ""


def _readings(token: str) -> tuple[str, ...]:
    found = _HYPOCORISTICS.get(token)
    if found is not None:
        return found
    base = diminutive_base(token)
    return (base,) if base else (token,)


@lru_cache(maxsize=16384)
def given_variants(name: str) -> frozenset[str]:
    """Every canonical reading of a given name, nicknames resolved.

    ``"Beto"`` -> ``{"alberto", "roberto"}``; ``"Pepe Luis"`` -> ``{"jose luis"}``;
    ``"Mari Carmen"`` -> ``{"maria del carmen"}``; diminutives are read as their base name
    (``"Miguelito"`` -> ``{"miguel"}``, see :func:`diminutive_base`). Words that are not
    nicknames stay as they are, so a plain name yields itself. Two-word nicknames take
    precedence over one-word ones. Two names may refer to the same person when their
    variant sets intersect. At most 32 readings are returned (in practice one to four).
    """
    tokens = normalise_given(name).split()
    options: list[tuple[str, ...]] = []
    index = 0
    while index < len(tokens):
        if index + 1 < len(tokens):
            pair = f"{tokens[index]} {tokens[index + 1]}"
            if pair in _HYPOCORISTICS:
                options.append(_HYPOCORISTICS[pair])
                index += 2
                continue
        options.append(_readings(tokens[index]))
        index += 1
    readings = itertools.islice(itertools.product(*options), _MAX_VARIANTS)
    return frozenset(" ".join(reading) for reading in readings)


@lru_cache(maxsize=16384)
def canonical_given(token_or_name: str) -> str:
    """The preferred canonical reading of a given name (nicknames resolved, normalised).

    ``"Pepe"`` -> ``"jose"``, ``"Maricarmen"`` -> ``"maria del carmen"``, ``"Ma. del
    Carmen"`` -> ``"maria del carmen"``, ``"Beto"`` -> ``"alberto"`` (the first of several
    readings; use :func:`given_variants` to see them all). Idempotent.
    """
    tokens = normalise_given(token_or_name).split()
    out: list[str] = []
    index = 0
    while index < len(tokens):
        if index + 1 < len(tokens):
            pair = f"{tokens[index]} {tokens[index + 1]}"
            if pair in _HYPOCORISTICS:
                out.append(_HYPOCORISTICS[pair][0])
                index += 2
                continue
        out.append(_readings(tokens[index])[0])
        index += 1
    return " ".join(out)


# ---------------------------------------------------------------------------------------------
# Phonetic key
# ---------------------------------------------------------------------------------------------

_VOWELS = frozenset("aeiou")
_FRONT = frozenset("ei")
_LABIALS = frozenset("bvw")
_DOUBLES_RE = re.compile(r"(.)\1+")
_NASAL_RE = re.compile(r"n(?=[bp])")


@lru_cache(maxsize=65536)
def _phonetic_word(word: str) -> str:
    out: list[str] = []
    length = len(word)
    index = 0
    while index < length:
        ch = word[index]
        after = word[index + 1] if index + 1 < length else ""
        after2 = word[index + 2] if index + 2 < length else ""
        step = 1
        if ch in _VOWELS:
            code = ch
        elif ch in _LABIALS:
            code = "b"
        elif ch == "y":
            # y is a consonant only before a vowel; word-initial "yu" is the Cuban respelling
            # of English "ju" (Yunior).
            if after not in _VOWELS:
                code = "i"
            elif index == 0 and after == "u":
                code = "j"
            else:
                code = "y"
        elif ch == "l":
            if after == "l":
                code, step = "y", 2
            else:
                code = "l"
        elif ch == "h":
            code = ""
        elif ch == "c":
            if after == "h":
                code, step = "ch", 2
            elif after in _FRONT:
                code = "s"
            else:
                code = "k"
        elif ch == "q":
            if after == "u" and after2 in _FRONT:
                code, step = "k", 2
            else:
                code = "k"
        elif ch == "g":
            if after == "u" and after2 in _FRONT:
                code, step = "g", 2
            elif after in _FRONT:
                code = "j"
            else:
                code = "g"
        elif ch == "x":
            if index == 0:
                soft = after in ("e", "o") or (after == "i" and after2 in _VOWELS)
                code = "s" if soft else "j"
            else:
                code = "ks"
        elif ch == "z":
            code = "s"
        elif ch == "p" and after == "h":
            code, step = "f", 2
        else:
            code = ch
        out.append(code)
        index += step
    # Nasal assimilation first, so that "mnb" cannot leave a doubled "mm" behind.
    key = _DOUBLES_RE.sub(r"\1", _NASAL_RE.sub("m", "".join(out)))
    # A word that is all silent ("H.", an initial) keeps its letter so the word count holds.
    return key or word[:1]


@lru_cache(maxsize=65536)
def phonetic_key(text: str) -> str:
    """A Spanish phonetic key, one code word per folded word, separated by spaces.

    The key is written with ordinary letters so it stays readable (``"Vázquez"`` ->
    ``"baskes"``). Rules, applied left to right on the folded word:

    ============================  =======  ==========================================
    spelling                      code     examples made equal
    ============================  =======  ==========================================
    b, v, w                       b        Vilma/Bilma, Wilmer/Vilmer
    c+e/i, s, z                   s        Cesar/Sesar, Vazquez/Vasquez
    c (elsewhere), k, q, qu+e/i   k        Carina/Karina, Quintero/Kintero
    ch                            ch       (kept apart from k and s)
    g+e/i, j                      j        Gisela/Jisela, Gerardo/Jerardo
    gu+e/i                        g        Guillermo/Gillermo; Agüero/Aguero
    g (elsewhere)                 g        Garcia (hard g)
    h (not after c)               --       Hernandez/Ernandez, Yohandry/Yoandry
    ll, y before a vowel          y        Castillo/Castiyo, Llanes/Yanes
    y not before a vowel          i        Yoany/Yoani, Daimy/Daimí, Yordanys/Yordanis
    word-initial y+u              j        Yunior/Junior, Yudith/Judith
    word-initial x+a, x+i+cons.   j        Ximena/Jimena, Xavier/Javier
    word-initial x+e/o, x+i+vowel s        Xiomara/Siomara, Xenia/Senia
    x (not initial)               ks       Alexis
    ph                            f        Raphael/Rafael
    n before b/p (after coding)   m        Sanpedro/Sampedro, Envid/Embid
    repeated letters              once     Lissette/Lisette, Yoanny/Yoany, Aaron/Aron
    ============================  =======  ==========================================

    Deliberately *not* merged: final ``-s`` (Caribbean speech drops it, but Marco/Marcos and
    Torre/Torres are different names; leave that to fuzzy scoring), ``y``/``j`` before other
    vowels (Yanet and Janet, Yoel and Joel are distinct names), and vowels (Garcia and Gracia,
    Perez and Paez stay different). Digits and letters of other scripts are passed through; a
    word with no sound at all (the initial "H.") keeps its first letter, so the key always has as
    many words as the folded text.
    """
    return " ".join(_phonetic_word(word) for word in fold(text).split())


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------

_GIVEN_NAMES = _fold_set(_data.GIVEN_NAMES) | {
    word
    for text in itertools.chain(
        _HYPOCORISTICS, *_HYPOCORISTICS.values(), _GIVEN_ABBREVIATIONS.values()
    )
    for word in text.split()
    if word not in _GIVEN_FILLERS
}
_GIVEN_KEYS = frozenset(_phonetic_word(word) for word in _GIVEN_NAMES)

# Asides that must not be read as name parts: (...) [...] "..." '...' and curly or angle
# quotes; the register-style "(a) Pepe" (alias) removes everything after it.
_ASIDE_RE = re.compile(
    r"\(\s*a\s*\).*$"
    r"|\([^)]*\)|\[[^\]]*\]"
    r"|\"[^\"]*\"|(?<!\w)'[^']*'(?!\w)"
    r"|\u2018[^\u2019]*\u2019|\u201c[^\u201d]*\u201d|\u00ab[^\u00bb]*\u00bb",
    re.DOTALL | re.IGNORECASE,
)
# Cheap pre-check so that the regex only runs on the few names that can contain an aside.
_ASIDE_MARK_RE = re.compile("[([\"'\u2018\u201c\u00ab]")
_ALIAS_WORDS = frozenset({"alias", "aka"})


def _words(text: str) -> list[str]:
    """Folded words of ``text``, cut at an "alias"/"aka" marker."""
    words = fold(text).split()
    if _ALIAS_WORDS.isdisjoint(words):
        return words
    for position, word in enumerate(words):
        if word in _ALIAS_WORDS:
            return words[:position]
    return words


_Unit = tuple[str, ...]


@dataclass(frozen=True)
class ParsedName:
    """A personal name split into its parts, every part normalised.

    ``paternal`` and ``maternal`` are matching keys (abbreviations expanded, leading particles
    dropped: ``"cruz"``); ``paternal_full`` and ``maternal_full`` keep the particles
    (``"de la cruz"``) for display and for stricter comparison.
    """

    given: str
    paternal: str
    maternal: str
    given_tokens: tuple[str, ...]
    paternal_full: str = ""
    maternal_full: str = ""


def _group_units(tokens: list[str]) -> list[_Unit]:
    """Glue particles and "San"/"Santa" to the word that follows them."""
    if _PARTICLES.isdisjoint(tokens) and _PREFIXES.isdisjoint(tokens):
        return [(word,) for word in tokens]  # the common case, kept cheap
    units: list[_Unit] = []
    pending: list[str] = []
    for position, word in enumerate(tokens):
        # A leading "y" is the initial of Yoany, Yamila..., not the conjunction.
        is_particle = word in _PARTICLES and not (word == "y" and position == 0)
        if is_particle or (word in _PREFIXES and position < len(tokens) - 1):
            pending.append(word)
            continue
        units.append((*pending, word))
        pending = []
    if pending and not units:
        units.append(tuple(pending))
    # Otherwise trailing particles ("Pérez de") are debris from truncation and are dropped.
    return units


def _is_given_unit(unit: _Unit, surnames_left: int) -> bool:
    """Whether ``unit`` continues a run of given names, ``surnames_left`` units following it."""
    if surnames_left < 1:
        return False
    core = unit[-1]
    if len(unit) > 1:
        if any(token in _PREFIXES for token in unit):
            return False
        if core not in _DEVOTIONAL:
            return False
        return surnames_left >= 2 or core not in _DEVOTIONAL_SURNAME_LIKE
    if len(core) == 1:
        return True  # an initial: "José L. Pérez"
    core = _GIVEN_ABBREVIATIONS.get(core, core)
    if core in _SURNAME_LIKE_GIVEN:
        return surnames_left >= 2
    return core in _GIVEN_NAMES or _phonetic_word(core) in _GIVEN_KEYS


def _strip_titles(tokens: list[str]) -> list[str]:
    start = 0
    while start < len(tokens) - 1 and tokens[start] in _TITLES:
        start += 1
    return tokens[start:]


def _build(given_units: list[_Unit], surname_units: list[_Unit]) -> ParsedName:
    given_words = [_GIVEN_ABBREVIATIONS.get(word, word) for unit in given_units for word in unit]
    if _GIVEN_FILLERS.isdisjoint(given_words):
        given_tokens = tuple(given_words)
    else:
        # Fillers are dropped except in last place, where "y" can only be an initial.
        given_tokens = (
            *(word for word in given_words[:-1] if word not in _GIVEN_FILLERS),
            *given_words[-1:],
        )
    paternal_words: list[str] = []
    maternal_words: list[str] = []
    if surname_units:
        paternal_words = [_SURNAME_ABBREVIATIONS.get(word, word) for word in surname_units[0]]
        maternal_words = [
            _SURNAME_ABBREVIATIONS.get(word, word) for unit in surname_units[1:] for word in unit
        ]
    paternal_full = " ".join(paternal_words)
    maternal_full = " ".join(maternal_words)
    # Positional arguments: measurably cheaper than keywords on this hot path.
    return ParsedName(
        " ".join(given_words),
        " ".join(_strip_leading_particles(paternal_words)) if paternal_words else "",
        " ".join(_strip_leading_particles(maternal_words)) if maternal_words else "",
        given_tokens,
        paternal_full,
        maternal_full,
    )


@lru_cache(maxsize=65536)
def parse_full_name(text: str, *, surname_first: bool = False) -> ParsedName:
    """Split a free-text personal name into given names, paternal and maternal surname.

    Accepted shapes:

    * ``"GIVEN PATERNAL MATERNAL"`` -- ``"José Luis Rodríguez Cardet"``;
    * ``"PATERNAL MATERNAL, GIVEN"`` -- ``"PÉREZ GONZÁLEZ, José Luis"`` (text after a second
      comma is ignored; a missing part before or after the comma is left empty);
    * ``"PATERNAL MATERNAL GIVEN"`` without a comma, only when the caller says so with
      ``surname_first=True`` (the order of an import's column is known, not guessed);
    * one surname missing (``"María Pérez"``), a surname reduced to an initial
      (``"Maricarmen Pérez G."`` -> maternal ``"g"``), a single word (given name only; with
      ``surname_first`` it is read as the paternal surname).

    Heuristic. The text is folded, asides are removed (``(...)``, quotes, anything after
    "alias" or "(a)"), leading titles are dropped ("Dr.", "Lic.", "Doña"), and words are
    grouped into *units*: particles (de, del, la, las, los, y) and "San"/"Santa" stick to the
    following word, so "de la Cruz", "del Río", "San Martín" and "de los Santos" are single
    units. The first unit is a given name; following units extend the given part while they
    look like given names and at least one unit is left for the surname:

    * a word in the given-name vocabulary (``hypocoristics.GIVEN_NAMES``, nicknames,
      abbreviation targets; matched by phonetic key, so Yordanys counts as Yordanis) or a
      single-letter initial -- "Juan Carlos Pérez" gives ``given="juan carlos"``;
    * a particle unit whose last word is devotional (``del Carmen``, ``de Jesús``,
      ``de los Ángeles``) -- "María del Carmen Pérez";
    * names that are also common surnames (Martín, Tomás, Cruz, Paz, ...) only when two
      surname units would still follow: "José Martín Pérez" -> paternal "martin", but
      "José Martín Pérez García" -> given "jose martin".

    If more than two units remain the extra leading ones join the given part (unknown coined
    names such as "Yoandris Yadiel Pérez García" are handled by this rule). The first remaining
    unit is the paternal surname, the second the maternal.

    Known limits: without a comma or ``surname_first`` a surname-first name is misread; a
    two-word name is always given + surname ("Juan Carlos" -> paternal "carlos"); a person with
    three surname-looking words after an unknown second given name is split by position only;
    compound surnames without particles ("Ponce León") are read as two surnames; a surname of
    the form "Pérez de la Cruz" is read as paternal "perez", maternal "cruz"; "Juan de la Cruz
    Pérez" is read as given "juan", paternal "cruz", maternal "perez".
    """
    if _ASIDE_MARK_RE.search(text):
        text = _ASIDE_RE.sub(" ", text)
    if "," in text:
        surname_part, given_part = text.split(",", 2)[:2]
        given_tokens = _strip_titles(_words(given_part))
        surname_units = _group_units(_words(surname_part))
        return _build([tuple(given_tokens)] if given_tokens else [], surname_units)

    units = _group_units(_strip_titles(_words(text)))
    count = len(units)
    if count == 0:
        return _build([], [])
    if surname_first:
        if count == 1:
            return _build([], units)
        # The last unit is given; earlier ones join it while they look like given names.
        start = count - 1
        while start > 1 and _is_given_unit(units[start - 1], start - 1):
            start -= 1
        start = min(start, 2)
        return _build(units[start:], units[:start])

    end = 1
    while end < count and _is_given_unit(units[end], count - end - 1):
        end += 1
    end = max(end, count - 2)
    return _build(units[:end], units[end:])
