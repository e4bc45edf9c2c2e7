"""Template helpers for the staff pages: dates known to a month or a year, in the locale."""

from __future__ import annotations

import datetime as dt

from django import template

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
