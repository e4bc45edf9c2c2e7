"""Casework on the pages of other apps: the section of a person's or an agreement's page,
and the overdue tasks on the dashboard (one tag each, so those pages change by a line).
A claim's files are listed by the person page itself (``staff/people.py``), with
``attachments_table``.

The section's lists of cases raised and notes are written in Python by ``interventions_table``
and ``notes_list``, the same text as their templates (``casework/_interventions.html``,
``casework/_notes.html``, which the casework pages include): a template costs about 0.15 ms a
row, most of the section on a page with 20 of each. tests/casework/test_written_lists.py
holds each to its template."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.template.defaultfilters import filesizeformat, truncatechars
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.encoding import force_str
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from detente.access.policy import Action, can
from detente.casework import selectors
from detente.casework.models import Attachment, Intervention, Note
from detente.core.markup import esc as _esc
from detente.core.page_ids import new_id

register = template.Library()


def _viewer(context: template.Context) -> Any:
    request = context.get("request")
    return getattr(request, "user", None)


@register.inclusion_tag("casework/_section.html", takes_context=True)
def casework_section(
    context: template.Context, person: Any = None, agreement: Any = None
) -> dict[str, Any]:
    viewer = _viewer(context)
    if viewer is None or not selectors.reads_casework(viewer):
        return {"hidden": True}
    work = selectors.casework_of(viewer, person=person, agreement=agreement)
    query = urlencode({"person": person.handle} if person else {"agreement": agreement.slug})
    return {
        "work": work,
        "query": query,
        "today": selectors.today(),
        "can_record": can(viewer, Action.RECORD),
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("casework/_overdue.html", takes_context=True)
def casework_overdue(context: template.Context) -> dict[str, Any]:
    viewer = _viewer(context)
    if viewer is None or not selectors.reads_casework(viewer):
        return {"hidden": True}
    late = selectors.overdue(viewer)
    return {"mine": late.mine, "everyone": late.everyone, "hidden": False}


def attachments_table(
    attachments: Iterable[Attachment], *, originals: bool, moment: Callable[[Any], str]
) -> str:
    """What ``casework/_attachments.html`` writes for a list of files that is not empty,
    with ``quiet`` and no upload link (as under each claim on the person page), written in
    Python for a page that lists the files of many claims: the template costs about 0.25 ms
    a list. ``moment`` writes a date and time as ``|date:"SHORT_DATETIME_FORMAT"`` does.
    tests/casework/test_attachments_table.py holds the two to the same text."""
    e = _esc
    kinds = {
        value: force_str(label, strings_only=True)
        for value, label in Attachment._meta.get_field("kind").flatchoices
    }
    out = [
        '\n\n<table class="attachments">\n<thead><tr>'
        f'<th scope="col">{e(_("File"))}</th><th scope="col">{e(_("Type"))}</th>'
        f'<th scope="col">{e(_("Size"))}</th><th scope="col">SHA-256</th>'
        f'<th scope="col">{e(_("Uploaded"))}</th></tr></thead>\n<tbody>\n'
    ]
    add = out.append
    for a in attachments:
        url = e(reverse("casework:attachment_download", args=[a.pk]))
        add(f'\n<tr><td><a href="{url}">{e(a.name)}</a>')
        if a.stripped:
            add(f'<br><span class="muted small">{e(_("metadata stripped"))}')
            if originals:
                add(
                    f' \u00b7 <a href="{url}?original=1">{e(_("the original"))}</a> '
                    f"<code>{e(a.original_sha256)}</code>"
                )
            add("</span>")
        add(
            f"</td>\n<td>{e(kinds.get(a.kind, a.kind))}</td><td>{e(filesizeformat(a.size))}</td>"
            f'<td><code class="sha">{e(a.sha256)}</code></td>'
            f"<td>{e(moment(a.created_at))}, {e(a.uploaded_by.get_username())}</td></tr>\n"
        )
    add(
        "\n</tbody>\n</table>\n"
        f'<p class="muted small">{e(_("Every download is written to the ledger."))}</p>\n\n\n'
    )
    return "".join(out)


def _date(value: Any, name: str) -> str:
    """``{{ value|date:name }}``: a date and time in the current time zone."""
    if value in (None, ""):
        return ""
    if isinstance(value, dt.datetime) and settings.USE_TZ and timezone.is_aware(value):
        value = timezone.localtime(value)  # as the filter's template_localtime
    return formats.date_format(value, name)


@register.simple_tag(takes_context=True)
def interventions_table(context: template.Context, interventions: Iterable[Intervention]) -> str:
    """What ``{% include "casework/_interventions.html" %}`` writes for these cases raised."""
    e = _esc
    channels = {
        value: force_str(label, strings_only=True)
        for value, label in Intervention._meta.get_field("channel").flatchoices
    }
    table_id = e(new_id(context, "table"))
    out = [
        f'<div class="table-scroll" tabindex="0" role="group" aria-labelledby="{table_id}">\n'
        '<table class="casework-interventions">\n'
        f'  <caption id="{table_id}" class="visually-hidden">{e(_("Cases raised"))}</caption>\n'
        f'  <thead><tr><th scope="col">{e(_("When"))}</th><th scope="col">{e(_("How"))}</th>'
        f'<th scope="col">{e(_("With whom"))}</th><th scope="col">{e(_("On"))}</th>'
        f'<th scope="col">{e(_("What was asked"))}</th><th scope="col">{e(_("Next step"))}</th>'
        "</tr></thead>\n  <tbody>\n  "
    ]
    add = out.append
    for iv in interventions:
        url = e(reverse("casework:intervention", args=[iv.pk]))
        add(
            f'\n  <tr>\n    <td><a href="{url}">{e(_date(iv.occurred_on, "DATE_FORMAT"))}</a></td>'
            f"\n    <td>{e(channels.get(iv.channel, iv.channel))}</td>\n    <td>"
        )
        party = iv.party
        if party:
            add(e(party.name))
        if party and iv.official:
            add(": ")
        add(f"{e(iv.official)}</td>\n    <td>")
        if iv.person:
            handle = iv.person.handle
            url = e(reverse("staff:person", args=[handle]))
            add(f'<a class="handle" href="{url}">{e(handle)}</a>')
        else:
            slug = iv.agreement.slug  # type: ignore[union-attr]
            add(f'<a href="{e(reverse("oversight:agreement", args=[slug]))}">{e(slug)}</a>')
        add(
            f"</td>\n    <td>{e(truncatechars(iv.asked, 160))}</td>"
            f"\n    <td>{e(truncatechars(iv.next_step, 120))}</td>\n  </tr>\n  "
        )
    add("\n  </tbody>\n</table>\n</div>\n")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


@register.simple_tag
def notes_list(notes: Iterable[Note]) -> SafeString:
    """What ``{% include "casework/_notes.html" %}`` writes for these notes (a note's text
    is kept as written: it is cleaned when saved, and the template marks it safe too)."""
    e = _esc
    only = e(_("verifiers and administrators only"))
    out = ['<ul class="plain-list casework-notes">\n']
    add = out.append
    for note in notes:
        url = e(reverse("casework:note", args=[note.pk]))
        version = _("version %(n)s, %(when)s") % {
            "n": e(note.version),
            "when": e(_date(note.updated_at, "SHORT_DATETIME_FORMAT")),
        }
        add(
            f'\n  <li><div class="note-body">{note.body}</div>'
            f'\n    <p class="muted"><a href="{url}">{version}</a>'
        )
        if note.visibility == "verifiers":
            add(f" \u00b7 <strong>{only}</strong>")
        add("</p></li>\n")
    add("\n</ul>\n")
    return mark_safe("".join(out))  # noqa: S308 - the values are escaped, the text cleaned
