"""Digests on schedule, sent by the worker itself (no cron).

``detente db_worker`` (Detente's own, see management/commands/db_worker.py) runs
:func:`tick` in a thread beside its task loop every ``SCHEDULE_SECONDS``: the lists that
are due get their digest, and a delivery task is queued for the outbox. The tick is not a
task and queues no tick: a task that queued itself would recurse for ever with the
immediate backend (``DETENTE_TASKS=immediate``), and a chain of self-queued tasks stops
for good the first time one of them fails.

Several workers may tick at once: each list's digest is built under its row lock and
only if it is still due (``digests.build(only_if_due=True)``), so it is built once, and
one runner at a time delivers the outbox (the lease in delivery.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field

from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from detente.mailing import digests
from detente.mailing.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)


@dataclass
class Ticked:
    built: list[digests.Built] = field(default_factory=list)
    delivery_queued: bool = False

    @property
    def messages(self) -> int:
        return sum(b.recipients for b in self.built)


def _delivery_waiting(now: dt.datetime) -> bool:
    return (
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .exists()
    )


def _delivery_queued() -> bool:
    """Whether a delivery task waits in the database queue, ready to run now.

    Not the successor each run schedules for later (tasks.py, ``_watchdog``): counting it
    would hold new digests back until the lease time. Not a running one either: it may
    have looked at the outbox for the last time already (a second run finds the lease
    held, or nothing to do)."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - django-tasks-db is a dependency
        return False
    from detente.mailing.tasks import deliver_outbox

    return DBTaskResult.objects.ready().filter(task_path=deliver_outbox.module_path).exists()


def queue_delivery() -> bool:
    """Queue one delivery run unless one is waiting already (after the current commit)."""
    from django_tasks import default_task_backend

    from detente.mailing.tasks import deliver_outbox

    if default_task_backend.supports_defer and _delivery_queued():
        return False
    transaction.on_commit(deliver_outbox.enqueue)
    return True


def tick(now: dt.datetime | None = None) -> Ticked:
    """Build every digest that is due, then queue the delivery of what waits.

    Messages left waiting by an earlier run (a relay that was down, a worker that died)
    are picked up here too, so nothing depends on a task that may never have been queued.
    """
    now = now or timezone.now()
    result = Ticked(built=digests.build_due(now=now))
    if result.messages or _delivery_waiting(now):
        result.delivery_queued = queue_delivery()
    return result


class Scheduler(threading.Thread):
    """Ticks every ``interval`` seconds until stopped; a failing tick is logged and the
    next one tried (the worker's task loop goes on regardless)."""

    def __init__(self, interval: float) -> None:
        super().__init__(name="detente-digests", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            close_old_connections()
            try:
                done = tick()
            except Exception:
                log.exception("digest schedule: the tick failed; trying again later")
            else:
                for b in done.built:
                    if b.digest is not None:
                        log.info(
                            "digest #%s of %s for %d subscriber(s)",
                            b.digest.pk,
                            b.mailing_list.slug,
                            b.recipients,
                        )
            finally:
                close_old_connections()
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
