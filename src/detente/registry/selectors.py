"""Reads about people. Every selector takes the viewer and shows only what it may."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from detente.access.policy import Action, Viewer, can
from detente.agreements.derivation import policy_for
from detente.agreements.models import Membership
from detente.evidence.facts import latest_arrests, person_claim_facts
from detente.evidence.models import Claim, Source, SourceKind
from detente.evidence.verification import Derived, Explanation, Policy, derive
from detente.registry.models import Person


def person_list(viewer: Viewer) -> QuerySet[Person]:
    if not can(viewer, Action.READ):
        return Person.objects.none()
    return Person.objects.select_related("identity")


def person_get(viewer: Viewer, ref: str | int) -> Person:
    """Find by id or handle (``P-0017``); Http404 when missing or hidden alike."""
    qs = person_list(viewer)
    text = str(ref).strip()
    try:
        if text.isdigit():
            return qs.get(pk=int(text))
        return qs.get(handle__iexact=text)
    except Person.DoesNotExist:
        raise Http404("no such person") from None


def general_policy() -> Policy:
    """The default policy outside any agreement: every detaining government's group is the
    releasing side, so only sources outside them can confirm."""
    groups = Source.objects.filter(kind=SourceKind.DETAINING_GOVERNMENT).values_list(
        "independence_group", flat=True
    )
    return Policy(releasing_groups=frozenset(groups))


@dataclass(frozen=True)
class StatusView:
    agreement: str | None  # None for the general, agreement-free reading
    derived: Derived
    explanation: Explanation


@dataclass(frozen=True)
class PersonDetail:
    person: Person
    claims: list[Claim]
    statuses: list[StatusView]

    def as_json(self) -> dict[str, Any]:
        ident = self.person.identity
        return {
            "id": self.person.pk,
            "handle": self.person.handle,
            "at_risk": self.person.at_risk,
            "identity": {
                "given_names": ident.given_names,
                "paternal_surname": ident.paternal_surname,
                "maternal_surname": ident.maternal_surname,
                "aliases": list(ident.aliases),
                "birth": str(ident.birth) if ident.birth else None,
                "sex": ident.sex,
                "province": ident.province,
                "municipality": ident.municipality,
                "affiliation": ident.affiliation,
            },
            "custody": [
                {
                    "status": e.status,
                    "start": str(e.start),
                    "end": e.end_date.isoformat() if e.end_date else None,
                    "place": e.place,
                }
                for e in self.person.episodes.all()
            ],
            "claims": [
                {
                    "id": c.pk,
                    "kind": c.kind,
                    "source": c.source.slug,
                    "source_kind": c.source.kind,
                    "reliability": c.source.reliability,
                    "independence_group": c.source.independence_group,
                    "status": c.status or None,
                    "event_date": c.event_date.isoformat() if c.event_date else None,
                    "event_precision": c.event_precision,
                    "received_at": c.received_at.isoformat(),
                    "credibility": c.credibility,
                    "agreement": c.agreement.slug if c.agreement else None,
                    "corrects": c.corrects_id,
                    "evidence": c.evidence_text,
                }
                for c in self.claims
            ],
            "statuses": [
                {
                    "agreement": s.agreement,
                    "state": s.derived.state,
                    "release_category": s.derived.release_category or None,
                    "status": s.derived.status or None,
                    "released_on": _iso(s.derived.released_on),
                    "reported_at": _iso(s.derived.reported_at),
                    "confirmed_at": _iso(s.derived.confirmed_at),
                    "rearrested_on": _iso(s.derived.rearrested_on),
                    "rule": s.explanation.rule,
                    "decisive_claims": list(s.explanation.decisive),
                    "contradicting_claims": list(s.explanation.contradicting),
                    "void_claims": list(s.explanation.void),
                }
                for s in self.statuses
            ],
        }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def person_detail(viewer: Viewer, person: Person) -> PersonDetail:
    """The person, their claims, and their status with the reason for it, per agreement."""
    if not can(viewer, Action.READ):
        raise Http404("no such person")
    claims = list(
        Claim.objects.filter(person=person)
        .select_related("source", "agreement")
        .order_by("received_at", "id")
    )
    facts = person_claim_facts([person.pk]).get(person.pk, [])
    arrested = latest_arrests([person.pk]).get(person.pk)
    statuses = [StatusView(None, *derive(facts, general_policy(), arrested))]
    for m in Membership.objects.filter(person=person).select_related("agreement__promisor"):
        policy = policy_for(m.agreement)
        statuses.append(StatusView(m.agreement.slug, *derive(facts, policy, arrested)))
    return PersonDetail(person, claims, statuses)
