"""The scheduled backup, run by the background worker (``detente db_worker``).

Each run first queues the next one, ``DETENTE_BACKUP_INTERVAL_HOURS`` later, and only then
backs up: a run that fails, or a worker killed during one, leaves the next one queued, so
the schedule never stops by itself. Whether a backup is written is decided from the files
in ``DETENTE_BACKUP_DIR`` (the newest one older than the interval), not from the queue, so
two runs close together write one backup. The first run is queued by ``detente migrate``
(when backups are configured) or ``detente backup --schedule``. With the immediate task
backend (``DETENTE_TASKS=immediate``) nothing is scheduled: a task that queued itself
would run itself for ever.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks import default_task_backend, task

log = logging.getLogger(__name__)


def _waiting() -> Any:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=scheduled_backup.module_path, status="READY")


def next_run() -> dt.datetime | None:
    """When the queued scheduled backup runs (None: none is queued)."""
    from django_tasks_db.models import get_date_max

    times = list(_waiting().values_list("run_after", flat=True))
    if not times:
        return None
    now = timezone.now()
    return min(now if when == get_date_max() else max(when, now) for when in times)


def queued() -> bool:
    return bool(_waiting().exists())


def schedule(after: dt.timedelta | None = None) -> bool:
    """Queue a scheduled backup ``after`` from now (now by default) unless one is queued.
    Answers whether one was queued; never with a backend that cannot defer."""
    if not default_task_backend.supports_defer or queued():
        return False
    when = timezone.now() + (after or dt.timedelta(0))
    scheduled_backup.using(run_after=when).enqueue()
    return True


@task()
def scheduled_backup() -> dict[str, Any]:
    from detente.backups import services

    if not services.scheduling_configured():
        return {"done": False, "reason": "not configured"}
    schedule(dt.timedelta(hours=settings.DETENTE_BACKUP_INTERVAL_HOURS))
    return services.scheduled_run()


def start_schedule_after_migrate(**kwargs: Any) -> None:
    """After ``detente migrate``: queue the first scheduled backup if backups are set up
    and none is queued (a deployment that turns them on needs nothing else)."""
    from detente.backups import services

    if kwargs.get("using", "default") != "default" or not services.scheduling_configured():
        return
    try:
        if schedule():
            log.info("scheduled backup queued")
    except Exception:  # a migration must never fail for this
        log.exception("could not queue the scheduled backup")
