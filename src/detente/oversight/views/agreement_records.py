"""What staff record about an agreement as a whole (a count of people released, a stage
it reached), the people they name on it, and, for verifiers and administrators, how its
claims are weighed and who is shown it.

Every write is a service call (``evidence.services.claim_record``,
``agreements.services.agreement_add_members`` and ``agreement_set_policy``,
``access.services.agreement_set_audience``): checked, made and audited at once, so a
refusal leaves nothing written and comes back on the field it concerns.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from detente.access.services import agreement_set_audience
from detente.agreements.models import Agreement, Classification
from detente.agreements.selectors import agreement_get
from detente.agreements.services import (
    agreement_add_members,
    agreement_set_policy,
    member_classify,
)
from detente.core.dates import localized
from detente.evidence.models import ClaimKind, Lifecycle
from detente.evidence.services import aggregate_warnings, claim_record
from detente.oversight.forms import (
    AgreementForm,
    ClassifyForm,
    CountClaimForm,
    MembersForm,
    PolicyForm,
    StageClaimForm,
    agreement_initial,
    attach_errors,
)
from detente.oversight.permissions import is_manager, may_record
from detente.registry.status import Category, CustodyStatus
from detente.staff.common import staff_page


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - staff_page() let only signed-in users through
    return user


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _claim_page(
    request: HttpRequest, agreement: Agreement, kind: str, form: CountClaimForm | StageClaimForm
) -> HttpResponse:
    context = {"agreement": agreement, "kind": kind, "form": form}
    return render(request, "oversight/agreement_claim.html", context)


@staff_page(may_record)
@require_http_methods(["GET", "HEAD", "POST"])
def count_claim_page(request: HttpRequest, slug: str) -> HttpResponse:
    """A source's count of the people released under the agreement, up to a date."""
    viewer = _actor(request)
    agreement = agreement_get(viewer, slug)
    form = CountClaimForm(_posted(request), viewer=viewer, prefix="count")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # Worked out before the claim is recorded: once it is, it is the "earlier figure".
        warnings = aggregate_warnings(agreement, data["released_count"], data["event_date"])
        try:
            claim = claim_record(
                actor=viewer,
                source=data["source"],
                kind=ClaimKind.AGGREGATE,
                agreement=agreement,
                released_count=data["released_count"],
                breakdown=data["breakdown"],
                event_date=data["event_date"],
                credibility=data["credibility"],
                evidence_text=data["evidence_text"],
                evidence_url=data["evidence_url"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("Count recorded (claim #%(id)s): %(source)s says %(n)s released as of %(day)s.")
                % {
                    "id": claim.pk,
                    "source": data["source"].name,
                    "n": claim.released_count,
                    "day": localized(data["event_date"]),
                },
            )
            for warning in warnings:
                messages.warning(
                    request,
                    _("Recorded all the same, but check: %(warning)s") % {"warning": warning},
                )
            return redirect("oversight:agreement", slug=agreement.slug)
    return _claim_page(request, agreement, "count", form)


@staff_page(may_record)
@require_http_methods(["GET", "HEAD", "POST"])
def stage_claim_page(request: HttpRequest, slug: str) -> HttpResponse:
    """A stage the agreement reached, on a source's word, with the reason it gives."""
    viewer = _actor(request)
    agreement = agreement_get(viewer, slug)
    form = StageClaimForm(_posted(request), viewer=viewer, prefix="stage")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            claim = claim_record(
                actor=viewer,
                source=data["source"],
                kind=ClaimKind.LIFECYCLE,
                agreement=agreement,
                lifecycle=data["lifecycle"],
                event_date=data["event_date"],
                evidence_text=data["evidence_text"],
                evidence_url=data["evidence_url"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Stage recorded (claim #%(id)s): %(stage)s on %(day)s, on the word of "
                    "%(source)s."
                )
                % {
                    "id": claim.pk,
                    "stage": Lifecycle(claim.lifecycle).label,
                    "day": localized(data["event_date"]),
                    "source": data["source"].name,
                },
            )
            return redirect("oversight:agreement", slug=agreement.slug)
    return _claim_page(request, agreement, "stage", form)


@staff_page(may_record)
@require_http_methods(["GET", "HEAD", "POST"])
def members_add_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Name people on the agreement by their handles."""
    viewer = _actor(request)
    agreement = agreement_get(viewer, slug)
    form = MembersForm(_posted(request), viewer=viewer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        people = data["people"]
        try:
            created = agreement_add_members(
                actor=viewer,
                agreement=agreement,
                people=people,
                named_on=data["named_on"],
                named_by=data["named_by"],
                named_note=data["named_note"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            already = len({p.pk for p in people}) - len(created)
            title = agreement.title
            if created:
                done = ngettext(
                    "%(n)s person named on “%(title)s”.",
                    "%(n)s people named on “%(title)s”.",
                    len(created),
                ) % {"n": len(created), "title": title}
                if already:
                    done += " " + ngettext(
                        "%(n)s was named already and is left as it was.",
                        "%(n)s were named already and are left as they were.",
                        already,
                    ) % {"n": already}
                messages.success(request, done)
            else:
                messages.info(
                    request,
                    _("Everyone listed was named on “%(title)s” already; nothing changed.")
                    % {"title": title},
                )
            return redirect("oversight:agreement", slug=agreement.slug)
    context = {"agreement": agreement, "form": form}
    return render(request, "oversight/agreement_members_add.html", context)


@staff_page(may_record)
@require_http_methods(["GET", "HEAD", "POST"])
def member_classify_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Say, on a source's word, whether a named member is a political prisoner."""
    viewer = _actor(request)
    agreement = agreement_get(viewer, slug)
    form = ClassifyForm(_posted(request), viewer=viewer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member_classify(
                actor=viewer,
                agreement=agreement,
                person=data["person"],
                classification=data["classification"],
                source=data["source"],
                reason=data["reason"],
                classified_on=data["classified_on"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            handle = data["person"].handle
            if data["classification"] == Classification.OTHER:
                done = _(
                    "%(handle)s is now counted as not a political prisoner: left out of the "
                    "promise's figures."
                )
            else:
                done = _("%(handle)s is now counted as a political prisoner.")
            messages.success(request, done % {"handle": handle})
            return redirect("oversight:agreement", slug=agreement.slug)
    context = {"agreement": agreement, "form": form}
    return render(request, "oversight/agreement_classify.html", context)


def _overrides_text(overrides: dict[str, str]) -> str:
    if not overrides:
        return _("every status counts as usual")
    return ", ".join(
        _("%(status)s counts as %(category)s")
        % {"status": CustodyStatus(s).label, "category": Category(c).label}
        for s, c in sorted(overrides.items())
    )


@staff_page(is_manager)
@require_POST
def agreement_policy_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The grades that confirm and dispute under the agreement, and who is shown it.

    Only what changed is written (each change rederives every member); both changes are
    made together or not at all.
    """
    viewer = _actor(request)
    agreement = agreement_get(viewer, slug)
    form = PolicyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        grades = (data["confirm_min_grade"], data["dispute_min_grade"])
        overrides = form.overrides()
        policy_changed = grades != (agreement.confirm_min_grade, agreement.dispute_min_grade)
        policy_changed |= overrides != dict(agreement.status_overrides or {})
        audience_changed = data["audience"] != agreement.audience
        try:
            with transaction.atomic():
                if policy_changed:
                    agreement_set_policy(
                        actor=viewer,
                        agreement=agreement,
                        confirm_min_grade=grades[0],
                        dispute_min_grade=grades[1],
                        status_overrides=overrides,
                    )
                if audience_changed:
                    agreement_set_audience(
                        actor=viewer, agreement=agreement, audience=data["audience"]
                    )
        except ValidationError as exc:
            attach_errors(form, exc)
            agreement = agreement_get(viewer, slug)  # as it still is: nothing was written
        else:
            if policy_changed:
                messages.success(
                    request,
                    _(
                        "Verification policy saved: sources graded %(confirm)s or better "
                        "confirm, %(dispute)s or better dispute; %(overrides)s. Everyone "
                        "named on the agreement was worked out again."
                    )
                    % {
                        "confirm": grades[0],
                        "dispute": grades[1],
                        "overrides": _overrides_text(overrides),
                    },
                )
            if audience_changed:
                messages.success(
                    request,
                    _("The agreement is now shown to: %(audience)s.")
                    % {"audience": agreement.get_audience_display()},
                )
            if not (policy_changed or audience_changed):
                messages.info(request, _("Nothing changed."))
            return redirect("oversight:agreement", slug=agreement.slug)
    context = {
        "form": AgreementForm(initial=agreement_initial(agreement), agreement=agreement),
        "agreement": agreement,
        "policy_form": form,
    }
    return render(request, "oversight/agreement_form.html", context)
