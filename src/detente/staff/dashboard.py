"""The dashboard: what changed lately, and what awaits review."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from detente.access.models import DisclosureStatus
from detente.access.policy import Action, can
from detente.access.selectors import disclosure_list
from detente.access.sources import names_sources, source_name
from detente.agreements.models import in_language
from detente.audit.models import AuditEntry, EntryKind
from detente.evidence.models import Claim, ClaimKind
from detente.evidence.verification_queue import verification_queue
from detente.staff.common import staff_page
from detente.staff.forms import SearchForm

RECENT = 10


@staff_page()
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    sees_protected = names_sources(viewer)
    # Handles only, no names: the dashboard shows no identity, so it records no access.
    recent_claims = [
        {
            "claim": c,
            "source": source_name(c.source.name, c.source.protected, named=sees_protected),
        }
        for c in Claim.objects.filter(kind=ClaimKind.STATUS, person__isnull=False)
        .select_related("source", "person", "agreement")
        # Ids follow the order of recording and are indexed; a million claims stay cheap.
        .order_by("-id")[:RECENT]
    ]
    counts: dict[str, dict[str, object]] = {}
    rows = (
        verification_queue(viewer)
        .order_by()
        .values("agreement__slug", "agreement__title", "agreement__title_es", "state")
        .annotate(n=Count("id"))
    )
    for row in rows:
        entry = counts.setdefault(
            str(row["agreement__slug"]),
            {
                "slug": row["agreement__slug"],
                "title": in_language(
                    get_language(), row["agreement__title"], row["agreement__title_es"]
                ),
                # Shown in English on another language's page: marked lang="en".
                "title_lang": ""
                if (get_language() or "en").startswith("en") or row["agreement__title_es"]
                else "en",
                "total": 0,
            },
        )
        entry[str(row["state"])] = row["n"]
        entry["total"] = int(entry["total"]) + int(row["n"])  # type: ignore[call-overload]
    # The ledger is for verifiers and administrators (as in the admin).
    changes = None
    if sees_protected:
        changes = [
            {"entry": e, "when": dt.datetime.fromisoformat(e.at.replace("Z", "+00:00"))}
            for e in AuditEntry.objects.filter(kind=EntryKind.CHANGE).order_by("-position")[:RECENT]
        ]
    context = {
        "recent_claims": recent_claims,
        "queue": sorted(counts.values(), key=lambda e: str(e["title"])),
        "pending_disclosures": disclosure_list(viewer)
        .filter(status=DisclosureStatus.PROPOSED)
        .count(),
        "changes": changes,
        "search": SearchForm(),
        "can_record": can(viewer, Action.RECORD),
        "section": "dashboard",
    }
    return render(request, "staff/dashboard.html", context)
