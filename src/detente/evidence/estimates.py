"""Estimates from the registry's own lists: the glue between the registry and
``detente.estimation`` (which knows nothing of Django).

One function, :func:`registry_estimate`, serves the command line, the API and the staff
page, so all three show the same capture table and the same figures.

A *list* is named by a spec:

* ``source:SLUG`` (or a bare ``SLUG``; the list keeps the name it was asked by): everyone
  the source made an effective status claim about;
* ``agreement:SLUG``: the people named on the agreement;
* ``import:RUN``: the people an import (``detente import``) linked or created, and every
  row still waiting in the review queue as a person of its own (a pseudo-id).

A person is one registry person on every list (a person merged into another counts as the
survivor). The grey zone of matching (candidate pairs nobody has yet accepted or rejected)
is shown by ``grey_links``: the estimate with those pairs merged and kept apart, side by
side; :func:`import_grey_links` gives an import's (each waiting row with its best
candidate).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Min
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from detente.access.policy import Action, Viewer, can
from detente.agreements.models import Membership
from detente.agreements.selectors import agreement_get
from detente.core.errors import invalid
from detente.estimation import (
    CaptureTable,
    IdentifiabilityError,
    capture_table,
    estimate,
    matching_sensitivity,
    merge_matches,
    pattern_bits,
    stratified_capture_tables,
    stratified_loglinear,
)
from detente.estimation.notices import Notice, estimate_notices, table_notices
from detente.evidence.lists import source_lists
from detente.registry.models import CustodyEpisode, Identity, survivors

METHODS = ("independence", "stepwise", "aic", "bic", "bma")

# The engine's warnings (detente.estimation.notices), worded for the reader by code; the
# English is the engine's own sentence (a test keeps the two the same).
WARNING_MESSAGES: dict[str, str] = {
    "empty_list": gettext_noop(
        "Nobody is on the list %(list)s. It tells nothing about who was missed: leave it out."
    ),
    "subset_list": gettext_noop(
        "Everyone on %(list)s is also on %(other)s. A list drawn from another is not "
        "independent of it, and the estimates can then miss the true number without any "
        "sign of it. Leave %(list)s out, or count the two as one list, and estimate again."
    ),
    "no_overlap": gettext_noop(
        "Nobody is on both %(list)s and %(other)s. The models then assume these two lists "
        "can never share anyone. If they could (the same people, place and period), check "
        "the matching, and compare the estimates with one of the two lists left out."
    ),
    "sparse_table": gettext_noop(
        "%(empty)s of the %(cells)s combinations of lists have nobody in them. The estimates "
        "rest on few people and depend strongly on the method: treat them as rough, quote the "
        "range across methods, and add lists or people before relying on a figure."
    ),
    "methods_disagree": gettext_noop(
        "The methods disagree by more than a factor of 2 (from %(low)s to %(high)s). The data "
        "do not settle how the lists depend on each other: do not quote one figure; quote the "
        "range and say why, or stratify (by province or period) and estimate again."
    ),
    "search_not_exhaustive": gettext_noop(
        "%(method)s did not try every model: %(tried)s of them were tried by searching "
        "forward, backward and from random starts. A better model may exist; compare with "
        "the stepwise result and with fewer lists."
    ),
    "bma_tail": gettext_noop(
        "Model averaging left part of its answer off the end of its range (%(share)s of it "
        "beyond %(grid)s people not on any list): its upper bound is too low. Estimate "
        "again with the default range, or treat the upper bound as a minimum."
    ),
}
STRATA = ("province", "arrest-year")
UNKNOWN_STRATUM = "unknown"


def registry_lists(viewer: Viewer, specs: Sequence[str]) -> dict[str, set[int]]:
    """``{spec: person ids}`` for each list spec; missing and hidden lists alike raise 404."""
    if not can(viewer, Action.READ):
        raise Http404("no such list")
    parsed = [(spec, *spec.rpartition(":")[::2]) for spec in dict.fromkeys(specs)]
    for spec, kind, _slug in parsed:
        if kind not in ("", "source", "agreement", "import"):
            raise invalid(
                "lists",
                _(
                    "Unknown kind of list “%(kind)s” in “%(spec)s”; use source:, agreement: "
                    "or import:."
                )
                % {"kind": kind, "spec": spec},
            )
    sources = [slug for _spec, kind, slug in parsed if kind not in ("agreement", "import")]
    by_source = source_lists(viewer, sources) if sources else {}
    out: dict[str, set[int]] = {}
    for spec, kind, slug in parsed:
        if kind == "agreement":
            agreement = agreement_get(viewer, slug)
            out[spec] = set(
                Membership.objects.filter(agreement=agreement).values_list("person_id", flat=True)
            )
        elif kind == "import":
            out[spec] = import_list_ids(viewer, slug)
        else:
            out[spec] = by_source[slug]
    # A person merged into another is the survivor on every list.
    everyone = {pid for ids in out.values() for pid in ids if pid > 0}
    survivor = survivors(everyone)
    return {spec: {survivor.get(pid, pid) for pid in ids} for spec, ids in out.items()}


def _import_run(viewer: Viewer, ref: str) -> Any:
    from detente.reconcile.review import run_get

    if not ref.isdigit():
        raise invalid("lists", _("An import list is “import:” and the import's number."))
    return run_get(viewer, int(ref))


def import_list_ids(viewer: Viewer, ref: str) -> set[int]:
    """The people import ``ref`` linked or created (or a reviewer decided a row was), and
    for each row still waiting for review a pseudo-id of its own (``-row id``): until it is
    decided, the row is somebody on the list, perhaps nobody else's."""
    from detente.reconcile.models import ImportRow

    run = _import_run(viewer, ref)
    ids: set[int] = set()
    for row_id, person_id in ImportRow.objects.filter(run=run).values_list("pk", "person_id"):
        ids.add(person_id if person_id is not None else -row_id)
    return ids


def import_grey_links(viewer: Viewer, specs: Sequence[str]) -> list[tuple[int, int]]:
    """The grey zone of the ``import:`` lists among ``specs``: each row still waiting for
    review (its pseudo-id) paired with its best candidate (the person it counts as now)."""
    from detente.reconcile.models import ImportRow, Outcome

    links: list[tuple[int, int]] = []
    for spec in dict.fromkeys(specs):
        kind, _sep, ref = spec.rpartition(":")
        if kind != "import":
            continue
        run = _import_run(viewer, ref)
        rows = ImportRow.objects.filter(run=run, outcome=Outcome.QUEUED, decision="")
        for row_id, candidates in rows.values_list("pk", "candidates"):
            best = next((c["person"] for c in candidates if isinstance(c.get("person"), int)), None)
            if best is not None:
                links.append((-row_id, best))
    survivor = survivors({b for _a, b in links})
    return [(a, survivor.get(b, b)) for a, b in links]


def person_strata(person_ids: Iterable[int], by: str) -> dict[int, str]:
    """Each person's stratum: their province, or the year of their first recorded arrest."""
    ids = list(person_ids)
    if by == "province":
        found = dict(
            Identity.objects.filter(person_id__in=ids).values_list("person_id", "province")
        )
        return {pid: found.get(pid) or UNKNOWN_STRATUM for pid in ids}
    if by == "arrest-year":
        first = dict(
            CustodyEpisode.objects.filter(person_id__in=ids)
            .values("person_id")
            .annotate(first=Min("start_date"))
            .values_list("person_id", "first")
        )
        return {pid: str(first[pid].year) if first.get(pid) else UNKNOWN_STRATUM for pid in ids}
    raise invalid(
        "stratify",
        _("Unknown stratum “%(value)s”; use one of: %(choices)s.")
        % {"value": by, "choices": ", ".join(STRATA)},
    )


def _finite(value: Any) -> Any:
    """JSON has no infinity: an unbounded interval end is given as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def _estimate_dict(result: dict[str, object]) -> dict[str, object]:
    return {k: _finite(v) for k, v in result.items()}


def _run(table: CaptureTable, methods: Sequence[str], level: float) -> list[dict[str, object]]:
    results: list[dict[str, object]] = []
    for method in methods:
        try:
            results.append(_estimate_dict(estimate(table, method, level).as_dict()))  # type: ignore[arg-type]
        except (IdentifiabilityError, ValueError) as exc:
            results.append({"method": method, "refused": str(exc)})
    return results


def table_estimate(
    table: CaptureTable,
    *,
    methods: Sequence[str] = ("independence", "stepwise"),
    level: float = 0.95,
) -> dict[str, object]:
    """The estimates for a capture table given as such (``detente estimate --table``).

    Nothing in the registry is read: the table is the caller's (a published table, or an
    analyst's own), so no viewer is involved. The output has the shape of
    :func:`registry_estimate`'s, ``lists`` giving each list's total.
    """
    _check_methods(methods, level)
    estimates = _run(table, methods, level)
    return {
        "lists": table.list_totals(),
        "observed": table.observed,
        "capture_patterns": _patterns(table),
        "estimates": estimates,
        "warnings": estimate_warnings(table, estimates),
    }


def _check_methods(methods: Sequence[str], level: float) -> None:
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise invalid(
            "methods",
            _("Unknown method “%(value)s”; use one of: %(choices)s.")
            % {"value": unknown[0], "choices": ", ".join(METHODS)},
        )
    if not 0.5 <= level < 1:
        raise invalid("level", _("The interval level must be between 0.5 and 1."))


def _worded(notice: Notice) -> dict[str, object]:
    """A warning as plain data: its code, its sentence in the reader's language, its values."""
    from django.utils.formats import number_format

    def shown(value: object) -> object:
        if isinstance(value, bool):
            return value
        if isinstance(value, float):
            return number_format(round(value), force_grouping=True)
        if isinstance(value, int):
            return number_format(value, force_grouping=True)
        return value

    template = WARNING_MESSAGES.get(notice.code)
    params = {k: shown(v) for k, v in notice.params.items()}
    message = _(template) % params if template else notice.message
    return {"code": notice.code, "message": message, "params": dict(notice.params)}


def estimate_warnings(
    table: CaptureTable, estimates: Sequence[dict[str, object]]
) -> list[dict[str, object]]:
    """The warnings about a table and its estimates, worded for the reader."""
    notices = [*table_notices(table), *estimate_notices(estimates)]
    return [_worded(n) for n in notices]


def _patterns(table: CaptureTable) -> list[dict[str, object]]:
    return [
        {"lists": [n for n, b in zip(table.lists, bits, strict=True) if b], "count": int(c)}
        for bits, c in zip(pattern_bits(table.k), table.counts, strict=True)
    ]


def registry_estimate(
    viewer: Viewer,
    specs: Sequence[str],
    *,
    methods: Sequence[str] = ("independence", "stepwise"),
    stratify: str = "",
    level: float = 0.95,
    grey_links: Iterable[tuple[int, int]] = (),
) -> dict[str, object]:
    """The capture table and the estimates, as plain data (the CLI prints it as JSON)."""
    specs = list(dict.fromkeys(specs))
    if not 2 <= len(specs) <= 10:
        raise invalid("lists", _("Give between 2 and 10 different lists."))
    _check_methods(methods, level)
    if "bma" in methods and len(specs) > 5:
        raise invalid("methods", _("Model averaging (bma) is implemented for at most 5 lists."))
    lists = registry_lists(viewer, specs)
    table = capture_table(lists)
    estimates = _run(table, methods, level)
    out: dict[str, object] = {
        "lists": {s: len(ids) for s, ids in lists.items()},
        "observed": table.observed,
        "capture_patterns": _patterns(table),
        "estimates": estimates,
        "warnings": estimate_warnings(table, estimates),
    }
    if stratify:
        everyone = set().union(*lists.values())
        tables = stratified_capture_tables(lists, person_strata(everyone, stratify))
        strata: dict[str, object] = {
            name: {
                "observed": t.observed,
                "capture_patterns": _patterns(t),
                "estimates": _run(t, methods, level),
            }
            for name, t in sorted(tables.items())
        }
        try:
            total = stratified_loglinear(tables, level=level).total.as_dict()
            summed: dict[str, object] = _estimate_dict(total)
        except (IdentifiabilityError, ValueError) as exc:
            summed = {"method": "log-linear, stratified", "refused": str(exc)}
        out["stratified"] = {"by": stratify, "strata": strata, "total": summed}
    links = list(grey_links)
    if links:
        accepted = merge_matches({k: sorted(v) for k, v in lists.items()}, links)
        try:
            rows = matching_sensitivity(accepted, lists).rows()
            out["matching_sensitivity"] = [_estimate_dict(r) for r in rows]
        except (IdentifiabilityError, ValueError) as exc:
            out["matching_sensitivity"] = {"refused": str(exc)}
    return out
