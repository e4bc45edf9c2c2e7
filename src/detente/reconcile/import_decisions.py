"""Deciding each row of an import: which rows the source never gave before, their candidates
(:func:`_propose`, here or in the importer's worker), and the outcome of each row (linked,
queued for review, or a new person) by the linkage pipeline's rule."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from detente.evidence.models import Source
from detente.matching.index import CandidateIndex
from detente.matching.pipeline import LINK, NEW, REVIEW, Policy, Proposal, decide, propose_many
from detente.matching.records import Record
from detente.reconcile.import_linker import Linker
from detente.reconcile.import_summary import Summary, _repeated
from detente.reconcile.models import ImportRow, ImportRun, Mode, Outcome, Reason
from detente.reconcile.rows import ParsedRow


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


def _propose(linker: Linker, records: list[Record]) -> list[list[Proposal]]:
    keep = _kept(linker.policy)
    found = propose_many(linker.index, linker.scorer, records, linker.policy)
    return [row[:keep] for row in found]


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
    # Whether a row's proposals alone link it (``decide`` with nobody taken), by row
    # number, when the worker has decided it already; a row missing is decided here.
    settled: dict[int, bool] = dataclasses.field(default_factory=dict)


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
    places = len(linker.model.place_parts)
    # Whether the candidates alone (no person taken yet) link a row: decided once for each
    # row, again only for a row whose candidates change below.
    settled = [
        ahead.settled[parsed.number]
        if parsed.number in ahead.settled
        else decide(found, policy, (), places).outcome == LINK
        for (parsed, _hash), found in zip(rows, proposals, strict=True)
    ]
    if len(linker.made):
        # People this import created for earlier batches, as candidates too.
        unsettled = [i for i, linked in enumerate(settled) if not linked]
        earlier_made = linker.made.candidate_records_many([records[i] for i in unsettled], 8)
        for i, others in zip(unsettled, earlier_made, strict=True):
            if others:
                # After every registry candidate, in blocking order (ties go to those).
                first = 1 + max((p.order for p in proposals[i]), default=-1)
                proposals[i] = sorted(
                    [*proposals[i], *scorer._propose(records[i], others, first)],
                    key=lambda p: (-p.weight, p.order),
                )
                settled[i] = decide(proposals[i], policy, (), places).outcome == LINK
    # Rows the registry settles are nobody new: only the others may repeat one another.
    open_rows = [i for i, linked in enumerate(settled) if not linked]
    nearby: dict[int, tuple[Record, ...]] = {}
    if len(open_rows) > 1:
        subset = [records[i] for i in open_rows]
        local = CandidateIndex(linker.model, subset)
        nearby = dict(zip(open_rows, local.candidate_records_many(subset, 8), strict=True))
    out: list[Decided] = []
    made: dict[Any, Record] = {}  # this batch's new people, by their row's record key
    made_from: list[Record] = []  # the rows' records they were made from, in that order
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
            made_from.append(record)
        out.append(Decided(parsed, row_hash, outcome, reason, verdict.proposals, record, target))
    for new_record, row_record in zip(made.values(), made_from, strict=True):
        # The same contents as the row's record, whose keys were just computed (memoised).
        linker.made.add(new_record, like=row_record)
    return out


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
