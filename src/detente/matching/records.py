"""Records the linkage engine compares, with their comparison features computed once.

A :class:`Record` is what the engine knows about one person on one list: one or more
*names* (the primary name first, then aliases and other readings), a birth date with its
precision, and a place given from the finest part to the coarsest (for the registry:
municipality, province). Everything a comparison needs (folded names, nickname readings,
phonetic keys, digits of the date) is computed when the record is made, so that scoring a
pair does no text processing beyond the few similarity measures it needs.

Pure Python: no Django. Build records with :func:`make_record` (separate fields, as in an
import column or the registry) or :func:`record_from_text` (a free-text query such as
``"Yoany Rguez Cardet"``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from detente.matching.names import (
    canonical_given,
    fold,
    given_variants,
    normalise_given,
    normalise_surname,
    parse_full_name,
    phonetic_key,
)
from detente.matching.places import province_key

__all__ = [
    "BirthDate",
    "NameFeatures",
    "Record",
    "birth_from_date",
    "clear_caches",
    "identity_record",
    "make_record",
    "name_features",
    "record_from_text",
]

# Words dropped from given names when comparing token by token ("maria del carmen" ->
# maria, carmen); they carry no identity.
_FILLERS = frozenset({"de", "del", "la", "las", "los", "el", "y"})


# ---------------------------------------------------------------------------------------------
# Birth dates
# ---------------------------------------------------------------------------------------------

_ISO_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DAY_FIRST_RE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_MONTH_YEAR_RE = re.compile(r"^(\d{1,2})[/.-](\d{4})$")


@dataclass(frozen=True, slots=True)
class BirthDate:
    """A birth date known to the day, the month or only the year.

    ``month`` and ``day`` are ``0`` when unknown. The parts are kept as written, without
    calendar checks, because lists contain impossible dates ("31/02/1980", a day typed as
    month 13) whose digits still say something about the person. ``precision`` is 3 for a
    full date, 2 for year and month, 1 for the year only; ``digits`` is ``YYYYMMDD``.
    """

    year: int
    month: int = 0
    day: int = 0
    precision: int = field(init=False, compare=False)
    digits: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        # Computed once: comparisons read them for every candidate pair.
        precision = 3 if self.month and self.day else 2 if self.month else 1
        object.__setattr__(self, "precision", precision)
        object.__setattr__(self, "digits", f"{self.year:04d}{self.month:02d}{self.day:02d}")

    @classmethod
    def parse(cls, text: str) -> BirthDate:
        """Read ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, ``YYYYMMDD``, ``DD/MM/YYYY`` or ``MM/YYYY``.

        Day-first is the Spanish and Latin American order. Raises ``ValueError`` for anything
        else (including a month above 12 in the slashed forms, where it would be ambiguous).
        """
        value = text.strip()
        if match := _ISO_RE.match(value):
            year, month, day = (int(g) if g else 0 for g in match.groups())
            return cls._checked(year, month, day, text)
        if match := _COMPACT_RE.match(value):
            year, month, day = (int(g) for g in match.groups())
            return cls._checked(year, month, day, text, lenient=True)
        if match := _DAY_FIRST_RE.match(value):
            day, month, year = (int(g) for g in match.groups())
            return cls._checked(year, month, day, text)
        if match := _MONTH_YEAR_RE.match(value):
            month, year = (int(g) for g in match.groups())
            return cls._checked(year, month, 0, text)
        raise ValueError(f"{text!r} is not a date (use YYYY, YYYY-MM, YYYY-MM-DD or DD/MM/YYYY)")

    @classmethod
    def _checked(
        cls, year: int, month: int, day: int, text: str, *, lenient: bool = False
    ) -> BirthDate:
        # The compact form (FEBRL and many exports) keeps out-of-range parts: they are typos
        # of real dates, and the one-digit comparison level still uses them.
        limit_month, limit_day = (99, 99) if lenient else (12, 31)
        if year < 1000 or month > limit_month or day > limit_day or (day and not month):
            raise ValueError(f"{text!r} is not a date")
        return cls(year, month, day)


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NameFeatures:
    """One name of a person, ready for comparison.

    ``given`` and the surnames are normalised (folded, abbreviations expanded, leading
    particles dropped from surnames). ``given_readings`` holds every canonical reading of the
    given names with nicknames resolved (Pepe -> {"jose"}); ``given_tf`` is the key under
    which the given name is counted for term frequencies (its preferred canonical reading).
    ``token_keys`` are phonetic keys of the canonical given-name tokens, used for partial
    agreement ("José Luis" and "José").
    """

    given: str
    given_phonetic: str
    given_readings: frozenset[str]
    given_tf: str
    token_keys: frozenset[str]
    first_readings: frozenset[str]
    first_key: str
    initials: str
    initials_only: bool
    paternal: str
    maternal: str
    paternal_key: str
    maternal_key: str

    @property
    def surnames(self) -> tuple[str, ...]:
        return tuple(s for s in (self.paternal, self.maternal) if s)

    @property
    def is_empty(self) -> bool:
        return not (self.given or self.paternal or self.maternal)


@lru_cache(maxsize=65536)
def _given_parts(
    given: str,
) -> tuple[str, frozenset[str], str, frozenset[str], frozenset[str], str, str]:
    readings = given_variants(given) if given else frozenset()
    canonical = canonical_given(given) if given else ""
    tokens = [t for t in given.split() if t not in _FILLERS] or given.split()
    token_keys: set[str] = set()
    for token in tokens:
        for reading in given_variants(token):
            token_keys.update(phonetic_key(w) for w in reading.split() if w not in _FILLERS)
    first = tokens[0] if tokens else ""
    first_readings = given_variants(first) if first else frozenset()
    first_key = phonetic_key(canonical_given(first)) if first else ""
    initials = "".join(t[0] for t in tokens)
    return (
        phonetic_key(given),
        readings,
        canonical,
        frozenset(token_keys),
        first_readings,
        first_key,
        initials,
    )


@lru_cache(maxsize=65536)
def _surname_key(surname: str) -> str:
    return phonetic_key(surname) if surname else ""


_normalise_given = lru_cache(maxsize=65536)(normalise_given)
_normalise_surname = lru_cache(maxsize=65536)(normalise_surname)
_fold = lru_cache(maxsize=16384)(fold)


def name_features(given: str, paternal: str, maternal: str) -> NameFeatures:
    """Features of one name from already separated parts (normalised here, idempotently)."""
    given_n = _normalise_given(given)
    paternal_n = _normalise_surname(paternal)
    maternal_n = _normalise_surname(maternal)
    if not paternal_n and maternal_n:
        # A maternal surname alone is the only surname we know; compare it as such.
        paternal_n, maternal_n = maternal_n, ""
    phon, readings, canonical, token_keys, first_readings, first_key, initials = _given_parts(
        given_n
    )
    return NameFeatures(
        given=given_n,
        given_phonetic=phon,
        given_readings=readings,
        given_tf=canonical,
        token_keys=token_keys,
        first_readings=first_readings,
        first_key=first_key,
        initials=initials,
        initials_only=bool(given_n) and all(len(t) == 1 for t in given_n.split()),
        paternal=paternal_n,
        maternal=maternal_n,
        paternal_key=_surname_key(paternal_n),
        maternal_key=_surname_key(maternal_n),
    )


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Record:
    """What the engine knows about one person on one list.

    ``key`` identifies the record to the caller (a person's primary key, a row number).
    ``names`` is never empty unless the record has no name at all; the first name is the
    primary one. ``place`` runs from the finest part to the coarsest; an unknown part is
    ``""``. ``sex`` is ``"F"``, ``"M"`` or ``""`` (unknown). Two records are compared name
    by name and the best pair counts, so an alias ("Pepe", a former spelling) helps without
    ever hurting.
    """

    key: Hashable
    names: tuple[NameFeatures, ...]
    birth: BirthDate | None = None
    place: tuple[str, ...] = ()
    sex: str = ""

    @property
    def name(self) -> NameFeatures | None:
        return self.names[0] if self.names else None


def _sex(value: str | None) -> str:
    text = (value or "").strip().upper()[:1]
    # Spanish lists write F/M, H (hombre) or V (varón) for men.
    return {"F": "F", "M": "M", "H": "M", "V": "M"}.get(text, "")


def _place(parts: Iterable[str | None]) -> tuple[str, ...]:
    """Folded, finest part first; the coarsest of several (the province) as its ISO
    3166-2 subdivision when the text names one (:func:`places.province_key`)."""
    folded = [_fold(p) if p else "" for p in parts]
    if len(folded) > 1 and folded[-1]:
        folded[-1] = province_key(folded[-1])
    return tuple(folded)


@lru_cache(maxsize=65536)
def _parse_birth(text: str) -> BirthDate | None:
    try:
        return BirthDate.parse(text) if text.strip() else None
    except ValueError:
        return None


def _birth(birth: BirthDate | str | None) -> BirthDate | None:
    if birth is None or isinstance(birth, BirthDate):
        return birth
    return _parse_birth(birth)


def _alias_names(primary: NameFeatures | None, aliases: Iterable[str]) -> list[NameFeatures]:
    out: list[NameFeatures] = []
    for alias in aliases:
        parsed = parse_full_name(alias)
        if not (parsed.given or parsed.paternal):
            continue
        if not parsed.paternal and primary is not None:
            # A bare given name or nickname ("Pepe") is an alias of the given name only.
            out.append(name_features(parsed.given, primary.paternal, primary.maternal))
        else:
            out.append(name_features(parsed.given, parsed.paternal, parsed.maternal))
    return out


def _dedupe(names: Iterable[NameFeatures]) -> tuple[NameFeatures, ...]:
    seen: set[tuple[str, str, str]] = set()
    out: list[NameFeatures] = []
    for name in names:
        marker = (name.given, name.paternal, name.maternal)
        if marker not in seen and not name.is_empty:
            seen.add(marker)
            out.append(name)
    return tuple(out)


def make_record(
    key: Hashable,
    *,
    given: str = "",
    paternal: str = "",
    maternal: str = "",
    full_name: str = "",
    aliases: Sequence[str] = (),
    birth: BirthDate | str | None = None,
    place: Sequence[str | None] = (),
    sex: str | None = None,
    surname_first: bool = False,
) -> Record:
    """A record from separate fields, or from ``full_name`` when the parts are not given.

    ``birth`` may be a :class:`BirthDate` or text in any form :meth:`BirthDate.parse`
    accepts (unreadable text counts as unknown). ``place`` is given from the finest part to
    the coarsest, e.g. ``(municipality, province)``. ``surname_first`` tells how to read
    ``full_name`` when it has no comma (an import column's order is known, not guessed).
    ``sex`` is read from its first letter (F; M, H or V for men); anything else is unknown.
    """
    if full_name and not (given or paternal or maternal):
        parsed = parse_full_name(full_name, surname_first=surname_first)
        given, paternal, maternal = parsed.given, parsed.paternal, parsed.maternal
    primary = name_features(given, paternal, maternal)
    names = _dedupe([primary, *_alias_names(primary, aliases)])
    return Record(key=key, names=names, birth=_birth(birth), place=_place(place), sex=_sex(sex))


_PRECISION = {"day": 3, "month": 2, "year": 1}


def birth_from_date(value: dt.date | None, precision: str) -> BirthDate | None:
    """A stored birth date (a ``date`` and its precision: ``day``, ``month`` or ``year``)
    as the engine reads it."""
    if value is None:
        return None
    level = _PRECISION.get(precision, 3)
    return BirthDate(value.year, value.month if level >= 2 else 0, value.day if level == 3 else 0)


def identity_record(
    key: Hashable,
    *,
    given_names: str,
    paternal_surname: str = "",
    maternal_surname: str = "",
    aliases: Sequence[Any] = (),
    birth_date: dt.date | None = None,
    birth_precision: str = "day",
    sex: str = "",
    municipality: str = "",
    province: str = "",
) -> Record:
    """The one conversion from an identity's fields (a registry person, an imported row,
    a form) to the record the engine compares."""
    return make_record(
        key,
        given=given_names,
        paternal=paternal_surname,
        maternal=maternal_surname,
        aliases=[a for a in (aliases or ()) if isinstance(a, str)],
        birth=birth_from_date(birth_date, birth_precision),
        place=(municipality, province),
        sex=sex,
    )


def record_from_text(
    text: str,
    *,
    key: Hashable = None,
    birth: BirthDate | str | None = None,
    place: Sequence[str | None] = (),
    sex: str | None = None,
) -> Record:
    """A query record from free text, as a person types it.

    Without a comma the order of a typed name is ambiguous ("Rodríguez Cardet Yoany"), so
    both readings are kept: given names first, and surnames first. Comparison takes the
    better one.
    """
    natural = parse_full_name(text)
    names = [name_features(natural.given, natural.paternal, natural.maternal)]
    if "," not in text:
        reverse = parse_full_name(text, surname_first=True)
        names.append(name_features(reverse.given, reverse.paternal, reverse.maternal))
    return Record(
        key=key, names=_dedupe(names), birth=_birth(birth), place=_place(place), sex=_sex(sex)
    )


def clear_caches() -> None:
    """Empty every memo of the matching code (names, records, comparisons).

    Results never depend on them; benchmarks call this so that each run starts cold.
    """
    from detente.matching import comparisons, model, names

    for function in (
        names.parse_full_name,
        names.given_variants,
        names.canonical_given,
        names.phonetic_key,
        names._phonetic_word,
        names.diminutive_base,
        _given_parts,
        _surname_key,
        _normalise_given,
        _normalise_surname,
        _fold,
        _parse_birth,
        model._swapped,
    ):
        function.cache_clear()
    comparisons._given_cache.clear()
    comparisons._surname_cache.clear()
    comparisons._grade_cache.clear()
    comparisons._place_cache.clear()
