"""Accounts, for administrators: the list, creating one, and each account's actions
(role, disable / enable, reset the second factor, lift a lockout).

Every action is an ``accounts.services`` call: checked, changed and audited at once.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from detente.accounts import services
from detente.oversight.forms import (
    ReasonForm,
    RoleForm,
    UserCreateForm,
    attach_errors,
    role_label,
)
from detente.oversight.permissions import allowed, is_administrator
from detente.oversight.selectors import user_accounts, user_get, user_row, user_rows

PAGE_SIZE = 100


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - allowed() let only signed-in users through
    return user


@allowed(is_administrator)
@require_safe
def user_list_page(request: HttpRequest) -> HttpResponse:
    viewer = _actor(request)
    qs = user_accounts(viewer).select_related("totp_device")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = user_rows(viewer, list(page.object_list))
    return render(request, "oversight/user_list.html", {"page": page, "rows": rows})


@allowed(is_administrator)
@require_http_methods(["GET", "HEAD", "POST"])
def user_create_page(request: HttpRequest) -> HttpResponse:
    viewer = _actor(request)
    form = UserCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=viewer,
                username=data["username"],
                email=data["email"],
                role=data["role"],
                password=data["password1"],
            )
        except ValidationError as exc:
            attach_errors(form, exc, {"password": "password1"})
        else:
            messages.success(
                request,
                _("Account %(username)s created.") % {"username": user.get_username()},
            )
            return redirect("oversight:user", pk=user.pk)
    return render(request, "oversight/user_new.html", {"form": form})


# The actions on one account: the form for each, and what success says.
OPERATIONS = ("role", "disable", "enable", "totp_reset", "unlock")


def _forms(data: Any, op: str | None, user: User) -> dict[str, Form]:
    def bound(name: str) -> Any:
        return data if op == name else None

    return {
        "role": RoleForm(bound("role"), prefix="role", initial={"role": services.role_of(user)}),
        "disable": ReasonForm(bound("disable"), prefix="disable"),
        "enable": ReasonForm(bound("enable"), prefix="enable", required=False),
        "totp_reset": ReasonForm(bound("totp_reset"), prefix="totp"),
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


@allowed(is_administrator)
@require_http_methods(["GET", "HEAD", "POST"])
def user_page(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _actor(request)
    user = user_get(viewer, pk)
    op = request.POST.get("op") if request.method == "POST" else None
    if op is not None and op not in OPERATIONS:
        op = None
    forms = _forms(request.POST, op, user)
    if op is not None:
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
    }
    return render(request, "oversight/user_detail.html", context)
