"""Casework on the pages of other apps: the section of a person's or an agreement's page,
and the overdue tasks on the dashboard (one tag each, so those pages change by a line).
A claim's files are listed by the person page itself (``staff/people.py``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template

from detente.access.policy import Action, can
from detente.casework import selectors

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
