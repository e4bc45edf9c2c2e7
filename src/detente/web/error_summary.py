"""One error summary for every form, public and staff (the GOV.UK pattern, our own code).

When a form comes back with errors, the page shows one box at its top: a heading, then every
error at once, each a link to its field (``#id_field``), which takes the focus as the page
opens (``autofocus``, no script needed; htmx focuses it too after a swap), and the page's
title starts with "Error: ". ``summary_items`` turns what a view has into the box's lines:

* a bound Django form (its errors, in the order of its fields; a form's own errors first);
* a mapping of field name to messages (a view that checks its fields itself);
* a list of ready lines, each ``{"href": "#id", "text": "..."}`` or a plain string.

Templates use the tags in ``detente.web.templatetags.error_summary``: ``{% error_summary form
%}`` for the box and ``{% error_title %}`` in the base templates' ``<title>``, which finds the
forms with errors in the page's context by itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.forms import BaseForm
from django.template.context import BaseContext


def _form_items(form: BaseForm) -> list[dict[str, str]]:
    if not form.is_bound or not form.errors:
        return []
    items = [{"href": "", "label": "", "text": str(e)} for e in form.non_field_errors()]
    for bound in form:
        for error in bound.errors:
            # The field; for a group of boxes, which has no one field, its error message.
            target = ""
            if not bound.is_hidden:
                target = bound.id_for_label or (f"{bound.auto_id}_error" if bound.auto_id else "")
            items.append(
                {
                    "href": f"#{target}" if target else "",
                    "label": "" if bound.is_hidden else str(bound.label or ""),
                    "text": str(error),
                }
            )
    return items


def summary_items(*sources: Any) -> list[dict[str, str]]:
    """Every error of ``sources`` (forms, mappings of field to messages, ready lines)."""
    items: list[dict[str, str]] = []
    for source in sources:
        if not source:
            continue
        if isinstance(source, BaseForm):
            items += _form_items(source)
        elif isinstance(source, Mapping):
            for name, messages in source.items():
                if isinstance(messages, str):
                    messages = [messages]
                href = "" if name in ("", "__all__", None) else f"#id_{name}"
                items += [{"href": href, "label": "", "text": str(m)} for m in messages]
        elif isinstance(source, Iterable):
            for line in source:
                if isinstance(line, Mapping):
                    items.append(
                        {
                            "href": str(line.get("href") or ""),
                            "label": str(line.get("label") or ""),
                            "text": str(line.get("text") or ""),
                        }
                    )
                else:
                    items.append({"href": "", "label": "", "text": str(line)})
    return items


# The context names a view may pass ready error lines under (besides bound forms).
ERROR_NAMES = ("errors", "form_errors")


def context_has_errors(context: BaseContext) -> bool:
    """Whether the page about to be shown reports an error: a bound form with errors
    anywhere in its context, or error lines a view passed (``ERROR_NAMES``)."""
    flat: dict[Any, Any] = context.flatten()
    for name, value in flat.items():
        # type(), not isinstance(): isinstance would wake a lazy value (the CSRF token's,
        # which sets a cookie on a page that should set none).
        if issubclass(type(value), BaseForm):
            # Only a form its view has checked (``_errors`` set): asking a bound form that
            # was not checked for its errors would run its checks here (a sign-in attempt).
            if value.is_bound and getattr(value, "_errors", None):
                return True
        elif name in ERROR_NAMES and value and summary_items(value):
            return True
    return False
