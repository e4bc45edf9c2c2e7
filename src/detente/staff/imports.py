"""Importing another organisation's list from the staff pages.

Upload the file with its options, map their columns to ours with a preview of the first
rows, check it (a dry run in the background, with examples of linked, queued and new
rows), confirm, follow the import, then open the review queue or download what became of
each row. Everything works without JavaScript; htmx only polls the progress.

The steps are ``reconcile.jobs`` services and selectors (who may see a job, what each step
writes to the ledger); these views only turn forms into their calls.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.http import HttpResponseClientRefresh

from detente.access.policy import Action, can
from detente.access.sources import shown_name
from detente.agreements.models import Agreement
from detente.agreements.selectors import agreement_list
from detente.evidence.models import Source
from detente.evidence.selectors import source_list
from detente.reconcile import jobs, services
from detente.reconcile.importer import LINK_ABOVE, REVIEW_ABOVE
from detente.reconcile.models import (
    ImportJob,
    ImportRun,
    JobState,
    Mode,
    Outcome,
    Reason,
    RunStatus,
)
from detente.reconcile.readers import COLUMNS
from detente.registry.status import CustodyStatus
from detente.staff.common import apply_errors, is_htmx, staff_page
from detente.staff.forms import DateInput, SourceField, StaffForm

PAGE_SIZE = 25
# Failed jobs stay in the list this long (their errors are on their page).
FAILED_SHOWN_DAYS = 14

COLUMN_LABELS = {
    "external_id": gettext_lazy("Their identifier"),
    "name": gettext_lazy("Full name"),
    "given_names": gettext_lazy("Given names"),
    "paternal_surname": gettext_lazy("First surname"),
    "maternal_surname": gettext_lazy("Second surname"),
    "aliases": gettext_lazy("Aliases"),
    "birth_date": gettext_lazy("Birth date"),
    "sex": gettext_lazy("Sex"),
    "province": gettext_lazy("Province"),
    "municipality": gettext_lazy("Municipality"),
    "status": gettext_lazy("Status"),
    "event_date": gettext_lazy("Date of the status"),
    "evidence": gettext_lazy("Evidence"),
    "arrest_date": gettext_lazy("Date of arrest"),
    "place_of_detention": gettext_lazy("Place of detention"),
    "url": gettext_lazy("Evidence link"),
    "reported_on": gettext_lazy("Day the list reported it"),
}
PHASES = {
    "validate": gettext_lazy("Checking every row"),
    "match": gettext_lazy("Matching against the registry"),
    "write": gettext_lazy("Writing to the registry"),
}
STATUS_CHOICES = [("", gettext_lazy("None: every row has its own")), *CustodyStatus.choices]


class UploadForm(StaffForm):
    file = forms.FileField(label=gettext_lazy("The list"))
    source = SourceField(
        label=gettext_lazy("Whose list it is"),
        queryset=Source.objects.none(),
        to_field_name="slug",
        empty_label=gettext_lazy("Choose a source"),
    )
    agreement = forms.ModelChoiceField(
        label=gettext_lazy("Name the people on the agreement"),
        queryset=Agreement.objects.none(),
        required=False,
        empty_label=gettext_lazy("None"),
        to_field_name="slug",
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("How the list meets the registry"),
        choices=Mode.choices,
        initial=Mode.MATCH,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Match another organisation's list against the people already recorded, or load "
            "our own list into a registry that does not hold it yet."
        ),
    )
    reported_on = forms.DateField(
        label=gettext_lazy("Published on"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("The day the list was published or received, if not today."),
    )
    default_status = forms.ChoiceField(
        label=gettext_lazy("Status for rows without one"), choices=STATUS_CHOICES, required=False
    )
    default_event_date = forms.DateField(
        label=gettext_lazy("Date of the status for rows without one"),
        required=False,
        widget=DateInput(),
    )
    encoding = forms.ChoiceField(
        label=gettext_lazy("Text encoding of a CSV file"),
        required=False,
        choices=[
            ("", gettext_lazy("Detect it")),
            ("utf-8", "UTF-8"),
            ("utf-16", gettext_lazy("UTF-16 (with a byte-order mark)")),
            ("cp1252", gettext_lazy("Windows-1252 (Excel on Windows)")),
            ("latin-1", "Latin-1 (ISO-8859-1)"),
            ("mac_roman", gettext_lazy("MacRoman (Excel for Mac)")),
        ],
        help_text=gettext_lazy(
            "Only when the detection cannot tell; Excel and JSON files need none."
        ),
    )
    link_above = forms.FloatField(
        label=gettext_lazy("Link automatically at or above this probability"),
        initial=LINK_ABOVE,
        min_value=0.0,
        max_value=1.0,
    )
    review_above = forms.FloatField(
        label=gettext_lazy("Send to review at or above this probability"),
        initial=REVIEW_ABOVE,
        min_value=0.0,
        max_value=1.0,
    )

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Archived sources and agreements take no new claims or members.
        sources = source_list(viewer).filter(archived_at__isnull=True).order_by("name")
        agreements = agreement_list(viewer).filter(archived_at__isnull=True).order_by("title")
        self.fields["source"].queryset = sources  # type: ignore[attr-defined]
        self.fields["agreement"].queryset = agreements  # type: ignore[attr-defined]
        mb = jobs.max_upload_bytes() // (1024 * 1024)
        self.fields["file"].help_text = _(
            "CSV, Excel (.xlsx) or JSON, at most %(mb)d MB. The first row names the columns."
        ) % {"mb": mb}
        advanced = ("encoding", "link_above", "review_above")
        self.advanced = [self[name] for name in advanced]
        self.basic = [f for f in self if f.name not in advanced]


class MappingForm(StaffForm):
    """For each of our columns, which of their headers holds it; and the defaults."""

    default_status = forms.ChoiceField(
        label=gettext_lazy("Status for rows without one"), choices=STATUS_CHOICES, required=False
    )
    default_event_date = forms.DateField(
        label=gettext_lazy("Date of the status for rows without one"),
        required=False,
        widget=DateInput(),
    )

    def __init__(self, *args: Any, job: ImportJob, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                **{f"map_{c}": job.mapping.get(c, "") for c in COLUMNS},
                "default_status": job.default_status,
                "default_event_date": job.default_event_date,
            },
        )
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the file —")), *((h, h) for h in job.headers)]
        for column in COLUMNS:
            self.fields[f"map_{column}"] = forms.ChoiceField(
                label=COLUMN_LABELS.get(column, column), choices=choices, required=False
            )
        self.order_fields([f"map_{c}" for c in COLUMNS])
        self.columns = [self[f"map_{c}"] for c in COLUMNS]
        self.defaults = [self["default_status"], self["default_event_date"]]

    def mapping(self) -> dict[str, str]:
        return {c: self.cleaned_data.get(f"map_{c}") or "" for c in COLUMNS}


RENAMES = {c: f"map_{c}" for c in COLUMNS}


def _form_errors(form: forms.Form) -> list[dict[str, str]]:
    """A form's errors for the error summary: each with a link to its field."""
    out = [{"href": "", "text": str(e)} for e in form.non_field_errors()]
    for bound in form:
        for error in bound.errors:
            out.append({"href": f"#{bound.id_for_label}", "text": f"{bound.label}: {error}"})
    return out


def _where(job: ImportJob, problem: dict[str, Any]) -> str:
    column = problem.get("column") or ""
    header = job.mapping.get(column, column) if column else ""
    row = problem.get("row")
    if row is not None and header:
        return _("Row %(row)s, column “%(column)s”") % {"row": row, "column": header}
    if row is not None:
        return _("Row %(row)s") % {"row": row}
    if header:
        return _("Column “%(column)s”") % {"column": header}
    return ""


def _summary_errors(
    job: ImportJob,
    summary: dict[str, Any] | None,
    preview_rows: set[int],
    *,
    mapping_shown: bool = False,
) -> list[dict[str, str]]:
    """The problems a check or an import found, each with where it is and a link: to the
    row in the preview when it is there, else to the column's choice in the mapping."""
    out = []
    editable = mapping_shown and job.state in jobs.EDITABLE
    for problem in (summary or {}).get("errors") or []:
        where = _where(job, problem)
        text = f"{where}: {problem.get('message', '')}" if where else str(problem.get("message"))
        href = ""
        if problem.get("row") in preview_rows:
            href = f"#preview-row-{problem['row']}"
        elif editable and problem.get("column") in COLUMNS:
            href = f"#id_map_{problem['column']}"
        out.append({"href": href, "text": text})
    return out


def _source_shown(viewer: Any, source: Source) -> str:
    return shown_name(viewer, source)


def _post_only(request: HttpRequest) -> HttpResponse | None:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return None


# --- The list --------------------------------------------------------------------------------


@staff_page()
@require_safe
def imports(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    page = Paginator(jobs.import_runs(viewer), PAGE_SIZE).get_page(request.GET.get("page"))
    runs = [{"run": r, "source": _source_shown(viewer, r.source)} for r in page.object_list]
    recent = timezone.now() - dt.timedelta(days=FAILED_SHOWN_DAYS)
    waiting = (
        jobs.import_jobs(viewer)
        .exclude(state__in=(JobState.DONE, JobState.ABANDONED))
        .exclude(state=JobState.FAILED, updated_at__lt=recent)[:50]
    )
    context = {
        "page": page,
        "runs": runs,
        "jobs": [{"job": j, "source": _source_shown(viewer, j.source)} for j in waiting],
        "can_import": can(viewer, Action.RECORD),
        "section": "imports",
    }
    return render(request, "staff/imports_list.html", context)


@staff_page(Action.RECORD)
@require_http_methods(["GET", "HEAD", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    form = UploadForm(request.POST or None, request.FILES or None, viewer=viewer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            job = services.import_job_create(
                actor=request.user,  # type: ignore[arg-type]
                upload=upload,
                file_name=upload.name or "",
                source=data["source"],
                agreement=data["agreement"],
                mode=data["mode"],
                reported_on=data["reported_on"],
                default_status=data["default_status"],
                default_event_date=data["default_event_date"],
                link_above=data["link_above"],
                review_above=data["review_above"],
                encoding=data["encoding"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect("staff:import_job", pk=job.pk)
    status = 400 if form.is_bound else 200
    context = {"form": form, "errors": _form_errors(form), "section": "imports"}
    return render(request, "staff/imports_new.html", context, status=status)


# --- One job ---------------------------------------------------------------------------------


def _job_page(
    request: HttpRequest,
    job: ImportJob,
    form: MappingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    viewer = request.user
    owner = job.created_by_id == viewer.pk
    context: dict[str, Any] = {
        "job": job,
        "source": _source_shown(viewer, job.source),
        "owner": owner,
        "section": "imports",
        "errors": [],
    }
    preview_rows: set[int] = set()
    if job.state in jobs.EDITABLE and owner:
        preview = jobs.import_job_preview(viewer, job)
        preview_rows = {r.number for r in preview.rows}
        for r in preview.rows:
            for p in r.problems:  # their header, as the file names it
                p["column"] = job.mapping.get(p["column"], p["column"]) if p["column"] else ""
        form = form or MappingForm(job=job)
        context.update(form=form, preview=preview)
        context["errors"] += _form_errors(form)
        context["errors"] += [{"href": "#preview", "text": p["message"]} for p in preview.problems]
    if job.state == JobState.DRY_RUN_DONE:
        checked = job.dry_run_summary or {}
        context["checked"] = checked
        context["checked_ok"] = checked.get("status") != RunStatus.FAILED
        context["errors"] += _summary_errors(job, checked, preview_rows, mapping_shown=owner)
        if context["checked_ok"]:
            examples = jobs.examples_seen_by(viewer, job)
            reasons = dict(Reason.choices)
            for items in examples.values():
                for item in items:
                    item["reason"] = reasons.get(item["reason"], item["reason"])
            context["examples"] = [
                (Outcome(o).label, examples.get(o, [])) for o in ("linked", "queued", "new")
            ]
            context["has_examples"] = any(items for _label, items in context["examples"])
            context["reasons"] = [
                (reasons.get(code, code), n) for code, n in (checked.get("reasons") or {}).items()
            ]
    if job.state in jobs.ACTIVE:
        context["progress"] = _progress(job)
    if job.state == JobState.FAILED:
        context["errors"] += _summary_errors(job, job.summary, set())
    if job.state == JobState.DONE and job.run is not None:
        context["run"] = job.run
    elif job.state == JobState.DONE:
        # Nothing was added (every row seen before): no import was stored; say so.
        context["final"] = job.summary or {}
    context["can_discard"] = (owner or can(viewer, Action.MANAGE)) and (
        job.state in jobs.EDITABLE or jobs.task_stopped(job)
    )
    return render(request, "staff/imports_job.html", context, status=status)


def _progress(job: ImportJob) -> dict[str, Any]:
    progress = jobs.job_progress(job)
    return {
        "phase": PHASES.get(progress.phase, _("Working")) if progress.phase else "",
        "done": progress.done,
        "total": progress.total,
        "percent": progress.percent,
        "stopped": jobs.task_stopped(job),
        "dry_run": job.state == JobState.DRY_RUN_RUNNING,
    }


@staff_page(Action.RECORD)
@require_safe
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    return _job_page(request, jobs.import_job_get(request.user, pk))


@staff_page(Action.RECORD)
def import_map(request: HttpRequest, pk: int) -> HttpResponse:
    job = jobs.import_job_get(request.user, pk)
    if refused := _post_only(request):
        return refused
    form = MappingForm(request.POST, job=job)
    if form.is_valid():
        actor: Any = request.user
        try:
            job = services.import_job_map(
                actor=actor,
                job=job,
                mapping=form.mapping(),
                default_status=form.cleaned_data["default_status"],
                default_event_date=form.cleaned_data["default_event_date"],
            )
            if request.POST.get("action") == "check":
                services.import_job_dry_run(actor=actor, job=job)
                return redirect("staff:import_job", pk=job.pk)
        except ValidationError as error:
            apply_errors(form, error, RENAMES)
        else:
            return redirect(reverse("staff:import_job", kwargs={"pk": job.pk}) + "#preview")
    return _job_page(request, jobs.import_job_get(request.user, pk), form, status=400)


@staff_page(Action.RECORD)
def import_start(request: HttpRequest, pk: int) -> HttpResponse:
    job = jobs.import_job_get(request.user, pk)
    if refused := _post_only(request):
        return refused
    try:
        services.import_job_start(actor=request.user, job=job)  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("staff:import_job", pk=job.pk)


@staff_page(Action.RECORD)
def import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    job = jobs.import_job_get(request.user, pk)
    if refused := _post_only(request):
        return refused
    try:
        services.import_job_discard(actor=request.user, job=job)  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("staff:import_job", pk=job.pk)
    messages.success(request, _("The import was discarded and its file deleted."))
    return redirect("staff:imports")


@staff_page(Action.RECORD)
@require_safe
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment, polled by htmx; when the task is over, htmx reloads the page."""
    job = jobs.import_job_get(request.user, pk)
    if job.state not in jobs.ACTIVE and is_htmx(request):
        return HttpResponseClientRefresh()
    context = {"job": job, "progress": _progress(job) if job.state in jobs.ACTIVE else None}
    return render(request, "staff/imports_progress.html", context)


# --- Stored imports --------------------------------------------------------------------------


@staff_page()
@require_safe
def import_run(request: HttpRequest, pk: int) -> HttpResponse:
    run = jobs.import_run_get(request.user, pk)
    context = {"run": run, "source": _source_shown(request.user, run.source), "section": "imports"}
    return render(request, "staff/imports_run.html", context)


@staff_page()
@require_safe
def import_rows_csv(request: HttpRequest, pk: int) -> HttpResponse:
    run: ImportRun = jobs.import_run_get(request.user, pk)
    response = HttpResponse(
        jobs.import_run_rows_csv(request.user, run), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-rows.csv"'
    return response
