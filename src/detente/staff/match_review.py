"""The match review queue of uncertain matches from imports: is this row someone already in the
registry (one of its candidates, or another person found by a search) or a new person?

Reads through ``reconcile.selectors`` (names only where the viewer may see them, recorded
as seen); decisions through ``reconcile.services``, which record the row's claim and the
ledger entry with the scores as evidence.

Names never travel in an address: the queue's filters are ids and numbers, the search for
another person is a POST (answered with a fragment for htmx, or the whole page without
JavaScript). The keyboard shortcuts are ``staff/match_review.js``; every one of them stands
for a link or a button on the page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from detente.access.policy import Action, Viewer, can
from detente.access.sources import shown_name
from detente.core.dates import DatePrecision
from detente.core.exports import DOWNLOADS, FORMATS, export
from detente.matching.labels import field_label, level_label
from detente.reconcile.models import Decision, ImportRow, ImportRun, Reason
from detente.reconcile.selectors import (
    BULK_FLOOR,
    CAREFUL_REASONS,
    MATCH_REVIEW_COLUMNS,
    CandidateView,
    bulk_rows,
    candidates_seen_by,
    claim_preview,
    field_agreement,
    match_review_counts,
    match_review_download,
    match_review_get,
    match_review_neighbours,
    match_review_next,
    match_review_queue,
    match_review_runs,
    row_name,
    run_get,
)
from detente.reconcile.services import (
    match_review_accept,
    match_review_accept_bulk,
    match_review_choose,
    match_review_reject,
)
from detente.registry.models import Identity, Sex
from detente.registry.search import person_search
from detente.registry.selectors import person_get
from detente.staff.common import apply_errors, htmx_target, staff_page
from detente.staff.forms import StaffForm
from detente.staff.templatetags.staff_tags import precise_date

PAGE_SIZE = 25
SEARCH_RESULTS = 10
BULK_SAMPLE = 10
ACCEPT, REJECT, CHOOSE = "accept", "reject", "choose"
# Candidates 1 to 9 have a key each.
KEYED = 9

AGREEMENT_WORDS = {
    "agree": gettext_lazy("Agrees"),
    "partly": gettext_lazy("Partly"),
    "differ": gettext_lazy("Differs"),
    "missing": gettext_lazy("Not known"),
}
# A mark beside the word, for a reader scanning the table (the word says it too).
AGREEMENT_MARKS = {"agree": "✓", "partly": "≈", "differ": "✗", "missing": "\u2013"}


# --- Filters -------------------------------------------------------------------------------


class ProbabilityField(forms.FloatField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 1)
        super().__init__(widget=forms.NumberInput(attrs={"step": "0.01"}), **kwargs)


def _run_label(run: ImportRun, viewer: Viewer, waiting: int | None = None) -> str:
    label = f"#{run.pk} · {run.file_name} · {shown_name(viewer, run.source)}"
    if waiting is not None:
        label += " " + _("(%(n)d waiting)") % {"n": waiting}
    return label


class MatchReviewFilterForm(StaffForm):
    """The list's filters. Ids, numbers and codes only: they go into addresses."""

    run = forms.TypedChoiceField(label=gettext_lazy("Import"), coerce=int, required=False)
    above = ProbabilityField(label=gettext_lazy("Best candidate at least"))
    below = ProbabilityField(label=gettext_lazy("Best candidate at most"))
    reason = forms.ChoiceField(label=gettext_lazy("Why it was queued"), required=False)

    def __init__(
        self, *args: Any, runs: Iterable[ImportRun], viewer: Viewer, counts: dict[str, Any]
    ) -> None:
        super().__init__(*args)
        waiting = counts["runs"]
        self.runs = {r.pk: r for r in runs}
        self.fields["run"].choices = [  # type: ignore[attr-defined]
            ("", _("Every import (%(n)d waiting)") % {"n": counts["total"]}),
            *((r.pk, _run_label(r, viewer, waiting.get(r.pk, 0))) for r in self.runs.values()),
        ]
        reasons = counts["reasons"]
        self.fields["reason"].choices = [  # type: ignore[attr-defined]
            ("", _("Any reason")),
            *((value, f"{label} ({reasons.get(value, 0)})") for value, label in Reason.choices),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        above, below = data.get("above"), data.get("below")
        if above is not None and below is not None and above > below:
            self.add_error("below", _("The highest probability is below the lowest."))
        return data


@dataclass(frozen=True)
class Filters:
    """The queue's selection, as the selectors take it, and as an address's query."""

    run: ImportRun | None = None
    above: float | None = None
    below: float | None = None
    reason: str | None = None

    def selection(self) -> dict[str, Any]:
        return {"run": self.run, "above": self.above, "below": self.below, "reason": self.reason}

    def query(self, **more: Any) -> str:
        values = {
            "run": self.run.pk if self.run else None,
            "above": self.above,
            "below": self.below,
            "reason": self.reason,
            **more,
        }
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})


_NO_COUNTS: dict[str, Any] = {"total": 0, "runs": {}, "reasons": {}}


def _runs(request: HttpRequest) -> list[ImportRun]:
    """The imports with rows waiting, and the one the address names even if none waits
    now (the list a decision returns to after the last row of an import)."""
    runs = list(match_review_runs(request.user))
    wanted = request.GET.get("run", "")
    if wanted.isdigit() and int(wanted) not in {r.pk for r in runs}:
        with contextlib.suppress(Http404):
            runs.append(run_get(request.user, int(wanted)))
    return runs


def _selection(form: MatchReviewFilterForm) -> Filters:
    clean = getattr(form, "cleaned_data", {})
    return Filters(
        run=form.runs.get(clean.get("run") or 0),
        above=clean.get("above"),
        below=clean.get("below"),
        reason=clean.get("reason") or None,
    )


def _filters(request: HttpRequest) -> Filters:
    """The selection the address names (its valid parts)."""
    form = MatchReviewFilterForm(
        request.GET, runs=_runs(request), viewer=request.user, counts=_NO_COUNTS
    )
    form.is_valid()
    return _selection(form)


def _filter_form(request: HttpRequest) -> tuple[Filters, MatchReviewFilterForm]:
    """The list's filter form, with the counts of waiting rows per import and per reason
    (those within the import and probabilities chosen)."""
    runs = _runs(request)
    first = MatchReviewFilterForm(request.GET, runs=runs, viewer=request.user, counts=_NO_COUNTS)
    first.is_valid()
    chosen = _selection(first)
    counts = match_review_counts(
        request.user, run=chosen.run, above=chosen.above, below=chosen.below
    )
    form = MatchReviewFilterForm(request.GET or None, runs=runs, viewer=request.user, counts=counts)
    form.counts = counts  # type: ignore[attr-defined]
    if form.is_bound:
        form.is_valid()
    return _selection(form), form


# --- Error summaries (GOV.UK pattern: every error, each linking to its field) ---------------


def error_list(form: forms.Form, anchors: dict[str, str] | None = None) -> list[dict[str, str]]:
    """The form's errors for the summary: text and the id of the field to jump to."""
    anchors = anchors or {}
    out = []
    for field, errors in form.errors.items():
        label = ""
        if field == NON_FIELD_ERRORS:
            target = anchors.get(field, "")
        else:
            bound = form[field]
            target = anchors.get(field) or ("" if bound.is_hidden else bound.id_for_label)
            label = "" if bound.is_hidden or field in anchors else str(bound.label)
        for error in errors:
            text = _("%(field)s: %(error)s") % {"field": label, "error": error} if label else error
            out.append({"text": str(text), "href": f"#{target}" if target else ""})
    return out


# --- The list ------------------------------------------------------------------------------


class BulkChoiceForm(StaffForm):
    """Which rows to accept in bulk: one import, a probability, a reason."""

    run = forms.TypedChoiceField(label=gettext_lazy("Import"), coerce=int)
    above = forms.FloatField(
        label=gettext_lazy("Best candidate at or above"),
        min_value=BULK_FLOOR,
        max_value=1,
        initial=0.95,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
        help_text=gettext_lazy("A probability between 0.5 and 1."),
    )
    reason = forms.ChoiceField(label=gettext_lazy("Why they were queued"), required=False)

    def __init__(self, *args: Any, runs: Iterable[ImportRun], viewer: Viewer, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.runs = {r.pk: r for r in runs}
        self.fields["run"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose an import")),
            *((r.pk, _run_label(r, viewer)) for r in self.runs.values()),
        ]
        self.fields["reason"].choices = [  # type: ignore[attr-defined]
            ("", _("Any reason but a disagreement, a person taken or a close runner-up")),
            *Reason.choices,
        ]


class BulkConfirmForm(StaffForm):
    expected = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    note = forms.CharField(
        label=gettext_lazy("Note (kept with every decision)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea({"rows": 2}),
    )


def _row_item(row: ImportRow, filters: Filters) -> dict[str, Any]:
    best = next((c for c in row.candidates if c.get("handle")), None)
    return {
        "row": row,
        "name": row_name(row),
        "best": row.probability,
        "best_handle": best.get("handle") if best else None,
        "href": _row_url(row.pk, filters),
    }


def _row_url(pk: int, filters: Filters) -> str:
    query = filters.query()
    return reverse("staff:match_review_detail", args=[pk]) + (f"?{query}" if query else "")


def _list_url(filters: Filters) -> str:
    query = filters.query()
    return reverse("staff:match_review") + (f"?{query}" if query else "")


@staff_page()
@require_safe
def match_review_list(request: HttpRequest) -> HttpResponse:
    filters, form = _filter_form(request)
    qs = match_review_queue(request.user, **filters.selection())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    can_manage = can(request.user, Action.MANAGE)
    bulk = None
    if can_manage and filters.run is not None:
        start = filters.above if filters.above is not None and filters.above >= BULK_FLOOR else 0.95
        bulk = BulkChoiceForm(
            initial={"run": filters.run.pk, "above": start},
            runs=[filters.run],
            viewer=request.user,
            auto_id="bulk_%s",
        )
    errors = error_list(form) if form.is_bound else []
    context = {
        "page": page,
        "rows": [_row_item(r, filters) for r in page.object_list],
        "form": form,
        "counts": form.counts,  # type: ignore[attr-defined]
        "matching": page.paginator.count,
        "filtered": bool(filters.query()),
        "filter_query": filters.query(),
        "bulk": bulk,
        "can_manage": can_manage,
        "errors": errors,
        "section": "match_review",
        "formats": DOWNLOADS,
    }
    return render(request, "staff/match_review_list.html", context, status=400 if errors else 200)


@staff_page()
@require_safe
def match_review_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The waiting rows as filtered on the list, every page, as CSV, Excel or JSON: the
    list's values and the candidates, names only where the viewer may see them; the
    download is recorded in the ledger."""
    if fmt not in FORMATS:
        return export("review-queue", fmt, [], [])  # the 404 of an unknown format
    form = MatchReviewFilterForm(
        request.GET, runs=_runs(request), viewer=request.user, counts=_NO_COUNTS
    )
    if request.GET and not form.is_valid():
        return HttpResponseBadRequest(_("A filter is not valid; the rows were not exported."))
    rows = match_review_download(request.user, fmt=fmt, **_selection(form).selection())
    return export("review-queue", fmt, MATCH_REVIEW_COLUMNS, rows)


# --- One row -------------------------------------------------------------------------------


class DecisionForm(StaffForm):
    """What the buttons send: ``decision`` (accept, reject, or choose with ``handle``), or
    only a ``handle`` ("This is P-0123": choose that person), and the note."""

    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        required=False,
        choices=[
            (ACCEPT, gettext_lazy("Same person as the best candidate")),
            (CHOOSE, gettext_lazy("Same person as another one (give the handle)")),
            (REJECT, gettext_lazy("Nobody in the registry: record a new person")),
        ],
    )
    handle = forms.CharField(label=gettext_lazy("Handle"), required=False, max_length=16)
    note = forms.CharField(
        label=gettext_lazy("Note (optional, kept with the decision)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea({"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        handle = (data.get("handle") or "").strip()
        if not data.get("decision") and handle:
            data["decision"] = CHOOSE
        if not data.get("decision"):
            self.add_error("decision", _("Choose one of the decisions."))
        elif data["decision"] == CHOOSE and not handle:
            self.add_error("handle", _("Give the handle of the person this row is."))
        data["handle"] = handle
        return data


class PersonSearchForm(StaffForm):
    q = forms.CharField(
        label=gettext_lazy("Name or handle"),
        max_length=200,
        error_messages={"required": gettext_lazy("Type a name or a handle to search for.")},
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "spellcheck": "false",
                "autocapitalize": "none",
                "data-key": "/",
            }
        ),
    )


# Where each field's errors send the reader on the row page.
DECISION_ANCHORS = {"decision": "decisions", "handle": "id_q", "__all__": "decisions"}


def _value_lines(
    field: str, person: dict[str, Any] | Identity | None
) -> list[tuple[str, str]] | None:
    """One compared field of a record, as (sub-label, value) lines; None when not shown."""
    if person is None:
        return None

    def get(name: str) -> Any:
        if isinstance(person, dict):
            return person.get(name)
        return getattr(person, name)

    if field == "given_name":
        return [("", get("given_names") or "")]
    if field == "surnames":
        return [
            (_("First surname"), get("paternal_surname") or ""),
            (_("Second surname"), get("maternal_surname") or ""),
        ]
    if field == "birth_date":
        value = get("birth_date")
        if isinstance(value, str):
            value = dt.date.fromisoformat(value) if value else None
        precision = get("birth_precision") or DatePrecision.DAY
        return [("", precise_date(value, precision) if value else "")]
    if field == "sex":
        code = get("sex") or Sex.OTHER
        return [("", str(Sex(code).label) if code in Sex.values else code)]
    if field == "place":
        return [
            (_("Municipality"), get("municipality") or ""),
            (_("Province"), get("province") or ""),
        ]
    if field == "aliases":
        return [("", "; ".join(get("aliases") or []))]
    return [("", "")]


# The rows of the side-by-side table: the compared fields, then the aliases (not compared
# on their own: the best of a candidate's names is what "given names" and "surnames" used).
TABLE_FIELDS = (
    ("given_name", gettext_lazy("Given names")),
    ("surnames", gettext_lazy("Surnames")),
    ("birth_date", gettext_lazy("Birth date")),
    ("sex", gettext_lazy("Sex")),
    ("place", gettext_lazy("Place")),
    ("aliases", gettext_lazy("Aliases")),
)


def _levels(explanation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The stored explanation by field: level code, words, weight."""
    if "fields" in explanation:
        items = [
            (f["field"], f["level"], f.get("weight"), f.get("description", ""))
            for f in explanation["fields"]
        ]
    else:  # a linked row keeps the levels only
        items = [(k, v, None, "") for k, v in explanation.get("levels", {}).items()]
    out = {}
    for field, level, weight, description in items:
        agreement = field_agreement(field, level)
        out[field] = {
            "field": field_label(field),
            "level": level_label(field, level, description),
            "weight": weight,
            "agreement": agreement,
            "agreement_word": str(AGREEMENT_WORDS[agreement]),
            "mark": AGREEMENT_MARKS[agreement],
        }
    return out


def _table(row: ImportRow, candidates: list[CandidateView]) -> list[dict[str, Any]]:
    listed = row.data.get("person", {})
    levels = [_levels(c.explanation) for c in candidates]
    fields = list(TABLE_FIELDS)
    if any("name_order" in lv for lv in levels):
        fields.insert(2, ("name_order", gettext_lazy("Name order")))
    table = []
    for key, label in fields:
        table.append(
            {
                "key": key,
                "label": label,
                "list": _value_lines(key, listed) if key != "name_order" else [],
                "cells": [
                    {
                        "lines": _value_lines(key, c.identity) if key != "name_order" else [],
                        "hidden": c.identity is None,
                        "compared": lv.get(key),
                    }
                    for c, lv in zip(candidates, levels, strict=True)
                ],
            }
        )
    return table


def _detail(
    request: HttpRequest,
    row: ImportRow,
    *,
    form: DecisionForm | None = None,
    search: PersonSearchForm | None = None,
    results: list[Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    viewer = request.user
    filters = _filters(request)
    candidates = candidates_seen_by(viewer, row)
    previous, following = match_review_neighbours(viewer, row, **filters.selection())
    preview = claim_preview(viewer, row, candidates)
    query = filters.query()
    suffix = f"?{query}" if query else ""
    form = form or DecisionForm()
    search = search or PersonSearchForm()
    errors = error_list(form, DECISION_ANCHORS) + error_list(search)
    context = {
        "row": row,
        "name": row_name(row),
        "candidates": [
            {
                "c": c,
                "number": i,
                "key": str(i) if i <= KEYED else "",
                "named": preview.named.get(c.handle, False),
            }
            for i, c in enumerate(candidates, start=1)
        ],
        "table": _table(row, candidates),
        "claim": preview,
        "event_date": dt.date.fromisoformat(preview.event_date) if preview.event_date else None,
        "form": form,
        "search": search,
        "results": results,
        "searched": results is not None,
        "errors": errors,
        "can_decide": can(viewer, Action.MANAGE) and not row.decision,
        "previous": _row_url(previous, filters) if previous else None,
        "next": _row_url(following, filters) if following else None,
        "list_url": _list_url(filters),
        "decide_url": reverse("staff:match_review_decide", args=[row.pk]) + suffix,
        "search_url": reverse("staff:match_review_search", args=[row.pk]) + suffix,
        "keyed": min(len(candidates), KEYED),
        "section": "match_review",
    }
    return render(request, "staff/match_review_detail.html", context, status=status)


@staff_page()
@require_safe
def match_review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, match_review_get(request.user, pk))


def _done_message(row: ImportRow) -> str:
    values = {
        "row": row.number,
        "run": row.run_id,
        "handle": row.person.handle if row.person else "",
    }
    if row.decision == Decision.ACCEPTED:
        return _("Row %(row)d of import #%(run)d: accepted as %(handle)s.") % values
    if row.decision == Decision.REJECTED:
        return _("Row %(row)d of import #%(run)d: recorded as a new person, %(handle)s.") % values
    return _("Row %(row)d of import #%(run)d: linked to %(handle)s.") % values


@staff_page(Action.MANAGE)
@require_POST
def match_review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    row = match_review_get(request.user, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        actor: Any = request.user
        try:
            if data["decision"] == ACCEPT:
                done = match_review_accept(actor=actor, row=row, note=data["note"])
            elif data["decision"] == REJECT:
                done = match_review_reject(actor=actor, row=row, note=data["note"])
            else:
                try:
                    person = person_get(request.user, data["handle"])
                except Http404:
                    raise ValidationError({"handle": _("No person with this handle.")}) from None
                done = match_review_choose(actor=actor, row=row, person=person, note=data["note"])
        except ValidationError as error:
            apply_errors(form, error, {"person": "handle"})
        else:
            messages.success(request, _done_message(done))
            filters = _filters(request)
            following = match_review_next(request.user, done, **filters.selection())
            if following is None:
                messages.info(request, _("No other row waits in this selection."))
                return redirect(_list_url(filters))
            return redirect(_row_url(following, filters))
    return _detail(request, match_review_get(request.user, pk), form=form, status=400)


@staff_page(Action.MANAGE)
@require_POST
def match_review_search(request: HttpRequest, pk: int) -> HttpResponse:
    """Find the person a row is, when no candidate is: by name or handle, in a POST body.

    htmx gets the results alone (for ``#search-results``); without JavaScript the row's
    page comes back whole, with the results under the search box.
    """
    row = match_review_get(request.user, pk)
    search = PersonSearchForm(request.POST)
    results: list[Any] = []
    if search.is_valid():
        results = person_search(request.user, search.cleaned_data["q"], limit=SEARCH_RESULTS)
    if htmx_target(request) == "search-results":
        context = {
            "results": results,
            "searched": True,
            "search": search,
            "limit": SEARCH_RESULTS,
            "can_decide": not row.decision,
        }
        return render(request, "staff/partials/match_review_search_results.html", context)
    status = 200 if search.is_valid() else 400
    return _detail(request, row, search=search, results=results, status=status)


# --- In bulk -------------------------------------------------------------------------------


@staff_page(Action.MANAGE)
@require_http_methods(["GET", "HEAD", "POST"])
def match_review_bulk(request: HttpRequest) -> HttpResponse:
    """Accept every waiting row of an import at or above a probability: first the count and
    a sample (GET), then the acceptance of exactly that many (POST)."""
    viewer = request.user
    posted = request.method == "POST"
    data = request.POST if posted else request.GET
    choice = BulkChoiceForm(data or None, runs=match_review_runs(viewer), viewer=viewer)
    confirm = BulkConfirmForm(request.POST) if posted else None
    if posted and choice.is_valid() and confirm is not None and confirm.is_valid():
        picked = choice.cleaned_data
        try:
            done = match_review_accept_bulk(
                actor=viewer,  # type: ignore[arg-type]
                run=choice.runs[picked["run"]],
                above=picked["above"],
                reason=picked["reason"] or None,
                expected=confirm.cleaned_data["expected"],
                note=confirm.cleaned_data["note"],
            )
        except ValidationError as error:
            apply_errors(confirm, error, {"expected": "-", "rows": "-"})
        else:
            messages.success(
                request,
                _("%(n)d rows of import #%(run)d accepted as their best candidates.")
                % {"n": len(done), "run": picked["run"]},
            )
            return redirect(_list_url(Filters(run=choice.runs[picked["run"]])))
    selection = None
    if choice.is_bound and choice.is_valid():
        picked = choice.cleaned_data
        run = choice.runs[picked["run"]]
        rows = bulk_rows(viewer, run=run, above=picked["above"], reason=picked["reason"] or None)
        count = rows.count()
        selection = {
            "run": run,
            "run_label": _run_label(run, viewer),
            "above": picked["above"],
            "reason": picked["reason"],
            "reason_label": Reason(picked["reason"]).label if picked["reason"] else None,
            "careful": [Reason(r).label for r in CAREFUL_REASONS],
            "count": count,
            "sample": [_row_item(r, Filters(run=run)) for r in rows[:BULK_SAMPLE]],
            "confirm": BulkConfirmForm(
                initial={"expected": count, "note": confirm["note"].value() if confirm else ""}
            ),
        }
    errors = error_list(choice) if choice.is_bound else []
    if confirm is not None:
        errors += error_list(confirm, {"__all__": "bulk-count", "expected": "bulk-count"})
    context = {
        "choice": choice,
        "selection": selection,
        "errors": errors,
        "section": "match_review",
    }
    return render(request, "staff/match_review_bulk.html", context, status=400 if errors else 200)
