"""A system check that the second factor guards ``authenticate()`` as well as the forms."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register

from detente.accounts import backends


@register("security", deploy=False)
def check_backends(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    configured = list(settings.AUTHENTICATION_BACKENDS)
    if configured == [backends.PATH]:
        return []
    return [
        Warning(
            "AUTHENTICATION_BACKENDS is not exactly the second-factor backend.",
            hint=(
                f'Set AUTHENTICATION_BACKENDS = ["{backends.PATH}"]. The login forms '
                "enforce the lockout and the second factor either way, but any other "
                "caller of authenticate() could log in with a password alone."
            ),
            id="accounts.W001",
        )
    ]
