"""People, their identities and custody episodes.

Identity (anything that names or locates a person) lives in ``Identity`` and nowhere else,
so that encryption and redaction can be applied in one place. ``Person`` carries only the
stable pseudonymous handle and non-identifying facts.
"""

from __future__ import annotations

from collections.abc import Iterable

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
    # Set when this person was found to be another one (``detente.reconcile`` merge): the
    # survivor keeps the handle, this record stays (claims are immutable and keep pointing
    # here) and is counted as the survivor. Cleared by a split.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_people",
        verbose_name=_("merged into"),
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.handle


# A merge chain longer than this is a bug (a cycle): stop following it.
_MAX_CHAIN = 50


def survivors(person_ids: Iterable[int]) -> dict[int, int]:
    """Each id → the person it counts as now: itself, or the person it was merged into
    (followed to the end of a chain of merges)."""
    out = {pid: pid for pid in person_ids}
    pending = set(out)
    for _step in range(_MAX_CHAIN):
        step = dict(
            Person.objects.filter(pk__in=pending, merged_into__isnull=False).values_list(
                "pk", "merged_into_id"
            )
        )
        if not step:
            break
        for start, current in out.items():
            if current in step:
                out[start] = step[current]
        pending = set(step.values())
    return out


def absorbed(person_ids: Iterable[int] | None = None) -> dict[int, int]:
    """People merged (directly or along a chain) into these people → the one of them they
    count as. ``None``: every merged person → their final survivor."""
    if person_ids is None:
        merged = list(Person.objects.filter(merged_into__isnull=False).values_list("pk", flat=True))
        return survivors(merged)
    out: dict[int, int] = {}
    root = {pid: pid for pid in person_ids}
    frontier = set(root)
    for _step in range(_MAX_CHAIN):
        step = list(
            Person.objects.filter(merged_into__in=frontier).values_list("pk", "merged_into_id")
        )
        if not step:
            break
        frontier = set()
        for pid, into in step:
            if pid in out or pid in root:
                continue
            out[pid] = root.get(into, out.get(into, into))
            frontier.add(pid)
    return out


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
    # ISO 3166-1 alpha-2 and a first-level division of it (ISO 3166-2), read from the
    # province as written when none is given (``core.places``); ``province`` keeps the text.
    country = models.CharField(_("country"), max_length=2, blank=True)
    division = models.CharField(_("division"), max_length=8, blank=True)
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


class NameToken(models.Model):
    """One searchable form of a word of a person's names (see ``registry.search``).

    Derived from ``Identity`` and rebuilt from it whenever it is written, so the staff
    search can find "Pepe Perez" by index lookups instead of reading every identity. It
    holds folded words and their phonetic keys: still identifying, and confidential like
    the identity itself (never shown, never in the ledger).
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_index=False)
    token = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("name search token")
        verbose_name_plural = _("name search tokens")
        constraints = [
            models.UniqueConstraint(fields=["person", "token"], name="one_token_per_person")
        ]
        # Covers the search query (token lookups that only need the person's id).
        indexes = [models.Index(fields=["token", "person"], name="registry_token_person")]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.token}"
