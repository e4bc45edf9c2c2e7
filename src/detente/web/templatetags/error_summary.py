"""``{% error_summary form ... %}`` and ``{% error_title %}`` (detente.web.error_summary)."""

from __future__ import annotations

import hashlib
from typing import Any

from django import template
from django.template.context import Context
from django.utils.translation import gettext

from detente.web.error_summary import context_has_errors, summary_items

register = template.Library()


@register.inclusion_tag("web/_error_summary.html")
def error_summary(*sources: Any, focus: bool = True, saving: bool = True) -> dict[str, Any]:
    """The box at the top of a form: every error of ``sources``, each a link to its field.
    ``focus=False`` for a second box on the same page (only one element may take the focus);
    ``saving=False`` for a form that saves nothing (signing in), which is not told so.
    """
    items = summary_items(*sources)
    # Its own id, the same on every render of the same errors (two boxes on a page differ).
    digest = hashlib.sha256("\n".join(i["href"] + i["text"] for i in items).encode())
    return {
        "items": items,
        "focus": focus,
        "saving": saving,
        "uid": f"error-summary-{digest.hexdigest()[:8]}",
    }


@register.simple_tag(takes_context=True)
def error_title(context: Context) -> str:
    """ "Error: " before a page's title when the page reports an error in a form."""
    return gettext("Error:") + " " if context_has_errors(context) else ""
