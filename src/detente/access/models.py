"""Disclosures: the recorded acts that open identities to an audience.

Staff see every identity. The legislature sees an identity once it has been disclosed to
the legislature (or to the public); the public once it has been disclosed to the public.
A disclosure is proposed by one user and approved by another; withdrawing one is a new
disclosure with a reason, never an edit.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Audience(models.TextChoices):
    LEGISLATURE = "legislature", _("Legislature")
    PUBLIC = "public", _("Public")


class DisclosureAction(models.TextChoices):
    OPEN = "open", _("Open identities")
    WITHDRAW = "withdraw", _("Withdraw identities")


class DisclosureStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Disclosure(models.Model):
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices)
    action = models.CharField(_("action"), max_length=16, choices=DisclosureAction.choices)
    agreement = models.ForeignKey(
        "agreements.Agreement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disclosures",
        help_text=_("When set, the disclosure covers the agreement's named members."),
    )
    people = models.ManyToManyField(
        "registry.Person", verbose_name=_("people"), related_name="+", blank=True
    )
    reason = models.TextField(_("reason"))
    effective_from = models.DateTimeField(_("effective from"), null=True, blank=True)
    at_risk_override = models.BooleanField(
        _("include people at risk"),
        default=False,
        help_text=_("Only an administrator may approve this, and it is audited."),
    )
    status = models.CharField(
        max_length=16, choices=DisclosureStatus.choices, default=DisclosureStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")
        ordering = ["-proposed_at", "-id"]

    def __str__(self) -> str:
        # In words, not an arrow: the admin's titles and breadcrumbs are read aloud too.
        return gettext("#%(number)s: %(action)s, to %(audience)s (%(status)s)") % {
            "number": self.pk,
            "action": self.get_action_display(),
            "audience": self.get_audience_display(),
            "status": self.get_status_display(),
        }


class Grant(models.Model):
    """One person covered by an approved disclosure; what visibility queries read."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="grants")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    audience = models.CharField(max_length=16, choices=Audience.choices)
    action = models.CharField(max_length=16, choices=DisclosureAction.choices)
    effective_from = models.DateTimeField()
    at_risk_override = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("disclosure grant")
        verbose_name_plural = _("disclosure grants")
        indexes = [models.Index(fields=["person", "audience", "effective_from"])]

    def __str__(self) -> str:
        return f"{self.person_id} {self.action} {self.audience}"


class AgreementAccess(models.Model):
    """Narrows an agreement shown to the legislature to the accounts listed here.

    An agreement with no rows is seen by every legislature account (when its audience
    allows); one with rows only by those users. Staff always see it; a public agreement is
    public whatever the rows say.
    """

    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.CASCADE, related_name="access_list"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("agreement access")
        verbose_name_plural = _("agreement access")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "user"], name="one_access_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id}:{self.user_id}"


class StatisticsRelease(models.Model):
    """One release of the public statistics: counted when proposed, published when a
    second person approves it (see ``detente.publishing.releases``)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    counted_at = models.DateTimeField(_("counted at"))
    people = models.PositiveIntegerField(_("people counted"))
    # What the public will read: ``PublicStatistics.as_json()``, small figures suppressed.
    published = models.JSONField()
    # The same tables before suppression: what was really counted, for staff only.
    counts = models.JSONField()
    reason = models.TextField(_("reason"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("statistics release")
        verbose_name_plural = _("statistics releases")
        ordering = ["-proposed_at", "-id"]

    def __str__(self) -> str:
        return f"statistics #{self.pk} ({self.status})"

    def statistics(self) -> Any:
        """The release as ``PublicStatistics`` (what the page, the command and the API
        show)."""
        from detente.publishing.statistics import PublicStatistics
        from detente.publishing.suppression import PublishedTable

        data = self.published
        tables = [
            PublishedTable(
                name=t["name"],
                row_labels=tuple(t["row_labels"]),
                col_labels=tuple(t["col_labels"]),
                cells=tuple(tuple(row) for row in t["cells"]),
                row_totals=tuple(t["row_totals"]),
                col_totals=tuple(t["col_totals"]),
                total=t["total"],
                threshold=t["threshold"],
            )
            for t in data["tables"]
        ]
        return PublicStatistics(
            population=data["population"],
            people=data["people"],
            tables=tables,
            withheld=list(data["withheld"]),
            groupings=dict(data.get("groupings") or {}),
            release=self.pk,
            counted_at=_utc(self.counted_at),
            released_at=_utc(self.decided_at) if self.decided_at else None,
        )


def _utc(moment: Any) -> str:
    """To the second, in UTC: the same text on the page's source, the command and the API."""
    import datetime as dt

    return str(moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
