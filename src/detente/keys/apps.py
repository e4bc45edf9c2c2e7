from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KeysConfig(AppConfig):
    name = "detente.keys"
    label = "keys"
    verbose_name = _("Encryption keys")

    def ready(self) -> None:
        import detente.keys.checks  # noqa: F401 - registers the system checks
