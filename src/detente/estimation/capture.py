"""Capture histories: who is on which list, tabulated by pattern.

Pattern order (fixed, relied on everywhere in this package)
-----------------------------------------------------------
With ``k`` lists named ``L0 .. L(k-1)``, a capture pattern is an integer whose bit ``j``
(value ``1 << j``) is set when the person is on list ``Lj``. The first list is therefore
the least significant bit and "varies fastest", the same order as R's ``array(..., dim=
c(2, 2, ...))`` used by the ``dga`` package. ``CaptureTable.counts[i]`` is the number of
people with pattern ``i + 1``: every one of the ``2**k - 1`` observable patterns is
present, including those nobody has. Pattern 0 (on no list) is never observed; it is
what the estimators predict.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

MIN_LISTS = 2
MAX_LISTS = 10

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def pattern_bits(k: int) -> IntArray:
    """0/1 matrix of shape ``(2**k - 1, k)``: row ``i`` is pattern ``i + 1``."""
    patterns = np.arange(1, 2**k, dtype=np.int64)
    return ((patterns[:, None] >> np.arange(k, dtype=np.int64)) & 1).astype(np.int64)


@dataclass(frozen=True, eq=False)
class CaptureTable:
    """Counts of people by capture pattern over ``k`` lists (see module docstring)."""

    lists: tuple[str, ...]
    counts: IntArray
    stratum: str | None = field(default=None)

    def __post_init__(self) -> None:
        k = len(self.lists)
        if not MIN_LISTS <= k <= MAX_LISTS:
            raise ValueError(f"need between {MIN_LISTS} and {MAX_LISTS} lists, got {k}")
        if len(set(self.lists)) != k:
            raise ValueError(f"list names must be distinct: {self.lists}")
        counts = np.asarray(self.counts, dtype=np.int64)
        if counts.shape != (2**k - 1,):
            raise ValueError(f"{k} lists need {2**k - 1} pattern counts, got {counts.shape}")
        if (counts < 0).any():
            raise ValueError("pattern counts must be non-negative")
        counts.setflags(write=False)
        object.__setattr__(self, "counts", counts)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CaptureTable):
            return NotImplemented
        return (
            self.lists == other.lists
            and self.stratum == other.stratum
            and bool(np.array_equal(self.counts, other.counts))
        )

    def __hash__(self) -> int:
        return hash((self.lists, self.stratum, self.counts.tobytes()))

    @property
    def k(self) -> int:
        return len(self.lists)

    @property
    def observed(self) -> int:
        """Number of distinct people on at least one list."""
        return int(self.counts.sum())

    @property
    def bits(self) -> IntArray:
        return pattern_bits(self.k)

    def list_totals(self) -> dict[str, int]:
        totals = self.bits.T @ self.counts
        return {name: int(t) for name, t in zip(self.lists, totals, strict=True)}

    def pattern_label(self, index: int) -> str:
        """Human-readable pattern for ``counts[index]``, e.g. ``"A+C"``."""
        pattern = index + 1
        return "+".join(name for j, name in enumerate(self.lists) if pattern >> j & 1)

    def rows(self) -> list[tuple[tuple[int, ...], int]]:
        """``[(bits, count), ...]`` for every observable pattern, zeros included."""
        return [
            (tuple(int(b) for b in row), int(c))
            for row, c in zip(self.bits, self.counts, strict=True)
        ]

    def permuted(self, order: Sequence[int]) -> CaptureTable:
        """The same data with the lists reordered: new list ``i`` is old list ``order[i]``."""
        k = self.k
        if sorted(order) != list(range(k)):
            raise ValueError(f"not a permutation of range({k}): {order}")
        old = np.arange(1, 2**k, dtype=np.int64)
        new = np.zeros_like(old)
        for new_pos, old_pos in enumerate(order):
            new |= ((old >> old_pos) & 1) << new_pos
        counts = np.zeros(2**k - 1, dtype=np.int64)
        counts[new - 1] = self.counts
        return CaptureTable(tuple(self.lists[i] for i in order), counts, self.stratum)

    def drop_lists(self, keep: Sequence[str]) -> CaptureTable:
        """Collapse onto a subset of lists; people on none of them drop out."""
        idx = [self.lists.index(name) for name in keep]
        new = np.zeros(2**self.k - 1, dtype=np.int64)
        old = np.arange(1, 2**self.k, dtype=np.int64)
        for new_pos, old_pos in enumerate(idx):
            new |= ((old >> old_pos) & 1) << new_pos
        counts = np.bincount(new, weights=self.counts, minlength=2 ** len(idx))
        return CaptureTable(tuple(keep), counts[1:].astype(np.int64), self.stratum)


def _encode_patterns(
    lists: Mapping[str, Iterable[Hashable]],
) -> tuple[tuple[str, ...], list[Hashable], IntArray]:
    names = tuple(lists)
    k = len(names)
    if not MIN_LISTS <= k <= MAX_LISTS:
        raise ValueError(f"choose between {MIN_LISTS} and {MAX_LISTS} lists, got {k}")
    index: dict[Hashable, int] = {}
    member_idx: list[IntArray] = []
    for name in names:
        # A dict lookup per id is the only step that touches Python objects; everything
        # after is vectorised integer work.
        ids = [index.setdefault(pid, len(index)) for pid in lists[name]]
        member_idx.append(np.fromiter(ids, dtype=np.int64, count=len(ids)))
    codes = np.zeros(len(index), dtype=np.int64)
    for j, members in enumerate(member_idx):
        codes[members] |= 1 << j
    return names, list(index), codes


def capture_table(lists: Mapping[str, Iterable[Hashable]]) -> CaptureTable:
    """Tabulate capture patterns from ``{list name: person ids}``.

    A person appearing twice on one list counts once; ids are compared with ``==``/hash,
    so matching across lists must already have happened.
    """
    names, _, codes = _encode_patterns(lists)
    counts = np.bincount(codes, minlength=2 ** len(names))[1:]
    return CaptureTable(names, counts.astype(np.int64))


def stratified_capture_tables(
    lists: Mapping[str, Iterable[Hashable]],
    strata: Mapping[Any, str],
    *,
    default: str | None = None,
) -> dict[str, CaptureTable]:
    """One table per stratum, from ``{list: ids}`` and ``{person id: stratum}``.

    Every stratum gets every pattern (zeros included). A person without a stratum is an
    error unless ``default`` names the stratum to put them in.
    """
    names, people, codes = _encode_patterns(lists)
    labels: list[str] = []
    missing: list[Hashable] = []
    for pid in people:
        label = strata.get(pid, default)
        if label is None:
            missing.append(pid)
            label = ""
        labels.append(label)
    if missing:
        shown = ", ".join(repr(p) for p in missing[:5])
        raise ValueError(f"{len(missing)} people have no stratum (e.g. {shown})")
    uniq, inverse = np.unique(np.asarray(labels, dtype=object).astype(str), return_inverse=True)
    size = 2 ** len(names)
    flat = np.bincount(inverse * size + codes, minlength=len(uniq) * size).reshape(len(uniq), size)
    return {
        str(label): CaptureTable(names, flat[i, 1:].astype(np.int64), str(label))
        for i, label in enumerate(uniq)
    }


def table_from_rows(
    lists: Sequence[str], rows: Iterable[tuple[Sequence[int], int]]
) -> CaptureTable:
    """Build a table from ``(0/1 pattern, count)`` rows; unlisted patterns count 0.

    Rows for the same pattern are added; an all-zero pattern is refused, since nobody can
    be observed on no list.
    """
    k = len(lists)
    counts = np.zeros(2**k - 1, dtype=np.int64)
    for bits, count in rows:
        if len(bits) != k:
            raise ValueError(f"pattern {tuple(bits)} does not have {k} entries")
        if any(b not in (0, 1) for b in bits):
            raise ValueError(f"pattern {tuple(bits)} must be 0/1")
        pattern = sum(int(b) << j for j, b in enumerate(bits))
        if pattern == 0:
            if count:
                raise ValueError("the all-zero pattern (on no list) cannot be observed")
            continue
        counts[pattern - 1] += int(count)
    return CaptureTable(tuple(lists), counts)


class CaptureFileError(ValueError):
    """A capture-table file that cannot be read, with where: file, line and column."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        column_name: str | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.column_name = column_name
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.path or "<table>"]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            col = f"column {self.column}"
            where.append(f"{col} ({self.column_name})" if self.column_name else col)
        return f"{', '.join(where)}: {self.message}"


def read_capture_csv(
    source: str | Path | io.TextIOBase, *, name: str | None = None
) -> CaptureTable:
    """Read a capture table: ``list1,...,listk,count``, one row per observed pattern.

    Lines starting ``#`` (and blank lines) are comments. The header names 2-10 lists and
    then ``count``; each row gives a 0/1 pattern and how many people have it (a whole
    number, 0 or more). Patterns not listed count 0. Refused, with the file, line and
    column in the message (:class:`CaptureFileError`): a missing ``count`` column, too few
    or too many lists, repeated or empty list names, a row with the wrong number of
    fields, a value other than 0/1, a negative or non-integer count, a pattern given twice,
    and the all-zero pattern (nobody can be observed on no list).
    """
    path: str | None
    if isinstance(source, str | Path):
        path = str(source)
        try:
            text = Path(source).read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CaptureFileError("no such file", path=path) from None
        except UnicodeDecodeError:
            raise CaptureFileError("not a UTF-8 text file", path=path) from None
        except OSError as exc:
            raise CaptureFileError(exc.strerror or "cannot be read", path=path) from None
    else:
        path = name
        text = source.read()
    numbered = [
        (i, ln)
        for i, ln in enumerate(text.splitlines(), start=1)
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    if not numbered:
        raise CaptureFileError("no header: expected list names and then 'count'", path=path)

    def fields(line: str) -> list[str]:
        return [f.strip() for f in next(csv.reader([line]))]

    header_line, header_text = numbered[0]
    header = fields(header_text)
    if header[-1].lower() != "count":
        raise CaptureFileError(
            f"the last column must be 'count', not {header[-1]!r}",
            path=path,
            line=header_line,
            column=len(header),
        )
    names = header[:-1]
    if not MIN_LISTS <= len(names) <= MAX_LISTS:
        raise CaptureFileError(
            f"{len(names)} list(s) named before 'count'; give between {MIN_LISTS} and {MAX_LISTS}",
            path=path,
            line=header_line,
        )
    seen_names: dict[str, int] = {}
    for j, list_name in enumerate(names, start=1):
        if not list_name:
            raise CaptureFileError("a list has no name", path=path, line=header_line, column=j)
        if list_name.lower() == "count":
            raise CaptureFileError(
                "'count' must be the last column only", path=path, line=header_line, column=j
            )
        if list_name in seen_names:
            raise CaptureFileError(
                f"list {list_name!r} is named twice (also column {seen_names[list_name]})",
                path=path,
                line=header_line,
                column=j,
            )
        seen_names[list_name] = j
    k = len(names)
    counts = np.zeros(2**k - 1, dtype=np.int64)
    first_line: dict[int, int] = {}
    for line_no, line in numbered[1:]:
        rec = fields(line)
        if len(rec) != k + 1:
            raise CaptureFileError(
                f"{len(rec)} fields where the header has {k + 1} ({k} lists and 'count')",
                path=path,
                line=line_no,
            )
        pattern = 0
        for j, value in enumerate(rec[:-1]):
            if value not in ("0", "1"):
                raise CaptureFileError(
                    f"{value!r} is not 0 or 1 (1: on this list, 0: not on it)",
                    path=path,
                    line=line_no,
                    column=j + 1,
                    column_name=names[j],
                )
            pattern |= int(value) << j
        raw = rec[-1]
        if not raw.isdigit():
            try:
                as_int = int(raw)
            except ValueError:
                as_int = None
            what = "negative" if as_int is not None and as_int < 0 else "not a whole number"
            raise CaptureFileError(
                f"count {raw!r} is {what}; give how many people have this pattern (0 or more)",
                path=path,
                line=line_no,
                column=k + 1,
                column_name="count",
            )
        if pattern == 0:
            raise CaptureFileError(
                "the all-zero pattern (on no list) cannot be observed: leave it out",
                path=path,
                line=line_no,
            )
        if pattern in first_line:
            raise CaptureFileError(
                f"this pattern was already given on line {first_line[pattern]}",
                path=path,
                line=line_no,
            )
        first_line[pattern] = line_no
        counts[pattern - 1] = int(raw)
    return CaptureTable(tuple(names), counts)
