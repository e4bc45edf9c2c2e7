from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "detente.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from detente.accounts.signals import user_disabled
        from detente.api.services import revoke_all_for_user

        # A disabled user's tokens stop working in the same transaction.
        user_disabled.connect(revoke_all_for_user, dispatch_uid="api.revoke_tokens")
