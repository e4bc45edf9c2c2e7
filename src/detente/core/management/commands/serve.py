"""``detente serve``: run the production server (gunicorn), never Django's runserver."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand


def public_url(host: str, port: int, environ: dict[str, str]) -> str:
    """The address links in emails and invitation links point to: ``DETENTE_PUBLIC_URL``
    when set, else the address being served (not a fixed port 8000 whatever the port)."""
    given = environ.get("DETENTE_PUBLIC_URL", "").strip().rstrip("/")
    if given:
        return given
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a name, not a bind
    return f"http://{shown}:{port}"


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
        link = public_url(opts["host"], opts["port"], dict(os.environ))
        os.environ["DETENTE_PUBLIC_URL"] = link  # the workers read it (execv keeps environ)
        self.stdout.write(f"Serving on http://{opts['host']}:{opts['port']}/ (Ctrl-C stops)")
        self.stdout.write(
            f"Links in emails and invitations point to {link} (set DETENTE_PUBLIC_URL to the "
            "address people use, e.g. https://detente.example.org)"
        )
        self.stdout.flush()
        os.execv(gunicorn, argv)  # noqa: S606 - replaces this process with the server
