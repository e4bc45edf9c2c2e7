"""Signing in to the staff application, and out.

The form is the accounts app's ``SecondFactorAuthenticationForm``: one attempt runs the
lockout, the password and the one-time code in that order (``attempt_login``, which the
``authenticate()`` backend runs too), and its refusals say only what the accounts app
decided may be said.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from detente.access.policy import Action, can
from detente.accounts.authentication import Refusal
from detente.accounts.forms import SecondFactorAuthenticationForm

# Refusals that are about the code alone (the password was right): said at the code field.
CODE_REFUSALS = frozenset(
    {Refusal.CODE_MISSING, Refusal.CODE_MALFORMED, Refusal.CODE_INVALID, Refusal.CODE_REUSED}
)


class StaffLoginForm(SecondFactorAuthenticationForm):
    """The accounts form with the attributes a phone keyboard and a password manager use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"
        # Six digits, or a recovery code (letters and digits, "abcde-23456").
        self.fields["otp"].widget.attrs.update({"maxlength": "16"})
        self.error_messages["invalid_login"] = _(
            "The username, password or code is not right, or the account is locked for a "
            "while after too many attempts. Both the username and the password are "
            "case-sensitive."
        )
        if self.is_bound:
            # Sent back with an error: the error summary takes the focus, not the username.
            self.fields["username"].widget.attrs.pop("autofocus", None)

    def clean(self) -> dict[str, Any]:
        """A refusal about the code alone is the code field's error (the summary links to
        the field, and the field says it), not the form's."""
        try:
            return super().clean()
        except ValidationError as error:
            if getattr(error, "code", None) in CODE_REFUSALS:
                self.add_error("otp", error)
                return self.cleaned_data
            raise


class StaffLoginView(LoginView):
    form_class = StaffLoginForm
    authentication_form = StaffLoginForm
    template_name = "staff/login.html"
    http_method_names = ["get", "head", "post"]  # nothing else means anything here

    def get_success_url(self) -> str:
        """Staff go where they were heading (or the dashboard); other accounts to the
        public site, which shows them what has been disclosed to them."""
        target = self.get_redirect_url()
        if can(self.request.user, Action.READ):
            return target or reverse("staff:dashboard")
        if target and not target.startswith(("/staff/", "/admin/")):
            return target
        return reverse("web:agreements")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["section"] = "login"
        return context


class StaffLogoutView(LogoutView):
    """POST only (Django's own rule): a link or an image cannot sign anyone out."""

    next_page = "staff:login"
