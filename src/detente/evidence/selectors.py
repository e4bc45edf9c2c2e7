"""Reads about sources and claims. Every selector takes the viewer and shows only what it may.

Claims and sources are staff material: their sources, places and dates can identify a
person, so the legislature and the public see none (their view of a person is the derived
status, from ``registry.selectors.person_detail``). Among staff, a protected source's
identity is itself confidential: only those who manage sources (verifiers and
administrators) see it; analysts do not find it among the sources, and see its claims
attributed to "protected", as the admin and ``person_detail`` show them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from detente.access.policy import Action, Viewer, can
from detente.access.sources import PROTECTED, masked, names_sources
from detente.agreements.models import Agreement
from detente.evidence.models import Claim, Source
from detente.registry.models import Person, absorbed


def source_list(viewer: Viewer) -> QuerySet[Source]:
    """The sources this viewer may know of, by slug."""
    if not can(viewer, Action.READ):
        return Source.objects.none()
    qs = Source.objects.all()
    if not names_sources(viewer):
        qs = qs.filter(protected=False)
    return qs.order_by("slug")


def source_get(viewer: Viewer, slug: str) -> Source:
    """The source, or Http404 whether it is missing or hidden from the viewer."""
    found = source_list(viewer).filter(slug=slug).first()
    if found is None:
        raise Http404("no such source")
    return found


@dataclass(frozen=True)
class SourceView:
    """Who made a claim, as one viewer may see it."""

    slug: str
    kind: str
    reliability: str
    independence_group: str


def source_as_seen(viewer: Viewer, source: Source) -> SourceView:
    """A protected source is shown by its kind and grade only, unless the viewer manages."""
    if masked(source.protected, named=names_sources(viewer)):
        return SourceView(PROTECTED, source.kind, source.reliability, PROTECTED)
    return SourceView(source.slug, source.kind, source.reliability, source.independence_group)


def claim_list(
    viewer: Viewer,
    *,
    person: Person | None = None,
    agreement: Agreement | None = None,
    source: Source | None = None,
    kind: str = "",
) -> QuerySet[Claim]:
    """Claims this viewer may read, about ``person`` or made under ``agreement`` (as
    returned by their own selectors), from ``source`` (from ``source_get``), of ``kind``.

    Staff only; everyone else gets none. Show each claim's source with ``source_as_seen``.
    """
    if not can(viewer, Action.READ):
        return Claim.objects.none()
    qs = Claim.objects.select_related("source", "person", "agreement")
    if person is not None:
        # A merged person's claims (immutable, still about them) count for the survivor.
        qs = qs.filter(person__in=[person.pk, *absorbed([person.pk])])
    if agreement is not None:
        qs = qs.filter(agreement=agreement)
    if source is not None:
        qs = qs.filter(source=source)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def claim_get(viewer: Viewer, claim_id: int) -> Claim:
    """One claim, or Http404 whether it is missing or hidden from the viewer."""
    found = claim_list(viewer).filter(pk=claim_id).first()
    if found is None:
        raise Http404("no such claim")
    return found
