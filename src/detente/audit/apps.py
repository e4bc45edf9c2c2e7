from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _make_hash_key(**kwargs: Any) -> None:
    """``detente migrate`` makes the key of the ledger's hashes (keys/ledger-hmac) beside
    the secret key, so that the keys folder copied to a second server after it is
    complete: a server that made its own on first use would hash a lookup (an email
    address, a login name) differently from the others (docs/deployment.md)."""
    from detente.audit import ledger

    ledger._hash_key()


class AuditConfig(AppConfig):
    name = "detente.audit"
    label = "audit"
    verbose_name = _("Audit ledger")

    def ready(self) -> None:
        from detente.audit import checks  # noqa: F401 - registers the system checks

        post_migrate.connect(_make_hash_key, sender=self, dispatch_uid="detente.audit.hash_key")
