"""The public statistics as released, and their releases (propose, approve, reject).

Every token reads the newest approved release (the same figures for everyone). Staff read
the draft and the releases; proposing needs a write token of a staff role; deciding, a
verifier's or administrator's write token other than the proposer's (the two-person rule).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext_noop
from ninja import Path, Query, Router
from ninja.responses import Status

from detente.access.models import StatisticsRelease
from detente.access.policy import Action
from detente.api.pagination import paginate
from detente.api.routes.parties import acting
from detente.api.schemas import (
    MAX_ID,
    PageQuery,
    ReleaseDecisionIn,
    ReleaseIn,
    ReleaseOut,
    ReleasePage,
    StatisticsDraft,
    StatisticsOut,
    answers,
)
from detente.publishing.releases import (
    draft_conflicts,
    release_list,
    statistics_approve,
    statistics_propose,
    statistics_reject,
)
from detente.publishing.statistics import public_statistics

router = Router(tags=["statistics"])
ReleaseId = Path(..., ge=1, le=MAX_ID, description="The release's number.")


def _release(r: StatisticsRelease) -> dict[str, Any]:
    return {
        "id": r.pk,
        "status": r.status,
        "people": r.people,
        "counted_at": r.counted_at,
        "reason": r.reason,
        "proposed_by": r.proposed_by.get_username(),
        "proposed_at": r.proposed_at,
        "decided_by": r.decided_by.get_username() if r.decided_by else None,
        "decided_at": r.decided_at,
        "decision_note": r.decision_note,
        "published": r.statistics().as_json(),
    }


@router.get(
    "/statistics", response=answers(200, StatisticsOut), summary=gettext_noop("Public statistics")
)
def get_statistics(request: HttpRequest) -> dict[str, Any]:
    """The newest approved release: fixed tables, small counts suppressed (null). The same
    for every caller; `release` is null until the first is approved."""
    stats = public_statistics(request.user)
    return stats.as_json() if stats is not None else {"release": None}


@router.get(
    "/statistics/draft",
    response=answers(200, StatisticsDraft, forbidden=True),
    summary=gettext_noop("What a release counted now would publish"),
)
def get_draft(request: HttpRequest) -> dict[str, Any]:
    """The figures as they stand (staff), and every approved release they could be
    differenced against: a release is refused while `conflicts` is not empty."""
    acting(request, Action.READ)
    stats, found = draft_conflicts()
    return stats.as_json() | {"conflicts": [c.as_json() for c in found]}


@router.get(
    "/statistics/releases",
    response=answers(200, ReleasePage, paged=True),
    summary=gettext_noop("List statistics releases"),
)
def list_releases(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """Every release, newest first, proposed, approved or rejected (staff; empty for
    others)."""
    rows, links = paginate(
        request,
        release_list(request.user),
        scope="statistics-releases",
        keys=("-id",),
        cursor=query.cursor,
        limit=query.limit,
    )
    return {"items": [_release(r) for r in rows], **links}


@router.post(
    "/statistics/releases",
    response=answers(201, ReleaseOut, write=True),
    summary=gettext_noop("Propose a statistics release"),
)
def post_release(request: HttpRequest, payload: ReleaseIn) -> Any:
    """Count the figures now and propose publishing them (staff, with a write token).
    Refused (422) when nothing changed since the last release, or when a figure would move
    by fewer people than the threshold against any approved release."""
    release = statistics_propose(actor=acting(request, Action.RECORD), reason=payload.reason)
    return Status(201, _release(release))


def _decide(
    request: HttpRequest, release_id: int, payload: ReleaseDecisionIn, approve: bool
) -> Any:
    user = acting(request, Action.MANAGE)
    release = release_list(user).filter(pk=release_id).first()
    if release is None:
        raise Http404("no such release")
    if approve:
        release = statistics_approve(actor=user, release=release, note=payload.note)
    else:
        release = statistics_reject(actor=user, release=release, note=payload.note)
    return _release(release)


@router.post(
    "/statistics/releases/{release_id}/approve",
    response=answers(200, ReleaseOut, lookup=True, write=True),
    summary=gettext_noop("Approve a statistics release"),
)
def approve_release(
    request: HttpRequest, payload: ReleaseDecisionIn, release_id: int = ReleaseId
) -> Any:
    """Publish a proposed release (a verifier or administrator other than the proposer).
    Checked again against every release approved since it was proposed."""
    return _decide(request, release_id, payload, approve=True)


@router.post(
    "/statistics/releases/{release_id}/reject",
    response=answers(200, ReleaseOut, lookup=True, write=True),
    summary=gettext_noop("Reject a statistics release"),
)
def reject_release(
    request: HttpRequest, payload: ReleaseDecisionIn, release_id: int = ReleaseId
) -> Any:
    """Refuse a proposed release, with a note saying why (a verifier or administrator
    other than the proposer)."""
    return _decide(request, release_id, payload, approve=False)
