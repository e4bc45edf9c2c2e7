from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "detente.matching"
    verbose_name = _("Name matching and list reconciliation")

    def ready(self) -> None:
        # Keep this process's registry index current as identities change (see registry.py).
        from django.db.models.signals import post_delete, post_save

        from detente.matching import registry, sealing
        from detente.registry.models import Identity, Person

        # The saved index's data key class, and its sealer (docs/keys.md).
        sealing.register()

        post_save.connect(registry.identity_saved, sender=Identity, dispatch_uid="match-id-save")
        post_delete.connect(
            registry.identity_deleted, sender=Identity, dispatch_uid="match-id-delete"
        )
        post_delete.connect(
            registry.identity_deleted, sender=Person, dispatch_uid="match-person-delete"
        )
