"""The match review queue in the REST API: list, detail, decide.

Mounted by ``detente.api.main`` (``api.add_router("", build_router())``); the same
token auth, cursors and problem+json errors as every other operation. Staff read the
queue; verifiers and administrators decide (an analyst's decision is refused with 403),
one row at a time or in bulk (every row of an import at or above a probability, once the
caller has said how many it expects).
"""

from __future__ import annotations

from typing import Any, Literal

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Field, Path, Query, Router, Schema

from detente.access.policy import Action, require
from detente.access.sources import shown_slug
from detente.api.pagination import paginate
from detente.api.schemas import (
    DOWNLOAD_RESPONSES,
    NO_NUL,
    DownloadQuery,
    Handle,
    Paged,
    PageQuery,
    answers,
)
from detente.core.errors import invalid
from detente.core.exports import export
from detente.reconcile.models import ImportRow, ImportRun
from detente.reconcile.selectors import (
    BULK_FLOOR,
    MATCH_REVIEW_COLUMNS,
    bulk_rows,
    candidates_seen_by,
    match_review_download,
    match_review_get,
    match_review_queue,
    row_name,
    run_get,
)
from detente.reconcile.services import (
    match_review_accept,
    match_review_accept_bulk,
    match_review_choose,
    match_review_reject,
)
from detente.registry.selectors import person_get

# The codes of reconcile.models.Reason (a test checks that they are the same).
ReasonCode = Literal[
    "grey_zone",
    "close_runner_up",
    "given_names",
    "sex",
    "birth_date",
    "place",
    "names_only",
    "taken",
    "possible_duplicate",
]


class ReviewFilter(PageQuery):
    run: int | None = Field(None, ge=1, le=2**31 - 1, description="Only this import.")
    decided: bool = Field(False, description="The decided rows instead of the waiting ones.")
    above: float | None = Field(
        None, ge=0, le=1, description="Best candidate's probability at least this."
    )
    below: float | None = Field(
        None, ge=0, le=1, description="Best candidate's probability at most this."
    )
    reason: ReasonCode | None = Field(None, description="Only rows queued for this reason.")


class ReviewDownload(DownloadQuery):
    run: int | None = Field(None, ge=1, le=2**31 - 1, description="Only this import.")
    above: float | None = Field(
        None, ge=0, le=1, description="Best candidate's probability at least this."
    )
    below: float | None = Field(
        None, ge=0, le=1, description="Best candidate's probability at most this."
    )
    reason: ReasonCode | None = Field(None, description="Only rows queued for this reason.")


class ReviewItem(Schema):
    id: int
    run: int
    row: int
    name: str
    status: str
    event_date: str
    best_candidate: str | None
    probability: float | None
    reason: str | None = Field(description="Why the row was queued (null: not recorded).")
    decision: str | None
    person: str | None


class ReviewPage(Paged):
    items: list[ReviewItem]


class CandidateOut(Schema):
    handle: str
    name: str | None = Field(description="Null when this user may not see the identity.")
    probability: float
    explanation: dict[str, Any]


class RowOut(ReviewItem):
    source: str
    agreement: str | None
    parsed: dict[str, Any]
    candidates: list[CandidateOut]
    decided_by: str | None
    decided_at: str | None
    note: str


class DecisionIn(Schema):
    decision: Literal["accept", "reject", "choose"]
    person: Handle | None = Field(None, description="With `choose`: the person it is.")
    note: str = Field("", max_length=2000, pattern=NO_NUL)


class BulkIn(Schema):
    run: int = Field(..., ge=1, le=2**31 - 1, description="The import.")
    above: float = Field(
        ...,
        ge=BULK_FLOOR,
        le=1,
        description="Accept the rows whose best candidate is at least this likely.",
    )
    reason: ReasonCode | None = Field(
        None,
        description="Only rows queued for this reason. Without one: any reason but "
        "`given_names`, `sex` and `taken`, which are accepted in bulk only when named.",
    )
    expected: int | None = Field(
        None,
        ge=0,
        le=2**31 - 1,
        description="How many rows you were shown (by a `dry_run`): refused with 422 when "
        "that many no longer match. Required unless `dry_run`.",
    )
    dry_run: bool = Field(False, description="Only count the rows (and list their ids).")
    note: str = Field("", max_length=2000, pattern=NO_NUL)


class BulkOut(Schema):
    run: int
    count: int = Field(description="The rows that match.")
    accepted: int = Field(description="The rows accepted (0 on a dry run).")
    rows: list[int] = Field(description="The ids of the rows that match, in row order.")


class RunOut(Schema):
    id: int
    source: str
    agreement: str | None
    file_name: str
    sha256: str
    format: str
    rows: int
    linked: int
    queued: int
    new: int
    rejected: int
    unchanged: int
    link_above: float
    review_above: float
    digest: str
    created_at: str


def _item(row: ImportRow) -> dict[str, Any]:
    return {
        "id": row.pk,
        "run": row.run_id,
        "row": row.number,
        "name": row_name(row),
        "status": row.data.get("status", ""),
        "event_date": row.data.get("event_date", ""),
        "best_candidate": row.candidates[0].get("handle") if row.candidates else None,
        "probability": row.probability,
        "reason": row.reason or None,
        "decision": row.decision or None,
        "person": row.person.handle if row.person else None,
    }


def _detail(request: HttpRequest, row: ImportRow) -> dict[str, Any]:
    run = row.run
    return {
        **_item(row),
        "source": shown_slug(request.user, run.source),
        "agreement": run.agreement.slug if run.agreement else None,
        "parsed": row.data,
        "candidates": [
            {
                "handle": c.handle,
                "name": c.name,
                "probability": c.probability,
                "explanation": c.explanation,
            }
            for c in candidates_seen_by(request.user, row)
        ],
        "decided_by": row.decided_by.username if row.decided_by else None,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "note": row.decision_note,
    }


def _run(run: ImportRun, request: HttpRequest) -> dict[str, Any]:
    """The import as every door shows it (``reconcile.jobs.import_run_summary``: a
    protected source as "protected" to those who do not manage sources), under this
    operation's field names."""
    from detente.reconcile.jobs import import_run_summary

    shown = import_run_summary(request.user, run)
    return {
        "id": shown["run"],
        "source": shown["source"],
        "agreement": shown["agreement"],
        "file_name": shown["file"],
        "sha256": shown["sha256"],
        "format": shown["format"],
        "rows": shown["rows"],
        "linked": shown["linked"],
        "queued": shown["queued"],
        "new": shown["new"],
        "rejected": shown["rejected"],
        "unchanged": shown["unchanged"],
        "link_above": shown["link_above"],
        "review_above": shown["review_above"],
        "digest": run.digest,
        "created_at": shown["created_at"],
    }


RowPath = Path(..., ge=1, le=2**53 - 1, description="The queued row's id.")


def build_router() -> Router:
    """A new router with the queue's operations (a router belongs to one API)."""
    router = Router(tags=["reconciliation"])

    @router.get(
        "/imports/{run_id}",
        response=answers(200, RunOut, lookup=True),
        summary=gettext_noop("Show an import's summary"),
    )
    def show_import(request: HttpRequest, run_id: int = RowPath) -> dict[str, Any]:
        """What one import did: rows linked, queued, new, unchanged; its digest (staff)."""
        return _run(run_get(request.user, run_id), request)

    @router.get(
        "/match-review",
        response=answers(200, ReviewPage, paged=True, forbidden=True, lookup=True),
        summary=gettext_noop("List the match review queue"),
    )
    def list_queue(request: HttpRequest, query: Query[ReviewFilter]) -> dict[str, Any]:
        """Rows of imports waiting for a decision (or decided ones), by import and row
        (staff; 403 for others)."""
        run = run_get(request.user, query.run) if query.run else None
        qs = match_review_queue(
            request.user,
            run=run,
            decided=query.decided,
            above=query.above,
            below=query.below,
            reason=query.reason,
        )
        rows, links = paginate(
            request,
            qs,
            scope="reconcile-review",
            keys=("run_id", "number", "id"),
            cursor=query.cursor,
            limit=query.limit,
        )
        return {"items": [_item(r) for r in rows], **links}

    @router.get(
        "/match-review/export",
        response=answers(200, None, forbidden=True, lookup=True),
        summary=gettext_noop("Download the match review queue"),
        openapi_extra=DOWNLOAD_RESPONSES,
    )
    def export_queue(request: HttpRequest, query: Query[ReviewDownload]) -> HttpResponse:
        """The waiting rows the filters select, every page, as CSV, Excel or JSON (the
        staff page's download): the list's values and each row's candidates, by handle and
        probability, names only where this user may see them; recorded in the ledger
        (staff; 403 for others)."""
        require(request.user, Action.READ)
        run = run_get(request.user, query.run) if query.run else None
        rows = match_review_download(
            request.user,
            fmt=query.format,
            run=run,
            above=query.above,
            below=query.below,
            reason=query.reason,
        )
        return export("review-queue", query.format, MATCH_REVIEW_COLUMNS, rows)

    @router.post(
        "/match-review/bulk",
        response=answers(200, BulkOut, lookup=True, write=True),
        summary=gettext_noop("Accept the rows of an import at or above a probability"),
    )
    def decide_bulk(request: HttpRequest, body: BulkIn) -> dict[str, Any]:
        """Accept, in one transaction, every waiting row of the import whose best candidate
        is at or above `above` (and of `reason`; without one, of any reason but the given
        names or the sex differing, or the person taken by another row). Count them first
        (`dry_run`) and send the count as `expected`: when that many no longer match,
        nothing is done (422 on `expected`). Each row is decided as a
        single acceptance is (its claim, its ledger entry with the evidence), after one
        ledger entry for the batch. Verifiers and administrators only (403 for analysts)."""
        user = request.user
        assert isinstance(user, User)  # noqa: S101 - a token always has a user
        require(user, Action.MANAGE)
        run = run_get(user, body.run)
        if body.dry_run:
            rows = bulk_rows(user, run=run, above=body.above, reason=body.reason)
            ids = list(rows.values_list("id", flat=True))
            return {"run": run.pk, "count": len(ids), "accepted": 0, "rows": ids}
        if body.expected is None:
            raise invalid("expected", _("Say how many rows you expect (count them first)."))
        done = match_review_accept_bulk(
            actor=user,
            run=run,
            above=body.above,
            reason=body.reason,
            expected=body.expected,
            note=body.note,
        )
        ids = [r.pk for r in done]
        return {"run": run.pk, "count": len(ids), "accepted": len(ids), "rows": ids}

    @router.get(
        "/match-review/{row_id}",
        response=answers(200, RowOut, lookup=True),
        summary=gettext_noop("Show a queued row with its candidates"),
    )
    def show_row(request: HttpRequest, row_id: int = RowPath) -> dict[str, Any]:
        """The row as the list gave it, and each candidate with its probability and the
        explanation of its score (names only where the user may see them)."""
        return _detail(request, match_review_get(request.user, row_id))

    @router.post(
        "/match-review/{row_id}",
        response=answers(200, RowOut, lookup=True, write=True),
        summary=gettext_noop("Decide a queued row"),
    )
    def decide(request: HttpRequest, body: DecisionIn, row_id: int = RowPath) -> dict[str, Any]:
        """Accept the best candidate, reject (a new person) or choose another person.
        The row's claim is recorded and the decision written to the ledger with the
        evidence. Verifiers and administrators only (403 for analysts)."""
        user = request.user
        assert isinstance(user, User)  # noqa: S101 - a token always has a user
        require(user, Action.MANAGE)  # the services' own check, made before any lookup
        row = match_review_get(user, row_id)
        if body.decision == "accept":
            row = match_review_accept(actor=user, row=row, note=body.note)
        elif body.decision == "reject":
            row = match_review_reject(actor=user, row=row, note=body.note)
        else:
            if not body.person:
                raise invalid("person", _("Say which person the row is (a handle)."))
            try:
                person = person_get(user, body.person)
            except Http404:
                raise invalid("person", _("No such person.")) from None
            row = match_review_choose(actor=user, row=row, person=person, note=body.note)
        return _detail(request, match_review_get(user, row.pk))

    from detente.api.routes.import_jobs import add_routes

    add_routes(router)  # uploading an import, following it, its rows
    return router


router = build_router()
