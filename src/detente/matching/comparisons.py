"""Comparison levels: how two records agree on each field.

Each comparison maps a pair of values to one *level*, from the strongest agreement to
"else"; :data:`MISSING` means a side has no value and the field says nothing. The levels are
ordered checks, first match wins, so a pair falls in exactly one level. The linkage model
(:mod:`detente.matching.model`) gives every level a weight learnt from the data.

Term-frequency keys are returned with the level where the agreement is on a *value* whose
frequency matters (agreeing on "García" is weaker evidence than agreeing on "Cardet"): the
model turns them into an adjustment of the level's weight.

Pure Python: no Django.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz.distance import JaroWinkler, Levenshtein

from detente.matching.names import phonetic_key
from detente.matching.places import words_abbreviate
from detente.matching.records import BirthDate, NameFeatures

__all__ = [
    "BIRTH",
    "GIVEN",
    "MISSING",
    "SEX",
    "SURNAMES",
    "LevelSpec",
    "birth_level",
    "birth_levels",
    "given_level",
    "place_level",
    "place_levels",
    "sex_level",
    "surname_level",
]

MISSING = -1

# Jaro-Winkler thresholds. 0.92 admits one typo in an ordinary name ("Rodriguez" /
# "Rodrigeuz"); 0.80 admits a worse spelling while "Garcia" / "Gomez" (0.67) stay apart.
TYPO = 0.92
SIMILAR = 0.80
PLACE_SIMILAR = 0.90


@dataclass(frozen=True)
class LevelSpec:
    """A comparison level: a stable code (used in explanations and saved models) and what it
    means, in English (the Django side translates by code)."""

    code: str
    description: str


# ---------------------------------------------------------------------------------------------
# Given names
# ---------------------------------------------------------------------------------------------

GIVEN: tuple[LevelSpec, ...] = (
    LevelSpec("exact", "same given names"),
    LevelSpec("nickname", "same given names once nicknames and abbreviations are resolved"),
    LevelSpec("phonetic", "given names sound the same (Yoany / Yoani, Yunior / Junior)"),
    LevelSpec("typo", "given names differ by about one typo"),
    LevelSpec("partial", "one given name missing or the first given name agrees"),
    LevelSpec("second_differs", "the first given names agree, the second ones differ"),
    LevelSpec("similar", "given names similar"),
    LevelSpec("initial", "an initial consistent with the other given names"),
    LevelSpec("else", "given names differ"),
)
(
    G_EXACT,
    G_NICKNAME,
    G_PHONETIC,
    G_TYPO,
    G_PARTIAL,
    G_SECOND_DIFFERS,
    G_SIMILAR,
    G_INITIAL,
    G_ELSE,
) = range(9)


# Results depend only on the normalised strings, which repeat a great deal in real lists
# (a few thousand given names and surnames cover most people), so they are memoised.
_CACHE_LIMIT = 400_000
_given_cache: dict[tuple[str, str], tuple[int, str]] = {}
_surname_cache: dict[tuple[str, str, str, str], tuple[int, tuple[str, ...]]] = {}


def _remember(cache: dict[Any, Any], marker: Any, compute: Callable[[], Any]) -> Any:
    """The memo of the comparisons: ``cache[marker]``, computed once (the cache is emptied
    when it reaches :data:`_CACHE_LIMIT`)."""
    found = cache.get(marker)
    if found is None:
        found = compute()
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[marker] = found
    return found


def given_level(a: NameFeatures, b: NameFeatures) -> tuple[int, str]:
    """Level of agreement of two given-name parts, and the term-frequency key (or "").

    ``b`` is the indexed (reference) side: its value is the one counted in the term
    frequencies, so the key is taken from it.
    """
    found: tuple[int, str] = _remember(_given_cache, (a.given, b.given), lambda: _given_level(a, b))
    return found


_GIVEN_FILLERS = frozenset({"de", "del", "la", "las", "los", "el", "y"})


def _second_names_differ(ga: str, gb: str) -> bool:
    """Both given names have words after the first, and none of those agree (the same
    sound, or an initial consistent with a word)."""
    rest_a = [w for w in ga.split()[1:] if w not in _GIVEN_FILLERS]
    rest_b = [w for w in gb.split()[1:] if w not in _GIVEN_FILLERS]
    if not rest_a or not rest_b:
        return False
    for x in rest_a:
        for y in rest_b:
            if x[0] == y[0] and (len(x) == 1 or len(y) == 1):
                return False
            if phonetic_key(x) == phonetic_key(y):
                return False
            if JaroWinkler.normalized_similarity(x, y) >= TYPO:
                return False
    return True


def _given_level(a: NameFeatures, b: NameFeatures) -> tuple[int, str]:
    ga, gb = a.given, b.given
    if not ga or not gb:
        return MISSING, ""
    if ga == gb:
        return G_EXACT, b.given_tf
    common = a.given_readings & b.given_readings
    if common:
        return G_NICKNAME, b.given_tf if b.given_tf in common else min(common)
    if a.given_phonetic == b.given_phonetic:
        return G_PHONETIC, b.given_tf
    if a.initials_only or b.initials_only:
        short, long = (a, b) if len(a.initials) <= len(b.initials) else (b, a)
        if long.initials.startswith(short.initials):
            return G_INITIAL, ""
        return G_ELSE, ""
    # An initial beside a full word ("Ernesto J." / "Ernesto Javier") looks like a typo to
    # Jaro-Winkler, which favours shared beginnings; it is a partial agreement.
    initial = any(len(t) == 1 for t in ga.split()) or any(len(t) == 1 for t in gb.split())
    if not initial and JaroWinkler.normalized_similarity(ga, gb, score_cutoff=TYPO):
        return G_TYPO, ""
    ka, kb = a.token_keys, b.token_keys
    if ka and kb and (ka <= kb or kb <= ka):
        return G_PARTIAL, ""
    if a.first_key == b.first_key or a.first_readings & b.first_readings:
        # "José Luis" and "José Carlos" are two names (siblings, twins), where "José" and
        # "José Luis" are one name with its second word left out.
        if _second_names_differ(ga, gb):
            return G_SECOND_DIFFERS, ""
        return G_PARTIAL, ""
    if JaroWinkler.normalized_similarity(ga, gb, score_cutoff=SIMILAR):
        return G_SIMILAR, ""
    return G_ELSE, ""


# ---------------------------------------------------------------------------------------------
# Surnames: an order-insensitive pair
# ---------------------------------------------------------------------------------------------

SURNAMES: tuple[LevelSpec, ...] = (
    LevelSpec("both_exact", "both surnames agree, in order"),
    LevelSpec("both_swapped", "both surnames agree, in the other order"),
    LevelSpec("both_similar", "both surnames agree, allowing spelling differences"),
    LevelSpec("one_other_close", "one surname agrees; the other is close or an initial"),
    LevelSpec("one_other_differs", "one surname agrees; the other differs"),
    LevelSpec("one_missing_exact", "one side has a single surname, and it agrees"),
    LevelSpec("one_missing_similar", "one side has a single surname; it agrees but for spelling"),
    LevelSpec("one_missing_crossed", "one side has a single surname; it is the other's second"),
    LevelSpec("weak", "a surname is only loosely similar"),
    LevelSpec("else", "surnames differ"),
)
(
    S_BOTH_EXACT,
    S_BOTH_SWAPPED,
    S_BOTH_SIMILAR,
    S_ONE_CLOSE,
    S_ONE_DIFFERS,
    S_SINGLE_EXACT,
    S_SINGLE_SIMILAR,
    S_SINGLE_CROSSED,
    S_WEAK,
    S_ELSE,
) = range(10)

# Grades of agreement between two single surnames.
_EXACT, _SOUND, _CLOSE, _NONE = 3, 2, 1, 0


_grade_cache: dict[tuple[str, str], int] = {}


def _grade(x: str, kx: str, y: str, ky: str) -> int:
    if x == y:
        return _EXACT
    if kx == ky:
        return _SOUND
    if len(x) == 1 or len(y) == 1:
        return _CLOSE if x[0] == y[0] else _NONE
    # Single surnames repeat far more than pairs of pairs: memoised on their own.
    found: int = _remember(_grade_cache, (x, y), lambda: _spelling_grade(x, y))
    return found


def _spelling_grade(x: str, y: str) -> int:
    similarity = JaroWinkler.normalized_similarity(x, y, score_cutoff=SIMILAR)
    return _SOUND if similarity >= TYPO else _CLOSE if similarity else _NONE


def _tf_keys(pairs: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    # Only agreement on the same sound says something about the value's frequency.
    return tuple(kx for kx, ky in pairs if kx == ky)


def surname_level(a: NameFeatures, b: NameFeatures) -> tuple[int, tuple[str, ...]]:
    """Level of agreement of two surname pairs, order-insensitive, and the TF keys.

    Both surnames on both sides: compared in order and swapped, and the better alignment
    counts (in order wins a tie). A side with a single surname (the maternal one is often
    missing) is compared with both of the other side's and has levels of its own.
    """
    if a.paternal == b.paternal and a.maternal == b.maternal and a.maternal:
        # The commonest case among candidates, decided without the memo.
        return S_BOTH_EXACT, (a.paternal_key, a.maternal_key)
    marker = (a.paternal, a.maternal, b.paternal, b.maternal)
    found: tuple[int, tuple[str, ...]] = _remember(
        _surname_cache, marker, lambda: _surname_level(a, b)
    )
    return found


def _surname_level(a: NameFeatures, b: NameFeatures) -> tuple[int, tuple[str, ...]]:
    pa, ma, pb, mb = a.paternal, a.maternal, b.paternal, b.maternal
    if not pa or not pb:
        return MISSING, ()
    ka, kma, kb, kmb = a.paternal_key, a.maternal_key, b.paternal_key, b.maternal_key
    if ma and mb:
        straight = (_grade(pa, ka, pb, kb), _grade(ma, kma, mb, kmb))
        swapped = (_grade(pa, ka, mb, kmb), _grade(ma, kma, pb, kb))
        if sum(swapped) > sum(straight):
            high, low = max(swapped), min(swapped)
            keys = _tf_keys(((ka, kmb), (kma, kb)))
            if low == _EXACT:
                return S_BOTH_SWAPPED, keys
        else:
            high, low = max(straight), min(straight)
            keys = _tf_keys(((ka, kb), (kma, kmb)))
            if low == _EXACT:
                return S_BOTH_EXACT, keys
        if low >= _SOUND:
            return S_BOTH_SIMILAR, keys
        if high >= _SOUND:
            return (S_ONE_CLOSE if low == _CLOSE else S_ONE_DIFFERS), keys
        return (S_WEAK if high == _CLOSE else S_ELSE), ()
    # At least one side has a single surname: compared with the other side's first surname,
    # then with its second (a dropped first surname, or surnames written the other way).
    if ma:
        single, key, first, first_key, second, second_key = pb, kb, pa, ka, ma, kma
    else:
        single, key, first, first_key, second, second_key = pa, ka, pb, kb, mb, kmb
    grade = _grade(single, key, first, first_key)
    if grade == _EXACT:
        return S_SINGLE_EXACT, (key,)
    if grade == _SOUND:
        return S_SINGLE_SIMILAR, ((key,) if key == first_key else ())
    if second:
        crossed = _grade(single, key, second, second_key)
        if crossed >= _SOUND:
            return S_SINGLE_CROSSED, ((key,) if key == second_key else ())
        grade = max(grade, crossed)
    return (S_WEAK if grade == _CLOSE else S_ELSE), ()


# ---------------------------------------------------------------------------------------------
# Birth date, with its precision
# ---------------------------------------------------------------------------------------------

BIRTH: tuple[LevelSpec, ...] = (
    LevelSpec("exact", "same birth date"),
    LevelSpec("transposed", "birth day and month swapped"),
    LevelSpec("to_month", "same year and month (one side gives no day)"),
    LevelSpec("day_differs", "same year and month, different day"),
    LevelSpec("one_digit", "birth dates differ in one digit"),
    LevelSpec("to_year", "same year (one side gives only the year)"),
    LevelSpec("month_differs", "same year, different month"),
    LevelSpec("year_off_by_one", "birth years one apart"),
    LevelSpec("else", "birth dates differ"),
)
(
    B_EXACT,
    B_TRANSPOSED,
    B_TO_MONTH,
    B_DAY_DIFFERS,
    B_ONE_DIGIT,
    B_TO_YEAR,
    B_MONTH_DIFFERS,
    B_YEAR_PM1,
    B_ELSE,
) = range(9)


def _one_digit_apart(x: str, y: str) -> bool:
    return sum(map(str.__ne__, x, y)) == 1


def birth_level(a: BirthDate | None, b: BirthDate | None) -> int:
    """Level of agreement of two birth dates, each known to the day, month or year."""
    if a is None or b is None:
        return MISSING
    precision = min(a.precision, b.precision)
    if a.year == b.year:
        if precision == 1:
            return B_TO_YEAR
        if a.month == b.month:
            if precision == 2:
                return B_TO_MONTH
            return B_EXACT if a.day == b.day else B_DAY_DIFFERS
        if precision == 3:
            if a.month == b.day and a.day == b.month:
                return B_TRANSPOSED
            if a.day == b.day and _one_digit_apart(a.digits[4:6], b.digits[4:6]):
                return B_ONE_DIGIT
        return B_MONTH_DIFFERS
    if (
        precision == 3
        and a.month == b.month
        and a.day == b.day
        and _one_digit_apart(a.digits[:4], b.digits[:4])
    ):
        return B_ONE_DIGIT
    if abs(a.year - b.year) == 1:
        return B_YEAR_PM1
    return B_ELSE


def birth_levels(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`birth_level` for many pairs at once (for estimating ``u`` from millions of
    random pairs). ``a`` and ``b`` have one row per date: year, month, day, precision
    (precision 0: no date). Returns one level per row, ``MISSING`` where a date is absent.
    """
    ya, ma, da, pa = (a[:, i] for i in range(4))
    yb, mb, db, pb = (b[:, i] for i in range(4))
    precision = np.minimum(pa, pb)
    year_digits = _digits_apart(ya, yb, 4)
    month_digits = _digits_apart(ma, mb, 2)
    same_year, same_month, same_day = ya == yb, ma == mb, da == db
    full = precision == 3
    conditions = [
        precision == 0,
        same_year & (precision == 1),
        same_year & same_month & (precision == 2),
        same_year & same_month & full & same_day,
        same_year & same_month & full,
        same_year & full & (ma == db) & (da == mb),
        same_year & full & same_day & (month_digits == 1),
        same_year,
        full & same_month & same_day & (year_digits == 1),
        np.abs(ya - yb) == 1,
    ]
    choices = [
        MISSING,
        B_TO_YEAR,
        B_TO_MONTH,
        B_EXACT,
        B_DAY_DIFFERS,
        B_TRANSPOSED,
        B_ONE_DIGIT,
        B_MONTH_DIFFERS,
        B_ONE_DIGIT,
        B_YEAR_PM1,
    ]
    return np.select(conditions, choices, default=B_ELSE).astype(np.int16)


def _digits_apart(x: np.ndarray, y: np.ndarray, width: int) -> np.ndarray:
    """How many of the ``width`` decimal digits of ``x`` and ``y`` differ, element-wise."""
    count = np.zeros(len(x), dtype=np.int64)
    scale = 1
    for _ in range(width):
        count += (x // scale % 10) != (y // scale % 10)
        scale *= 10
    return count


# ---------------------------------------------------------------------------------------------
# Place, from the finest part to the coarsest
# ---------------------------------------------------------------------------------------------


def place_levels(parts: tuple[str, ...]) -> tuple[LevelSpec, ...]:
    """Levels for a place given in ``parts`` (finest first, e.g. municipality, province):
    each part exact, then spelt similarly, from the finest to the coarsest, then "else"."""
    if not parts:
        return ()
    levels: list[LevelSpec] = []
    for part in parts:
        levels.append(LevelSpec(part, f"same {part}"))
        levels.append(LevelSpec(f"{part}_similar", f"{part} spelt similarly"))
    levels.append(LevelSpec("else", "different place"))
    return tuple(levels)


_SUBDIVISION = re.compile(r"^[a-z]{2}-[a-z0-9]{1,3}$")


_place_cache: dict[tuple[str, str], bool] = {}


def _place_similar(x: str, y: str) -> bool:
    """Memoised: a registry's places are a few hundred names."""
    found: bool = _remember(_place_cache, (x, y), lambda: _place_similar_uncached(x, y))
    return found


def _place_similar_uncached(x: str, y: str) -> bool:
    if "|" in x or "|" in y:
        # A divided province (its successors, "a|b") agrees with each of them.
        return bool(set(x.split("|")) & set(y.split("|")))
    if _SUBDIVISION.match(x) and _SUBDIVISION.match(y):
        return False  # two ISO 3166-2 codes: the same province, or not ("cu-11", "cu-15")
    if len(x) < 4 or len(y) < 4:
        return False
    # One edit covers a mistyped postcode digit; Jaro-Winkler a misspelt town name; and a
    # name shortened the Spanish way ("Stgo. de Cuba", "C. García") is the name.
    xs, ys = x.split(), y.split()
    return (
        Levenshtein.distance(x, y, score_cutoff=1) <= 1
        or JaroWinkler.normalized_similarity(x, y) >= PLACE_SIMILAR
        or words_abbreviate(xs, ys)
        or words_abbreviate(ys, xs)
    )


def place_level(a: tuple[str, ...], b: tuple[str, ...], parts: int) -> tuple[int, int]:
    """Level of agreement of two places, and the part whose value agreed exactly (its TF
    key), or -1.

    The finest part known on both sides decides first; a disagreement there falls through
    to the coarser parts, so "another municipality of the same province" is the province
    level. Level numbers: ``2 i`` for part ``i`` exact, ``2 i + 1`` similar, ``2 parts`` else.
    """
    compared = False
    for index in range(parts):
        x = a[index] if index < len(a) else ""
        y = b[index] if index < len(b) else ""
        if not x or not y:
            continue
        compared = True
        if x == y:
            return 2 * index, index
        if _place_similar(x, y):
            return 2 * index + 1, -1
    return (2 * parts if compared else MISSING), -1


# ---------------------------------------------------------------------------------------------
# Sex
# ---------------------------------------------------------------------------------------------

SEX: tuple[LevelSpec, ...] = (
    LevelSpec("same", "same sex"),
    LevelSpec("different", "different sex"),
)


def sex_level(a: str, b: str) -> int:
    if not a or not b:
        return MISSING
    return 0 if a == b else 1
