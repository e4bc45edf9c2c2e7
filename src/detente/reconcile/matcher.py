"""Matching a whole list against the registry, fast enough for 100,000 rows.

The engine's :class:`~detente.matching.index.CandidateIndex` answers one query in a few
milliseconds by weighing every shared blocking key over the whole registry; a list of
100,000 rows would take minutes that way. An import needs less: the few registry people
who agree with a row on a *pair* of things (first given name and a surname, both
surnames, a surname and the birth year, the given name and the full birth date). Such
pairs are rare, so their posting lists are short, and a row's candidates are counted in a
few hundred steps. Each candidate is then scored by the engine's own model
(``LinkageModel.pair_weight`` with the registry's term frequencies), so probabilities and
explanations are exactly those of ``detente match`` and the review queue.

A pair survives what lists do to names: a missing or swapped maternal surname, accents,
a nickname (keys use the canonical given name: Pepe → José), a typo in one surname (the
other surname, or the birth date, still pairs with the given name).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from detente.matching.comparisons import MISSING
from detente.matching.model import (
    FIELDS,
    LinkageModel,
    TermFrequencies,
    probability_from_weight,
)
from detente.matching.records import Record

# Keys shared by more people than this say too little and cost too much: skipped.
MAX_POSTING = 64


def pair_keys(record: Record) -> set[str]:
    """The record's blocking keys: pairs (and a few triples) of what it says."""
    keys: set[str] = set()
    birth = record.birth
    year = birth.year if birth is not None else 0
    province = record.place[-1] if record.place else ""
    for name in record.names:
        paternal, maternal = name.paternal_key, name.maternal_key
        surnames = [s for s in (paternal, maternal) if s]
        # Every given-name token ("Carlos" finds "Juan Carlos"), nicknames resolved.
        givens = set(name.token_keys) | ({name.first_key} if name.first_key else set())
        for surname in surnames:
            for given in givens:
                keys.add(f"gs|{given}|{surname}")
                # Common pairs ("José González") pass the posting limit; with the birth
                # year or the province they are rare again.
                if year:
                    keys.add(f"gsy|{given}|{surname}|{year}")
                if province:
                    keys.add(f"gsp|{given}|{surname}|{province}")
            if year:
                keys.add(f"sy|{surname}|{year}")
                if province:
                    keys.add(f"syp|{surname}|{year}|{province}")
        if len(surnames) == 2:
            low, high = sorted(surnames)
            keys.add(f"ss|{low}|{high}")
            if province:
                keys.add(f"ssp|{low}|{high}|{province}")
        if year and name.first_key:
            # A typo in the only surname: the given name and the year still pair.
            keys.add(f"gy|{name.first_key}|{year}")
        if name.first_key and birth is not None and birth.precision == 3:
            keys.add(f"gd|{name.first_key}|{birth.digits}")
    return keys


@dataclass(frozen=True)
class Found:
    record: Record
    probability: float
    weight: float


class ListMatcher:
    """Candidates and scores for the rows of one list, against the registry's records.

    ``population`` is the registry's size, for calibrating probabilities (as the
    engine's index does with its own size). People added during the import (new
    persons) are found by the rows after them, so a list naming one new person twice
    does not create them twice.
    """

    def __init__(
        self,
        records: Iterable[Record],
        *,
        model: LinkageModel,
        tf: TermFrequencies,
        population: int | None = None,
    ) -> None:
        self.model = model
        self.tf = tf
        self._records: dict[Hashable, Record] = {}
        # Keyed by the key's hash (an int is a third of the memory of the text), valued by
        # the one record key filed under it or, once there are more, a list of them.
        self._postings: dict[int, Any] = {}
        for record in records:
            self.add(record)
        self.population = population or max(len(self._records), 1)

    def __len__(self) -> int:
        return len(self._records)

    def add(self, record: Record) -> None:
        self._records[record.key] = record
        postings = self._postings
        key = record.key
        for text in pair_keys(record):
            slot = hash(text)
            found = postings.get(slot)
            if found is None:
                postings[slot] = key
            elif type(found) is not list:
                postings[slot] = [found, key]
            elif len(found) <= MAX_POSTING:  # one past the limit marks the key as too common
                found.append(key)

    def remove(self, key: Hashable) -> None:
        """Forget a record (its stale postings are skipped when met)."""
        self._records.pop(key, None)

    def candidates(self, record: Record, pool: int = 5) -> list[Record]:
        counts: Counter[Hashable] = Counter()
        postings = self._postings
        for text in pair_keys(record):
            found = postings.get(hash(text))
            if found is None:
                continue
            if type(found) is not list:
                counts[found] += 1
            elif len(found) <= MAX_POSTING:
                counts.update(found)
        out = []
        top = 0
        for found_key, n in counts.most_common(pool):
            # A record sharing under half the keys of the best one is not worth scoring:
            # the best already agrees on more of the same pairs.
            if n * 2 < top:
                break
            other = self._records.get(found_key)
            if other is not None:
                out.append(other)
                top = max(top, n)
        return out

    def best(self, record: Record, limit: int = 3, pool: int = 5) -> list[Found]:
        """Up to ``limit`` candidates, likeliest first, with their match probability."""
        prior = self.model.prior_weight(self.population)
        scored = []
        for other in self.candidates(record, pool):
            weight = self.model.pair_weight(record, other, self.tf) + prior
            scored.append(Found(other, probability_from_weight(weight), weight))
        scored.sort(key=lambda f: -f.weight)
        return scored[:limit]

    def explain(self, record: Record, other: Record) -> dict[str, Any]:
        """The engine's explanation of a pair (which fields agreed, at which level, with
        how many bits)."""
        return self.model.score(record, other, self.tf, self.population).as_dict()

    def levels(self, record: Record, other: Record) -> dict[str, Any]:
        """The short explanation: the level each field reached (a third of the cost of
        :meth:`explain`, for the tens of thousands of sure links of a large list)."""
        compared = self.model.compare(record, other, self.tf)
        out: dict[str, str] = {}
        for name, level in zip(FIELDS, compared.levels, strict=False):
            specs = self.model.levels.get(name)
            if specs is None:
                continue
            out[name] = "missing" if level == MISSING or level >= len(specs) else specs[level].code
        return {"levels": out, "swapped": compared.swapped}
