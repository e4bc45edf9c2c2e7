from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "detente.matching"
    verbose_name = _("Name matching and list reconciliation")
