"""People: the search, the person page, and the forms that record a person or a claim."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.encoding import force_str
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from detente.access.policy import Action, Viewer, can
from detente.access.sources import PROTECTED, PROTECTED_SOURCE
from detente.access.visibility import visible_agreements
from detente.agreements.models import Agreement, in_language
from detente.agreements.selectors import agreement_list
from detente.casework.selectors import attachments_by_claim, reads_casework, sees_originals
from detente.casework.templatetags.casework import attachments_table
from detente.core.dates import DatePrecision
from detente.core.exports import DOWNLOADS, FORMATS, export
from detente.core.markup import esc as _esc
from detente.evidence.models import Claim, ClaimKind
from detente.evidence.services import claim_record
from detente.matching.selectors import MatchResult, match_query
from detente.oversight.permissions import is_administrator
from detente.registry.models import Person
from detente.registry.search import person_search
from detente.registry.selectors import (
    ByName,
    PersonDetail,
    person_detail,
    person_filter,
    person_get,
    person_rows,
)
from detente.registry.services import (
    CLAIM_COLUMNS,
    person_claims_download,
    person_create,
    person_set_at_risk,
)
from detente.registry.status import status_label
from detente.staff.common import apply_errors, htmx_target, staff_page
from detente.staff.forms import (
    ClaimForm,
    PeopleFilterForm,
    PersonForm,
    SearchForm,
    filter_sources,
)
from detente.staff.labels import rule_text
from detente.staff.templatetags.staff_tags import grade_text, precise_date

# Candidates this likely are shown before a new person is recorded.
SUGGEST_ABOVE = 0.5

RESULTS = 50
PAGE_SIZE = 50


def _agreement_titles(viewer: Any) -> dict[str, str]:
    """The agreements this viewer may see, by slug, titled in the reader's language."""
    language = get_language()
    return {
        slug: in_language(language, title, title_es)
        for slug, title, title_es in agreement_list(viewer).values_list("slug", "title", "title_es")
    }


@staff_page()
@require_http_methods(["GET", "HEAD", "POST"])
def people(request: HttpRequest) -> HttpResponse:
    """Search by name or handle. With htmx, only the results are sent back as one types.

    The text comes in a POST body, never in the address, so that no name reaches the
    browser's history or a proxy's log: a GET (``?q=`` included) is the page with an empty
    box, and a search answers at the same address.
    """
    form = SearchForm(request.POST if request.method == "POST" else None)
    text = form.cleaned_data["q"].strip() if form.is_valid() else ""
    results = person_search(request.user, text, limit=RESULTS) if text else []
    context = {
        "form": form,
        "query": text,
        "results": results,
        "limit": RESULTS,
        "can_record": can(request.user, Action.RECORD),
        "section": "people",
    }
    if htmx_target(request) == "results":
        return render(request, "staff/partials/people_results.html", context)
    if not text:
        context |= _people_list(request)
    return render(request, "staff/people.html", context)


SORT_ORDER = {
    "handle": ("handle",),
    "name": ("handle",),  # then ordered by name in Python (the names are sealed): ByName
    "newest": ("-created_at", "-handle"),
}


def _filtered(request: HttpRequest) -> tuple[PeopleFilterForm, QuerySet[Person] | ByName | None]:
    """The People list's filters from the address, and the people they select (None when a
    filter is not valid)."""
    viewer = request.user
    filters = PeopleFilterForm(request.GET or None, viewer=viewer)
    if request.GET and not filters.is_valid():
        return filters, None
    data = filters.cleaned_data if request.GET else {}
    agreement = (
        agreement_list(viewer).filter(slug=data["agreement"]).first()
        if data.get("agreement")
        else None
    )
    source = (
        filter_sources(viewer).filter(slug=data["source"]).first() if data.get("source") else None
    )
    at_risk = {"yes": True, "no": False}.get(data.get("at_risk") or "")
    qs = person_filter(
        viewer,
        agreement=agreement,
        state=data.get("state") or "",
        country=data.get("country") or "",
        division=data.get("division") or "",
        source=source,
        at_risk=at_risk,
    ).order_by(*SORT_ORDER[data.get("sort") or "handle"])
    if data.get("sort") == "name":
        return filters, ByName(qs)
    return filters, qs


def _people_list(request: HttpRequest) -> dict[str, Any]:
    """Everyone the viewer may know, filtered (agreement, standing, place, source, at
    risk), sorted and in pages; each row with where the person stands."""
    viewer = request.user
    filters, qs = _filtered(request)
    if qs is None:
        return {"filters": filters, "rows": [], "page": None, "filtered": True}
    data = filters.cleaned_data if request.GET else {}
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = person_rows(viewer, list(page.object_list))
    titles = _agreement_titles(viewer)
    # Only the filters go into the pager's and the downloads' addresses: anything else in
    # the query string (a ?q= someone typed) could hold a name.
    query = QueryDict(mutable=True)
    for key in PeopleFilterForm.base_fields:
        if request.GET.get(key):
            query[key] = request.GET[key]
    return {
        "filters": filters,
        "page": page,
        "total": page.paginator.count,
        "rows": [
            {
                "row": r,
                "standings": [(titles.get(s.agreement, s.agreement), s) for s in r.standings],
            }
            for r in rows
        ],
        "filtered": any(v for k, v in data.items() if k != "sort"),
        "list_query": query.urlencode(),
        "formats": DOWNLOADS,
    }


EXPORT_LIMIT = 100_000


@staff_page()
@require_safe
def people_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The People list as filtered, every page, as CSV, Excel or JSON; the names in it are
    recorded as downloaded."""
    _filters, qs = _filtered(request)
    if qs is None:
        return HttpResponseBadRequest(_("A filter is not valid; the list was not exported."))
    rows = person_rows(request.user, list(qs[:EXPORT_LIMIT]), action="person.export")
    columns = ["handle", "name", "at_risk", "agreements"]
    data = [
        {
            "handle": r.handle,
            "name": r.name or "",
            "at_risk": r.at_risk,
            "agreements": "; ".join(f"{s.agreement}: {s.state}" for s in r.standings),
        }
        for r in rows
    ]
    return export("people", fmt, columns, data)


def _suggestions(request: HttpRequest, data: Any) -> list[MatchResult]:
    """Registry people the name being recorded could already be (a duplicate avoided is
    a prisoner not counted twice)."""
    text = " ".join(
        str(data.get(f) or "").strip()
        for f in ("given_names", "paternal_surname", "maternal_surname")
    ).strip()
    if not text:
        return []
    birth = data.get("birth_date")
    year = birth.year if isinstance(birth, dt.date) else None
    try:
        found = match_query(
            request.user, text, birth_year=year, province=data.get("province") or None, limit=5
        )
    except ValidationError:
        return []
    return [r for r in found if r.probability >= SUGGEST_ABOVE]


@staff_page(Action.RECORD)
@require_POST
def person_suggest(request: HttpRequest) -> HttpResponse:
    """The suggestions panel of the new-person form, refreshed by htmx as names are typed.

    The names come in a POST body (the form's own fields), never in an address."""
    form = PersonForm(request.POST)
    form.is_valid()  # partial input is normal while typing: use what is readable
    data = {**request.POST.dict(), **getattr(form, "cleaned_data", {})}
    return render(
        request, "staff/partials/suggestions.html", {"suggestions": _suggestions(request, data)}
    )


@staff_page(Action.RECORD)
@require_http_methods(["GET", "HEAD", "POST"])
def person_new(request: HttpRequest) -> HttpResponse:
    form = PersonForm(request.POST or None)
    suggestions: list[MatchResult] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        suggestions = [] if data.get("different_person") else _suggestions(request, data)
        if suggestions:
            form.add_error(
                "different_person",
                _(
                    "This may be someone already recorded (see the list). Open them instead, "
                    "or tick this box if the person is someone else."
                ),
            )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = person_create(
                actor=request.user,  # type: ignore[arg-type]
                given_names=data["given_names"],
                paternal_surname=data["paternal_surname"],
                maternal_surname=data["maternal_surname"],
                aliases=form.alias_list(),
                birth_date=data["birth_date"],
                birth_precision=data["birth_precision"],
                sex=data["sex"],
                country=data["country"],
                division=data["division"],
                province=data["province"],
                municipality=data["municipality"],
                affiliation=data["affiliation"],
                at_risk=data["at_risk"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("%(handle)s recorded.") % {"handle": person.handle})
            return redirect("staff:person", handle=person.handle)
    return render(
        request,
        "staff/person_form.html",
        {"form": form, "section": "people", "suggestions": suggestions},
    )


# The date format characters _Labels writes itself (what Django's formatter gives for each);
# the month's name ("M", "b") comes from Django's formatter, once per month and page.
_NUMERIC_DATE = {
    "d": lambda v: f"{v.day:02d}",
    "j": lambda v: str(v.day),
    "m": lambda v: f"{v.month:02d}",
    "n": lambda v: str(v.month),
    "y": lambda v: f"{v.year % 100:02d}",
    "Y": lambda v: f"{v.year:04d}",
}
_NUMERIC_TIME = {
    "H": lambda v: f"{v.hour:02d}",
    "i": lambda v: f"{v.minute:02d}",
}
_MONTH_NAMES = ("M", "b")


def _date_pieces(fmt: str) -> tuple[list[tuple[bool, str]], bool] | None:
    """A date format split as Django's formatter splits it (format characters, and text
    with its backslashes read), and whether it has a time of day; None when it has a
    character _Labels leaves to Django."""
    pieces: list[tuple[bool, str]] = []
    timed = False
    for i, piece in enumerate(dateformat.re_formatchars.split(str(fmt))):
        if i % 2:
            if piece in _NUMERIC_TIME:
                timed = True
            elif piece not in _NUMERIC_DATE and piece not in _MONTH_NAMES:
                return None
            pieces.append((True, piece))
        elif piece:
            pieces.append((False, dateformat.re_escaped.sub(r"\1", piece)))
    return pieces, timed


class _Labels:
    """Labels and dates the person page repeats for each of its claims and timeline lines,
    made once per value: the template's filters, called per line, cost a third of the page
    at 200 claims. Dates are written as Django's ``date_format`` writes them in the page's
    language (its formats: "17 Dec 2014", "17 dic 2014, 14:05"), without its per-call set-up
    (tests/staff/test_person_page_dates.py holds the two to the same text)."""

    def __init__(self, sex: str) -> None:
        self.sex = sex
        self.made: dict[tuple[str, Any, Any], str] = {}
        self.formats: dict[str, tuple[list[tuple[bool, str]], bool] | None] = {}
        self.months: dict[tuple[str, int], str] = {}
        self.zone = timezone.get_current_timezone() if settings.USE_TZ else None

    def _once(self, key: tuple[str, Any, Any], make: Any) -> str:
        if key not in self.made:
            self.made[key] = make()
        return self.made[key]

    def status(self, value: str) -> str:
        return self._once(("status", value, None), lambda: status_label(value, self.sex))

    def grade(self, value: str) -> str:
        return self._once(
            ("grade", value, None), lambda: _("grade %(grade)s") % {"grade": grade_text(value)}
        )

    def date(self, value: Any, precision: Any) -> str:
        key = ("date", value, precision)
        if key not in self.made:
            self.made[key] = self._precise(value, precision)
        return self.made[key]

    def moment(self, value: dt.datetime) -> str:
        """What ``{{ value|date:"SHORT_DATETIME_FORMAT" }}`` shows (in the current time
        zone, as the template's filter converts it)."""
        if self.zone is not None and timezone.is_aware(value):
            value = value.astimezone(self.zone)  # timezone.template_localtime
        return self.formatted(value, "SHORT_DATETIME_FORMAT")

    def _precise(self, value: Any, precision: Any) -> str:
        """What ``staff_tags.precise_date`` shows (``core.dates.localized``)."""
        if type(value) is not dt.date:
            return precise_date(value, precision)
        if precision == DatePrecision.YEAR:
            return f"{value.year:04d}"
        if precision == DatePrecision.MONTH:
            return self.formatted(value, "YEAR_MONTH_FORMAT")
        return self.formatted(value, "DATE_FORMAT")

    def formatted(self, value: dt.date, name: str) -> str:
        """``django.utils.formats.date_format(value, name)``."""
        if name not in self.formats:
            self.formats[name] = _date_pieces(formats.get_format(name))
        split = self.formats[name]
        if split is None or (split[1] and not isinstance(value, dt.datetime)):
            return formats.date_format(value, name)  # Django's (or its error)
        out = []
        for code, piece in split[0]:
            if not code:
                out.append(piece)
            elif piece in _MONTH_NAMES:
                key = (piece, value.month)
                if key not in self.months:
                    self.months[key] = str(getattr(dateformat.DateFormat(value), piece)())
                out.append(self.months[key])
            else:
                out.append((_NUMERIC_DATE.get(piece) or _NUMERIC_TIME[piece])(value))
        return "".join(out)


def _claim_rows(
    detail: PersonDetail,
    shown: list[dict[str, Any]],
    titles: dict[str, str],
    void: frozenset[int],
    labels: _Labels,
) -> list[dict[str, Any]]:
    """The claims as the selector shows them to this viewer (``shown``: its JSON, protected
    sources masked), with what the page needs beside: names of the sources shown, dates as
    dates and as text, labels made once (``labels``), and for a claim left out of the
    status (``void``) the correction that did it."""
    objects = {c.pk: c for c in detail.claims}
    # What get_kind_display() and get_credibility_display() give, with the labels read
    # once: Django rebuilds the choices on every call, hashing each lazy label (two calls
    # per claim made a quarter of the view's time for 200 claims).
    kinds = {
        value: force_str(label, strings_only=True)
        for value, label in Claim._meta.get_field("kind").flatchoices
    }
    grades = {
        value: force_str(label, strings_only=True)
        for value, label in Claim._meta.get_field("credibility").flatchoices
    }
    # What undid each claim left out: its correction that is itself still standing (a
    # correction that was retracted undoes nothing: evidence.verification.effective).
    children: dict[int, list[Any]] = {}
    for made in detail.claims:
        if made.corrects_id is not None:
            children.setdefault(made.corrects_id, []).append(made)

    def standing(claim_id: int, depth: int = 0) -> list[Any]:
        if depth > 50:  # a correction chain this long is not shown claim by claim
            return []
        return [k for k in children.get(claim_id, ()) if not standing(k.pk, depth + 1)]

    protected_source = str(PROTECTED_SOURCE)
    rows = []
    for c in shown:
        claim = objects[c["id"]]
        protected = c["source"] == PROTECTED  # masked by the selector for this viewer
        undone = standing(claim.pk) if claim.pk in void else []
        by = undone[-1] if undone else None
        rows.append(
            {
                "id": c["id"],
                "ref": str(c["id"]),  # as the template would write the number
                "kind": kinds.get(claim.kind, claim.kind),
                "void": claim.pk in void,
                "retracted_by": by.pk
                if by is not None and by.kind == ClaimKind.RETRACTION
                else None,
                "superseded_by": by.pk
                if by is not None and by.kind != ClaimKind.RETRACTION
                else None,
                "protected": protected,
                # The name of the source the selector named (its slug), else the mask.
                "source": protected_source if protected else claim.source.name,
                "reliability": c["reliability"],
                "grade": labels.grade(c["reliability"]),
                "status": c["status"],
                "status_text": labels.status(c["status"]) if c["status"] else "",
                "event_text": labels.date(claim.event_date, claim.event_precision)
                if claim.event_date
                else "",
                "event_date": claim.event_date,
                "event_precision": claim.event_precision,
                "event_time": claim.event_time,
                "received_at": claim.received_at,
                "received_text": labels.moment(claim.received_at),
                "credibility": grades.get(claim.credibility, claim.credibility),
                "agreement": titles.get(c["agreement"], c["agreement"]),
                "corrects": c["corrects"],
                "evidence": c["evidence"],
                # A link can name whoever gave it: not shown where the source is masked.
                "evidence_url": "" if protected else claim.evidence_url,
            }
        )
    return rows


def _claim_cards(
    rows: list[dict[str, Any]],
    files: dict[int, list[Any]],
    labels: _Labels,
    *,
    files_shown: bool,
    can_record: bool,
    originals: bool,
) -> SafeString:
    """The claims' cards (``<li>`` each, for the page's ``<ol class="claims">``), written
    here: a template loop cost about 30 template nodes a claim, 28 ms of the page at 200
    claims. The same markup as the template wrote, every value escaped as it escaped them;
    a claim's files as ``casework/_attachments.html`` lists them (``attachments_table``)."""
    e = _esc
    source = e(_("Source"))
    credibility = e(_("Credibility"))
    received = e(_("Received"))
    agreement = e(_("Agreement"))
    evidence = e(_("Evidence"))
    link = e(_("link"))
    attach_label = e(_("Attach a file"))
    attach_url = e(reverse("casework:attachment_new"))
    out: list[str] = []
    add = out.append
    for r in rows:
        ref = r["ref"]
        add(f'\n  <li id="claim-{ref}" class="card claim{" void" if r["void"] else ""}">')
        add(f'\n    <p class="claim-head"><strong>#{ref}</strong> \u00b7 ')
        add(f"<strong>{e(r['status_text'])}</strong>" if r["status"] else e(r["kind"]))
        if r["event_date"]:
            add(f", {e(r['event_text'])}")
        if r["corrects"]:
            corrects = _("corrects #%(id)s") % {"id": e(r["corrects"])}
            add(f' <span class="muted">({corrects})</span>')
        add("</p>\n    ")
        if r["retracted_by"]:
            note = _('Left out: retracted by <a href="#claim-%(id)s">#%(id)s</a>.') % {
                "id": e(r["retracted_by"])
            }
            add(f'<p class="void-note">{note}</p>')
        elif r["superseded_by"]:
            note = _('Left out: superseded by <a href="#claim-%(id)s">#%(id)s</a>.') % {
                "id": e(r["superseded_by"])
            }
            add(f'<p class="void-note">{note}</p>')
        add(
            f'\n    <dl class="facts small">'
            f"\n      <dt>{source}</dt><dd>{e(r['source'])} \u00b7 {e(r['grade'])}</dd>"
            f"\n      <dt>{credibility}</dt><dd>{e(r['credibility'])}</dd>"
            f"\n      <dt>{received}</dt><dd>{e(r['received_text'])}</dd>\n      "
        )
        if r["agreement"]:
            add(f"<dt>{agreement}</dt><dd>{e(r['agreement'])}</dd>")
        add("\n      ")
        if r["evidence"] or r["evidence_url"]:
            add(f"<dt>{evidence}</dt><dd>{e(r['evidence'])}")
            if r["evidence_url"]:
                add(f' <a href="{e(r["evidence_url"])}" rel="noopener noreferrer">{link}</a>')
            add("</dd>")
        add("\n    </dl>\n    ")
        if files_shown:
            add('<div class="claim-files">')
            if files.get(r["id"]):
                add(attachments_table(files[r["id"]], originals=originals, moment=labels.moment))
            if can_record:
                add(f'<p><a class="small" href="{attach_url}?claim={ref}">{attach_label}</a></p>')
            add("</div>")
        add("\n  </li>\n")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def _timeline(
    episodes: list[Any], rows: list[dict[str, Any]], labels: _Labels
) -> list[dict[str, Any]]:
    """The person's story by the date things happened: the custody episodes the registry
    records, and every claim in the list below that still stands (the status reads the
    same ones: retracted and superseded claims are left out of both). Claims that say the
    same thing on the same day are one line, with each source's claim number.

    Built from the rows of the claim list itself, so the two cannot disagree, and a
    protected source stays masked here as it is there."""
    entries: list[dict[str, Any]] = [
        {
            "episode": True,
            "date": e.start_date,
            "precision": e.start_precision,
            "end_date": e.end_date,
            "end_precision": e.end_precision,
            "status": e.status,
            "when": labels.date(e.start_date, e.start_precision)
            + (f" \u2013 {labels.date(e.end_date, e.end_precision)}" if e.end_date else ""),
            "what": labels.status(e.status),
            "place": e.place,
            "claims": [],
            "key": (e.start_date, 0, dt.time.min, e.start_date, e.pk),
        }
        for e in episodes
    ]
    lines: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        if r["void"] or not r["status"]:
            continue  # retracted or superseded, or a retraction: not an event
        day = r["event_date"]
        same = (day, r["event_precision"], r["status"])
        if same not in lines:
            lines[same] = {
                "episode": False,
                "date": day,
                "precision": r["event_precision"],
                "status": r["status"],
                "when": labels.date(day, r["event_precision"]),
                "what": r["status_text"],
                "claims": [],
                # Undated claims (none are, from the forms) go by when they came in.
                "key": (
                    day or r["received_at"].date(),
                    1,
                    r["event_time"] or dt.time.min,
                    r["received_at"],
                    r["id"],
                ),
            }
            entries.append(lines[same])
        lines[same]["claims"].append(r)
    return sorted(entries, key=lambda e: e["key"])


def _timeline_lines(entries: list[dict[str, Any]]) -> SafeString:
    """The timeline's lines (``<li>`` each, for the page's ``<ol class="timeline">``),
    written here for the reason the claims' cards are (``_claim_cards``)."""
    e = _esc
    record = e(_("custody record"))
    out: list[str] = []
    add = out.append
    for line in entries:
        add(
            f'\n  <li class="reached{"" if line["episode"] else " from-claims"}">'
            f'<span class="when">{e(line["when"])}</span>'
            f'\n  <span class="what">{e(line["what"])}</span>\n  <span class="muted">'
        )
        if line["episode"]:
            add(record)
            if line["place"]:
                add(f" \u00b7 {e(line['place'])}")
        else:
            add(
                "; ".join(
                    f'<a href="#claim-{c["ref"]}">#{c["ref"]}</a> {e(c["source"])}'
                    for c in line["claims"]
                )
            )
        add("</span></li>\n")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


def _member_agreements(viewer: Viewer, person: Person) -> QuerySet[Agreement]:
    # An archived agreement takes no new claims (agreements.services.check_open).
    return (
        visible_agreements(viewer)
        .filter(members__person=person, archived_at__isnull=True)
        .order_by("announced_on")
    )


@staff_page()
@require_safe
def person_page(request: HttpRequest, handle: str) -> HttpResponse:
    viewer = request.user
    person = person_get(viewer, handle)
    detail = person_detail(viewer, person)  # records the view in the ledger
    data = detail.as_json()
    memberships = {m.agreement.slug: m for m in detail.memberships}
    statuses = []
    for s in data["statuses"]:
        member = memberships.get(s["agreement"]) if s["agreement"] else None
        statuses.append(
            {
                **s,
                "title": member.agreement.shown_title if member else None,
                "named_on": member.named_on if member else None,
                "why": rule_text(s["rule"]),
                # The claims' numbers as links (ids: nothing to escape), written once here
                # rather than by a template loop over a status's many claims.
                **{
                    f"{which}_links": mark_safe(  # noqa: S308 - numbers only
                        ", ".join(f'<a href="#claim-{int(i)}">#{int(i)}</a>' for i in s[which])
                    )
                    for which in ("decisive_claims", "contradicting_claims", "void_claims")
                },
            }
        )
    # Retracted and superseded claims (and the retractions): the same under every policy.
    void = frozenset(i for s in data["statuses"] for i in s["void_claims"])
    labels = _Labels(detail.person.identity.sex if detail.identity_visible else "")
    claims = _claim_rows(detail, data["claims"], _agreement_titles(viewer), void, labels)
    timeline = _timeline(detail.episodes(), claims, labels)
    can_record = can(viewer, Action.RECORD)
    files_shown = reads_casework(viewer)
    originals = sees_originals(viewer)
    context = {
        "person": detail.person,
        "identity": detail.person.identity if detail.identity_visible else None,
        "timeline": timeline,
        "timeline_lines": _timeline_lines(timeline),
        "claims": claims,
        # Every claim's files in one query, listed under each claim (an inclusion tag per
        # claim cost a fifth of the page's rendering at 200 claims).
        "claim_cards": _claim_cards(
            claims,
            attachments_by_claim(viewer, person),
            labels,
            files_shown=files_shown,
            can_record=can_record,
            originals=originals,
        ),
        "statuses": statuses,
        "can_record": can_record,
        "section": "people",
        "formats": DOWNLOADS,
        "sees_access": is_administrator(viewer),
        "files_shown": files_shown,
        "originals": originals,
    }
    return render(request, "staff/person_detail.html", context)


@staff_page()
@require_safe
def claims_export(request: HttpRequest, handle: str, fmt: str) -> HttpResponse:
    """The person's claims as the page lists them to this viewer, as CSV, Excel or JSON;
    the download is recorded in the ledger."""
    person = person_get(request.user, handle)
    if fmt not in FORMATS:
        return export("claims", fmt, [], [])  # the 404 of an unknown format
    rows = person_claims_download(request.user, person, fmt=fmt)
    return export(f"{person.handle}-claims", fmt, CLAIM_COLUMNS, rows)


@staff_page(Action.RECORD)
@require_POST
def person_at_risk(request: HttpRequest, handle: str) -> HttpResponse:
    person = person_get(request.user, handle)
    flag = request.POST.get("at_risk") == "1"
    person_set_at_risk(actor=request.user, person=person, at_risk=flag)  # type: ignore[arg-type]
    if flag:
        messages.success(request, _("%(handle)s is flagged as at risk.") % {"handle": handle})
    else:
        messages.success(
            request, _("%(handle)s is no longer flagged as at risk.") % {"handle": handle}
        )
    return redirect("staff:person", handle=person.handle)


@staff_page(Action.RECORD)
@require_http_methods(["GET", "HEAD", "POST"])
def claim_new(request: HttpRequest, handle: str) -> HttpResponse:
    viewer = request.user
    person = person_get(viewer, handle)
    form = ClaimForm(
        request.POST or None, viewer=viewer, agreements=_member_agreements(viewer, person)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            claim = claim_record(
                actor=viewer,  # type: ignore[arg-type]
                source=data["source"],
                person=person,
                agreement=data["agreement"],
                status=data["status"],
                event_date=data["event_date"],
                event_precision=data["event_precision"],
                event_time=data["event_time"],
                credibility=data["credibility"],
                evidence_text=data["evidence_text"],
                evidence_url=data["evidence_url"],
            )
        except ValidationError as error:
            # "Not named on that agreement" is about the agreement chosen on the form.
            apply_errors(form, error, {"person": "agreement"})
        else:
            messages.success(
                request,
                _("Claim #%(id)s recorded for %(handle)s.")
                % {"id": claim.pk, "handle": person.handle},
            )
            return redirect("staff:person", handle=person.handle)
    context = {"form": form, "person": person, "section": "people"}
    return render(request, "staff/claim_form.html", context)
