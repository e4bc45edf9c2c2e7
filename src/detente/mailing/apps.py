from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailingConfig(AppConfig):
    name = "detente.mailing"
    verbose_name = _("Email updates")

    def ready(self) -> None:
        # Connects the Anymail tracking and inbound receivers (bounces, complaints,
        # unsubscribe emails).
        from detente.mailing import (
            checks,  # noqa: F401  (registers the system check)
            webhooks,  # noqa: F401
        )
