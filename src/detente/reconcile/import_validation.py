"""Pass 1 of an import: every row of the file read, parsed and checked, nothing written and
nothing read from the database (so it may run in a forked child), and a fixed random sample
of the rows kept to estimate the linkage model on."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detente.matching.records import Record
from detente.reconcile.import_linker import TRAIN_SAMPLE, _Sampler
from detente.reconcile.import_summary import Progress
from detente.reconcile.readers import ReadError, read_rows
from detente.reconcile.rows import Defaults, ParsedRow, RepeatedValues, parse_row

MAX_ERRORS = 100


def _problem(error: ReadError) -> dict[str, Any]:
    return {"row": error.row, "column": error.column or None, "message": str(error.args[0])}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _parsed_rows(
    path: Path,
    fmt: str,
    encoding: str,
    mapping: dict[str, str],
    defaults: Defaults,
    check: bool = True,
) -> Iterator[ParsedRow | list[ReadError]]:
    for row in read_rows(path, fmt=fmt, encoding=encoding, mapping=mapping):
        yield parse_row(row, defaults, check=check)


@dataclass
class _Checked:
    """What pass 1 found: plain data, so a forked child can send it back."""

    rows: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False  # more problems than are listed
    fatal: tuple[str, str, int | None] | None = None  # a file that cannot be read on
    sample: list[Record] = field(default_factory=list)


def _validate(
    path: Path,
    fmt: str,
    encoding: str,
    mapping: dict[str, str],
    defaults: Defaults,
    report: Progress | None = None,
) -> _Checked:
    """Pass 1: every row parsed and checked, nothing written, nothing read from the
    database (it may run in a forked child)."""
    checked = _Checked()
    sampler = _Sampler(TRAIN_SAMPLE)
    # A value that recurs (an unknown status) is listed once with its count and rows.
    repeated = RepeatedValues(MAX_ERRORS)
    dropped = 0
    try:
        for item in _parsed_rows(path, fmt, encoding, mapping, defaults):
            checked.rows += 1
            if isinstance(item, ParsedRow):
                sampler.offer(item)
            else:
                checked.rejected += 1
                for problem in item:
                    if repeated.add(problem):
                        continue
                    if len(checked.errors) < MAX_ERRORS:
                        checked.errors.append(_problem(problem))
                    else:
                        dropped += 1
            if report is not None and checked.rows % 5000 == 0:
                report("validate", checked.rows, 0)
    except ReadError as exc:
        checked.rejected += 1
        checked.errors, _left = repeated.merged(checked.errors, MAX_ERRORS)
        checked.fatal = (str(exc.args[0]), exc.column, exc.row)
        return checked
    if report is not None:
        report("validate", checked.rows, checked.rows)
    checked.errors, left_off = repeated.merged(checked.errors, MAX_ERRORS)
    checked.truncated = bool(dropped or left_off)
    checked.sample = sampler.records
    return checked
