"""Template helpers for the staff pages: dates known to a month or a year, in the locale."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.formats import date_format

from detente.access.policy import can
from detente.core.dates import DatePrecision

register = template.Library()


@register.filter
def precise_date(value: dt.date | None, precision: str = DatePrecision.DAY) -> str:
    """``2015-03-01`` with precision "month" → "March 2015" (in the page's language)."""
    if value is None:
        return "—"
    if precision == DatePrecision.YEAR:
        return date_format(value, "Y")
    if precision == DatePrecision.MONTH:
        return date_format(value, "YEAR_MONTH_FORMAT")
    return date_format(value, "DATE_FORMAT")


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
