"""Who sees which agreements, which people, and whose identity.

Three tiers of viewer: staff (any staff role: every identity), legislature (identities
disclosed to the legislature or the public), and the public (anonymous visitors and
accounts without a role: identities disclosed to the public). Everything is decided in
the query, so lists are filtered by the database, not after the fact.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from detente.access.models import AgreementAccess, Audience, DisclosureAction, Grant
from detente.access.policy import Action, Role, Viewer, can, roles_of
from detente.agreements.models import Agreement, Membership
from detente.registry.models import Person

STAFF, LEGISLATURE, PUBLIC = "staff", "legislature", "public"


def tier(viewer: Viewer) -> str:
    if can(viewer, Action.READ):
        return STAFF
    if Role.LEGISLATURE in roles_of(viewer):
        return LEGISLATURE
    return PUBLIC


def agreement_audiences(viewer_tier: str) -> tuple[str, ...]:
    if viewer_tier == STAFF:
        return ("staff", "legislature", "public")
    if viewer_tier == LEGISLATURE:
        return ("legislature", "public")
    return ("public",)


def visible_agreements(viewer: Viewer) -> QuerySet[Agreement]:
    viewer_tier = tier(viewer)
    qs = Agreement.objects.filter(audience__in=agreement_audiences(viewer_tier))
    if viewer_tier == LEGISLATURE:
        listed = AgreementAccess.objects.filter(agreement=OuterRef("pk"), user_id=viewer.pk or 0)
        qs = qs.filter(Q(audience="public") | Q(legislature_list_only=False) | Exists(listed))
    return qs


def _latest(audience: str, column: str, now: dt.datetime) -> Subquery:
    # Among the grants in effect, the one approved last decides (grants are written at
    # approval, so their ids follow approval order): a withdrawal approved after a
    # scheduled opening keeps the names closed when the opening's time comes.
    grants = Grant.objects.filter(
        person=OuterRef("pk"), audience=audience, effective_from__lte=now
    ).order_by("-id")
    return Subquery(grants.values(column)[:1])


def identity_visible_q(viewer_tier: str) -> Q:
    """A condition on annotated people (see ``with_identity_flag``)."""
    public = Q(_pub_action=DisclosureAction.OPEN) & (Q(at_risk=False) | Q(_pub_override=True))
    if viewer_tier == LEGISLATURE:
        return public | Q(_leg_action=DisclosureAction.OPEN)
    return public


def with_identity_flag(
    qs: QuerySet[Person], viewer: Viewer, now: dt.datetime | None = None
) -> QuerySet[Person]:
    """Annotate ``identity_visible`` for this viewer at ``now``."""
    return with_identity_flag_for_tier(qs, tier(viewer), now)


def with_identity_flag_for_tier(
    qs: QuerySet[Person], viewer_tier: str, now: dt.datetime | None = None
) -> QuerySet[Person]:
    if viewer_tier == STAFF:
        return qs.annotate(identity_visible=Value(True, output_field=BooleanField()))
    now = now or timezone.now()
    qs = qs.annotate(
        _pub_action=_latest(Audience.PUBLIC, "action", now),
        _pub_override=_latest(Audience.PUBLIC, "at_risk_override", now),
    )
    if viewer_tier == LEGISLATURE:
        qs = qs.annotate(_leg_action=_latest(Audience.LEGISLATURE, "action", now))
    qs = qs.annotate(
        identity_visible=Case(
            When(identity_visible_q(viewer_tier), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    if viewer_tier == LEGISLATURE:
        # The legislature sees names the public does not: each is marked "not public" so
        # that no one quotes it by mistake.
        qs = qs.annotate(
            identity_public=Case(
                When(identity_visible_q(PUBLIC), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    return qs


def people_in_view(viewer: Viewer, now: dt.datetime | None = None) -> QuerySet[Person]:
    """Everyone the viewer may know exists (staff: all; others: members of the agreements
    they see), annotated with whether the viewer may see each identity."""
    qs = Person.objects.all()
    viewer_tier = tier(viewer)
    if viewer_tier != STAFF:
        named = Membership.objects.filter(
            person=OuterRef("pk"), agreement__in=visible_agreements(viewer)
        )
        qs = qs.filter(Exists(named))
    return with_identity_flag(qs, viewer, now)
