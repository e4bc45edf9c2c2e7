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
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from detente.access.models import Audience, DisclosureAction
from detente.access.policy import Action, Role, Viewer, can
from detente.agreements.models import Agreement, Classification, Party, PartyKind
from detente.agreements.selectors import agreement_list
from detente.api.models import Scope
from detente.api.services import MAX_DAYS
from detente.core.dates import localized
from detente.core.places import country_choices, default_country, division_choices
from detente.evidence.models import (
    BREAKDOWN_PARTS,
    Credibility,
    Lifecycle,
    Reliability,
    Source,
    SourceKind,
)
from detente.oversight.permissions import is_administrator
from detente.registry.models import Person
from detente.registry.selectors import person_get
from detente.registry.status import (
    DEFAULT_CATEGORY,
    OVERRIDABLE_CATEGORIES,
    OVERRIDABLE_STATUSES,
    RELEASE_CATEGORIES,
    Category,
    CustodyStatus,
)
from detente.staff.forms import SourceField, sources_for

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
                params={"date": localized(value)},
            )
        return value


# --- Setting up: parties, sources, agreements ----------------------------------------------

# The pages that create a party, a source or an agreement live at ``…/new/``, where a
# record with that slug would be shadowed.
RESERVED_SLUGS = frozenset({"new"})


class SlugForm(forms.Form):
    """A form whose ``slug`` field names a new record (it is removed when editing one)."""

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise ValidationError(
                _("“%(slug)s” is the address of the page that creates one; choose another."),
                params={"slug": slug},
            )
        return slug


def _archived_mark(label: str, archived: bool) -> str:
    return gettext("%(label)s (archived)") % {"label": label} if archived else label


class PartyForm(SlugForm):
    slug = forms.CharField(
        label=_("Short name (slug)"),
        max_length=64,
        help_text=_(
            "Lower-case letters, digits and hyphens, e.g. “cu-government”. It cannot be "
            "changed later."
        ),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("As readers should see it, e.g. “Government of Cuba”."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=PartyKind.choices, initial=PartyKind.GOVERNMENT
    )
    independence_group = forms.CharField(
        label=_("Independence group"),
        max_length=64,
        help_text=_(
            "The group of the sources that speak for this party (its ministries, embassy, "
            "state press): they cannot independently confirm a release it made. A slug, "
            "e.g. “cu-government”."
        ),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["slug"]
            self.fields["independence_group"].help_text = _(
                "The group of the sources that speak for this party. Changing it changes "
                "who can confirm releases under its agreements: their members are "
                "rederived at once."
            )


class SourceForm(SlugForm):
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

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["slug"]
            self.fields["reliability"].help_text = _(
                "A new grade or group rederives, at once, the state of every person this "
                "source has made a claim about, on every agreement."
            )
            self.fields["protected"].help_text = _(
                "Only verifiers and administrators see a protected source's name. Unticking "
                "this shows it to analysts too."
            )


PROMISE_EXACT = "exact"
PROMISE_ABOUT = "about"
PROMISE_NONE = "none"


class PartyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _archived_mark(f"{obj.name} ({obj.slug})", obj.archived_at is not None)


class PartiesChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _archived_mark(f"{obj.name} ({obj.slug})", obj.archived_at is not None)


def release_choices() -> list[tuple[str, Any]]:
    """The kinds of release an agreement can promise, and "not said"."""
    return [("", _("Not said"))] + [
        (value, label)
        for value, label in CustodyStatus.choices
        if DEFAULT_CATEGORY[value] in RELEASE_CATEGORIES
    ]


class AgreementForm(SlugForm):
    """An agreement as it was announced. The parties offered are those not archived (and,
    when editing, the ones the agreement already has)."""

    slug = forms.CharField(
        label=_("Short name (slug)"),
        max_length=64,
        help_text=_(
            "Lower-case letters, digits and hyphens, e.g. “cuba-us-2014”. It is part of the "
            "agreement's address and cannot be changed later."
        ),
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("In English, e.g. “Cuba and United States prisoner release, 2014”."),
    )
    title_es = forms.CharField(
        label=_("Title in Spanish"),
        max_length=200,
        required=False,
        help_text=_("Shown to readers in Spanish; left empty, they see the English title."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was announced, by whom and where, in English."),
    )
    description_es = forms.CharField(
        label=_("Description in Spanish"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    promisor = PartyChoiceField(
        label=_("Releasing party"),
        queryset=Party.objects.none(),
        to_field_name="slug",
        empty_label=_("Choose a party"),
        help_text=_("The side that holds the prisoners and promised to free them."),
    )
    promisee = PartyChoiceField(
        label=_("Counterpart"),
        queryset=Party.objects.none(),
        to_field_name="slug",
        empty_label=_("Choose a party"),
        help_text=_(
            "The side the promise was made to. It must be in another independence group, "
            "so that its sources can confirm releases independently."
        ),
    )
    mediators = PartiesChoiceField(
        label=_("Mediators and guarantors"),
        queryset=Party.objects.none(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Optional: third parties that brokered or guarantee the agreement."),
    )
    announced_on = forms.DateField(
        label=_("Announced on"),
        input_formats=[ISO_DATE],
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
        error_messages={
            "invalid": _("Give the date as year-month-day, for example 2025-01-31."),
        },
    )
    promise = forms.ChoiceField(
        label=_("How many people were promised"),
        choices=[
            (PROMISE_EXACT, _("A number")),
            (PROMISE_ABOUT, _("About a number (“about 900”)")),
            (PROMISE_NONE, _("No number given")),
        ],
        initial=PROMISE_EXACT,
        widget=forms.RadioSelect,
    )
    promised_count = forms.IntegerField(
        label=_("Number of people"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
        help_text=_("Leave it empty when no number was given."),
        error_messages={"invalid": _("Give a whole number, for example 53.")},
    )
    expected_release = forms.ChoiceField(
        label=_("Expected kind of release"),
        choices=release_choices,
        required=False,
        help_text=_("What the announcement said the releases would be, if it said."),
    )
    country = forms.ChoiceField(
        label=_("Country where the releases happen"),
        choices=(),
        required=False,  # left out: the registry's country
        help_text=_("ISO 3166; the public statistics count its divisions."),
    )
    division = forms.ChoiceField(
        label=_("Only in one province, state or department"),
        choices=(),
        required=False,
        help_text=_("For an agreement local to one first-level division (ISO 3166-2)."),
    )

    def __init__(self, *args: Any, agreement: Agreement | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country_field, division_field = self.fields["country"], self.fields["division"]
        assert isinstance(country_field, forms.ChoiceField)  # noqa: S101 - for the type checker
        assert isinstance(division_field, forms.ChoiceField)  # noqa: S101 - for the type checker
        country_field.choices = country_choices()
        country_field.initial = default_country()
        country = (
            str(self.data.get("country") or "")
            if self.is_bound
            else str(self.initial.get("country") or "")
        ) or default_country()
        whole = str(_("The whole country"))
        division_field.choices = [("", whole), *division_choices(country.upper())]
        # Picking another country reloads the division list with its divisions (htmx).
        country_field.widget.attrs.update(
            {
                "hx-post": reverse("staff:divisions"),
                "hx-trigger": "change",
                "hx-target": "#id_division",
                "hx-swap": "innerHTML",
                "hx-include": "this",
                "hx-vals": '{"for": "agreement"}',
            }
        )
        offered = Q(archived_at__isnull=True)
        if agreement is not None:
            del self.fields["slug"]
            current = [agreement.promisor_id, agreement.promisee_id]
            current += list(agreement.mediators.values_list("pk", flat=True))
            offered |= Q(pk__in=current)
        parties = Party.objects.filter(offered).order_by("name", "slug")
        self.parties = parties  # what the page says when there are too few to choose from
        for name in ("promisor", "promisee", "mediators"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - for the type checker
            field.queryset = parties
        if agreement is not None:
            # The other legs an exchange may have: its counterpart releasing to its
            # releasing party (the service checks it again after a party is changed).
            self.fields["exchange_legs"] = forms.ModelMultipleChoiceField(
                label=_("Other legs of an exchange"),
                queryset=Agreement.objects.filter(
                    Q(promisor_id=agreement.promisee_id, promisee_id=agreement.promisor_id)
                    | Q(pk__in=agreement.exchange_legs.values("pk"))
                ).order_by("announced_on", "slug"),
                to_field_name="slug",
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text=_(
                    "When the other side releases people too (an exchange): the agreements "
                    "in which this one's counterpart releases people to its releasing party."
                ),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        promise, count = data.get("promise"), data.get("promised_count")
        if "promised_count" not in self.errors:
            if promise in (PROMISE_EXACT, PROMISE_ABOUT) and count is None:
                self.add_error(
                    "promised_count",
                    _("Give the number promised, or choose “No number given”."),
                )
            elif promise == PROMISE_NONE and count is not None:
                self.add_error(
                    "promised_count",
                    _("You chose “No number given”: leave the number empty, or choose another."),
                )
        return data

    def promised(self) -> tuple[int | None, bool]:
        """``(promised_count, promised_approximate)`` as the services take them."""
        if self.cleaned_data["promise"] == PROMISE_NONE:
            return None, False
        return self.cleaned_data["promised_count"], self.cleaned_data["promise"] == PROMISE_ABOUT

    def service_arguments(self) -> dict[str, Any]:
        """The cleaned data as ``agreement_create`` and ``agreement_edit`` take it."""
        data = dict(self.cleaned_data)
        data.pop("promise")
        data["promised_count"], data["promised_approximate"] = self.promised()
        data["mediators"] = list(data["mediators"])
        if "exchange_legs" in data:
            data["exchange_legs"] = list(data["exchange_legs"])
        return data


def agreement_initial(agreement: Agreement) -> dict[str, Any]:
    """What the edit form shows before anything is typed: the agreement as recorded."""
    if agreement.promised_count is None:
        promise = PROMISE_NONE
    else:
        promise = PROMISE_ABOUT if agreement.promised_approximate else PROMISE_EXACT
    return {
        "title": agreement.title,
        "title_es": agreement.title_es,
        "description": agreement.description,
        "description_es": agreement.description_es,
        "promisor": agreement.promisor,
        "promisee": agreement.promisee,
        "mediators": list(agreement.mediators.all()),
        "exchange_legs": list(agreement.exchange_legs.all()),
        "announced_on": agreement.announced_on,
        "promise": promise,
        "promised_count": agreement.promised_count,
        "expected_release": agreement.expected_release,
        "country": agreement.country or default_country(),
        "division": agreement.division,
    }


class ArchiveForm(forms.Form):
    """The archive and restore buttons: ``op`` is the button pressed."""

    op = forms.ChoiceField(choices=[("archive", "archive"), ("restore", "restore")])


# --- People by handle ------------------------------------------------------------------------

_HANDLES = re.compile(r"[\s,;]+")


def people_by_handle(viewer: Viewer, text: str, *, limit: int | None = None) -> list[Person]:
    """The people whose handles are typed in ``text`` (separated by spaces, commas,
    semicolons or new lines), each once; refused, naming them, if any handle is unknown."""
    handles = list(dict.fromkeys(h for h in _HANDLES.split(text.strip()) if h))
    if limit is not None and len(handles) > limit:
        raise ValidationError(
            gettext(
                "%(n)s handles were given; name at most %(limit)s at once, or import the "
                "list (Imports)."
            )
            % {"n": len(handles), "limit": limit}
        )
    found: list[Person] = []
    unknown: list[str] = []
    for handle in handles:
        try:
            found.append(person_get(viewer, handle))
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


# --- What staff record about an agreement as a whole, and who is named on it ---------------


def _date_field(label: Any, help_text: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=[ISO_DATE],
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
        help_text=help_text,
        error_messages={
            "invalid": _("Give the date as year-month-day, for example 2025-01-31."),
        },
    )


def _today_initial(kwargs: dict[str, Any], field: str) -> None:
    kwargs["initial"] = {field: timezone.localdate(), **(kwargs.get("initial") or {})}


BREAKDOWN_LABELS = {
    "political": _("Political prisoners"),
    "other": _("Other prisoners"),
    "conditional": _("Released on conditions"),
    "unconditional": _("Released unconditionally"),
    "exile": _("Sent into exile"),
}


# Who they were, and how they were freed (``evidence.services._check_breakdown``).
BREAKDOWN_GROUPS = (("political", "other"), ("conditional", "unconditional", "exile"))


class BreakdownWidget(forms.MultiWidget):
    """One number box per part of a count, each with its own label."""

    template_name = "oversight/widgets/breakdown.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        number = {"min": 0, "inputmode": "numeric"}
        super().__init__([forms.NumberInput(attrs=number) for _part in BREAKDOWN_PARTS], attrs)

    def decompress(self, value: Any) -> list[int | None]:
        value = value or {}
        return [value.get(part) for part in BREAKDOWN_PARTS]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        labelled = dict(zip(BREAKDOWN_PARTS, context["widget"]["subwidgets"], strict=True))
        # Two rows, one per group whose parts cannot add up to more than the count.
        context["widget"]["groups"] = [
            [(BREAKDOWN_LABELS[part], labelled[part]) for part in group]
            for group in BREAKDOWN_GROUPS
        ]
        return context


class BreakdownField(forms.MultiValueField):
    """The parts of a count as the source gave them: ``{"political": 200, …}``, only the
    parts typed (the service checks that they do not add up to more than the count)."""

    widget = BreakdownWidget

    def __init__(self, **kwargs: Any) -> None:
        parts = [
            forms.IntegerField(
                required=False,
                min_value=0,
                error_messages={
                    code: format_lazy(_("{part}: give a whole number, 0 or more."), part=label)
                    for code in ("invalid", "min_value")
                },
            )
            for label in (BREAKDOWN_LABELS[part] for part in BREAKDOWN_PARTS)
        ]
        super().__init__(fields=parts, require_all_fields=False, required=False, **kwargs)

    def compress(self, data_list: list[int | None]) -> dict[str, int]:
        if not data_list:
            return {}
        return {
            part: n for part, n in zip(BREAKDOWN_PARTS, data_list, strict=True) if n is not None
        }


class AgreementClaimForm(forms.Form):
    """A claim about an agreement as a whole: on whose word, and when. The sources offered
    are those the viewer may name and that are not archived."""

    source = SourceField(
        label=_("Source"),
        queryset=Source.objects.none(),
        to_field_name="slug",
        empty_label=_("Choose a source"),
        help_text=_("Who says so. Its grade is in brackets."),
    )

    def __init__(self, *args: Any, viewer: Viewer, **kwargs: Any) -> None:
        _today_initial(kwargs, "event_date")
        super().__init__(*args, **kwargs)
        source = self.fields["source"]
        assert isinstance(source, forms.ModelChoiceField)  # noqa: S101 - for the type checker
        source.queryset = sources_for(viewer)


class CountClaimForm(AgreementClaimForm):
    """How many people a source says were released under the agreement, up to a date."""

    released_count = forms.IntegerField(
        label=_("People released so far"),
        min_value=0,
        widget=forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
        help_text=_(
            "The source's total for the whole agreement up to that date, not the number "
            "released that day."
        ),
        error_messages={
            "invalid": _("Give a whole number, for example 53."),
            "min_value": _("Give a whole number, 0 or more."),
        },
    )
    event_date = _date_field(_("As of"), _("The day the figure is for."))
    breakdown = BreakdownField(
        label=_("In parts, if the source gave them (optional)"),
        help_text=_(
            "Who they were, and how they were freed, as the source gave them. Neither row "
            "can add up to more than the total."
        ),
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
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What was said, by whom, where."),
    )
    evidence_url = forms.URLField(
        label=_("Evidence link"), required=False, max_length=500, assume_scheme="https"
    )


class StageClaimForm(AgreementClaimForm):
    """A stage the agreement reached, on a source's word: releases began, suspended,
    resumed, declared complete, lapsed."""

    lifecycle = forms.ChoiceField(
        label=_("Stage"),
        choices=[("", _("Choose a stage")), *Lifecycle.choices],
    )
    event_date = _date_field(_("Date"), _("When it happened, as the source says."))
    evidence_text = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why, as the source gives it, e.g. “suspended after the protests of 11 July”."),
    )
    evidence_url = forms.URLField(
        label=_("Evidence link"), required=False, max_length=500, assume_scheme="https"
    )


# Naming people by hand is for short lists; a long one is imported (Imports).
MAX_NAMED_AT_ONCE = 1000


class MembersForm(forms.Form):
    """People named on an agreement, by handle, with the day and on whose word."""

    people = forms.CharField(
        label=_("People (handles)"),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocapitalize": "none"}),
        help_text=_(
            "One per line, or separated by commas, e.g. P-0017, P-0018. Each must already be "
            "recorded; people already named on the agreement are left as they are."
        ),
    )
    named_on = _date_field(
        _("Named on"),
        _("The day the list naming them was published; it can be in the past."),
    )
    named_by = SourceField(
        label=_("On whose word (optional)"),
        queryset=Source.objects.none(),
        to_field_name="slug",
        required=False,
        empty_label=_("No source given"),
        help_text=_("The source that published the list, if any."),
    )
    named_note = forms.CharField(
        label=_("Why this date (optional)"),
        max_length=500,
        required=False,
        help_text=_(
            "When the date is not today, e.g. “list published by the ministry on 3 January”."
        ),
    )

    def __init__(self, *args: Any, viewer: Viewer, **kwargs: Any) -> None:
        _today_initial(kwargs, "named_on")
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        named_by = self.fields["named_by"]
        assert isinstance(named_by, forms.ModelChoiceField)  # noqa: S101 - for the type checker
        named_by.queryset = sources_for(viewer)

    def clean_people(self) -> list[Person]:
        return people_by_handle(
            self.viewer, self.cleaned_data.get("people") or "", limit=MAX_NAMED_AT_ONCE
        )


class ClassifyForm(forms.Form):
    """Whether a named member is a political prisoner, on a source's word."""

    person = forms.CharField(
        label=_("Person (handle)"),
        max_length=40,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocapitalize": "none"}),
        help_text=_("Someone named on this agreement, e.g. P-0017."),
    )
    classification = forms.ChoiceField(
        label=_("The source says this person is"),
        choices=Classification.choices,
        widget=forms.RadioSelect,
    )
    source = SourceField(
        label=_("On whose word"),
        queryset=Source.objects.none(),
        to_field_name="slug",
        empty_label=_("Choose a source"),
    )
    classified_on = _date_field(
        _("Said on"),
        _("From this day the person counts (or no longer counts) towards the promise."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("As the source puts it, e.g. “serving a sentence for theft, not political”."),
    )

    def __init__(self, *args: Any, viewer: Viewer, **kwargs: Any) -> None:
        _today_initial(kwargs, "classified_on")
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        source = self.fields["source"]
        assert isinstance(source, forms.ModelChoiceField)  # noqa: S101 - for the type checker
        source.queryset = sources_for(viewer)

    def clean_person(self) -> Person:
        found = people_by_handle(self.viewer, self.cleaned_data.get("person") or "", limit=1)
        if not found:
            raise ValidationError(_("Give the person's handle."))
        return found[0]


def audience_choices() -> list[tuple[str, Any]]:
    return list(Agreement._meta.get_field("audience").choices or [])


class PolicyForm(forms.Form):
    """How claims under the agreement are weighed, and who is shown the agreement."""

    confirm_min_grade = forms.ChoiceField(
        label=_("Lowest grade that confirms a release"),
        choices=Reliability.choices,
        help_text=_(
            "A release is independently confirmed by a source outside the releasing side "
            "graded this or better."
        ),
    )
    dispute_min_grade = forms.ChoiceField(
        label=_("Lowest grade that disputes a release"),
        choices=Reliability.choices,
        help_text=_(
            "A source graded this or better that says the person is still held puts the "
            "release in dispute."
        ),
    )
    audience = forms.ChoiceField(
        label=_("Shown to"),
        choices=audience_choices,
        widget=forms.RadioSelect,
        help_text=_("Who sees the agreement and its figures. Names follow disclosures, not this."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One list per status whose meaning is a policy question (house arrest, exile…):
        # how it counts under this agreement, or as it usually does.
        for status in sorted(OVERRIDABLE_STATUSES):
            usual = Category(DEFAULT_CATEGORY[status]).label
            self.fields[f"count_{status}"] = forms.ChoiceField(
                label=CustodyStatus(status).label,
                required=False,
                choices=[
                    ("", format_lazy(_("As usual ({usual})"), usual=usual)),
                    *[(c, Category(c).label) for c in sorted(OVERRIDABLE_CATEGORIES)],
                ],
            )

    def override_fields(self) -> list[forms.BoundField]:
        return [self[f"count_{status}"] for status in sorted(OVERRIDABLE_STATUSES)]

    def overrides(self) -> dict[str, str]:
        """The statuses counted otherwise than usual, as ``agreement_set_policy`` takes them
        (a choice equal to the usual one is no override)."""
        out: dict[str, str] = {}
        for status in sorted(OVERRIDABLE_STATUSES):
            chosen = self.cleaned_data.get(f"count_{status}") or ""
            if chosen and chosen != DEFAULT_CATEGORY[status]:
                out[str(status)] = str(chosen)
        return out


def policy_initial(agreement: Agreement) -> dict[str, Any]:
    return {
        "confirm_min_grade": agreement.confirm_min_grade,
        "dispute_min_grade": agreement.dispute_min_grade,
        "audience": agreement.audience,
        **{f"count_{k}": v for k, v in (agreement.status_overrides or {}).items()},
    }


# --- Disclosures ----------------------------------------------------------------------------


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
        return people_by_handle(self.viewer, self.cleaned_data.get("people") or "")

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


class DisclosureDecisionForm(DecisionForm):
    """Approving a disclosure names people: the approver says they checked who, and why."""

    confirm = forms.BooleanField(
        label=_("I have checked the people listed above, their status and the at-risk marks."),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].help_text = _(
            "Why: required to approve or reject; kept in the audit ledger."
        )

    def check_approval(self) -> None:
        """What approving needs beyond the note a rejection needs (called for "approve")."""
        if not self.cleaned_data.get("confirm"):
            self.add_error("confirm", _("Tick this box to confirm you have checked the list."))
        if not self.cleaned_data.get("note", "").strip():
            self.add_error("note", _("Say why these names may be seen now."))


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
