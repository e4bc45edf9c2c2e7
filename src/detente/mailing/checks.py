"""System checks for email updates: the site's public address (``detente check``)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from detente.core.public_url import PUBLIC_URL_VARIABLE, public_url_problems


@register("mailing", deploy=True)
def check_public_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Links in emails and invitations need the address people use (`detente check
    --deploy`; `detente serve` and `detente db_worker` check it themselves at start)."""
    found = public_url_problems(
        os.environ.get(PUBLIC_URL_VARIABLE), production=bool(getattr(settings, "PRODUCTION", False))
    )
    hint = "See docs/operations.md, Configuration."
    return [Error(m, hint=hint, id="mailing.E001") for m in found.errors] + [
        Warning(m, hint=hint, id="mailing.W001") for m in found.warnings
    ]
