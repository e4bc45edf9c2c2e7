"""Reads for reconciliation: the match review queue and likely duplicate people.

**Match review** (not to be confused with *verification*, ``evidence.verification_queue``,
where a reported release is confirmed or disputed): rows an import could not decide
alone wait here, each with its candidates, for a verifier or administrator to decide
through :mod:`detente.reconcile.services`. Analysts read the queue; they do not decide.
The functions take the viewer and show names only where the viewer may see them.

**Duplicates**: pairs of registry people the engine scores as likely one, for a merge
(:func:`~detente.reconcile.services.person_merge`), with :func:`pair_evidence` as the
explanation a merge records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from detente.access.policy import Action, Viewer, can, require
from detente.access.sources import shown_name
from detente.agreements.models import Membership
from detente.audit import ledger
from detente.core.errors import invalid
from detente.matching.linkage import duplicates
from detente.matching.model import LinkageModel, TermFrequencies
from detente.matching.registry import registry_index
from detente.reconcile.engine import merged_ids, registry_records
from detente.reconcile.models import ImportRow, ImportRun, Outcome, Reason
from detente.registry.models import Identity, Person, survivors
from detente.registry.selectors import person_list


@dataclass(frozen=True)
class DuplicatePair:
    left: str  # handle
    right: str
    left_name: str
    right_name: str
    probability: float
    match_weight: float


def duplicate_pairs(viewer: Viewer, *, above: float = 0.5, limit: int = 100) -> list[DuplicatePair]:
    """Pairs of registry people who are likely one person, likeliest first.

    Staff only (it compares confidential identities). People already merged into another
    are left out. The identities shown are recorded in the ledger as seen.
    """
    require(viewer, Action.READ)
    merged = merged_ids()
    links = [
        link
        for link in duplicates(registry_index(), threshold=above)
        if link.left not in merged and link.right not in merged
    ][:limit]
    ids = {int(k) for link in links for k in (link.left, link.right)}  # type: ignore[call-overload]
    people = {p.pk: p for p in person_list(viewer).filter(pk__in=ids)}
    out = []
    for link in links:
        a, b = people.get(int(link.left)), people.get(int(link.right))  # type: ignore[call-overload]
        if a is None or b is None:
            continue
        out.append(
            DuplicatePair(
                a.handle,
                b.handle,
                a.identity.full_name,
                b.identity.full_name,
                link.probability,
                link.match_weight,
            )
        )
    ledger.record_access(viewer, "person.duplicates", [h for p in out for h in (p.left, p.right)])
    return out


def match_review_queue(
    viewer: Viewer,
    *,
    run: ImportRun | None = None,
    decided: bool = False,
    above: float | None = None,
    below: float | None = None,
    reason: str | None = None,
) -> QuerySet[ImportRow]:
    """Queued rows (undecided ones, or with ``decided`` the decided ones), oldest first.

    Narrowed to one import (``run``, from :func:`run_get`), to a best candidate's
    probability at or above ``above`` and at or below ``below``, and to one ``reason``.
    Staff only (analysts, verifiers, administrators); anyone else is refused.
    """
    require(viewer, Action.READ)
    qs = ImportRow.objects.filter(outcome=Outcome.QUEUED).select_related(
        "run", "run__source", "person"
    )
    qs = qs.exclude(decision="") if decided else qs.filter(decision="")
    if run is not None:
        qs = qs.filter(run=run)
    if above is not None:
        qs = qs.filter(probability__gte=above)
    if below is not None:
        qs = qs.filter(probability__lte=below)
    if reason:
        qs = qs.filter(reason=reason)
    return qs.order_by("run_id", "number", "id")


def match_review_counts(
    viewer: Viewer,
    *,
    run: ImportRun | None = None,
    above: float | None = None,
    below: float | None = None,
) -> dict[str, Any]:
    """How many rows wait: in all, per import (``runs``: id → count) and per reason within
    the given import and probabilities (``reasons``: code → count; "" = none recorded)."""

    def per(qs: QuerySet[ImportRow], key: str) -> dict[Any, int]:
        grouped = qs.order_by().values(key).annotate(n=Count("id"))
        return {g[key]: g["n"] for g in grouped}

    runs = per(match_review_queue(viewer), "run_id")
    reasons = per(match_review_queue(viewer, run=run, above=above, below=below), "reason")
    return {"total": sum(runs.values()), "runs": runs, "reasons": reasons}


def match_review_runs(viewer: Viewer) -> QuerySet[ImportRun]:
    """The imports with rows still waiting, oldest first (staff)."""
    require(viewer, Action.READ)
    waiting = ImportRow.objects.filter(outcome=Outcome.QUEUED, decision="")
    return (
        ImportRun.objects.filter(pk__in=waiting.values("run_id"))
        .select_related("source", "agreement")
        .order_by("id")
    )


def _position(row: ImportRow, after: bool) -> Q:
    """Rows after (or before) ``row`` in the queue's order: import, row number, id."""
    op = "gt" if after else "lt"
    return (
        Q(**{f"run_id__{op}": row.run_id})
        | Q(run_id=row.run_id, **{f"number__{op}": row.number})
        | Q(run_id=row.run_id, number=row.number, **{f"id__{op}": row.pk})
    )


def match_review_neighbours(
    viewer: Viewer,
    row: ImportRow,
    *,
    run: ImportRun | None = None,
    above: float | None = None,
    below: float | None = None,
    reason: str | None = None,
) -> tuple[int | None, int | None]:
    """The waiting rows just before and just after ``row`` (ids), among those the filters
    select; ``None`` at either end."""
    qs = match_review_queue(viewer, run=run, above=above, below=below, reason=reason).exclude(
        pk=row.pk
    )
    ids = qs.values_list("id", flat=True)
    before = ids.filter(_position(row, after=False)).order_by("-run_id", "-number", "-id").first()
    after = ids.filter(_position(row, after=True)).first()
    return before, after


def match_review_next(
    viewer: Viewer,
    row: ImportRow,
    *,
    run: ImportRun | None = None,
    above: float | None = None,
    below: float | None = None,
    reason: str | None = None,
) -> int | None:
    """The waiting row to open after deciding ``row``: the next one the filters select, or
    the first when ``row`` was the last; ``None`` when none waits."""
    qs = match_review_queue(viewer, run=run, above=above, below=below, reason=reason).exclude(
        pk=row.pk
    )
    ids = qs.values_list("id", flat=True)
    return ids.filter(_position(row, after=True)).first() or ids.first()


def match_review_get(viewer: Viewer, row_id: int) -> ImportRow:
    """A queued row; Http404 when it is missing, not a queued row, or the viewer is not
    staff (hidden and missing look the same)."""
    if not can(viewer, Action.READ):
        raise Http404("no such row")
    found = (
        ImportRow.objects.filter(pk=row_id, outcome=Outcome.QUEUED)
        .select_related("run", "run__source", "run__agreement", "person", "claim")
        .first()
    )
    if found is None:
        raise Http404("no such row")
    return found


def run_get(viewer: Viewer, run_id: int) -> ImportRun:
    if not can(viewer, Action.READ):
        raise Http404("no such import")
    found = ImportRun.objects.filter(pk=run_id).select_related("source", "agreement").first()
    if found is None:
        raise Http404("no such import")
    return found


def row_name(row: ImportRow) -> str:
    """The name the list gave, as it wrote it."""
    person = row.data.get("person", {})
    parts = (
        person.get("given_names", ""),
        person.get("paternal_surname", ""),
        person.get("maternal_surname", ""),
    )
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class CandidateView:
    handle: str
    name: str | None  # None when the viewer may not see it
    probability: float
    explanation: dict[str, Any]
    person_id: int = 0
    identity: Identity | None = None  # None when the viewer may not see it
    best: bool = False  # the row's best candidate: what "accept" links the row to


def candidates_seen_by(viewer: Viewer, row: ImportRow) -> list[CandidateView]:
    """The row's candidates as the viewer may see them: the survivor's handle for a person
    merged since, names only where the viewer may see the identity (recorded as seen)."""
    out = _candidates(viewer, [row])[row.pk]
    ledger.record_access(viewer, "import.review.view", [c.handle for c in out if c.name])
    return out


def _candidates(viewer: Viewer, rows: list[ImportRow]) -> dict[int, list[CandidateView]]:
    """Each row's candidates as the viewer may see them (by row id), the people read
    together; nothing recorded (the caller records what it shows)."""
    from detente.registry.selectors import person_list

    wanted = {
        r.pk: [c["person"] for c in r.candidates if isinstance(c.get("person"), int)] for r in rows
    }
    survivor = survivors([i for ids in wanted.values() for i in ids])
    people = {p.pk: p for p in person_list(viewer).filter(pk__in=survivor.values())}
    found: dict[int, list[CandidateView]] = {}
    for r in rows:
        ids = wanted[r.pk]
        best = survivor.get(ids[0]) if ids else None
        out: list[CandidateView] = []
        for c in r.candidates:
            person = people.get(survivor.get(c.get("person"), -1))
            if person is None:
                continue
            visible = bool(getattr(person, "identity_visible", False))
            out.append(
                CandidateView(
                    handle=person.handle,
                    name=person.identity.full_name if visible else None,
                    probability=float(c["probability"]),
                    explanation=c.get("explanation", {}),
                    person_id=person.pk,
                    identity=person.identity if visible else None,
                    best=person.pk == best,
                )
            )
        found[r.pk] = out
    return found


# A download of the queue: its columns (the list's values as it gave them, then the
# candidates), and the most rows one file holds.
MATCH_REVIEW_COLUMNS = (
    "row_id",
    "run",
    "row",
    "name",
    "given_names",
    "paternal_surname",
    "maternal_surname",
    "aliases",
    "birth_date",
    "sex",
    "municipality",
    "province",
    "status",
    "event_date",
    "evidence",
    "reason",
    "probability",
    "candidates",
)
DOWNLOAD_LIMIT = 10_000


def _candidates_out(candidates: list[CandidateView], fmt: str) -> Any:
    """The candidates: a list in JSON, one line of text in a spreadsheet
    (``P-0001 (0.93) Name; P-0002 (0.41)``); a name only where the viewer may see it."""
    if fmt == "json":
        return [
            {"handle": c.handle, "name": c.name, "probability": round(c.probability, 4)}
            for c in candidates
        ]
    return "; ".join(
        f"{c.handle} ({c.probability:.2f})" + (f" {c.name}" if c.name else "") for c in candidates
    )


def match_review_download(
    viewer: Viewer,
    *,
    fmt: str,
    run: ImportRun | None = None,
    above: float | None = None,
    below: float | None = None,
    reason: str | None = None,
    limit: int = DOWNLOAD_LIMIT,
) -> list[dict[str, Any]]:
    """The waiting rows the filters select, every page (in the queue's order, up to
    ``limit``): each with the list's values and its candidates (handles, probabilities,
    names only where the viewer may see them). Read and recorded in one transaction: the
    ledger entry holds the format, the filters, the count and the candidates named."""
    with transaction.atomic():
        rows = list(
            match_review_queue(viewer, run=run, above=above, below=below, reason=reason)[:limit]
        )
        candidates = _candidates(viewer, rows)
        out = []
        for r in rows:
            person = r.data.get("person", {})
            aliases = person.get("aliases") or []
            out.append(
                {
                    "row_id": r.pk,
                    "run": r.run_id,
                    "row": r.number,
                    "name": row_name(r),
                    "given_names": person.get("given_names") or "",
                    "paternal_surname": person.get("paternal_surname") or "",
                    "maternal_surname": person.get("maternal_surname") or "",
                    "aliases": aliases if fmt == "json" else "; ".join(aliases),
                    "birth_date": person.get("birth_date") or "",
                    "sex": person.get("sex") or "",
                    "municipality": person.get("municipality") or "",
                    "province": person.get("province") or "",
                    "status": r.data.get("status", ""),
                    "event_date": r.data.get("event_date", ""),
                    "evidence": r.data.get("evidence_text", ""),
                    "reason": r.reason or None,
                    "probability": r.probability,
                    "candidates": _candidates_out(candidates[r.pk], fmt),
                }
            )
        filters = {
            "run": run.pk if run is not None else None,
            "above": above,
            "below": below,
            "reason": reason or None,
        }
        named = [c.handle for found in candidates.values() for c in found if c.name]
        ledger.record_download(
            viewer,
            "import.review.export",
            fmt=fmt,
            filters={k: v for k, v in filters.items() if v is not None},
            count=len(out),
            people=named,
        )
    return out


Agreement = Literal["agree", "partly", "differ", "missing"]

# The levels at which a field says "the same" (once spelling conventions, nicknames and the
# order of the surnames are allowed for). Every other level short of "different" is partial.
_AGREE: dict[str, frozenset[str]] = {
    "given_name": frozenset({"exact", "nickname"}),
    "surnames": frozenset({"both_exact", "both_swapped"}),
    "birth_date": frozenset({"exact"}),
    "place": frozenset({"municipality"}),
    "sex": frozenset({"same"}),
}
_DIFFER = frozenset({"else", "different"})


def field_agreement(field: str, level: str) -> Agreement:
    """How far one compared field agrees, in four steps a reader takes in at a glance:
    ``agree``, ``partly``, ``differ`` or ``missing`` (a side does not say)."""
    if level == "missing":
        return "missing"
    if level in _DIFFER:
        return "differ"
    if level in _AGREE.get(field, frozenset()):
        return "agree"
    return "partly"


@dataclass(frozen=True)
class ClaimPreview:
    """The claim a decision on a row will record, as one viewer may see it."""

    source: str  # the source's name, or "protected source" to a viewer it is masked from
    source_kind: str
    source_reliability: str
    status: str
    event_date: str  # ISO
    event_precision: str
    evidence_text: str
    evidence_url: str
    agreement: str | None  # the agreement's title
    named: dict[str, bool]  # candidate handle → already named on the agreement


def claim_preview(viewer: Viewer, row: ImportRow, candidates: list[CandidateView]) -> ClaimPreview:
    """What deciding ``row`` will record: the list's source, the status and date it asserts,
    the agreement, and for each candidate whether they are already named on it (a new
    person, or a candidate not yet named, will be)."""
    run = row.run
    agreement = run.agreement
    members: set[int] = set()
    if agreement is not None:
        members = set(
            Membership.objects.filter(
                agreement=agreement, person_id__in=[c.person_id for c in candidates]
            ).values_list("person_id", flat=True)
        )
    return ClaimPreview(
        source=shown_name(viewer, run.source),
        source_kind=run.source.get_kind_display(),
        source_reliability=run.source.reliability,
        status=row.data.get("status", ""),
        event_date=row.data.get("event_date", ""),
        event_precision=row.data.get("event_precision", "day"),
        evidence_text=row.data.get("evidence_text", ""),
        evidence_url=row.data.get("evidence_url", ""),
        agreement=agreement.title if agreement is not None else None,
        named={c.handle: c.person_id in members for c in candidates},
    )


# --- In bulk ---------------------------------------------------------------------------------

# Reasons that need a person's eyes: accepted in bulk only when chosen by name. (Something
# disagrees, the person is taken by another row, or another candidate is as likely.)
CAREFUL_REASONS = (
    Reason.GIVEN_NAMES,
    Reason.SEX,
    Reason.BIRTH_DATE,
    Reason.PLACE,
    Reason.TAKEN,
    Reason.CLOSE_RUNNER_UP,
)
# A best candidate less likely than not is never accepted in bulk.
BULK_FLOOR = 0.5


def check_bulk(above: float, reason: str | None) -> None:
    if not isinstance(above, int | float) or not BULK_FLOOR <= above <= 1:
        raise invalid(
            "above",
            _("Give a probability between %(low)s and 1.") % {"low": f"{BULK_FLOOR:g}"},
        )
    if reason is not None and reason not in Reason.values:
        raise invalid("reason", _("Unknown reason."))


def bulk_rows(
    viewer: Viewer, *, run: ImportRun, above: float, reason: str | None = None
) -> QuerySet[ImportRow]:
    """The rows :func:`match_review_accept_bulk` would accept: ``run``'s waiting rows whose best
    candidate is at or above ``above``, of ``reason`` — or, without one, of any reason but
    :data:`CAREFUL_REASONS`. In the queue's order."""
    check_bulk(above, reason)
    qs = match_review_queue(viewer, run=run, above=above)
    return qs.filter(reason=reason) if reason else qs.exclude(reason__in=CAREFUL_REASONS)


def pair_evidence(a: Person, b: Person) -> dict[str, Any]:
    """The engine's score of two people and its explanation (no names: levels and bits)."""
    from detente.matching.registry import registry_index

    index = registry_index()
    records = {r.key: r for r in registry_records([a.pk, b.pk])}
    left, right = records.get(a.pk), records.get(b.pk)
    if left is None or right is None:
        return {}
    tf: TermFrequencies = index.tf
    model: LinkageModel = index.model
    return model.score(left, right, tf, max(len(index), 1)).as_dict()
