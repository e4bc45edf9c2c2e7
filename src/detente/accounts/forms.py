"""Login forms with the second factor: one for the admin today, one for a later web login."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from detente.accounts import backends
from detente.accounts.authentication import LoginRefused, attempt_login, refusal_message


class SecondFactorAuthenticationForm(AuthenticationForm):
    """Username, password and the authenticator's code, checked by ``attempt_login``.

    The code field is optional in the form because accounts without a role need none;
    ``attempt_login`` decides, after the password, whether this account must give one.
    Errors are form-wide (``non_field_errors``), which every login template shows.
    """

    otp = forms.CharField(
        label=_("Authentication code"),
        required=False,
        strip=True,
        help_text=_(
            "The 6-digit code your authenticator app shows now, or one of your recovery codes."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "spellcheck": "false",
                "size": "12",
            }
        ),
    )

    @sensitive_variables()
    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        code = self.cleaned_data.get("otp") or ""
        if username is not None and password:
            try:
                user = attempt_login(
                    request=self.request, username=username, password=password, code=code
                )
            except LoginRefused as refused:
                message = refusal_message(refused.reason)
                if message is None:
                    raise self.get_invalid_login_error() from None
                raise ValidationError(message, code=refused.reason.value) from None
            # login() records this path in the session; a backend that is not configured
            # would make the session anonymous on the next request.
            configured = list(settings.AUTHENTICATION_BACKENDS)
            user.backend = (  # type: ignore[attr-defined]
                backends.PATH if backends.PATH in configured else configured[0]
            )
            self.user_cache = user
            self.confirm_login_allowed(user)
        return self.cleaned_data


class AdminSecondFactorAuthenticationForm(SecondFactorAuthenticationForm, AdminAuthenticationForm):
    """The admin's login form: the above, and only staff accounts may enter."""

    def confirm_login_allowed(self, user: Any) -> None:
        # Staff by role (the one source of truth), not by Django's is_staff flag alone; the
        # same answer, and the same words, as a wrong password gets.
        from detente.accounts.services import holds_staff_role

        AuthenticationForm.confirm_login_allowed(self, user)
        if not holds_staff_role(user):
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )
