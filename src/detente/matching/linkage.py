"""Batch linkage: estimate a model from two lists, link them, find duplicates in one.

This is the engine the import command, the match review queue and ``detente duplicates`` build
on. Typical use::

    index = CandidateIndex(LinkageModel(), registry_records)
    pairs = block(index, incoming_records)   # candidate pairs, each compared once
    train(index, pairs)                      # u, m and the match share from the data
    links = link(index, pairs)               # one-to-one, probability >= 0.5
    index.search(row, limit=5)               # for the match review queue: scored and explained

Pure Python and numpy: no Django.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from detente.matching import comparisons as cmp
from detente.matching.index import CandidateIndex
from detente.matching.model import (
    BIRTH,
    FIELDS,
    GIVEN,
    PLACE,
    SEX,
    SURNAMES,
    SWAP_PENALTY,
    LinkageModel,
    probability_from_weight,
)
from detente.matching.records import Record

__all__ = ["Link", "Pairs", "TrainingReport", "block", "duplicates", "link", "train"]


@dataclass(frozen=True)
class Link:
    """A proposed link from an incoming record (``left``) to an indexed one (``right``)."""

    left: Hashable
    right: Hashable
    probability: float
    match_weight: float


@dataclass
class Pairs:
    """Candidate pairs between incoming records and an index, each compared once.

    Row ``i`` pairs ``records[left[i]]`` with the indexed record keyed ``right[i]``;
    ``levels`` holds its comparison levels (given name, surnames, birth date, place, sex),
    ``tf`` the sum of its term-frequency bits and ``swapped`` whether given name and surname
    were read swapped. Training changes only ``m`` and ``u``, so the same comparisons are
    scored again after training without comparing anything twice.
    """

    records: list[Record]
    left: np.ndarray
    right: list[Hashable]
    levels: np.ndarray
    tf: np.ndarray
    swapped: np.ndarray

    def __len__(self) -> int:
        return len(self.right)

    def weights(self, model: LinkageModel) -> np.ndarray:
        """Each pair's match weight in bits, without the prior."""
        total = self.tf - SWAP_PENALTY * self.swapped
        for column, weights in enumerate(model.level_weights()):
            total = total + weights[self.levels[:, column]]
        return total


@dataclass(frozen=True)
class TrainingReport:
    random_pairs: int
    candidate_pairs: int
    expected_matches: float
    match_share: float


def block(index: CandidateIndex, incoming: Iterable[Record], pool: int = 8) -> Pairs:
    """Pair each incoming record with the ``pool`` indexed records sharing most blocking keys,
    and compare every pair."""
    model, tf = index.model, index.tf
    records = list(incoming)
    left: list[int] = []
    right: list[Hashable] = []
    levels: list[tuple[int, ...]] = []
    bits: list[float] = []
    swapped: list[bool] = []
    found = index.candidate_records_many(records, pool)
    compare = model._compare
    for position, (record, candidates) in enumerate(zip(records, found, strict=True)):
        for candidate in candidates:
            _, level, tf_given, tf_surnames, tf_place, _, is_swapped = compare(
                record, candidate, tf
            )
            left.append(position)
            right.append(candidate.key)
            levels.append(level)
            bits.append(tf_given + tf_surnames + tf_place)
            swapped.append(is_swapped)
    return Pairs(
        records,
        np.asarray(left, dtype=np.int64),
        right,
        np.asarray(levels, dtype=np.int16).reshape(-1, len(FIELDS)),
        np.asarray(bits, dtype=float),
        np.asarray(swapped, dtype=bool),
    )


def _birth_array(records: Sequence[Record]) -> np.ndarray:
    return np.asarray(
        [
            (r.birth.year, r.birth.month, r.birth.day, r.birth.precision) if r.birth else (0,) * 4
            for r in records
        ],
        dtype=np.int64,
    ).reshape(-1, 4)


def _random_levels(
    index: CandidateIndex, incoming: Sequence[Record], pairs: int, seed: int, model: LinkageModel
) -> dict[str, np.ndarray]:
    """Levels of random (incoming, indexed) pairs, per field.

    Names are compared for ``pairs`` pairs, places and sex for twice as many, birth dates
    (vectorised) for twenty times as many: two strangers born the same day are rare, and
    the weight of that agreement rests on how rare.
    """
    draws = np.random.default_rng(seed)
    reference = index.records()
    n_left, n_right = len(incoming), len(reference)
    parts = len(model.place_parts)
    given = np.empty(pairs, dtype=np.int16)
    surnames = np.empty(pairs, dtype=np.int16)
    left = draws.integers(0, n_left, pairs).tolist()
    right = draws.integers(0, n_right, pairs).tolist()
    for row, (i, j) in enumerate(zip(left, right, strict=True)):
        a, b = incoming[i].name, reference[j].name
        if a is None or b is None:
            given[row] = surnames[row] = cmp.MISSING
            continue
        given[row] = cmp.given_level(a, b)[0]
        surnames[row] = cmp.surname_level(a, b)[0]
    more = pairs * 2
    place = np.empty(more, dtype=np.int16)
    sex = np.empty(more, dtype=np.int16)
    left = draws.integers(0, n_left, more).tolist()
    right = draws.integers(0, n_right, more).tolist()
    for row, (i, j) in enumerate(zip(left, right, strict=True)):
        a_rec, b_rec = incoming[i], reference[j]
        place[row] = cmp.place_level(a_rec.place, b_rec.place, parts)[0] if parts else -1
        sex[row] = cmp.sex_level(a_rec.sex, b_rec.sex)
    many = pairs * 20
    dates_left = _birth_array(incoming)[draws.integers(0, n_left, many)]
    dates_right = _birth_array(reference)[draws.integers(0, n_right, many)]
    birth = cmp.birth_levels(dates_left, dates_right)
    return {GIVEN: given, SURNAMES: surnames, BIRTH: birth, PLACE: place, SEX: sex}


def _session(
    index: CandidateIndex,
    incoming: Sequence[Record],
    key: Callable[[Record], Hashable],
    cap: int,
    rng: random.Random,
    model: LinkageModel,
) -> np.ndarray:
    """Comparison levels of the (incoming, indexed) pairs that agree exactly on ``key``
    (at most ``cap`` indexed records per incoming one, drawn at random)."""
    groups: dict[Hashable, list[Record]] = defaultdict(list)
    for record in index.records():
        value = key(record)
        if value is not None:
            groups[value].append(record)
    tf = index.tf
    levels: list[tuple[int, ...]] = []
    for record in incoming:
        value = key(record)
        found = groups.get(value) if value is not None else None
        if not found:
            continue
        if len(found) > cap:
            found = rng.sample(found, cap)
        levels.extend(model.compare(record, other, tf).levels for other in found)
    return np.asarray(levels, dtype=np.int16).reshape(-1, len(FIELDS))


def _full_birth(record: Record) -> Hashable:
    birth = record.birth
    return birth.digits if birth is not None and birth.precision == 3 else None


def _full_name(record: Record) -> Hashable:
    name = record.name
    if name is None or not name.given or not name.surnames:
        return None
    return (name.given_tf, *sorted(name.surnames))


def train(
    index: CandidateIndex,
    pairs: Pairs | Sequence[Record],
    *,
    model: LinkageModel | None = None,
    random_pairs: int = 50_000,
    cap: int = 20,
    min_matches: float = 30.0,
    seed: int = 0,
) -> TrainingReport:
    """Estimate ``model`` (default: the index's own) from the data, in place, as Splink
    does it. ``pairs`` is the incoming list (its records, or the pairs blocked from it).

    1. ``u`` from random (incoming, indexed) pairs: two records drawn at random are almost
       never the same person.
    2. ``m`` of the names, place and sex by expectation maximisation over the pairs born on
       the same day (the birth date left out of the model for this session: given that,
       two strangers' names are as random as any, so ``u`` stays fixed and EM only has to
       find the matches, which the names make plain).
    3. ``m`` of the birth date the same way, over the pairs with the same given name and
       surnames (namesakes' birth dates are as random as anyone's; relatives, who share
       surnames, place and birth years, would not be).
    4. The match share: the matches expected among the same-birthday pairs, divided by the
       share of matches whose birth dates agree (``m`` of "exact"), per incoming record.

    EM over all candidate pairs at once is tempting but unreliable: in a large registry the
    candidates' near-strangers (same birthday, same common surnames) form clusters that EM
    can take for the matches. A session that cannot find ``min_matches`` matches leaves its
    fields at their current values (the defaults, or an earlier estimate), as does a list
    too small to say anything.
    """
    model = model if model is not None else index.model
    incoming = pairs.records if isinstance(pairs, Pairs) else list(pairs)
    if not incoming or not len(index):
        return TrainingReport(0, 0, 0.0, model.match_share)
    rng = random.Random(seed)  # noqa: S311 -- sampling for estimation, not security
    # A light prior: the levels two strangers rarely reach (both surnames the same) need a
    # large sample, and a heavy pull towards the defaults would decide them instead.
    model.estimate_u(_random_levels(index, incoming, random_pairs, seed, model), smoothing=5.0)
    before = {name: list(model.m[name]) for name in model.fields}
    # Session 1: same birth date; the names, place and sex are learnt.
    by_birth = _session(index, incoming, _full_birth, cap, rng, model)
    others = [name for name in model.fields if name != BIRTH]
    expected = model.estimate_m(by_birth, fields=others, fixed_u=True)
    if expected < min_matches:
        for name in others:
            model.m[name] = before[name]
    # Session 2: same given name and surnames; the birth date is learnt (place and sex take
    # part, to tell namesakes apart, but keep their values from session 1).
    by_name = _session(index, incoming, _full_name, cap, rng, model)
    kept = {name: list(model.m[name]) for name in model.fields}
    learnt = [name for name in model.fields if name not in (GIVEN, SURNAMES)]
    found = model.estimate_m(by_name, fields=learnt, fixed_u=True)
    for name in learnt:
        if name != BIRTH or found < min_matches:
            model.m[name] = kept[name]
    model.refresh()
    # The match share: matches found among same-birthday pairs, over the chance that a
    # match's birth dates agree exactly, per incoming record that could have agreed.
    agree = model.m[BIRTH][cmp.B_EXACT]
    dated = sum(1 for r in incoming if r.birth is not None)
    reference_dated = sum(1 for r in index.records() if r.birth is not None) / len(index)
    if expected >= min_matches and dated and reference_dated:
        share = expected / agree / (dated * reference_dated)
        model.match_share = min(max(share, 0.01), 1.0)
    model.population = len(index)
    return TrainingReport(random_pairs, len(by_birth) + len(by_name), expected, model.match_share)


def link(
    index: CandidateIndex,
    pairs: Pairs,
    *,
    threshold: float = 0.5,
    one_to_one: bool = True,
) -> list[Link]:
    """Link each incoming record to at most one indexed record.

    Pairs at or above ``threshold`` probability are kept. With ``one_to_one`` (a list names
    each person once) the pairs are taken best first and a record already linked on either
    side is skipped, so two twins on the registry cannot both take the same row, nor two rows
    the same person.
    """
    model = index.model
    prior = model.prior_weight(max(len(index), 1))
    weights = pairs.weights(model) + prior
    cut = math.log2(threshold / (1.0 - threshold)) if 0.0 < threshold < 1.0 else -math.inf
    kept = np.flatnonzero(weights >= cut)
    kept = kept[np.argsort(-weights[kept], kind="stable")]
    links: list[Link] = []
    used_left: set[Hashable] = set()
    used_right: set[Hashable] = set()
    for row in kept.tolist():
        left_key = pairs.records[int(pairs.left[row])].key
        right_key = pairs.right[row]
        if one_to_one and (left_key in used_left or right_key in used_right):
            continue
        used_left.add(left_key)
        used_right.add(right_key)
        weight = float(weights[row])
        links.append(Link(left_key, right_key, probability_from_weight(weight), weight))
    return links


def duplicates(index: CandidateIndex, *, threshold: float = 0.5, pool: int = 10) -> list[Link]:
    """Pairs of indexed records that are likely the same person, best first.

    The pipeline's candidates and scores (:mod:`detente.matching.pipeline`), the index's
    model and term frequencies, calibrated for the index's size. Each pair is reported
    once (``left`` is the record filed first); ties are ordered by filing order.
    """
    from detente.matching.pipeline import Scorer

    records = index.records()
    order = {record.key: position for position, record in enumerate(records)}
    scorer = Scorer(index.model, index.tf, len(index))
    found: dict[tuple[int, int], Link] = {}
    for start in range(0, len(records), 2048):
        batch = records[start : start + 2048]
        candidates = index.candidate_records_many(batch, pool, exclude_self=True)
        for record, others in zip(batch, candidates, strict=True):
            for proposal in scorer.propose(record, others):
                if proposal.probability < threshold:
                    break
                a, b = sorted((order[record.key], order[proposal.key]))
                if (a, b) not in found:
                    found[(a, b)] = Link(
                        records[a].key, records[b].key, proposal.probability, proposal.weight
                    )
    return sorted(found.values(), key=lambda link: (-link.match_weight, order[link.left]))
