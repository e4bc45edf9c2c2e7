"""``detente keys``: make the master key, say what the keys are, rotate them (docs/keys.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from detente.keys import master, ring, services
from detente.keys.master import KeyProblem


class Command(BaseCommand):
    help = "Make the master key, show which data keys it opens, rotate the keys."
    # `keys init` and `keys status` must run when the key is missing or wrong, which is
    # what the system check refuses.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        init = sub.add_parser(
            "init", help="write a new master key file (mode 0600; never over an existing one)"
        )
        init.add_argument(
            "--file",
            type=Path,
            metavar="FILE",
            help="where (default: DETENTE_MASTER_KEY_FILE); never inside the data directory",
        )
        sub.add_parser(
            "status", help="which record classes have data keys, and whether the key opens them"
        )
        rotate = sub.add_parser(
            "rotate", help="a new master key; every data key re-wrapped in one transaction"
        )
        rotate.add_argument(
            "--data",
            action="store_true",
            help="also a new data key per record class, every note and file sealed again "
            "with it in batches while the site runs",
        )
        rotate.add_argument(
            "--keep-master",
            action="store_true",
            help="with --data: keep the master key (as when it comes from DETENTE_MASTER_KEY)",
        )
        rotate.add_argument(
            "--batch-size",
            type=int,
            default=500,
            metavar="N",
            help="rows sealed again per transaction (default 500)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            getattr(self, f"_{opts['action']}")(opts)
        except KeyProblem as exc:
            raise CommandError(str(exc)) from None

    def _init(self, opts: dict[str, Any]) -> None:
        path = (opts["file"] or master.key_file()).expanduser()
        key = master.create_file(path)
        self.stdout.write(
            _(
                "Master key written to %(path)s (mode 0600), fingerprint %(fp)s.\n"
                "Keep a copy apart from the server and from the backups: a lost key is "
                "lost data."
            )
            % {"path": path, "fp": key.fingerprint}
        )
        if opts["file"] and path != master.key_file():
            self.stdout.write(_("Set DETENTE_MASTER_KEY_FILE=%(path)s to use it.") % {"path": path})

    def _status(self, opts: dict[str, Any]) -> None:
        key, problem, rows = services.status()
        if key is not None:
            self.stdout.write(
                _("Master key: %(where)s, fingerprint %(fp)s")
                % {"where": key.where, "fp": key.fingerprint}
            )
        else:
            self.stdout.write(_("Master key: none usable (%(problem)s)") % {"problem": problem})
        if not rows:
            self.stdout.write(_("No data keys yet (each is made when its first record is sealed)."))
        for row in rows:
            self.stdout.write(
                f"  {row.record_class:<22} v{row.version:<3} {row.key_id}  "
                + (
                    _("opens")
                    if row.opens
                    else _("DOES NOT OPEN (wrapped by master key %(fp)s)")
                    % {"fp": row.master_fingerprint}
                )
            )
        if any(not row.opens for row in rows) or key is None:
            raise CommandError(_("the master key in force does not open every data key"))

    def _rotate(self, opts: dict[str, Any]) -> None:
        from detente.access.policy import cli_actor

        if opts["batch_size"] < 1:
            raise CommandError(_("--batch-size: give a whole number of 1 or more"))

        def progress(name: str, count: int) -> None:
            self.stdout.write(
                _("%(cls)s: %(n)d sealed again with the new data key") % {"cls": name, "n": count}
            )

        if opts["data"]:
            self.stdout.write(
                _(
                    "New data keys: sealing again starts in %(n)d seconds, once running "
                    "processes use them."
                )
                % {"n": ring.CURRENT_TTL}
            )
        done = services.rotate(
            actor=cli_actor(),
            data=opts["data"],
            keep_master=opts["keep_master"],
            batch_size=opts["batch_size"],
            progress=progress,
        )
        if done.old_fingerprint != done.new_fingerprint:
            self.stdout.write(
                _(
                    "Master key %(old)s replaced by %(new)s at %(path)s; %(n)d data keys "
                    "re-wrapped. The old key is kept at %(previous)s until you remove it "
                    "(backups made before today need it)."
                )
                % {
                    "old": done.old_fingerprint,
                    "new": done.new_fingerprint,
                    "path": done.key_file,
                    "n": done.rewrapped,
                    "previous": done.previous_file,
                }
            )
        for name, version in done.new_versions.items():
            self.stdout.write(_("%(cls)s: data key v%(v)d") % {"cls": name, "v": version})
