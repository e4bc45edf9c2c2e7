"""Mailing lists, subscribers, their consent, digests and the outbox that delivers them.

An address is personal data that can reveal a political opinion. It lives in one column
(``Subscriber.email``) and nowhere else: not in the audit ledger (keyed hashes only), not
in task arguments (ids only), not in log lines. Erasure empties that column and keeps the
keyed hash, so the address stays suppressed without being held.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ListKind(models.TextChoices):
    AGREEMENT = "agreement", _("One agreement")
    COUNTRY = "country", _("One country")
    ALL = "all", _("All updates")


class Frequency(models.TextChoices):
    """How often a list's digest goes out (the worker sends it when due: see schedule.py)."""

    IMMEDIATE = "immediate", _("As it happens")
    DAILY = "daily", _("Daily digest")
    WEEKLY = "weekly", _("Weekly digest")


class MailingList(models.Model):
    """A list people subscribe to: one agreement, one country (the releasing party of
    its agreements), or everything public."""

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ListKind.choices)
    agreement = models.ForeignKey(
        "agreements.Agreement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agreement"),
    )
    party = models.ForeignKey(
        "agreements.Party",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("country"),
        help_text=_("The releasing party whose agreements this list follows."),
    )
    public = models.BooleanField(
        _("offered on the public form"),
        default=True,
        help_text=_("A private list is not offered on the public form."),
    )
    frequency = models.CharField(
        _("frequency"), max_length=16, choices=Frequency.choices, default=Frequency.DAILY
    )
    # False: archived (kept with its subscribers and history, offered to no one, sends
    # nothing); restoring it starts its digests from the present again.
    active = models.BooleanField(_("active"), default=True)
    mailchimp_interest_id = models.CharField(max_length=64, blank=True)
    # What the public could see at the last digest: the next digest is the difference.
    snapshot = models.JSONField(default=dict, blank=True)
    snapshot_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mailing list")
        verbose_name_plural = _("mailing lists")
        ordering = ["kind", "slug"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="agreement", agreement__isnull=False, party__isnull=True)
                    | Q(kind="country", agreement__isnull=True, party__isnull=False)
                    | Q(kind="all", agreement__isnull=True, party__isnull=True)
                ),
                name="mailing_list_kind_matches_target",
            )
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def title(self) -> str:
        """The list's name in the active language."""
        if self.kind == ListKind.AGREEMENT and self.agreement is not None:
            return self.agreement.title
        if self.kind == ListKind.COUNTRY and self.party is not None:
            return gettext("Updates on %(country)s") % {"country": self.party.name}
        return gettext("All updates")


class SubscriberStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Complained")
    ERASED = "erased", _("Erased")


class Subscriber(models.Model):
    # NULL once erased (unique, yet many erased rows); the keyed hash stays so the
    # address remains suppressed.
    email = models.CharField(  # noqa: DJ001
        _("email address"), max_length=254, unique=True, null=True
    )
    email_hash = models.CharField(max_length=40, unique=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=SubscriberStatus.choices,
        default=SubscriberStatus.ACTIVE,
    )
    status_reason = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # When we last sent a confirmation or a "you are already subscribed" note: at most
    # one such message per address every ten minutes.
    last_notice_at = models.DateTimeField(null=True, blank=True)
    # Mailchimp mirror: set when a local change has not reached Mailchimp yet.
    mailchimp_dirty = models.BooleanField(default=False)
    mailchimp_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="erased", email__isnull=True)
                | (~Q(status="erased") & Q(email__isnull=False)),
                name="mailing_erased_has_no_address",
            )
        ]

    def __str__(self) -> str:
        # Never the address: this string ends up in logs and admin messages.
        return f"subscriber #{self.pk}"


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class Subscription(models.Model):
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="subscriptions"
    )
    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.CASCADE, related_name="subscriptions"
    )
    status = models.CharField(
        max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.PENDING
    )
    requested_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "mailing_list"], name="one_subscription_per_list"
            )
        ]
        indexes = [models.Index(fields=["mailing_list", "status"])]

    def __str__(self) -> str:
        return f"{self.subscriber_id}:{self.mailing_list_id} {self.status}"


class Consent(models.Model):
    """What a person agreed to, when, and the exact words they were shown."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="consents")
    at = models.DateTimeField()
    action = models.CharField(max_length=16)  # "confirm" or "preferences"
    lists = models.JSONField(default=list)  # slugs
    language = models.CharField(max_length=8)
    notice_text = models.TextField()
    notice_hash = models.CharField(max_length=64)  # sha256 of notice_text (UTF-8)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"consent #{self.pk}"


class Digest(models.Model):
    """The public news of one list since its previous digest (handles, states, dates;
    names are looked up again, publicly, when each message is written)."""

    mailing_list = models.ForeignKey(MailingList, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField()
    content = models.JSONField(default=dict)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"digest #{self.pk}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped (no longer eligible)")
    FAILED = "failed", _("Failed")


class OutboxMessage(models.Model):
    """One digest for one subscriber: the unit that is delivered exactly once.

    ``sent`` is committed *before* the SMTP transaction is completed (see
    ``detente.mailing.delivery``), so a row marked sent is never sent again and a row
    not marked sent was never completed at the relay. ``accepted_at`` records the relay's
    250 reply; a sent row without it is one whose reply was lost.
    """

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="messages")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="messages")
    status = models.CharField(
        max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    soft_bounced = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        constraints = [
            models.UniqueConstraint(
                fields=["digest", "subscriber"], name="one_message_per_digest_and_subscriber"
            )
        ]
        indexes = [
            models.Index(fields=["status", "id"]),
            models.Index(fields=["subscriber", "sent_at"]),
        ]

    def __str__(self) -> str:
        return f"message #{self.pk} ({self.status})"


class DeliveryLease(models.Model):
    """Who is delivering the outbox now: one runner at a time, so the send rate holds."""

    name = models.CharField(max_length=32, unique=True)
    holder = models.CharField(max_length=64, blank=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.IntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery lease")
        verbose_name_plural = _("delivery leases")

    def __str__(self) -> str:
        return f"{self.name}: {self.holder or 'free'}"


class MailchimpDeletion(models.Model):
    """A permanent deletion owed to Mailchimp after an erasure (Mailchimp's member id, the
    MD5 of the address, is kept only until Mailchimp confirms)."""

    member_hash = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pending Mailchimp deletion")
        verbose_name_plural = _("pending Mailchimp deletions")

    def __str__(self) -> str:
        return "pending Mailchimp deletion"
