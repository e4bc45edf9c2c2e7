"""The public site: thin views over the selectors, viewer = request.user.

Every page here is for anyone, so each answers with an ETag (a hash of the page exactly
as rendered, which already carries the language) and a 304 to a conditional GET; an
anonymous answer may be kept 60 seconds by any cache, and is itself served from one copy
per change shared by every server process (web.pages).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from detente.access.visibility import LEGISLATURE, PUBLIC, tier, with_identity_flag_for_tier
from detente.agreements.models import in_language
from detente.agreements.selectors import (
    agreement_get,
    agreement_list,
    agreement_members,
    agreement_progress,
    agreement_timeline,
    agreement_timeline_known_now,
)
from detente.audit import checkpoints
from detente.core.places import country_name, default_country, division_name
from detente.publishing.groupings import ALL_PROVINCES
from detente.publishing.statistics import (
    BEFORE,
    NO_YEAR,
    OTHER_PROVINCE,
    PublicStatistics,
    public_statistics,
    row_codes,
)
from detente.registry.models import Person
from detente.registry.selectors import person_detail, person_get
from detente.web import pages
from detente.web.briefing import render_pdf
from detente.web.charts import chart_dates, progress_chart

View = Callable[..., HttpResponse]

PUBLIC_MAX_AGE = pages.PUBLIC_MAX_AGE


def _data_version() -> str:
    """What the public pages are made from (see web.pages.data_version)."""
    return pages.data_version()


def public_page(view: View | None = None, *, slow: bool = False) -> Any:
    """GET/HEAD only; for anonymous visitors the shared copy (web.pages), an ETag, the
    conditional GET and public caching. ``slow``: a page never made while a visitor waits
    when a background worker makes the copies."""

    def decorate(view: View) -> Callable[..., HttpResponseBase]:
        @require_safe
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            response = pages.serve(request, view, args, kwargs, slow=slow)
            # The language comes from the cookie or Accept-Language, so a cache keys on both.
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
            if response.status_code != 200:
                return response
            if not request.user.is_authenticated:
                # Signed-in answers may hold names: SecurityHeadersMiddleware makes them
                # no-store.
                patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
            etag = response.get("ETag")
            if not etag and isinstance(response, HttpResponse):
                digest = hashlib.sha256(response.content)
                digest.update((get_language() or "").encode())
                etag = f'"{digest.hexdigest()[:40]}"'
                response["ETag"] = etag
            # A kept copy sent as a file has its ETag already (and no content to hash).
            conditional = get_conditional_response(request, etag=etag, response=response)  # type: ignore[arg-type]
            if conditional is not None and conditional is not response:
                # A 304 instead: close the copy's file, opened for nothing (not the
                # response itself, whose close() would signal the request's end).
                if isinstance(response, FileResponse) and response.file_to_stream:
                    response.file_to_stream.close()
                return conditional
            return response

        wrapped.public_copy = True  # type: ignore[attr-defined]  # pages.early serves it
        return wrapped

    return decorate(view) if view is not None else decorate


@public_page
def agreement_list_page(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    rows = [(a, agreement_progress(viewer, a)) for a in agreement_list(viewer)]
    return render(request, "web/agreement_list.html", {"rows": rows, "section": "agreements"})


# The chart's two readings, each at its own path (the shared copy is keyed on the path
# alone, so a query string could not choose one): by the day each release happened as the
# record stands now (the default), and as it was known at the time.
KNOWN_NOW, KNOWN_THEN = "now", "then"


def _agreement_context(
    request: HttpRequest, slug: str, action: str, known: str = KNOWN_NOW
) -> dict[str, Any]:
    """The agreement page's figures, chart and members as this viewer may see them (the
    names seen recorded under ``action``)."""
    viewer = request.user
    agreement = agreement_get(viewer, slug)
    progress = agreement_progress(viewer, agreement)
    today = timezone.localdate()
    days = chart_dates(agreement.announced_on, today)
    if known == KNOWN_THEN:
        timeline = agreement_timeline(viewer, agreement, days)
    else:
        timeline = agreement_timeline_known_now(viewer, agreement, days, today)
    series = [(day, past.claimed, past.confirmed) for day, past in zip(days, timeline, strict=True)]
    members = agreement_members(viewer, agreement, action=action)
    return {
        "agreement": agreement,
        "p": progress,
        "members": members,
        "not_public": sum(1 for m in members if m.not_public),
        "today": today,
        "now": timezone.now(),
        "chart": progress_chart(series, progress.total),
        "known": known,
        "section": "agreements",
    }


@public_page(slow=True)
def agreement_page(request: HttpRequest, slug: str) -> HttpResponse:
    context = _agreement_context(request, slug, "agreement.members")
    return render(request, "web/agreement_detail.html", context)


@public_page(slow=True)
def agreement_known_then_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The agreement page with the chart as each release was known at the time."""
    context = _agreement_context(request, slug, "agreement.members", KNOWN_THEN)
    return render(request, "web/agreement_detail.html", context)


@public_page(slow=True)
def agreement_briefing(request: HttpRequest, slug: str) -> HttpResponse:
    """The agreement page printed as a PDF briefing, for this viewer (see web.briefing)."""
    context = _agreement_context(request, slug, "agreement.briefing")
    context["briefing"] = True
    html = render_to_string("web/agreement_detail.html", context, request=request)
    pdf = render_pdf(html, request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"{context['agreement'].slug}-briefing-{context['today']:%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@public_page
def person_page(request: HttpRequest, handle: str) -> HttpResponse:
    viewer = request.user
    # Someone whose name this viewer may not see is answered as missing, and found (or
    # not) by the same one query, so the page does no more work for them than for a handle
    # that does not exist: neither the answer nor its time tells that the handle exists.
    person = person_get(viewer, handle, named=True)
    detail = person_detail(viewer, person).as_json()
    if detail["identity"] is None:  # a disclosure withdrawn in between: still missing
        raise Http404("no such person")
    ident = detail["identity"]
    name = " ".join(
        n for n in (ident["given_names"], ident["paternal_surname"], ident["maternal_surname"]) if n
    )
    # Each agreement's title in the page's language; one with no title in it is shown in
    # English and marked so (lang="en", for a screen reader's voice).
    language = get_language() or "en"
    titles = {
        slug: (in_language(language, title, title_es), not title_es)
        for slug, title, title_es in agreement_list(viewer).values_list("slug", "title", "title_es")
    }
    english_page = language.startswith("en")
    statuses = [
        {
            **s,
            "title": titles.get(s["agreement"], (s["agreement"], True))[0],
            "title_lang": ""
            if english_page or not titles.get(s["agreement"], ("", True))[1]
            else "en",
        }
        for s in detail["statuses"]
        if s["agreement"]
    ]
    # The legislature sees names the public does not: say so on the page.
    not_public = (
        tier(viewer) == LEGISLATURE
        and not with_identity_flag_for_tier(Person.objects.filter(pk=person.pk), PUBLIC)
        .filter(identity_visible=True)  # type: ignore[misc]  # annotated just above
        .exists()
    )
    context = {
        "person": detail,
        "name": name,
        "statuses": statuses,
        "not_public": not_public,
        "section": "",
    }
    return render(request, "web/person_detail.html", context)


TABLE_TITLES = {
    "people_by_province_and_arrest_year": _("People by province and year of arrest"),
}
LABELS = {
    OTHER_PROVINCE: _("Other or not recorded"),
    NO_YEAR: _("Year unknown"),
    ALL_PROVINCES: _("All listed provinces"),
    # The built-in regions (publishing.groupings.CUBA_REGIONS); an operator's own are
    # shown as they are written.
    "Western Cuba": _("Western Cuba"),
    "Central Cuba": _("Central Cuba"),
    "Eastern Cuba": _("Eastern Cuba"),
}
# What a coarser grouping did, in a phrase the page joins (publishing.groupings).
GROUPED_YEARS = {
    "bands": _("years of arrest are grouped in five-year bands"),
    "all-years": _("all years of arrest since the first are counted together"),
}
PLACE_HEADERS = {
    "": _("Province"),
    "regions": _("Region"),
    "countries": _("Country"),
}
GROUPED_PLACES = {
    "regions": _("provinces are grouped in regions"),
    "countries": _("provinces are counted together by country"),
}


def column_label(label: str) -> str:
    """A fixed column in the reader's language: "before 2015", a year, "year unknown"."""
    if label.startswith(BEFORE):
        return gettext("before %(year)s") % {"year": label.removeprefix(BEFORE)}
    return str(LABELS.get(label, label))


def _grouping_text(key: str) -> str:
    """What the published grouping did, as a phrase ("" for each province and year)."""
    places, _sep, years = key.partition("/")
    parts = [str(GROUPED_YEARS[years])] if years in GROUPED_YEARS else []
    parts += [str(GROUPED_PLACES[places])] if places in GROUPED_PLACES else []
    if len(parts) == 2:
        return gettext("%(first)s and %(second)s") % {"first": parts[0], "second": parts[1]}
    return "".join(parts)


def statistics_tables(stats: PublicStatistics) -> list[dict[str, object]]:
    """The release's tables as the pages show them (the public page and the staff
    release pages), labels in the reader's language."""
    codes = row_codes()

    def row_label(label: str, by_country: bool) -> str:
        """A division in the reader's language ("Hawái"), the country said when not ours;
        a country's row (grouped by country) by the country's name."""
        if by_country and label not in LABELS:
            return country_name(label)
        code = codes.get(label)
        if code is None:
            return str(LABELS.get(label, label))
        name = division_name(code)
        country = code.split("-")[0]
        return name if country == default_country() else f"{country_name(country)}: {name}"

    tables: list[dict[str, object]] = []
    for t in stats.tables:
        grouping = stats.grouping(t.name)
        by_country = grouping.key.startswith("countries/")
        values = [*(v for row in t.cells for v in row), *t.row_totals, *t.col_totals, t.total]
        tables.append(
            {
                "name": t.name,
                "title": TABLE_TITLES.get(t.name, t.name),
                "withheld": t.name in stats.withheld,
                "threshold": t.threshold,
                "grouped": "" if grouping.fine else _grouping_text(grouping.key),
                "place": PLACE_HEADERS.get(grouping.key.partition("/")[0], PLACE_HEADERS[""]),
                "hidden": sum(v is None for v in values),
                "cols": [column_label(c) for c in t.col_labels],
                "rows": [
                    (row_label(label, by_country), cells, total)
                    for label, cells, total in zip(t.row_labels, t.cells, t.row_totals, strict=True)
                ],
                "col_totals": t.col_totals,
                "total": t.total,
            }
        )
    return tables


@public_page
def statistics_page(request: HttpRequest) -> HttpResponse:
    """The newest approved release, never live counts (see publishing.releases)."""
    stats = public_statistics(request.user)
    context: dict[str, object] = {"section": "statistics", "stats": stats}
    if stats is not None:
        context |= {
            "people": stats.people,
            "tables": statistics_tables(stats),
            "counted_at": parse_datetime(stats.counted_at or ""),
            "released_at": parse_datetime(stats.released_at or ""),
        }
    return render(request, "web/statistics.html", context)


@public_page
def methods_page(request: HttpRequest) -> HttpResponse:
    return render(request, "web/methods.html", {"section": "methods"})


@require_safe
def checkpoint_text(request: HttpRequest) -> HttpResponse:
    """The newest signed checkpoint of the audit ledger, as plain text, for anyone to fetch
    and keep (C2SP signed-note format; docs/operations.md says how to check one). Copies
    held off the server are what make cutting the ledger short detectable."""
    text = checkpoints.newest_published()
    if text is None:
        message = gettext("No signed checkpoint is published yet.")
        response = HttpResponse(message + "\n", status=404, content_type="text/plain")
    else:
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    # Short: a new checkpoint changes no ledger entry, so nothing else would refresh it.
    patch_cache_control(response, public=True, max_age=60)
    return response


def _favicon_ico() -> bytes:
    """web/favicon.svg drawn again as an ICO (16, 32 and 48 pixels), for the browsers and
    tools that ask for /favicon.ico and read no SVG. Drawn at 8 times the SVG's 32-unit
    grid and scaled down, which smooths the edges."""
    from PIL import Image, ImageDraw

    k = 8  # pixels per SVG unit

    def at(*units: float) -> list[float]:
        return [u * k for u in units]

    def dot(draw: ImageDraw.ImageDraw, x: float, y: float, r: float) -> None:
        draw.ellipse(at(x - r, y - r, x + r, y + r), fill="#fff")

    image = Image.new("RGBA", (32 * k, 32 * k), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(at(0, 0, 32, 32), radius=7 * k, fill="#0b4f8a")
    # The "D": two straight sides and a half circle, 3.5 units wide, round corners.
    w = 3.5
    draw.line(at(15.5, 7.5, 9.5, 7.5, 9.5, 24.5, 15.5, 24.5), fill="#fff", width=int(w * k))
    r = 8.5 + w / 2
    draw.arc(at(15.5 - r, 16 - r, 15.5 + r, 16 + r), -90, 90, fill="#fff", width=int(w * k))
    for x, y in ((9.5, 7.5), (9.5, 24.5)):
        dot(draw, x, y, w / 2)
    # The green seal with its tick.
    draw.ellipse(at(24.5 - 5.75, 24.5 - 5.75, 24.5 + 5.75, 24.5 + 5.75), fill="#fff")
    draw.ellipse(at(24.5 - 5, 24.5 - 5, 24.5 + 5, 24.5 + 5), fill="#0b6b3a")
    tick = (22.3, 24.6, 23.9, 26.2, 26.9, 23.0)
    draw.line(at(*tick), fill="#fff", width=int(1.6 * k), joint="curve")
    for x, y in ((22.3, 24.6), (26.9, 23.0)):
        dot(draw, x, y, 0.8)
    out = io.BytesIO()
    image.save(out, format="ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    return out.getvalue()


_favicon_bytes: list[bytes] = []  # drawn once per process, on the first request


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, where browsers and feed readers look for a site's icon unasked."""
    if not _favicon_bytes:
        _favicon_bytes.append(_favicon_ico())
    response = HttpResponse(_favicon_bytes[0], content_type="image/vnd.microsoft.icon")
    patch_cache_control(response, public=True, max_age=24 * 60 * 60)
    return response
