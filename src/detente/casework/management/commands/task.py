"""``detente task add|done|list|remind``: tasks with a due date and an assignee, on a person, an
agreement or a case raised (docs/casework.md).

``add`` and ``done`` act as the operator; ``list`` shows the open tasks ``--as USERNAME``
may see (``--mine``: only that user's own, as on the "My work" page); ``remind`` sends
the reminders that are due now (the background worker does it on its own).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from detente.access.policy import cli_actor
from detente.accounts.cli import add_viewer_argument, viewer_from
from detente.casework import selectors, services
from detente.casework.cli import add_subject_arguments, found, reader, run, subject, task_json

OPTIONS = {
    "subject": "--person/--agreement/--intervention",
    "title": "--title",
    "details": "--details",
    "due_on": "--due",
    "assignee": "--assignee",
    "remind_on": "--remind",
    "task": "ID",
}


class Command(BaseCommand):
    help = "Set, finish and list tasks."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="set a task")
        add_subject_arguments(add)
        add._mutually_exclusive_groups[0].add_argument(
            "--intervention", type=int, metavar="ID", help="a case raised, by number"
        )
        add.add_argument("--title", required=True, help="what to do")
        add.add_argument("--details", default="")
        add.add_argument("--due", dest="due_on", required=True, metavar="YYYY-MM-DD")
        add.add_argument("--assignee", required=True, metavar="USERNAME")
        add.add_argument(
            "--remind",
            dest="remind_on",
            metavar="YYYY-MM-DD",
            help="the day the assignee is reminded by email (default: the due day)",
        )
        done = sub.add_parser("done", help="mark a task done")
        done.add_argument("id", type=int)
        listing = sub.add_parser("list", help="open tasks, the earliest due first")
        listing.add_argument("--mine", action="store_true", help="only the --as user's own")
        listing.add_argument("--all", action="store_true", help="done ones too")
        listing.add_argument("--json", action="store_true")
        add_viewer_argument(listing)
        sub.add_parser(
            "remind", help="email the reminders that are due now (the worker does it too)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        getattr(self, "_" + opts["action"])(opts)

    def _add(self, opts: dict[str, Any]) -> None:
        actor = cli_actor()
        person, agreement = subject(actor, opts)
        intervention = None
        if opts["intervention"] is not None:
            pk = opts["intervention"]
            intervention = found(lambda: selectors.intervention_get(actor, pk), f"no case #{pk}")
        task = run(
            lambda: services.task_add(
                actor=actor,
                person=person,
                agreement=agreement,
                intervention=intervention,
                title=opts["title"],
                details=opts["details"],
                due_on=opts["due_on"],
                assignee=opts["assignee"],
                remind_on=opts["remind_on"],
            ),
            OPTIONS,
        )
        self.stdout.write(
            f"task #{task.pk} set for {task.assignee.get_username()}, due {task.due_on}"
            f", reminder on {task.remind_on}"
        )

    def _remind(self, opts: dict[str, Any]) -> None:
        from detente.casework.reminders import send_due

        sent = send_due()
        self.stdout.write(f"{sent} reminder(s) queued for sending")

    def _done(self, opts: dict[str, Any]) -> None:
        actor = cli_actor()
        task = found(lambda: selectors.task_get(actor, opts["id"]), f"no task #{opts['id']}")
        run(lambda: services.task_done(actor=actor, task=task), OPTIONS)
        self.stdout.write(f"task #{task.pk} done")

    def _list(self, opts: dict[str, Any]) -> None:
        viewer = viewer_from(opts)
        reader(viewer)
        if opts["mine"]:
            rows = selectors.my_work(viewer)
        elif opts["all"]:
            rows = selectors.tasks(viewer).order_by("due_on", "id")
        else:
            rows = selectors.open_tasks(viewer)
        tasks = list(rows)
        if opts["json"]:
            self.stdout.write(
                json.dumps([task_json(t) for t in tasks], indent=2, ensure_ascii=False)
            )
            return
        if not tasks:
            self.stdout.write("No task.")
        today = selectors.today()
        for t in tasks:
            state = "done" if t.done_at else "OVERDUE" if t.due_on < today else "open"
            self.stdout.write(
                f"#{t.pk:<6} {t.due_on}  {state:<7} {t.assignee.get_username():<14} "
                f"{t.subject_label:<12} {t.title}"
            )
