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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Action, Viewer, can, require
from detente.agreements.models import Membership
from detente.agreements.services import agreement_add_members
from detente.audit import ledger
from detente.core.errors import invalid
from detente.evidence.services import claim_record
from detente.reconcile.models import Decision, ImportRow, ImportRun, Outcome
from detente.reconcile.rows import ParsedRow
from detente.registry.models import Person, survivors
from detente.registry.services import person_create


def review_queue(
    viewer: Viewer, *, run: ImportRun | None = None, decided: bool = False
) -> QuerySet[ImportRow]:
    """Queued rows (undecided ones, or with ``decided`` the decided ones), oldest first.

    Staff only (analysts, verifiers, administrators); anyone else is refused.
    """
    require(viewer, Action.READ)
    qs = ImportRow.objects.filter(outcome=Outcome.QUEUED).select_related(
        "run", "run__source", "person"
    )
    qs = qs.exclude(decision="") if decided else qs.filter(decision="")
    if run is not None:
        qs = qs.filter(run=run)
    return qs.order_by("run_id", "number", "id")


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


def candidates_seen_by(viewer: Viewer, row: ImportRow) -> list[CandidateView]:
    """The row's candidates as the viewer may see them: the survivor's handle for a person
    merged since, names only where the viewer may see the identity (recorded as seen)."""
    from detente.registry.selectors import person_list

    ids = [c["person"] for c in row.candidates if isinstance(c.get("person"), int)]
    people = {p.pk: p for p in person_list(viewer).filter(pk__in=survivors(ids).values())}
    survivor = survivors(ids)
    out: list[CandidateView] = []
    for c in row.candidates:
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
            )
        )
    ledger.record_access(viewer, "import.review.view", [c.handle for c in out if c.name])
    return out


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
    *, actor: User, row: ImportRow, decision: str, person: Person | None, note: str
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
            agreement_add_members(actor=actor, agreement=agreement, people=[person])
            named = True
        claim = claim_record(
            actor=actor,
            source=run.source,
            person=person,
            agreement=agreement,
            status=parsed.status,
            event_date=parsed.event_date,
            event_precision=parsed.event_precision,
            received_at=run.received_at,
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
            },
        )
    return current


def review_accept(*, actor: User, row: ImportRow, note: str = "") -> ImportRow:
    """The row is its best candidate."""
    require(actor, Action.MANAGE)
    best = next((c for c in row.candidates if isinstance(c.get("person"), int)), None)
    if best is None:
        raise invalid("decision", _("The row has no candidate to accept; reject it instead."))
    person = Person.objects.get(pk=best["person"])
    return _decide(actor=actor, row=row, decision=Decision.ACCEPTED, person=person, note=note)


def review_reject(*, actor: User, row: ImportRow, note: str = "") -> ImportRow:
    """The row is nobody in the registry: a new person is made from it."""
    return _decide(actor=actor, row=row, decision=Decision.REJECTED, person=None, note=note)


def review_choose(*, actor: User, row: ImportRow, person: Person, note: str = "") -> ImportRow:
    """The row is ``person`` (from ``person_get``: another candidate, or anyone)."""
    return _decide(actor=actor, row=row, decision=Decision.CHOSEN, person=person, note=note)
