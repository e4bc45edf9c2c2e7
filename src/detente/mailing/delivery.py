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
from django.core.mail import get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from detente.mailing import conf
from detente.mailing.compose import BulkWriter, Envelope, dot_stuffed, render_digest, sender
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

log = logging.getLogger(__name__)

LEASE_NAME = "outbox"
BATCH = 512
MAX_ATTEMPTS = 5
# How long a rendered digest (and the public view behind its names) is reused before it
# is read again: a disclosure withdrawn mid-send stops appearing within this time.
REFRESH_SECONDS = 30.0
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


# --- Rate -------------------------------------------------------------------------------


class Pacer:
    """At most ``per_minute`` messages a minute, evenly spaced; never a catch-up burst."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self.clock = clock
        self.sleep = sleep
        self.next_due: float | None = None

    def wait(self) -> None:
        if not self.interval:
            return
        now = self.clock()
        if self.next_due is not None and now < self.next_due:
            self.sleep(self.next_due - now)
            now = self.clock()
        self.next_due = now + self.interval


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


# --- Outcome ----------------------------------------------------------------------------


@dataclass
class Outcome:
    sent: int = 0
    accepted: int = 0
    skipped: int = 0
    deferred: int = 0
    failed: int = 0
    unconfirmed: int = 0
    ran: bool = True
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Row:
    id: int
    digest_id: int
    subscriber_id: int
    email: str
    email_hash: str
    language: str
    attempts: int


@dataclass
class Item:
    """One message on its way: the SMTP bytes, or a Django message for other backends."""

    row: Row
    envelope: Envelope | None = None  # SMTP: the bytes
    message: Any = None  # any other backend: a Django email message
    conn: Any = None
    ok: bool = True

    @property
    def smtp(self) -> Envelope:
        assert self.envelope is not None  # noqa: S101 - SmtpPool items always have one
        return self.envelope


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


def _backoff(attempts: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=min(2**attempts, 60))


def _retry(row: Row, error: str, outcome: Outcome, *, permanent: bool = False) -> None:
    """A message the relay did not take: try again later, or give up."""
    attempts = row.attempts + 1
    give_up = permanent or attempts >= MAX_ATTEMPTS
    OutboxMessage.objects.filter(pk=row.id, status=OutboxStatus.PENDING).update(
        status=OutboxStatus.FAILED if give_up else OutboxStatus.PENDING,
        attempts=attempts,
        next_attempt_at=None if give_up else _backoff(attempts),
        last_error=error[:200],
    )
    if give_up:
        outcome.failed += 1
    else:
        outcome.deferred += 1


def _reject_after_mark(row: Row, code: int, error: str, outcome: Outcome) -> None:
    """The relay refused the completed message: it was not delivered, so it may be
    sent again (4xx) or is given up (5xx)."""
    attempts = row.attempts + 1
    give_up = code >= 500 or attempts >= MAX_ATTEMPTS
    OutboxMessage.objects.filter(
        pk=row.id, status=OutboxStatus.SENT, accepted_at__isnull=True
    ).update(
        status=OutboxStatus.FAILED if give_up else OutboxStatus.PENDING,
        sent_at=None,
        attempts=attempts,
        next_attempt_at=None if give_up else _backoff(attempts),
        last_error=error[:200],
    )
    outcome.sent -= 1
    if give_up:
        outcome.failed += 1
    else:
        outcome.deferred += 1


# --- Transports -------------------------------------------------------------------------


def smtp_connect() -> smtplib.SMTP:
    """One authenticated connection to the configured relay."""
    host, port, timeout = settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT
    conn: smtplib.SMTP
    if settings.EMAIL_USE_SSL:
        conn = smtplib.SMTP_SSL(host, port, timeout=timeout)
    else:
        conn = smtplib.SMTP(host, port, timeout=timeout)
        if settings.EMAIL_USE_TLS:
            conn.starttls()
    # The end of DATA is a tiny write after the body: without this, Nagle's algorithm
    # holds it until the relay acknowledges the body (up to its delayed-ACK time).
    if conn.sock is not None:
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.ehlo_or_helo_if_needed()
    if settings.EMAIL_HOST_USER:
        conn.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
    return conn


class SmtpPool:
    """Several relay connections, driven step by step together (see the module text)."""

    def __init__(self, size: int, connect: Callable[[], smtplib.SMTP] = smtp_connect) -> None:
        self.size = max(1, size)
        self.connect = connect
        self.conns: list[smtplib.SMTP | None] = [None] * self.size
        self.from_address = sender()[1]

    def get(self, i: int) -> smtplib.SMTP:
        conn = self.conns[i]
        if conn is None:
            conn = self.conns[i] = self.connect()
        return conn

    def drop(self, conn: Any) -> None:
        """Close a connection abruptly: an unfinished DATA is discarded by the relay."""
        for i, c in enumerate(self.conns):
            if c is conn:
                self.conns[i] = None
        try:
            if conn.sock is not None:
                conn.sock.close()
        except OSError:
            pass
        conn.sock = None
        conn.file = None

    def close(self) -> None:
        for conn in self.conns:
            if conn is not None:
                try:
                    conn.quit()
                except (smtplib.SMTPException, OSError):
                    self.drop(conn)
        self.conns = [None] * self.size

    def _step(
        self,
        items: list[Item],
        send: Callable[[Item], None],
        expect: tuple[int, ...],
        stage: str,
        outcome: Outcome,
    ) -> list[Item]:
        for it in items:
            try:
                send(it)
            except (smtplib.SMTPException, OSError) as exc:
                it.ok = False
                self.drop(it.conn)
                _retry(it.row, f"{stage}: {exc}", outcome)
        live = []
        for it in items:
            if not it.ok:
                continue
            try:
                code, msg = it.conn.getreply()
            except (smtplib.SMTPException, OSError) as exc:
                it.ok = False
                self.drop(it.conn)
                _retry(it.row, f"{stage}: {exc}", outcome)
                continue
            if code in expect:
                live.append(it)
                continue
            it.ok = False
            text = f"{stage} {code} {msg.decode(errors='replace')}"
            # A refused recipient is final; anything else is worth another try.
            _retry(it.row, text, outcome, permanent=stage == "RCPT" and code >= 500)
            try:
                it.conn.rset()
            except (smtplib.SMTPException, OSError):
                self.drop(it.conn)
        return live

    def send_group(
        self,
        items: list[Item],
        mark: Callable[[list[int]], set[int]],
        pacer: Pacer,
        outcome: Outcome,
    ) -> list[int]:
        """Send a group; return the ids the relay accepted."""
        for i, it in enumerate(items):
            it.conn = self.get(i)
        live = self._step(
            items,
            lambda it: it.conn.putcmd("mail", f"FROM:<{self.from_address}>"),
            (250,),
            "MAIL",
            outcome,
        )
        live = self._step(
            live,
            lambda it: it.conn.putcmd("rcpt", f"TO:<{it.smtp.recipient}>"),
            (250, 251),
            "RCPT",
            outcome,
        )
        live = self._step(live, lambda it: it.conn.putcmd("data"), (354,), "DATA", outcome)
        body_sent = []
        for it in live:
            try:
                it.conn.send(dot_stuffed(it.smtp.data))
                body_sent.append(it)
            except (smtplib.SMTPException, OSError) as exc:
                self.drop(it.conn)
                _retry(it.row, f"DATA: {exc}", outcome)
        if not body_sent:
            return []
        # The rate is kept by spacing the marks; the ends of DATA then go out together,
        # so nothing slow sits between the commit and the last of them.
        for _it in body_sent:
            pacer.wait()
        # The point of no return: committed before the relay can have the message.
        marked = mark([it.row.id for it in body_sent])
        finishing = []
        for it in body_sent:
            if it.row.id in marked:
                finishing.append(it)
            else:
                self.drop(it.conn)  # no longer eligible: abandon the unfinished DATA
        for it in finishing:
            try:
                it.conn.send(b".\r\n")
            except (smtplib.SMTPException, OSError) as exc:
                it.ok = False
                self.drop(it.conn)
                OutboxMessage.objects.filter(pk=it.row.id).update(
                    last_error=f"end of DATA not written: {exc}"[:200]
                )
                outcome.unconfirmed += 1
        accepted = []
        for it in finishing:
            if not it.ok:
                continue
            try:
                code, msg = it.conn.getreply()
            except (smtplib.SMTPException, OSError) as exc:
                self.drop(it.conn)
                OutboxMessage.objects.filter(pk=it.row.id).update(
                    last_error=f"no reply after end of DATA: {exc}"[:200]
                )
                outcome.unconfirmed += 1
                continue
            if code == 250:
                accepted.append(it.row.id)
            else:
                _reject_after_mark(
                    it.row, code, f"end of DATA {code} {msg.decode(errors='replace')}", outcome
                )
        return accepted


class BackendPool:
    """Any other Django email backend (console, locmem, an Anymail ESP): the row is
    marked sent first and the message handed over after, the same order as SMTP."""

    def __init__(self) -> None:
        self.connection = get_connection(fail_silently=False)
        self.size = 16

    def send_group(
        self,
        items: list[Item],
        mark: Callable[[list[int]], set[int]],
        pacer: Pacer,
        outcome: Outcome,
    ) -> list[int]:
        for _it in items:
            pacer.wait()
        marked = mark([it.row.id for it in items])
        accepted = []
        for it in items:
            if it.row.id not in marked:
                continue
            try:
                self.connection.send_messages([it.message])
            except Exception as exc:
                _reject_after_mark(it.row, 450, f"backend: {exc}", outcome)
                continue
            accepted.append(it.row.id)
        return accepted

    def close(self) -> None:
        self.connection.close()


# --- The runner -------------------------------------------------------------------------


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
