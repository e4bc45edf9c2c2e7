"""Importing another organisation's list: validate, match, write — or change nothing.

Two passes over the file, each streaming (a row is read, handled and dropped):

1. **Validation**, with no writes: every row is parsed and checked by the registry's and
   the evidence's own rules (:mod:`detente.reconcile.rows`). Any invalid row fails the
   import; up to :data:`MAX_ERRORS` problems are reported, each with row and column. A
   fixed random sample of the rows is kept to estimate the linkage model on.
2. **The model**: the registry's candidate index (:func:`registry_linker`) and the model,
   estimated on the list when it is large enough (:class:`Linker`).
3. **Matching and writing**, in batches, inside one transaction: rows seen before (same
   source, same row hash, in this file or an earlier import) add nothing; every other
   row goes through the linkage pipeline (:mod:`detente.matching.pipeline`: the same
   candidates, model and decision rule as every other door) and is *linked*, *queued* for
   a verifier's review with the reason, or becomes a *new* person (or, loading an own
   list, a new person flagged as a possible repeat). A large list's candidates are
   proposed by a forked worker a batch ahead (:class:`_Proposer`). People are created with
   ``people_create_bulk``, claims recorded with ``claims_record_bulk``, arrests become
   custody episodes, and one ledger entry closes the import with a SHA-256 digest over
   what it created. Any failure rolls the whole import back.

A dry run does pass 3 without writing: the same outcomes, nothing stored.

The steps live in modules of their own: the summary an import reports
(:mod:`.import_summary`), pass 1 (:mod:`.import_validation`), the model
(:mod:`.import_linker`), deciding each row (:mod:`.import_decisions`), writing
(:mod:`.import_writer`) and the digest (:mod:`.import_digest`). This module runs them in
order, reads the file in batches, and holds the forked workers (whatever a forked child
must find as a global of this module is here).
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Action, require
from detente.agreements.models import Agreement
from detente.audit import ledger
from detente.core.dates import DatePrecision
from detente.core.errors import invalid
from detente.evidence.models import Source
from detente.matching.pipeline import LINK, Proposal, decide
from detente.matching.records import Record
from detente.reconcile.import_decisions import Ahead, _decide, _propose, _unseen
from detente.reconcile.import_digest import import_verify, run_digest
from detente.reconcile.import_linker import Linker, registry_linker
from detente.reconcile.import_summary import (
    ImportFailed,
    Progress,
    Summary,
    _count,
    _fail,
    _name_examples,
)
from detente.reconcile.import_validation import MAX_ERRORS, _parsed_rows, _validate, file_sha256
from detente.reconcile.import_writer import RunWriter
from detente.reconcile.models import ImportRow, Mode, RunStatus
from detente.reconcile.readers import ReadError, detect_format, load_mapping
from detente.reconcile.rows import Defaults, ParsedRow

BATCH = 2000
LINK_ABOVE = 0.95
REVIEW_ABOVE = 0.05

# From this many rows on, a forked worker proposes the candidates of the next batch while
# this process decides and writes the current one (the two cores of a small server both
# busy). Below it, a worker costs more than it saves. The answers are the same either way.
PARALLEL_ROWS = 20_000


@dataclass
class _Worker:
    """What the forked worker inherits: the linker, how to read the file, and the short
    hashes of the rows this source gave in earlier imports (sorted; those are not matched).
    The worker reads the file itself (a third of the main process's work otherwise)."""

    linker: Linker
    reading: tuple[Path, str, str, dict[str, str], Defaults]
    known: Any  # numpy array of int64, sorted
    batches: Iterator[list[ParsedRow]] | None = None  # opened in the worker, on first use


_WORKER: _Worker | None = None


def _short(row_hash: str) -> int:
    """A row hash's first 64 bits, as numpy's int64 holds them."""
    value = int(row_hash[:16], 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def _read_and_propose(
    _call: int,
) -> tuple[list[ParsedRow], list[Record], list[list[tuple[Any, ...]]], list[bool]] | None:
    """In the worker: the file's next batch, its rows' records (those not known from an
    earlier import), their proposals, by key, and whether those alone link each row (see
    :class:`Ahead`); None at the end of the file."""
    import numpy as np

    state = _WORKER
    assert state is not None  # noqa: S101 - set before the fork
    if state.batches is None:
        state.batches = _batches(*state.reading)
    batch = next(state.batches, None)
    if batch is None:
        return None
    for parsed in batch:
        _ = parsed.row_hash  # hashed here, kept with the row: the main process needs it too
    known = state.known
    fresh = batch
    if len(known):
        shorts = np.fromiter((_short(p.row_hash) for p in batch), dtype=np.int64, count=len(batch))
        at = np.minimum(np.searchsorted(known, shorts), len(known) - 1)
        seen = (known[at] == shorts).tolist()
        fresh = [parsed for parsed, was in zip(batch, seen, strict=True) if not was]
    records = [parsed.record(("row", parsed.number)) for parsed in fresh]
    found = _propose(state.linker, records)
    return (
        batch,
        records,
        [[(p.key, p.weight, p.levels, p.swapped, p.order) for p in row] for row in found],
        _settled(state.linker, found),
    )


def _settled(linker: Linker, found: list[list[Proposal]]) -> list[bool]:
    """For each row, whether its proposals alone link it (nobody taken yet)."""
    policy, places = linker.policy, len(linker.model.place_parts)
    return [decide(row, policy, (), places).outcome == LINK for row in found]


class _Proposer:
    """Batches of the file with their rows' candidates and scores: read and proposed in
    this process, or by one forked worker a batch ahead (see :data:`PARALLEL_ROWS`).

    Rows the source gave in an earlier import are not proposed for (they add nothing);
    which rows are new is decided again by the caller (:func:`_unseen`), and a row the
    worker took for known is proposed for here (:meth:`complete`)."""

    def __init__(
        self,
        linker: Linker,
        rows: int,
        source: Source,
        reading: tuple[Path, str, str, dict[str, str], Defaults],
    ) -> None:
        global _WORKER  # what the forked worker inherits
        self.linker = linker
        self.source = source
        self.reading = reading
        self.pool: Any = None
        self.record_of: dict[Any, Record] = {}
        if rows >= PARALLEL_ROWS and "fork" in multiprocessing.get_all_start_methods():
            import numpy as np

            hashes = ImportRow.objects.filter(source=source).values_list("row_hash", flat=True)
            known = np.fromiter(
                (_short(h) for h in hashes.iterator(chunk_size=10_000)), dtype=np.int64
            )
            known.sort()
            _WORKER = _Worker(linker, reading, known)
            self.pool = multiprocessing.get_context("fork").Pool(1)
            # The worker answers with keys; the registry's index does not change meanwhile.
            self.record_of = {record.key: record for record in linker.index.records()}

    def batches(self) -> Iterator[tuple[list[ParsedRow], Ahead]]:
        """Each batch with its proposals; with a worker, the next batch is asked for
        before the current one is handed back."""
        if self.pool is None:
            yield from self._here()
            return
        record_of = self.record_of
        call = 0
        job = self.pool.apply_async(_read_and_propose, (call,))
        while True:
            answer = job.get()
            if answer is None:
                return
            call += 1
            job = self.pool.apply_async(_read_and_propose, (call,))
            batch, records, raw, settled = answer
            # The same named tuples as Proposal(...) makes, without its keyword handling.
            new = tuple.__new__
            found = [
                [new(Proposal, (record_of[key], w, lv, sw, order)) for key, w, lv, sw, order in row]
                for row in raw
            ]
            ahead = self._ahead(records, found)
            ahead.settled = dict(zip(ahead.proposals, settled, strict=True))
            yield batch, ahead

    def _here(self) -> Iterator[tuple[list[ParsedRow], Ahead]]:
        for batch in _batches(*self.reading):
            # Rows this source gave in an earlier import add nothing: not matched at all.
            known = set(
                ImportRow.objects.filter(
                    source=self.source, row_hash__in=[p.row_hash for p in batch]
                ).values_list("row_hash", flat=True)
            )
            fresh = [parsed for parsed in batch if parsed.row_hash not in known]
            records = [parsed.record(("row", parsed.number)) for parsed in fresh]
            yield batch, self._ahead(records, _propose(self.linker, records))

    @staticmethod
    def _ahead(records: list[Record], found: list[list[Proposal]]) -> Ahead:
        numbers = [record.key[1] for record in records]  # type: ignore[index]
        return Ahead(
            dict(zip(numbers, records, strict=True)), dict(zip(numbers, found, strict=True))
        )

    def complete(self, ahead: Ahead, rows: list[tuple[ParsedRow, str]]) -> None:
        """Propose here for the rows to be decided that were not proposed for (a worker's
        short hash of an earlier row can collide with a new row's)."""
        missing = [parsed for parsed, _hash in rows if parsed.number not in ahead.proposals]
        if missing:
            records = [parsed.record(("row", parsed.number)) for parsed in missing]
            more = self._ahead(records, _propose(self.linker, records))
            ahead.records.update(more.records)
            ahead.proposals.update(more.proposals)

    def close(self) -> None:
        global _WORKER
        if self.pool is not None:
            self.pool.close()
            self.pool.join()
            self.pool = None
        _WORKER = None


# From this file size on (about 6,000 rows), pass 1 runs in a forked child beside the
# index's loading (a fork costs a few milliseconds; the index, seconds).
PARALLEL_BYTES = 500_000


@contextmanager
def _still_heap() -> Iterator[None]:
    """While an import runs, what is already in memory is moved out of the garbage
    collector's sight (``gc.freeze``), again once the registry's records are loaded (see
    :func:`import_list`); given back at the end. An import allocates millions of objects
    beside the registry's 100,000 records, and every full collection walked them all
    (thousands of collections in one import). Only memory management: no object changes,
    nothing is decided differently. The forked workers inherit it; a process that runs
    several imports at once only collects later."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@_still_heap()
def import_list(
    *,
    actor: User,
    path: str | Path,
    source: Source,
    agreement: Agreement | None = None,
    mapping_path: str | Path | None = None,
    fmt: str = "",
    encoding: str = "",
    dry_run: bool = False,
    link_above: float = LINK_ABOVE,
    review_above: float = REVIEW_ABOVE,
    status: str = "",
    event_date: dt.date | None = None,
    event_precision: str = DatePrecision.DAY,
    progress: Progress | None = None,
    mode: str = Mode.MATCH,
    reported_on: dt.date | None = None,
    linker: Linker | None = None,
) -> Summary:
    """Import the list at ``path`` as ``source``'s; raises :class:`ImportFailed` (nothing
    written) when any row is invalid. ``status`` and ``event_date`` apply to rows whose
    own cells are empty.

    ``mode``: ``"match"`` (against the registry: sure links, a review queue, new people)
    or ``"own"`` (an organisation's own list into an empty or young registry: every row
    is a person unless the evidence that two are one is strong; likely ones are flagged,
    not queued). ``reported_on``: the day the list was published or received, for a
    historical list: its claims are received and its people named on that day.
    """
    require(actor, Action.RECORD)
    if mode not in Mode.values:
        raise invalid("mode", _("Unknown mode “%(mode)s”.") % {"mode": mode})
    if not 0.0 < review_above <= link_above <= 1.0:
        raise invalid(
            "link_above",
            _("Thresholds must satisfy 0 < review threshold ≤ link threshold ≤ 1."),
        )
    path = Path(path)
    report = progress or (lambda phase, done, total: None)
    summary = Summary(
        file_name=path.name,
        sha256="",
        format="",
        source=source.slug,
        agreement=agreement.slug if agreement else None,
        dry_run=dry_run,
        status=RunStatus.DRY_RUN if dry_run else RunStatus.COMPLETED,
        mode=mode,
        reported_on=reported_on.isoformat() if reported_on else None,
    )
    try:
        # The mapping file: its columns go to the reader, its value map to parse_row.
        mapping_file = load_mapping(mapping_path)
        mapping = mapping_file.columns
        summary.format = detect_format(path, fmt) if path.is_file() else fmt
        if not path.is_file():
            raise ReadError(_("No such file: %(path)s") % {"path": path})
    except ReadError as exc:
        raise _fail(summary, str(exc)) from None
    summary.sha256 = file_sha256(path)
    today = timezone.now().date()
    if reported_on is not None and reported_on > today:
        raise _fail(summary, _("The day the list was reported cannot be in the future."))
    named_on = reported_on or today
    if agreement is not None and named_on < agreement.announced_on:
        raise _fail(summary, _("A person cannot be named before the announcement."))
    # A historical list's claims were received the day it was reported (at noon UTC: a day,
    # not an hour, is what is known); the ledger still records when they were entered.
    received_at = (
        dt.datetime.combine(reported_on, dt.time(12), tzinfo=dt.UTC)
        if reported_on is not None
        else timezone.now()
    )
    defaults = Defaults(
        status=status,
        event_date=event_date,
        event_precision=event_precision,
        received_at=received_at,
        values=mapping_file.values,
        reported_on=reported_on,
        announced_on=agreement.announced_on if agreement is not None else None,
    )

    # Pass 1: validate everything, write nothing, keep nothing but the problems (and a
    # fixed random sample of rows to estimate the linkage model on). A large file is read
    # by a forked child while this process loads the registry's index: the two are
    # independent, and each takes about as long.
    parallel = (
        linker is None
        and path.stat().st_size >= PARALLEL_BYTES
        and "fork" in multiprocessing.get_all_start_methods()
    )
    if parallel:
        with multiprocessing.get_context("fork").Pool(1) as pool:
            job = pool.apply_async(_validate, (path, fmt, encoding, mapping, defaults))
            linker = registry_linker()
            checked = job.get()
        report("validate", checked.rows, checked.rows)
    else:
        checked = _validate(path, fmt, encoding, mapping, defaults, report)
    summary.rows, summary.rejected, summary.errors = checked.rows, checked.rejected, checked.errors
    if checked.fatal is not None:
        message, column, row = checked.fatal
        raise _fail(summary, message, column, row)
    if summary.errors:
        summary.status = RunStatus.FAILED
        if checked.truncated:
            summary.warnings.append(
                {
                    "row": None,
                    "message": _("Only the first %(n)d problems are listed.") % {"n": MAX_ERRORS},
                }
            )
        raise ImportFailed(summary)

    linker = linker or registry_linker()
    linker.prepare(
        checked.sample,
        checked.rows,
        mode=mode,
        link_above=link_above,
        review_above=review_above,
    )
    gc.freeze()  # the registry's records and the model, here for the whole import
    summary.model = {
        "estimated": bool(linker.training.get("estimated")),
        "match_share": round(linker.model.match_share, 4),
    }
    try:
        if dry_run:
            _match_only(
                path,
                fmt,
                encoding,
                mapping,
                defaults,
                source,
                linker,
                summary,
                report,
                mode,
            )
            _name_examples(summary)
            return summary
        with transaction.atomic():
            ledger.serialize()
            writer = RunWriter(
                actor=actor,
                path=path,
                encoding=encoding,
                mapping=mapping,
                defaults=defaults,
                source=source,
                agreement=agreement,
                linker=linker,
                summary=summary,
                received_at=received_at,
                named_on=named_on,
                mode=mode,
                reported_on=reported_on,
            )
            _write(writer, (path, fmt, encoding, mapping, defaults), report)
        _name_examples(summary)
    except ValidationError as exc:
        # A check that needs the registry (a release dated before the person's arrest):
        # the transaction is rolled back; say which row.
        row = getattr(exc, "import_row", None)
        messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        summary.linked = summary.queued = summary.new = summary.unchanged = 0
        summary.run = None
        for column, texts in messages.items():
            summary.errors.append(
                {"row": row, "column": column or None, "message": " ".join(texts)}
            )
        summary.rejected = 1
        summary.status = RunStatus.FAILED
        raise ImportFailed(summary) from None
    return summary


def _batches(
    path: Path, fmt: str, encoding: str, mapping: dict[str, str], defaults: Defaults
) -> Iterator[list[ParsedRow]]:
    batch: list[ParsedRow] = []
    # The second reading: pass 1 checked every row (and the bulk services check again).
    for item in _parsed_rows(path, fmt, encoding, mapping, defaults, check=False):
        assert isinstance(item, ParsedRow)  # noqa: S101 - pass 1 found no problem
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _match_only(
    path: Path,
    fmt: str,
    encoding: str,
    mapping: dict[str, str],
    defaults: Defaults,
    source: Source,
    linker: Linker,
    summary: Summary,
    report: Progress,
    mode: str,
) -> None:
    taken: set[Any] = set()
    done = 0
    # A dry run writes no rows to recognise repeats by, so it keeps a short hash of each
    # row (about 100 bytes a row; the real import keeps nothing).
    in_file: dict[int, int] = {}
    proposer = _Proposer(linker, summary.rows, source, (path, fmt, encoding, mapping, defaults))
    try:
        for batch, ahead in proposer.batches():
            fresh = _unseen(source, batch, summary, in_file=in_file)
            proposer.complete(ahead, fresh)
            for d in _decide(fresh, linker, taken, mode, ahead):
                _count(summary, d)
            done += len(batch)
            report("match", done, summary.rows)
    finally:
        proposer.close()


def _write(
    writer: RunWriter,
    reading: tuple[Path, str, str, dict[str, str], Defaults],
    report: Progress,
) -> None:
    """Pass 3 for real: each batch decided here and stored by ``writer`` (which has made
    the run's record), then the run closed."""
    source, linker, summary, mode = writer.source, writer.linker, writer.summary, writer.mode
    taken: set[Any] = set()
    done = 0
    proposer = _Proposer(linker, summary.rows, source, reading)
    try:
        for batch, ahead in proposer.batches():
            fresh = _unseen(source, batch, summary, run=writer.run)
            proposer.complete(ahead, fresh)
            writer.write(_decide(fresh, linker, taken, mode, ahead))
            done += len(batch)
            report("write", done, summary.rows)
    finally:
        proposer.close()
    writer.finish()


__all__ = [
    "BATCH",
    "LINK_ABOVE",
    "MAX_ERRORS",
    "PARALLEL_BYTES",
    "PARALLEL_ROWS",
    "REVIEW_ABOVE",
    "ImportFailed",
    "Linker",
    "Progress",
    "Summary",
    "file_sha256",
    "import_list",
    "import_verify",
    "registry_linker",
    "run_digest",
]
