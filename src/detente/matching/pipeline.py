"""The linkage pipeline: one candidate generator, one model, one decision rule.

Every door that asks "who is this?" goes through here: a list import (thousands of rows at
once), ``detente match`` and the API (one typed name), the new-person form's suggestions,
``detente duplicates`` and the match review queue (which shows what an import proposed). What
differs between the doors is how many records they ask about, never how candidates are
found, scored or decided on:

1. **Candidates** come from :class:`~detente.matching.index.CandidateIndex` (blocking keys
   ranked by rarity). A batch scores a short pool first and widens it for the rows that the
   short pool leaves undecided (:func:`propose_many`), so the rows that need a wider look
   get it and the clear ones cost little.
2. **Scores** come from one :class:`~detente.matching.model.LinkageModel` and the
   reference population's term frequencies (:class:`Scorer`); probabilities are calibrated
   for the size of the population the candidates are drawn from.
3. **The decision** (:func:`decide`) links a record alone only when a reviewer would sign
   it: the best candidate is likely enough (``link_above``); no other row of the same list
   was linked to that person; nothing disagrees outright (the given names are not
   different names, and the sex, the birth date and the province agree or are unknown on
   one side); something besides the names agrees (the birth date, to the year at least, or
   the municipality): two people with the same name are common, relatives share surnames
   and places, and a wrong link hides one prisoner behind another; and nobody else comes
   close (``margin`` bits). Anything else likely enough (``review_above``) goes to review
   *with the reason*, and the rest is a new person. Ties are broken by the order in which
   the candidates were filed, so the outcome does not depend on hash seeds or on how a set
   happened to iterate.

Pure Python and numpy: no Django.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from detente.matching import comparisons as cmp
from detente.matching.comparisons import MISSING
from detente.matching.index import CandidateIndex
from detente.matching.model import (
    FIELDS,
    LinkageModel,
    Score,
    TermFrequencies,
    probability_from_weight,
)
from detente.matching.records import Record

__all__ = [
    "LINK",
    "NEW",
    "REVIEW",
    "Policy",
    "Proposal",
    "Scorer",
    "Verdict",
    "decide",
    "propose_many",
]

LINK, REVIEW, NEW = "link", "review", "new"

# Reasons a record is not linked alone (stable codes; the reconcile app labels them).
GREY_ZONE = "grey_zone"
CLOSE_RUNNER_UP = "close_runner_up"
GIVEN_NAMES = "given_names"
SEX = "sex"
BIRTH_DATE = "birth_date"
PLACE = "place"
NAMES_ONLY = "names_only"
TAKEN = "taken"

_GIVEN, _BIRTH, _PLACE, _SEX = (
    FIELDS.index(f) for f in ("given_name", "birth_date", "place", "sex")
)
_SEX_DIFFERENT = 1
# Birth-date levels that say the dates are the same one, as written or with a slip of the
# pen; "year off by one" and "another month" are too weak to count for a link alone.
_BIRTH_AGREES = frozenset(
    {cmp.B_EXACT, cmp.B_TRANSPOSED, cmp.B_TO_MONTH, cmp.B_DAY_DIFFERS, cmp.B_ONE_DIGIT,
     cmp.B_TO_YEAR}
)  # fmt: skip


@dataclass(frozen=True)
class Policy:
    """The decision rule's thresholds.

    ``link_above``: probability from which the best candidate may be linked alone;
    ``review_above``: from which a candidate is worth a reviewer's time (below it, a new
    person); ``margin``: how many bits the best must lead the runner-up by (5 bits: the
    runner-up is at most 1 in 32 as likely); ``shown``: candidates kept with a decision.
    """

    link_above: float = 0.95
    review_above: float = 0.05
    margin: float = 5.0
    shown: int = 5
    shown_above: float = 0.01


class Proposal(NamedTuple):
    """A candidate scored for a record: its weight (prior included) and the levels the
    fields reached. (A named tuple: an import makes millions.)"""

    record: Record
    weight: float
    levels: tuple[int, ...]
    swapped: bool
    order: int  # the candidate's rank in blocking: ties are broken by it

    @property
    def key(self) -> Hashable:
        return self.record.key

    @property
    def probability(self) -> float:
        return probability_from_weight(self.weight)


@dataclass(frozen=True)
class Verdict:
    outcome: str  # LINK, REVIEW or NEW
    reason: str  # "" for a plain link or a new person; else why it was not linked alone
    proposals: tuple[Proposal, ...]  # the candidates kept, best first

    @property
    def best(self) -> Proposal | None:
        return self.proposals[0] if self.proposals else None


def _best_first(proposal: Proposal) -> tuple[float, int]:
    return (-proposal.weight, proposal.order)


class Scorer:
    """One model with the reference population's term frequencies, for one population size.

    ``population`` calibrates the probabilities: the number of people a record could be
    (the registry, plus the rows of a list being loaded, which may add as many).
    """

    def __init__(self, model: LinkageModel, tf: TermFrequencies, population: int) -> None:
        self.model = model
        self.tf = tf
        self.population = max(int(population), 1)
        self.prior = model.prior_weight(self.population)

    def propose(self, record: Record, candidates: Iterable[Record]) -> list[Proposal]:
        """The candidates scored, best first (ties: the order given)."""
        return self._propose(record, candidates, 0)

    def _propose(self, record: Record, candidates: Iterable[Record], first: int) -> list[Proposal]:
        compare, tf, prior = self.model._compare, self.tf, self.prior
        out = []
        for order, other in enumerate(candidates, start=first):
            weight, levels, _g, _s, _p, _n, swapped = compare(record, other, tf)
            out.append(Proposal(other, weight + prior, levels, swapped, order))
        out.sort(key=_best_first)
        return out

    def explain(self, record: Record, other: Record) -> Score:
        """The engine's explanation of a pair (which fields agreed, at which level, with
        how many bits), with this scorer's calibration."""
        return self.model.score(record, other, self.tf, self.population)


def _conflict(proposal: Proposal, place_parts: int) -> str:
    """Why a likely pair still needs a person's eyes ("" when nothing stands in the way)."""
    levels = proposal.levels
    if levels[_GIVEN] in (cmp.G_ELSE, cmp.G_SECOND_DIFFERS) and not proposal.swapped:
        return GIVEN_NAMES
    if levels[_SEX] == _SEX_DIFFERENT:
        return SEX
    if levels[_BIRTH] == cmp.B_ELSE:
        return BIRTH_DATE
    place = levels[_PLACE]
    if place_parts and place == 2 * place_parts:  # "else": a different province
        return PLACE
    # Besides the names, the birth date (to the year at least) or a place finer than the
    # coarsest part (the municipality) must agree.
    finer = place_parts > 1 and MISSING < place < 2 * (place_parts - 1)
    if levels[_BIRTH] not in _BIRTH_AGREES and not finer:
        return NAMES_ONLY
    return ""


def decide(
    proposals: Sequence[Proposal],
    policy: Policy,
    taken: Collection[Hashable] = (),
    place_parts: int = 2,
) -> Verdict:
    """Link, review or new, and why (see the module's docstring). ``place_parts``: how
    many parts the model's places have (the registry: municipality and province)."""
    shown = tuple(p for p in proposals[: policy.shown] if p.probability >= policy.shown_above)
    best = proposals[0] if proposals else None
    if best is None or best.probability < policy.review_above:
        return Verdict(NEW, "", shown)
    # The weightiest reason is given, whatever the probability: a reviewer (and a bulk
    # acceptance) must know that the person is taken, or that something disagrees, even
    # when the score alone would have sent the row to review.
    if best.key in taken:
        return Verdict(REVIEW, TAKEN, shown)
    conflict = _conflict(best, place_parts)
    if conflict and conflict != NAMES_ONLY:
        return Verdict(REVIEW, conflict, shown)
    if len(proposals) > 1 and proposals[1].weight > best.weight - policy.margin:
        return Verdict(REVIEW, CLOSE_RUNNER_UP, shown)
    if best.probability < policy.link_above:
        return Verdict(REVIEW, GREY_ZONE, shown)
    if conflict:
        return Verdict(REVIEW, conflict, shown)
    return Verdict(LINK, "", shown)


def propose_many(
    index: CandidateIndex,
    scorer: Scorer,
    records: Sequence[Record],
    policy: Policy,
    *,
    first_pool: int = 10,
    wide_pool: int = 50,
    share: float = 0.34,
    extra: Callable[[int], Iterable[Record]] | None = None,
) -> list[list[Proposal]]:
    """Scored candidates for many records: the ``first_pool`` best by blocking for every
    record, then the ``wide_pool`` best for each record the first look does not link
    alone. Records sharing less than ``share`` of the best one's key weight are not
    scored: they disagree on most of what the row says. ``extra(i)`` adds candidates of
    record ``i`` from elsewhere (people a list creates as it is loaded)."""
    found = index.candidate_records_many(records, first_pool, share=share)
    out: list[list[Proposal]] = []
    wider: list[int] = []
    for position, (record, candidates) in enumerate(zip(records, found, strict=True)):
        pool = list(candidates)
        if extra is not None:
            pool.extend(extra(position))
        proposals = scorer.propose(record, pool)
        out.append(proposals)
        verdict = decide(proposals, policy, place_parts=len(scorer.model.place_parts))
        # Undecided, with somebody plausible in sight: a wider look may find the person
        # (or their namesake, which matters as much). Nobody plausible among the best
        # few by blocking: the rest, sharing less, are less plausible still.
        undecided = verdict.outcome == REVIEW or (verdict.outcome == NEW and verdict.proposals)
        if undecided and len(candidates) >= min(first_pool, 3):
            wider.append(position)
    if wider:
        again = index.candidate_records_many([records[i] for i in wider], wide_pool, share=share)
        for position, candidates in zip(wider, again, strict=True):
            seen = {p.key for p in out[position]}
            more = [c for c in candidates if c.key not in seen]
            if more:
                # Blocking order first for those scored first, then the wider pool's.
                wide = scorer._propose(records[position], more, first=len(seen))
                out[position] = sorted([*out[position], *wide], key=_best_first)
    return out


def levels_as_codes(model: LinkageModel, proposal: Proposal) -> dict[str, str]:
    """The level each field reached, by its stable code ("missing" when a side had none)."""
    out: dict[str, str] = {}
    for name, level in zip(FIELDS, proposal.levels, strict=True):
        specs = model.levels.get(name)
        if not specs:
            continue
        out[name] = "missing" if level == MISSING or level >= len(specs) else specs[level].code
    return out
