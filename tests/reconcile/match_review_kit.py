"""Queued rows made directly, with the probabilities, reasons and score explanations a test
needs (the importer's own choices are tested in test_import.py)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from detente.agreements.models import Agreement
from detente.evidence.models import Source
from detente.reconcile.models import ImportRow, ImportRun, Outcome, seal_data
from detente.registry.models import Person

WEIGHTS = {"agree": 6.0, "partly": 2.0, "differ": -4.0, "missing": 0.0}
LEVELS = {
    "given_name": "exact",
    "surnames": "one_other_differs",
    "birth_date": "missing",
    "place": "else",
    "sex": "same",
}


def explanation(probability: float, **levels: str) -> dict[str, Any]:
    """A score explanation as the engine stores it; ``levels`` overrides the defaults."""
    chosen = {**LEVELS, **levels}
    return {
        "probability": probability,
        "match_weight": 1.0,
        "prior_weight": -10.0,
        "fields": [
            {
                "field": field,
                "level": level,
                "description": f"{field} at {level}",
                "weight": -4.0 if level in ("else", "different") else 3.0,
                "tf_adjustment": 0.0,
            }
            for field, level in chosen.items()
        ],
    }


def make_run(
    actor: User, source: Source, agreement: Agreement | None = None, name: str = "list.csv"
) -> ImportRun:
    return ImportRun.objects.create(
        source=source,
        agreement=agreement,
        file_name=name,
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        format="csv",
        link_above=0.95,
        review_above=0.05,
        received_at=timezone.now(),
        created_by=actor,
        queued=0,
    )


def queue_row(
    run: ImportRun,
    number: int,
    candidates: list[tuple[Person, float]],
    *,
    reason: str = "grey_zone",
    given_names: str = "Pepe",
    paternal: str = "Gómez",
    maternal: str = "",
    birth_date: str | None = None,
    birth_precision: str = "day",
    sex: str = "X",
    province: str = "Holguín",
    municipality: str = "",
    aliases: list[str] | None = None,
    status: str = "detained",
    event_date: str = "2024-05-01",
    evidence: str = "",
    levels: dict[str, str] | None = None,
) -> ImportRow:
    """A queued row of ``run`` whose candidates are these people, best first."""
    data = {
        "person": {
            "given_names": given_names,
            "paternal_surname": paternal,
            "maternal_surname": maternal,
            "aliases": aliases or [],
            "birth_date": birth_date,
            "birth_precision": birth_precision,
            "sex": sex,
            "province": province,
            "municipality": municipality,
            "affiliation": "",
            "at_risk": False,
        },
        "status": status,
        "event_date": event_date,
        "event_precision": "day",
        "evidence_text": evidence,
        "evidence_url": "",
        "external_id": "",
    }
    row_hash = hashlib.sha256(f"{run.pk}:{number}".encode()).hexdigest()
    row = ImportRow.objects.create(
        run=run,
        source=run.source,
        number=number,
        row_hash=row_hash,
        outcome=Outcome.QUEUED,
        probability=candidates[0][1] if candidates else None,
        reason=reason,
        candidates=[
            {
                "person": person.pk,
                "handle": person.handle,
                "probability": p,
                "explanation": explanation(p, **(levels or {})),
            }
            for person, p in candidates
        ],
        sealed=seal_data(run.source_id, row_hash, data),
    )
    ImportRun.objects.filter(pk=run.pk).update(queued=run.row_set.count())
    return row
