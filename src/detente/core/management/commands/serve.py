"""``detente serve``: run the production server (gunicorn), never Django's runserver."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Detente with gunicorn."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("DETENTE_WORKERS", "3"))
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        # Collected in a child process so the manifest storage (hashed names that browsers
        # may cache for good) is in force from the first collection on.
        subprocess.run(
            [sys.executable, "-m", "detente.cli", "collectstatic", "--noinput", "-v0"],
            env={**os.environ, "DETENTE_STATIC_MANIFEST": "1"},
            check=True,
        )
        gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or "gunicorn"
        argv = [
            gunicorn,
            "detente.wsgi:application",
            "--bind",
            f"{opts['host']}:{opts['port']}",
            "--workers",
            str(opts["workers"]),
            "--access-logfile",
            "-",
            # The path only: a query string can carry a searched name into the log.
            "--access-logformat",
            '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s %({x-request-id}o)s',
        ]
        self.stdout.write(f"Serving on http://{opts['host']}:{opts['port']}/ (Ctrl-C stops)")
        self.stdout.flush()
        os.execv(gunicorn, argv)  # noqa: S606 - replaces this process with the server
