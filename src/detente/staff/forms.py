"""The staff forms. They check the shape of what was typed; the services check the rest
and their errors are put back on these fields (``common.apply_errors``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from detente.access.policy import Viewer
from detente.access.sources import names_sources
from detente.agreements.derivation import policy_for
from detente.agreements.models import Agreement, Membership, MemberState
from detente.core.dates import DatePrecision
from detente.core.places import country_choices, default_country, division_choices
from detente.evidence.models import Credibility, Source
from detente.registry.models import Sex
from detente.registry.status import RELEASE_CATEGORIES, CustodyStatus


class DateInput(forms.DateInput):
    """The browser's date picker; it sends ISO dates whatever the language shown."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def sources_for(viewer: Viewer) -> QuerySet[Source]:
    """The sources this viewer may name: a protected source's identity is for deciders, and
    an archived source takes no new claims."""
    qs = Source.objects.filter(archived_at__isnull=True).order_by("reliability", "name")
    return qs if names_sources(viewer) else qs.filter(protected=False)


class StaffForm(forms.Form):
    """Labels without the trailing colon (they sit above their fields)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class SourceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.reliability})"


def filter_sources(viewer: Viewer) -> QuerySet[Source]:
    """The sources a list may be narrowed by: archived ones too; a protected source only
    for those who may know it (whom it spoke about would point at it)."""
    qs = Source.objects.order_by("name")
    return qs if names_sources(viewer) else qs.filter(protected=False)


class PeopleFilterForm(StaffForm):
    """The People list's filters: in the address (GET), so a list can be bookmarked; none of
    them can carry a name (names are searched by POST, above it)."""

    SORTS = (
        ("handle", _("Handle")),
        ("name", _("Surname")),
        ("newest", _("Newest first")),
    )
    agreement = forms.ChoiceField(label=_("Agreement"), required=False)
    state = forms.ChoiceField(
        label=_("Where they stand"),
        required=False,
        choices=[("", _("Any")), *MemberState.choices],
    )
    country = forms.ChoiceField(label=_("Country"), required=False)
    division = forms.CharField(label=_("Division (ISO 3166-2)"), required=False, max_length=8)
    source = forms.ChoiceField(label=_("Source spoke about them"), required=False)
    at_risk = forms.ChoiceField(
        label=_("At risk"),
        required=False,
        choices=[("", _("Any")), ("yes", _("At risk")), ("no", _("Not at risk"))],
    )
    sort = forms.ChoiceField(label=_("Order"), required=False, choices=SORTS)

    def __init__(self, *args: Any, viewer: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from detente.agreements.selectors import agreement_list

        agreements = [
            (a.slug, a.shown_title) for a in agreement_list(viewer).order_by("-announced_on")
        ]
        sources = filter_sources(viewer).values_list("slug", "name")
        for name, values in (
            ("agreement", agreements),
            ("country", country_choices()),
            ("source", sources),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
            field.choices = [("", _("Any")), *values]

    def clean_division(self) -> str:
        return str(self.cleaned_data.get("division") or "").strip().upper()


class SearchForm(StaffForm):
    q = forms.CharField(
        label=_("Name or handle"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "spellcheck": "false",
                "autocapitalize": "none",
            }
        ),
    )


class PersonForm(StaffForm):
    # Not required here: a surname alone is enough, and the service says so.
    given_names = forms.CharField(label=_("Given names"), required=False, max_length=120)
    paternal_surname = forms.CharField(label=_("First surname"), required=False, max_length=80)
    maternal_surname = forms.CharField(label=_("Second surname"), required=False, max_length=80)
    aliases = forms.CharField(
        label=_("Aliases and other spellings"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line."),
    )
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DateInput())
    birth_precision = forms.ChoiceField(
        label=_("Birth date known to the"),
        choices=DatePrecision.choices,
        initial=DatePrecision.DAY,
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.OTHER)
    # Not required: left out (an older form, a script), it is the registry's country.
    country = forms.ChoiceField(label=_("Country"), choices=(), required=False)
    division = forms.ChoiceField(
        label=_("Province, state or department"),
        required=False,
        choices=(),
        help_text=_("The first-level division of the country (ISO 3166-2)."),
    )
    province = forms.CharField(
        label=_("Province as the source writes it"),
        required=False,
        max_length=80,
        help_text=_("Kept as written; when no division is chosen above, it is read from this."),
    )
    municipality = forms.CharField(label=_("Municipality"), required=False, max_length=80)
    affiliation = forms.CharField(label=_("Affiliation"), required=False, max_length=160)
    at_risk = forms.BooleanField(
        label=_("At risk"),
        required=False,
        help_text=_("People at risk are never published without an audited override."),
    )
    different_person = forms.BooleanField(
        label=_("None of the suggested people is this person: record someone new"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country_field = self.fields["country"]
        division_field = self.fields["division"]
        assert isinstance(country_field, forms.ChoiceField)  # noqa: S101 - for the type checker
        assert isinstance(division_field, forms.ChoiceField)  # noqa: S101 - for the type checker
        country_field.choices = country_choices()
        country_field.initial = default_country()
        chosen = str(self.data.get("country") or default_country()) if self.is_bound else ""
        division_field.choices = division_options(chosen or default_country())
        # Picking another country reloads this list with its divisions (htmx).
        country_field.widget.attrs.update(
            {
                "hx-post": reverse_lazy("staff:divisions"),
                "hx-trigger": "change",
                "hx-target": "#id_division",
                "hx-swap": "innerHTML",
                "hx-include": "this",
            }
        )

    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["aliases"].splitlines() if line.strip()]


def division_options(country: str) -> list[tuple[str, str]]:
    """The division choices of a country: "not given" first, then its divisions by name."""
    unknown = str(_("Not given: read from the province as written"))
    return [("", unknown), *division_choices(country)]


class ClaimForm(StaffForm):
    """A status claim about one person: who says what happened, when, and on what basis."""

    source = SourceField(label=_("Source"), queryset=Source.objects.none())
    status = forms.ChoiceField(
        label=_("What the source says"),
        choices=[("", _("Choose a status")), *CustodyStatus.choices],
    )
    event_date = forms.DateField(label=_("Date of the event"), widget=DateInput())
    event_precision = forms.ChoiceField(
        label=_("Date known to the"),
        choices=DatePrecision.choices,
        initial=DatePrecision.DAY,
        widget=forms.RadioSelect,
    )
    event_time = forms.TimeField(
        label=_("Time of day (optional)"),
        required=False,
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_(
            "When the source gives one, e.g. released at 18:30: it orders two events of the "
            "same day. Only with a date known to the day."
        ),
        error_messages={"invalid": _("Give the time as hours:minutes, for example 18:30.")},
    )
    agreement = forms.ModelChoiceField(
        label=_("Under the agreement"),
        queryset=Agreement.objects.none(),
        required=False,
        empty_label=_("None (a general report)"),
        to_field_name="slug",
    )
    credibility = forms.TypedChoiceField(
        label=_("Credibility of this information"),
        choices=Credibility.choices,
        coerce=int,
        initial=Credibility.UNKNOWN,
    )
    evidence_text = forms.CharField(
        label=_("Evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was seen or said, by whom, where."),
    )
    evidence_url = forms.URLField(
        label=_("Evidence link"), required=False, max_length=500, assume_scheme="https"
    )

    def __init__(
        self, *args: Any, viewer: Viewer, agreements: QuerySet[Agreement], **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("event_date", timezone.localdate())
        if agreements.count() == 1:
            kwargs["initial"].setdefault("agreement", agreements.first())
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources_for(viewer)  # type: ignore[attr-defined]
        self.fields["agreement"].queryset = agreements  # type: ignore[attr-defined]
        if not agreements.exists():
            self.fields["agreement"].widget = forms.HiddenInput()


def dispute_statuses(membership: Membership) -> list[tuple[str, str]]:
    """Statuses that say a person is not free under this agreement's policy."""
    policy = policy_for(membership.agreement)
    return [
        (value, str(label))
        for value, label in CustodyStatus.choices
        if policy.category(value) not in RELEASE_CATEGORIES
    ]


class VerificationForm(StaffForm):
    """Confirm or dispute one member's reported release, on a named source's word."""

    source = SourceField(label=_("On whose word"), queryset=Source.objects.none())
    event_date = forms.DateField(label=_("Date"), widget=DateInput())
    evidence_text = forms.CharField(
        label=_("Evidence"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence_url = forms.URLField(
        label=_("Evidence link"), required=False, max_length=500, assume_scheme="https"
    )

    def __init__(
        self, *args: Any, viewer: Viewer, membership: Membership, action: str, **kwargs: Any
    ) -> None:
        kwargs.setdefault("prefix", f"{action}-{membership.pk}")
        kwargs.setdefault("initial", {})
        default_day = membership.released_on if action == "confirm" else None
        kwargs["initial"].setdefault("event_date", default_day or timezone.localdate())
        super().__init__(*args, **kwargs)
        self.action = action
        self.membership = membership
        # The releasing side cannot review its own report: its sources are not offered.
        releasing = membership.agreement.promisor.independence_group
        self.fields["source"].queryset = sources_for(viewer).exclude(  # type: ignore[attr-defined]
            independence_group=releasing
        )
        if action == "dispute":
            self.fields["status"] = forms.ChoiceField(
                label=_("Where the source says the person is"),
                choices=dispute_statuses(membership),
                initial=CustodyStatus.DETAINED,
            )
            self.order_fields(["source", "status", "event_date"])

    def clean(self) -> dict[str, Any]:
        """Every error at once: the evidence the service asks for is asked for here too,
        with the others, not on a second submission after the fields are right."""
        cleaned = super().clean() or {}
        text = (cleaned.get("evidence_text") or "").strip()
        url = (cleaned.get("evidence_url") or "").strip()
        if not text and not url and "evidence_url" not in self.errors:
            if self.action == "confirm":
                self.add_error("evidence_text", _("Say how the release was confirmed."))
            else:
                self.add_error("evidence_text", _("Say what the dispute rests on."))
        return cleaned


class VerificationFilterForm(StaffForm):
    agreement = forms.ModelChoiceField(
        label=_("Agreement"),
        queryset=Agreement.objects.none(),
        required=False,
        empty_label=_("All agreements"),
        to_field_name="slug",
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[
            ("", _("Reported or disputed")),
            (MemberState.REPORTED, MemberState.REPORTED.label),
            (MemberState.DISPUTED, MemberState.DISPUTED.label),
        ],
    )

    def __init__(self, *args: Any, agreements: QuerySet[Agreement], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = agreements  # type: ignore[attr-defined]
