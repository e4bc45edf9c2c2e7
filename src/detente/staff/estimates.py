"""Estimating how many people no list names (multiple systems estimation), for staff.

A read: the form is sent with GET, so an estimate can be bookmarked and shared with a
colleague, and nothing is written. The figures come from the same function as
``detente estimate`` and the API (``evidence.estimates.registry_estimate``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from detente.agreements.selectors import agreement_list
from detente.evidence.estimates import import_names, import_runs, registry_estimate
from detente.evidence.selectors import source_list
from detente.staff.common import apply_errors, staff_page
from detente.web.charts import interval_chart

METHOD_CHOICES = [
    ("independence", _("Log-linear, independent lists")),
    ("stepwise", _("Log-linear, stepwise selection")),
    ("aic", _("Log-linear, best by AIC")),
    ("bic", _("Log-linear, best by BIC")),
    ("bma", _("Bayesian model averaging (up to 5 lists)")),
    ("lcmcr", _("Latent classes, LCMCR (3 lists or more; takes up to a minute)")),
]
# The engine names its methods in English (it is pure Python, shared with the CLI's JSON);
# the page shows them in the reader's language.
METHOD_LABELS = {
    "log-linear, independence": _("Log-linear, independent lists"),
    "log-linear, stepwise": _("Log-linear, stepwise selection"),
    "log-linear, AIC": _("Log-linear, best by AIC"),
    "log-linear, BIC": _("Log-linear, best by BIC"),
    "decomposable-graph BMA": _("Bayesian model averaging"),
    "latent class (LCMCR)": _("Latent classes (LCMCR)"),
    "log-linear, stratified": _("Log-linear, summed over strata"),
}
STRATA_CHOICES = [
    ("", _("No strata")),
    ("province", _("Province")),
    ("arrest-year", _("Year of first arrest")),
]


class EstimateForm(forms.Form):
    lists = forms.MultipleChoiceField(
        label=_("Lists"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Choose 2 to 10 lists: sources' lists, the people named on an agreement, or an "
            "import's list."
        ),
    )
    methods = forms.MultipleChoiceField(
        label=_("Methods"),
        choices=METHOD_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=["independence", "stepwise"],
    )
    stratify = forms.ChoiceField(label=_("Estimate by"), choices=STRATA_CHOICES, required=False)

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The selector's rule: protected sources exist only for verifiers and administrators.
        sources = source_list(viewer).order_by("name")
        choices = [(f"source:{s.slug}", _("Source: %(name)s") % {"name": s.name}) for s in sources]
        choices += [
            (f"agreement:{a.slug}", _("Agreement: %(title)s") % {"title": a.shown_title})
            for a in agreement_list(viewer)
        ]
        # Imports by their source and day: rows still waiting for review are not counted,
        # and the result shows them resolved both ways.
        choices += [
            (f"import:{run.pk}", _("Import: %(list)s") % {"list": import_names(run)[1]})
            for run in import_runs(viewer)
        ]
        self.fields["lists"].choices = choices  # type: ignore[attr-defined]

    def clean_lists(self) -> list[str]:
        chosen: list[str] = self.cleaned_data["lists"]
        if not 2 <= len(chosen) <= 10:
            raise ValidationError(_("Choose between 2 and 10 lists."))
        return chosen


@staff_page()
@require_safe
def estimates(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    form = EstimateForm(request.GET if "lists" in request.GET else None, viewer=viewer)
    result: dict[str, Any] | None = None
    if form.is_bound and form.is_valid():
        try:
            result = registry_estimate(
                viewer,
                form.cleaned_data["lists"],
                methods=form.cleaned_data["methods"],
                stratify=form.cleaned_data["stratify"],
            )
        except ValidationError as exc:
            apply_errors(form, exc, {"lists": "lists", "methods": "methods"})
        except Http404:
            form.add_error("lists", _("One of these lists no longer exists."))
    context: dict[str, Any] = {"form": form, "section": "estimates", "result": result}
    if result is not None:
        labels = dict(form.fields["lists"].choices)  # type: ignore[attr-defined]
        names = list(result["lists"])
        context["list_labels"] = [labels.get(n, n) for n in names]
        context["patterns"] = [
            ([n in p["lists"] for n in names], p["count"]) for p in result["capture_patterns"]
        ]
        labels_by_key = dict(METHOD_CHOICES)
        for e in result["estimates"]:
            e["label"] = METHOD_LABELS.get(e["method"]) or labels_by_key.get(
                e["method"], e["method"]
            )
            if "estimate" in e:
                e["hidden"] = e["estimate"] - result["observed"]
        bounds = result.get("awaiting_review")
        if bounds:
            # One row per method: decided rows only, and the waiting rows resolved both ways.
            context["bounds"] = [
                (e, matched, new)
                for e, matched, new in zip(
                    result["estimates"],
                    bounds["as_matched"]["estimates"],
                    bounds["as_new"]["estimates"],
                    strict=True,
                )
            ]
        context["chart"] = interval_chart(result["observed"], result["estimates"])
    return render(request, "staff/estimates.html", context)
