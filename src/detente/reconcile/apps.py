from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReconcileConfig(AppConfig):
    name = "detente.reconcile"
    verbose_name = _("List reconciliation")

    def ready(self) -> None:
        from detente.keys import ring
        from detente.reconcile.models import IMPORT_ROW_CLASS
        from detente.reconcile.sealing import reseal_import_rows

        # An imported row as parsed (names, birth date, places, the claim), and how
        # `detente keys rotate --data` seals every row again.
        ring.register(IMPORT_ROW_CLASS, str(_("imported rows (as parsed)")), reseal_import_rows)
