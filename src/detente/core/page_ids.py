"""Element ids unique within one rendered page.

Several pieces of one page number their ids from the same counter, kept on the request
(or, without one, on the template's render context), so a template's ``{% new_id %}`` and
the partials written in Python never hand out the same id twice.
"""

from __future__ import annotations

from typing import Any

from django.template import Context


def new_id(context: Context, prefix: str) -> str:
    holder: Any = context.get("request") or context.render_context
    count = getattr(holder, "_detente_ids", 0) + 1
    holder._detente_ids = count
    return f"{prefix}-{count}"
