"""Imports in the REST API: upload a list (a background job), follow it, read the rows.

Added to the reconciliation router by :func:`add_routes` (``api.routes.imports.build_router``):
the same token auth, cursors and problem+json errors as every other operation.

* ``POST /api/imports`` (multipart: the file and the options) makes an import job, maps
  the columns (by their names, or by ``mapping``) and starts its dry run, or with
  ``dry_run=false`` the import itself, in the background: ``202`` with the job.
* ``GET /api/imports/jobs/{job_id}``: the job's state, progress and summaries (its
  creator, verifiers and administrators; ``404`` for anyone else).
* ``POST /api/imports/jobs/{job_id}/start``: import a checked job (its creator).
* ``GET /api/imports/{run_id}/rows``: what became of each row of a stored import, by
  handle (staff), in the file's order, cursor-paged.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Field, File, Form, Path, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from detente.access.policy import Action, require
from detente.agreements.selectors import agreement_get
from detente.api.pagination import paginate
from detente.api.schemas import MAX_ID, NO_NUL, Paged, PageQuery, Slug, answers
from detente.core.errors import invalid
from detente.evidence.selectors import source_as_seen, source_get
from detente.reconcile import jobs, services
from detente.reconcile.importer import LINK_ABOVE, REVIEW_ABOVE
from detente.reconcile.models import ImportJob, JobState, Mode
from detente.reconcile.rows import parse_status


class ImportIn(Schema):
    source: Slug = Field(description="The source whose list it is.")
    agreement: Slug | None = Field(None, description="Name the people on this agreement.")
    mode: Mode = Field(Mode.MATCH, description="`match` against the registry, or `own`.")
    reported_on: dt.date | None = Field(None, description="The day the list was published.")
    status: str | None = Field(
        None, max_length=64, pattern=NO_NUL, description="The status of rows without one."
    )
    event_date: dt.date | None = Field(None, description="The event date of rows without one.")
    mapping: str | None = Field(
        None,
        max_length=20_000,
        pattern=NO_NUL,
        description='JSON `{"our column": "their header"}`; by default headers are matched '
        "by their names.",
    )
    encoding: str = Field(
        "",
        max_length=32,
        pattern=NO_NUL,
        description="A CSV's text encoding (utf-8, utf-16, cp1252, latin-1, mac_roman); "
        "empty: detected.",
    )
    link_above: float = Field(LINK_ABOVE, gt=0, le=1)
    review_above: float = Field(REVIEW_ABOVE, gt=0, le=1)
    dry_run: bool = Field(True, description="Only check (the default); false imports.")


class ImportProgressOut(Schema):
    phase: str = Field(description="validate, match or write; empty before the task starts.")
    done: int
    total: int


class ImportJobOut(Schema):
    id: int
    state: JobState
    file_name: str
    format: str
    sha256: str
    size: int
    source: str
    agreement: str | None
    mode: Mode
    reported_on: dt.date | None
    default_status: str | None
    default_event_date: dt.date | None
    headers: list[str]
    mapping: dict[str, str]
    link_above: float
    review_above: float
    progress: ImportProgressOut
    dry_run: dict[str, Any] | None = Field(
        description="What the dry run found: counts, errors with row and column, examples."
    )
    summary: dict[str, Any] | None = Field(description="What the import did.")
    run: int | None = Field(description="The stored import (`GET /api/imports/{id}`).")
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ImportCandidateOut(Schema):
    handle: str
    probability: float | None


class ImportRowOut(Schema):
    row: int = Field(description="The row as a spreadsheet counts it (the header is row 1).")
    external_id: str
    outcome: str
    reason: str
    person: str | None
    probability: float | None
    candidates: list[ImportCandidateOut]
    decision: str | None


class ImportRowPage(Paged):
    items: list[ImportRowOut]


def job_out(request: HttpRequest, job: ImportJob) -> dict[str, Any]:
    progress = jobs.job_progress(job)
    checked = dict(job.dry_run_summary) if job.dry_run_summary else None
    if checked is not None and checked.get("examples"):
        checked["examples"] = jobs.examples_seen_by(request.user, job)
    return {
        "id": job.pk,
        "state": job.state,
        "file_name": job.file_name,
        "format": job.format,
        "sha256": job.sha256,
        "size": job.size,
        "source": source_as_seen(request.user, job.source).slug,
        "agreement": job.agreement.slug if job.agreement else None,
        "mode": job.mode,
        "reported_on": job.reported_on,
        "default_status": job.default_status or None,
        "default_event_date": job.default_event_date,
        "headers": job.headers,
        "mapping": job.mapping,
        "link_above": job.link_above,
        "review_above": job.review_above,
        "progress": {"phase": progress.phase, "done": progress.done, "total": progress.total},
        "dry_run": checked,
        "summary": job.summary,
        "run": job.run_id,
        "created_by": job.created_by.get_username(),
        "created_at": job.created_at,
        "updated_at": job.updated_at,
    }


def _mapping(text: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise invalid("mapping", _("The mapping is not valid JSON.")) from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise invalid("mapping", _("The mapping must be a JSON object of column names."))
    return data


def _mapping_errors(error: ValidationError) -> ValidationError:
    """Problems with our columns, named as the client sent them: ``mapping.<column>``."""
    if not hasattr(error, "error_dict"):
        return error
    kept = ("state", "default_status", "default_event_date")
    return ValidationError(
        {(k if k in kept else f"mapping.{k}"): v for k, v in error.message_dict.items()}
    )


JobPath = Path(..., ge=1, le=MAX_ID, description="The import job's number.")
RunPath = Path(..., ge=1, le=MAX_ID, description="The import's number.")


def add_routes(router: Router) -> None:
    @router.post(
        "/imports",
        response=answers(202, ImportJobOut, forbidden=True, write=True),
        summary=gettext_noop("Upload a list to import"),
    )
    def upload_import(
        request: HttpRequest, file: File[UploadedFile], options: Form[ImportIn]
    ) -> Any:
        """Upload a list (CSV, Excel or JSON; multipart) with the options of `detente import`.
        Its columns are mapped by their names (or by `mapping`), then the dry run (or, with
        `dry_run=false`, the import) runs in the background: follow it at
        `GET /api/imports/jobs/{id}`. Staff with a write token; the file is deleted once
        the job is over."""
        user = request.user
        assert isinstance(user, User)  # noqa: S101 - a token always has a user
        require(user, Action.RECORD)
        try:
            source = source_get(user, options.source)
        except Http404:
            raise invalid("source", _("No such source.")) from None
        agreement = None
        if options.agreement:
            try:
                agreement = agreement_get(user, options.agreement)
            except Http404:
                raise invalid("agreement", _("No such agreement.")) from None
        status = ""
        if options.status:
            try:
                status = parse_status(options.status)
            except ValueError as exc:
                raise invalid("status", str(exc)) from None
        mapping = _mapping(options.mapping) if options.mapping else None
        job = services.import_job_create(
            actor=user,
            upload=file,
            file_name=file.name or "",
            source=source,
            agreement=agreement,
            mode=options.mode,
            reported_on=options.reported_on,
            default_status=status,
            default_event_date=options.event_date,
            link_above=options.link_above,
            review_above=options.review_above,
            encoding=options.encoding,
        )
        try:
            job = services.import_job_map(
                actor=user,
                job=job,
                mapping=job.mapping if mapping is None else mapping,
                default_status=job.default_status,
                default_event_date=job.default_event_date,
            )
        except ValidationError as error:
            services.import_job_discard(actor=user, job=job)  # the file goes at once
            raise _mapping_errors(error) from None
        if options.dry_run:
            job = services.import_job_dry_run(actor=user, job=job)
        else:
            job = services.import_job_start(actor=user, job=job)
        return Status(202, job_out(request, jobs.import_job_get(user, job.pk)))

    @router.get(
        "/imports/jobs/{job_id}",
        response=answers(200, ImportJobOut, lookup=True),
        summary=gettext_noop("Follow an uploaded import"),
    )
    def show_job(request: HttpRequest, job_id: int = JobPath) -> dict[str, Any]:
        """An import job's state (uploaded, mapped, dry_run_running, dry_run_done, running,
        done, failed, abandoned), its progress, what the dry run found and what the
        import did. Its creator, verifiers and administrators; 404 for anyone else."""
        return job_out(request, jobs.import_job_get(request.user, job_id))

    @router.post(
        "/imports/jobs/{job_id}/start",
        response=answers(202, ImportJobOut, lookup=True, forbidden=True, write=True),
        summary=gettext_noop("Import an uploaded list once checked"),
    )
    def start_job(request: HttpRequest, job_id: int = JobPath) -> Any:
        """Import a job whose dry run found no problem (or one mapped and not yet checked:
        the import checks every row first), in the background. Only the user who uploaded
        it (403 for verifiers and administrators, who see it; 404 for anyone else); 422
        when the job cannot be imported now (its state, or problems the check found)."""
        user = request.user
        assert isinstance(user, User)  # noqa: S101 - a token always has a user
        require(user, Action.RECORD)
        job = services.import_job_start(actor=user, job=jobs.import_job_get(user, job_id))
        return Status(202, job_out(request, jobs.import_job_get(user, job.pk)))

    @router.get(
        "/imports/{run_id}/rows",
        response=answers(200, ImportRowPage, paged=True, lookup=True),
        summary=gettext_noop("List what became of each row of an import"),
    )
    def import_rows(
        request: HttpRequest, query: Query[PageQuery], run_id: int = RunPath
    ) -> dict[str, Any]:
        """Each row in the file's order: its outcome (linked, queued, new), why it was
        queued, the person it became (a handle), the best candidate's probability and the
        candidates (handles and probabilities; no names). Staff."""
        run = jobs.import_run_get(request.user, run_id)
        rows, links = paginate(
            request,
            jobs.import_run_rows(request.user, run),
            scope=f"import-rows-{run.pk}",
            keys=("number", "id"),
            cursor=query.cursor,
            limit=query.limit,
        )
        return {"items": [jobs.row_result(r) for r in rows], **links}
