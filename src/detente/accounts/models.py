"""Second-factor devices, login throttles and the session index used to end sessions."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import models
from django.utils.translation import gettext_lazy as _

from detente.accounts import sealing, totp


class TOTPDevice(models.Model):
    """A user's authenticator app: one per user, its secret encrypted at rest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="totp_device",
        verbose_name=_("user"),
    )
    sealed_secret = models.TextField(_("encrypted secret"), editable=False)
    confirmed = models.BooleanField(_("confirmed"), default=False)
    # The newest time step a code was accepted for; it and every earlier step are spent.
    last_used_step = models.BigIntegerField(_("last used step"), null=True, editable=False)
    created_at = models.DateTimeField(_("created at"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True)

    class Meta:
        verbose_name = _("authenticator")
        verbose_name_plural = _("authenticators")

    def __str__(self) -> str:
        return f"TOTP device of user {self.user_id}"

    def secret(self) -> str:
        """The base32 secret (raises ``sealing.InvalidToken`` if it cannot be decrypted)."""
        return sealing.unseal(self.user_id, self.sealed_secret)

    def key(self) -> bytes:
        return totp.decode_secret(self.secret())

    def match(self, code: str, now: dt.datetime) -> int | None:
        """The unused step ``code`` is valid for at ``now``, or None. Changes nothing."""
        return totp.match_step(self.key(), code, now.timestamp(), after=self.last_used_step)


class LoginThrottle(models.Model):
    """Charged login attempts for one (username, client address), or for one address.

    ``username`` empty means "every username from this address" (the anti-spraying cap);
    Django usernames are never empty, so the two kinds cannot collide. An attempt is
    charged before the password is checked and uncharged when it succeeds, so attempts
    sent in parallel cannot all slip in under the limit.
    """

    address = models.CharField(_("client address"), max_length=64)
    username = models.CharField(_("username"), max_length=150, blank=True)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    window_started_at = models.DateTimeField(_("window started at"))
    locked_until = models.DateTimeField(_("locked until"), null=True)

    class Meta:
        verbose_name = _("login throttle")
        verbose_name_plural = _("login throttles")
        constraints = [
            models.UniqueConstraint(
                fields=["address", "username"], name="accounts_throttle_unique_key"
            )
        ]
        indexes = [models.Index(fields=["window_started_at"], name="accounts_throttle_window")]

    def __str__(self) -> str:
        return f"{self.username or '*'}@{self.address}"


class UserSession(models.Model):
    """Which user a stored session belongs to, so disabling a user ends exactly their
    sessions with one indexed query instead of decoding every session in the table."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=True
    )

    class Meta:
        verbose_name = _("user session")
        verbose_name_plural = _("user sessions")

    def __str__(self) -> str:
        return f"session of user {self.user_id}"


class Invitation(models.Model):
    """A one-time link that lets a person set their password and enrol their second factor.

    Only a keyed hash of the link's token is kept (``sealing.keyed_hashes``): the token is
    shown once, to the administrator who issued it. A link works until it is used, it
    expires, or a newer link for the same account replaces it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("user"),
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    created_at = models.DateTimeField(_("issued at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"invitation {self.pk} of user {self.user_id}"

    def usable(self, now: dt.datetime) -> bool:
        return self.used_at is None and self.cancelled_at is None and now < self.expires_at


class RecoveryCode(models.Model):
    """One recovery code: accepted once at login in place of the authenticator's code.

    Only a keyed hash is kept; the codes are shown once, when they are made.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="recovery_codes",
        verbose_name=_("user"),
    )
    code_hash = models.CharField(_("code hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"))
    used_at = models.DateTimeField(_("used at"), null=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        indexes = [models.Index(fields=["user", "code_hash"], name="accounts_recovery_lookup")]

    def __str__(self) -> str:
        return f"recovery code {self.pk} of user {self.user_id}"
