from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from detente.access.policy import Action, can
from detente.audit import ledger
from detente.core.admin_base import PolicyAdmin, ReadOnlyPolicyInline
from detente.core.dates import DatePrecision, localized
from detente.registry.models import CustodyEpisode, Person, Sex
from detente.registry.services import (
    IDENTITY_FIELDS,
    custody_episode_add,
    person_create,
    person_set_at_risk,
)


class CustodyInline(ReadOnlyPolicyInline):
    model = CustodyEpisode
    readonly_fields = ("status", "started", "ended", "place")
    fields = readonly_fields

    # As far as each date is known ("Mar 2019", not the 1st of March).
    @admin.display(description=_("start date"))
    def started(self, obj: CustodyEpisode) -> str:
        return localized(obj.start_date, obj.start_precision)

    @admin.display(description=_("end date"))
    def ended(self, obj: CustodyEpisode) -> str:
        return localized(obj.end_date, obj.end_precision) or "—"


class PersonAddForm(forms.ModelForm):
    given_names = forms.CharField(label=_("given names"), max_length=120)
    paternal_surname = forms.CharField(label=_("paternal surname"), max_length=80, required=False)
    maternal_surname = forms.CharField(label=_("maternal surname"), max_length=80, required=False)
    aliases = forms.CharField(
        label=_("aliases"), required=False, help_text=_("One per line."), widget=forms.Textarea
    )
    # The browser's date picker: it sends ISO dates whatever the language shown.
    birth_date = forms.DateField(
        label=_("birth date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    birth_precision = forms.ChoiceField(
        label=_("birth date precision"), choices=DatePrecision.choices, initial="day"
    )
    sex = forms.ChoiceField(label=_("sex"), choices=Sex.choices, initial=Sex.OTHER)
    province = forms.CharField(label=_("province"), max_length=80, required=False)
    municipality = forms.CharField(label=_("municipality"), max_length=80, required=False)
    affiliation = forms.CharField(label=_("affiliation"), max_length=160, required=False)

    class Meta:
        model = Person
        fields = ("at_risk",)


@admin.register(Person)
class PersonAdmin(PolicyAdmin):
    list_display = ("handle", "name", "province", "at_risk", "created_at")
    # By handle only: the admin's search (and its autocomplete widgets) sends the text in
    # the address (?q=, ?term=), where no name may go (SECURITY.md). Names are searched in
    # the staff pages, which send them in a POST body.
    search_fields = ("handle",)
    search_help_text = _(
        "A handle, such as P-0017. To find a person by name, use People in the staff pages."
    )
    list_filter = ("at_risk",)
    readonly_fields = ("handle", "at_risk", "identity_summary")
    inlines = (CustodyInline,)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("identity")

    @admin.display(description=_("name"))
    def name(self, obj: Person) -> str:
        return obj.identity.full_name

    @admin.display(description=_("province"))
    def province(self, obj: Person) -> str:
        return obj.identity.province

    @admin.display(description=_("identity"))
    def identity_summary(self, obj: Person) -> str:
        ident = obj.identity

        def shown(field: str) -> Any:
            if field == "birth_date":  # "1985" for a year, not 1985-01-01
                return localized(ident.birth_date, ident.birth_precision) or "—"
            return getattr(ident, field)

        return "; ".join(f"{f}: {shown(f)}" for f in IDENTITY_FIELDS if f != "birth_precision")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # identity edits need a service with its own audit trail (not yet)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            # A search answers "is this person in the registry?": recorded, like a view.
            # (The autocomplete widgets search here too.)
            found = list(results.values_list("handle", flat=True)[:100])
            ledger.record_access(request.user, "admin.person.search", found)
        return results, may_have_duplicates

    @admin.action(description=_("Flag as at risk (kept out of public disclosures)"))
    def flag_at_risk(self, request: HttpRequest, queryset: Any) -> None:
        for person in queryset:
            person_set_at_risk(actor=request.user, person=person, at_risk=True)  # type: ignore[arg-type]

    @admin.action(description=_("Clear the at-risk flag"))
    def clear_at_risk(self, request: HttpRequest, queryset: Any) -> None:
        for person in queryset:
            person_set_at_risk(actor=request.user, person=person, at_risk=False)  # type: ignore[arg-type]

    actions = ("flag_at_risk", "clear_at_risk")

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        if not can(request.user, Action.RECORD):
            return {}
        return admin.ModelAdmin.get_actions(self, request)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            # Names on the page were seen: the ledger says by whom.
            ledger.record_access(
                request.user, "admin.person.list", [p.handle for p in changelist.result_list]
            )
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)
        original = getattr(response, "context_data", {}).get("original")
        if original is not None:
            ledger.record_access(request.user, "admin.person.view", [original.handle])
        return response

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else ()

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kw: Any
    ) -> Any:
        if obj is None:
            kw["form"] = PersonAddForm
        return super().get_form(request, obj, change=change, **kw)

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        data = form.cleaned_data
        person = person_create(
            actor=request.user,  # type: ignore[arg-type]
            given_names=data["given_names"],
            paternal_surname=data["paternal_surname"],
            maternal_surname=data["maternal_surname"],
            aliases=data["aliases"].splitlines(),
            birth_date=data["birth_date"],
            birth_precision=data["birth_precision"],
            sex=data["sex"],
            province=data["province"],
            municipality=data["municipality"],
            affiliation=data["affiliation"],
            at_risk=data["at_risk"],
        )
        obj.pk, obj.handle = person.pk, person.handle


@admin.register(CustodyEpisode)
class CustodyEpisodeAdmin(PolicyAdmin):
    list_display = ("person", "status", "start_date", "end_date")
    list_filter = ("status",)
    autocomplete_fields = ("person",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: CustodyEpisode, form: Any, change: bool
    ) -> None:
        saved = custody_episode_add(
            actor=request.user,  # type: ignore[arg-type]
            person=obj.person,
            status=obj.status,
            start_date=obj.start_date,
            start_precision=obj.start_precision,
            end_date=obj.end_date,
            end_precision=obj.end_precision,
            place=obj.place,
            note=obj.note,
        )
        obj.pk = saved.pk
