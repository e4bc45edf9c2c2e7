"""Open data: the public figures as JSON and CSV files anyone may fetch without a token.

Each file is what an anonymous visitor of the public site sees, whoever asks (a signed-in
user gets the public's view too, never their own): the same selectors as the public pages,
with the anonymous viewer, so the numbers are the pages' numbers and a name appears only
where it has been disclosed to the public. A hidden or unknown agreement answers 404
exactly as a missing one does.

The files are the same in every language (English field names and codes), carry the
licence (``license`` in JSON, a ``Link: rel="license"`` header on both formats) and the
moment they were made (``as_of``), and are cached like the public pages: an ETag, a 304
to a conditional GET, ``Cache-Control: public`` for anonymous callers. The ETag is taken
over the figures, not ``as_of``, so a client that asks again gets a 304 until the figures
change. CSV cells a spreadsheet would run as a formula get a leading apostrophe.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.http import require_safe

from detente.agreements.selectors import (
    agreement_get,
    agreement_list,
    agreement_members,
    agreement_progress,
)
from detente.core.exports import neutralise
from detente.publishing.statistics import TOTAL, public_statistics
from detente.web.views import PUBLIC_MAX_AGE, _data_version

LICENSE = {
    "id": "CC-BY-4.0",
    "name": "Creative Commons Attribution 4.0 International",
    "url": "https://creativecommons.org/licenses/by/4.0/",
}
LICENSE_LINK = f'<{LICENSE["url"]}>; rel="license"'
# Changed when the files' layout changes, so that a cached copy is not taken for current.
LAYOUT = "1"
JSON_TYPE = "application/json"
CSV_TYPE = "text/csv; charset=utf-8; header=present"

# The headline figures of an agreement, named as in the API's progress (ProgressOut).
FIGURES = (
    "promised",
    "promised_approximate",
    "total",
    "named",
    "unnamed",
    "claimed",
    "claimed_by_releasing_party",
    "claimed_not_political",
    "confirmed",
    "confirmed_conditional",
    "confirmed_unconditional",
    "confirmed_exile",
    "reported",
    "disputed",
    "held",
    "held_house_arrest",
    "rearrested",
    "died",
    "disappeared",
    "released_before",
    "excluded",
    "gap",
    "gap_unconfirmed",
    "gap_rearrested",
    "gap_unnamed",
)
AGREEMENT_COLUMNS = (
    "slug",
    "title",
    "title_es",
    "releasing_party",
    "counterpart",
    "country",
    "division",
    "announced_on",
    *FIGURES,
    "stage",
    "stage_since",
    "page",
    "members",
)
MEMBER_COLUMNS = ("handle", "name", "state", "classification", "status", "released_on")
STATISTICS_COLUMNS = (
    "release",
    "counted_at",
    "released_at",
    "table",
    "row",
    "column",
    "count",
    "suppressed",
)


@dataclass(frozen=True)
class Dataset:
    """One file's content in both formats: the JSON fields (without ``license`` and
    ``as_of``, added on the way out) and the CSV's columns and rows (``as_of`` is added as
    the last column of every row)."""

    fields: dict[str, Any]
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]


Build = Callable[..., Dataset]


def _cell(value: Any) -> str:
    """A CSV cell: numbers as they are, nothing empty, text safe from formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return neutralise(str(value))


def _csv(data: Dataset, as_of: str) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # so that spreadsheets read the accents as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*data.columns, "as_of"])
    for row in data.rows:
        writer.writerow([_cell(v) for v in row] + [_cell(as_of)])
    return out.getvalue()


def _json(data: Dataset, as_of: str) -> str:
    payload = {
        "license": LICENSE,
        "as_of": as_of,
        "documentation": reverse("api-docs") + "#open-data",
        **data.fields,
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False)


def open_file(build: Build) -> Callable[..., HttpResponse]:
    """A view that answers ``build``'s dataset, for the anonymous viewer, in the format
    the route names (``fmt``); GET and HEAD only."""

    @require_safe
    @wraps(build)
    def view(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
        key = f"open:{_data_version()}:{request.path}"
        hit = cache.get(key)
        if hit is None:
            # The same for everyone: the public's view, in English.
            with translation.override("en"):
                data = build(AnonymousUser(), **kwargs)
                as_of = timezone.now().replace(microsecond=0).isoformat()
                body = _csv(data, as_of) if fmt == "csv" else _json(data, as_of)
            figures = json.dumps(
                [LAYOUT, fmt, data.fields, data.columns, data.rows],
                cls=DjangoJSONEncoder,
                sort_keys=True,
            )
            etag = f'"{hashlib.sha256(figures.encode()).hexdigest()[:40]}"'
            hit = (body, etag)
            cache.set(key, hit, PUBLIC_MAX_AGE)
        body, etag = hit
        response = HttpResponse(body, content_type=CSV_TYPE if fmt == "csv" else JSON_TYPE)
        if not request.user.is_authenticated:
            # Signed-in answers are made no-store by SecurityHeadersMiddleware, as elsewhere.
            patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        response["ETag"] = etag
        response["Content-Language"] = "en"  # whatever was asked (LocaleMiddleware keeps it)
        response = get_conditional_response(request, etag=etag, response=response) or response
        response["Link"] = LICENSE_LINK  # on a 304 too
        return response

    return view


@open_file
def agreements(viewer: AnonymousUser) -> Dataset:
    """Every public agreement with its headline figures, as the public pages show them."""
    rows = []
    for a in agreement_list(viewer).order_by("slug"):
        p = agreement_progress(viewer, a)
        stage = p.stage
        rows.append(
            (
                a.slug,
                a.title,
                a.title_es,
                a.promisor.name,
                a.promisee.name,
                a.country,
                a.division,
                a.announced_on,
                *(getattr(p, name) for name in FIGURES),
                stage.stage if stage else None,
                stage.event_date if stage else None,
                reverse("web:agreement", args=[a.slug]),
                reverse("web:open-members-json", args=[a.slug]),
            )
        )
    return Dataset(
        {"agreements": [dict(zip(AGREEMENT_COLUMNS, r, strict=True)) for r in rows]},
        AGREEMENT_COLUMNS,
        rows,
    )


@open_file
def members(viewer: AnonymousUser, slug: str) -> Dataset:
    """A public agreement's named members; the name only where disclosed to the public."""
    agreement = agreement_get(viewer, slug)
    rows = [
        (m.handle, m.name, m.state, m.classification, m.status or None, m.released_on)
        for m in agreement_members(viewer, agreement)
    ]
    return Dataset(
        {
            "agreement": agreement.slug,
            "members": [dict(zip(MEMBER_COLUMNS, r, strict=True)) for r in rows],
        },
        MEMBER_COLUMNS,
        rows,
    )


@open_file
def statistics(viewer: AnonymousUser) -> Dataset:
    """The newest approved statistics release (``release`` null before the first); in CSV
    one row per published figure, margins under ``total``, a suppressed one empty."""
    stats = public_statistics(viewer)
    if stats is None:
        return Dataset({"release": None}, STATISTICS_COLUMNS, [])
    head = (stats.release, stats.counted_at, stats.released_at)
    rows: list[Sequence[Any]] = []
    for t in stats.tables:
        figures = [
            *(
                (row, col, value)
                for row, cells, row_total in zip(t.row_labels, t.cells, t.row_totals, strict=True)
                for col, value in [*zip(t.col_labels, cells, strict=True), (TOTAL, row_total)]
            ),
            *((TOTAL, col, value) for col, value in zip(t.col_labels, t.col_totals, strict=True)),
            (TOTAL, TOTAL, t.total),
        ]
        rows += [(*head, t.name, row, col, value, value is None) for row, col, value in figures]
    return Dataset(stats.as_json(), STATISTICS_COLUMNS, rows)
