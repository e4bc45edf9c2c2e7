"""The append-only, hash-chained audit ledger.

Every column that matters is covered by the entry's hash, which also covers the previous
entry's hash. The database refuses UPDATE and DELETE on this table (triggers installed by
migration 0002 on SQLite and PostgreSQL), and the model refuses them in Python too.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("the audit ledger is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("the audit ledger is append-only")


class EntryKind(models.TextChoices):
    CHANGE = "change", _("Change")
    ACCESS = "access", _("Access to confidential data")


class AuditEntry(models.Model):
    seq = models.BigAutoField(primary_key=True)
    # Contiguous from 1 (sequences may skip on rollback; this may not), so a removed
    # entry shows as a gap in the positions.
    position = models.BigIntegerField(_("position"), unique=True)
    # ISO 8601 UTC text, exactly as hashed, identical on every database.
    at = models.CharField(_("time"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=150)
    kind = models.CharField(_("kind"), max_length=8, choices=EntryKind.choices)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    # Canonical JSON text; confidential values appear only as keyed hashes.
    data = models.TextField(_("data"))
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["position"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.position} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("the audit ledger is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("the audit ledger is append-only")

    @property
    def payload(self) -> Any:
        return json.loads(self.data)


class PersonAccess(models.Model):
    """One person named by one access entry: the index behind a person's access history.

    The ledger entry is the record (its data lists the handles seen); this row only lets
    "who has seen P-0017" be answered without reading every access entry. It is written
    with the entry, in the same transaction, and like the entry it is never changed or
    removed (triggers, migration 0004). No database constraint ties it to the entry, so it
    never stands in the way of the ledger's own checks.
    """

    entry = models.ForeignKey(
        AuditEntry,
        to_field="position",
        db_column="position",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="+",
    )
    handle = models.CharField(max_length=16)

    class Meta:
        indexes = [models.Index(fields=["handle", "entry"], name="audit_access_handle")]
        constraints = [
            models.UniqueConstraint(fields=["entry", "handle"], name="audit_access_once")
        ]

    def __str__(self) -> str:
        return f"{self.handle} in #{self.entry_id}"
