"""Human labels, in the visitor's language, for the codes the selectors return."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.translation import get_language

from detente.agreements.models import MemberState
from detente.registry.status import Category, CustodyStatus, status_label

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
def custody_status(value: str | None, sex: str | None = "") -> str:
    """``{{ status|custody_status:identity.sex }}`` agrees with a woman whose identity the
    reader sees; leave the argument out where the identity is hidden."""
    return status_label(value, sex or "") if value else ""


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


@register.filter
def localized_title(agreement: Any) -> str:
    """An agreement's title in the page's language when one was given, else in English."""
    return str(agreement.title_in(get_language()))


@register.filter
def localized_description(agreement: Any) -> str:
    return str(agreement.description_in(get_language()))


@register.filter
def stage_label(value: str | None) -> str:
    from detente.evidence.models import Lifecycle

    return str(Lifecycle(value).label) if value in Lifecycle.values else (value or "")


@register.filter
def breakdown_text(parts: dict[str, int] | None) -> str:
    """A count's parts as the source gave them: "200 political, 353 other; 553 on
    conditions"."""
    from django.utils.translation import gettext

    if not parts:
        return ""
    words = {
        "political": gettext("%(n)s political"),
        "other": gettext("%(n)s other (not political)"),
        "conditional": gettext("%(n)s on conditions"),
        "unconditional": gettext("%(n)s unconditionally"),
        "exile": gettext("%(n)s into exile"),
    }
    kinds = [
        ", ".join(words[k] % {"n": parts[k]} for k in group if k in parts)
        for group in (("political", "other"), ("conditional", "unconditional", "exile"))
    ]
    return "; ".join(k for k in kinds if k)


@register.simple_tag(takes_context=True)
def exchange_legs(context: Any, agreement: Any) -> list[Any]:
    """The other legs of an exchange, with their progress, as the page's viewer sees them."""
    from detente.agreements.selectors import agreement_exchange

    request = context.get("request")
    if request is None:
        return []
    return agreement_exchange(request.user, agreement)


@register.filter
def country_name(code: str | None) -> str:
    """The ISO 3166 country's name in the reader's language."""
    from detente.core.places import country_name as name

    return name(code or "")


@register.filter
def division_name(code: str | None) -> str:
    """The ISO 3166-2 division's name in the reader's language."""
    from detente.core.places import division_name as name

    return name(code or "")


@register.filter
def place(identity: Any, always: str = "") -> str:
    """Where a person is from, as a reader says it: "Palma Soriano, Santiago de Cuba" —
    the division by its ISO name when one is known (else the province as written), and
    the country when it is not the registry's own (or ``always``: "country")."""
    from detente.core.places import country_name as country
    from detente.core.places import default_country
    from detente.core.places import division_name as division

    if not identity:
        return ""

    def get(name: str) -> str:  # an Identity, or a selector's identity as a dict
        value = identity.get(name) if isinstance(identity, dict) else getattr(identity, name, "")
        return str(value or "")

    parts = [get("municipality")]
    parts.append(division(get("division")) if get("division") else get("province"))
    home = get("country")
    if home and (always == "country" or home != default_country()):
        parts.append(country(home))
    return ", ".join(p for p in parts if p)
