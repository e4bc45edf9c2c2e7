"""Writing an import (pass 3, for real): the run's record, then batch by batch the new people,
the agreement's memberships, custody episodes, claims and the rows with their candidates,
and at the end the digest and the ledger entry. The importer reads and decides the batches;
this module stores them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from detente.agreements.models import Agreement, Membership
from detente.audit import ledger
from detente.evidence.models import Source
from detente.evidence.services import StatusClaim, claims_record_bulk
from detente.matching.pipeline import levels_as_codes
from detente.reconcile.episodes import arrest_episodes, received_on
from detente.reconcile.import_decisions import Decided
from detente.reconcile.import_digest import run_digest
from detente.reconcile.import_linker import Linker
from detente.reconcile.import_summary import Summary, _count
from detente.reconcile.models import ImportRow, ImportRun, Outcome, RunStatus, seal_data
from detente.reconcile.rows import Defaults
from detente.registry.models import Person
from detente.registry.services import insert_rows, people_create_bulk

_ROW_COLUMNS = (
    "run",
    "source",
    "number",
    "row_hash",
    "outcome",
    "person",
    "probability",
    "candidates",
    "sealed",
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


def _arrests(accepted: list[Decided], person_of: dict[Any, int]) -> int:
    return arrest_episodes([(person_of.get(d.target, d.target), d.row) for d in accepted])


class RunWriter:
    """One import's writes, in the order the import makes them: the run's record when made,
    each batch's decided rows (:meth:`write`), then the digest and the ledger entry
    (:meth:`finish`), or nothing at all when every row was imported before."""

    def __init__(
        self,
        *,
        actor: User,
        path: Path,
        encoding: str,
        mapping: dict[str, str],
        defaults: Defaults,
        source: Source,
        agreement: Agreement | None,
        linker: Linker,
        summary: Summary,
        received_at: dt.datetime,
        named_on: dt.date,
        mode: str,
        reported_on: dt.date | None,
    ) -> None:
        self.actor, self.source, self.agreement = actor, source, agreement
        self.linker, self.summary, self.mode = linker, summary, mode
        self.received_at, self.named_on, self.reported_on = received_at, named_on, reported_on
        link_above, review_above = linker.policy.link_above, linker.policy.review_above
        self.link_above, self.review_above = link_above, review_above
        self.run = ImportRun.objects.create(
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
        self.person_of: dict[Any, int] = {}  # ("new", row) -> the person made for that row
        self.episodes = 0

    def write(self, decided: list[Decided]) -> None:
        """Store one batch's decided rows."""
        actor, source, agreement, linker = self.actor, self.source, self.agreement, self.linker
        summary, run, person_of = self.summary, self.run, self.person_of
        named_on, received_at = self.named_on, self.received_at
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
        self.episodes += _arrests(accepted, person_of)
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
                    # The parsed row, sealed here: bound to the source and the row's
                    # hash, known before the insert (the row's id is not).
                    seal_data(source.pk, d.row_hash, {**d.row.as_data(), "named": pid in named}),
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

    def finish(self) -> None:
        """Close the import: its digest, counts and ledger entry; or, when it added nothing,
        roll it back (not even its own record is kept)."""
        actor, source, agreement = self.actor, self.source, self.agreement
        summary, run, mode, reported_on = self.summary, self.run, self.mode, self.reported_on
        link_above, review_above, episodes = self.link_above, self.review_above, self.episodes
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
