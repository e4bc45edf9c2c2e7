"""Template helpers for the staff pages: dates known to a month or a year, in the locale; an
arrow between two things that a screen reader reads as a word."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import pgettext

from detente.access.policy import can
from detente.core.dates import DatePrecision, PreciseDate, localized

register = template.Library()


@register.filter
def precise_date(value: dt.date | str | None, precision: str = DatePrecision.DAY) -> str:
    """``2015-03-01`` with precision "month" → "Mar 2015" (in the page's language); text as
    read from a file ("1985", "1985-03") the same way, or as it is when it is not a date."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            read = PreciseDate.parse(value)
        except ValueError:
            return value
        return localized(read.value, read.precision)
    return localized(value, precision)


@register.simple_tag
def arrow() -> SafeString:
    """The arrow between two things ("publish → public", "3 → 5") as sighted readers see it,
    read out as a word: a screen reader says "right arrow" for the sign itself."""
    return format_html(
        '<span aria-hidden="true">→</span><span class="visually-hidden">{}</span>',
        pgettext("read out for an arrow from one thing to another", "to"),
    )


@register.simple_tag(takes_context=True)
def allowed(context: template.Context, action: str) -> bool:
    """Whether the signed-in user may take ``action`` (read, record, manage)."""
    request = context.get("request")
    return request is not None and can(request.user, action)


@register.filter
def grade_text(value: str) -> str:
    """A source's grade with what it means ("C: fairly reliable"), in the page's language."""
    from detente.evidence.models import Reliability

    try:
        return str(Reliability(value).label)
    except ValueError:
        return value
