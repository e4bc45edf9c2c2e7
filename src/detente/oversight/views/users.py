"""Accounts, for administrators: the list, inviting a person, and each account's actions
(role, disable / enable, reset the second factor, a new invitation link, lift a lockout);
for the invited person, the link's page (password, authenticator, recovery codes); for
everyone signed in, their own account (second factor, new recovery codes).

Every action is an ``accounts.services`` call: checked, changed and audited at once.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_safe

from detente.accounts import services, throttle, totp
from detente.accounts.authentication import second_factor_required
from detente.accounts.models import Invitation, TOTPDevice
from detente.oversight.forms import (
    ReasonForm,
    RoleForm,
    attach_errors,
    role_choices,
    role_label,
)
from detente.oversight.permissions import is_administrator, signed_in
from detente.oversight.selectors import user_accounts, user_get, user_row, user_rows
from detente.staff.common import staff_page

PAGE_SIZE = 100


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - staff_page() let only signed-in users through
    return user


@staff_page(is_administrator)
@require_safe
def user_list_page(request: HttpRequest) -> HttpResponse:
    viewer = _actor(request)
    qs = user_accounts(viewer).select_related("totp_device")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = user_rows(viewer, list(page.object_list))
    return render(request, "oversight/user_list.html", {"page": page, "rows": rows})


class InviteForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    email = forms.EmailField(label=gettext_lazy("E-mail address"), required=False)
    role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=role_choices(), widget=forms.RadioSelect
    )


class InviteAgainForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)
    reset = forms.BooleanField(
        label=gettext_lazy("Remove the current authenticator and recovery codes now"),
        required=False,
        help_text=gettext_lazy(
            "For a lost phone or a suspected copy. Otherwise they keep working until the "
            "link is used."
        ),
    )


def _link(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("oversight:welcome", args=[token]))


def _invited(request: HttpRequest, user: User, invitation: Invitation, token: str) -> HttpResponse:
    """The link, shown this once: only its keyed hash is kept."""
    context = {"account": user, "link": _link(request, token), "expires_at": invitation.expires_at}
    return render(request, "oversight/user_invited.html", context)


@staff_page(is_administrator)
@require_http_methods(["GET", "HEAD", "POST"])
@sensitive_variables("token")
def user_create_page(request: HttpRequest) -> HttpResponse:
    """Invite a person: the account (with its role) and a one-time link for them."""
    viewer = _actor(request)
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, invitation, token = services.user_invite(
                actor=viewer, username=data["username"], email=data["email"], role=data["role"]
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            return _invited(request, user, invitation, token)
    context = {"form": form, "hours": services.invitation_hours()}
    return render(request, "oversight/user_new.html", context)


# The actions on one account: the form for each, and what success says.
OPERATIONS = ("role", "disable", "enable", "totp_reset", "invite", "unlock")


def _forms(data: Any, op: str | None, user: User) -> dict[str, Form]:
    def bound(name: str) -> Any:
        return data if op == name else None

    return {
        "role": RoleForm(bound("role"), prefix="role", initial={"role": services.role_of(user)}),
        "disable": ReasonForm(bound("disable"), prefix="disable"),
        "enable": ReasonForm(bound("enable"), prefix="enable", required=False),
        "totp_reset": ReasonForm(bound("totp_reset"), prefix="totp"),
        "invite": InviteAgainForm(bound("invite"), prefix="invite"),
        "unlock": Form(bound("unlock"), prefix="unlock"),
    }


def _run(op: str, viewer: User, user: User, data: dict[str, Any]) -> str:
    """Apply one action; return what to tell the administrator."""
    name = {"username": user.get_username()}
    if op == "role":
        services.user_set_role(actor=viewer, user=user, role=data["role"], reason=data["reason"])
        return _("%(username)s is now: %(role)s.") % {**name, "role": role_label(data["role"])}
    if op == "disable":
        ended = services.user_disable(actor=viewer, user=user, reason=data["reason"])
        return _("%(username)s is disabled: %(sessions)s session(s) ended, API tokens revoked.") % {
            **name,
            "sessions": ended,
        }
    if op == "enable":
        services.user_enable(actor=viewer, user=user, reason=data["reason"])
        return _("%(username)s can sign in again.") % name
    if op == "totp_reset":
        services.totp_reset(actor=viewer, user=user, reason=data["reason"])
        return (
            _(
                "The authenticator of %(username)s was removed. They cannot sign in until a "
                "new one is enrolled."
            )
            % name
        )
    services.login_unlock(actor=viewer, user=user)
    return _("The login lockouts of %(username)s were lifted.") % name


@staff_page(is_administrator)
@require_http_methods(["GET", "HEAD", "POST"])
def user_page(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _actor(request)
    user = user_get(viewer, pk)
    op = request.POST.get("op") if request.method == "POST" else None
    if op is not None and op not in OPERATIONS:
        op = None
    forms = _forms(request.POST, op, user)
    if op == "invite":
        form = forms[op]
        if form.is_valid():
            try:
                invitation, token = services.invitation_issue(
                    actor=viewer,
                    user=user,
                    reason=form.cleaned_data["reason"],
                    reset=form.cleaned_data["reset"],
                )
            except ValidationError as exc:
                user.refresh_from_db()
                attach_errors(form, exc)
            else:
                return _invited(request, user, invitation, token)
    elif op is not None:
        form = forms[op]
        if form.is_valid():
            try:
                done = _run(op, viewer, user, form.cleaned_data)
            except ValidationError as exc:
                user.refresh_from_db()
                attach_errors(form, exc)
            else:
                messages.success(request, done)
                return redirect("oversight:user", pk=user.pk)
    context = {
        "failed": forms[op] if op is not None and forms[op].errors else None,
        "account": user_row(viewer, user),
        "forms": forms,
        "myself": user.pk == viewer.pk,
        "role_label": role_label(services.role_of(user)),
        "codes_left": services.recovery_codes_left(user),
        "open_invitation": Invitation.objects.filter(
            user=user,
            used_at__isnull=True,
            cancelled_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first(),
    }
    return render(request, "oversight/user_detail.html", context)


# --- The invitation link: the invited person's page ----------------------------------------


class WelcomeForm(forms.Form):
    password1 = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy(
            "At least 12 characters, not a common password, not like the username."
        ),
    )
    password2 = forms.CharField(
        label=gettext_lazy("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    code = forms.CharField(
        label=gettext_lazy("Code from the app"),
        max_length=16,
        help_text=gettext_lazy("The 6-digit code the app shows now for Detente."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )
    enrolment = forms.CharField(widget=forms.HiddenInput, max_length=1000)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        one, two = data.get("password1"), data.get("password2")
        if one and two and one != two:
            self.add_error("password2", gettext_lazy("The two passwords differ."))
        return data


def _qr_svg(uri: str) -> str:
    import segno

    qr = segno.make(uri, error="m")
    # Plain SVG markup: no script, no style attribute (the CSP allows neither inline).
    svg: str = qr.svg_inline(
        scale=5, border=4, dark="#000", light="#fff", title=_("QR code for your authenticator app")
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)


def _unusable(request: HttpRequest) -> HttpResponse:
    """Unknown, used, expired, replaced, or for a disabled account: all answered alike."""
    return render(request, "oversight/user_welcome_unusable.html", status=404)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect
@sensitive_post_parameters("password1", "password2", "code", "enrolment")
@sensitive_variables("token", "secret", "sealed")
def welcome_page(request: HttpRequest, token: str) -> HttpResponse:
    """Choose a password and enrol the authenticator, in one form; then the recovery codes."""
    try:
        invitation = services.invitation_open(token)
    except services.InvitationUnusable:
        return _unusable(request)
    user = invitation.user
    form = WelcomeForm(request.POST if request.method == "POST" else None)
    sealed = request.POST.get("enrolment", "") if request.method == "POST" else ""
    secret = services.enrolment_unseal(invitation, sealed) if sealed else None
    if secret is None:
        secret = services.enrolment_secret()
        sealed = services.enrolment_seal(invitation, secret)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, codes = services.invitation_accept(
                token=token,
                password=data["password1"],
                sealed_secret=data["enrolment"],
                code=data["code"],
            )
        except services.InvitationUnusable:
            return _unusable(request)
        except ValidationError as exc:
            attach_errors(form, exc, {"password": "password1"})
        else:
            context = {"account": user, "codes": codes, "first": True}
            return render(request, "oversight/user_codes.html", context)
    uri = totp.provisioning_uri(secret, user.get_username())
    context = {
        "form": form,
        "account": user,
        "qr": mark_safe(_qr_svg(uri)),  # noqa: S308 - segno's own markup, text escaped
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "uri": uri,
        "sealed": sealed,  # the form carries the secret of the QR code on this page
        "expires_at": invitation.expires_at,
    }
    return render(request, "oversight/user_welcome.html", context)


# --- One's own account --------------------------------------------------------------------


class RegenerateForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


@staff_page(signed_in)
@require_http_methods(["GET", "HEAD", "POST"])
@sensitive_post_parameters("code")
def account_page(request: HttpRequest) -> HttpResponse:
    """Whether my second factor is enrolled; new recovery codes with the current code."""
    viewer = _actor(request)
    form = RegenerateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.recovery_codes_regenerate(
                actor=viewer,
                code=form.cleaned_data["code"],
                address=throttle.client_address(request),
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            context = {"account": viewer, "codes": codes, "first": False}
            return render(request, "oversight/user_codes.html", context)
    device = TOTPDevice.objects.filter(user=viewer).first()
    context = {
        "form": form,
        "device": device,
        "required": second_factor_required(viewer),
        "codes_left": services.recovery_codes_left(viewer),
        "role_label": role_label(services.role_of(viewer)),
    }
    return render(request, "oversight/user_account.html", context)
