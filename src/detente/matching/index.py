"""An in-memory candidate index: "which known people could this record be?", fast.

Every record is filed under a few *blocking keys* built from its comparison features:

=========  ==================================================  ==============================
prefix     key                                                 survives
=========  ==================================================  ==============================
``n``      phonetic key of each surname and of each given-name  accents, b/v, s/z, ll/y, h;
           token (nicknames resolved); one key space for both   Pepe for José; swapped columns
``ss``     both surnames' keys, in either order                the surnames' order
``gs``     first given name's key with each surname's key      a missing maternal surname
``gsy``    the same with the birth year                        a common name
``np``     first three letters of such a key                   a typo near the end
``ns``     last three letters of such a key                    a typo near the start
``y``      birth year                                          any change of day or month
``ym``     birth year and month                                a wrong day
``x``      birth year with day and month in either order       a transposed day and month
``md``     birth month and day                                 a wrong year
``p0``...  each place part but the coarsest (municipality;     —
           suburb and postcode)
=========  ==================================================  ==============================

A query collects the records that share its keys, weighs each shared key by its rarity
(inverse document frequency: sharing "Cardet" counts for more than sharing "Rodríguez"),
keeps the best ``pool`` records and scores only those with the full linkage model. Posting
lists are numpy-readable arrays, so collecting and weighing 100,000 records takes a single
``bincount``.

The index can be kept current: :meth:`CandidateIndex.add`, :meth:`~CandidateIndex.update`
and :meth:`~CandidateIndex.remove` change it in place (removal leaves a tombstone that a
compaction clears once they are many). Term frequencies of the indexed population are kept
current alongside, so scores reflect the registry as it is now. One lock serialises changes
and queries, so an index may be shared between the threads of one process.

Pure Python and numpy: no Django.
"""

from __future__ import annotations

import math
import threading
from array import array
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from detente.matching.model import LinkageModel, Score, TermFrequencies, probability_from_weight
from detente.matching.records import Record

__all__ = ["Candidate", "CandidateIndex", "blocking_keys"]

# Keys shared by more than this share of the index (or this many records) carry little
# information and cost the most to collect, so queries skip them ("n:rodriges" in a large
# registry); the pair keys keep such common values useful.
_MAX_KEY_SHARE = 0.2
_MAX_KEY_RECORDS = 4000
# Compact once this share of slots are tombstones.
_COMPACT_SHARE = 0.25
_COMPACT_MIN = 512


def _word_keys(key: str, out: set[str]) -> None:
    # Given names and surnames share one key space, so a list with the two columns swapped
    # still finds its people.
    out.add(f"n:{key}")
    word = key.replace(" ", "")
    if len(word) >= 4:
        out.add(f"np:{word[:3]}")
        out.add(f"ns:{word[-3:]}")


def blocking_keys(record: Record) -> set[str]:
    """The keys a record is filed under (see the module's table)."""
    keys: set[str] = set()
    year = record.birth.year if record.birth is not None else 0
    for name in record.names:
        surnames = [k for k in (name.paternal_key, name.maternal_key) if k]
        for key in surnames:
            _word_keys(key, keys)
        for token in name.token_keys:
            _word_keys(token, keys)
        # Pairs are rare even when each half is common ("Rodríguez González", "José Pérez").
        if len(surnames) == 2:
            keys.add("ss:" + "|".join(sorted(surnames)))
        if name.first_key:
            for key in surnames:
                keys.add(f"gs:{name.first_key}|{key}")
                if year:
                    # Still rare when the name is as common as "José Pérez".
                    keys.add(f"gsy:{name.first_key}|{key}|{year}")
    birth = record.birth
    if birth is not None:
        keys.add(f"y:{birth.year}")
        if birth.month:
            keys.add(f"ym:{birth.year}-{birth.month}")
        if birth.precision == 3:
            low, high = sorted((birth.month, birth.day))
            keys.add(f"x:{birth.year}-{low}-{high}")
            keys.add(f"md:{birth.month}-{birth.day}")
    # Every place part but the coarsest (a province or state says little on its own).
    for position, part in enumerate(record.place[:-1] if len(record.place) > 1 else record.place):
        if part:
            keys.add(f"p{position}:{part}")
    return keys


def _key_limit(live: int) -> int:
    return max(min(int(_MAX_KEY_SHARE * live), _MAX_KEY_RECORDS), 50)


@dataclass(frozen=True)
class Candidate:
    """A record found for a query, with the weight of the pair (prior excluded)."""

    record: Record
    weight: float


class CandidateIndex:
    """Records of a reference population (the registry) indexed for top-k queries.

    ``model`` scores candidates; ``pool`` is how many records, ranked by shared blocking
    keys, are scored in full for each query.
    """

    def __init__(
        self,
        model: LinkageModel | None = None,
        records: Iterable[Record] = (),
        *,
        pool: int = 100,
    ) -> None:
        self.model = model or LinkageModel()
        self.pool = pool
        self.tf = TermFrequencies(len(self.model.place_parts))
        self._lock = threading.RLock()
        self._records: list[Record | None] = []
        self._slot: dict[Hashable, int] = {}
        self._alive = bytearray()
        self._postings: dict[str, array[int]] = {}
        self._dead = 0
        for record in records:
            self.add(record)

    # -- contents ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, key: object) -> bool:
        return key in self._slot

    def get(self, key: Hashable) -> Record | None:
        slot = self._slot.get(key)
        return None if slot is None else self._records[slot]

    def records(self) -> list[Record]:
        with self._lock:
            return [r for r in self._records if r is not None]

    def add(self, record: Record) -> None:
        """Index ``record``; a record with the same key is replaced."""
        with self._lock:
            if record.key in self._slot:
                self._remove(record.key)
            slot = len(self._records)
            keys = blocking_keys(record)
            self._records.append(record)
            self._alive.append(1)
            self._slot[record.key] = slot
            for key in keys:
                posting = self._postings.get(key)
                if posting is None:
                    posting = self._postings[key] = array("i")
                posting.append(slot)
            self.tf.add(record)

    update = add

    def remove(self, key: Hashable) -> bool:
        """Drop the record with this key; False when it was not indexed."""
        with self._lock:
            if key not in self._slot:
                return False
            self._remove(key)
            if self._dead > _COMPACT_MIN and self._dead > _COMPACT_SHARE * len(self._records):
                self._compact()
            return True

    def _remove(self, key: Hashable) -> None:
        slot = self._slot.pop(key)
        record = self._records[slot]
        if record is not None:
            self.tf.remove(record)
        self._records[slot] = None
        self._alive[slot] = 0
        self._dead += 1

    def _compact(self) -> None:
        live = [r for r in self._records if r is not None]
        self._records, self._slot, self._postings = [], {}, {}
        self._alive, self._dead = bytearray(), 0
        self.tf = TermFrequencies(len(self.model.place_parts))
        for record in live:
            self.add(record)

    # -- queries -------------------------------------------------------------------------------

    def _ranked_slots(self, record: Record, pool: int, exclude: Hashable = None) -> np.ndarray:
        slots = len(self._records)
        if not slots:
            return np.empty(0, dtype=np.int64)
        live = len(self._slot)
        limit = _key_limit(live)
        chunks: list[np.ndarray] = []
        weights: list[float] = []
        sizes: list[int] = []
        for key in blocking_keys(record):
            posting = self._postings.get(key)
            if posting is None or len(posting) > limit:
                continue
            chunks.append(np.frombuffer(posting, dtype=np.int32))
            weights.append(math.log((live + 1) / len(posting)))
            sizes.append(len(posting))
        if not chunks:
            return np.empty(0, dtype=np.int64)
        hits = np.concatenate(chunks)
        del chunks  # release the buffers so the postings may grow again
        score = np.bincount(hits, weights=np.repeat(weights, sizes), minlength=slots)
        if self._dead:
            alive = np.frombuffer(self._alive, dtype=np.uint8)
            score *= alive
            del alive
        if exclude is not None and exclude in self._slot:
            score[self._slot[exclude]] = 0.0
        # Partition only the records that share a key: numpy's selection is slow on the
        # long run of tied zeros of the dense array.
        found = np.flatnonzero(score)
        values = score[found]
        if len(found) > pool:
            keep = np.argpartition(values, -pool)[-pool:]
            found, values = found[keep], values[keep]
        return found[np.argsort(-values, kind="stable")]

    def candidate_records(
        self, record: Record, pool: int | None = None, *, exclude: Hashable = None
    ) -> tuple[Record, ...]:
        """Up to ``pool`` records sharing the most blocking keys, most shared first
        (blocking only; nothing is scored)."""
        with self._lock:
            slots = self._ranked_slots(record, pool or self.pool, exclude)
            records = self._records
            return tuple(r for r in (records[s] for s in slots.tolist()) if r is not None)

    def candidate_records_many(
        self, records: Sequence[Record], pool: int | None = None, *, chunk: int = 512
    ) -> list[tuple[Record, ...]]:
        """:meth:`candidate_records` for many records at once (a batch import).

        The same ranking, computed as one sparse product of a query-key matrix with a
        key-record matrix per chunk of queries instead of one numpy pass per query: an order
        of magnitude faster on small indexes, where the per-query overhead dominates.
        """
        pool = pool or self.pool
        with self._lock:
            slots = len(self._records)
            live = len(self._slot)
            if not slots or not records:
                return [() for _ in records]
            limit = _key_limit(live)
            columns: dict[str, int] = {}
            indptr = [0]
            indices: list[np.ndarray] = []
            idf: list[float] = []
            for key, posting in self._postings.items():
                if len(posting) > limit:
                    continue
                columns[key] = len(columns)
                indices.append(np.array(posting, dtype=np.int32))
                indptr.append(indptr[-1] + len(posting))
                idf.append(math.log((live + 1) / len(posting)))
            if not columns:
                return [() for _ in records]
            flat = np.concatenate(indices)
            weights = np.repeat(np.asarray(idf), np.diff(indptr))
            alive = np.frombuffer(self._alive, dtype=np.uint8).astype(bool)
            weights[~alive[flat]] = 0.0
            postings = sparse.csr_matrix(
                (weights, flat, np.asarray(indptr)), shape=(len(columns), slots)
            )
            stored = self._records
            out: list[tuple[Record, ...]] = []
            for start in range(0, len(records), chunk):
                batch = records[start : start + chunk]
                q_indptr = [0]
                q_indices: list[int] = []
                for record in batch:
                    q_indices.extend(
                        columns[key] for key in blocking_keys(record) if key in columns
                    )
                    q_indptr.append(len(q_indices))
                queries = sparse.csr_matrix(
                    (np.ones(len(q_indices)), q_indices, q_indptr),
                    shape=(len(batch), len(columns)),
                )
                scores = (queries @ postings).tocsr()
                scores.eliminate_zeros()
                for row in range(len(batch)):
                    lo, hi = scores.indptr[row], scores.indptr[row + 1]
                    found = scores.indices[lo:hi]
                    values = scores.data[lo:hi]
                    if len(found) > pool:
                        keep = np.argpartition(values, -pool)[-pool:]
                        found, values = found[keep], values[keep]
                    order = found[np.argsort(-values, kind="stable")]
                    out.append(tuple(r for r in (stored[s] for s in order.tolist()) if r))
            return out

    def candidates(
        self, record: Record, pool: int | None = None, *, exclude: Hashable = None
    ) -> list[Candidate]:
        """Up to ``pool`` records sharing the most blocking keys, each with its pair weight,
        best first. ``exclude`` leaves out one key (the record itself, when deduplicating)."""
        with self._lock:
            slots = self._ranked_slots(record, pool or self.pool, exclude)
            model, tf, records = self.model, self.tf, self._records
            found = []
            for slot in slots.tolist():
                other = records[slot]
                if other is not None:
                    found.append(Candidate(other, model.pair_weight(record, other, tf)))
        found.sort(key=lambda c: -c.weight)
        return found

    def search(
        self,
        record: Record,
        limit: int = 10,
        *,
        pool: int | None = None,
        min_probability: float = 0.0,
        exclude: Hashable = None,
    ) -> list[Score]:
        """The ``limit`` likeliest matches for ``record``, each with its explanation.

        Probabilities are calibrated for this index's size (see
        :meth:`LinkageModel.prior_weight`).
        """
        found = self.candidates(record, pool, exclude=exclude)
        population = max(len(self), 1)
        prior = self.model.prior_weight(population)
        scores = []
        for candidate in found[:limit]:
            if (
                min_probability
                and probability_from_weight(candidate.weight + prior) < min_probability
            ):
                break
            scores.append(self.model.score(record, candidate.record, self.tf, population))
        return scores
