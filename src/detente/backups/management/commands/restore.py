"""``detente restore``: put a backup back, verified, into a new data directory."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from detente.backups import services
from detente.backups.errors import BackupError


class Command(BaseCommand):
    help = (
        "Restore a backup into an empty data directory (and, for PostgreSQL, an empty "
        "database), verifying the archive and the ledger before anything is kept."
    )
    # Nothing is read from the database before the restore decides to.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE", help="the backup (.age) to restore")
        parser.add_argument(
            "--identity",
            type=Path,
            required=True,
            metavar="AGE_IDENTITY_FILE",
            help="the age identity file that decrypts it (detente backup --keygen, age-keygen)",
        )
        parser.add_argument(
            "--data-dir",
            type=Path,
            metavar="DIR",
            help="the data directory to restore into (default: DETENTE_DATA_DIR)",
        )
        parser.add_argument(
            "--database-url",
            metavar="URL",
            help="for a PostgreSQL backup, the database to restore into (default: DATABASE_URL)",
        )
        parser.add_argument(
            "--pubkey",
            type=Path,
            metavar="FILE",
            help="the ledger's public key, to check the backup's signed checkpoint (default: "
            "DETENTE_SIGNING_KEY_FILE's .pub)",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="restore over a data directory that holds data (it is moved aside to "
            "DIR.before-restore-<time>) and, on PostgreSQL, over a database that holds "
            "tables (they are dropped and replaced by the backup's)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            done = services.restore(
                opts["file"],
                opts["identity"],
                data_dir=opts["data_dir"],
                database_url=opts["database_url"],
                force=opts["force"],
                pubkey=opts["pubkey"],
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        header = done.header
        self.stdout.write(
            _("Restored %(file)s (taken %(when)s, Detente %(version)s, %(engine)s) into %(dir)s.")
            % {
                "file": opts["file"],
                "when": header["created_at"],
                "version": header["detente_version"],
                "engine": header["engine"],
                "dir": done.data_dir,
            }
        )
        self.stdout.write(_("Database: %(db)s") % {"db": done.database})
        self.stdout.write(
            _(
                "Ledger: %(n)d entries, verified, ending at the head the backup records "
                "(%(head)s…); root %(root)s"
            )
            % {"n": done.ledger_size, "head": done.head_hash[:16], "root": done.root_hash or "-"}
        )
        if done.checkpoint == "verified":
            self.stdout.write(
                _("Signed checkpoint: %(detail)s; the ledger passes through it.")
                % {"detail": done.checkpoint_detail}
            )
        else:
            self.stderr.write(
                self.style.WARNING(
                    _("Warning: signed checkpoint NOT verified: %(detail)s")
                    % {"detail": done.checkpoint_detail}
                )
            )
        if done.checkpoints_checked:
            self.stdout.write(
                _("Checkpoints kept in the backup checked: %(n)d.")
                % {"n": done.checkpoints_checked}
            )
        labels = {
            "people": _("people"),
            "agreements": _("agreements"),
            "claims": _("claims"),
            "attachments": _("attachments"),
            "accounts": _("accounts"),
        }
        held = ", ".join(f"{n} {labels[key]}" for key, n in done.counts.items())
        self.stdout.write(
            _("Restored: %(held)s; %(files)d files.") % {"held": held, "files": done.files}
        )
        if done.missing_attachments:
            self.stderr.write(
                self.style.WARNING(
                    _(
                        "Warning: %(n)d attachment file(s) named in the database are not in "
                        "the backup."
                    )
                    % {"n": done.missing_attachments}
                )
            )
        if done.moved_aside is not None:
            self.stdout.write(
                _("What the data directory held before is in %(path)s.")
                % {"path": done.moved_aside}
            )
        self.stdout.write(
            _(
                "Before serving: put the ledger's signing key back (it is never in a backup), "
                "check DETENTE_DATA_DIR and DATABASE_URL point here, and run `detente migrate`."
            )
        )
