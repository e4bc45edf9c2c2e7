"""Proposing, approving and rejecting disclosures (the two-person rule)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from detente.access.models import (
    AgreementAccess,
    Audience,
    Disclosure,
    DisclosureAction,
    DisclosureStatus,
    Grant,
)
from detente.access.policy import CLI_USERNAME, Action, Role, require, roles_of
from detente.access.selectors import legislature_accounts
from detente.agreements.derivation import rebuild_agreement, refresh_for_audience
from detente.agreements.models import Agreement
from detente.audit import ledger
from detente.core.errors import check_text, invalid
from detente.registry.models import Person


def disclosure_propose(
    *,
    actor: User,
    audience: str,
    reason: str,
    people: Iterable[Person] = (),
    agreement: Agreement | None = None,
    action: str = DisclosureAction.OPEN,
    effective_from: dt.datetime | None = None,
    at_risk_override: bool = False,
) -> Disclosure:
    """Propose to open (or withdraw) identities for an audience, now or from a set time.

    Covers the listed people, or the agreement's named members when ``agreement`` is given.
    Nothing is visible until a different user approves it.
    """
    require(actor, Action.RECORD)
    if audience not in Audience.values:
        raise invalid(
            "audience",
            _("Unknown audience “%(value)s”; use legislature or public.") % {"value": audience},
        )
    if action not in DisclosureAction.values:
        raise invalid(
            "action", _("Unknown action “%(value)s”; use open or withdraw.") % {"value": action}
        )
    reason = check_text("reason", reason, 2000, required=True)
    if effective_from is not None:
        if timezone.is_naive(effective_from):
            raise invalid("effective_from", _("The time needs a time zone."))
        if effective_from < timezone.now():
            raise invalid(
                "effective_from",
                _("The scheduled time %(when)s is in the past; leave it empty for “now”.")
                % {"when": date_format(timezone.localtime(effective_from), "DATETIME_FORMAT")},
            )
    covered = list({p.pk: p for p in people}.values())
    if agreement is not None:
        covered += [
            p
            for p in Person.objects.filter(memberships__agreement=agreement)
            if p.pk not in {c.pk for c in covered}
        ]
    if not covered:
        raise invalid("people", _("A disclosure must cover at least one person."))
    if at_risk_override and audience != Audience.PUBLIC:
        raise invalid(
            "at_risk_override", _("People at risk are only ever excluded from the public.")
        )
    with transaction.atomic():
        disclosure = Disclosure.objects.create(
            audience=audience,
            action=action,
            agreement=agreement,
            reason=reason,
            effective_from=effective_from,
            at_risk_override=at_risk_override,
            proposed_by=actor,
        )
        disclosure.people.set(covered)
        ledger.append(
            actor,
            "disclosure.propose",
            disclosure,
            {
                "audience": audience,
                "action": action,
                "agreement": agreement.slug if agreement else None,
                "people": sorted(p.handle for p in covered),
                "effective_from": effective_from.isoformat() if effective_from else None,
                "at_risk_override": at_risk_override,
                "reason": reason,
            },
        )
    return disclosure


def _check_decidable(actor: User, disclosure: Disclosure) -> None:
    require(actor, Action.MANAGE)
    if actor.get_username() == CLI_USERNAME:
        # Shell access is one person: the second pair of eyes must sign in themselves.
        raise PermissionDenied("disclosures are decided by a signed-in person, not the operator")
    if disclosure.status != DisclosureStatus.PROPOSED:
        raise invalid(
            "status",
            _("Disclosure #%(id)s was already %(status)s.")
            % {"id": disclosure.pk, "status": disclosure.get_status_display()},
        )
    if disclosure.proposed_by_id == actor.pk:
        raise invalid(
            "decided_by",
            _("The person who proposed a disclosure cannot also approve or reject it."),
        )


def disclosure_approve(*, actor: User, disclosure: Disclosure, note: str = "") -> Disclosure:
    """Approve: the covered identities open (or close) at the scheduled time, or now.

    People flagged at risk are left out of a public opening unless the disclosure asked
    for them and the approver is an administrator.
    """
    with transaction.atomic():
        ledger.serialize()
        disclosure = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
        _check_decidable(actor, disclosure)
        if disclosure.at_risk_override and Role.ADMINISTRATOR not in roles_of(actor):
            raise PermissionDenied("only an administrator may disclose people at risk")
        now = timezone.now()
        start = max(disclosure.effective_from or now, now)
        people = list(disclosure.people.all())
        excluded = []
        opens_to_public = (
            disclosure.audience == Audience.PUBLIC and disclosure.action == DisclosureAction.OPEN
        )
        if opens_to_public and not disclosure.at_risk_override:
            excluded = [p for p in people if p.at_risk]
            people = [p for p in people if not p.at_risk]
        Grant.objects.bulk_create(
            [
                Grant(
                    disclosure=disclosure,
                    person=p,
                    audience=disclosure.audience,
                    action=disclosure.action,
                    effective_from=start,
                    at_risk_override=disclosure.at_risk_override,
                )
                for p in people
            ],
            batch_size=1000,
        )
        disclosure.status = DisclosureStatus.APPROVED
        disclosure.decided_by = actor
        disclosure.decided_at = now
        disclosure.decision_note = check_text("note", note, 2000)
        disclosure.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        ledger.append(
            actor,
            "disclosure.approve",
            disclosure,
            {
                "effective_from": start.isoformat(),
                "granted": sorted(p.handle for p in people),
                "excluded_at_risk": sorted(p.handle for p in excluded),
                "at_risk_override": disclosure.at_risk_override,
                "note": disclosure.decision_note,
            },
        )
    return disclosure


def disclosure_reject(*, actor: User, disclosure: Disclosure, note: str) -> Disclosure:
    note = check_text("note", note, 2000, required=True)
    with transaction.atomic():
        ledger.serialize()  # same lock order as approval, so the two cannot deadlock
        disclosure = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
        _check_decidable(actor, disclosure)
        disclosure.status = DisclosureStatus.REJECTED
        disclosure.decided_by = actor
        disclosure.decided_at = timezone.now()
        disclosure.decision_note = note
        disclosure.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        ledger.append(actor, "disclosure.reject", disclosure, {"note": note})
    return disclosure


def agreement_set_audience(*, actor: User, agreement: Agreement, audience: str) -> Agreement:
    """Show an agreement and its figures to staff only, the legislature, or everyone.

    Identities are not affected: they follow disclosures alone.
    """
    require(actor, Action.MANAGE)
    choices = ("staff", "legislature", "public")
    if audience not in choices:
        raise invalid(
            "audience",
            _("Unknown audience “%(value)s”; use staff, legislature or public.")
            % {"value": audience},
        )
    with transaction.atomic():
        ledger.serialize()
        before = agreement.audience
        agreement.audience = audience
        agreement.save(update_fields=["audience"])
        changed = _rederive_for_audience(agreement) if before != audience else 0
        ledger.append(
            actor,
            "agreement.audience",
            agreement,
            {"before": before, "after": audience, "members_changed": changed},
        )
    return agreement


def _rederive_for_audience(agreement: Agreement) -> int:
    """Which claims count where depends on who sees which agreement (see
    ``agreements.derivation.unseen_agreements``): rederive both sides."""
    return rebuild_agreement(agreement) + refresh_for_audience(agreement)


def agreement_access_grant(*, actor: User, agreement: Agreement, user: User) -> AgreementAccess:
    """Let one legislature account see an agreement that is narrowed to a list of accounts
    (the first grant turns the narrowing on: every other legislature account stops seeing
    it)."""
    require(actor, Action.MANAGE)
    if Role.LEGISLATURE not in roles_of(user) or not user.is_active:
        raise invalid(
            "user",
            _(
                "“%(user)s” is not a legislature account: only legislature accounts are given "
                "access agreement by agreement."
            )
            % {"user": user.get_username()},
        )
    with transaction.atomic():
        ledger.serialize()  # the same lock order as the other writes that rederive
        agreement.refresh_from_db(fields=["legislature_list_only"])
        access, created = AgreementAccess.objects.get_or_create(
            agreement=agreement, user=user, defaults={"granted_by": actor}
        )
        narrowed = not agreement.legislature_list_only
        if narrowed:
            agreement.legislature_list_only = True
            agreement.save(update_fields=["legislature_list_only"])
            _rederive_for_audience(agreement)
        if created or narrowed:
            ledger.append(
                actor,
                "agreement.access_grant",
                agreement,
                {"user": user.get_username(), "narrowed": narrowed},
            )
    return access


def agreement_access_revoke(*, actor: User, agreement: Agreement, user: User) -> None:
    """Take one account off the agreement's list. The narrowing stays: removing the last
    account leaves the agreement shown to no legislature account, not to all of them."""
    require(actor, Action.MANAGE)
    with transaction.atomic():
        ledger.serialize()
        deleted, _rows = AgreementAccess.objects.filter(agreement=agreement, user=user).delete()
        if not deleted:
            raise invalid(
                "user",
                _("“%(user)s” is not on this agreement's list.") % {"user": user.get_username()},
            )
        remaining = AgreementAccess.objects.filter(agreement=agreement).count()
        ledger.append(
            actor,
            "agreement.access_revoke",
            agreement,
            {"user": user.get_username(), "remaining": remaining},
        )


def agreement_access_open(*, actor: User, agreement: Agreement) -> Agreement:
    """Let every legislature account see the agreement again (when its audience allows).

    The list is cleared, so that a later grant starts a new list instead of bringing the
    old one back; the ledger entry keeps who was on it."""
    require(actor, Action.MANAGE)
    with transaction.atomic():
        ledger.serialize()
        agreement.refresh_from_db(fields=["legislature_list_only"])
        listed = AgreementAccess.objects.filter(agreement=agreement)
        cleared = sorted(listed.values_list("user__username", flat=True))
        was_listed = agreement.legislature_list_only
        if not was_listed and not cleared:
            return agreement  # open to every legislature account already: nothing to record
        listed.delete()
        agreement.legislature_list_only = False
        agreement.save(update_fields=["legislature_list_only"])
        if was_listed:
            _rederive_for_audience(agreement)
        ledger.append(actor, "agreement.access_open", agreement, {"cleared": cleared})
    return agreement


def agreement_access_change(
    *,
    actor: User,
    agreement: Agreement,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    everyone: bool = False,
) -> None:
    """Remove, add (by username) and open to everyone in one go, all or nothing: the command
    line and the API. A refusal names the field it concerns (``add``, ``remove``,
    ``everyone``)."""
    require(actor, Action.MANAGE)
    add, remove = list(dict.fromkeys(add)), list(dict.fromkeys(remove))
    if everyone and add:
        raise invalid(
            "everyone",
            _(
                "Either list accounts to add or open the agreement to every legislature "
                "account, not both."
            ),
        )
    if set(add) & set(remove):
        raise invalid(
            "remove",
            _("“%(user)s” is both to add and to remove.")
            % {"user": sorted(set(add) & set(remove))[0]},
        )
    with transaction.atomic():
        for username in remove:
            found = AgreementAccess.objects.filter(
                agreement=agreement, user__username=username
            ).select_related("user")
            row = found.first()
            if row is None:
                raise invalid(
                    "remove",
                    _("“%(user)s” is not on this agreement's list.") % {"user": username},
                )
            agreement_access_revoke(actor=actor, agreement=agreement, user=row.user)
        for username in add:
            # Unknown and not-legislature read alike: a verifier learns no account's name.
            user = legislature_accounts(actor).filter(username=username).first()
            if user is None:
                raise invalid(
                    "add", _("No legislature account is named “%(user)s”.") % {"user": username}
                )
            agreement_access_grant(actor=actor, agreement=agreement, user=user)
        if everyone:
            agreement_access_open(actor=actor, agreement=agreement)
