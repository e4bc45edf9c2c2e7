"""Reads about disclosures (staff only) and about which legislature accounts see an
agreement (verifiers and administrators)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404

from detente.access.models import AgreementAccess, Disclosure
from detente.access.policy import Action, Role, Viewer, can, require
from detente.access.visibility import LEGISLATURE, PUBLIC, with_identity_flag_for_tier
from detente.agreements.models import Agreement
from detente.registry.models import Person


def disclosure_list(viewer: Viewer) -> QuerySet[Disclosure]:
    if not can(viewer, Action.READ):
        return Disclosure.objects.none()
    return Disclosure.objects.select_related("agreement", "proposed_by", "decided_by")


@dataclass(frozen=True)
class AudienceView:
    audience: str
    visible: list[str]  # handles whose identity this audience sees now
    hidden: list[str]
    at_risk_hidden: list[str]


def disclosure_report(viewer: Viewer, agreement: Agreement) -> list[AudienceView]:
    """Per audience, whose identity on this agreement it can see right now."""
    if not can(viewer, Action.READ):
        raise Http404("no such agreement")
    members = Person.objects.filter(memberships__agreement=agreement)
    out = []
    for tier in (LEGISLATURE, PUBLIC):
        rows = list(
            with_identity_flag_for_tier(members, tier).values_list(
                *("handle", "identity_visible", "at_risk")  # the flag is an annotation
            )
        )
        out.append(
            AudienceView(
                tier,
                visible=sorted(h for h, seen, _ in rows if seen),
                hidden=sorted(h for h, seen, _ in rows if not seen),
                at_risk_hidden=sorted(h for h, seen, risk in rows if not seen and risk),
            )
        )
    return out


# --- Which legislature accounts see an agreement -------------------------------------------


@dataclass(frozen=True)
class ListedAccount:
    username: str
    granted_by: str
    granted_at: dt.datetime
    # Still an active legislature account: one disabled or given another role since stays
    # listed (and can be removed) but sees nothing through the list.
    current: bool


@dataclass(frozen=True)
class LegislatureAccess:
    """Whether every legislature account sees an agreement, or only the listed ones."""

    slug: str
    audience: str
    list_only: bool
    accounts: tuple[ListedAccount, ...]

    @property
    def in_force(self) -> bool:
        """Only an agreement shown to the legislature is narrowed: a staff-only one is hidden
        from every legislature account, a public one shown to everyone, whatever the list."""
        return self.audience == "legislature"

    def as_json(self) -> dict[str, Any]:
        """One form for the API and ``detente agreement legislature --json``."""
        return {
            "agreement": self.slug,
            "audience": self.audience,
            "open_to": "listed_accounts" if self.list_only else "every_legislature_account",
            "in_force": self.in_force,
            "accounts": [
                {
                    "username": a.username,
                    "granted_by": a.granted_by,
                    "granted_at": a.granted_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "current": a.current,
                }
                for a in self.accounts
            ],
        }


def legislature_accounts(viewer: Viewer) -> QuerySet[User]:
    """The accounts that may be listed on an agreement: active legislature accounts, by
    username (verifiers and administrators; nobody else)."""
    if not can(viewer, Action.MANAGE):
        return User.objects.none()
    # A superuser's only role is administrator (policy.roles_of), whatever its groups say.
    return (
        User.objects.filter(is_active=True, is_superuser=False, groups__name=Role.LEGISLATURE)
        .order_by("username")
        .distinct()
    )


def legislature_access(viewer: Viewer, agreement: Agreement) -> LegislatureAccess:
    """Who in the legislature sees ``agreement``: verifiers and administrators only, the
    roles that may change it."""
    require(viewer, Action.MANAGE)
    rows = list(
        AgreementAccess.objects.filter(agreement=agreement)
        .select_related("user", "granted_by")
        .order_by("user__username")
    )
    current = set(
        legislature_accounts(viewer)
        .filter(pk__in=[r.user_id for r in rows])
        .values_list("pk", flat=True)
    )
    flags = Agreement.objects.filter(pk=agreement.pk).values_list(
        "audience", "legislature_list_only"
    )
    audience, list_only = flags.get()  # as stored now, not as the caller last read it
    return LegislatureAccess(
        slug=agreement.slug,
        audience=audience,
        list_only=list_only,
        accounts=tuple(
            ListedAccount(
                username=r.user.get_username(),
                granted_by=r.granted_by.get_username(),
                granted_at=r.granted_at,
                current=r.user_id in current,
            )
            for r in rows
        ),
    )
