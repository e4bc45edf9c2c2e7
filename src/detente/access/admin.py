from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from detente.access.models import Disclosure
from detente.access.policy import Action, can
from detente.access.services import disclosure_approve, disclosure_propose, disclosure_reject
from detente.core.admin_base import PolicyAdmin


@admin.register(Disclosure)
class DisclosureAdmin(PolicyAdmin):
    list_display = ("id", "action", "audience", "agreement", "status", "proposed_by", "decided_by")
    list_filter = ("status", "audience", "action")
    filter_horizontal = ("people",)
    fields = (
        "audience",
        "action",
        "agreement",
        "people",
        "reason",
        "effective_from",
        "at_risk_override",
    )
    actions = ("approve", "reject")

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # The base class removes all actions; deciding needs the manage right.
        if not can(request.user, Action.MANAGE):
            return {}
        return admin.ModelAdmin.get_actions(self, request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields if obj is not None else ()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Disclosure, form: Any, change: bool) -> None:
        saved = disclosure_propose(
            actor=request.user,  # type: ignore[arg-type]
            audience=obj.audience,
            action=obj.action,
            agreement=obj.agreement,
            people=form.cleaned_data["people"],
            reason=obj.reason,
            effective_from=obj.effective_from,
            at_risk_override=obj.at_risk_override,
        )
        obj.pk = saved.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # the service already stored who is covered

    def _decide(self, request: HttpRequest, queryset: QuerySet[Disclosure], approve: bool) -> None:
        for d in queryset:
            try:
                if approve:
                    disclosure_approve(actor=request.user, disclosure=d)  # type: ignore[arg-type]
                else:
                    disclosure_reject(
                        actor=request.user,  # type: ignore[arg-type]
                        disclosure=d,
                        note=gettext("Rejected in the admin."),
                    )
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"#{d.pk}: {exc}", messages.ERROR)
            else:
                d.refresh_from_db()
                self.message_user(request, f"#{d.pk}: {d.get_status_display()}", messages.SUCCESS)

    @admin.action(description=_("Approve the selected proposals"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Disclosure]) -> None:
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("Reject the selected proposals"))
    def reject(self, request: HttpRequest, queryset: QuerySet[Disclosure]) -> None:
        self._decide(request, queryset, approve=False)
