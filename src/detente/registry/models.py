"""People, their identities and custody episodes.

Identity (anything that names or locates a person) lives in ``Identity`` and nowhere else,
so that encryption and redaction can be applied in one place. ``Person`` carries only the
stable pseudonymous handle and non-identifying facts.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from detente.core.dates import DatePrecision, PreciseDate
from detente.registry.status import CustodyStatus


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    OTHER = "X", _("Other or not recorded")


class Person(models.Model):
    handle = models.CharField(_("handle"), max_length=16, unique=True, editable=False)
    at_risk = models.BooleanField(
        _("at risk"),
        default=False,
        help_text=_("People at risk are never published without an audited override."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.handle


class Identity(models.Model):
    """Everything that identifies a person; confidential by default."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="identity")
    given_names = models.CharField(_("given names"), max_length=120)
    paternal_surname = models.CharField(_("paternal surname"), max_length=80, blank=True)
    maternal_surname = models.CharField(_("maternal surname"), max_length=80, blank=True)
    aliases = models.JSONField(_("aliases and other spellings"), default=list, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    birth_precision = models.CharField(
        _("birth date precision"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.OTHER)
    province = models.CharField(_("province"), max_length=80, blank=True)
    municipality = models.CharField(_("municipality"), max_length=80, blank=True)
    affiliation = models.CharField(_("affiliation"), max_length=160, blank=True)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        parts = (self.given_names, self.paternal_surname, self.maternal_surname)
        return " ".join(p for p in parts if p)

    @property
    def birth(self) -> PreciseDate | None:
        if self.birth_date is None:
            return None
        return PreciseDate.of(self.birth_date, self.birth_precision)


class CustodyEpisode(models.Model):
    """A period in one custody status, as recorded in the registry (not a claim)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="episodes")
    status = models.CharField(_("status"), max_length=32, choices=CustodyStatus.choices)
    start_date = models.DateField(_("start date"))
    start_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    end_date = models.DateField(_("end date"), null=True, blank=True)
    end_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    place = models.CharField(_("place of detention"), max_length=160, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("custody episode")
        verbose_name_plural = _("custody episodes")
        ordering = ["person_id", "start_date", "id"]

    def __str__(self) -> str:
        return f"{self.person} {self.status} {self.start_date}"

    @property
    def start(self) -> PreciseDate:
        return PreciseDate.of(self.start_date, self.start_precision)
