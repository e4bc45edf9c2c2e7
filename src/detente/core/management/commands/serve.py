"""``detente serve``: run the production server (gunicorn), never Django's runserver.

With ``--worker`` it also runs ``detente db_worker`` beside the server (the background
tasks and the email digests that are due) and stops both together: one command for the
local demo (``make run``). In production, run the worker as its own service instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from detente.core.public_url import PUBLIC_URL_VARIABLE, public_url_problems


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
        parser.add_argument(
            "--worker",
            action="store_true",
            help="also run the background worker (tasks and email digests), stopped with "
            "the server",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        link = public_url(opts["host"], opts["port"], dict(os.environ))
        # In production an unset address is an error, even though one would be made up
        # from the bound address: behind a proxy that is not where people come from.
        found = public_url_problems(
            os.environ.get(PUBLIC_URL_VARIABLE) or (None if settings.PRODUCTION else link),
            production=settings.PRODUCTION,
        )
        for message in found.warnings:
            self.stderr.write(f"Warning: {message}")
        if found.errors:
            raise CommandError(" ".join(found.errors))
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
        os.environ["DETENTE_PUBLIC_URL"] = link  # the workers read it (execv keeps environ)
        self.stdout.write(f"Serving on http://{opts['host']}:{opts['port']}/ (Ctrl-C stops)")
        self.stdout.write(
            f"Links in emails and invitations point to {link} (set DETENTE_PUBLIC_URL to the "
            "address people use, e.g. https://detente.example.org)"
        )
        if not opts["worker"]:
            self.stdout.flush()
            os.execv(gunicorn, argv)  # noqa: S606 - replaces this process with the server
        # The worker makes the public pages, so no visitor waits on a slow one.
        os.environ.setdefault("DETENTE_PUBLIC_PAGES", "background")
        self.stdout.write(
            "The background worker runs beside it (tasks, email digests, public pages)."
        )
        self.stdout.flush()
        worker = [sys.executable, "-m", "detente.cli", "db_worker", "--no-reload"]
        raise SystemExit(supervise([argv, worker]))


def supervise(commands: list[list[str]], poll: float = 0.5) -> int:
    """Run the commands side by side until one of them ends (or this process is told to
    stop); then stop the others and answer the first one's exit code.

    Ctrl-C reaches every process of the terminal's group at once; a SIGTERM sent to this
    one alone is passed on, so no worker is left behind without its server.
    """
    procs = [subprocess.Popen(c) for c in commands]  # noqa: S603 - our own commands
    stopping: list[int] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = None
        while code is None and not stopping:
            for p in procs:
                if p.poll() is not None:
                    code = p.returncode
                    break
            else:
                time.sleep(poll)
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return 0 if code is None else code
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
