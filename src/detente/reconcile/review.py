"""The review queue: rows an import could not decide alone, and the three decisions.

A queued row names someone who may be a registry person (the grey zone between the
import's two thresholds). A verifier or administrator decides:

* **accept** — the row is the proposed person (the best candidate);
* **reject** — the row is nobody in the registry: a new person is created from it;
* **choose** — the row is another person (another candidate, or anyone the verifier
  names by handle).

Each decision records the row's status claim with its source (and names the person on the
import's agreement when they are not yet), through the same services as any claim, and
appends one ledger entry with the evidence: the candidates' probabilities and the
explanation of each score. Analysts read the queue; they do not decide.

**In bulk**, :func:`review_accept_bulk` accepts every waiting row of one import whose best
candidate is at or above a probability (and of one reason, or of any reason but those that
need a person's eyes: the given names or the sex differ, or another row took the person).
The caller says how many rows it showed; a different count refuses the whole batch. Each
row is decided exactly as :func:`review_accept` decides it (its claim, its own ledger entry
with the evidence), after one ledger entry for the batch that every row entry points to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Action, Viewer, can, require
from detente.access.sources import shown_name
from detente.agreements.models import Membership
from detente.agreements.services import agreement_add_members
from detente.audit import ledger
from detente.core.errors import invalid
from detente.evidence.services import claim_record
from detente.reconcile.episodes import arrest_episodes, received_on
from detente.reconcile.models import Decision, ImportRow, ImportRun, Outcome, Reason
from detente.reconcile.rows import ParsedRow
from detente.registry.models import Identity, Person, survivors
from detente.registry.services import person_create


def review_queue(
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


def review_counts(
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

    runs = per(review_queue(viewer), "run_id")
    reasons = per(review_queue(viewer, run=run, above=above, below=below), "reason")
    return {"total": sum(runs.values()), "runs": runs, "reasons": reasons}


def review_runs(viewer: Viewer) -> QuerySet[ImportRun]:
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


def review_neighbours(
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
    qs = review_queue(viewer, run=run, above=above, below=below, reason=reason).exclude(pk=row.pk)
    ids = qs.values_list("id", flat=True)
    before = ids.filter(_position(row, after=False)).order_by("-run_id", "-number", "-id").first()
    after = ids.filter(_position(row, after=True)).first()
    return before, after


def review_next(
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
    qs = review_queue(viewer, run=run, above=above, below=below, reason=reason).exclude(pk=row.pk)
    ids = qs.values_list("id", flat=True)
    return ids.filter(_position(row, after=True)).first() or ids.first()


def review_get(viewer: Viewer, row_id: int) -> ImportRow:
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
REVIEW_COLUMNS = (
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


def review_download(
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
        rows = list(review_queue(viewer, run=run, above=above, below=below, reason=reason)[:limit])
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


def _check_bulk(above: float, reason: str | None) -> None:
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
    """The rows :func:`review_accept_bulk` would accept: ``run``'s waiting rows whose best
    candidate is at or above ``above``, of ``reason`` — or, without one, of any reason but
    :data:`CAREFUL_REASONS`. In the queue's order."""
    _check_bulk(above, reason)
    qs = review_queue(viewer, run=run, above=above)
    return qs.filter(reason=reason) if reason else qs.exclude(reason__in=CAREFUL_REASONS)


def review_accept_bulk(
    *,
    actor: User,
    run: ImportRun,
    above: float,
    reason: str | None = None,
    expected: int,
    note: str = "",
) -> list[ImportRow]:
    """Accept, in one transaction, every row :func:`bulk_rows` selects.

    ``expected`` is the count the person deciding was shown: when the rows selected now are
    not that many (someone decided some meanwhile), nothing is done. The ledger gets one
    ``import.review.bulk`` entry (the import, the threshold, the reason, the rows) and
    then, per row, the same ``import.review`` entry a single acceptance writes, with its
    evidence and the batch's ledger position. Verifiers and administrators only.
    """
    require(actor, Action.MANAGE)
    _check_bulk(above, reason)
    note = (note or "").strip()
    if len(note) > 2000:
        raise invalid("note", _("At most %(max)d characters.") % {"max": 2000})
    with transaction.atomic():
        ledger.serialize()  # no decision can slip in between the count and the writes
        ids = list(
            bulk_rows(actor, run=run, above=above, reason=reason).values_list("id", flat=True)
        )
        if len(ids) != expected:
            raise invalid(
                "expected",
                _(
                    "The rows changed since they were counted: %(now)d match now, not "
                    "%(expected)d. Nothing was accepted; check the new count."
                )
                % {"now": len(ids), "expected": expected},
            )
        if not ids:
            raise invalid("above", _("No waiting row of this import matches; nothing to accept."))
        batch = ledger.append(
            actor,
            "import.review.bulk",
            run,
            {
                "run": run.pk,
                "above": above,
                "reason": reason or "",
                "excluded_reasons": [] if reason else [str(r) for r in CAREFUL_REASONS],
                "count": len(ids),
                "rows": ids,
                "note": note,
            },
        )
        done: list[ImportRow] = []
        rows = ImportRow.objects.filter(pk__in=ids).select_related("run").order_by("number", "id")
        for row in rows:
            try:
                done.append(_accept(actor=actor, row=row, note=note, batch=batch.position))
            except ValidationError as error:
                raise invalid(
                    "rows",
                    _("Row %(row)d could not be accepted: %(error)s")
                    % {"row": row.number, "error": " ".join(error.messages)},
                ) from error
    return done


def _evidence(row: ImportRow) -> list[dict[str, Any]]:
    return [
        {
            "person": c.get("handle"),
            "probability": c.get("probability"),
            "explanation": c.get("explanation", {}),
        }
        for c in row.candidates
    ]


def _decide(
    *,
    actor: User,
    row: ImportRow,
    decision: str,
    person: Person | None,
    note: str,
    batch: int | None = None,
) -> ImportRow:
    require(actor, Action.MANAGE)
    note = (note or "").strip()
    if len(note) > 2000:
        raise invalid("note", _("At most %(max)d characters.") % {"max": 2000})
    with transaction.atomic():
        ledger.serialize()
        current = ImportRow.objects.select_for_update().select_related("run").get(pk=row.pk)
        if current.outcome != Outcome.QUEUED:
            raise invalid("decision", _("Only a queued row can be decided."))
        if current.decision:
            raise invalid(
                "decision",
                _("Row %(row)d of import #%(run)d was already decided (%(decision)s).")
                % {"row": current.number, "run": current.run_id, "decision": current.decision},
            )
        run = current.run
        parsed = ParsedRow.from_data(current.number, current.data)
        created = False
        if decision == Decision.REJECTED:
            p = parsed.person
            person = person_create(
                actor=actor,
                given_names=p.given_names,
                paternal_surname=p.paternal_surname,
                maternal_surname=p.maternal_surname,
                aliases=p.aliases,
                birth_date=p.birth_date,
                birth_precision=p.birth_precision,
                sex=p.sex,
                province=p.province,
                municipality=p.municipality,
            )
            created = True
        assert person is not None  # noqa: S101 - accept and choose name one
        survivor = survivors([person.pk])[person.pk]
        if survivor != person.pk:
            person = Person.objects.get(pk=survivor)
        named = False
        agreement = run.agreement
        if (
            agreement is not None
            and not Membership.objects.filter(agreement=agreement, person=person).exists()
        ):
            # Named the day the list reported them (a historical list), like the rows the
            # import decided alone.
            named_on = parsed.reported_on or run.reported_on or None
            agreement_add_members(
                actor=actor, agreement=agreement, people=[person], named_on=named_on
            )
            named = True
        # The arrest the row gives, as the import records it for the rows it decided.
        arrest_episodes([(person.pk, parsed)])
        claim = claim_record(
            actor=actor,
            source=run.source,
            person=person,
            agreement=agreement,
            status=parsed.status,
            event_date=parsed.event_date,
            event_precision=parsed.event_precision,
            received_at=received_on(parsed.reported_on) or run.received_at,
            evidence_text=parsed.evidence_text,
            evidence_url=parsed.evidence_url,
        )
        current.person = person
        current.claim = claim
        current.decision = decision
        current.decided_by = actor
        current.decided_at = timezone.now()
        current.decision_note = note
        current.data = {**current.data, "named": named}
        current.save(
            update_fields=[
                "person",
                "claim",
                "decision",
                "decided_by",
                "decided_at",
                "decision_note",
                "data",
            ]
        )
        ledger.append(
            actor,
            "import.review",
            current,
            {
                "run": run.pk,
                "row": current.number,
                "decision": decision,
                "person": person.handle,
                "created": created,
                "named_on_agreement": named,
                "claim": claim.pk,
                "candidates": _evidence(current),
                "note": note,
                # Decided in bulk: the ledger position of the batch's own entry.
                **({"bulk": batch} if batch is not None else {}),
            },
        )
    return current


def review_accept(*, actor: User, row: ImportRow, note: str = "") -> ImportRow:
    """The row is its best candidate."""
    return _accept(actor=actor, row=row, note=note)


def _accept(*, actor: User, row: ImportRow, note: str, batch: int | None = None) -> ImportRow:
    require(actor, Action.MANAGE)
    best = next((c for c in row.candidates if isinstance(c.get("person"), int)), None)
    if best is None:
        raise invalid("decision", _("The row has no candidate to accept; reject it instead."))
    person = Person.objects.get(pk=best["person"])
    return _decide(
        actor=actor, row=row, decision=Decision.ACCEPTED, person=person, note=note, batch=batch
    )


def review_reject(*, actor: User, row: ImportRow, note: str = "") -> ImportRow:
    """The row is nobody in the registry: a new person is made from it."""
    return _decide(actor=actor, row=row, decision=Decision.REJECTED, person=None, note=note)


def review_choose(*, actor: User, row: ImportRow, person: Person, note: str = "") -> ImportRow:
    """The row is ``person`` (from ``person_get``: another candidate, or anyone)."""
    return _decide(actor=actor, row=row, decision=Decision.CHOSEN, person=person, note=note)
