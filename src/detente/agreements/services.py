"""Writes about parties, agreements and who is named on them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.access.policy import Action, require
from detente.agreements.derivation import rebuild_agreement, refresh
from detente.agreements.models import Agreement, Membership, Party
from detente.audit import ledger
from detente.core.errors import check_slug, check_text, invalid
from detente.evidence.models import Reliability
from detente.registry.models import Person
from detente.registry.status import (
    DEFAULT_CATEGORY,
    RELEASE_CATEGORIES,
    CustodyStatus,
    validate_overrides,
)


def party_create(*, actor: User, slug: str, name: str, independence_group: str) -> Party:
    require(actor, Action.MANAGE)
    name = check_text("name", name, 200, required=True)
    check_slug("slug", slug)
    check_slug("independence_group", independence_group)
    if Party.objects.filter(slug=slug).exists():
        raise invalid("slug", _("A party with the slug “%(slug)s” exists.") % {"slug": slug})
    with transaction.atomic():
        party = Party.objects.create(slug=slug, name=name, independence_group=independence_group)
        ledger.append(
            actor,
            "party.create",
            party,
            {"slug": slug, "name": name, "independence_group": independence_group},
        )
    return party


def _check_policy(confirm_min_grade: str, dispute_min_grade: str, status_overrides: object) -> None:
    for field, grade in (
        ("confirm_min_grade", confirm_min_grade),
        ("dispute_min_grade", dispute_min_grade),
    ):
        if grade not in Reliability.values:
            raise invalid(
                field,
                _("Reliability grade “%(value)s” is not one of A, B, C, D, E, F.")
                % {"value": grade},
            )
    problems = validate_overrides(status_overrides)
    if problems:
        raise invalid("status_overrides", "; ".join(problems))


def agreement_create(
    *,
    actor: User,
    slug: str,
    title: str,
    promisor: Party,
    promisee: Party,
    announced_on: dt.date,
    promised_count: int,
    expected_release: str = "",
    description: str = "",
    confirm_min_grade: str = Reliability.B,
    dispute_min_grade: str = Reliability.C,
    status_overrides: Mapping[str, str] | None = None,
) -> Agreement:
    require(actor, Action.MANAGE)
    _check_policy(confirm_min_grade, dispute_min_grade, status_overrides or {})
    overrides = dict(status_overrides or {})
    title = check_text("title", title, 200, required=True)
    description = check_text("description", description, 10_000)
    check_slug("slug", slug)
    if Agreement.objects.filter(slug=slug).exists():
        raise invalid("slug", _("An agreement with the slug “%(slug)s” exists.") % {"slug": slug})
    if promisor.pk == promisee.pk:
        raise invalid("promisee", _("An agreement needs two different parties."))
    if promisor.independence_group == promisee.independence_group:
        raise invalid(
            "promisee",
            _(
                "The two parties share the independence group “%(group)s”, so the "
                "counterpart could never confirm a release independently."
            )
            % {"group": promisee.independence_group},
        )
    if announced_on > timezone.now().date():
        raise invalid("announced_on", _("The announcement date is in the future."))
    if promised_count < 0:
        raise invalid("promised_count", _("The promised count cannot be negative."))
    if expected_release and (
        expected_release not in CustodyStatus.values
        or DEFAULT_CATEGORY[expected_release] not in RELEASE_CATEGORIES
    ):
        releases = [s for s in CustodyStatus.values if DEFAULT_CATEGORY[s] in RELEASE_CATEGORIES]
        raise invalid(
            "expected_release",
            _("“%(value)s” is not a kind of release; expected one of: %(choices)s.")
            % {"value": expected_release, "choices": ", ".join(releases)},
        )
    with transaction.atomic():
        agreement = Agreement.objects.create(
            slug=slug,
            title=title,
            promisor=promisor,
            promisee=promisee,
            announced_on=announced_on,
            promised_count=promised_count,
            expected_release=expected_release,
            description=description,
            confirm_min_grade=confirm_min_grade,
            dispute_min_grade=dispute_min_grade,
            status_overrides=overrides,
        )
        ledger.append(
            actor,
            "agreement.create",
            agreement,
            {
                "slug": slug,
                "title": title,
                "promisor": promisor.slug,
                "promisee": promisee.slug,
                "announced_on": announced_on.isoformat(),
                "promised_count": promised_count,
                "policy": [confirm_min_grade, dispute_min_grade, overrides],
            },
        )
    return agreement


def agreement_set_policy(
    *,
    actor: User,
    agreement: Agreement,
    confirm_min_grade: str,
    dispute_min_grade: str,
    status_overrides: Mapping[str, str],
) -> Agreement:
    """Change the verification policy and rederive every member under it."""
    require(actor, Action.MANAGE)
    _check_policy(confirm_min_grade, dispute_min_grade, status_overrides)
    overrides = dict(status_overrides)
    with transaction.atomic():
        ledger.serialize()
        before = [
            agreement.confirm_min_grade,
            agreement.dispute_min_grade,
            agreement.status_overrides,
        ]
        agreement.confirm_min_grade = confirm_min_grade
        agreement.dispute_min_grade = dispute_min_grade
        agreement.status_overrides = overrides
        agreement.save(update_fields=["confirm_min_grade", "dispute_min_grade", "status_overrides"])
        changed = rebuild_agreement(agreement)
        ledger.append(
            actor,
            "agreement.policy",
            agreement,
            {
                "before": before,
                "after": [confirm_min_grade, dispute_min_grade, overrides],
                "members_changed": changed,
            },
        )
    return agreement


def agreement_add_members(
    *,
    actor: User,
    agreement: Agreement,
    people: Iterable[Person],
    named_on: dt.date | None = None,
) -> list[Membership]:
    """Name people on an agreement (already named ones are left as they are)."""
    require(actor, Action.RECORD)
    named_on = named_on or timezone.now().date()
    if named_on > timezone.now().date():
        raise invalid("named_on", _("The date named is in the future."))
    if named_on < agreement.announced_on:
        raise invalid("named_on", _("A person cannot be named before the announcement."))
    people = list({p.pk: p for p in people}.values())  # the same person twice is named once
    with transaction.atomic():
        ledger.serialize()
        existing = set(
            Membership.objects.filter(agreement=agreement, person__in=people).values_list(
                "person_id", flat=True
            )
        )
        new = [
            Membership(agreement=agreement, person=p, named_on=named_on)
            for p in people
            if p.pk not in existing
        ]
        Membership.objects.bulk_create(new, batch_size=1000)
        created = list(
            Membership.objects.filter(
                agreement=agreement, person__in=[m.person for m in new]
            ).select_related("agreement__promisor")
        )
        refresh(created)
        ledger.append(
            actor,
            "agreement.add_members",
            agreement,
            {"added": sorted(m.person.handle for m in new), "named_on": named_on.isoformat()},
        )
    return created
