"""Reminders by email: on a task's reminder day its assignee gets one short message.

``send_due`` (run by the background worker every ``DETENTE_REMINDER_SECONDS``, or at once
by ``detente task remind``) marks each task whose
reminder day has come as reminded, writes ``task.remind`` to the ledger and queues the
email, in one transaction per task: a task is reminded once, however many workers run.

The email says that a task is due, on which day, about which handle or agreement, and
where to read it. It never carries the task's text, the person's name or a note: mail
leaves the server and is kept by others, so it holds nothing the ledger would hash.
An assignee without an address, or whose account is disabled, gets no email (the task
is still on "My work" and, once overdue, on the dashboard).
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_tasks import task

from detente.audit import ledger
from detente.casework.models import Task
from detente.mailing import conf

log = logging.getLogger(__name__)

# Tasks reminded in one run at most; the next run takes the rest.
BATCH = 500


def waiting(today: dt.date) -> QuerySet[Task]:
    """Open tasks whose reminder day has come and whose assignee can be written to."""
    return (
        Task.objects.filter(done_at__isnull=True, reminded_at__isnull=True, remind_on__lte=today)
        .filter(assignee__is_active=True)
        .exclude(assignee__email="")
        .order_by("remind_on", "id")
    )


def send_due(now: dt.datetime | None = None) -> int:
    """Remind every task that is due a reminder; how many were reminded."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    done = 0
    for pk in list(waiting(today).values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            ledger.serialize()
            # The mark and the check are one UPDATE: two workers never both remind.
            if not Task.objects.filter(
                pk=pk, reminded_at__isnull=True, done_at__isnull=True
            ).update(reminded_at=now):
                continue
            row = Task.objects.select_related("assignee").get(pk=pk)
            ledger.append(
                None,
                "task.remind",
                row,
                {"to": row.assignee.get_username(), "due_on": row.due_on.isoformat()},
            )
            transaction.on_commit(partial(send_reminder.enqueue, pk))
        done += 1
    if done:
        log.info("task reminders: %d queued", done)
    return done


def message(row: Task) -> EmailMessage:
    """The reminder for one task, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        due = date_format(row.due_on, "DATE_FORMAT")
        if row.person_id:
            about = _("person %(handle)s") % {"handle": row.subject_label}
        elif row.agreement_id:
            about = _("agreement %(slug)s") % {"slug": row.subject_label}
        else:
            about = _("case raised %(number)s") % {"number": row.subject_label}
        link = conf.text("PUBLIC_URL") + reverse("casework:work")
        subject = _("Detente: a task is due on %(due)s") % {"due": due}
        body = "\n\n".join(
            [
                _("A task assigned to you in Detente is due on %(due)s, about %(about)s.")
                % {"due": due, "about": about},
                _("Read it and mark it done on your work page: %(link)s") % {"link": link},
                _(
                    "This email holds nothing about the people concerned: what the task "
                    "says is on that page only."
                ),
            ]
        )
    return EmailMessage(
        subject=subject,
        body=body + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.assignee.email],
        headers={"Auto-Submitted": "auto-generated"},
    )


@task()
def send_reminder(task_id: int) -> bool:
    """Send one reminder (ids only in the task table: never an address)."""
    row = Task.objects.select_related("assignee").filter(pk=task_id).first()
    if row is None or row.done_at is not None or not row.assignee.email:
        return False
    message(row).send()
    return True
