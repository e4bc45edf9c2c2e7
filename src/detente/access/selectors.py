"""Reads about disclosures: staff only."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from detente.access.models import Disclosure
from detente.access.policy import Action, Viewer, can
from detente.access.visibility import LEGISLATURE, PUBLIC, with_identity_flag_for_tier
from detente.agreements.models import Agreement
from detente.registry.models import Person


def disclosure_list(viewer: Viewer) -> QuerySet[Disclosure]:
    if not can(viewer, Action.READ):
        return Disclosure.objects.none()
    return Disclosure.objects.select_related("agreement", "proposed_by", "decided_by")


@dataclass(frozen=True)
class AudienceView:
    audience: str
    visible: list[str]  # handles whose identity this audience sees now
    hidden: list[str]
    at_risk_hidden: list[str]


def disclosure_report(viewer: Viewer, agreement: Agreement) -> list[AudienceView]:
    """Per audience, whose identity on this agreement it can see right now."""
    if not can(viewer, Action.READ):
        raise Http404("no such agreement")
    members = Person.objects.filter(memberships__agreement=agreement)
    out = []
    for tier in (LEGISLATURE, PUBLIC):
        rows = list(
            with_identity_flag_for_tier(members, tier).values_list(
                *("handle", "identity_visible", "at_risk")  # the flag is an annotation
            )
        )
        out.append(
            AudienceView(
                tier,
                visible=sorted(h for h, seen, _ in rows if seen),
                hidden=sorted(h for h, seen, _ in rows if not seen),
                at_risk_hidden=sorted(h for h, seen, risk in rows if not seen and risk),
            )
        )
    return out
