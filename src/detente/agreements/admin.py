from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from detente.access.policy import Action
from detente.agreements.models import Agreement, Membership, Party
from detente.agreements.services import agreement_create, agreement_set_policy, party_create
from detente.core.admin_base import PolicyAdmin, ReadOnlyPolicyInline


@admin.register(Party)
class PartyAdmin(PolicyAdmin):
    add_action = Action.MANAGE
    change_action = Action.MANAGE
    list_display = ("slug", "name", "independence_group")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Party, form: Any, change: bool) -> None:
        saved = party_create(
            actor=request.user,  # type: ignore[arg-type]
            slug=obj.slug,
            name=obj.name,
            independence_group=obj.independence_group,
        )
        obj.pk = saved.pk


class MembershipInline(ReadOnlyPolicyInline):
    model = Membership
    fields = ("person", "named_on", "state", "release_category", "status", "released_on")
    readonly_fields = fields


@admin.register(Agreement)
class AgreementAdmin(PolicyAdmin):
    add_action = Action.MANAGE
    change_action = Action.MANAGE
    list_display = ("slug", "title", "announced_on", "promised_count", "promisor", "promisee")
    search_fields = ("slug", "title")
    inlines = (MembershipInline,)

    # Who sees the agreement changes through its disclosure services, and everything else
    # after creation through the staff pages, the CLI or the API: shown here, never taken,
    # so that nothing typed into this form is dropped without a word.
    _POLICY = ("confirm_min_grade", "dispute_min_grade", "status_overrides")
    _NOT_HERE = ("audience", "legislature_list_only", "archived_at", "exchange_legs")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self._NOT_HERE
        every = [f.name for f in Agreement._meta.get_fields() if f.concrete or f.many_to_many]
        return tuple(f for f in every if f not in self._POLICY and f != "id")

    def save_model(self, request: HttpRequest, obj: Agreement, form: Any, change: bool) -> None:
        actor = request.user
        if change:
            agreement_set_policy(
                actor=actor,  # type: ignore[arg-type]
                agreement=Agreement.objects.get(pk=obj.pk),
                confirm_min_grade=obj.confirm_min_grade,
                dispute_min_grade=obj.dispute_min_grade,
                status_overrides=obj.status_overrides or {},
            )
            return
        saved = agreement_create(
            actor=actor,  # type: ignore[arg-type]
            slug=obj.slug,
            title=obj.title,
            promisor=obj.promisor,
            promisee=obj.promisee,
            announced_on=obj.announced_on,
            promised_count=obj.promised_count,
            promised_approximate=obj.promised_approximate,
            expected_release=obj.expected_release,
            description=obj.description,
            title_es=obj.title_es,
            description_es=obj.description_es,
            mediators=list(form.cleaned_data.get("mediators") or ()),
            country=obj.country,
            division=obj.division,
            confirm_min_grade=obj.confirm_min_grade,
            dispute_min_grade=obj.dispute_min_grade,
            status_overrides=obj.status_overrides or {},
        )
        obj.pk = saved.pk
