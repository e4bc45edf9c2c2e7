"""Which legislature accounts see an agreement (verifiers and administrators): every one,
or only the accounts listed on it.

One page shows the state and takes three actions, each a service call in
``access.services`` (checked, made and written to the ledger at once): add an account
(``agreement_access_grant``; the first narrows the agreement to the list), remove one
(``agreement_access_revoke``) and open the agreement to every legislature account again
(``agreement_access_open``, which clears the list). The command line
(``detente agreement legislature``) and the API (``/api/agreements/{slug}/legislature``)
do the same through ``agreement_access_change``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import BadRequest, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from detente.access.selectors import LegislatureAccess, legislature_access, legislature_accounts
from detente.access.services import (
    agreement_access_grant,
    agreement_access_open,
    agreement_access_revoke,
)
from detente.agreements.models import Agreement
from detente.agreements.selectors import agreement_get
from detente.oversight.forms import attach_errors
from detente.oversight.permissions import is_administrator, is_manager
from detente.staff.common import staff_page


class AddAccountForm(forms.Form):
    """A legislature account not on the list yet, chosen by its username."""

    user = forms.ModelChoiceField(
        queryset=User.objects.none(),
        to_field_name="username",
        label=gettext_lazy("Legislature account"),
        empty_label=gettext_lazy("Choose an account"),
        help_text=gettext_lazy(
            "Active accounts with the legislature role that are not on the list yet."
        ),
        error_messages={
            "required": gettext_lazy("Choose the legislature account to add."),
            "invalid_choice": gettext_lazy(
                "That account cannot be added: it is not an active legislature account, or "
                "it is on the list already."
            ),
        },
    )

    def __init__(self, *args: Any, viewer: User, state: LegislatureAccess, **kwargs: Any):
        super().__init__(*args, **kwargs)
        listed = [a.username for a in state.accounts]
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = legislature_accounts(viewer).exclude(username__in=listed)
        self.offered = field.queryset


class RemoveAccountForm(forms.Form):
    """The "Remove" button beside a listed account."""

    user = forms.ModelChoiceField(
        queryset=User.objects.none(),
        to_field_name="username",
        widget=forms.HiddenInput,
        error_messages={
            "required": gettext_lazy("Say which account to remove."),
            "invalid_choice": gettext_lazy("That account is not on this agreement's list."),
        },
    )

    def __init__(self, *args: Any, state: LegislatureAccess, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = User.objects.filter(username__in=[a.username for a in state.accounts])


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - staff_page() let only signed-in users through
    return user


def _done(request: HttpRequest, agreement: Agreement) -> HttpResponse:
    return redirect("oversight:agreement_legislature", slug=agreement.slug)


@staff_page(is_manager)
@require_http_methods(["GET", "HEAD", "POST"])
def agreement_legislature_page(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _actor(request)
    agreement = agreement_get(viewer, slug)
    state = legislature_access(viewer, agreement)
    add_form = AddAccountForm(viewer=viewer, state=state)
    remove_form = RemoveAccountForm(state=state)
    title = agreement.shown_title
    if request.method == "POST":
        op = request.POST.get("op", "")
        if op == "add":
            add_form = AddAccountForm(request.POST, viewer=viewer, state=state)
            if add_form.is_valid():
                user = add_form.cleaned_data["user"]
                try:
                    agreement_access_grant(actor=viewer, agreement=agreement, user=user)
                except ValidationError as exc:
                    attach_errors(add_form, exc)
                else:
                    done = _("%(user)s added to the list of “%(title)s”.")
                    if not state.list_only:
                        done += " " + _(
                            "Only the legislature accounts on the list see it now; every other "
                            "legislature account no longer does."
                        )
                    messages.success(request, done % {"user": user.username, "title": title})
                    return _done(request, agreement)
        elif op == "remove":
            remove_form = RemoveAccountForm(request.POST, state=state)
            if remove_form.is_valid():
                user = remove_form.cleaned_data["user"]
                try:
                    agreement_access_revoke(actor=viewer, agreement=agreement, user=user)
                except ValidationError as exc:
                    attach_errors(remove_form, exc)
                else:
                    done = _("%(user)s removed from the list of “%(title)s”.")
                    if len(state.accounts) == 1:
                        done += " " + _(
                            "The list is empty: no legislature account sees the agreement. "
                            "Add one, or open it to every legislature account."
                        )
                    messages.success(request, done % {"user": user.username, "title": title})
                    return _done(request, agreement)
        elif op == "everyone":
            if not state.list_only and not state.accounts:
                messages.info(request, _("Nothing changed."))
            else:
                agreement_access_open(actor=viewer, agreement=agreement)
                messages.success(
                    request,
                    _(
                        "“%(title)s” is open to every legislature account again; the list "
                        "was cleared."
                    )
                    % {"title": title},
                )
            return _done(request, agreement)
        else:
            raise BadRequest("add, remove or everyone")
    context = {
        "agreement": agreement,
        "state": state,
        "add_form": add_form,
        "remove_form": remove_form,
        "addable": add_form.is_bound or add_form.offered.exists(),
        "may_manage_accounts": is_administrator(viewer),
    }
    return render(request, "oversight/agreement_legislature.html", context)
