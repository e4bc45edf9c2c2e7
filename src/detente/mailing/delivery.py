"""Delivering the outbox: each (digest, subscriber) message exactly once, at a set rate.

The guarantee, and how it is kept
---------------------------------
An SMTP relay takes responsibility for a message when it has received the final "."
of the DATA phase; a connection that closes before that line is discarded by the relay
(RFC 5321, 4.1.1.4). The worker therefore writes everything *except* that line, then
commits ``status = sent`` for the message, and only then writes the "." and reads the
reply. So:

- a crash before the commit leaves an incomplete transaction, which the relay throws
  away, and a row still pending, which the next runner sends: no loss, no duplicate;
- a crash after the commit can never cause a second copy: a row marked sent is never
  sent again (the mark and the eligibility check are one ``UPDATE … WHERE status =
  'pending'``);
- the only window for a loss is between that commit and the write of the five bytes
  ".\r\n" to the socket, a single local system call; and if the relay's reply never
  arrives the row stays ``sent`` with ``accepted_at`` empty, so an operator can see it
  (``detente mailing status``). Delivery is at most once, and exactly once unless the
  worker dies inside that window.

Committing after the relay's reply instead (the usual way) opens the opposite window,
a duplicate, for the whole round trip and the relay's own disk write.

One runner at a time holds the outbox lease (``DeliveryLease``), renewed as it works;
a runner that dies is replaced once its lease expires, at once if it ran on this host
and its process is gone. Being alone is what lets the send rate hold across workers.
To amortise those commits, the runner keeps several connections and moves a group of
messages through each step together (one commit per group).

How a group of messages reaches the relay, the send rate and the retries are
:mod:`detente.mailing.transports`; this module holds the lease, picks the messages,
marks them sent and keeps the count.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import smtplib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from detente.mailing import conf
from detente.mailing.compose import BulkWriter, render_digest
from detente.mailing.digests import PublicView, public_views
from detente.mailing.models import (
    DeliveryLease,
    Digest,
    MailingList,
    OutboxMessage,
    OutboxStatus,
    Subscriber,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
)
from detente.mailing.transports import (
    MAX_ATTEMPTS,
    BackendPool,
    Item,
    Outcome,
    Pacer,
    Row,
    SmtpPool,
    smtp_connect,
)

log = logging.getLogger(__name__)

LEASE_NAME = "outbox"
BATCH = 512
# How long a rendered digest (and the public view behind its names) is reused before it
# is read again: a disclosure withdrawn mid-send stops appearing within this time.
REFRESH_SECONDS = 30.0
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


# --- Lease ------------------------------------------------------------------------------


def _lease_seconds() -> float:
    # Long enough to cover one paced group of messages between two renewals.
    rate = conf.number("SEND_RATE")
    group = 60.0 / rate * max(1, conf.number("CONNECTIONS")) if rate > 0 else 0.0
    return max(float(conf.number("LEASE_SECONDS")), 3 * group)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def acquire_lease(holder: str) -> bool:
    now = timezone.now()
    host = socket.gethostname()
    try:
        with transaction.atomic():
            lease, _created = DeliveryLease.objects.select_for_update().get_or_create(
                name=LEASE_NAME
            )
            dead_here = (
                lease.host == host and lease.pid != os.getpid() and not _pid_alive(lease.pid)
            )
            free = (
                not lease.holder or lease.expires_at is None or lease.expires_at <= now or dead_here
            )
            if not free:
                return False
            lease.holder = holder
            lease.host = host
            lease.pid = os.getpid()
            lease.expires_at = now + dt.timedelta(seconds=_lease_seconds())
            lease.save()
    except IntegrityError:
        return False  # another runner created the row at the same moment
    return True


def renew_lease(holder: str) -> bool:
    expires = timezone.now() + dt.timedelta(seconds=_lease_seconds())
    return (
        DeliveryLease.objects.filter(name=LEASE_NAME, holder=holder).update(expires_at=expires) == 1
    )


def release_lease(holder: str) -> None:
    DeliveryLease.objects.filter(name=LEASE_NAME, holder=holder).update(
        holder="", expires_at=None, pid=0
    )


# --- The runner -------------------------------------------------------------------------


def _eligible() -> Exists:
    return Exists(
        Subscription.objects.filter(
            subscriber=OuterRef("subscriber"),
            mailing_list=OuterRef("digest__mailing_list"),
            status=SubscriptionStatus.CONFIRMED,
        )
    )


_OUTBOX = OutboxMessage._meta.db_table
_SUBSCRIBER = Subscriber._meta.db_table
_SUBSCRIPTION = Subscription._meta.db_table
_DIGEST = Digest._meta.db_table
# The sent mark, guarded by everything that makes a message eligible at this instant.
# Written so that every lookup is by the subscriber's id: a plan that walks the list's
# confirmed subscriptions instead costs O(subscribers) per group (PostgreSQL chose one
# on fresh statistics, and 100,000 messages took 16 minutes).
_MARK_SQL = (
    f"UPDATE {_OUTBOX} SET status = 'sent', sent_at = %s, attempts = attempts + 1 "  # noqa: S608
    f"WHERE id IN ({{ids}}) AND status = 'pending' "
    f"AND EXISTS (SELECT 1 FROM {_SUBSCRIBER} s "
    f"WHERE s.id = {_OUTBOX}.subscriber_id AND s.status = 'active') "
    f"AND EXISTS (SELECT 1 FROM {_SUBSCRIPTION} u "
    f"WHERE u.subscriber_id = {_OUTBOX}.subscriber_id "
    f"AND u.mailing_list_id = (SELECT d.mailing_list_id FROM {_DIGEST} d "
    f"WHERE d.id = {_OUTBOX}.digest_id) "
    f"AND u.status = 'confirmed') "
    "RETURNING id"
)
_ACCEPTED_SQL = (
    f"UPDATE {_OUTBOX} SET accepted_at = %s "  # noqa: S608
    "WHERE id IN ({ids}) AND status = 'sent'"
)


@dataclass
class Rendered:
    at: float
    views: dict[str, PublicView] | None = None
    writers: dict[str, BulkWriter | None] = field(default_factory=dict)


class Runner:
    def __init__(
        self,
        pool: SmtpPool | BackendPool,
        pacer: Pacer,
        holder: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pool = pool
        self.pacer = pacer
        self.holder = holder
        self.clock = clock
        self.smtp = isinstance(pool, SmtpPool)
        self.cache: dict[int, Rendered] = {}
        self.outcome = Outcome()
        self.accepted: list[int] = []  # accepted by the relay, not yet recorded
        self.renewed_at = clock()

    def writer(self, digest_id: int, language: str) -> BulkWriter | None:
        entry = self.cache.get(digest_id)
        if entry is None or self.clock() - entry.at > REFRESH_SECONDS:
            entry = self.cache[digest_id] = Rendered(self.clock())
        if language not in entry.writers:
            digest = Digest.objects.select_related(
                "mailing_list__agreement", "mailing_list__party"
            ).get(pk=digest_id)
            ml: MailingList = digest.mailing_list
            if entry.views is None:
                entry.views = {v.slug: v for v in public_views(ml)}
            parts = render_digest(digest, ml, entry.views, language)
            entry.writers[language] = BulkWriter(digest, ml, parts) if parts else None
        return entry.writers[language]

    def mark(self, ids: list[int]) -> set[int]:
        """Eligibility, checked again, and the sent mark: one statement, one commit.

        The previous group's accepted replies are recorded in the same commit. Raw SQL
        with RETURNING: this runs once per group, and the ORM's version (an update, then
        a select of what it changed) cost more than the sending.
        """
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cur:
            self._flush_accepted(cur, now)
            stamp = connection.ops.adapt_datetimefield_value(now)  # as the ORM stores it
            cur.execute(_MARK_SQL.format(ids=", ".join(["%s"] * len(ids))), [stamp, *ids])
            marked = {row[0] for row in cur.fetchall()}
        self.outcome.sent += len(marked)
        missing = set(ids) - marked
        if missing:
            self.outcome.skipped += OutboxMessage.objects.filter(
                id__in=missing, status=OutboxStatus.PENDING
            ).update(status=OutboxStatus.SKIPPED, last_error="no longer eligible at send time")
        return marked

    def _flush_accepted(self, cur: Any, now: dt.datetime) -> None:
        if self.accepted:
            marks = ", ".join(["%s"] * len(self.accepted))
            stamp = connection.ops.adapt_datetimefield_value(now)
            cur.execute(_ACCEPTED_SQL.format(ids=marks), [stamp, *self.accepted])
            self.outcome.accepted += len(self.accepted)
            self.accepted = []

    def flush_accepted(self) -> None:
        with transaction.atomic(), connection.cursor() as cur:
            self._flush_accepted(cur, timezone.now())

    def keep_lease(self) -> bool:
        """Renew the lease when a quarter of it has gone by (not on every group)."""
        now = self.clock()
        if now - self.renewed_at < _lease_seconds() / 4:
            return True
        self.renewed_at = now
        return renew_lease(self.holder)

    def batch(self) -> list[Row]:
        now = timezone.now()
        qs = (
            OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .annotate(eligible=_eligible())
            .order_by("id")
            .values_list(
                "id",
                "digest_id",
                "subscriber_id",
                "subscriber__email",
                "subscriber__email_hash",
                "subscriber__language",
                "subscriber__status",
                "attempts",
                "eligible",
            )[:BATCH]
        )
        rows, skip = [], []
        for mid, did, sid, email, ehash, lang, status, attempts, eligible in qs:
            if status != SubscriberStatus.ACTIVE or not eligible or not email:
                skip.append(mid)
            else:
                rows.append(Row(mid, did, sid, email, ehash, lang, attempts))
        if skip:
            self.outcome.skipped += OutboxMessage.objects.filter(
                id__in=skip, status=OutboxStatus.PENDING
            ).update(status=OutboxStatus.SKIPPED, last_error="not eligible")
        return rows

    def run(self) -> Outcome:
        try:
            return self._run()
        finally:
            self.flush_accepted()

    def _run(self) -> Outcome:
        languages = {code for code, _name in settings.LANGUAGES}
        while True:
            if not renew_lease(self.holder):
                self.outcome.error = "lease lost"
                break
            rows = self.batch()
            if not rows:
                pending = OutboxMessage.objects.filter(status=OutboxStatus.PENDING).filter(
                    Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now())
                )
                if not pending.exists():
                    break
                continue  # the whole batch was skipped; look again
            items: list[Item] = []
            empty: list[int] = []
            for row in rows:
                lang = row.language if row.language in languages else settings.LANGUAGE_CODE
                writer = self.writer(row.digest_id, lang)
                if writer is None:
                    empty.append(row.id)
                    continue
                if self.smtp:
                    env = writer.envelope(row.email, row.subscriber_id, row.email_hash)
                    items.append(Item(row, envelope=env))
                else:
                    msg = writer.django_message(row.email, row.subscriber_id, row.email_hash)
                    items.append(Item(row, message=msg))
            if empty:
                self.outcome.skipped += OutboxMessage.objects.filter(
                    id__in=empty, status=OutboxStatus.PENDING
                ).update(status=OutboxStatus.SKIPPED, last_error="nothing public left to send")
            for start in range(0, len(items), self.pool.size):
                if start and not renew_lease(self.holder):
                    self.outcome.error = "lease lost"
                    return self.outcome
                group = items[start : start + self.pool.size]
                accepted = self.pool.send_group(group, self.mark, self.pacer, self.outcome)
                if accepted:
                    OutboxMessage.objects.filter(id__in=accepted).update(accepted_at=timezone.now())
                    self.outcome.accepted += len(accepted)
        return self.outcome


def deliver(
    *,
    pacer: Pacer | None = None,
    pool: SmtpPool | BackendPool | None = None,
) -> Outcome:
    """Deliver every pending message, unless another runner holds the lease."""
    holder = secrets.token_hex(8)
    if not acquire_lease(holder):
        return Outcome(ran=False)
    if pool is None:
        smtp = settings.EMAIL_BACKEND == SMTP_BACKEND
        pool = SmtpPool(conf.number("CONNECTIONS")) if smtp else BackendPool()
    pacer = pacer or Pacer(conf.number("SEND_RATE"))
    runner = Runner(pool, pacer, holder)
    try:
        return runner.run()
    except (smtplib.SMTPException, OSError) as exc:
        # The relay cannot be reached: what is pending stays pending for the next run.
        log.warning("outbox delivery stopped: %s", exc)
        runner.outcome.error = str(exc)[:200]
        return runner.outcome
    finally:
        try:
            pool.close()
        finally:
            release_lease(holder)


__all__ = [
    "BATCH",
    "LEASE_NAME",
    "MAX_ATTEMPTS",
    "REFRESH_SECONDS",
    "SMTP_BACKEND",
    "BackendPool",
    "Item",
    "Outcome",
    "Pacer",
    "Row",
    "Runner",
    "SmtpPool",
    "acquire_lease",
    "deliver",
    "release_lease",
    "renew_lease",
    "smtp_connect",
]
