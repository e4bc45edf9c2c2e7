"""The verification queue and the two actions taken from it: confirm and dispute.

A verifier does not flip a state: confirming or disputing records a claim from a source
the verifier names (the organisation's own field team, a family, a lawyer…), with its
evidence, and the member's state follows from the rules in ``verification.py`` like any
other claim. So the queue, the web page, the API and the CLI share one path, and the
ledger shows who asserted what on whose word.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Action, Viewer, require
from detente.access.sources import PROTECTED, masked, names_sources, source_name
from detente.access.visibility import visible_agreements
from detente.agreements.derivation import policy_for
from detente.agreements.models import Agreement, Membership, MemberState
from detente.audit import ledger
from detente.core.dates import DatePrecision, PreciseDate
from detente.core.errors import invalid
from detente.evidence.facts import latest_arrests, person_claim_facts
from detente.evidence.models import Claim, Source
from detente.evidence.services import claim_record
from detente.evidence.verification import GRADES, derive
from detente.registry.status import RELEASE_CATEGORIES, CustodyStatus

QUEUE_STATES = (MemberState.REPORTED, MemberState.DISPUTED)


def verification_queue(
    viewer: Viewer, *, agreement: Agreement | None = None, state: str = ""
) -> QuerySet[Membership]:
    """Reported releases awaiting independent confirmation, and disputed ones, oldest first.

    Staff only; an agreement hidden from the viewer contributes nothing.
    """
    require(viewer, Action.READ)
    qs = Membership.objects.filter(
        agreement__in=visible_agreements(viewer), state__in=QUEUE_STATES
    ).select_related("agreement", "agreement__promisor", "person")
    if agreement is not None:
        qs = qs.filter(agreement=agreement)
    if state:
        if state not in QUEUE_STATES:
            raise invalid(
                "state",
                _("Unknown queue state “%(value)s”; expected reported or disputed.")
                % {"value": state},
            )
        qs = qs.filter(state=state)
    return qs.order_by("first_reported_at", "id")


def _claim_seen(claim: Claim, sees_protected: bool) -> dict[str, Any]:
    source = claim.source
    return {
        "id": claim.pk,
        "status": claim.status,
        "event_date": claim.event_date,
        "event_precision": claim.event_precision,
        "received_at": claim.received_at,
        "source": source_name(source.name, source.protected, named=sees_protected),
        "protected": masked(source.protected, named=sees_protected),
        "reliability": source.reliability,
    }


def queue_evidence(
    viewer: Viewer, memberships: Sequence[Membership]
) -> dict[int, tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """For each member (by id): the claims its state rests on, and for a dispute those
    that say the person is held, as the viewer may see them (loaded together)."""
    ids = [m.person_id for m in memberships]
    facts = person_claim_facts(ids)
    arrests = latest_arrests(ids)
    wanted: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {}
    for m in memberships:
        _derived, why = derive(
            facts.get(m.person_id, []), policy_for(m.agreement), arrests.get(m.person_id)
        )
        wanted[m.pk] = (why.decisive, why.contradicting)
    claim_ids = {cid for pair in wanted.values() for part in pair for cid in part}
    claims = {c.pk: c for c in Claim.objects.filter(pk__in=claim_ids).select_related("source")}
    sees_protected = names_sources(viewer)
    return {
        pk: (
            [_claim_seen(claims[c], sees_protected) for c in decisive if c in claims],
            [_claim_seen(claims[c], sees_protected) for c in contradicting if c in claims],
        )
        for pk, (decisive, contradicting) in wanted.items()
    }


# A download of the queue: its columns, and the most members one file holds.
QUEUE_COLUMNS = (
    "agreement",
    "handle",
    "name",
    "state",
    "status",
    "release_category",
    "released_on",
    "first_reported_at",
    "reported_at",
    "reported_by",
    "contradicted_by",
)
DOWNLOAD_LIMIT = 10_000


def _claims_out(claims: list[dict[str, Any]], fmt: str) -> Any:
    """The claims behind a state: a list in JSON, one line of text in a spreadsheet."""
    out = [
        {
            "id": c["id"],
            "source": PROTECTED if c["protected"] else c["source"],
            "reliability": c["reliability"],
            "status": c["status"],
            "event_date": str(PreciseDate.of(c["event_date"], c["event_precision"]))
            if c["event_date"]
            else None,
        }
        for c in claims
    ]
    if fmt == "json":
        return out
    return "; ".join(
        f"#{c['id']} {c['source']} ({c['reliability']}): {c['status']}"
        + (f", {c['event_date']}" if c["event_date"] else "")
        for c in out
    )


def verification_queue_download(
    viewer: Viewer,
    *,
    fmt: str,
    agreement: Agreement | None = None,
    state: str = "",
    action: str = "queue.export",
    limit: int = DOWNLOAD_LIMIT,
) -> list[dict[str, Any]]:
    """The queue as filtered, every page (oldest report first, up to ``limit``): each
    member with the name the viewer may see and the claims behind its state, a protected
    source masked as on the page. Read and recorded in one transaction: the ledger entry
    (``action``) holds the format, the filters, the count and the names in the file."""
    from detente.registry.selectors import person_list

    with transaction.atomic():
        members = list(verification_queue(viewer, agreement=agreement, state=state)[:limit])
        evidence = queue_evidence(viewer, members)
        people = person_list(viewer).filter(pk__in=[m.person_id for m in members])
        names = {
            p.pk: p.identity.full_name
            for p in people
            if getattr(p, "identity_visible", False) and getattr(p, "identity", None)
        }
        rows = []
        for m in members:
            reports, contradictions = evidence[m.pk]
            rows.append(
                {
                    "agreement": m.agreement.slug,
                    "handle": m.person.handle,
                    "name": names.get(m.person_id),
                    "state": m.state,
                    "status": m.status or None,
                    "release_category": m.release_category or None,
                    "released_on": m.released_on.isoformat() if m.released_on else None,
                    "first_reported_at": _iso(m.first_reported_at),
                    "reported_at": _iso(m.reported_at),
                    "reported_by": _claims_out(reports, fmt),
                    "contradicted_by": _claims_out(contradictions, fmt),
                }
            )
        filters = {"agreement": agreement.slug if agreement else "", "state": state}
        ledger.record_download(
            viewer,
            action,
            fmt=fmt,
            filters={k: v for k, v in filters.items() if v},
            count=len(rows),
            people=[r["handle"] for r in rows if r["name"]],
        )
    return rows


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _check_source(membership: Membership, source: Source, minimum: str, what: str) -> None:
    policy = policy_for(membership.agreement)
    if source.independence_group in policy.releasing_groups:
        raise invalid(
            "source",
            _("“%(source)s” speaks for the releasing side; it cannot %(what)s its own report.")
            % {"source": source.name, "what": what},
        )
    if GRADES.index(source.reliability) > GRADES.index(minimum):
        raise invalid(
            "source",
            _(
                "“%(source)s” is graded %(grade)s; this agreement needs %(minimum)s or better "
                "to %(what)s."
            )
            % {
                "source": source.name,
                "grade": source.reliability,
                "minimum": minimum,
                "what": what,
            },
        )


def verification_confirm(
    *,
    actor: User,
    membership: Membership,
    source: Source,
    status: str = "",
    event_date: dt.date | None = None,
    evidence_text: str = "",
    evidence_url: str = "",
) -> Claim:
    """Record that an independent, well-graded source confirms the reported release.

    ``status`` defaults to the status the release was reported with; ``event_date`` to
    the reported release date (or today when none was given).
    """
    require(actor, Action.MANAGE)
    if membership.state not in QUEUE_STATES:
        raise invalid(
            "membership",
            _("%(person)s is not awaiting confirmation (now: %(state)s).")
            % {"person": membership.person.handle, "state": membership.get_state_display()},
        )
    status = status or membership.status or CustodyStatus.UNCONDITIONAL_RELEASE
    if status not in CustodyStatus.values:
        raise invalid("status", _("Unknown status “%(value)s”.") % {"value": status})
    if policy_for(membership.agreement).category(status) not in RELEASE_CATEGORIES:
        raise invalid(
            "status",
            _("Confirming a release needs a release status, not “%(value)s”.") % {"value": status},
        )
    _check_source(membership, source, membership.agreement.confirm_min_grade, _("confirm"))
    if not evidence_text.strip() and not evidence_url.strip():
        raise invalid("evidence_text", _("Say how the release was confirmed."))
    return claim_record(
        actor=actor,
        source=source,
        person=membership.person,
        agreement=membership.agreement,
        status=status,
        event_date=event_date or membership.released_on or timezone.localdate(),
        event_precision=DatePrecision.DAY,
        evidence_text=evidence_text,
        evidence_url=evidence_url,
    )


def verification_dispute(
    *,
    actor: User,
    membership: Membership,
    source: Source,
    status: str = CustodyStatus.DETAINED,
    event_date: dt.date | None = None,
    evidence_text: str = "",
    evidence_url: str = "",
) -> Claim:
    """Record that a credible independent source says the person is still held."""
    require(actor, Action.MANAGE)
    if membership.state not in (*QUEUE_STATES, MemberState.CONFIRMED):
        raise invalid(
            "membership",
            _("%(person)s has no reported release to dispute (now: %(state)s).")
            % {"person": membership.person.handle, "state": membership.get_state_display()},
        )
    if status not in CustodyStatus.values:
        raise invalid("status", _("Unknown status “%(value)s”.") % {"value": status})
    if policy_for(membership.agreement).category(status) in RELEASE_CATEGORIES:
        raise invalid(
            "status",
            _("A dispute says the person is not free; “%(value)s” is a release.")
            % {"value": status},
        )
    _check_source(membership, source, membership.agreement.dispute_min_grade, _("dispute"))
    if not evidence_text.strip() and not evidence_url.strip():
        raise invalid("evidence_text", _("Say what the dispute rests on."))
    return claim_record(
        actor=actor,
        source=source,
        person=membership.person,
        agreement=membership.agreement,
        status=status,
        event_date=event_date or timezone.localdate(),
        event_precision=DatePrecision.DAY,
        evidence_text=evidence_text,
        evidence_url=evidence_url,
    )
