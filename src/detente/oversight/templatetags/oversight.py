"""The oversight entries of the staff navigation, and labels for codes the pages show."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from detente.audit.labels import action_label, object_label
from detente.oversight.forms import role_label
from detente.oversight.permissions import (
    Check,
    is_administrator,
    is_manager,
    is_staff,
    signed_in,
)

register = template.Library()

# (url name, label, who sees the link): the same checks as the pages themselves.
PAGES: tuple[tuple[str, Any, Check], ...] = (
    ("oversight:agreements", _("Agreements"), is_staff),
    ("oversight:parties", _("Parties"), is_staff),
    ("oversight:sources", _("Sources"), is_staff),
    ("oversight:disclosures", _("Disclosures"), is_staff),
    ("oversight:statistics", _("Statistics releases"), is_staff),
    ("oversight:ledger", _("Audit ledger"), is_manager),
    ("oversight:users", _("Users"), is_administrator),
    ("oversight:tokens", _("API tokens"), signed_in),
)


# The entries shown in the menu bar itself; the others are under "More" (staff/nav.html),
# so that the menu holds on one line of a laptop screen.
MAIN = frozenset({"oversight:agreements"})

# Pages that sit under an entry without one of their own (the menu is full): the email
# updates live under Agreements.
UNDER: dict[str, tuple[str, ...]] = {"oversight:agreements": ("staff:mailing_lists",)}


@register.simple_tag(takes_context=True)
def oversight_links(context: template.Context) -> list[dict[str, Any]]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    path = getattr(request, "path", "")
    links = []
    for name, label, check in PAGES:
        if check(user):
            url = reverse(name)
            prefixes = (url, *(reverse(n) for n in UNDER.get(name, ())))
            links.append(
                {
                    "url": url,
                    "label": label,
                    "current": path.startswith(prefixes),
                    "main": name in MAIN,
                }
            )
    return links


@register.filter
def more_current(links: list[dict[str, Any]]) -> bool:
    """Whether the page shown is one of the entries under "More"."""
    return any(link["current"] and not link["main"] for link in links)


@register.filter
def role_name(value: str) -> Any:
    return role_label(value)


@register.filter
def ledger_action(code: str) -> str:
    """A ledger action in words ("approved a disclosure"); the code itself when unknown."""
    return action_label(code)


@register.simple_tag
def ledger_object(object_type: str, object_id: str, name: str = "") -> str:
    """A ledger entry's object in words ("person P-0001", "agreement 3")."""
    return object_label(object_type, object_id, name)
