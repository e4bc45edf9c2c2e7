"""Background tasks (django-tasks; `detente db_worker` runs them from the database).

Arguments are ids only: the task table keeps its arguments after the task has run, and
an address must never be copied out of ``Subscriber.email``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.utils import timezone
from django_tasks import task

from detente.mailing import conf
from detente.mailing.models import (
    MailingList,
    OutboxMessage,
    OutboxStatus,
    Subscriber,
    SubscriberStatus,
)

log = logging.getLogger(__name__)


@task()
def send_notice(subscriber_id: int, kind: str, list_ids: list[int]) -> bool:
    """The confirmation request, or the note to an address that is already subscribed."""
    from detente.mailing.compose import notice_message, render_notice

    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None or subscriber.email is None:
        return False
    if subscriber.status != SubscriberStatus.ACTIVE:
        return False
    lists = list(
        MailingList.objects.filter(pk__in=list_ids)
        .select_related("agreement", "party")
        .order_by("slug")
    )
    if kind == "confirm" and not lists:
        return False
    notice_message(subscriber, render_notice(subscriber, kind, lists)).send()
    return True


def _watchdog() -> None:
    """Keep one delivery run scheduled while messages wait, in case this one dies.

    A worker killed mid-task leaves its task marked running for ever; the scheduled
    successor starts after the lease time and takes the outbox over (see delivery.py).
    """
    from django_tasks import default_task_backend

    if not default_task_backend.supports_defer:
        return
    waiting = OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists()
    if not waiting:
        return
    try:
        from django_tasks_db.models import DBTaskResult

        already = DBTaskResult.objects.filter(
            task_path=deliver_outbox.module_path, status="READY"
        ).exists()
    except ImportError:  # pragma: no cover - another deferring backend
        already = False
    if not already:
        later = timezone.now() + dt.timedelta(seconds=conf.number("LEASE_SECONDS"))
        deliver_outbox.using(run_after=later).enqueue()


@task()
def deliver_outbox() -> dict[str, Any]:
    from detente.mailing.delivery import deliver

    _watchdog()
    return deliver().as_dict()


@task()
def mailchimp_push(subscriber_id: int) -> str:
    from detente.mailing import sync

    return sync.push_subscriber(subscriber_id)


@task()
def mailchimp_deletions() -> int:
    from detente.mailing import sync

    return sync.push_deletions()
