"""The writes of reconciliation: match review decisions, merges and splits, imports.

Every function here is a service: it checks the actor's permission, changes the data and
appends its ledger entry in one transaction. Reads are in :mod:`detente.reconcile.selectors`.

**Match review decisions.** A row in the match review queue names someone who may be a
registry person (the grey zone between the import's two thresholds). A verifier or
administrator decides:

* **accept**: the row is the proposed person (the best candidate);
* **reject**: the row is nobody in the registry, and a new person is created from it;
* **choose**: the row is another person (another candidate, or anyone the verifier
  names by handle).

Each decision records the row's status claim with its source (and names the person on the
import's agreement when they are not yet), through the same services as any claim, and
appends one ledger entry with the evidence: the candidates' probabilities and the
explanation of each score.

**In bulk**, :func:`match_review_accept_bulk` accepts every waiting row of one import whose
best candidate is at or above a probability (and of one reason, or of any reason but those
that need a person's eyes: the given names or the sex differ, or another row took the
person). The caller says how many rows it showed; a different count refuses the whole
batch. Each row is decided exactly as :func:`match_review_accept` decides it (its claim,
its own ledger entry with the evidence), after one ledger entry for the batch that every
row entry points to.

**Merges.** A merge keeps both records: claims are immutable and keep pointing at the
person they were made about. The merged person is marked ``merged_into`` the survivor,
which keeps its handle; from then on the merged person's claims and custody episodes count
for the survivor (``evidence.facts``), their handle finds the survivor
(``registry.selectors``), they leave every list and the search index (their names are
searched as the survivor's), and their memberships move to the survivor. A membership on
an agreement the survivor is already named on is dropped, its id and date kept in the
:class:`~detente.reconcile.models.Merge` record so a split recreates it as it was. Both are
verifier and administrator decisions (``Action.MANAGE``), written to the ledger with the
evidence: the engine's score of the pair and its explanation, and the reason given.

**Imports.** The import itself (:func:`import_list`, :func:`import_verify`) and the staff
pages' and API's step-by-step import jobs (``import_job_*``) are services too. They are
exported here so that callers find every write of the app in one place; their machinery
stays in its own modules: ``importer`` (reading, proposing and deciding rows in batches),
``import_writer`` (the one transaction per batch that writes people, claims and the ledger
entry) and ``jobs`` (uploaded files, column mapping, background steps).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Action, require
from detente.agreements.derivation import refresh_people
from detente.agreements.models import Membership
from detente.agreements.services import agreement_add_members
from detente.audit import ledger
from detente.core.errors import check_text, invalid
from detente.evidence.services import claim_record
from detente.reconcile.episodes import arrest_episodes, received_on
from detente.reconcile.importer import import_list, import_verify
from detente.reconcile.jobs import (
    import_job_create,
    import_job_discard,
    import_job_dry_run,
    import_job_map,
    import_job_start,
    import_jobs_expire,
)
from detente.reconcile.models import Decision, ImportRow, ImportRun, Merge, Outcome
from detente.reconcile.rows import ParsedRow
from detente.reconcile.selectors import (
    CAREFUL_REASONS,
    bulk_rows,
    check_bulk,
    pair_evidence,
)
from detente.registry import search
from detente.registry.models import Identity, NameToken, Person, absorbed, survivors
from detente.registry.services import person_create

__all__ = [
    "import_job_create",
    "import_job_discard",
    "import_job_dry_run",
    "import_job_map",
    "import_job_start",
    "import_jobs_expire",
    "import_list",
    "import_verify",
]


def match_review_accept_bulk(
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
    check_bulk(above, reason)
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


def match_review_accept(*, actor: User, row: ImportRow, note: str = "") -> ImportRow:
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


def match_review_reject(*, actor: User, row: ImportRow, note: str = "") -> ImportRow:
    """The row is nobody in the registry: a new person is made from it."""
    return _decide(actor=actor, row=row, decision=Decision.REJECTED, person=None, note=note)


def match_review_choose(
    *, actor: User, row: ImportRow, person: Person, note: str = ""
) -> ImportRow:
    """The row is ``person`` (from ``person_get``: another candidate, or anyone)."""
    return _decide(actor=actor, row=row, decision=Decision.CHOSEN, person=person, note=note)


def _reindex(person: Person) -> None:
    """The person's search tokens: their own names and those of everyone merged into them."""
    identity = Identity.objects.filter(person=person).first()
    if identity is not None:
        search.index_identity(identity)
    have = set(NameToken.objects.filter(person=person).values_list("token", flat=True))
    extra: set[str] = set()
    for ident in Identity.objects.filter(person_id__in=list(absorbed([person.pk]))):
        extra |= search.stored_tokens(
            ident.given_names, ident.paternal_surname, ident.maternal_surname, list(ident.aliases)
        )
    NameToken.objects.bulk_create(
        [NameToken(person=person, token=t) for t in sorted(extra - have)], batch_size=1000
    )


def person_merge(*, actor: User, survivor: Person, merged: Person, reason: str) -> Merge:
    """``merged`` is ``survivor``: mark it so, move its memberships, fold its claims."""
    require(actor, Action.MANAGE)
    reason = check_text("reason", reason, 2000, required=True)
    if survivor.pk == merged.pk:
        raise invalid("merged", _("A person cannot be merged into themselves."))
    with transaction.atomic():
        ledger.serialize()
        locked = {
            p.pk: p
            for p in Person.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])
        }
        for who, field in ((survivor, "survivor"), (merged, "merged")):
            if locked[who.pk].merged_into_id is not None:
                raise invalid(
                    field,
                    _("%(handle)s was already merged into another person.")
                    % {"handle": who.handle},
                )
        evidence = pair_evidence(survivor, merged)
        already = set(
            Membership.objects.filter(person=survivor).values_list("agreement_id", flat=True)
        )
        moved: list[int] = []
        dropped: list[dict[str, Any]] = []
        for m in Membership.objects.filter(person=merged).order_by("id"):
            if m.agreement_id in already:
                dropped.append(
                    {"id": m.pk, "agreement": m.agreement_id, "named_on": m.named_on.isoformat()}
                )
            else:
                moved.append(m.pk)
        Membership.objects.filter(pk__in=[d["id"] for d in dropped]).delete()
        Membership.objects.filter(pk__in=moved).update(person=survivor)
        Person.objects.filter(pk=merged.pk).update(merged_into=survivor)
        merged.merged_into = survivor
        NameToken.objects.filter(person=merged).delete()
        _reindex(survivor)
        refresh_people([survivor.pk])
        record = Merge.objects.create(
            survivor=survivor,
            merged=merged,
            moved_memberships=moved,
            dropped_memberships=dropped,
            evidence=evidence,
            reason=reason,
            merged_by=actor,
        )
        ledger.append(
            actor,
            "person.merge",
            record,
            {
                "survivor": survivor.handle,
                "merged": merged.handle,
                "memberships_moved": moved,
                "memberships_dropped": dropped,
                "evidence": evidence,
                "reason": ledger.keyed_hash(reason, survivor.handle),
            },
        )
    return record


def person_split(*, actor: User, merge: Merge, reason: str) -> Merge:
    """Undo a merge exactly: the merged person stands alone again with their memberships,
    claims and search tokens; the survivor is as before the merge."""
    require(actor, Action.MANAGE)
    reason = check_text("reason", reason, 2000, required=True)
    with transaction.atomic():
        ledger.serialize()
        merge = (
            Merge.objects.select_for_update().select_related("survivor", "merged").get(pk=merge.pk)
        )
        if merge.split_at is not None:
            raise invalid("merge", _("This merge was already split."))
        survivor, merged = merge.survivor, merge.merged
        Person.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk]).count()
        if merged.merged_into_id != survivor.pk:
            raise invalid("merge", _("This merge is no longer in effect."))
        moved = list(merge.moved_memberships)
        still_there = Membership.objects.filter(pk__in=moved, person=survivor).count()
        if still_there != len(moved):
            raise invalid(
                "merge",
                _("%(handle)s was merged again since; split that later merge first.")
                % {"handle": survivor.handle},
            )
        Membership.objects.filter(pk__in=moved).update(person=merged)
        for d in merge.dropped_memberships:
            taken = Membership.objects.filter(pk=d["id"]).exists()
            Membership.objects.create(
                **({} if taken else {"pk": d["id"]}),
                agreement_id=d["agreement"],
                person=merged,
                named_on=dt.date.fromisoformat(d["named_on"]),
            )
        Person.objects.filter(pk=merged.pk).update(merged_into=None)
        merged.merged_into = None
        _reindex(merged)
        _reindex(survivor)
        refresh_people([survivor.pk, merged.pk])
        merge.split_by = actor
        merge.split_at = timezone.now()
        merge.split_reason = reason
        merge.save(update_fields=["split_by", "split_at", "split_reason"])
        ledger.append(
            actor,
            "person.split",
            merge,
            {
                "survivor": survivor.handle,
                "merged": merged.handle,
                "memberships_restored": moved + [d["id"] for d in merge.dropped_memberships],
                "reason": ledger.keyed_hash(reason, survivor.handle),
            },
        )
    return merge
