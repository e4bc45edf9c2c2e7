"""Admin pages that obey Detente's policy and write through its services.

The Django admin is an interim staff interface. It never saves a model directly: each
admin class routes creation and the few permitted changes to the service that checks,
changes and audits in one transaction.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from detente.access.policy import Action, can


class PolicyAdmin(admin.ModelAdmin):
    add_action = Action.RECORD
    change_action = Action.RECORD

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can(request.user, Action.READ)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, Action.READ)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return can(request.user, self.add_action)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, self.change_action)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Nothing in the record is deleted: corrections and retractions are new records.
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}


class ReadOnlyPolicyInline(admin.TabularInline):
    """A read-only inline shown to whoever may read the record."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, Action.READ)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
