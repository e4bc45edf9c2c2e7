"""Set up a scratch Detente and back it up, twice: once at rest, once while another
thread keeps recording claims (each claim a ledger entry).

Run as ``python -m tests.backups.scenario OUT_DIR`` with the scratch data directory's
environment (tests/backups/test_backups.py); prints what it did as JSON.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from django.utils import timezone


def main(out: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detente.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import close_old_connections
    from tests.support import build_world

    from detente.access.policy import cli_actor
    from detente.audit.models import AuditEntry
    from detente.casework import files as casework_files
    from detente.casework import services as casework
    from detente.evidence.services import claim_record

    call_command("migrate", verbosity=0)
    actor = cli_actor()
    world = build_world(actor)
    note = casework.note_add(
        actor=actor, person=world.person(0), body="<p>Visited</p>", visibility="staff"
    )
    evidence = b"Release confirmed by the embassy on the first of February.\n"
    attachment = casework.attachment_add(actor=actor, chunks=[evidence], name="n.txt", note=note)
    call_command("audit", "keygen", stdout=io.StringIO())
    call_command("audit", "checkpoint", stdout=io.StringIO())
    recipient = settings.DETENTE_BACKUP_RECIPIENTS[0]
    scheduled = scheduled_backups(out)
    first = out / "at-rest.age"
    at_rest = AuditEntry.objects.count()  # the backup then records itself in the ledger
    call_command("backup", output=first, recipient=[recipient], stdout=io.StringIO())

    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        statuses = ["unconditional_release", "detained"]
        i = 0
        while not stop.is_set():
            claim_record(
                actor=actor,
                source=world.sources["ngo"],
                person=world.person(i % len(world.people)),
                agreement=world.agreement,
                status=statuses[i % 2],
                event_date=dt.date(2020, 1, 1) + dt.timedelta(days=i),
            )
            i += 1
            written.append(i)
        close_old_connections()

    thread = threading.Thread(target=writer)
    thread.start()
    while len(written) < 5:
        time.sleep(0.01)
    before = AuditEntry.objects.count()
    second = out / "during-writes.age"
    call_command("backup", output=second, recipient=[recipient], stdout=io.StringIO())
    after = AuditEntry.objects.count()
    stop.set()
    thread.join()
    print(
        json.dumps(
            {
                "at_rest": str(first),
                "during_writes": str(second),
                "recipient": recipient,
                "identity": str(out / "identity.txt"),
                "pubkey": str(Path(settings.DETENTE_SIGNING_KEY_FILE).with_suffix(".pub")),
                "ledger_at_rest": at_rest,
                "ledger_before_second": before,
                "ledger_after_second": after,
                "ledger_at_end": AuditEntry.objects.count(),
                "attachment_sha256": attachment.sha256,
                # Its name on disk (a keyed hash of the SHA-256; docs/keys.md).
                "attachment_file": str(
                    casework_files.path_of(attachment.sha256).relative_to(casework_files.root())
                ),
                "evidence": evidence.decode(),
                "secret_key": (Path(settings.DATA_DIR) / "keys" / "secret_key").read_text(),
                "people": len(world.people),
                "scheduled": scheduled,
            }
        )
    )


def scheduled_backups(out: Path) -> dict[str, Any]:
    """The worker's scheduled backup, queued by `migrate`, run by `db_worker --batch`, with
    three older backups (and a file that is not one) in the folder, two to be kept."""
    from django.conf import settings
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    from detente.audit.models import AuditEntry
    from detente.backups import tasks

    folder = Path(settings.DETENTE_BACKUP_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    for stamp in OLD:
        (folder / f"detente-backup-{stamp}.age").write_bytes(b"older")
    (folder / "notes.txt").write_text("not a backup: never deleted")
    waiting = DBTaskResult.objects.filter(task_path=tasks.scheduled_backup.module_path)
    queued_by_migrate = list(waiting.values_list("status", flat=True))
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    first = sorted(p.name for p in folder.iterdir())
    entries = [e.payload for e in AuditEntry.objects.filter(action="backup.create")]
    ready = waiting.filter(status="READY")
    next_at = ready.values_list("run_after", flat=True).first()
    again = tasks.scheduled_backup.call()  # at once: not due, writes nothing
    listing = io.StringIO()
    call_command("backup", list=True, stdout=listing)
    return {
        "queued_by_migrate": queued_by_migrate,
        "files": first,
        "files_after_second_run": sorted(p.name for p in folder.iterdir()),
        "entries": entries,
        "successful": waiting.filter(status="SUCCESSFUL").count(),
        "ready": ready.count(),
        "next_in_hours": (next_at - timezone.now()).total_seconds() / 3600 if next_at else None,
        "second_run": again,
        "listing": listing.getvalue(),
    }


OLD = ["20260101T000000Z", "20260102T000000Z", "20260103T000000Z"]


if __name__ == "__main__":
    main(Path(sys.argv[1]))
