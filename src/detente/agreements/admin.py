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

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # After creation only the verification policy changes, through its service.
        if obj is None:
            return ()
        return (
            "slug",
            "title",
            "promisor",
            "promisee",
            "announced_on",
            "promised_count",
            "expected_release",
            "description",
        )

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
            expected_release=obj.expected_release,
            description=obj.description,
            confirm_min_grade=obj.confirm_min_grade,
            dispute_min_grade=obj.dispute_min_grade,
            status_overrides=obj.status_overrides or {},
        )
        obj.pk = saved.pk
