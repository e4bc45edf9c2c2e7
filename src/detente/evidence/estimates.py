"""Estimates from the registry's own lists: the glue between the registry and
``detente.estimation`` (which knows nothing of Django).

One function, :func:`registry_estimate`, serves the command line, the API and the staff
page, so all three show the same capture table and the same figures.

A *list* is named by a spec:

* ``source:SLUG`` (or a bare ``SLUG``; the list keeps the name it was asked by): everyone
  the source made an effective status claim about;
* ``agreement:SLUG``: the people named on the agreement;
* ``import:RUN``: the people an import (``detente import``) linked or created, or a
  reviewer decided a row was.

Rows still waiting in the review queue are neither counted as people of their own (that
inflated estimates from imported lists by a third or more) nor silently dropped: the
estimate counts decided rows only and says so, and beside it the same methods are run with
the waiting rows resolved both ways (each as the person it most resembles, each as a new
person), so the reader sees how far the review could move the figure
(:func:`waiting_rows`). That holds for the lists those rows will join once decided: the
import's own, its source's and its agreement's.

A person is one registry person on every list (a person merged into another counts as the
survivor). Inside the models, lists are named shortly (a source's or agreement's slug, an
import by its source and day: ``embassy 2024-01-02``), so a model reads ``ngo:embassy
2024-01-02``; ``labels`` names each list for people.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
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
    merge_matches,
    pattern_bits,
    stratified_capture_tables,
    stratified_loglinear,
)
from detente.estimation.notices import Notice, estimate_notices, table_notices
from detente.evidence.lists import source_lists
from detente.evidence.selectors import source_get, source_list
from detente.registry.models import CustodyEpisode, Identity, open_identity, survivors

METHODS = ("independence", "stepwise", "aic", "bic", "bma", "lcmcr")

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
    "lcmcr_unsettled": gettext_noop(
        "The latent-class model's sampler has not settled (the equivalent of %(ess)s "
        "independent draws of the total, %(needed)s needed; R-hat %(rhat)s): its figure and "
        "interval could still move. Treat them as rough, and quote the other methods."
    ),
    "lcmcr_ceiling": gettext_noop(
        "The lists overlap too little for the latent-class model to bound the total: in "
        "%(share)s of its draws the number of people on no list reached its ceiling "
        "(%(ratio)s times the number observed). The upper end of its interval is that "
        "ceiling, not the data: do not quote it."
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
    from detente.reconcile.selectors import run_get

    if not ref.isdigit():
        raise invalid("lists", _("An import list is “import:” and the import's number."))
    run = run_get(viewer, int(ref))
    if run.source.protected and not can(viewer, Action.MANAGE):
        raise Http404("no such import")  # as its source's list: missing to analysts
    return run


def import_list_ids(viewer: Viewer, ref: str) -> set[int]:
    """The people import ``ref`` linked or created, or a reviewer decided a row was. Rows
    still waiting for review are not here: see :func:`waiting_rows`."""
    from detente.reconcile.models import ImportRow

    run = _import_run(viewer, ref)
    rows = ImportRow.objects.filter(run=run, person__isnull=False)
    return set(rows.values_list("person_id", flat=True))


def waiting_rows(viewer: Viewer, specs: Sequence[str]) -> dict[str, dict[int, int | None]]:
    """For each list, the import rows waiting in the review queue that would join it once
    decided, as ``{-row id: the person it most resembles, or None}``: an import's own rows;
    for a source, the rows of every import it gave; for an agreement, the rows of every
    import made for it. A row is the same pseudo-person on every list it would join."""
    from detente.reconcile.models import ImportRow, Outcome

    out: dict[str, dict[int, int | None]] = {}
    waiting = ImportRow.objects.filter(
        outcome=Outcome.QUEUED, decision="", run__dry_run=False
    ).values_list("pk", "candidates")
    for spec in dict.fromkeys(specs):
        kind, _sep, ref = spec.rpartition(":")
        if kind == "import":
            rows = waiting.filter(run=_import_run(viewer, ref))
        elif kind == "agreement":
            rows = waiting.filter(run__agreement=agreement_get(viewer, ref))
        else:
            rows = waiting.filter(run__source=source_get(viewer, ref))  # hidden: 404
        found: dict[int, int | None] = {}
        for row_id, candidates in rows.iterator(chunk_size=2000):
            best = next(
                (c["person"] for c in candidates or () if isinstance(c.get("person"), int)), None
            )
            found[-row_id] = best
        out[spec] = found
    bests = {b for rows in out.values() for b in rows.values() if b is not None}
    survivor = survivors(bests)
    return {
        spec: {row: (survivor.get(b, b) if b is not None else None) for row, b in rows.items()}
        for spec, rows in out.items()
    }


def import_runs(viewer: Viewer, limit: int = 100) -> list[Any]:
    """The imports a viewer may estimate from, newest first (no dry runs; a protected
    source's only for those who may know it)."""
    from detente.reconcile.models import ImportRun

    if not can(viewer, Action.READ):
        return []
    runs = ImportRun.objects.filter(dry_run=False).select_related("source")
    if not can(viewer, Action.MANAGE):
        runs = runs.filter(source__protected=False)
    return list(runs.order_by("-id")[:limit])


def import_names(run: Any) -> tuple[str, str]:
    """An import as a list: by its source and the day the list was reported (or received),
    shortly for models and in full for people."""
    from detente.core.dates import localized

    day = run.reported_on or run.received_at.date()
    label = _("%(source)s, list of %(day)s (import %(run)s)") % {
        "source": run.source.name,
        "day": localized(day),
        "run": run.pk,
    }
    return f"{run.source.slug} {day.isoformat()}", label


def list_names(viewer: Viewer, specs: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Each list's short name (in models and warnings) and its label for people."""
    names: dict[str, tuple[str, str]] = {}
    for spec in dict.fromkeys(specs):
        kind, _sep, ref = spec.rpartition(":")
        if kind == "import":
            short, label = import_names(_import_run(viewer, ref))
        elif kind == "agreement":
            agreement = agreement_get(viewer, ref)
            short, label = ref, agreement.shown_title
        else:
            found = source_list(viewer).filter(slug=ref).first()
            short = ref
            label = found.name if found else ref
        names[spec] = (short, label)
    # Two imports of one source on one day: told apart by their numbers.
    shorts = [s for s, _l in names.values()]
    return {
        spec: (f"{short} #{spec.rpartition(':')[2]}" if shorts.count(short) > 1 else short, label)
        for spec, (short, label) in names.items()
    }


def person_strata(person_ids: Iterable[int], by: str) -> dict[int, str]:
    """Each person's stratum: their province, or the year of their first recorded arrest."""
    ids = list(person_ids)
    if by == "province":
        found = {
            pid: open_identity(pid, sealed)["province"]
            for pid, sealed in Identity.objects.filter(person_id__in=ids).values_list(
                "person_id", "sealed"
            )
        }
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


def _shown(value: object) -> object:
    """A count or an estimate as the reader writes numbers (grouped, whole)."""
    from django.utils.formats import number_format

    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return number_format(round(value), force_grouping=True)
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    return value


def _worded(notice: Notice, labels: dict[str, str] | None = None) -> dict[str, object]:
    """A warning as plain data: its code, its sentence in the reader's language (lists by
    their ``labels`` when given), its values."""
    template = WARNING_MESSAGES.get(notice.code)
    named = labels or {}
    params = {
        k: named.get(v, v) if isinstance(v, str) else _shown(v) for k, v in notice.params.items()
    }
    message = _(template) % params if template else notice.message
    return {"code": notice.code, "message": message, "params": dict(notice.params)}


def estimate_warnings(
    table: CaptureTable,
    estimates: Sequence[dict[str, object]],
    labels: dict[str, str] | None = None,
) -> list[dict[str, object]]:
    """The warnings about a table and its estimates, worded for the reader (``labels``:
    how to name each of the table's lists in a sentence)."""
    notices = [*table_notices(table), *estimate_notices(estimates)]
    return [_worded(n, labels) for n in notices]


def _patterns(
    table: CaptureTable, spec_of: dict[str, str] | None = None
) -> list[dict[str, object]]:
    """Every observable pattern, its lists named as the caller asked for them."""
    named = spec_of or {}
    return [
        {
            "lists": [named.get(n, n) for n, b in zip(table.lists, bits, strict=True) if b],
            "count": int(c),
        }
        for bits, c in zip(pattern_bits(table.k), table.counts, strict=True)
    ]


# Beside the engine's warnings (WARNING_MESSAGES): the registry's own.
REVIEW_WARNING = gettext_noop(
    "%(rows)s rows of these lists are waiting in the match review queue and are not counted. "
    "Counted as the people they most resemble, the estimate would be %(matched)s; counted "
    "as new people, %(new)s. If the two differ much, finish the review before quoting a "
    "figure."
)


def _named(
    lists: Mapping[str, Iterable[Hashable]], names: dict[str, tuple[str, str]]
) -> CaptureTable:
    return capture_table({names[spec][0]: ids for spec, ids in lists.items()})


def _review_bounds(
    lists: dict[str, set[int]],
    names: dict[str, tuple[str, str]],
    waiting: dict[str, dict[int, int | None]],
    methods: Sequence[str],
    level: float,
) -> dict[str, object]:
    """The same methods with the waiting rows resolved both ways: each as the person it
    most resembles (merged with them), each as a new person of its own."""
    as_new = {spec: ids | set(waiting.get(spec, {})) for spec, ids in lists.items()}
    links = [(row, best) for rows in waiting.values() for row, best in rows.items() if best]
    as_matched = {
        spec: set(ids)
        for spec, ids in merge_matches({k: sorted(v) for k, v in as_new.items()}, links).items()
    }
    rows = {row for found in waiting.values() for row in found}
    out: dict[str, object] = {
        "rows": len(rows),
        "by_list": {spec: len(found) for spec, found in waiting.items() if found},
    }
    for key, resolved in (("as_matched", as_matched), ("as_new", as_new)):
        table = _named(resolved, names)
        out[key] = {"observed": table.observed, "estimates": _run(table, methods, level)}
    return out


def _review_warning(bounds: dict[str, object]) -> dict[str, object]:
    def first(key: str) -> str:
        part = bounds[key]
        assert isinstance(part, dict)  # noqa: S101 - built above
        for row in part["estimates"]:
            if row.get("estimate") is not None:
                return str(_shown(float(row["estimate"])))
        return "—"

    params = {"rows": bounds["rows"], "matched": first("as_matched"), "new": first("as_new")}
    shown = {**params, "rows": _shown(bounds["rows"])}
    return {"code": "awaiting_review", "message": _(REVIEW_WARNING) % shown, "params": params}


def registry_estimate(
    viewer: Viewer,
    specs: Sequence[str],
    *,
    methods: Sequence[str] = ("independence", "stepwise"),
    stratify: str = "",
    level: float = 0.95,
) -> dict[str, object]:
    """The capture table and the estimates, as plain data (the CLI prints it as JSON).

    Only decided people are counted; ``awaiting_review`` (when rows wait in the review
    queue) gives the estimates with those rows resolved both ways."""
    specs = list(dict.fromkeys(specs))
    if not 2 <= len(specs) <= 10:
        raise invalid("lists", _("Give between 2 and 10 different lists."))
    _check_methods(methods, level)
    if "bma" in methods and len(specs) > 5:
        raise invalid("methods", _("Model averaging (bma) is implemented for at most 5 lists."))
    lists = registry_lists(viewer, specs)
    names = list_names(viewer, specs)
    spec_of = {short: spec for spec, (short, _label) in names.items()}
    table = _named(lists, names)
    estimates = _run(table, methods, level)
    out: dict[str, object] = {
        "lists": {s: len(ids) for s, ids in lists.items()},
        "labels": {spec: label for spec, (_short, label) in names.items()},
        "names": {spec: short for spec, (short, _label) in names.items()},
        "observed": table.observed,
        "capture_patterns": _patterns(table, spec_of),
        "estimates": estimates,
        "warnings": estimate_warnings(
            table, estimates, {short: label for short, label in names.values()}
        ),
    }
    waiting = waiting_rows(viewer, specs)
    if any(waiting.values()):
        bounds = _review_bounds(lists, names, waiting, methods, level)
        out["awaiting_review"] = bounds
        out["warnings"] = [_review_warning(bounds), *out["warnings"]]  # type: ignore[misc]
    if stratify:
        everyone = set().union(*lists.values())
        tables = stratified_capture_tables(
            {names[s][0]: ids for s, ids in lists.items()}, person_strata(everyone, stratify)
        )
        strata: dict[str, object] = {
            name: {
                "observed": t.observed,
                "capture_patterns": _patterns(t, spec_of),
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
    return out
