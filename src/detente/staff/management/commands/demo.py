"""``detente demo [--reset]``: load the synthetic demo scenario and print the demo logins."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from detente.demo.scenario import load_demo, logins_path


class Command(BaseCommand):
    help = "Load the synthetic demo data (idempotent) and print the demo logins."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="erase ALL data first, then load the demo"
        )
        parser.add_argument("--seed", type=int, default=2014)

    def _reset(self) -> None:
        """Start from an empty embedded database.

        The ledger refuses deletion, so a reset removes the SQLite file rather than its
        rows. A PostgreSQL database is never wiped from here: drop it deliberately.
        """
        db = connections["default"]
        if db.vendor != "sqlite":
            raise CommandError(
                "--reset only resets the embedded SQLite demo database; drop and recreate "
                "the PostgreSQL database yourself if that is really what you want"
            )
        db.close()
        name = Path(str(db.settings_dict["NAME"]))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
        logins_path().unlink(missing_ok=True)
        call_command("migrate", interactive=False, verbosity=0)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["reset"]:
            self._reset()
        started = time.perf_counter()
        result = load_demo(seed=opts["seed"])
        if result.created:
            self.stdout.write(
                f"Demo loaded in {time.perf_counter() - started:.1f} s: "
                f"{result.people} people, {result.claims} claims."
            )
        else:
            self.stdout.write("Demo already loaded (use --reset to start again).")
        if result.logins:
            self.stdout.write(f"\nDemo logins (local demo only; kept in {logins_path()}):")
            for user, password, role in result.logins:
                self.stdout.write(f"  {user:<11} {password:<18} {role}")
            self.stdout.write(
                "Every account also needs a one-time code (second factor). For the demo "
                "accounts, print the current one with:\n"
                "  .venv/bin/detente user totp-code USERNAME"
            )
        self.stdout.write(f"\nData directory: {settings.DATA_DIR}")
