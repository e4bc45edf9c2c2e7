from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "detente.registry"
    label = "registry"
    verbose_name = _("Registry")

    def ready(self) -> None:
        from detente.keys import ring
        from detente.registry import sealing, search
        from detente.registry.models import IDENTITY_CLASS

        # The registry's data key classes, and how `detente keys rotate --data` seals
        # each again (identities first: the tokens are rebuilt from them).
        ring.register(
            IDENTITY_CLASS,
            str(_("identities (names, birth dates, places)")),
            sealing.reseal_identities,
        )
        ring.register(search.NAME_INDEX_CLASS, str(_("name search tokens (keyed)")), search.reseal)
