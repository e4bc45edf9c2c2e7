"""Forms of the oversight pages.

A form checks only what a browser can get wrong (a missing field, a date that is not a
date, two passwords that differ); the rules live in the services, whose errors are put
back on the field they name (``attach_errors``) so the user sees them where they typed.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from detente.access.models import Audience, DisclosureAction
from detente.access.policy import Action, Role, Viewer, can
from detente.agreements.selectors import agreement_list
from detente.api.models import Scope
from detente.api.services import MAX_DAYS
from detente.evidence.models import Reliability, SourceKind
from detente.oversight.permissions import is_administrator
from detente.registry.models import Person
from detente.registry.selectors import person_get

ISO_DATE = "%Y-%m-%d"


def attach_errors(
    form: forms.Form, exc: ValidationError, rename: dict[str, str] | None = None
) -> None:
    """Show a service's refusal on the field it names, or above the form."""
    rename = rename or {}
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for name, messages in exc.message_dict.items():
        target = rename.get(name, name)
        for message in messages:
            form.add_error(target if target in form.fields else None, message)


def role_choices(*, none_label: Any = None) -> list[tuple[str, Any]]:
    return [
        (Role.ANALYST, _("Analyst: reads and records")),
        (Role.VERIFIER, _("Verifier: also manages sources and decides disclosures")),
        (Role.ADMINISTRATOR, _("Administrator: also manages accounts")),
        (Role.LEGISLATURE, _("Legislature: sees what is disclosed to the legislature")),
        ("", none_label or _("No role: sees what the public sees")),
    ]


def role_label(role: str) -> Any:
    return {
        Role.ANALYST: _("Analyst"),
        Role.VERIFIER: _("Verifier"),
        Role.ADMINISTRATOR: _("Administrator"),
        Role.LEGISLATURE: _("Legislature"),
    }.get(role, _("No role"))


# --- Agreements -----------------------------------------------------------------------------


class AsOfForm(forms.Form):
    as_of = forms.DateField(
        label=_("Progress as it stood on"),
        required=False,
        input_formats=[ISO_DATE],
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
        help_text=_("Figures as known at the end of that day (UTC). Leave empty for today."),
        error_messages={
            "invalid": _("Give the date as year-month-day, for example 2025-01-31."),
        },
    )

    def clean_as_of(self) -> dt.date | None:
        value: dt.date | None = self.cleaned_data.get("as_of")
        if value is not None and value > timezone.now().date():
            raise ValidationError(
                _("%(date)s is in the future; choose today or an earlier day."),
                params={"date": value.isoformat()},
            )
        return value


# --- Sources --------------------------------------------------------------------------------


class SourceCreateForm(forms.Form):
    slug = forms.CharField(
        label=_("Short name (slug)"),
        max_length=64,
        help_text=_("Lower-case letters, digits and hyphens, e.g. “embassy-havana”."),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=SourceKind.choices)
    reliability = forms.ChoiceField(label=_("Reliability grade"), choices=Reliability.choices)
    independence_group = forms.CharField(
        label=_("Independence group"),
        max_length=64,
        help_text=_(
            "Sources in one group are not independent of each other (two channels of one "
            "government). A slug, e.g. “cu-government”."
        ),
    )
    protected = forms.BooleanField(
        label=_("Protected: the identity of this source is confidential"),
        required=False,
        help_text=_("Only verifiers and administrators will see its name."),
    )


class SourceRegradeForm(forms.Form):
    reliability = forms.ChoiceField(label=_("Reliability grade"), choices=Reliability.choices)
    independence_group = forms.CharField(label=_("Independence group"), max_length=64)


# --- Disclosures ----------------------------------------------------------------------------

_HANDLES = re.compile(r"[\s,;]+")


class ProposeForm(forms.Form):
    audience = forms.ChoiceField(
        label=_("Audience"), choices=Audience.choices, widget=forms.RadioSelect
    )
    action = forms.ChoiceField(
        label=_("What to do"),
        choices=DisclosureAction.choices,
        initial=DisclosureAction.OPEN,
        widget=forms.RadioSelect,
        help_text=_("A withdrawal closes names that an earlier disclosure opened."),
    )
    agreement = forms.ChoiceField(
        label=_("Every person named on the agreement"),
        required=False,
        help_text=_("Covers the agreement's named members; people listed below are added."),
    )
    people = forms.CharField(
        label=_("People (handles)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_("Handles such as P-0017, separated by spaces, commas or new lines."),
    )
    effective_date = forms.DateField(
        label=_("Scheduled date"),
        required=False,
        input_formats=[ISO_DATE],
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
        help_text=_("Optional. Leave date and time empty to open the names on approval."),
        error_messages={"invalid": _("Give the date as year-month-day, for example 2025-01-31.")},
    )
    effective_time = forms.TimeField(
        label=_("Scheduled time (UTC)"),
        required=False,
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("Give the time as hours:minutes, for example 09:30.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why these names may now be seen; kept in the audit ledger."),
    )

    def __init__(self, *args: Any, viewer: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        agreements = self.fields["agreement"]
        assert isinstance(agreements, forms.ChoiceField)  # noqa: S101 - for the type checker
        agreements.choices = [("", _("— none —"))] + [
            (a.slug, f"{a.title} ({a.slug})") for a in agreement_list(viewer)
        ]
        if is_administrator(viewer):
            self.fields["at_risk_override"] = forms.BooleanField(
                label=_("Include people at risk (public only)"),
                required=False,
                help_text=_(
                    "People flagged at risk are otherwise left out of a public disclosure. "
                    "Only another administrator can approve this, and it is audited."
                ),
            )

    def clean_people(self) -> list[Person]:
        text: str = self.cleaned_data.get("people") or ""
        found: list[Person] = []
        unknown: list[str] = []
        for handle in dict.fromkeys(h for h in _HANDLES.split(text.strip()) if h):
            try:
                found.append(person_get(self.viewer, handle))
            except Http404:
                unknown.append(handle)
        if unknown:
            message = ngettext(
                "No person has the handle %(handles)s.",
                "No person has the handles %(handles)s.",
                len(unknown),
            )
            raise ValidationError(message % {"handles": ", ".join(unknown)})
        return found

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, time = data.get("effective_date"), data.get("effective_time")
        if day is not None and time is None and "effective_time" not in self.errors:
            self.add_error("effective_time", _("Give a time with the date."))
        elif time is not None and day is None and "effective_date" not in self.errors:
            self.add_error("effective_date", _("Give a date with the time."))
        return data

    def effective_from(self) -> dt.datetime | None:
        day, time = self.cleaned_data.get("effective_date"), self.cleaned_data.get("effective_time")
        if day is None or time is None:
            return None
        return dt.datetime.combine(day, time, tzinfo=dt.UTC)


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to reject; kept in the audit ledger."),
    )


# --- Ledger ---------------------------------------------------------------------------------


class LedgerFilterForm(forms.Form):
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=64,
        help_text=_("An action or its beginning, e.g. “disclosure.” or “user.disable”."),
    )
    actor = forms.CharField(label=_("Actor (username)"), required=False, max_length=150)
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    after = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


# --- Users ----------------------------------------------------------------------------------


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=role_choices(), widget=forms.RadioSelect)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters, not a common password, not like the username."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        one, two = data.get("password1"), data.get("password2")
        if one and two and one != two:
            self.add_error("password2", _("The two passwords differ."))
        return data


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("New role"), choices=role_choices(), widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args: Any, required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required


# --- API tokens -----------------------------------------------------------------------------


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “ministry import script”."),
    )
    scope = forms.ChoiceField(
        label=_("Scope"), choices=Scope.choices, initial=Scope.READ, widget=forms.RadioSelect
    )
    days = forms.IntegerField(
        label=_("Days until it expires"),
        min_value=1,
        max_value=MAX_DAYS,
        initial=90,
        localize=True,
    )

    def __init__(self, *args: Any, viewer: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can(viewer, Action.RECORD):
            # Offer only what the service would accept; it still refuses a forged "write".
            scope = self.fields["scope"]
            assert isinstance(scope, forms.ChoiceField)  # noqa: S101 - for the type checker
            scope.choices = [(Scope.READ, Scope.READ.label)]
