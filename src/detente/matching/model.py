"""A Fellegi-Sunter linkage model for Hispanic names, with term-frequency adjustment.

For each field (given names, surnames, birth date, place, sex) a pair of records falls in one
comparison level (:mod:`detente.matching.comparisons`). Each level has two probabilities:

* ``m`` -- how often true matches fall in it (a typo in the given name: rare but real);
* ``u`` -- how often two different people fall in it (two random people share a surname
  more often than a birth date).

The level's weight is ``log2(m / u)`` bits. Agreement on a value also gets a term-frequency
adjustment ``log2(ū / f)``, where ``f`` is how common the value is and ``ū`` the chance that
two random records agree on this field at all: agreeing on "García" weighs less than on
"Cardet". A missing value weighs nothing. The match weight of a pair is the sum of the field
weights plus the prior ``log2(λ / (1 - λ))``, where ``λ`` is the chance that two records
picked at random are the same person; the match probability is ``2^w / (1 + 2^w)``.

``λ`` is kept as a *match share* (the share of incoming records expected to be somewhere in
the reference list) divided by the size of that list, so the probability stays calibrated as
the registry grows: one "José Pérez" among 100 people is likelier to be the one you mean
than among 100,000.

Parameters start from hand-set defaults (sensible for Cuban registries) and can be estimated
from the data: ``u`` from random pairs, ``m`` and the match share by expectation
maximisation over pairs chosen by an exact agreement (:func:`detente.matching.linkage.train`).

Pure Python and numpy: no Django.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from detente.matching import comparisons as cmp
from detente.matching.comparisons import MISSING, LevelSpec
from detente.matching.records import NameFeatures, Record, name_features

__all__ = [
    "FIELDS",
    "NAME_ORDER",
    "SWAP_PENALTY",
    "Compared",
    "FieldScore",
    "LinkageModel",
    "Score",
    "TermFrequencies",
    "probability_from_weight",
]

GIVEN, SURNAMES, BIRTH, PLACE, SEX = "given_name", "surnames", "birth_date", "place", "sex"
FIELDS = (GIVEN, SURNAMES, BIRTH, PLACE, SEX)
# Not a compared field: the line an explanation gets when given name and surname were read
# swapped, carrying the cost of that reading.
NAME_ORDER = "name_order"

# The reading with given name and surname swapped costs this many bits: it explains a pair
# that otherwise disagrees on both, but is itself a little unlikely.
SWAP_PENALTY = 2.0
_GIVEN_DISAGREES = frozenset(
    {cmp.G_ELSE, cmp.G_SECOND_DIFFERS, cmp.G_SIMILAR, cmp.G_INITIAL, MISSING}
)
_SURNAMES_DISAGREE = frozenset({cmp.S_ELSE, cmp.S_WEAK, MISSING})


@lru_cache(maxsize=65536)
def _swapped(given: str, paternal: str, maternal: str) -> NameFeatures:
    return name_features(paternal, given, maternal)


# After EM, no level's m falls below this share of its default (see estimate_m).
_M_FLOOR_SHARE = 0.25

# Term-frequency adjustments are bounded so that one rare value cannot decide a pair alone.
_TF_MIN, _TF_MAX = -6.0, 10.0
_PROBABILITY_FLOOR = 1e-6


# ---------------------------------------------------------------------------------------------
# Term frequencies
# ---------------------------------------------------------------------------------------------


class TermFrequencies:
    """How often each value occurs in a reference population, kept current incrementally.

    Counted per record from its primary name: the canonical given name, each surname's
    phonetic key (paternal and maternal pooled), and each place part. The running sum of
    squared counts gives ``ū`` (the chance two random records agree on the field) without a
    pass over the table.
    """

    def __init__(self, place_parts: int = 2) -> None:
        self.place_parts = place_parts
        self._counts: dict[str, Counter[str]] = {}
        self._total: dict[str, int] = {}
        self._sumsq: dict[str, int] = {}
        self._adjustments: dict[tuple[str, str], float] = {}
        for name in self.fields:
            self._counts[name] = Counter()
            self._total[name] = 0
            self._sumsq[name] = 0

    @property
    def fields(self) -> tuple[str, ...]:
        return (GIVEN, SURNAMES, *(f"{PLACE}{i}" for i in range(self.place_parts)))

    @classmethod
    def from_records(cls, records: Iterable[Record], place_parts: int = 2) -> TermFrequencies:
        table = cls(place_parts)
        for record in records:
            table.add(record)
        return table

    def set_counts(self, field_name: str, counts: dict[str, int]) -> None:
        """Replace one field's counts at once (an index read back from disk)."""
        self._adjustments.clear()
        table = Counter({value: n for value, n in counts.items() if n > 0})
        self._counts[field_name] = table
        self._total[field_name] = sum(table.values())
        self._sumsq[field_name] = sum(n * n for n in table.values())

    def values(self, record: Record) -> Iterable[tuple[str, str]]:
        """The (field, value) pairs a record adds to the counts."""
        return self._values(record)

    def add_values(self, values: Iterable[tuple[str, str]]) -> None:
        for field_name, value in values:
            self._bump(field_name, value, 1)

    def remove_values(self, values: Iterable[tuple[str, str]]) -> None:
        for field_name, value in values:
            self._bump(field_name, value, -1)

    def _values(self, record: Record) -> Iterable[tuple[str, str]]:
        name = record.name
        if name is not None:
            if name.given_tf:
                yield GIVEN, name.given_tf
            if name.paternal_key:
                yield SURNAMES, name.paternal_key
            if name.maternal_key:
                yield SURNAMES, name.maternal_key
        for index, part in enumerate(record.place[: self.place_parts]):
            if part:
                yield f"{PLACE}{index}", part

    def _bump(self, field_name: str, value: str, step: int) -> None:
        if self._adjustments:
            self._adjustments.clear()
        counts = self._counts[field_name]
        before = counts[value]
        after = before + step
        if after <= 0:
            del counts[value]
            after = 0
        else:
            counts[value] = after
        self._total[field_name] += after - before
        self._sumsq[field_name] += after * after - before * before

    def add(self, record: Record) -> None:
        for field_name, value in self._values(record):
            self._bump(field_name, value, 1)

    def remove(self, record: Record) -> None:
        for field_name, value in self._values(record):
            self._bump(field_name, value, -1)

    def count(self, field_name: str, value: str) -> int:
        return self._counts[field_name].get(value, 0)

    def agreement_chance(self, field_name: str) -> float:
        """``ū``: the chance that two random records agree on this field's value."""
        total = self._total[field_name]
        return self._sumsq[field_name] / (total * total) if total else 0.0

    def adjustment(self, field_name: str, value: str) -> float:
        """``log2(ū / f)`` bits for agreeing on ``value``, bounded; 0 when nothing is known."""
        marker = (field_name, value)
        found = self._adjustments.get(marker)
        if found is None:
            found = self._adjustments[marker] = self._adjustment(field_name, value)
        return found

    def _adjustment(self, field_name: str, value: str) -> float:
        total = self._total.get(field_name, 0)
        if not total:
            return 0.0
        count = max(self._counts[field_name].get(value, 0), 1)
        sumsq = self._sumsq[field_name]
        # ū / f = (Σc² / T²) / (c / T) = Σc² / (T · c)
        bits = math.log2(sumsq / (total * count)) if sumsq else 0.0
        return min(max(bits, _TF_MIN), _TF_MAX)


# ---------------------------------------------------------------------------------------------
# Scores and explanations
# ---------------------------------------------------------------------------------------------


class Compared(NamedTuple):
    """The outcome of comparing two records: the level of each field (given name, surnames,
    birth date, place, sex; ``MISSING`` = -1), the term-frequency bits of each, which of the
    second record's names was used, and whether given name and surname were read swapped."""

    levels: tuple[int, int, int, int, int]
    tf: tuple[float, float, float, float, float]
    name_index: int
    swapped: bool


@dataclass(frozen=True)
class FieldScore:
    """How one field contributed to a score.

    ``level`` is the comparison level's code (``"missing"`` when a side had no value),
    ``weight`` its contribution in bits (term-frequency adjustment included; positive is
    evidence for a match), ``tf_adjustment`` the part of it due to how common the value is.
    """

    field: str
    level: str
    description: str
    weight: float
    tf_adjustment: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "level": self.level,
            "description": self.description,
            "weight": round(self.weight, 2),
            "tf_adjustment": round(self.tf_adjustment, 2),
        }


@dataclass(frozen=True)
class Score:
    """A scored pair: the match probability and the explanation of how it was reached.

    ``match_weight`` = ``prior_weight`` + the sum of the fields' weights, in bits; the
    probability is ``2^w / (1 + 2^w)``. ``name_index`` says which of the candidate's names
    (0: primary, then aliases) gave the best agreement.
    """

    key: Hashable
    probability: float
    match_weight: float
    prior_weight: float
    fields: tuple[FieldScore, ...] = field(default_factory=tuple)
    name_index: int = 0
    swapped: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "probability": round(self.probability, 6),
            "match_weight": round(self.match_weight, 2),
            "prior_weight": round(self.prior_weight, 2),
            "fields": [f.as_dict() for f in self.fields],
        }


def probability_from_weight(bits: float) -> float:
    if bits > 60:
        return 1.0
    if bits < -60:
        return 0.0
    odds = 2.0**bits
    return odds / (1.0 + odds)


# ---------------------------------------------------------------------------------------------
# Default parameters
# ---------------------------------------------------------------------------------------------

# Hand-set starting points, in level order; normalised to sum to 1 when the model is made.
# They describe a registry of Cuban-style names where lists are typed by different hands.
_DEFAULT_M: dict[str, list[float]] = {
    GIVEN: [0.78, 0.05, 0.04, 0.04, 0.05, 0.005, 0.015, 0.005, 0.02],
    SURNAMES: [0.66, 0.03, 0.06, 0.03, 0.03, 0.14, 0.02, 0.01, 0.01, 0.02],
    BIRTH: [0.78, 0.01, 0.03, 0.02, 0.03, 0.06, 0.01, 0.02, 0.02],
    SEX: [0.99, 0.01],
}
_DEFAULT_U: dict[str, list[float]] = {
    GIVEN: [0.015, 0.002, 0.003, 0.004, 0.01, 0.01, 0.03, 0.005, 0.921],
    SURNAMES: [0.0006, 0.0002, 0.0003, 0.0006, 0.05, 0.03, 0.003, 0.03, 0.05, 0.8353],
    BIRTH: [0.00004, 0.00001, 0.0005, 0.0015, 0.0003, 0.015, 0.012, 0.03, 0.94065],
    SEX: [0.6, 0.4],
}


def _default_place(parts: int) -> tuple[list[float], list[float]]:
    if parts == 0:
        return [], []
    coarse = parts - 1
    m = [0.70, 0.03]
    u = [0.02, 0.005]
    for index in range(coarse):
        m += [0.15 / coarse, 0.01]
        u += [min(0.05 * (index + 1), 0.2), 0.005]
    m.append(0.12 if coarse else 0.27)
    u.append(max(1.0 - sum(u), 0.05))
    return m, u


def _normalised(values: Sequence[float]) -> list[float]:
    if not len(values):
        return []
    array = np.clip(np.asarray(values, dtype=float), _PROBABILITY_FLOOR, None)
    return [float(x) for x in array / array.sum()]


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------


class LinkageModel:
    """Fellegi-Sunter parameters plus the comparison structure.

    ``place_parts`` names the parts of a place from finest to coarsest (the registry uses
    ``("municipality", "province")``; records must give their place in the same order).
    ``match_share`` is the expected share of query records that have a match in the
    reference population; ``population`` the size the model was trained against (used when
    no other size is given).
    """

    def __init__(
        self,
        *,
        place_parts: Sequence[str] = ("municipality", "province"),
        m: dict[str, Sequence[float]] | None = None,
        u: dict[str, Sequence[float]] | None = None,
        match_share: float = 0.5,
        population: int = 10_000,
        tf_weight: float = 1.0,
    ) -> None:
        self.place_parts = tuple(place_parts)
        place_m, place_u = _default_place(len(self.place_parts))
        defaults_m = {**_DEFAULT_M, PLACE: place_m}
        defaults_u = {**_DEFAULT_U, PLACE: place_u}
        self.levels: dict[str, tuple[LevelSpec, ...]] = {
            GIVEN: cmp.GIVEN,
            SURNAMES: cmp.SURNAMES,
            BIRTH: cmp.BIRTH,
            PLACE: cmp.place_levels(self.place_parts),
            SEX: cmp.SEX,
        }
        self._default_m = {name: _normalised(defaults_m[name]) for name in FIELDS}
        self._default_u = {name: _normalised(defaults_u[name]) for name in FIELDS}
        self.m: dict[str, list[float]] = {}
        self.u: dict[str, list[float]] = {}
        for name in FIELDS:
            size = len(self.levels[name])
            given_m = (m or {}).get(name, defaults_m[name])
            given_u = (u or {}).get(name, defaults_u[name])
            if len(given_m) != size or len(given_u) != size:
                raise ValueError(f"{name}: expected {size} levels")
            self.m[name] = _normalised(given_m)
            self.u[name] = _normalised(given_u)
        self.match_share = float(match_share)
        self.population = int(population)
        self.tf_weight = float(tf_weight)
        self._refresh_weights()

    # -- parameters ----------------------------------------------------------------------------

    @property
    def fields(self) -> tuple[str, ...]:
        return FIELDS if self.place_parts else (GIVEN, SURNAMES, BIRTH, SEX)

    def refresh(self) -> None:
        """Recompute the weights after ``m`` or ``u`` were changed directly."""
        self._refresh_weights()

    def _refresh_weights(self) -> None:
        self._w: dict[str, list[float]] = {
            name: [math.log2(m / u) for m, u in zip(self.m[name], self.u[name], strict=True)]
            for name in FIELDS
        }
        # Hot-path copies with a trailing 0.0, so that MISSING (-1) indexes a zero weight.
        self._wg = [*self._w[GIVEN], 0.0]
        self._ws = [*self._w[SURNAMES], 0.0]
        self._wb = [*self._w[BIRTH], 0.0]
        self._wp = [*self._w[PLACE], 0.0]
        self._wx = [*self._w[SEX], 0.0]
        self._parts = len(self.place_parts)
        self._place_fields = tuple(f"{PLACE}{i}" for i in range(self._parts))

    def weights(self) -> dict[str, dict[str, float]]:
        """Each level's weight in bits, before term-frequency adjustment."""
        return {
            name: {
                spec.code: round(weight, 3)
                for spec, weight in zip(self.levels[name], self._w[name], strict=True)
            }
            for name in self.fields
        }

    def prior_weight(self, population: int | None = None) -> float:
        """``log2(λ / (1 - λ))`` for one pair, with λ = match share / population."""
        size = max(population or self.population, 1)
        lam = min(max(self.match_share / size, 1e-12), 0.5)
        return math.log2(lam / (1.0 - lam))

    # -- comparing -----------------------------------------------------------------------------

    def _names(
        self, na: NameFeatures, nb: NameFeatures, tf: TermFrequencies | None
    ) -> tuple[float, int, int, float, float, bool]:
        """Weight, given and surname levels, their TF bits, and whether the reading with
        ``nb``'s given name and surname swapped was used."""
        given, key = cmp.given_level(na, nb)
        surnames, keys = cmp.surname_level(na, nb)
        tf_given = tf_surnames = 0.0
        if tf is not None:
            if key:
                tf_given = self.tf_weight * tf.adjustment(GIVEN, key)
            for k in keys:
                tf_surnames += self.tf_weight * tf.adjustment(SURNAMES, k)
        weight = tf_given + tf_surnames + self._wg[given] + self._ws[surnames]
        if (
            given in _GIVEN_DISAGREES
            and surnames in _SURNAMES_DISAGREE
            and na.given
            and nb.given
            and nb.paternal
        ):
            # A list with the given-name and surname columns swapped ("PÉREZ" as the given
            # name): try that reading, at a cost, when the normal one finds no agreement.
            other = _swapped(nb.given, nb.paternal, nb.maternal)
            s_given = cmp.given_level(na, other)[0]
            s_surnames = cmp.surname_level(na, other)[0]
            if s_given in _GIVEN_DISAGREES and s_surnames in _SURNAMES_DISAGREE:
                return weight, given, surnames, tf_given, tf_surnames, False
            # No term-frequency adjustment here: the values sit in the other field's table
            # (a surname read as a given name would look unheard of, hence very telling).
            swapped_weight = self._wg[s_given] + self._ws[s_surnames] - SWAP_PENALTY
            if swapped_weight > weight:
                return swapped_weight, s_given, s_surnames, 0.0, 0.0, True
        return weight, given, surnames, tf_given, tf_surnames, False

    def _compare(
        self, a: Record, b: Record, tf: TermFrequencies | None
    ) -> tuple[float, tuple[int, int, int, int, int], float, float, float, int, bool]:
        """Total weight (prior excluded), levels, TF bits of names and place, the name used,
        and whether given name and surname were read swapped."""
        best: tuple[float, int, int, float, float, bool] | None = None
        name_index = 0
        if len(a.names) == 1 and len(b.names) == 1:
            best = self._names(a.names[0], b.names[0], tf)
        else:
            for na in a.names:
                for j, nb in enumerate(b.names):
                    found = self._names(na, nb, tf)
                    if best is None or found[0] > best[0]:
                        best, name_index = found, j
        if best is None:
            weight, given, surnames, tf_given, tf_surnames, swapped = (
                0.0, MISSING, MISSING, 0.0, 0.0, False
            )  # fmt: skip
        else:
            weight, given, surnames, tf_given, tf_surnames, swapped = best
        birth = cmp.birth_level(a.birth, b.birth)
        place, tf_place = MISSING, 0.0
        if self._parts:
            place, part = cmp.place_level(a.place, b.place, self._parts)
            if part >= 0 and tf is not None:
                tf_place = self.tf_weight * tf.adjustment(self._place_fields[part], b.place[part])
        sex = cmp.sex_level(a.sex, b.sex)
        weight += self._wb[birth] + self._wp[place] + tf_place + self._wx[sex]
        return (
            weight,
            (given, surnames, birth, place, sex),
            tf_given,
            tf_surnames,
            tf_place,
            name_index,
            swapped,
        )

    def compare(self, a: Record, b: Record, tf: TermFrequencies | None = None) -> Compared:
        """Compare two records field by field (the best pair of their names counts)."""
        _, levels, tf_given, tf_surnames, tf_place, name_index, swapped = self._compare(a, b, tf)
        return Compared(levels, (tf_given, tf_surnames, 0.0, tf_place, 0.0), name_index, swapped)

    def weight_of(self, compared: Compared) -> float:
        """The sum of the field weights of a comparison, in bits, without the prior."""
        weight = sum(compared.tf)
        for weights, level in zip(
            (self._wg, self._ws, self._wb, self._wp, self._wx), compared.levels, strict=True
        ):
            if level != MISSING:
                weight += weights[level]
        return weight - (SWAP_PENALTY if compared.swapped else 0.0)

    def pair_weight(self, a: Record, b: Record, tf: TermFrequencies | None = None) -> float:
        """The sum of the field weights in bits, without the prior (the fast path)."""
        return self._compare(a, b, tf)[0]

    def probability(
        self,
        a: Record,
        b: Record,
        tf: TermFrequencies | None = None,
        population: int | None = None,
    ) -> float:
        weight = self.pair_weight(a, b, tf) + self.prior_weight(population)
        return probability_from_weight(weight)

    def level_weights(self) -> list[np.ndarray]:
        """Per field, the weight of each level with a last entry 0.0 for MISSING (-1), for
        scoring many comparisons at once with numpy."""
        return [np.asarray([*self._w[name], 0.0]) for name in FIELDS]

    def score(
        self,
        a: Record,
        b: Record,
        tf: TermFrequencies | None = None,
        population: int | None = None,
    ) -> Score:
        """Score ``b`` as a match for ``a``, with the explanation of every field."""
        compared = self.compare(a, b, tf)
        fields: list[FieldScore] = []
        for name, level, adjustment in zip(FIELDS, compared.levels, compared.tf, strict=True):
            if name == PLACE and not self.place_parts:
                continue
            if level == MISSING:
                fields.append(
                    FieldScore(name, "missing", "not given on one side, or on either", 0.0)
                )
                continue
            spec = self.levels[name][level]
            weight = self._w[name][level] + adjustment
            fields.append(FieldScore(name, spec.code, spec.description, weight, adjustment))
        if compared.swapped:
            # Its own line, so that the explanation adds up and says why the names agree.
            fields.append(
                FieldScore(
                    NAME_ORDER, "swapped", "given name and surname read as swapped", -SWAP_PENALTY
                )
            )
        prior = self.prior_weight(population)
        total = self.weight_of(compared) + prior
        return Score(
            key=b.key,
            probability=probability_from_weight(total),
            match_weight=total,
            prior_weight=prior,
            fields=tuple(fields),
            name_index=compared.name_index,
            swapped=compared.swapped,
        )

    # -- estimation ----------------------------------------------------------------------------

    def estimate_u(self, levels: dict[str, np.ndarray], smoothing: float = 1.0) -> None:
        """Set ``u`` from the levels of random pairs (nearly all non-matches), per field.

        Each field may come from its own sample: a birth date is cheap to compare, so more
        pairs can be drawn for its rare levels (two strangers born the same day). The
        current ``u`` counts as ``smoothing`` pseudo-pairs, so a level the sample never met
        keeps a small probability instead of none.
        """
        for name in self.fields:
            sample = levels.get(name)
            if sample is None:
                continue
            sample = sample[sample >= 0]
            size = len(self.levels[name])
            counts = np.bincount(sample, minlength=size).astype(float)
            prior = np.asarray(self.u[name])
            self.u[name] = _normalised((counts + smoothing * prior) / (counts.sum() + smoothing))
        self._refresh_weights()

    def estimate_m(
        self,
        vectors: np.ndarray,
        *,
        fields: Sequence[str] | None = None,
        fixed_u: bool = False,
        max_iterations: int = 200,
        tolerance: float = 1e-6,
        prior_strength: float = 5.0,
    ) -> float:
        """Expectation maximisation of ``m`` over comparison vectors (columns as ``FIELDS``).

        Only ``fields`` (default: all) take part and are updated; the others are left out of
        the likelihood, as when pairs were chosen for agreeing on them. With ``fixed_u`` the
        non-match class keeps the random-pair ``u`` (right when the pairs were chosen by an
        exact agreement on a field left out: given that, the other fields of two strangers
        are as random as ever); otherwise both classes are estimated. Returns the expected
        number of matching pairs. ``prior_strength`` pseudo-pairs pull each level towards
        its current value, so that an empty level keeps a sensible weight.
        """
        fields = [name for name in (fields or self.fields) if name in self.fields]
        if len(vectors) == 0 or not fields:
            return 0.0
        columns = [FIELDS.index(name) for name in fields]
        patterns, counts_int = np.unique(vectors[:, columns], axis=0, return_counts=True)
        counts = counts_int.astype(float)
        m0 = {name: np.asarray(self.m[name]) for name in fields}
        m = {name: m0[name].copy() for name in fields}
        u = {name: np.asarray(self.u[name]).copy() for name in fields}
        lam = 0.1
        valid = patterns >= 0
        index = np.where(valid, patterns, 0)
        expected = 0.0
        for _ in range(max_iterations):
            logit = np.full(len(patterns), math.log(lam / (1 - lam)))
            for column, name in enumerate(fields):
                ratio = np.log(m[name][index[:, column]]) - np.log(u[name][index[:, column]])
                logit += np.where(valid[:, column], ratio, 0.0)
            post = 1.0 / (1.0 + np.exp(-np.clip(logit, -500, 500)))
            in_match = counts * post
            in_other = counts - in_match
            expected = float(in_match.sum())
            new_lam = min(max(expected / counts.sum(), 1e-9), 1 - 1e-9)
            change = abs(new_lam - lam)
            lam = new_lam
            for column, name in enumerate(fields):
                keep = valid[:, column]
                size = len(m[name])
                mass_m = np.bincount(index[keep, column], weights=in_match[keep], minlength=size)
                new_m = (mass_m + prior_strength * m0[name]) / (mass_m.sum() + prior_strength)
                new_m = np.clip(new_m, _PROBABILITY_FLOOR, None)
                change = max(change, float(np.abs(new_m - m[name]).max()))
                m[name] = new_m / new_m.sum()
                if not fixed_u:
                    mass_u = np.bincount(
                        index[keep, column], weights=in_other[keep], minlength=size
                    )
                    new_u = (mass_u + prior_strength * u[name]) / (mass_u.sum() + prior_strength)
                    new_u = np.clip(new_u, _PROBABILITY_FLOOR, None)
                    u[name] = new_u / new_u.sum()
            if change < tolerance:
                break
        for name in fields:
            # A level that is evidence *against* a match (its default weight is negative)
            # may become at most twice as common among matches as assumed: EM over pairs
            # chosen by one agreement cannot tell a namesake or a sibling from a match whose
            # date or place was written wrong, and would otherwise make disagreeing normal.
            default_m = np.asarray(self._default_m[name])
            default_w = np.log2(default_m / np.asarray(self._default_u[name]))
            m[name] = np.where(default_w < 0, np.minimum(m[name], 2 * default_m), m[name])
            # EM shrinks the levels where a few true matches disagree towards nothing
            # (those matches look like non-matches, so they are counted as such, which makes
            # disagreeing look impossible for a match). A floor of a quarter of the prior
            # belief keeps a typo or a moved person from weighing like proof of a stranger.
            floor = _M_FLOOR_SHARE * np.asarray(self._default_m[name])
            kept = np.maximum(m[name], floor)
            self.m[name] = [float(x) for x in kept / kept.sum()]
        self._refresh_weights()
        return expected

    # -- persistence ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "detente-linkage-model/2",
            "place_parts": list(self.place_parts),
            "match_share": self.match_share,
            "population": self.population,
            "tf_weight": self.tf_weight,
            "m": {name: self.m[name] for name in FIELDS},
            "u": {name: self.u[name] for name in FIELDS},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinkageModel:
        if data.get("format") != "detente-linkage-model/2":
            raise ValueError("not a Detente linkage model")
        return cls(
            place_parts=data["place_parts"],
            m=data["m"],
            u=data["u"],
            match_share=data["match_share"],
            population=data["population"],
            tf_weight=data.get("tf_weight", 1.0),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> LinkageModel:
        return cls.from_dict(json.loads(text))
