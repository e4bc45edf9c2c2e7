"""The candidate index: "which known people could this record be?", fast, for one query or
a whole list, and kept on disk so a new process answers at once.

This is the one candidate generator of the linkage pipeline: the import, ``detente match``,
the new-person suggestions, ``detente duplicates`` and the match review queue all take their
candidates from it, and the same :func:`key_specs` decide what a record is filed under.

Every record is filed under *blocking keys* built from its comparison features (the
surnames' and given names' phonetic keys with nicknames resolved, the birth date's parts,
the place). Keys come in families, from the weak single values to rare combinations:

=========  ==================================================  ==============================
family     key                                                 survives
=========  ==================================================  ==============================
``n``      phonetic key of each surname and each given-name     accents, b/v, s/z, ll/y, h;
           token; one space for both                            Pepe for José; swapped columns
``np/ns``  first / last three letters of such a key            a typo near the end / start
``ss``     both surnames' keys, in either order                the surnames' order
``ssp``    both surnames with the province                     a common surname pair
``gs``     a given-name token with a surname (either order)    a missing maternal surname,
                                                               a dropped second given name
``gsy``    the same with the birth year                        a common name
``gsp``    the same with the province                          a common name, no birth date
``sy/sp``  a surname with the birth year / the province        a nickname unknown to us
``sd``     a surname with the full birth date                  a typo in the given name
``gy/gd``  the first given name with the year / the full date  typos in the surnames
``y/ym``   birth year / year and month                         a wrong day
``x``      birth year with day and month in either order       a transposed day and month
``md``     birth month and day                                 a wrong year
``p0``...  each place part but the coarsest (municipality)     —
=========  ==================================================  ==============================

**Ranking, not capping.** A query collects the records that share its keys and weighs each
key by its rarity (inverse document frequency, in whole 1/256ths of a bit so that sums are
exact and do not depend on the order of addition): sharing "Cardet" counts for more than
sharing "Rodríguez". Keys held by more than :data:`KEY_LIMIT` records (``n:rodriges``,
``y:1985`` in a large registry) are left out of the collection because they cost the most
and say the least -- the rare combinations that contain them still count -- **unless** the
query has fewer than :data:`MIN_KEYS` keys below the limit, in which case its smallest keys
are used whatever their size, so a query is never left with nothing to rank. The best
``pool`` records are kept, ties broken by the order records were filed in (the registry
files people by primary key), never by hash order.

**Storage.** Keys are 64-bit integers (Python's hash of a tuple of stable component hashes:
the same on every run, process and hash seed). The postings are one sorted array of key
hashes with a CSR array of slots, built with numpy in bulk; records added later go to an
overlay merged in on compaction. :meth:`CandidateIndex.save` writes the arrays (and the
term frequencies, as per-slot codes) to a directory, sealed whole by a :class:`Sealer`
(the key hashes are unkeyed, so a dictionary of names would read them back: nothing of
them is written in the clear); :meth:`CandidateIndex.load` opens them back into memory and
fetches the records themselves only for the candidates a query needs, through a loader
(for the registry: the identities, from the database).

Pure Python and numpy: no Django.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import secrets
import threading
from array import array
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np

from detente.matching.model import LinkageModel, Score, TermFrequencies, probability_from_weight
from detente.matching.records import Record

__all__ = [
    "KEY_LIMIT",
    "MIN_KEYS",
    "Candidate",
    "CandidateIndex",
    "Sealer",
    "blocking_keys",
    "key_specs",
    "reseal",
    "use_sealer",
]

# Keys held by more records than this are left out of a query's collection (see the
# module's docstring): at 100,000 people that is "n:rodriges" and "y:1985", never a
# combination of two things.
KEY_LIMIT = 1500
# A query keeps at least this many of its keys, the smallest first, whatever their size.
MIN_KEYS = 3
# Inverse document frequency in 1/256ths of a bit: integer sums, exact in any order.
_IDF_SCALE = 256.0
# Merge the overlay into the sorted arrays once it holds this share of the postings.
_OVERLAY_SHARE = 0.2
_OVERLAY_MIN = 20_000
_FORMAT = "detente-candidate-index/2"  # /1: written in the clear

# Key families, in the order of the module's table.
_FAMILIES = (
    "n", "np", "ns", "ss", "ssp", "gs", "gsy", "gsp", "sy", "sp", "sd", "gy", "gd",
    "y", "ym", "x", "md",
)  # fmt: skip
_CODE = {name: number for number, name in enumerate(_FAMILIES, start=1)}
_PLACE_CODE = 100  # + the part's position

Spec = tuple[Any, ...]  # (family code, component, component, ...)


# --- Keys -------------------------------------------------------------------------------------

_component_cache: dict[str, int] = {}


def _component(text: str) -> int:
    """A stable 63-bit number for a key's text part (the same in every process)."""
    found = _component_cache.get(text)
    if found is None:
        digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
        found = int.from_bytes(digest, "little") >> 1
        if len(_component_cache) > 1_000_000:
            _component_cache.clear()
        _component_cache[text] = found
    return found


def _keys(record: Record, text: Callable[[str], Any], num: Callable[[int], Any]) -> list[Spec]:
    """The keys of the module's table, each a tuple (family code, parts...). ``text`` and
    ``num`` turn the parts into what the caller wants: the text itself (to read), or
    stable numbers (to hash: Python's hash of a tuple of ints is the same in every
    process, unlike a string's)."""
    out: list[Spec] = []
    append = out.append
    birth = record.birth
    year = num(birth.year) if birth is not None else None
    full = num(int(birth.digits)) if birth is not None and birth.precision == 3 else None
    place = record.place
    province = text(place[-1]) if place and place[-1] else None
    n, np_, ns = _CODE["n"], _CODE["np"], _CODE["ns"]
    for name in record.names:
        surnames = [text(k) for k in sorted({name.paternal_key, name.maternal_key} - {""})]
        raw_words = [k for k in (name.paternal_key, name.maternal_key) if k]
        raw_tokens = sorted(name.token_keys | ({name.first_key} if name.first_key else set()))
        tokens = [text(t) for t in raw_tokens]
        for word in (*raw_words, *raw_tokens):
            append((n, text(word)))
            joined = word.replace(" ", "")
            if len(joined) >= 4:
                append((np_, text(joined[:3])))
                append((ns, text(joined[-3:])))
        if len(surnames) == 2:
            low, high = sorted(surnames)
            append((_CODE["ss"], low, high))
            if province is not None:
                append((_CODE["ssp"], low, high, province))
        for surname in surnames:
            for token in tokens:
                # Either order: a list with the given-name and surname columns swapped.
                low, high = (token, surname) if token <= surname else (surname, token)
                append((_CODE["gs"], low, high))
                if year is not None:
                    append((_CODE["gsy"], low, high, year))
                if province is not None:
                    append((_CODE["gsp"], low, high, province))
            if year is not None:
                append((_CODE["sy"], surname, year))
            if province is not None:
                append((_CODE["sp"], surname, province))
            if full is not None:
                append((_CODE["sd"], surname, full))
        if name.first_key:
            first = text(name.first_key)
            if year is not None:
                append((_CODE["gy"], first, year))
            if full is not None:
                append((_CODE["gd"], first, full))
    if birth is not None:
        append((_CODE["y"], year))
        if birth.month:
            append((_CODE["ym"], year, num(birth.month)))
        if birth.precision == 3:
            low_md, high_md = sorted((birth.month, birth.day))
            append((_CODE["x"], year, num(low_md), num(high_md)))
            append((_CODE["md"], num(birth.month), num(birth.day)))
    # Every place part but the coarsest (a province or state says little on its own).
    for position, part in enumerate(place[:-1] if len(place) > 1 else place):
        if part:
            append((_PLACE_CODE + position, text(part)))
    return out


def _identity(value: Any) -> Any:
    return value


def key_specs(record: Record) -> list[Spec]:
    """The keys a record is filed under, as readable tuples (family, text parts...)."""
    return _keys(record, _identity, str)


def _spec_text(spec: Spec) -> str:
    code = spec[0]
    family = _FAMILIES[code - 1] if code < _PLACE_CODE else f"p{code - _PLACE_CODE}"
    return f"{family}:" + "|".join(str(part) for part in spec[1:])


def blocking_keys(record: Record) -> set[str]:
    """The keys a record is filed under, as text (``"n:nunes"``, ``"gs:jose|peres"``)."""
    return {_spec_text(spec) for spec in key_specs(record)}


@lru_cache(maxsize=8192)
def key_hashes(record: Record) -> list[int]:
    """The record's keys as 64-bit numbers, sorted, each once. (Memoised by record: a batch
    of a list import is ranked, filed locally and widened with the same records.)"""
    return sorted({hash(spec) for spec in _keys(record, _component, _identity)})


def _weigh(
    n: int,
    col_slots: list[np.ndarray],
    q_rows: np.ndarray,
    q_cols: np.ndarray,
    q_vals: np.ndarray,
    n_slots: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(query, slot, summed key weight) for every slot sharing a chosen key with a query.

    One query (an interactive lookup) is summed with ``bincount``; a batch as one sparse
    product of a query-key matrix with a key-slot matrix, an order of magnitude faster per
    query (and scipy is loaded only then, which keeps ``detente match`` quick to start).
    """
    lengths = np.fromiter((len(p) for p in col_slots), dtype=np.int64, count=len(col_slots))
    if not lengths.sum():
        nothing = np.empty(0, dtype=np.int64)
        return nothing, nothing, np.empty(0)
    if n == 1:
        hits = np.concatenate([col_slots[c] for c in q_cols.tolist()]).astype(np.int64)
        summed = np.bincount(hits, weights=np.repeat(q_vals, lengths[q_cols]), minlength=n_slots)
        found = np.flatnonzero(summed)
        return np.zeros(len(found), dtype=np.int64), found, summed[found]
    from scipy import sparse

    indptr = np.concatenate([[0], np.cumsum(lengths)])
    flat = np.concatenate(col_slots)
    postings = sparse.csr_matrix(
        (np.ones(len(flat)), flat, indptr), shape=(len(col_slots), n_slots)
    )
    weights = sparse.csr_matrix(
        (np.asarray(q_vals, dtype=float), (q_rows, q_cols)), shape=(n, len(col_slots))
    )
    # The product has one entry per (query, slot), in row order; within a row the slots
    # come unsorted, which nothing downstream depends on (ties are broken by slot), so
    # the sort that canonical form would cost (a tenth of a batch's ranking) is skipped.
    scores = (weights @ postings).tocsr()
    rows = np.repeat(np.arange(n), np.diff(scores.indptr))
    return rows, scores.indices.astype(np.int64), scores.data


# --- The index --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A record found for a query, with the weight of the pair (prior excluded)."""

    record: Record
    weight: float


Loader = Callable[[Sequence[Hashable]], Iterable[Record]]


class _Unloaded:
    """A slot whose record lives in the loader (a snapshot read from disk)."""

    __slots__ = ()


_UNLOADED = _Unloaded()


class CandidateIndex:
    """Records of a reference population (the registry) indexed for top-k queries.

    ``model`` scores candidates; ``pool`` is how many records, ranked by shared blocking
    keys, are scored in full for each query. One lock serialises changes and queries, so an
    index may be shared between the threads of one process.
    """

    def __init__(
        self,
        model: LinkageModel | None = None,
        records: Iterable[Record] = (),
        *,
        pool: int = 100,
        loader: Loader | None = None,
    ) -> None:
        self.model = model or LinkageModel()
        self.pool = pool
        self.loader = loader
        self.tf = TermFrequencies(len(self.model.place_parts))
        self._lock = threading.RLock()
        self._records: list[Record | _Unloaded | None] = []
        self._keys: list[Hashable] = []
        self._slot: dict[Hashable, int] = {}
        self._alive = bytearray()
        # Term-frequency values of each slot (to take a record out exactly, loaded or not).
        self._tf_values: list[tuple[tuple[str, str], ...] | None] = []  # None: see _tf_of
        self._dead = 0
        # Sorted postings (key hash -> slots) and the overlay of what was added since.
        self._hashes = np.empty(0, dtype=np.int64)
        self._indptr = np.zeros(1, dtype=np.int64)
        self._slots = np.empty(0, dtype=np.int32)
        self._overlay: dict[int, array[int]] = {}
        self._overlay_size = 0
        # A saved index's term-frequency values per slot, decoded when a slot is removed.
        self._tf_codes: np.ndarray | None = None
        self._vocabulary: list[str] = []
        self.meta: dict[str, Any] = {}
        self._bulk(records)

    # -- contents ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, key: object) -> bool:
        return key in self._slot

    def get(self, key: Hashable) -> Record | None:
        with self._lock:
            slot = self._slot.get(key)
            if slot is None:
                return None
            self._ensure([slot])
            record = self._records[slot]
            return record if isinstance(record, Record) else None

    def records(self) -> list[Record]:
        """Every live record, in filing order (loading them all if need be)."""
        with self._lock:
            live = [s for s, r in enumerate(self._records) if r is not None]
            self._ensure(live)
            return [r for r in (self._records[s] for s in live) if isinstance(r, Record)]

    def _bulk(self, records: Iterable[Record]) -> None:
        """File many records at once: the postings sorted in one numpy pass."""
        hashes: array[int] = array("q")
        slots: array[int] = array("i")
        for record in records:
            if record.key in self._slot:
                self._remove(record.key)
            slot = self._append(record)
            found = key_hashes(record)
            hashes.extend(found)
            slots.extend([slot] * len(found))
        if hashes:
            self._merge(np.frombuffer(hashes, dtype=np.int64), np.frombuffer(slots, dtype=np.int32))

    def _append(self, record: Record) -> int:
        slot = len(self._records)
        self._records.append(record)
        self._keys.append(record.key)
        self._alive.append(1)
        self._slot[record.key] = slot
        values = tuple(self.tf.values(record))
        self._tf_values.append(values)
        self.tf.add_values(values)
        return slot

    def add(self, record: Record, *, like: Record | None = None) -> None:
        """Index ``record``; a record with the same key is replaced. ``like``: a record with
        the same contents under another key (a list's row filed as the new person it made),
        whose keys are the same and may be memoised already: keys never depend on ``key``."""
        with self._lock:
            if record.key in self._slot:
                self._remove(record.key)
            slot = self._append(record)
            for key in key_hashes(record if like is None else like):
                posting = self._overlay.get(key)
                if posting is None:
                    posting = self._overlay[key] = array("i")
                posting.append(slot)
                self._overlay_size += 1
            if self._overlay_size > max(_OVERLAY_MIN, _OVERLAY_SHARE * len(self._slots)):
                self._compact()

    update = add

    def remove(self, key: Hashable) -> bool:
        """Drop the record with this key; False when it was not indexed."""
        with self._lock:
            if key not in self._slot:
                return False
            self._remove(key)
            if self._dead > 512 and self._dead > 0.25 * len(self._records):
                self._compact()
            return True

    def _tf_of(self, slot: int) -> tuple[tuple[str, str], ...]:
        """The term-frequency values a slot added (decoded from disk when it came from a
        saved index)."""
        values = self._tf_values[slot]
        if values is not None:
            return values
        codes = self._tf_codes
        if codes is None or slot >= len(codes):
            return ()
        fields, vocabulary = self.tf.fields, self._vocabulary
        row = codes[slot].tolist()
        pairs = [(fields[c], vocabulary[v]) for c, v in enumerate(row[: len(fields)]) if v >= 0]
        if row[len(fields)] >= 0:  # a second surname
            pairs.append((fields[1], vocabulary[row[len(fields)]]))
        return tuple(pairs)

    def _remove(self, key: Hashable) -> None:
        slot = self._slot.pop(key)
        values = self._tf_of(slot)
        if values:
            self.tf.remove_values(values)
        self._records[slot] = None
        self._tf_values[slot] = None
        self._alive[slot] = 0
        self._dead += 1

    def _merge(self, hashes: np.ndarray, slots: np.ndarray) -> None:
        """Merge (hash, slot) pairs into the sorted postings."""
        if len(self._slots):
            counts = np.diff(self._indptr)
            hashes = np.concatenate([np.repeat(self._hashes, counts), hashes])
            slots = np.concatenate([np.asarray(self._slots), slots])
        order = np.lexsort((slots, hashes))
        hashes, slots = hashes[order], slots[order]
        unique, starts = np.unique(hashes, return_index=True)
        self._hashes = unique
        self._indptr = np.append(starts, len(hashes)).astype(np.int64)
        self._slots = slots.astype(np.int32)

    def _compact(self) -> None:
        """Fold the overlay into the sorted postings; with removed records, number the live
        slots afresh (in their filing order) and drop the removed ones' postings."""
        extra_h: array[int] = array("q")
        extra_s: array[int] = array("i")
        for key, posting in self._overlay.items():
            extra_h.extend([key] * len(posting))
            extra_s.extend(posting)
        self._overlay, self._overlay_size = {}, 0
        hashes = np.frombuffer(extra_h, dtype=np.int64)
        slots = np.frombuffer(extra_s, dtype=np.int32)
        if not self._dead:
            if len(hashes):
                self._merge(hashes, slots)
            return
        alive = np.frombuffer(bytes(self._alive), dtype=np.uint8).astype(bool)
        renumber = np.cumsum(alive, dtype=np.int64) - 1
        counts = np.diff(self._indptr)
        base_h = np.repeat(np.asarray(self._hashes), counts)
        base_s = np.asarray(self._slots)
        all_h = np.concatenate([base_h, hashes])
        all_s = np.concatenate([base_s, slots])
        keep = alive[all_s]
        self._hashes = np.empty(0, dtype=np.int64)
        self._indptr = np.zeros(1, dtype=np.int64)
        self._slots = np.empty(0, dtype=np.int32)
        self._merge(all_h[keep], renumber[all_s[keep]].astype(np.int32))
        live = np.flatnonzero(alive).tolist()
        self._records = [self._records[s] for s in live]
        self._keys = [self._keys[s] for s in live]
        self._tf_values = [self._tf_of(s) for s in live]
        self._tf_codes = None
        self._alive = bytearray(b"\x01" * len(live))
        self._slot = {key: slot for slot, key in enumerate(self._keys)}
        self._dead = 0

    # -- loading records lazily ----------------------------------------------------------------

    def _ensure(self, slots: Iterable[int]) -> None:
        """Fetch the records of these slots from the loader where they are not in memory."""
        wanted = [s for s in slots if self._records[s] is _UNLOADED]
        if not wanted or self.loader is None:
            return
        by_key = {self._keys[s]: s for s in wanted}
        for record in self.loader(list(by_key)):
            slot = by_key.get(record.key)
            if slot is not None and self._records[slot] is _UNLOADED:
                self._records[slot] = record
        for slot in wanted:
            if self._records[slot] is _UNLOADED:
                # Gone from the source since the snapshot: forget it.
                self._remove(self._keys[slot])

    # -- ranking -------------------------------------------------------------------------------

    def _rank(
        self,
        queries: Sequence[Record],
        pool: int,
        exclude: Sequence[Hashable | None] | None = None,
        chunk: int = 256,
        share: float = 0.0,
    ) -> list[np.ndarray]:
        """For each query, up to ``pool`` live slots sharing the most key weight, best first
        (ties: the earlier filed first)."""
        live = max(len(self._slot), 1)
        out: list[np.ndarray] = []
        n_slots = len(self._records)
        if not n_slots:
            return [np.empty(0, dtype=np.int64) for _ in queries]
        alive = np.frombuffer(bytes(self._alive), dtype=np.uint8)
        for start in range(0, len(queries), chunk):
            batch = queries[start : start + chunk]
            skip = None
            if exclude is not None:
                skip = np.asarray(
                    [
                        self._slot.get(k, -1) if k is not None else -1
                        for k in exclude[start : start + chunk]
                    ],
                    dtype=np.int64,
                )
            out.extend(self._rank_chunk(batch, pool, live, n_slots, alive, skip, share))
        return out

    def _rank_chunk(
        self,
        batch: Sequence[Record],
        pool: int,
        live: int,
        n_slots: int,
        alive: np.ndarray,
        skip: np.ndarray | None,
        share: float,
    ) -> list[np.ndarray]:
        """:meth:`_rank` for one chunk of queries, with numpy over the whole chunk."""
        n = len(batch)
        per_query = [key_hashes(record) for record in batch]
        lengths = np.fromiter((len(k) for k in per_query), dtype=np.int64, count=n)
        total = int(lengths.sum())
        empty = [np.empty(0, dtype=np.int64) for _ in batch]
        if not total:
            return empty
        flat = np.fromiter(itertools.chain.from_iterable(per_query), dtype=np.int64, count=total)
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        row_of = np.repeat(np.arange(n), lengths)
        uniq, inverse = np.unique(flat, return_inverse=True)
        hashes, indptr = self._hashes, self._indptr
        if len(hashes):
            at = np.minimum(np.searchsorted(hashes, uniq), len(hashes) - 1)
            present = hashes[at] == uniq
            begins = np.where(present, indptr[at], 0)
            ends = np.where(present, indptr[at + 1], 0)
        else:
            begins = ends = np.zeros(len(uniq), dtype=np.int64)
        sizes_u = (ends - begins).astype(np.int64)
        extras: list[array[int] | None] = []
        if self._overlay:
            extras = [self._overlay.get(k) for k in uniq.tolist()]
            sizes_u = sizes_u + np.fromiter(
                (len(e) if e is not None else 0 for e in extras), dtype=np.int64, count=len(uniq)
            )
        size = sizes_u[inverse]
        held = size > 0
        # Each query's keys below the limit; a query with fewer than MIN_KEYS of them takes
        # its smallest keys (by size, then key) whatever their size.
        chosen = held & (size <= KEY_LIMIT)
        small = np.bincount(row_of[chosen], minlength=n)
        for row in np.flatnonzero(small < MIN_KEYS).tolist():
            lo, hi = int(offsets[row]), int(offsets[row + 1])
            segment = np.arange(lo, hi)[held[lo:hi]]
            order = np.lexsort((flat[segment], size[segment]))[:MIN_KEYS]
            chosen[segment[order]] = True
        picked = np.flatnonzero(chosen)
        if not len(picked):
            return empty
        used, columns = np.unique(inverse[picked], return_inverse=True)
        idf = np.round(_IDF_SCALE * np.log2((live + 1) / sizes_u[used]))
        col_slots = []
        slots = self._slots
        for u in used.tolist():
            posting = slots[int(begins[u]) : int(ends[u])]
            extra = extras[u] if extras else None
            if extra is not None:
                posting = np.concatenate([posting, np.frombuffer(extra, np.int32)])
            col_slots.append(posting)
        rows, found, values = _weigh(n, col_slots, row_of[picked], columns, idf[columns], n_slots)
        keep = alive[found] == 1
        if skip is not None:
            keep &= found != skip[rows]
        rows, found, values = rows[keep], found[keep], values[keep]
        bounds = np.searchsorted(rows, np.arange(n + 1))  # rows come in order
        out: list[np.ndarray] = []
        for row in range(n):
            lo, hi = int(bounds[row]), int(bounds[row + 1])
            slots_r, values_r = found[lo:hi], values[lo:hi]
            if share and hi - lo > MIN_KEYS:
                # Records sharing much less key weight than the best one disagree on most
                # of what the query says: not worth scoring (a batch's economy). At least
                # MIN_KEYS are kept.
                strong = values_r >= share * values_r.max()
                if int(strong.sum()) >= MIN_KEYS:
                    slots_r, values_r = slots_r[strong], values_r[strong]
            if len(slots_r) > pool:
                # The pool's cut value; everything above it, and the earliest-filed of
                # those equal to it.
                cut = np.partition(values_r, -pool)[-pool]
                above = values_r >= cut
                slots_r, values_r = slots_r[above], values_r[above]
            # Best first; ties: the earlier filed first.
            out.append(slots_r[np.lexsort((slots_r, -values_r))][:pool])
        return out

    def _candidates_of(self, slots: np.ndarray) -> list[Record]:
        listed = slots.tolist()
        self._ensure(listed)
        records = self._records
        return [r for r in (records[s] for s in listed) if isinstance(r, Record)]

    def candidate_records(
        self, record: Record, pool: int | None = None, *, exclude: Hashable = None
    ) -> tuple[Record, ...]:
        """Up to ``pool`` records sharing the most blocking keys, most shared first
        (blocking only; nothing is scored)."""
        with self._lock:
            ranked = self._rank([record], pool or self.pool, [exclude])
            return tuple(self._candidates_of(ranked[0]))

    def candidate_records_many(
        self,
        records: Sequence[Record],
        pool: int | None = None,
        *,
        chunk: int = 256,
        exclude_self: bool = False,
        share: float = 0.0,
    ) -> list[tuple[Record, ...]]:
        """:meth:`candidate_records` for many records at once (a batch import): the same
        ranking, one sparse product per chunk of queries. ``exclude_self`` leaves each
        record's own key out of its candidates (the index's own records, deduplicating);
        ``share`` drops the records sharing less than that share of the best one's key
        weight (at least three are kept)."""
        with self._lock:
            exclude = [r.key for r in records] if exclude_self else None
            ranked = self._rank(records, pool or self.pool, exclude, chunk, share)
            return [tuple(self._candidates_of(slots)) for slots in ranked]

    def candidates(
        self, record: Record, pool: int | None = None, *, exclude: Hashable = None
    ) -> list[Candidate]:
        """Up to ``pool`` records sharing the most blocking keys, each with its pair weight,
        best first (ties by filing order). ``exclude`` leaves out one key (the record itself,
        when deduplicating)."""
        with self._lock:
            found = self.candidate_records(record, pool, exclude=exclude)
            model, tf = self.model, self.tf
            scored = [
                (model.pair_weight(record, other, tf), position, other)
                for position, other in enumerate(found)
            ]
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [Candidate(other, weight) for weight, _position, other in scored]

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

    # -- on disk -------------------------------------------------------------------------------

    def save(
        self, directory: Path, meta: dict[str, Any] | None = None, *, sealer: Sealer | None = None
    ) -> None:
        """Write the postings, the keys and the term-frequency codes of every slot to
        ``directory`` (replaced atomically; files readable by the owner only), with ``meta``
        (what the caller needs to know how current it is), all sealed by ``sealer`` (by
        default the one set with :func:`use_sealer`: the key ring's, in Detente). Records
        are not written: a loader gives them back. Everything but the format is identity
        data (the postings' hashes are unkeyed hashes of name keys, the codes' vocabulary
        holds canonical given names, surname sound keys and places), so it is sealed whole:
        the directory holds ``index.json`` (the format and a random id the seal is bound
        to) and ``index.sealed``."""
        sealer = _sealer_or_default(sealer)
        with self._lock:
            self._compact()
            keys = self._keys
            if not all(type(k) is int for k in keys):
                raise ValueError("only an index keyed by integers can be saved")
            vocabulary: dict[str, int] = {}
            fields = self.tf.fields
            # One column per field, and a last one for a second surname.
            codes = np.full((len(keys), len(fields) + 1), -1, dtype=np.int32)
            for slot in range(len(keys)):
                if not self._alive[slot]:
                    continue
                for field_name, value in self._tf_of(slot):
                    column = fields.index(field_name)
                    code = vocabulary.setdefault(value, len(vocabulary))
                    if codes[slot, column] >= 0:
                        column = len(fields)
                    codes[slot, column] = code
            arrays: dict[str, np.ndarray] = {
                "hashes": np.asarray(self._hashes, dtype=np.int64),
                "indptr": np.asarray(self._indptr, dtype=np.int64),
                "slots": np.asarray(self._slots, dtype=np.int32),
                "keys": np.asarray(keys, dtype=np.int64),
                "alive": np.frombuffer(bytes(self._alive), dtype=np.uint8),
                "tf": codes,
            }
            info = {
                "fields": list(fields),
                "vocabulary": sorted(vocabulary, key=vocabulary.__getitem__),
                "meta": meta or {},
            }
            _write_sealed(Path(directory), sealer, _pack(info, arrays))

    @classmethod
    def load(
        cls,
        directory: Path,
        model: LinkageModel,
        loader: Loader,
        *,
        pool: int = 100,
        sealer: Sealer | None = None,
    ) -> CandidateIndex:
        """An index read back from :meth:`save` (opened in memory); its records come from
        ``loader`` when a query needs them. Raises ``ValueError`` when the directory does not
        hold a saved index, or one whose seal does not open (another master key or
        database, altered, cut short, or written in the clear by an older version)."""
        blob = _open_sealed(Path(directory), _sealer_or_default(sealer))
        info, arrays = _unpack(blob)
        index = cls(model, pool=pool, loader=loader)
        try:
            fields = tuple(info["fields"])
            vocabulary = [str(v) for v in info["vocabulary"]]
            meta = dict(info.get("meta") or {})
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"unreadable candidate index: {exc!r}") from None
        if fields != index.tf.fields:
            raise ValueError("the saved index has other place parts")
        index._hashes = arrays["hashes"]
        index._indptr = arrays["indptr"]
        index._slots = arrays["slots"]
        keys = arrays["keys"].tolist()
        alive = bytearray(arrays["alive"].tobytes())
        codes = arrays["tf"]
        if not (
            len(alive) == len(keys) == len(codes)
            and codes.ndim == 2
            and codes.shape[1] == len(fields) + 1
            and len(index._indptr) == len(index._hashes) + 1
            and int(codes.max(initial=-1)) < len(vocabulary)
        ):
            raise ValueError("unreadable candidate index: its parts do not agree")
        index._keys = keys
        index._alive = alive
        index._records = [_UNLOADED if a else None for a in alive]
        index._slot = {k: s for s, (k, a) in enumerate(zip(keys, alive, strict=True)) if a}
        index._dead = len(keys) - len(index._slot)
        index._tf_codes = codes
        index._vocabulary = vocabulary
        index._tf_values = [None] * len(keys)
        # The counts at once, per field, from the codes of the live slots.
        live = np.frombuffer(bytes(alive), dtype=np.uint8).astype(bool)
        n_fields = len(fields)
        for column, field_name in enumerate(fields):
            values = codes[live, column]
            if field_name == fields[1]:  # surnames: the second one too
                values = np.concatenate([values, codes[live, n_fields]])
            values = values[values >= 0]
            counted = np.bincount(values, minlength=len(vocabulary)).tolist() if len(values) else []
            index.tf.set_counts(field_name, {vocabulary[v]: n for v, n in enumerate(counted) if n})
        index.meta = meta
        return index


# --- Sealed on disk ---------------------------------------------------------------------------


class Sealer(Protocol):
    """Encrypts and authenticates a saved index, bound to ``ref`` (this module knows no
    keys: Detente's is :class:`detente.matching.sealing.RingSealer`, an AES-256-GCM data
    key of the key ring, set with :func:`use_sealer` when the matching app starts)."""

    def seal(self, ref: str, chunks: Iterable[bytes]) -> Iterable[bytes]:
        """The sealed bytes of the plaintext given in ``chunks``."""
        ...

    def open(self, ref: str, handle: IO[bytes]) -> Iterable[bytes]:
        """The plaintext sealed in ``handle``; ``ValueError`` when it does not open."""
        ...


_default_sealer: Sealer | None = None


def use_sealer(sealer: Sealer | None) -> None:
    """The sealer :meth:`CandidateIndex.save` and :meth:`CandidateIndex.load` use when they
    are given none."""
    global _default_sealer
    _default_sealer = sealer


def _sealer_or_default(sealer: Sealer | None) -> Sealer:
    found = sealer or _default_sealer
    if found is None:
        # Never written in the clear: it is a copy of identities outside the database.
        raise RuntimeError("a saved candidate index is sealed: give a sealer (use_sealer)")
    return found


_HEADER = "index.json"
_SEALED = "index.sealed"
_MAGIC = b"detente candidate index\x00"
_PIECE = 64 * 1024
_ALIGN = 64
_DTYPES = {"<i8", "<i4", "|u1"}


def _ref(save_id: str) -> str:
    return f"candidate-index/{save_id}"


def _pack(info: dict[str, Any], arrays: dict[str, np.ndarray]) -> Iterator[bytes]:
    """The plaintext of a saved index, piece by piece: a magic line, the length of a JSON
    header (``info`` and each array's name, dtype and shape), the header, then each
    array's bytes in that order."""
    parts = [(name, np.ascontiguousarray(a)) for name, a in arrays.items()]
    header = dict(info, arrays=[[n, a.dtype.str, list(a.shape)] for n, a in parts])
    text = json.dumps(header).encode("utf-8")
    start = _MAGIC + len(text).to_bytes(8, "little") + text
    yield start + bytes(_padding(len(start)))
    for _name, a in parts:
        raw = a.reshape(-1).view(np.uint8)
        for at in range(0, len(raw), _PIECE):
            yield raw[at : at + _PIECE].tobytes()
        yield bytes(_padding(len(raw)))


def _padding(length: int) -> int:
    """Bytes that bring ``length`` to a multiple of :data:`_ALIGN`: each array starts
    aligned for its type (numpy takes slower paths through unaligned arrays)."""
    return -length % _ALIGN


def _unpack(blob: bytearray) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """What :func:`_pack` wrote: the header and the arrays (read-only views of ``blob``)."""
    try:
        if not blob.startswith(_MAGIC):
            raise ValueError("no header")
        at = len(_MAGIC)
        length = int.from_bytes(blob[at : at + 8], "little")
        at += 8
        info = json.loads(bytes(blob[at : at + length]).decode("utf-8"))
        at += length
        at += _padding(at)
        arrays: dict[str, np.ndarray] = {}
        for name, dtype_text, shape in info.pop("arrays"):
            if dtype_text not in _DTYPES:
                raise ValueError(f"dtype {dtype_text}")
            dtype = np.dtype(dtype_text)
            count = int(np.prod(shape, dtype=np.int64))
            if at + count * dtype.itemsize > len(blob):
                raise ValueError("cut short")
            found = np.frombuffer(blob, dtype=dtype, count=count, offset=at).reshape(shape)
            found.flags.writeable = False
            arrays[str(name)] = found
            at += count * dtype.itemsize
            at += _padding(count * dtype.itemsize)
        if at != len(blob) or set(arrays) != {"hashes", "indptr", "slots", "keys", "alive", "tf"}:
            raise ValueError("parts missing or left over")
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
        raise ValueError(f"unreadable candidate index: {exc}") from None
    return info, arrays


def _open_sealed(directory: Path, sealer: Sealer) -> bytearray:
    """The plaintext of the saved index in ``directory``; ``ValueError`` when there is
    none, it is of another format, or its seal does not open."""
    try:
        header = json.loads((directory / _HEADER).read_text(encoding="utf-8"))
        if not isinstance(header, dict) or header.get("format") != _FORMAT:
            raise ValueError("not a sealed candidate index (or one written by an older version)")
        save_id = str(header["id"])
        blob = bytearray()
        with (directory / _SEALED).open("rb") as handle:
            for piece in sealer.open(_ref(save_id), handle):
                blob += piece
    except (OSError, KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"unreadable candidate index: {exc}") from None
    return blob


def _write_sealed(directory: Path, sealer: Sealer, plaintext: Iterable[bytes]) -> None:
    """Seal ``plaintext`` into ``directory``, replacing what it held at once."""
    directory.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    work = directory.with_name(f"{directory.name}.tmp{os.getpid()}")
    if work.exists():
        _remove_tree(work)
    work.mkdir(mode=0o700)
    save_id = secrets.token_hex(16)
    try:
        fd = os.open(work / _SEALED, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            for piece in sealer.seal(_ref(save_id), plaintext):
                out.write(piece)
        fd = os.open(work / _HEADER, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(json.dumps({"format": _FORMAT, "id": save_id}))
    except BaseException:
        _remove_tree(work)
        raise
    old = directory.with_name(f"{directory.name}.old{os.getpid()}")
    if directory.exists():
        directory.rename(old)
    work.rename(directory)
    if old.exists():
        _remove_tree(old)


def _remove_tree(directory: Path) -> None:
    for child in directory.iterdir():
        child.unlink()
    directory.rmdir()


def reseal(directory: Path, sealer: Sealer | None = None) -> bool:
    """Seal the index saved in ``directory`` again with the sealer's current key (``detente
    keys rotate --data``); True when one was. A saved index that does not open, or one
    written in the clear by an older version, is removed: the next process builds and
    saves it afresh."""
    sealer = _sealer_or_default(sealer)
    directory = Path(directory)
    if not directory.exists():
        return False
    try:
        blob = _open_sealed(directory, sealer)
    except ValueError:
        _remove_tree(directory)
        return False
    _write_sealed(
        directory,
        sealer,
        (bytes(memoryview(blob)[i : i + _PIECE]) for i in range(0, len(blob), _PIECE)),
    )
    return True
