"""Human labels, in the visitor's language, for the codes the selectors return."""

from __future__ import annotations

import datetime as dt

from django import template

from detente.agreements.models import MemberState
from detente.registry.status import Category, CustodyStatus

register = template.Library()


def _label(choices: type[MemberState | Category | CustodyStatus], value: str | None) -> str:
    if not value:
        return ""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@register.filter
def member_state(value: str | None) -> str:
    return _label(MemberState, value)


@register.filter
def custody_status(value: str | None) -> str:
    return _label(CustodyStatus, value)


@register.filter
def release_category(value: str | None) -> str:
    return _label(Category, value)


@register.filter
def as_date(value: str | None) -> dt.date | None:
    """An ISO date from a selector's JSON, back as a date so it can be shown localised."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None
