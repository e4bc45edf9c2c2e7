"""Parties: reading them (staff), and creating, editing, archiving and restoring them
(verifiers and administrators, with a write token), through `detente.agreements.services`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Path, Query, Router
from ninja.responses import Status

from detente.access.policy import Action, require
from detente.agreements.models import Party
from detente.agreements.selectors import party_get, party_list
from detente.agreements.services import party_archive, party_create, party_edit
from detente.api.pagination import paginate
from detente.api.schemas import (
    SLUG,
    PartyDetail,
    PartyIn,
    PartyPage,
    PartyPatch,
    PartyQuery,
    answers,
)

router = Router(tags=["parties"])

SlugPath = Path(..., pattern=SLUG, max_length=64, description="The party's slug.")


def acting(request: HttpRequest, action: str) -> User:
    """The token's user, if it may do ``action`` (else 403).

    The services check this themselves; it is checked here too, before anything is looked
    up, so that whoever may not write is refused the same way whatever they name."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - a token always has a user
    require(user, action)
    return user


def manager(request: HttpRequest) -> User:
    """The token's user, if it may manage parties, sources and agreements (else 403)."""
    return acting(request, Action.MANAGE)


def party_out(party: Party) -> dict[str, Any]:
    return {
        "slug": party.slug,
        "name": party.name,
        "kind": party.kind,
        "independence_group": party.independence_group,
        "archived_at": party.archived_at,
    }


@router.get(
    "/parties", response=answers(200, PartyPage, paged=True), summary=gettext_noop("List parties")
)
def list_parties(request: HttpRequest, query: Query[PartyQuery]) -> dict[str, Any]:
    """Parties by slug (staff; empty for others); archived ones only with `archived=true`."""
    qs = party_list(request.user)
    if not query.archived:
        qs = qs.filter(archived_at__isnull=True)
    if query.kind:
        qs = qs.filter(kind=query.kind)
    rows, links = paginate(
        request, qs, scope="parties", keys=("slug",), cursor=query.cursor, limit=query.limit
    )
    return {"items": [party_out(p) for p in rows], **links}


@router.get(
    "/parties/{slug}",
    response=answers(200, PartyDetail, lookup=True),
    summary=gettext_noop("Get a party"),
)
def get_party(request: HttpRequest, slug: str = SlugPath) -> dict[str, Any]:
    """One party (staff); hidden ones answer exactly like missing ones."""
    return party_out(party_get(request.user, slug))


@router.post(
    "/parties",
    response=answers(201, PartyDetail, write=True),
    summary=gettext_noop("Create a party"),
)
def post_party(request: HttpRequest, payload: PartyIn) -> Any:
    """Record a government or body that makes, receives, mediates or guarantees an
    agreement (verifiers and administrators, with a write token)."""
    user = manager(request)
    party = party_create(
        actor=user,
        slug=payload.slug,
        name=payload.name,
        kind=payload.kind,
        independence_group=payload.independence_group,
    )
    return Status(201, party_out(party))


@router.patch(
    "/parties/{slug}",
    response=answers(200, PartyDetail, lookup=True, write=True),
    summary=gettext_noop("Edit a party"),
)
def patch_party(request: HttpRequest, payload: PartyPatch, slug: str = SlugPath) -> Any:
    """Change a party's name, kind or independence group; fields left out stay as they are
    (verifiers and administrators, with a write token). A new independence group rederives
    the members of the agreements the party makes."""
    user = manager(request)
    party = party_get(user, slug)
    sent = payload.model_fields_set
    party = party_edit(
        actor=user,
        party=party,
        **{f: getattr(payload, f) for f in ("name", "kind", "independence_group") if f in sent},
    )
    return party_out(party)


def _archive(request: HttpRequest, slug: str, archived: bool) -> Any:
    user = manager(request)
    return party_out(party_archive(actor=user, party=party_get(user, slug), archived=archived))


@router.post(
    "/parties/{slug}/archive",
    response=answers(200, PartyDetail, lookup=True, write=True),
    summary=gettext_noop("Archive a party"),
)
def archive_party(request: HttpRequest, slug: str = SlugPath) -> Any:
    """Archive a party: kept for its history, no longer offered for new agreements
    (verifiers and administrators, with a write token). Archiving an archived one does
    nothing."""
    return _archive(request, slug, archived=True)


@router.post(
    "/parties/{slug}/restore",
    response=answers(200, PartyDetail, lookup=True, write=True),
    summary=gettext_noop("Restore a party"),
)
def restore_party(request: HttpRequest, slug: str = SlugPath) -> Any:
    """Restore an archived party (verifiers and administrators, with a write token)."""
    return _archive(request, slug, archived=False)
