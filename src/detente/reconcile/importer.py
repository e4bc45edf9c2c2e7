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
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import json
import multiprocessing
import random
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Action, require
from detente.agreements.models import Agreement, Membership
from detente.audit import ledger
from detente.core.dates import DatePrecision
from detente.core.errors import invalid
from detente.evidence.models import Claim, Source
from detente.evidence.services import StatusClaim, claims_record_bulk
from detente.matching.index import CandidateIndex
from detente.matching.linkage import train
from detente.matching.model import LinkageModel, TermFrequencies
from detente.matching.pipeline import (
    LINK,
    NEW,
    REVIEW,
    Policy,
    Proposal,
    Scorer,
    decide,
    levels_as_codes,
    propose_many,
)
from detente.matching.records import Record
from detente.reconcile.episodes import arrest_episodes, received_on
from detente.reconcile.models import ImportRow, ImportRun, Mode, Outcome, Reason, RunStatus
from detente.reconcile.readers import ReadError, detect_format, load_mapping, read_rows
from detente.reconcile.rows import Defaults, ParsedRow, RepeatedValues, parse_row
from detente.registry.models import Identity, Person
from detente.registry.services import insert_rows, people_create_bulk

MAX_ERRORS = 100
MAX_WARNINGS = 100
BATCH = 2000
LINK_ABOVE = 0.95
REVIEW_ABOVE = 0.05
# Rows of each outcome a summary shows as examples.
EXAMPLES = 5

Progress = Callable[[str, int, int], None]  # (phase, done, total or 0)


@dataclass
class Summary:
    """What an import did (or would do, or why it failed)."""

    file_name: str
    sha256: str
    format: str
    source: str
    agreement: str | None
    dry_run: bool
    status: str = RunStatus.COMPLETED
    run: int | None = None
    rows: int = 0
    linked: int = 0
    queued: int = 0
    new: int = 0
    rejected: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    digest: str = ""
    mode: str = Mode.MATCH
    reported_on: str | None = None
    # Rows of an own list that became people of their own although they may repeat an
    # earlier person (flagged for a merge, not held back).
    possible_duplicates: int = 0
    # Why rows were queued (or flagged): reason code -> rows.
    reasons: dict[str, int] = field(default_factory=dict)
    # Up to EXAMPLES rows of each outcome: {"row", "name", "reason", "candidate" (a
    # handle), "probability"}. Staff-only (names as the list wrote them).
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # How the linkage model was obtained: {"estimated": bool, "match_share": float}.
    model: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status != RunStatus.FAILED

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "status": self.status,
            "file": self.file_name,
            "sha256": self.sha256,
            "format": self.format,
            "source": self.source,
            "agreement": self.agreement,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "linked": self.linked,
            "queued": self.queued,
            "new": self.new,
            "rejected": self.rejected,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "warnings": self.warnings,
            "digest": self.digest or None,
            "mode": self.mode,
            "reported_on": self.reported_on,
            "possible_duplicates": self.possible_duplicates,
            "reasons": self.reasons,
            "examples": self.examples,
            "model": self.model,
        }


class ImportFailed(Exception):
    """The import changed nothing; ``summary`` says why (errors with row and column)."""

    def __init__(self, summary: Summary) -> None:
        super().__init__(summary.errors[0]["message"] if summary.errors else "import failed")
        self.summary = summary


def _problem(error: ReadError) -> dict[str, Any]:
    return {"row": error.row, "column": error.column or None, "message": str(error.args[0])}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fail(summary: Summary, message: str, column: str = "", row: int | None = None) -> ImportFailed:
    summary.status = RunStatus.FAILED
    summary.errors.append({"row": row, "column": column or None, "message": message})
    return ImportFailed(summary)


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


# --- Matching ---------------------------------------------------------------------------------

# Below this many rows a list says too little to estimate a model of its own: the registry's
# model (the defaults, or the one saved) is used as it is.
TRAIN_MIN_ROWS = 1000
# Rows (a fixed random sample) the model is estimated on; more add time, not accuracy.
TRAIN_SAMPLE = 10_000
# Loading an organisation's own list: the share of its rows expected to repeat a person
# already there (a few typed twice). A small prior share makes a link need strong evidence.
OWN_LIST_SHARE = 0.05


class _Sampler:
    """A fixed random sample of a list's rows (reservoir sampling with a fixed seed: the
    same file gives the same sample), as the engine's records."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.records: list[Record] = []
        self._seen = 0
        self._rng = random.Random(0)  # noqa: S311 -- a sample for estimation, not security

    def offer(self, parsed: ParsedRow) -> None:
        self._seen += 1
        if len(self.records) < self.size:
            self.records.append(parsed.record(("sample", parsed.number)))
            return
        at = self._rng.randrange(self._seen)
        if at < self.size:
            self.records[at] = parsed.record(("sample", parsed.number))


class Linker:
    """The registry as candidates for one list: the candidate index over its people (merged
    ones left out), its term frequencies, the model and the decision rule of this import.

    People the import creates are filed into the same index as it goes (keyed
    ``("new", row)``), so a later row naming the same person finds them.
    """

    def __init__(self, index: CandidateIndex, model: LinkageModel | None = None) -> None:
        self.index = index
        self.model = model if model is not None else copy.deepcopy(index.model)
        self.scorer = Scorer(self.model, index.tf, len(index))
        self.policy = Policy()
        self.training: dict[str, Any] = {"estimated": False}
        # The people this import creates, filed apart from the registry's index: the
        # registry's never changes during an import, so a worker holding a copy of it
        # (see _Proposer) proposes exactly what this process would.
        self.made = CandidateIndex(self.model)

    def prepare(
        self, sample: list[Record], rows: int, *, mode: str, link_above: float, review_above: float
    ) -> None:
        """Estimate the model on the list (when it is large enough), calibrate it for the
        population the rows may belong to, and set the thresholds."""
        self.policy = Policy(link_above=link_above, review_above=review_above)
        if len(sample) >= TRAIN_MIN_ROWS and len(self.index) >= TRAIN_MIN_ROWS:
            report = train(self.index, sample, model=self.model)
            self.training = {
                "estimated": True,
                "sample": len(sample),
                "pairs": report.candidate_pairs,
                "expected_matches": round(report.expected_matches, 1),
            }
        else:
            self.training = {"estimated": False, "sample": len(sample)}
        if mode == Mode.OWN:
            self.model.match_share = OWN_LIST_SHARE
        # How common a name is: in the registry, or, when the registry is empty or young
        # (an organisation loading its own list), in the list itself.
        tf = self.index.tf
        if len(self.index) < TRAIN_MIN_ROWS and len(sample) > len(self.index):
            tf = TermFrequencies.from_records([*self.index.records(), *sample])
        # The people a row may be: the registry and, at most, one new person per row.
        self.scorer = Scorer(self.model, tf, len(self.index) + rows)
        self.made = CandidateIndex(self.model)

    def describe(self) -> dict[str, Any]:
        """What is kept with the run: the parameters and how they were obtained."""
        return {**self.model.to_dict(), "training": self.training, "policy": asdict(self.policy)}


def registry_linker() -> Linker:
    """The registry's people (merged ones left out), with the registry's model (the
    defaults, or one saved) and term frequencies: from the saved candidate index when it is
    current (see ``matching.registry``), so an import does not file 100,000 people anew."""
    from detente.matching.registry import private_index

    return Linker(private_index())


@dataclass
class Decided:
    row: ParsedRow
    row_hash: str
    outcome: str
    reason: str
    proposals: tuple[Proposal, ...]
    record: Record
    # A person this import creates for an earlier row ("new", row number), or a person id.
    target: Any = None


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


def _propose(linker: Linker, records: list[Record]) -> list[list[Proposal]]:
    keep = _kept(linker.policy)
    found = propose_many(linker.index, linker.scorer, records, linker.policy)
    return [row[:keep] for row in found]


def _read_and_propose(
    _call: int,
) -> tuple[list[ParsedRow], list[Record], list[list[tuple[Any, ...]]]] | None:
    """In the worker: the file's next batch, its rows' records (those not known from an
    earlier import) and their proposals, by key; None at the end of the file."""
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
    )


def _kept(policy: Policy) -> int:
    """How many of a row's best proposals the decision can read (:func:`decide` reads the
    first ``shown`` and the runner-up): the rest are dropped before they are sent back or
    merged, which changes no outcome (the best of a merge are among the merged bests)."""
    return max(policy.shown, 2)


@dataclass
class Ahead:
    """A batch's records and their proposals from the registry, by row number."""

    records: dict[int, Record]
    proposals: dict[int, list[Proposal]]


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
            batch, records, raw = answer
            found = [
                [Proposal(record_of[key], w, lv, sw, order) for key, w, lv, sw, order in row]
                for row in raw
            ]
            yield batch, self._ahead(records, found)

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


def _made_here(key: Any) -> bool:
    return isinstance(key, tuple) and key[:1] == ("new",)


def _decide(
    rows: list[tuple[ParsedRow, str]],
    linker: Linker,
    taken: set[Any],
    mode: str,
    ahead: Ahead,
) -> list[Decided]:
    """The outcome of each row of a batch, in row order.

    The registry's candidates come ``ahead`` (proposed for the whole batch at once, maybe
    by the worker); the people this import created in earlier batches are looked up in
    ``linker.made``; and rows of this batch that became new people are candidates for the
    rows after them (compared here directly: they are filed into ``linker.made`` when the
    batch is done).
    """
    if not rows:
        return []
    scorer, policy = linker.scorer, linker.policy
    records = [ahead.records[parsed.number] for parsed, _hash in rows]
    proposals = [ahead.proposals[parsed.number] for parsed, _hash in rows]
    if len(linker.made):
        # People this import created for earlier batches, as candidates too.
        places = len(linker.model.place_parts)
        unsettled = [
            i
            for i, found in enumerate(proposals)
            if decide(found, policy, (), places).outcome != LINK
        ]
        earlier_made = linker.made.candidate_records_many([records[i] for i in unsettled], 8)
        for i, others in zip(unsettled, earlier_made, strict=True):
            if others:
                # After every registry candidate, in blocking order (ties go to those).
                first = 1 + max((p.order for p in proposals[i]), default=-1)
                proposals[i] = sorted(
                    [*proposals[i], *scorer._propose(records[i], others, first)],
                    key=lambda p: (-p.weight, p.order),
                )
    # Rows the registry settles are nobody new: only the others may repeat one another.
    places = len(linker.model.place_parts)
    open_rows = [
        i for i, found in enumerate(proposals) if decide(found, policy, (), places).outcome != LINK
    ]
    nearby: dict[int, tuple[Record, ...]] = {}
    if len(open_rows) > 1:
        subset = [records[i] for i in open_rows]
        local = CandidateIndex(linker.model, subset)
        nearby = dict(zip(open_rows, local.candidate_records_many(subset, 8), strict=True))
    out: list[Decided] = []
    made: dict[Any, Record] = {}  # this batch's new people, by their row's record key
    for position, ((parsed, row_hash), record) in enumerate(zip(rows, records, strict=True)):
        found = proposals[position]
        earlier = [made[r.key] for r in nearby.get(position, ()) if r.key in made]
        if earlier:
            found = sorted(
                [*found, *scorer.propose(record, earlier)], key=lambda p: (-p.weight, p.order)
            )
        verdict = decide(found, policy, taken, len(linker.model.place_parts))
        outcome, reason, target = Outcome.QUEUED, verdict.reason, None
        if verdict.outcome == LINK:
            outcome, target = Outcome.LINKED, verdict.proposals[0].key
            # A registry person named by two rows of one list is suspicious (review the
            # second); a person this list created, named again with strong evidence, is the
            # list repeating itself: one person, two claims.
            if not _made_here(target):
                taken.add(target)
        elif verdict.outcome == NEW or mode == Mode.OWN:
            # Loading an own list, rows are people of their own unless the evidence is
            # strong; a likely one is flagged for a later merge, not held back.
            outcome, target = Outcome.NEW, ("new", parsed.number)
            reason = Reason.POSSIBLE_DUPLICATE if verdict.outcome == REVIEW else ""
            made[record.key] = dataclasses.replace(record, key=target)
        out.append(Decided(parsed, row_hash, outcome, reason, verdict.proposals, record, target))
    for new_record in made.values():
        linker.made.add(new_record)
    return out


# --- Writing ----------------------------------------------------------------------------------

_ROW_COLUMNS = (
    "run",
    "source",
    "number",
    "row_hash",
    "outcome",
    "person",
    "probability",
    "candidates",
    "data",
    "claim",
    "decision",
    "decided_by",
    "decided_at",
    "decision_note",
    "reason",
)


def _candidates_json(
    decided: Decided, linker: Linker, person_of: dict[Any, int], handles: dict[int, str]
) -> list[dict[str, Any]]:
    out = []
    model = linker.model
    for position, proposal in enumerate(decided.proposals):
        pid = person_of.get(proposal.key, proposal.key)
        candidate: dict[str, Any] = {
            "person": pid,
            "handle": handles.get(pid) if isinstance(pid, int) else None,
            "probability": round(proposal.probability, 6),
        }
        # The explanation is the evidence of a decision: in full for every candidate of a
        # queued or flagged row (a reviewer reads it), the levels reached for the person a
        # row was linked to. A new person's weak candidates keep their probability.
        if decided.outcome == Outcome.QUEUED or decided.reason:
            explained = linker.scorer.explain(decided.record, proposal.record).as_dict()
            explained["model"] = "list" if linker.training.get("estimated") else "registry"
            candidate["explanation"] = explained
        elif decided.outcome == Outcome.LINKED and not position:
            candidate["explanation"] = {
                "levels": levels_as_codes(model, proposal),
                "swapped": proposal.swapped,
            }
        out.append(candidate)
    return out


def _source_label(source: Source) -> str:
    return (
        ledger.keyed_hash(source.slug, f"source:{source.pk}") if source.protected else source.slug
    )


# From this file size on (about 6,000 rows), pass 1 runs in a forked child beside the
# index's loading (a fork costs a few milliseconds; the index, seconds).
PARALLEL_BYTES = 500_000


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
            _write(
                actor=actor,
                path=path,
                fmt=fmt,
                encoding=encoding,
                mapping=mapping,
                defaults=defaults,
                source=source,
                agreement=agreement,
                linker=linker,
                summary=summary,
                report=report,
                received_at=received_at,
                named_on=named_on,
                mode=mode,
                reported_on=reported_on,
            )
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


def _repeated(summary: Summary, number: int, first: int) -> None:
    summary.unchanged += 1
    if len(summary.warnings) < MAX_WARNINGS:
        summary.warnings.append(
            {
                "row": number,
                "message": _("Row %(row)d repeats row %(first)d; it adds nothing.")
                % {"row": number, "first": first},
            }
        )


def _unseen(
    source: Source,
    batch: list[ParsedRow],
    summary: Summary,
    run: ImportRun | None = None,
    in_file: dict[int, int] | None = None,
) -> list[tuple[ParsedRow, str]]:
    """The rows of ``batch`` this source never gave before: not in an earlier import, not
    earlier in this file (rows of this run already written, or ``in_file`` for a dry run,
    which writes none)."""
    hashes = [(p, p.row_hash) for p in batch]
    known = {
        row_hash: (run_id, number)
        for row_hash, run_id, number in ImportRow.objects.filter(
            source=source, row_hash__in=[h for _p, h in hashes]
        ).values_list("row_hash", "run_id", "number")
    }
    fresh = []
    here: dict[str, int] = {}
    for parsed, row_hash in hashes:
        earlier = known.get(row_hash)
        short = int(row_hash[:16], 16)
        if row_hash in here:
            _repeated(summary, parsed.number, here[row_hash])
        elif earlier is not None and run is not None and earlier[0] == run.pk:
            _repeated(summary, parsed.number, earlier[1])
        elif in_file is not None and short in in_file:
            _repeated(summary, parsed.number, in_file[short])
        elif earlier is not None:
            summary.unchanged += 1
        else:
            here[row_hash] = parsed.number
            if in_file is not None:
                in_file[short] = parsed.number
            fresh.append((parsed, row_hash))
    return fresh


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


def _count(summary: Summary, d: Decided) -> None:
    """Add a decided row to the summary's counts and, the first few of each outcome, to its
    examples."""
    setattr(summary, d.outcome, getattr(summary, d.outcome) + 1)
    if d.reason:
        summary.reasons[d.reason] = summary.reasons.get(d.reason, 0) + 1
    if d.reason == Reason.POSSIBLE_DUPLICATE:
        summary.possible_duplicates += 1
    examples = summary.examples.setdefault(d.outcome, [])
    if len(examples) < EXAMPLES:
        best = d.proposals[0] if d.proposals else None
        examples.append(
            {
                "row": d.row.number,
                "name": _written_name(d.row),
                "reason": d.reason,
                "candidate": best.key if best is not None else None,
                "probability": round(best.probability, 4) if best is not None else None,
            }
        )


def _arrests(accepted: list[Decided], person_of: dict[Any, int]) -> int:
    return arrest_episodes([(person_of.get(d.target, d.target), d.row) for d in accepted])


def _written_name(row: ParsedRow) -> str:
    p = row.person
    return " ".join(x for x in (p.given_names, p.paternal_surname, p.maternal_surname) if x)


def _name_examples(summary: Summary) -> None:
    """The examples' candidates by handle (a registry person's; none for a row's own)."""
    ids = [
        e["candidate"]
        for items in summary.examples.values()
        for e in items
        if isinstance(e["candidate"], int)
    ]
    handles = dict(Person.objects.filter(pk__in=ids).values_list("pk", "handle"))
    for items in summary.examples.values():
        for e in items:
            candidate = e["candidate"]
            e["candidate"] = handles.get(candidate) if isinstance(candidate, int) else None


def _write(
    *,
    actor: User,
    path: Path,
    fmt: str,
    encoding: str,
    mapping: dict[str, str],
    defaults: Defaults,
    source: Source,
    agreement: Agreement | None,
    linker: Linker,
    summary: Summary,
    report: Progress,
    received_at: dt.datetime,
    named_on: dt.date,
    mode: str,
    reported_on: dt.date | None,
) -> None:
    link_above, review_above = linker.policy.link_above, linker.policy.review_above
    run = ImportRun.objects.create(
        source=source,
        agreement=agreement,
        file_name=path.name[:255],
        sha256=summary.sha256,
        format=summary.format,
        encoding=encoding,
        # The mapping file's form: flat, or with its value map.
        mapping={"columns": mapping, "values": defaults.values} if defaults.values else mapping,
        link_above=link_above,
        review_above=review_above,
        default_status=defaults.status,
        default_event_date=defaults.event_date,
        dry_run=False,
        mode=mode,
        reported_on=reported_on,
        model=linker.describe(),
        status=RunStatus.COMPLETED,
        rows=summary.rows,
        received_at=received_at,
        created_by=actor,
    )
    taken: set[Any] = set()
    person_of: dict[Any, int] = {}  # ("new", row) -> the person made for that row
    done = episodes = 0
    proposer = _Proposer(linker, summary.rows, source, (path, fmt, encoding, mapping, defaults))
    try:
        for batch, ahead in proposer.batches():
            fresh = _unseen(source, batch, summary, run=run)
            proposer.complete(ahead, fresh)
            decided = _decide(fresh, linker, taken, mode, ahead)
            # 1. New people, in row order.
            new = [d for d in decided if d.outcome == Outcome.NEW]
            made = people_create_bulk(actor=actor, people=[d.row.person for d in new])
            for d, person in zip(new, made, strict=True):
                person_of[d.target] = person.pk
            # 2. Everyone whose claim is recorded now (linked and new).
            accepted = [d for d in decided if d.outcome in (Outcome.LINKED, Outcome.NEW)]
            pids = {person_of.get(d.target, d.target) for d in accepted}
            people = Person.objects.in_bulk(list(pids))
            named: set[int] = set()
            if agreement is not None:
                members = set(
                    Membership.objects.filter(agreement=agreement, person_id__in=pids).values_list(
                        "person_id", flat=True
                    )
                )
                named = pids - members
                # Named on the day the list (or its row) reported them, the earliest if several.
                first_named: dict[int, dt.date] = {}
                for d in accepted:
                    pid = person_of.get(d.target, d.target)
                    day = d.row.reported_on or named_on
                    if pid in named and (pid not in first_named or day < first_named[pid]):
                        first_named[pid] = day
                Membership.objects.bulk_create(
                    [
                        Membership(agreement=agreement, person_id=pid, named_on=first_named[pid])
                        for pid in sorted(named)
                    ]
                )
            episodes += _arrests(accepted, person_of)
            claims: list[int] = []
            try:
                claims = claims_record_bulk(
                    actor=actor,
                    source=source,
                    agreement=agreement,
                    received_at=received_at,
                    claims=[
                        StatusClaim(
                            person=people[person_of.get(d.target, d.target)],
                            status=d.row.status,
                            event_date=d.row.event_date,
                            event_precision=d.row.event_precision,
                            evidence_text=d.row.evidence_text,
                            evidence_url=d.row.evidence_url,
                            received_at=received_on(d.row.reported_on),
                        )
                        for d in accepted
                    ],
                )
            except ValidationError as exc:
                position = getattr(exc, "position", None)
                if position is not None:
                    exc.import_row = accepted[position].row.number  # type: ignore[attr-defined]
                raise
            claim_of = {d.row.number: c for d, c in zip(accepted, claims, strict=True)}
            # 3. The rows, with their candidates and what became of them.
            wanted = {person_of.get(p.key, p.key) for d in decided for p in d.proposals}
            wanted |= pids
            handles = dict(
                Person.objects.filter(pk__in=[p for p in wanted if isinstance(p, int)]).values_list(
                    "pk", "handle"
                )
            )
            rows = []
            for d in decided:
                pid = person_of.get(d.target, d.target) if d.target is not None else None
                rows.append(
                    (
                        run.pk,
                        source.pk,
                        d.row.number,
                        d.row_hash,
                        d.outcome,
                        pid,
                        d.proposals[0].probability if d.proposals else None,
                        _candidates_json(d, linker, person_of, handles),
                        {**d.row.as_data(), "named": pid in named},
                        claim_of.get(d.row.number),
                        "",
                        None,
                        None,
                        "",
                        d.reason,
                    )
                )
                _count(summary, d)
            insert_rows(ImportRow, _ROW_COLUMNS, rows)
            done += len(batch)
            report("write", done, summary.rows)
    finally:
        proposer.close()

    if not (summary.linked or summary.queued or summary.new):
        # Everything was seen before: the import adds nothing, not even its own record.
        transaction.set_rollback(True)
        summary.warnings.append(
            {"row": None, "message": _("Every row was imported before; nothing was added.")}
        )
        return
    summary.digest = run_digest(run)
    for name in ("linked", "queued", "new", "rejected", "unchanged"):
        setattr(run, name, getattr(summary, name))
    run.warnings = summary.warnings
    run.digest = summary.digest
    run.save()
    summary.run = run.pk
    ledger.append(
        actor,
        "import.run",
        run,
        {
            "source": _source_label(source),
            "agreement": agreement.slug if agreement else None,
            "file_sha256": summary.sha256,
            "rows": summary.rows,
            "linked": summary.linked,
            "queued": summary.queued,
            "new": summary.new,
            "unchanged": summary.unchanged,
            "link_above": link_above,
            "review_above": review_above,
            "digest": summary.digest,
            "custody_episodes": episodes,
            "mode": mode,
            "reported_on": reported_on.isoformat() if reported_on else None,
        },
    )


# --- The digest over what an import created ------------------------------------------------------


def _identity_content(pid: int, handle: str, ident: Identity) -> list[Any]:
    return [
        pid,
        handle,
        ident.given_names,
        ident.paternal_surname,
        ident.maternal_surname,
        list(ident.aliases or ()),
        ident.birth_date.isoformat() if ident.birth_date else None,
        ident.birth_precision,
        ident.sex,
        ident.province,
        ident.municipality,
        ident.affiliation,
    ]


_CLAIM_FIELDS = (
    "id",
    "source_id",
    "kind",
    "person_id",
    "agreement_id",
    "status",
    "event_date",
    "event_precision",
    "received_at",
    "credibility",
    "corrects_id",
    "evidence_text",
    "evidence_url",
    "evidence_sha256",
    "recorded_by_id",
)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def run_digest(run: ImportRun) -> str:
    """SHA-256 over the people and claims the import created and the memberships it
    added, each with its id and content, in id order. The same function checks it later
    (:func:`import_verify`): any change to one of them changes the digest."""
    people = hashlib.sha256()
    rows = ImportRow.objects.filter(run=run, outcome=Outcome.NEW).order_by("person_id")
    person_ids = list(rows.values_list("person_id", flat=True))
    for start in range(0, len(person_ids), 5000):
        chunk = person_ids[start : start + 5000]
        handles = dict(Person.objects.filter(pk__in=chunk).values_list("pk", "handle"))
        idents = {i.person_id: i for i in Identity.objects.filter(person_id__in=chunk)}
        for pid in chunk:
            ident = idents.get(pid)
            content = _identity_content(pid, handles.get(pid, ""), ident) if ident else [pid]
            people.update(json.dumps(content, ensure_ascii=False).encode() + b"\n")
    claims = hashlib.sha256()
    claim_ids = ImportRow.objects.filter(
        run=run, outcome__in=(Outcome.LINKED, Outcome.NEW), claim__isnull=False
    ).values("claim_id")
    for values in (
        Claim.objects.filter(pk__in=claim_ids)
        .order_by("id")
        .values_list(*_CLAIM_FIELDS)
        .iterator(chunk_size=5000)
    ):
        claims.update(json.dumps([_plain(v) for v in values], ensure_ascii=False).encode() + b"\n")
    members = hashlib.sha256()
    if run.agreement_id is not None:
        named = [
            pid
            for pid, data in ImportRow.objects.filter(run=run)
            .exclude(person=None)
            .values_list("person_id", "data")
            .iterator(chunk_size=5000)
            if data.get("named")
        ]
        for values in (
            Membership.objects.filter(agreement_id=run.agreement_id, person_id__in=named)
            .order_by("id")
            .values_list("id", "agreement_id", "person_id", "named_on")
        ):
            members.update(json.dumps([_plain(v) for v in values]).encode() + b"\n")
    total = hashlib.sha256()
    for part in (people, claims, members):
        total.update(part.hexdigest().encode())
    return total.hexdigest()


def import_verify(run: ImportRun) -> bool:
    """Whether what the import created is still exactly as it was recorded (the digest
    stored with the run and written to the ledger)."""
    from detente.audit.models import AuditEntry

    entry = (
        AuditEntry.objects.filter(
            action="import.run", object_type="reconcile.importrun", object_id=str(run.pk)
        )
        .order_by("position")
        .first()
    )
    recorded = entry.payload.get("digest") if entry is not None else run.digest
    return bool(recorded) and run_digest(run) == recorded == run.digest
