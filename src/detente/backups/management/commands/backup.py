"""``detente backup``: one encrypted file holding the database and the data directory."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from detente.backups import keys, services, tasks
from detente.backups.errors import BackupError


class Command(BaseCommand):
    help = (
        "Write an encrypted backup (database snapshot, data directory files, ledger head "
        "and signed checkpoint) to one file; list the kept backups; make a key pair."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            metavar="FILE",
            help="the file (or folder) to write (default: DETENTE_BACKUP_DIR, else the "
            "current folder, as detente-backup-<UTC time>.age)",
        )
        parser.add_argument(
            "--recipient",
            action="append",
            default=[],
            metavar="AGE_PUBLIC_KEY",
            help="encrypt to this age recipient (age1…); repeatable; default: "
            "DETENTE_BACKUP_RECIPIENTS and DETENTE_BACKUP_RECIPIENTS_FILE",
        )
        parser.add_argument(
            "--recipients-file",
            action="append",
            default=[],
            type=Path,
            metavar="FILE",
            help="a file of age recipients, one a line (# comments); repeatable",
        )
        other = parser.add_mutually_exclusive_group()
        other.add_argument(
            "--keygen",
            type=Path,
            metavar="FILE",
            help="write a new age identity to FILE (mode 0600) and print its recipient; "
            "keep FILE off this server",
        )
        other.add_argument(
            "--list",
            action="store_true",
            help="list the backups kept in DETENTE_BACKUP_DIR and the next scheduled one",
        )
        other.add_argument(
            "--schedule",
            action="store_true",
            help="queue the worker's scheduled backup now (it then runs every "
            "DETENTE_BACKUP_INTERVAL_HOURS)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["keygen"]:
                self.keygen(opts["keygen"])
            elif opts["list"]:
                self.list()
            elif opts["schedule"]:
                self.schedule()
            else:
                self.backup(opts)
        except BackupError as exc:
            raise CommandError(str(exc)) from None

    def keygen(self, path: Path) -> None:
        public = keys.keygen(path)
        self.stdout.write(
            _("Identity written to %(path)s (keep it off this server).") % {"path": path}
        )
        self.stdout.write(_("Recipient (public key), for DETENTE_BACKUP_RECIPIENTS:"))
        self.stdout.write(public)
        self.stdout.write(
            _("Without this identity no backup encrypted to it can ever be read: keep two copies.")
        )

    def schedule(self) -> None:
        if not services.scheduling_configured():
            raise CommandError(
                _(
                    "scheduled backups need DETENTE_BACKUP_DIR and DETENTE_BACKUP_RECIPIENTS "
                    "(or DETENTE_BACKUP_RECIPIENTS_FILE)"
                )
            )
        keys.recipients()  # a bad recipient is said now, not at the first run
        from django_tasks import default_task_backend

        if not default_task_backend.supports_defer:
            raise CommandError(
                _(
                    "the task backend runs tasks at once (DETENTE_TASKS=immediate): nothing "
                    "to schedule"
                )
            )
        if tasks.schedule():
            self.stdout.write(_("Scheduled backup queued: the worker (detente db_worker) runs it."))
        else:
            self.stdout.write(_("A scheduled backup is already queued."))

    def list(self) -> None:
        folder = services.backup_dir()
        if folder is None:
            raise CommandError(
                _("DETENTE_BACKUP_DIR is not set: there is no backup folder to list")
            )
        kept = services.listed(folder)
        self.stdout.write(
            _("%(n)d backup(s) in %(dir)s (the newest %(keep)d are kept):")
            % {"n": len(kept), "dir": folder, "keep": settings.DETENTE_BACKUP_KEEP}
        )
        for item in kept:
            self.stdout.write(
                f"  {item.path.name}  {item.taken:%Y-%m-%d %H:%M} UTC  {item.size:>14,d} B"
            )
        when = tasks.next_run()
        if when is not None:
            self.stdout.write(
                _("Next scheduled backup: %(when)s UTC") % {"when": f"{when:%Y-%m-%d %H:%M}"}
            )
        elif services.scheduling_configured():
            self.stdout.write(_("No scheduled backup is queued: run `detente backup --schedule`."))

    def backup(self, opts: dict[str, Any]) -> None:
        from detente.access.policy import cli_actor

        recipients = keys.recipients(opts["recipient"], opts["recipients_file"])
        written = services.backup(opts["output"], recipients)
        services.record(cli_actor(), written, scheduled=False, pruned=[])
        state = written.ledger
        self.stdout.write(
            _("Backup written: %(path)s (%(size)s bytes, SHA-256 %(sha)s)")
            % {"path": written.path, "size": f"{written.size:,d}", "sha": written.sha256}
        )
        self.stdout.write(
            _("Database: %(engine)s snapshot; %(n)d file(s) from the data directory.")
            % {"engine": written.header["engine"], "n": written.files}
        )
        if state["verified"]:
            self.stdout.write(
                _("Ledger in the snapshot: %(n)d entries, verified; root %(root)s")
                % {"n": state["size"], "root": state["root_hash"] or "-"}
            )
        else:
            self.stderr.write(
                self.style.WARNING(
                    _(
                        "Warning: the ledger in the snapshot does NOT verify (entry %(n)s: "
                        "%(reason)s)"
                    )
                    % {"n": state["first_bad_entry"], "reason": state["reason"]}
                )
            )
        if written.checkpoint_signed:
            self.stdout.write(
                _("Signed checkpoint included: %(note)s.")
                % {"note": written.header["checkpoint_note"]}
            )
        else:
            self.stderr.write(
                self.style.WARNING(
                    _("Warning: no signed checkpoint in the backup: %(note)s.")
                    % {"note": written.header["checkpoint_note"]}
                )
            )
        for skipped in written.skipped:
            self.stderr.write(
                self.style.WARNING(
                    _("Warning: not a regular file, left out: %(path)s") % {"path": skipped}
                )
            )
        self.stdout.write(
            _("Encrypted to: %(recipients)s") % {"recipients": ", ".join(t for t, _r in recipients)}
        )
        self.stdout.write(
            _(
                "Not in the backup: the checkpoint signing key and the age identity. Without "
                "the identity this file cannot be read."
            )
        )
