"""Sources' lists, for estimating how many people no list names (issue 7's engine).

A source's list is everyone it has made an effective claim about. Matching is taken as
done: one registry person is one person on every list (the grey zone of the matching
issue is not modelled yet).
"""

from __future__ import annotations

from django.http import Http404

from detente.access.policy import Action, Viewer, can
from detente.access.sources import names_sources
from detente.evidence.models import Claim, ClaimKind, Source


def source_lists(viewer: Viewer, slugs: list[str]) -> dict[str, set[int]]:
    """``{source slug: person ids}`` for the named sources (staff only)."""
    if not can(viewer, Action.READ):
        raise Http404("no such source")
    sources = {s.slug: s for s in Source.objects.filter(slug__in=slugs)}
    unknown = [s for s in slugs if s not in sources]
    if unknown:
        raise Http404(f"no source {unknown[0]!r}")
    if not names_sources(viewer) and any(s.protected for s in sources.values()):
        raise Http404("no such source")  # protected sources look missing to analysts
    lists: dict[str, set[int]] = {slug: set() for slug in slugs}
    retracted = set(
        Claim.objects.filter(kind=ClaimKind.RETRACTION).values_list("corrects_id", flat=True)
    )
    rows = Claim.objects.filter(
        kind=ClaimKind.STATUS, source__slug__in=slugs, person__isnull=False
    ).values_list("id", "source__slug", "person_id")
    for cid, slug, pid in rows.iterator(chunk_size=5000):
        if cid not in retracted:
            lists[slug].add(pid)
    return lists
