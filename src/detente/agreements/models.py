"""Agreements, the parties to them and the people named on them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from detente.evidence.models import Reliability
from detente.registry.status import Category, CustodyStatus


class Party(models.Model):
    """A government or body that makes or receives a commitment."""

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    independence_group = models.SlugField(
        _("independence group"),
        max_length=64,
        help_text=_("Sources in this group speak for this party."),
    )

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class Agreement(models.Model):
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    promisor = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("releasing party"),
    )
    promisee = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="+", verbose_name=_("counterpart")
    )
    announced_on = models.DateField(_("announced on"))
    promised_count = models.PositiveIntegerField(_("promised count"))
    expected_release = models.CharField(
        _("expected kind of release"),
        max_length=32,
        choices=CustodyStatus.choices,
        blank=True,
    )
    description = models.TextField(_("description"), blank=True)
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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["announced_on", "slug"]

    def __str__(self) -> str:
        return self.title


class MemberState(models.TextChoices):
    """Where a named member stands; each member is in exactly one state."""

    HELD = "held", _("Still held")
    REPORTED = "reported", _("Reported released")
    CONFIRMED = "confirmed", _("Confirmed released")
    DISPUTED = "disputed", _("Disputed")
    REARRESTED = "rearrested", _("Re-arrested")
    DIED = "died", _("Died")
    DISAPPEARED = "disappeared", _("Disappeared")


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
