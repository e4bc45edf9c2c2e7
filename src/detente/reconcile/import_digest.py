"""The digest over what an import created (its people, claims and memberships), written to
the ledger with the run, and the check that they are still exactly as recorded."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from detente.agreements.models import Membership
from detente.evidence.models import Claim
from detente.reconcile.models import ImportRow, ImportRun, Outcome, open_data
from detente.registry.models import Identity, Person


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
            for pid, source_id, row_hash, sealed in ImportRow.objects.filter(run=run)
            .exclude(person=None)
            .values_list("person_id", "source_id", "row_hash", "sealed")
            .iterator(chunk_size=5000)
            # Whether the import named the row's person on the agreement (the parsed
            # row, sealed: opened here).
            if open_data(source_id, row_hash, sealed, f"import row {run.pk}:{row_hash}").get(
                "named"
            )
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
