"""Handing a group of outbox messages to the relay (or to another Django email backend) in
the order that keeps delivery at most once (see :mod:`detente.mailing.delivery`): the send
rate, the connections, and what becomes of a message the relay refuses (tried again later,
or given up)."""

from __future__ import annotations

import datetime as dt
import smtplib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.utils import timezone

from detente.mailing.compose import Envelope, dot_stuffed, sender
from detente.mailing.models import OutboxMessage, OutboxStatus

MAX_ATTEMPTS = 5


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
    """Several relay connections, driven step by step together (see
    :mod:`detente.mailing.delivery`)."""

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
