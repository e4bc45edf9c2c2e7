"""What an import reports: its :class:`Summary` (counts, reasons, examples, warnings, errors),
:class:`ImportFailed` when it changed nothing, and how decided rows are counted into it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from detente.reconcile.models import Mode, Reason, RunStatus
from detente.reconcile.rows import ParsedRow
from detente.registry.models import Person

if TYPE_CHECKING:
    from detente.reconcile.import_decisions import Decided

MAX_WARNINGS = 100
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


def _fail(summary: Summary, message: str, column: str = "", row: int | None = None) -> ImportFailed:
    summary.status = RunStatus.FAILED
    summary.errors.append({"row": row, "column": column or None, "message": message})
    return ImportFailed(summary)


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
