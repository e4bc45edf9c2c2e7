"""The data keys: one AES-256 key per record class and version, stored only wrapped
(encrypted) by the master key, which is never in the database (docs/keys.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DataKey(models.Model):
    """One version of one record class's data key, wrapped by the master key.

    ``key_id`` is random and is written at the head of every ciphertext made with this
    key, so an old ciphertext names the key it needs whatever version is current.
    """

    record_class = models.CharField(_("record class"), max_length=64)
    version = models.PositiveIntegerField(_("version"))
    key_id = models.CharField(_("key id"), max_length=16, unique=True)
    # nonce (12 bytes) + AES-GCM of the 32-byte key under the master key, base64.
    wrapped = models.TextField(_("wrapped key"))
    # The fingerprint of the master key that wrapped it (not the key): says which
    # master key a refused start needs.
    master_fingerprint = models.CharField(_("master key fingerprint"), max_length=16)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    rewrapped_at = models.DateTimeField(_("last re-wrapped"), null=True, blank=True)

    class Meta:
        verbose_name = _("data key")
        verbose_name_plural = _("data keys")
        ordering = ["record_class", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["record_class", "version"], name="one_data_key_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.record_class} v{self.version} ({self.key_id})"
