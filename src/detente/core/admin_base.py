"""Admin pages that obey Detente's policy and write through its services.

The Django admin is an interim staff interface. It never saves a model directly: each
admin class routes creation and the few permitted changes to the service that checks,
changes and audits in one transaction.

Who may do what is the role policy's to say (``detente.access.policy``), which sits above
core. These pages ask it through Django's own permission API, ``user.has_perm("detente.
<action>")``, which the one authentication backend (``detente.accounts.backends``) answers
with ``access.policy.can``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

# The policy's actions (``detente.access.policy.Action``), as the strings it grants.
READ = "read"
RECORD = "record"
MANAGE = "manage"


def may(request: HttpRequest, action: str) -> bool:
    """Whether the signed-in user's roles allow ``action`` (``access.policy.can``)."""
    return bool(request.user.has_perm(f"detente.{action}"))


class UnseenAsMissing(admin.ModelAdmin):
    """An object of a model this user may not view is not found, as if it did not exist.

    Django's history page looks the object up before it checks the permission, so it
    would answer 403 for an object that exists and a redirect for one that does not.
    """

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        found = super().get_queryset(request)
        return found if self.has_view_or_change_permission(request) else found.none()


def guard_every_admin(site: admin.AdminSite | None = None) -> None:
    """Give every registered admin page, third-party ones included, the same guard."""
    site = site or admin.site
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, UnseenAsMissing):
            continue
        guarded = type(
            f"Guarded{type(model_admin).__name__}", (UnseenAsMissing, type(model_admin)), {}
        )
        site.unregister(model)
        site.register(model, guarded)


class PolicyAdmin(UnseenAsMissing):
    add_action = RECORD
    change_action = RECORD
    # A link typed without a scheme is taken as https (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may(request, READ)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may(request, READ)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return may(request, self.add_action)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may(request, self.change_action)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Nothing in the record is deleted: corrections and retractions are new records.
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    # Django's own admin log would keep names and protected sources in plain text
    # (``str(obj)``), outside the ledger; the services' ledger entries replace it.
    def log_addition(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        return None

    def log_change(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        return None

    def log_deletions(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        return None

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # A service refusing the input raises inside save_model, after the form validated;
        # the transaction is rolled back and the user sees why instead of a server error.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    self.message_user(request, f"{field}: {error}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyPolicyInline(admin.TabularInline):
    """A read-only inline shown to whoever may read the record."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may(request, READ)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Accounts and roles change only through audited services (the accounts work comes next);
# the stock pages would let an administrator change them with no ledger entry.
for _model in (User, Group):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
