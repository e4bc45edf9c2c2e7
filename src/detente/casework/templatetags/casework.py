"""Casework on the pages of other apps: the section of a person's or an agreement's page,
and the overdue tasks on the dashboard (one tag each, so those pages change by a line)."""

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


@register.inclusion_tag("casework/_attachments.html", takes_context=True)
def claim_attachments(context: template.Context, claim_id: int) -> dict[str, Any]:
    """The files on one claim of a person's page, with a link to attach one.

    The page's view may give every claim's files at once, read for the same viewer, as
    ``claim_files`` (``selectors.attachments_by_claim``): one query for the page instead
    of one per claim."""
    viewer = _viewer(context)
    if viewer is None or not selectors.reads_casework(viewer):
        return {"attachments": [], "can_record": False, "quiet": True}
    given = context.get("claim_files")
    if given is not None:
        rows = given.get(claim_id, [])
    else:
        rows = list(selectors.attachments(viewer).filter(claim_id=claim_id))
    return {
        "attachments": rows,
        "can_record": can(viewer, Action.RECORD),
        "upload_query": urlencode({"claim": claim_id}),
        "quiet": True,
        "originals": selectors.sees_originals(viewer),
    }
