"""Reads about people. Every selector takes the viewer and shows only what it may."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from detente.access.policy import Action, Viewer, can
from detente.access.visibility import people_in_view, visible_agreements
from detente.agreements.derivation import policy_for
from detente.agreements.models import Membership
from detente.audit import ledger
from detente.evidence.facts import latest_arrests, person_claim_facts
from detente.evidence.models import Claim, Source, SourceKind
from detente.evidence.verification import Derived, Explanation, Policy, derive
from detente.registry.models import Person


def person_list(viewer: Viewer) -> QuerySet[Person]:
    """People this viewer may know exist, each annotated ``identity_visible``."""
    return people_in_view(viewer).select_related("identity")


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
    """A person as one viewer may see them: identity, custody and claims only when allowed."""

    person: Person
    identity_visible: bool
    claims: list[Claim]
    statuses: list[StatusView]
    staff: bool
    sees_protected_sources: bool

    def _source(self, source: Source) -> dict[str, Any]:
        if source.protected and not self.sees_protected_sources:
            return {
                "source": "protected",
                "source_kind": source.kind,
                "reliability": source.reliability,
                "independence_group": "protected",
            }
        return {
            "source": source.slug,
            "source_kind": source.kind,
            "reliability": source.reliability,
            "independence_group": source.independence_group,
        }

    def as_json(self) -> dict[str, Any]:
        ident = self.person.identity
        identity = (
            {
                "given_names": ident.given_names,
                "paternal_surname": ident.paternal_surname,
                "maternal_surname": ident.maternal_surname,
                "aliases": list(ident.aliases),
                "birth": str(ident.birth) if ident.birth else None,
                "sex": ident.sex,
                "province": ident.province,
                "municipality": ident.municipality,
                "affiliation": ident.affiliation,
            }
            if self.identity_visible
            else None
        )
        return {
            "id": self.person.pk if self.staff else None,
            "handle": self.person.handle,
            "at_risk": self.person.at_risk if self.staff else None,
            "identity": identity,
            "custody": [
                {
                    "status": e.status,
                    "start": str(e.start),
                    "end": e.end_date.isoformat() if e.end_date else None,
                    "place": e.place,
                }
                for e in (self.person.episodes.all() if self.staff else ())
            ],
            "claims": [
                {
                    "id": c.pk,
                    "kind": c.kind,
                    **self._source(c.source),
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
    """The person, their claims, and their status with the reason for it, per agreement.

    Staff see everything; others see the handle, the identity only once disclosed to them,
    and the status under the agreements shown to them, never the claims or custody record
    (their sources, places and dates can identify a person). A seen identity is recorded.
    """
    found = person_list(viewer).filter(pk=person.pk).first()
    if found is None:
        raise Http404("no such person")
    visible = bool(found.identity_visible)  # type: ignore[attr-defined]
    staff = can(viewer, Action.READ)
    claims = (
        list(
            Claim.objects.filter(person=person)
            .select_related("source", "agreement")
            .order_by("received_at", "id")
        )
        if staff
        else []
    )
    facts = person_claim_facts([person.pk]).get(person.pk, [])
    arrested = latest_arrests([person.pk]).get(person.pk)
    statuses = [StatusView(None, *derive(facts, general_policy(), arrested))] if staff else []
    shown = visible_agreements(viewer)
    for m in Membership.objects.filter(person=person, agreement__in=shown).select_related(
        "agreement__promisor"
    ):
        policy = policy_for(m.agreement)
        statuses.append(StatusView(m.agreement.slug, *derive(facts, policy, arrested)))
    if visible:
        ledger.record_access(viewer, "person.view", [found.handle])
    return PersonDetail(found, visible, claims, statuses, staff, can(viewer, Action.MANAGE))
