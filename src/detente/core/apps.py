from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "detente.core"
    label = "core"
    verbose_name = "Detente"

    def ready(self) -> None:
        from detente.core.admin_base import guard_every_admin

        # The admin registered every page before this runs (it is first in INSTALLED_APPS).
        guard_every_admin()
