from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from detente.audit.models import AuditEntry
from detente.core.admin_base import MANAGE, PolicyAdmin, may


@admin.register(AuditEntry)
class AuditEntryAdmin(PolicyAdmin):
    list_display = ("seq", "at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action",)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may(request, MANAGE)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may(request, MANAGE)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
