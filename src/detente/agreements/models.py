"""Agreements, the parties to them and the people named on them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from detente.evidence.models import Reliability
from detente.registry.status import Category, CustodyStatus


class PartyKind(models.TextChoices):
    GOVERNMENT = "government", _("Government")
    MEDIATOR = "mediator", _("Mediator")
    GUARANTOR = "guarantor", _("Guarantor")
    ORGANISATION = "organisation", _("Organisation")


class Party(models.Model):
    """A government or body that makes, receives, mediates or guarantees a commitment."""

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=16, choices=PartyKind.choices, default=PartyKind.GOVERNMENT
    )
    independence_group = models.SlugField(
        _("independence group"),
        max_length=64,
        help_text=_("Sources in this group speak for this party."),
    )
    # Archived: kept for the history it is part of, no longer offered for new agreements.
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


def in_language(language: str | None, english: str, spanish: str) -> str:
    """The Spanish text for a Spanish reader when there is one, else the English."""
    return spanish if spanish and language and language.startswith("es") else english


class Agreement(models.Model):
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    title_es = models.CharField(_("title in Spanish"), max_length=200, blank=True)
    promisor = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("releasing party"),
    )
    promisee = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="+", verbose_name=_("counterpart")
    )
    mediators = models.ManyToManyField(
        Party,
        related_name="mediated_agreements",
        blank=True,
        verbose_name=_("mediators and guarantors"),
    )
    # The other legs of an exchange: agreements in which the other side releases people
    # (each leg is an agreement of its own, with its own releasing party and figures).
    exchange_legs = models.ManyToManyField(
        "self", symmetrical=True, blank=True, verbose_name=_("other legs of the exchange")
    )
    # Where the releases happen: ISO 3166-1 alpha-2, and a first-level division (ISO
    # 3166-2) when the agreement is local to one (``core.places``).
    country = models.CharField(_("country"), max_length=2, blank=True)
    division = models.CharField(_("division"), max_length=8, blank=True)
    announced_on = models.DateField(_("announced on"))
    # None: the promise names no number ("political prisoners will be released").
    promised_count = models.PositiveIntegerField(_("promised count"), null=True, blank=True)
    promised_approximate = models.BooleanField(
        _("approximate count"),
        default=False,
        help_text=_("The promise gave an approximate number (“about 900”)."),
    )
    expected_release = models.CharField(
        _("expected kind of release"),
        max_length=32,
        choices=CustodyStatus.choices,
        blank=True,
    )
    description = models.TextField(_("description"), blank=True)
    description_es = models.TextField(_("description in Spanish"), blank=True)
    # Verification policy: see detente.evidence.verification.Policy for the rules.
    confirm_min_grade = models.CharField(
        _("lowest grade that confirms"),
        max_length=1,
        choices=Reliability.choices,
        default=Reliability.B,
    )
    dispute_min_grade = models.CharField(
        _("lowest grade that disputes"),
        max_length=1,
        choices=Reliability.choices,
        default=Reliability.C,
    )
    status_overrides = models.JSONField(
        _("status overrides"),
        default=dict,
        blank=True,
        help_text=_(
            'What a status counts as under this agreement, e.g. {"house_arrest": "conditional"}.'
        ),
    )
    audience = models.CharField(
        _("shown to"),
        max_length=16,
        choices=[
            ("staff", _("Staff only")),
            ("legislature", _("Staff and legislature")),
            ("public", _("Everyone")),
        ],
        default="staff",
        help_text=_("Who sees the agreement and its figures (identities follow disclosures)."),
    )
    # Set by the first per-account grant and cleared only on purpose, so removing the
    # last listed account closes the agreement instead of opening it to everyone.
    legislature_list_only = models.BooleanField(
        _("only listed legislature accounts"), default=False
    )
    # Archived: out of the default lists and closed to new members and claims; its page,
    # figures and history stay as they were.
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["announced_on", "slug"]

    def __str__(self) -> str:
        return self.shown_title  # in the reader's language (choices, admin)

    def title_in(self, language: str | None) -> str:
        """The title in ``language`` when one was given, else the English one."""
        return in_language(language, self.title, self.title_es)

    @property
    def shown_title(self) -> str:
        """The title in the active language (templates: ``{{ agreement.shown_title }}``)."""
        return self.title_in(get_language())

    def description_in(self, language: str | None) -> str:
        return in_language(language, self.description, self.description_es)


class MemberState(models.TextChoices):
    """Where a named member stands; each member is in exactly one state."""

    HELD = "held", _("Still held")
    REPORTED = "reported", _("Reported released")
    CONFIRMED = "confirmed", _("Confirmed released")
    DISPUTED = "disputed", _("Disputed")
    REARRESTED = "rearrested", _("Re-arrested")
    DIED = "died", _("Died")
    DISAPPEARED = "disappeared", _("Disappeared")
    RELEASED_BEFORE = "released_before", _("Released before the agreement")


class Classification(models.TextChoices):
    """Whether a named member counts towards the promise of political prisoners."""

    POLITICAL = "political", _("Political prisoner")
    OTHER = "other", _("Not a political prisoner")


class Membership(models.Model):
    """A person named on an agreement, with their derived state cached.

    The ``state``…``confirmed_at`` columns are a cache of
    ``detente.evidence.verification.derive`` over the person's claims under the
    agreement's policy. Only ``detente.agreements.services`` writes them, and
    ``agreement_rebuild`` recomputes them exactly (tests check both agree).
    """

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="memberships"
    )
    named_on = models.DateField(_("named on"))
    # On whose word the person was named, and why the date is what it is when it is
    # earlier than the day it was entered (a list published last month).
    named_by = models.ForeignKey(
        "evidence.Source",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("named by"),
    )
    named_note = models.CharField(_("why this date"), max_length=500, blank=True)
    # A member a source says is not a political prisoner (a common prisoner inside the
    # releasing side's count) stays named but is left out of the promise's parts, from
    # ``classified_on``. Only ``agreements.services.member_classify`` writes these.
    classification = models.CharField(
        _("classification"),
        max_length=10,
        choices=Classification.choices,
        default=Classification.POLITICAL,
    )
    classified_by = models.ForeignKey(
        "evidence.Source",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("classified on the word of"),
    )
    classified_on = models.DateField(_("classified on"), null=True, blank=True)
    classified_note = models.CharField(_("reason"), max_length=500, blank=True)
    state = models.CharField(max_length=16, choices=MemberState.choices, default=MemberState.HELD)
    release_category = models.CharField(max_length=16, choices=Category.choices, blank=True)
    status = models.CharField(max_length=32, choices=CustodyStatus.choices, blank=True)
    released_on = models.DateField(null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    rearrested_on = models.DateField(null=True, blank=True)
    first_reported_at = models.DateTimeField(null=True, blank=True)
    first_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["agreement_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "person"], name="one_membership")
        ]
        indexes = [models.Index(fields=["agreement", "state"])]

    def __str__(self) -> str:
        return f"{self.agreement_id}:{self.person_id}"
