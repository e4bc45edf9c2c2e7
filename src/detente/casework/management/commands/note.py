"""``detente note add|edit|list|history``: confidential notes on a person or an agreement,
each edit kept as a new version (docs/casework.md).

``add`` and ``edit`` act as the operator; ``list`` and ``history`` show what
``--as USERNAME`` may read (a note for verifiers only is missing to others), and the
reading is recorded in the ledger.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from detente.access.policy import cli_actor
from detente.accounts.cli import add_viewer_argument, viewer_from
from detente.casework import selectors, services
from detente.casework.cli import (
    add_subject_arguments,
    found,
    note_json,
    reader,
    run,
    subject,
    version_json,
)
from detente.casework.models import NoteVisibility

OPTIONS = {"subject": "--person/--agreement", "body": "--text", "visibility": "--visibility"}


class Command(BaseCommand):
    help = "Write and read confidential notes (every version kept)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="write a note on a person or agreement")
        add_subject_arguments(add)
        add.add_argument("--text", required=True, help="the note (limited HTML formatting)")
        add.add_argument(
            "--visibility", choices=NoteVisibility.values, default=NoteVisibility.STAFF
        )
        edit = sub.add_parser("edit", help="a new version of a note")
        edit.add_argument("id", type=int)
        edit.add_argument("--text", required=True)
        edit.add_argument("--visibility", choices=NoteVisibility.values)
        for name, text in (
            ("list", "the notes of a person or agreement, newest first"),
            ("history", "every version of a note, or of the notes of a person or agreement"),
        ):
            reading = sub.add_parser(name, help=text)
            add_subject_arguments(reading, required=name == "list")
            if name == "history":
                reading._mutually_exclusive_groups[0].add_argument(
                    "--note", type=int, metavar="ID", help="one note"
                )
            reading.add_argument("--json", action="store_true")
            add_viewer_argument(reading)

    def handle(self, *args: Any, **opts: Any) -> None:
        getattr(self, "_" + opts["action"])(opts)

    def _add(self, opts: dict[str, Any]) -> None:
        actor = cli_actor()
        person, agreement = subject(actor, opts)
        note = run(
            lambda: services.note_add(
                actor=actor,
                person=person,
                agreement=agreement,
                body=opts["text"],
                visibility=opts["visibility"],
            ),
            OPTIONS,
        )
        self.stdout.write(f"note #{note.pk} written ({note.subject_label})")

    def _edit(self, opts: dict[str, Any]) -> None:
        actor = cli_actor()
        note = found(lambda: selectors.note_get(actor, opts["id"]), f"no note #{opts['id']}")
        note = run(
            lambda: services.note_edit(
                actor=actor, note=note, body=opts["text"], visibility=opts["visibility"]
            ),
            OPTIONS,
        )
        self.stdout.write(f"note #{note.pk} is now at version {note.version}")

    def _list(self, opts: dict[str, Any]) -> None:
        viewer = viewer_from(opts)
        reader(viewer)
        person, agreement = subject(viewer, opts)
        rows = list(selectors.notes(viewer, person=person, agreement=agreement))
        selectors.record_reading(viewer, "note.list", rows)
        if opts["json"]:
            self.stdout.write(
                json.dumps([note_json(n) for n in rows], indent=2, ensure_ascii=False)
            )
            return
        if not rows:
            self.stdout.write("No note.")
        for n in rows:
            self.stdout.write(
                f"#{n.pk:<6} v{n.version:<3} {n.updated_at:%Y-%m-%d %H:%M}  {n.visibility:<9} "
                f"{n.body}"
            )

    def _history(self, opts: dict[str, Any]) -> None:
        viewer = viewer_from(opts)
        reader(viewer)
        if opts["note"] is not None:
            chosen = [
                found(lambda: selectors.note_get(viewer, opts["note"]), f"no note #{opts['note']}")
            ]
        else:
            person, agreement = subject(viewer, opts)
            if person is None and agreement is None:
                raise CommandError("give --note, --person or --agreement")
            chosen = list(selectors.notes(viewer, person=person, agreement=agreement))
        versions = [v for n in chosen for v in selectors.note_history(viewer, n)]
        if opts["json"]:
            data = [version_json(v) for v in versions]
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        if not versions:
            self.stdout.write("No note.")
        for v in versions:
            self.stdout.write(
                f"note #{v.note_id} v{v.number}  {v.created_at:%Y-%m-%d %H:%M}  "
                f"{v.author.get_username()}  {v.visibility}\n    {v.body}"
            )
