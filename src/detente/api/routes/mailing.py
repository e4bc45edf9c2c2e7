"""Email updates: the mailing lists with their subscriber counts; creating, changing,
archiving and restoring them; and sending a list's digest now. Verifiers and
administrators only (403 for others), through `detente.mailing.services` — the same path
as the staff pages and `detente mailing`. No operation returns an address."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status

from detente.access.policy import Action, require
from detente.agreements.models import Agreement, Party
from detente.api.pagination import paginate
from detente.api.schemas import SLUG, Paged, PageQuery, Patch, Slug, answers, unchanged
from detente.core.errors import invalid
from detente.mailing import services
from detente.mailing.models import Frequency, ListKind
from detente.mailing.selectors import counts, mailing_list_get, mailing_lists, pending_digest

router = Router(tags=["email updates"])

SlugPath = Path(..., pattern=SLUG, max_length=64, description="The list's slug.")


class MailingListOut(Schema):
    slug: str
    title: str
    kind: ListKind
    agreement: str | None = Field(description="The agreement's slug (kind agreement).")
    party: str | None = Field(description="The releasing party's slug (kind country).")
    public: bool = Field(description="Offered on the public form.")
    frequency: Frequency
    archived: bool = Field(description="Archived: offered to no one, sends nothing.")
    confirmed: int = Field(description="Confirmed subscribers a digest goes to.")
    pending: int = Field(description="Sign-ups waiting for their confirmation.")
    unsubscribed: int
    last_digest_at: dt.datetime | None = Field(
        description="When its previous digest was built (or the list created)."
    )


class MailingListPage(Paged):
    items: list[MailingListOut]


class MailingListQuery(PageQuery):
    archived: bool = Field(False, description="Also list archived lists.")


class MailingListIn(Schema):
    slug: Slug
    kind: ListKind
    agreement: Slug | None = Field(None, description="For kind agreement: its slug.")
    party: Slug | None = Field(None, description="For kind country: the releasing party.")
    public: bool = True
    frequency: Frequency = Frequency.DAILY


class MailingListPatch(Patch):
    public: bool = unchanged("Offered on the public form.")
    frequency: Frequency = unchanged()


class SendOut(Schema):
    slug: str
    digest: int | None = Field(description="The digest built; null when nothing was new.")
    events: int = Field(description="Pieces of news in it.")
    recipients: int = Field(description="Subscribers it is queued for.")


def manager(request: HttpRequest) -> User:
    """The token's user, if it may manage lists (else 403, before anything is looked up)."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - a token always has a user
    require(user, Action.MANAGE)
    return user


def list_out(ml: Any) -> dict[str, Any]:
    """A list as read by the selectors (with its counts)."""
    return {
        "slug": ml.slug,
        "title": ml.title,
        "kind": ml.kind,
        "agreement": ml.agreement.slug if ml.agreement else None,
        "party": ml.party.slug if ml.party else None,
        "public": ml.public,
        "frequency": ml.frequency,
        "archived": not ml.active,
        **counts(ml),
        "last_digest_at": ml.snapshot_at,
    }


@router.get(
    "/mailing-lists",
    response=answers(200, MailingListPage, paged=True, forbidden=True),
    summary=gettext_noop("List mailing lists"),
)
def list_mailing_lists(request: HttpRequest, query: Query[MailingListQuery]) -> dict[str, Any]:
    """Every mailing list with its subscriber counts, by slug; archived ones only with
    `archived=true` (verifiers and administrators; 403 for others)."""
    qs = mailing_lists(manager(request)).order_by()
    if not query.archived:
        qs = qs.filter(active=True)
    rows, links = paginate(
        request, qs, scope="mailing-lists", keys=("slug",), cursor=query.cursor, limit=query.limit
    )
    return {"items": [list_out(ml) for ml in rows], **links}


@router.get(
    "/mailing-lists/{slug}",
    response=answers(200, MailingListOut, lookup=True, forbidden=True),
    summary=gettext_noop("Get a mailing list"),
)
def get_mailing_list(request: HttpRequest, slug: str = SlugPath) -> dict[str, Any]:
    """One list and its subscriber counts (verifiers and administrators; 403 for others)."""
    return list_out(mailing_list_get(manager(request), slug))


@router.post(
    "/mailing-lists",
    response=answers(201, MailingListOut, write=True),
    summary=gettext_noop("Create a mailing list"),
)
def post_mailing_list(request: HttpRequest, payload: MailingListIn) -> Any:
    """A list following one agreement, one country (the releasing party of its
    agreements) or every public agreement; its first digest reports what happens from
    now on (verifiers and administrators, with a write token)."""
    user = manager(request)
    agreement = party = None
    if payload.agreement:
        agreement = Agreement.objects.filter(slug=payload.agreement).first()
        if agreement is None:
            raise invalid("agreement", _("There is no agreement with this slug."))
    if payload.party:
        party = Party.objects.filter(slug=payload.party).first()
        if party is None:
            raise invalid("party", _("There is no party with this slug."))
    ml = services.list_create(
        actor=user,
        slug=payload.slug,
        kind=payload.kind,
        agreement=agreement,
        party=party,
        public=payload.public,
        frequency=payload.frequency,
    )
    return Status(201, list_out(mailing_list_get(user, ml.slug)))


@router.patch(
    "/mailing-lists/{slug}",
    response=answers(200, MailingListOut, lookup=True, write=True),
    summary=gettext_noop("Change a mailing list"),
)
def patch_mailing_list(
    request: HttpRequest, payload: MailingListPatch, slug: str = SlugPath
) -> Any:
    """Whether it is offered on the public form, and how often it sends; fields left out
    stay as they are. What a list follows and its slug do not change (its subscribers
    agreed to that list). Verifiers and administrators, with a write token."""
    user = manager(request)
    ml = mailing_list_get(user, slug)
    sent = payload.model_fields_set
    services.list_update(
        actor=user,
        mailing_list=ml,
        public=payload.public if "public" in sent else None,
        frequency=payload.frequency if "frequency" in sent else None,
    )
    return list_out(mailing_list_get(user, slug))


def _archive(request: HttpRequest, slug: str, archived: bool) -> Any:
    user = manager(request)
    services.list_archive(actor=user, mailing_list=mailing_list_get(user, slug), archived=archived)
    return list_out(mailing_list_get(user, slug))


@router.post(
    "/mailing-lists/{slug}/archive",
    response=answers(200, MailingListOut, lookup=True, write=True),
    summary=gettext_noop("Archive a mailing list"),
)
def archive_mailing_list(request: HttpRequest, slug: str = SlugPath) -> Any:
    """Offered to no one and sending nothing; subscribers and history are kept. Archiving
    an archived list does nothing (verifiers and administrators, with a write token)."""
    return _archive(request, slug, archived=True)


@router.post(
    "/mailing-lists/{slug}/restore",
    response=answers(200, MailingListOut, lookup=True, write=True),
    summary=gettext_noop("Restore a mailing list"),
)
def restore_mailing_list(request: HttpRequest, slug: str = SlugPath) -> Any:
    """Offered (if public) and sending again; its next digest starts from now (verifiers
    and administrators, with a write token)."""
    return _archive(request, slug, archived=False)


@router.post(
    "/mailing-lists/{slug}/send",
    response=answers(200, SendOut, lookup=True, write=True),
    summary=gettext_noop("Send a mailing list's digest now"),
)
def send_mailing_list(request: HttpRequest, slug: str = SlugPath) -> Any:
    """Build the list's digest now, due or not, and queue it for the worker: what became
    public since its previous digest, for its confirmed subscribers. Nothing new: nothing
    is sent (`digest` is null). An archived list answers 422. `GET
    /mailing-lists/{slug}/pending` says beforehand what would go, and to how many
    (verifiers and administrators, with a write token)."""
    user = manager(request)
    sent = services.list_send_now(actor=user, mailing_list=mailing_list_get(user, slug))
    return {
        "slug": sent.mailing_list.slug,
        "digest": sent.digest_id,
        "events": sent.events,
        "recipients": sent.recipients,
    }


class PendingOut(Schema):
    slug: str
    events: int = Field(description="Pieces of news since the previous digest.")
    recipients: int = Field(description="Confirmed subscribers it would go to now.")
    since: dt.datetime | None


@router.get(
    "/mailing-lists/{slug}/pending",
    response=answers(200, PendingOut, lookup=True, forbidden=True),
    summary=gettext_noop("What a mailing list would send now"),
)
def pending_mailing_list(request: HttpRequest, slug: str = SlugPath) -> dict[str, Any]:
    """The news since the list's previous digest and how many it would go to; nothing is
    sent (verifiers and administrators; 403 for others)."""
    user = manager(request)
    ml = mailing_list_get(user, slug)
    if not ml.active:
        raise invalid("slug", _("This list is archived: it sends nothing. Restore it first."))
    p = pending_digest(user, ml)
    return {"slug": ml.slug, "events": p.events, "recipients": p.recipients, "since": p.since}
