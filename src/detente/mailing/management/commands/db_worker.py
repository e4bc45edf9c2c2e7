"""``detente db_worker``: django-tasks' database worker, which also sends the digests that
are due (no cron) and makes the public pages again when the data changes.

The same command and options as django-tasks-db's own, plus a thread that looks for due
digests every ``DETENTE_MAIL_SCHEDULE`` seconds (``detente.mailing.schedule``) and one that
makes the public pages' shared copies every ``DETENTE_PUBLIC_REFRESH`` seconds
(``detente.web.pages``), and one that emails the casework reminders that are due every
``DETENTE_REMINDER_SECONDS`` (``detente.casework.reminders``). With ``--batch`` it looks
for digests and reminders once, runs what is queued, and exits.

At start it checks ``DETENTE_PUBLIC_URL`` (the address links in the emails point to) and
refuses to start when it is malformed, or missing in production.
"""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django_tasks_db.management.commands import db_worker as base

from detente.casework import reminders
from detente.core import public_url
from detente.core.periodic import Every
from detente.mailing import conf, schedule
from detente.web import pages


class DigestWorker(base.Worker):
    """The database worker, with the digest schedule and the public pages' refresh beside
    its task loop."""

    def __init__(
        self,
        *,
        digest_interval: float,
        pages_interval: float,
        reminder_interval: float = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.digest_interval = digest_interval
        self.pages_interval = pages_interval
        self.reminder_interval = reminder_interval

    def run(self) -> None:
        if self.batch:
            if self.digest_interval:
                schedule.tick()  # once, before running what is queued
            if self.reminder_interval:
                reminders.send_due()
            super().run()
            return
        threads: list[schedule.Scheduler | pages.Refresher | Every] = []
        if self.digest_interval:
            threads.append(schedule.Scheduler(self.digest_interval))
        if self.pages_interval:
            threads.append(pages.Refresher(self.pages_interval))
        if self.reminder_interval:
            threads.append(Every("detente-reminders", self.reminder_interval, reminders.send_due))
        for thread in threads:
            thread.start()
        try:
            super().run()
        finally:
            for thread in threads:
                thread.stop()


def check_public_url(stderr: Any) -> None:
    """Refuse to start with an address links cannot use; warn of a doubtful one."""
    found = public_url.public_url_problems(
        os.environ.get(public_url.PUBLIC_URL_VARIABLE),
        production=bool(getattr(settings, "PRODUCTION", False)),
    )
    for message in found.warnings:
        stderr.write(f"Warning: {message}")
    if found.errors:
        raise CommandError(" ".join(found.errors))


class Command(base.Command):
    help = (
        "Run the background worker: queued tasks (emails, imports…) and the email digests "
        "that are due."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--digest-interval",
            type=base.valid_interval,
            default=float(conf.number("SCHEDULE_SECONDS")),
            help="Seconds between two looks for digests that are due; 0 turns the schedule "
            "off for this worker (default: DETENTE_MAIL_SCHEDULE, %(default)s)",
        )
        parser.add_argument(
            "--pages-interval",
            type=base.valid_interval,
            default=float(str(settings.PUBLIC_PAGES["REFRESH_SECONDS"])),
            help="Seconds between two looks for public pages to make again after a change; "
            "0 turns it off for this worker (default: DETENTE_PUBLIC_REFRESH, %(default)s)",
        )

        parser.add_argument(
            "--reminder-interval",
            type=base.valid_interval,
            default=float(settings.CASEWORK_REMINDER_SECONDS),
            help="Seconds between two looks for task reminders to email; 0 turns them off "
            "for this worker (default: DETENTE_REMINDER_SECONDS, %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        check_public_url(self.stderr)
        self.configure_logging(options["verbosity"])
        reload = options["reload"]
        if reload and options["batch"]:
            reload = False
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = DigestWorker(
            digest_interval=options["digest_interval"],
            pages_interval=options["pages_interval"],
            reminder_interval=options["reminder_interval"],
            queue_names=queue_names,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
        )
        if reload:
            if os.environ.get(base.DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            base.run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
