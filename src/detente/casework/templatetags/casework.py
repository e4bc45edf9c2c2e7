"""Casework on the pages of other apps: the section of a person's or an agreement's page,
and the overdue tasks on the dashboard (one tag each, so those pages change by a line).
A claim's files are listed by the person page itself (``staff/people.py``), with
``attachments_table``."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from django import template
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from detente.access.policy import Action, can
from detente.casework import selectors
from detente.casework.models import Attachment

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


def _esc(value: Any) -> str:
    """What ``{{ value }}`` writes for a value already made (``conditional_escape``)."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


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
