from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from detente.access.policy import Action, can
from detente.access.sources import names_sources, source_name
from detente.core.admin_base import PolicyAdmin
from detente.evidence.models import Claim, Source
from detente.evidence.services import claim_record, source_create, source_regrade


@admin.register(Source)
class SourceAdmin(PolicyAdmin):
    add_action = Action.MANAGE
    change_action = Action.MANAGE
    list_display = ("slug", "name", "kind", "reliability", "independence_group", "protected")
    list_filter = ("kind", "reliability", "protected")
    search_fields = ("slug", "name")

    def get_queryset(self, request: HttpRequest) -> Any:
        qs = super().get_queryset(request)
        # A protected source's identity is itself confidential: deciders only.
        return qs if can(request.user, Action.MANAGE) else qs.filter(protected=False)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Only the grade and group change after creation, through source_regrade.
        return ("slug", "name", "kind", "protected") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Source, form: Any, change: bool) -> None:
        actor = request.user
        if change:
            source_regrade(
                actor=actor,  # type: ignore[arg-type]
                source=Source.objects.get(pk=obj.pk),
                reliability=obj.reliability,
                independence_group=obj.independence_group,
            )
            return
        saved = source_create(
            actor=actor,  # type: ignore[arg-type]
            slug=obj.slug,
            name=obj.name,
            kind=obj.kind,
            reliability=obj.reliability,
            independence_group=obj.independence_group,
            protected=obj.protected,
        )
        obj.pk = saved.pk


@admin.register(Claim)
class ClaimAdmin(PolicyAdmin):
    list_display = ("id", "kind", "person", "status", "event_date", "source_shown", "received_at")
    list_filter = ("kind", "status")
    search_fields = ("person__handle",)
    autocomplete_fields = ("person", "corrects")
    fields = (
        "source",
        "kind",
        "person",
        "agreement",
        "status",
        "released_count",
        "event_date",
        "event_precision",
        "received_at",
        "credibility",
        "corrects",
        "evidence_text",
        "evidence_url",
        "evidence_sha256",
    )

    def get_queryset(self, request: HttpRequest) -> Any:
        self._sees_protected = names_sources(request.user)
        return super().get_queryset(request).select_related("person", "source")

    @admin.display(description=_("source"))
    def source_shown(self, obj: Claim) -> str:
        return source_name(
            str(obj.source), obj.source.protected, named=getattr(self, "_sees_protected", False)
        )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and not can(request.user, Action.MANAGE):
            self._sees_protected = False
            return tuple("source_shown" if f == "source" else f for f in self.fields)
        return self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("source_shown",) if obj is not None else ()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "source" and not can(request.user, Action.MANAGE):
            kwargs["queryset"] = Source.objects.filter(protected=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # claims are immutable; record a correction instead

    def save_model(self, request: HttpRequest, obj: Claim, form: Any, change: bool) -> None:
        saved = claim_record(
            actor=request.user,  # type: ignore[arg-type]
            source=obj.source,
            kind=obj.kind,
            person=obj.person,
            agreement=obj.agreement,
            status=obj.status,
            released_count=obj.released_count,
            event_date=obj.event_date,
            event_precision=obj.event_precision,
            received_at=obj.received_at,
            credibility=obj.credibility,
            corrects=obj.corrects,
            evidence_text=obj.evidence_text,
            evidence_url=obj.evidence_url,
            evidence_sha256=obj.evidence_sha256,
        )
        obj.pk = saved.pk
