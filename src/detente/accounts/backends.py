"""The authentication backend: Django's password check plus Detente's throttle and code.

List it as the only entry of ``AUTHENTICATION_BACKENDS``. Then any caller of
``django.contrib.auth.authenticate()`` (a later login view, an API, ``Client.login``)
gets a user only with a valid code for accounts that need one: there is no
password-only path left to forget. Pass the code as ``otp_token``: Django hides
credentials named like "token" from the ``user_login_failed`` signal.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from detente.access.policy import can
from detente.accounts.authentication import LoginRefused, attempt_login

PATH = "detente.accounts.backends.SecondFactorBackend"


class SecondFactorBackend(ModelBackend):
    @sensitive_variables("password", "otp_token")
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        otp_token: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None:
            username = kwargs.get(self._username_field())
        if username is None or password is None:
            return None
        try:
            return attempt_login(
                request=request, username=username, password=password, code=otp_token
            )
        except LoginRefused:
            # PermissionDenied, not None: no later backend may accept this login instead.
            raise PermissionDenied from None

    async def aauthenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        otp_token: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        # ModelBackend's async twin checks only the password; without this override an
        # async caller would skip the throttle and the second factor.
        return await sync_to_async(self.authenticate)(
            request, username, password, otp_token, **kwargs
        )

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        # "detente.<action>" is the role policy's answer: the admin's pages ask it this way
        # (detente.core.admin_base sits under access and cannot import it). Any other
        # permission is Django's own. An active superuser never gets here (User.has_perm
        # answers True first), and access.policy counts them administrators too.
        app, _, action = perm.partition(".")
        if app == "detente":
            return can(user_obj, action)
        return bool(super().has_perm(user_obj, perm, obj))

    @staticmethod
    def _username_field() -> str:
        return str(get_user_model().USERNAME_FIELD)
