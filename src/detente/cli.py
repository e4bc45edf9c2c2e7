"""The ``detente`` command.

It is Django's management utility with Detente's settings preselected, so every domain
command (``detente demo``, ``detente agreement status``...) and every Django command
(``detente migrate``) is reachable from one entry point.

It also decides where the data directory is (the settings ask :func:`data_dir`), the same
from whichever folder it is run: ``DETENTE_DATA_DIR`` when set; else, run from a source
checkout (``pip install -e``, as ``make`` does), the checkout's own ``var/``; else a
``./var`` that already holds Detente's data. Failing all three it says, in one line, what
to set, and creates nothing: a stray ``./var`` in whatever folder one happened to be in
would be an empty registry that looks like a real one.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

DATA_DIR_VARIABLE = "DETENTE_DATA_DIR"


def gettext_noop(message: str) -> str:
    """Marks a message for translation (makemessages finds it by this name) without
    Django's, which needs the settings: this one is printed before there are any."""
    return message


NO_DATA_DIR = gettext_noop(
    "detente: no data directory here (no DETENTE_DATA_DIR, no source checkout, no ./var "
    "with Detente's data): set DETENTE_DATA_DIR to the folder that holds the data, or "
    "will, e.g. DETENTE_DATA_DIR=/srv/detente detente migrate (docs/operations.md)"
)

NOT_MIGRATED = gettext_noop(
    "detente: the database in %(dir)s is not set up (migrations to apply: %(n)d; %(error)s): "
    "run `detente migrate` first (in a source checkout, `make run` does it and loads the demo)"
)


def source_checkout() -> Path | None:
    """The source checkout this package runs from (an editable install), or None.

    The package lives in ``src/detente`` of a checkout, beside its Makefile; an ordinary
    install (``site-packages/detente``) has no checkout, and so no ``var/`` of its own.
    """
    root = Path(__file__).resolve().parents[2]
    markers = (root / "Makefile", root / "pyproject.toml", root / "src" / "detente" / "cli.py")
    return root if all(path.is_file() for path in markers) else None


def holds_data(folder: Path) -> bool:
    """Whether a folder is a Detente data directory already (it has a database or keys)."""
    return (folder / "detente.sqlite3").is_file() or (folder / "keys" / "secret_key").is_file()


def find_data_dir(environ: Mapping[str, str], cwd: Path, checkout: Path | None) -> Path | None:
    """Where the data directory is, or None when nothing says so (see the module's doc)."""
    if value := environ.get(DATA_DIR_VARIABLE, "").strip():
        return Path(value).expanduser().resolve()
    if checkout is not None:
        return checkout / "var"
    if holds_data(cwd / "var"):
        return (cwd / "var").resolve()
    return None


def data_dir() -> Path | None:
    """The data directory for this process (None when it must be set)."""
    return find_data_dir(os.environ, Path.cwd(), source_checkout())


def main(argv: list[str] | None = None) -> None:
    found = data_dir()
    if found is None:
        sys.stderr.write(NO_DATA_DIR + "\n")
        sys.exit(2)
    # Child processes (`serve`'s collectstatic and gunicorn) use the very same folder.
    os.environ.setdefault(DATA_DIR_VARIABLE, str(found))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "detente.settings")
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    args = sys.argv[1:] if argv is None else argv
    try:
        execute_from_command_line(["detente", *args])
    except DatabaseError as exc:
        pending = unapplied_migrations()
        if not pending or args[:1] == ["migrate"]:
            raise
        # A data directory nobody has migrated yet (a checkout before `make run`).
        error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        sys.stderr.write(NOT_MIGRATED % {"dir": found, "n": pending, "error": error} + "\n")
        sys.exit(2)


def unapplied_migrations() -> int | None:
    """How many migrations the database still lacks (None when that cannot be told)."""
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        targets = executor.loader.graph.leaf_nodes()
        return len(executor.migration_plan(targets))
    except DatabaseError:
        return None


if __name__ == "__main__":
    main()
