"""The REST API (django-ninja): thin operations over the selectors and services.

Every operation needs a bearer token (``Authorization: Bearer dtn_…``); what a token sees is
exactly what its user sees in the admin or on the command line, because the same
selectors decide. Errors are ``application/problem+json`` (RFC 9457).
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError
from ninja.responses import Status
from ninja.security import HttpBearer

from detente.agreements.selectors import (
    agreement_get,
    agreement_list,
    agreement_members,
    agreement_progress,
)
from detente.api.models import ApiToken, Scope
from detente.api.services import digest
from detente.core.dates import DatePrecision
from detente.evidence.models import ClaimKind, Credibility, Source
from detente.evidence.services import claim_record
from detente.registry.selectors import person_detail, person_get

PROBLEM = "application/problem+json"


class RateLimited(Exception):
    pass


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        parts = token.split("_", 2)  # the secret itself may contain "_"
        if len(parts) != 3 or parts[0] != "dtn":
            return None
        found = (
            ApiToken.objects.select_related("user")
            .filter(prefix=parts[1], revoked_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
        if found is None or not hmac.compare_digest(found.digest, digest(parts[2])):
            return None
        if not found.user.is_active:
            return None
        _count_request(found)
        request.user = found.user
        return found


def _count_request(token: ApiToken) -> None:
    """Per-token limit over a fixed one-minute window, counted in the database."""
    limit = int(getattr(settings, "DETENTE_API_RATE_PER_MINUTE", 120))
    now = timezone.now()
    window = now.replace(second=0, microsecond=0)
    rows = ApiToken.objects.filter(pk=token.pk)
    if token.window_start != window:
        rows.update(window_start=window, window_count=1, last_used_at=now)
        token.window_start, token.window_count = window, 1
        return
    rows.update(window_count=F("window_count") + 1, last_used_at=now)
    token.window_count += 1
    if token.window_count > limit:
        raise RateLimited


api = NinjaAPI(
    title="Detente API",
    version="1",
    description=__doc__ or "",
    auth=TokenAuth(),
    docs_url=None,  # the browsable docs are our own page (no third-party scripts)
    urls_namespace="api",
)


def problem(
    request: HttpRequest, status: int, title: str, detail: str = "", **extra: Any
) -> HttpResponse:
    body = {"type": "about:blank", "title": title, "status": status, **extra}
    if detail:
        body["detail"] = detail
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = PROBLEM
    return response


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    response = problem(request, 401, "Unauthorized", "A valid bearer token is required.")
    response["WWW-Authenticate"] = 'Bearer realm="detente"'
    return response


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, exc: Exception) -> HttpResponse:
    response = problem(request, 429, "Too Many Requests", "This token's limit per minute.")
    response["Retry-After"] = "60"
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Hidden and missing look the same: one fixed body.
    return problem(request, 404, "Not Found")


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(request, 403, "Forbidden", "This token or user may not do that.")


@api.exception_handler(ValidationError)
def _refused(request: HttpRequest, exc: Exception) -> HttpResponse:
    assert isinstance(exc, ValidationError)  # noqa: S101 - narrowed for the type checker
    errors = [
        {"field": field, "reason": " ".join(messages)}
        for field, messages in exc.message_dict.items()
    ]
    return problem(request, 422, "Unprocessable Content", "The input was refused.", errors=errors)


@api.exception_handler(SchemaError)
def _malformed(request: HttpRequest, exc: Exception) -> HttpResponse:
    assert isinstance(exc, SchemaError)  # noqa: S101 - narrowed for the type checker
    errors = [{"field": _field(e.get("loc", ())), "reason": e.get("msg", "")} for e in exc.errors]
    return problem(request, 422, "Unprocessable Content", "The input is malformed.", errors=errors)


def _field(loc: Any) -> str:
    """``("body", "payload", "event_date")`` → ``"event_date"``: the name the client sent."""
    parts = [str(p) for p in loc]
    while parts and parts[0] in ("body", "query", "path", "payload", "filters"):
        parts.pop(0)
    return ".".join(parts)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    assert isinstance(exc, HttpError)  # noqa: S101 - narrowed for the type checker
    return problem(request, exc.status_code, str(exc))


# --- Schemas -------------------------------------------------------------------------------


class ProblemOut(Schema):
    type: str
    title: str
    status: int
    detail: str | None = None


class AgreementOut(Schema):
    slug: str
    title: str
    announced_on: dt.date
    promised: int
    named: int
    claimed: int
    confirmed: int


class AgreementPage(Schema):
    items: list[AgreementOut]
    next_cursor: str | None


class MilestoneOut(Schema):
    key: str
    label: str
    date: dt.date | None


class AggregateOut(Schema):
    source: str
    releasing_party: bool
    released_count: int
    event_date: dt.date


class ProgressOut(Schema):
    agreement: str
    as_of: dt.date | None
    promised: int
    named: int
    unnamed: int
    claimed: int
    claimed_by_releasing_party: int | None
    confirmed: int
    confirmed_conditional: int
    confirmed_unconditional: int
    reported: int
    disputed: int
    held: int
    rearrested: int
    died: int
    disappeared: int
    gap: int
    aggregate_claims: list[AggregateOut]
    milestones: list[MilestoneOut]


class MemberOut(Schema):
    handle: str
    name: str | None
    state: str
    status: str | None
    released_on: dt.date | None


class MemberPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None


class StatusOut(Schema):
    agreement: str | None
    state: str
    status: str | None
    rule: str


class PersonOut(Schema):
    handle: str
    identity: dict[str, Any] | None
    statuses: list[StatusOut]


class ClaimIn(Schema):
    source: str
    person: str | None = None
    agreement: str | None = None
    kind: str = ClaimKind.STATUS
    status: str = ""
    released_count: int | None = None
    event_date: dt.date | None = None
    event_precision: str = DatePrecision.DAY
    received_at: dt.datetime | None = None
    credibility: int = Credibility.UNKNOWN
    corrects: int | None = None
    evidence_text: str = ""
    evidence_url: str = ""


class ClaimOut(Schema):
    id: int
    kind: str
    person: str | None
    agreement: str | None
    state_after: list[StatusOut]


ERRORS: dict[int, type[Schema]] = {
    401: ProblemOut,
    403: ProblemOut,
    404: ProblemOut,
    422: ProblemOut,
    429: ProblemOut,
}


# --- Operations ----------------------------------------------------------------------------


def _limit(limit: int) -> int:
    return max(1, min(limit, 500))


@api.get("/agreements", response={200: AgreementPage, **ERRORS}, tags=["agreements"])
def list_agreements(
    request: HttpRequest, cursor: str | None = None, limit: int = 100
) -> dict[str, Any]:
    """Agreements this token's user may see, by slug; pass ``next_cursor`` to go on."""
    qs = agreement_list(request.user).order_by("slug")
    if cursor:
        qs = qs.filter(slug__gt=cursor)
    page = list(qs[: _limit(limit) + 1])
    items = []
    for a in page[: _limit(limit)]:
        p = agreement_progress(request.user, a)
        items.append(
            {
                "slug": a.slug,
                "title": a.title,
                "announced_on": a.announced_on,
                "promised": p.promised,
                "named": p.named,
                "claimed": p.claimed,
                "confirmed": p.confirmed,
            }
        )
    more = len(page) > _limit(limit)
    return {"items": items, "next_cursor": items[-1]["slug"] if more and items else None}


@api.get("/agreements/{slug}/progress", response={200: ProgressOut, **ERRORS}, tags=["agreements"])
def get_progress(request: HttpRequest, slug: str, as_of: dt.date | None = None) -> Any:
    """Promised, claimed, confirmed… now, or as known at the end of ``as_of``."""
    agreement = agreement_get(request.user, slug)
    return agreement_progress(request.user, agreement, as_of=as_of).as_json()


class MemberFilter(Schema):
    state: str | None = None
    cursor: str | None = None
    limit: int = 200


@api.get("/agreements/{slug}/members", response={200: MemberPage, **ERRORS}, tags=["agreements"])
def list_members(request: HttpRequest, slug: str, filters: Query[MemberFilter]) -> Any:
    """Named members by handle; ``name`` is null unless disclosed to this user."""
    agreement = agreement_get(request.user, slug)
    rows = [
        m
        for m in agreement_members(request.user, agreement)
        if (filters.state is None or m.state == filters.state)
        and (filters.cursor is None or m.handle > filters.cursor)
    ]
    page = rows[: _limit(filters.limit)]
    more = len(rows) > len(page)
    return {
        "items": [
            {
                "handle": m.handle,
                "name": m.name,
                "state": m.state,
                "status": m.status or None,
                "released_on": m.released_on,
            }
            for m in page
        ],
        "next_cursor": page[-1].handle if more and page else None,
    }


def _statuses(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"agreement": s["agreement"], "state": s["state"], "status": s["status"], "rule": s["rule"]}
        for s in data["statuses"]
    ]


@api.get("/people/{handle}", response={200: PersonOut, **ERRORS}, tags=["people"])
def get_person(request: HttpRequest, handle: str) -> Any:
    """A person as this user may see them; a hidden person answers like a missing one."""
    data = person_detail(request.user, person_get(request.user, handle)).as_json()
    return {"handle": data["handle"], "identity": data["identity"], "statuses": _statuses(data)}


@api.post("/claims", response={201: ClaimOut, **ERRORS}, tags=["claims"])
def post_claim(request: HttpRequest, payload: ClaimIn) -> Any:
    """Record what a source asserts (needs a write token). Confirming a reported release
    is recording the independent source's claim of it; disputing is recording its
    contradiction. The derived state after the claim is returned."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    if token.scope != Scope.WRITE:
        raise PermissionDenied("read-only token")
    user = request.user
    source = Source.objects.filter(slug=payload.source).first()
    if source is None or (source.protected and not _sees_protected(user)):
        raise ValidationError({"source": ["No such source."]})
    person = person_get(user, payload.person) if payload.person else None
    agreement = agreement_get(user, payload.agreement) if payload.agreement else None
    corrects = None
    if payload.corrects is not None:
        from detente.evidence.models import Claim

        corrects = Claim.objects.filter(pk=payload.corrects).first()
        if corrects is None:
            raise ValidationError({"corrects": ["No such claim."]})
    claim = claim_record(
        actor=user,  # type: ignore[arg-type]
        source=source,
        kind=payload.kind,
        person=person,
        agreement=agreement,
        status=payload.status,
        released_count=payload.released_count,
        event_date=payload.event_date,
        event_precision=payload.event_precision,
        received_at=payload.received_at,
        credibility=payload.credibility,
        corrects=corrects,
        evidence_text=payload.evidence_text,
        evidence_url=payload.evidence_url,
    )
    after = _statuses(person_detail(user, person).as_json()) if person else []
    return Status(
        201,
        {
            "id": claim.pk,
            "kind": claim.kind,
            "person": person.handle if person else None,
            "agreement": agreement.slug if agreement else None,
            "state_after": after,
        },
    )


def _sees_protected(user: Any) -> bool:
    from detente.access.policy import Action, can

    return can(user, Action.MANAGE)
