"""Sources and the claims they make.

A claim is never edited. A correction is a new claim from the same source that either
retracts an earlier claim or supersedes it with a new assertion.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from detente.core.dates import DatePrecision
from detente.registry.status import CustodyStatus


class SourceKind(models.TextChoices):
    DETAINING_GOVERNMENT = "detaining_government", _("Detaining government")
    COUNTERPART_GOVERNMENT = "counterpart_government", _("Counterpart government or embassy")
    NGO = "ngo", _("Non-governmental organisation")
    FAMILY = "family", _("Family")
    LAWYER = "lawyer", _("Lawyer")
    PRESS = "press", _("Press")
    ANONYMOUS_OFFICIAL = "anonymous_official", _("Anonymous official")


class Reliability(models.TextChoices):
    """Admiralty source reliability grades."""

    A = "A", _("A: completely reliable")
    B = "B", _("B: usually reliable")
    C = "C", _("C: fairly reliable")
    D = "D", _("D: not usually reliable")
    E = "E", _("E: unreliable")
    F = "F", _("F: reliability cannot be judged")


class Credibility(models.IntegerChoices):
    """Admiralty information credibility."""

    CONFIRMED = 1, _("1: confirmed by other sources")
    PROBABLE = 2, _("2: probably true")
    POSSIBLE = 3, _("3: possibly true")
    DOUBTFUL = 4, _("4: doubtful")
    IMPROBABLE = 5, _("5: improbable")
    UNKNOWN = 6, _("6: cannot be judged")


class Source(models.Model):
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=SourceKind.choices)
    reliability = models.CharField(_("reliability"), max_length=1, choices=Reliability.choices)
    independence_group = models.SlugField(
        _("independence group"),
        max_length=64,
        help_text=_("Sources in the same group are not independent of each other."),
    )
    protected = models.BooleanField(
        _("protected"), default=False, help_text=_("The identity of this source is confidential.")
    )
    # Archived: its claims stand; it is no longer offered for new claims.
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class ClaimKind(models.TextChoices):
    STATUS = "status", _("Status of a person")
    AGGREGATE = "aggregate", _("Count for a whole agreement")
    LIFECYCLE = "lifecycle", _("Stage of a whole agreement")
    RETRACTION = "retraction", _("Retraction of an earlier claim")


class Lifecycle(models.TextChoices):
    """What a source says happened to an agreement as a whole."""

    FIRST_RELEASES = "first_releases", _("Releases began")
    SUSPENDED = "suspended", _("Suspended or halted")
    RESUMED = "resumed", _("Resumed")
    DECLARED_COMPLETE = "declared_complete", _("Declared complete")
    LAPSED = "lapsed", _("Lapsed or abandoned")


# What an aggregate count may be broken down into (each part a whole number).
BREAKDOWN_PARTS = ("political", "other", "conditional", "unconditional", "exile")


class ClaimQuerySet(models.QuerySet["Claim"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("claims are immutable: record a correction instead")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("claims are immutable: record a retraction instead")


class Claim(models.Model):
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="claims")
    kind = models.CharField(_("kind"), max_length=16, choices=ClaimKind.choices)
    person = models.ForeignKey(
        "registry.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
    )
    agreement = models.ForeignKey(
        "agreements.Agreement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        help_text=_("The agreement the claim is made under, or about as a whole."),
    )
    status = models.CharField(_("status"), max_length=32, choices=CustodyStatus.choices, blank=True)
    released_count = models.PositiveIntegerField(_("released count"), null=True, blank=True)
    breakdown = models.JSONField(
        _("breakdown"),
        default=dict,
        blank=True,
        help_text=_(
            "Parts of an aggregate count, as the source gave them: political, other, "
            "conditional, unconditional, exile."
        ),
    )
    lifecycle = models.CharField(_("stage"), max_length=24, choices=Lifecycle.choices, blank=True)
    event_date = models.DateField(_("event date"), null=True, blank=True)
    # The time of day, when the source gave one: it orders a re-arrest and a release that
    # happened on the same day ("detained in the morning, released by evening").
    event_time = models.TimeField(_("event time"), null=True, blank=True)
    event_precision = models.CharField(
        _("event date precision"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    received_at = models.DateTimeField(_("received"))
    credibility = models.PositiveSmallIntegerField(
        _("credibility"),
        choices=Credibility.choices,
        default=Credibility.UNKNOWN,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
    )
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        help_text=_("The earlier claim this one retracts or supersedes."),
    )
    evidence_text = models.TextField(_("evidence"), blank=True)
    evidence_url = models.URLField(_("evidence link"), max_length=500, blank=True)
    evidence_sha256 = models.CharField(_("evidence file SHA-256"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["received_at", "id"]
        indexes = [models.Index(fields=["person", "received_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.status or self.released_count or ''}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError("claims are immutable: record a correction instead")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("claims are immutable: record a retraction instead")
