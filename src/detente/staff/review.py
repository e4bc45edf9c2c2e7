"""The review queue of uncertain matches from imports: is this row someone already in the
registry (accept the best candidate, or choose another) or a new person (reject)?

Reads through ``reconcile.review`` (names only where the viewer may see them, recorded as
seen); decisions through its services, which record the row's claim and the ledger entry
with the scores as evidence.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from detente.access.policy import Action, can
from detente.matching.labels import field_label, level_label
from detente.reconcile.review import (
    candidates_seen_by,
    review_accept,
    review_choose,
    review_get,
    review_queue,
    review_reject,
    row_name,
)
from detente.registry.selectors import person_get
from detente.staff.common import apply_errors, staff_page

PAGE_SIZE = 25
ACCEPT, REJECT, CHOOSE = "accept", "reject", "choose"


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_lazy("Decision"),
        choices=[
            (ACCEPT, _lazy("Same person as the best candidate")),
            (CHOOSE, _lazy("Same person as another one (give the handle)")),
            (REJECT, _lazy("Nobody in the registry: record a new person")),
        ],
        widget=forms.RadioSelect,
    )
    handle = forms.CharField(label=_lazy("Handle"), required=False, max_length=16)
    note = forms.CharField(
        label=_lazy("Note"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == CHOOSE and not data.get("handle", "").strip():
            self.add_error("handle", _("Give the handle of the person this row is."))
        return data


def _fields(explanation: dict[str, Any]) -> list[dict[str, Any]]:
    """The explanation in words: each field, the level it reached, and its weight."""
    if "fields" in explanation:
        return [
            {
                "field": field_label(f["field"]),
                "level": level_label(f["field"], f["level"], f.get("description", "")),
                "weight": f.get("weight"),
            }
            for f in explanation["fields"]
        ]
    return [
        {"field": field_label(name), "level": level_label(name, level), "weight": None}
        for name, level in explanation.get("levels", {}).items()
    ]


@staff_page()
def review_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(review_queue(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {"row": r, "name": row_name(r), "best": (r.candidates or [{}])[0].get("probability")}
        for r in page.object_list
    ]
    return render(
        request, "staff/review_list.html", {"page": page, "rows": rows, "section": "review"}
    )


def _detail(request: HttpRequest, pk: int, form: DecisionForm, status: int = 200) -> HttpResponse:
    row = review_get(request.user, pk)
    candidates = [
        {"c": c, "fields": _fields(c.explanation)} for c in candidates_seen_by(request.user, row)
    ]
    context = {
        "row": row,
        "name": row_name(row),
        "data": row.data.get("person", {}),
        "candidates": candidates,
        "form": form,
        "can_decide": can(request.user, Action.MANAGE),
        "section": "review",
    }
    return render(request, "staff/review_detail.html", context, status=status)


@staff_page()
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk, DecisionForm())


@staff_page(Action.MANAGE)
@require_POST
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    row = review_get(request.user, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        actor: Any = request.user
        try:
            if data["decision"] == ACCEPT:
                review_accept(actor=actor, row=row, note=data["note"])
            elif data["decision"] == REJECT:
                review_reject(actor=actor, row=row, note=data["note"])
            else:
                try:
                    person = person_get(request.user, data["handle"])
                except Http404:
                    raise ValidationError({"handle": _("No person with this handle.")}) from None
                review_choose(actor=actor, row=row, person=person, note=data["note"])
        except ValidationError as error:
            apply_errors(form, error, {"decision": "decision", "note": "note"})
        else:
            messages.success(request, _("Row %(row)d decided.") % {"row": row.number})
            return redirect("staff:review")
    return _detail(request, pk, form, status=400)
