"""The staff forms of casework; the services check everything again (and decide)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from detente.access.policy import CLI_USERNAME, Action, Role, Viewer, can
from detente.agreements.selectors import party_list
from detente.casework.models import Channel, NoteVisibility
from detente.casework.sanitize import ALLOWED

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class InterventionForm(forms.Form):
    party = forms.ChoiceField(
        label=_("Raised with (party)"),
        required=False,
        help_text=_("The government or body the case was raised with, if any."),
    )
    official = forms.CharField(
        label=_("Official, by role"),
        max_length=200,
        required=False,
        help_text=_("For example: the deputy foreign minister, the embassy's consul."),
    )
    channel = forms.ChoiceField(label=_("How"), choices=Channel.choices)
    occurred_on = forms.DateField(label=_("When"), widget=_DATE)
    raised_by = forms.CharField(
        label=_("Raised by"),
        max_length=150,
        required=False,
        help_text=_("Who raised it; left empty, your user name."),
    )
    asked = forms.CharField(label=_("What was asked"), max_length=4000, widget=forms.Textarea)
    answer = forms.CharField(
        label=_("The answer"), max_length=4000, required=False, widget=forms.Textarea
    )
    next_step = forms.CharField(
        label=_("Next step"), max_length=4000, required=False, widget=forms.Textarea
    )

    def __init__(self, *args: Any, viewer: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parties = party_list(viewer).filter(archived_at__isnull=True).order_by("name")
        self.fields["party"].choices = [("", "—")] + [(p.slug, p.name) for p in parties]  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Plain text, or these HTML elements without attributes: %(allowed)s.")
        % {"allowed": " ".join(f"<{t}>" for t in ALLOWED)},
    )
    visibility = forms.ChoiceField(
        label=_("Who may read it"),
        choices=NoteVisibility.choices,
        initial=NoteVisibility.STAFF,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, viewer: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can(viewer, Action.MANAGE):
            del self.fields["visibility"]  # analysts write for every staff member only


def assignee_choices(viewer: Viewer) -> list[tuple[str, str]]:
    """Active accounts with a staff role: who can be given a task (the service checks that
    they may see its subject)."""
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=sorted(Role.STAFF)))
        .exclude(username=CLI_USERNAME)
        .distinct()
        .order_by("username")
    )
    return [(u.get_username(), u.get_username()) for u in users]


class TaskForm(forms.Form):
    title = forms.CharField(label=_("What to do"), max_length=200)
    details = forms.CharField(
        label=_("Details"), max_length=4000, required=False, widget=forms.Textarea
    )
    due_on = forms.DateField(label=_("Due"), widget=_DATE)
    assignee = forms.ChoiceField(label=_("Assigned to"))
    remind_on = forms.DateField(
        label=_("Remind by email on"),
        required=False,
        widget=_DATE,
        help_text=_(
            "The assignee gets a short email that day (the due day if left empty), saying "
            "only that a task is due and where: never what it says."
        ),
    )

    def __init__(self, *args: Any, viewer: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = assignee_choices(viewer)  # type: ignore[attr-defined]
        self.fields["assignee"].initial = viewer.get_username()


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "A PDF, an image (PNG, JPEG, WebP, GIF), plain text, or a Word, Excel or "
            "OpenDocument text file; recognised by its content, not its name."
        ),
    )
    strip_metadata = forms.BooleanField(
        label=_("Strip the metadata (EXIF, GPS position) from this image"),
        required=False,
        help_text=_(
            "Everyone then gets the stripped copy; the original is kept for verifiers and "
            "administrators only."
        ),
    )
