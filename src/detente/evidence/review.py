"""The verification queue and the two actions taken from it: confirm and dispute.

A verifier does not flip a state: confirming or disputing records a claim from a source
the verifier names (the organisation's own field team, a family, a lawyer…), with its
evidence, and the member's state follows from the rules in ``verification.py`` like any
other claim. So the queue, the web page, the API and the CLI share one path, and the
ledger shows who asserted what on whose word.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Action, Viewer, require
from detente.access.visibility import visible_agreements
from detente.agreements.derivation import policy_for
from detente.agreements.models import Agreement, Membership, MemberState
from detente.core.dates import DatePrecision
from detente.core.errors import invalid
from detente.evidence.models import Claim, Source
from detente.evidence.services import claim_record
from detente.evidence.verification import GRADES
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


def review_confirm(
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


def review_dispute(
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
