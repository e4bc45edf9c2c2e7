"""The database half of a backup: a consistent snapshot, its ledger, and putting it back.

SQLite: the online backup API (``sqlite3.Connection.backup``), in one step, so the copy is
one read transaction: writers go on meanwhile (WAL) and the copy is the database at one
instant. PostgreSQL: ``pg_dump`` (custom format) of a snapshot exported by a transaction
of ours, which reads the ledger head from that same snapshot while the dump runs, so the
head recorded in the backup is the one in the dump whatever is written meanwhile.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import load_backend
from django.utils.translation import gettext as _

from detente.audit import ledger
from detente.backups.errors import BackupError

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


def engine_of(db: dict[str, Any]) -> str:
    engine = str(db["ENGINE"])
    if engine.endswith("sqlite3"):
        return SQLITE
    if engine.endswith("postgresql"):
        return POSTGRESQL
    raise BackupError(_("database engine %(engine)s is not supported") % {"engine": engine})


@contextmanager
def opened(db: dict[str, Any]) -> Iterator[BaseDatabaseWrapper]:
    """A connection of its own to the database ``db`` describes (a Django DATABASES entry,
    over the default one's settings), closed afterwards. Not registered in
    ``connections``: nothing else in the process can pick it up by its alias."""
    config = dict(connections.settings["default"])
    config.update(db)
    alias = f"detente-backups-{uuid.uuid4().hex[:12]}"
    conn = load_backend(config["ENGINE"]).DatabaseWrapper(config, alias)
    try:
        yield conn
    finally:
        conn.close()


def sqlite_readonly(path: Path) -> dict[str, Any]:
    """Settings reading a SQLite file without changing a byte of it."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": f"file:{path}?mode=ro",
        "OPTIONS": {},
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
    }


def verify_ledger(conn: BaseDatabaseWrapper, hashes_at: dict[int, str] | None = None) -> Any:
    """``ledger.verify`` run on another connection than the default one.

    The ledger reads through its module's ``connection``; it is pointed at ``conn`` for the
    call and put back (commands and the worker's backup run one at a time per thread; a
    ``using`` argument to ``ledger.verify`` would make this unnecessary)."""
    saved = ledger.connection
    ledger.connection = conn
    try:
        return ledger.verify(hashes_at)
    finally:
        ledger.connection = saved


# --- Taking the snapshot ------------------------------------------------------------------


def snapshot_sqlite(target: Path) -> Any:
    """Copy the live SQLite database to ``target`` in one step; the ledger as in the copy."""
    if connection.in_atomic_block:
        # The copy would wait for ever on this connection's own open write transaction.
        raise BackupError(_("a backup cannot be taken inside a database transaction"))
    connection.ensure_connection()
    source = connection.connection
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)  # pages=-1: the whole file in one step, one read transaction
        # A self-contained file, in rollback-journal mode (the server turns WAL on again).
        dest.execute("PRAGMA journal_mode=DELETE")
        dest.commit()
    finally:
        dest.close()
    os.chmod(target, 0o600)
    with opened(sqlite_readonly(target)) as conn:
        return verify_ledger(conn)


def _pg_command(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise BackupError(
            _(
                "%(tool)s is not installed: the PostgreSQL client tools are needed "
                "(on Debian: apt-get install postgresql-client, of the server's version)"
            )
            % {"tool": tool}
        )
    return found


def pg_connect_args(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """``--dbname`` for pg_dump/pg_restore and the environment (the password never goes on
    the command line, where other users of the machine could read it)."""
    from psycopg.conninfo import make_conninfo

    parts = {"dbname": db["NAME"], "host": db.get("HOST"), "port": db.get("PORT")}
    parts["user"] = db.get("USER")
    conninfo = make_conninfo(**{k: str(v) for k, v in parts.items() if v})
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return ["--no-password", f"--dbname={conninfo}"], env


def snapshot_postgresql(target: Path) -> tuple[Any, str]:
    """``pg_dump`` the live database to ``target`` from a snapshot our transaction exports
    and reads the ledger from. Answers the ledger's state and the server's version."""
    pg_dump = _pg_command("pg_dump")
    db = dict(connections.settings["default"])
    args, env = pg_connect_args(db)
    with opened({}) as conn, conn.cursor() as cur:
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cur.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
        snapshot, version = cur.fetchone()
        process = subprocess.Popen(  # noqa: S603 - the client tool, our arguments
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={target}", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            result = verify_ledger(conn)
        finally:
            _out, err = process.communicate()
            cur.execute("ROLLBACK")  # read only: nothing to keep
    if process.returncode != 0:
        raise BackupError(
            _("pg_dump failed (exit status %(code)d): %(error)s")
            % {"code": process.returncode, "error": err.decode(errors="replace").strip()}
        )
    os.chmod(target, 0o600)
    return result, str(version)


# --- Putting it back ----------------------------------------------------------------------


def pg_table_count(db: dict[str, Any]) -> int:
    with opened(db) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
            "ANY(current_schemas(false))"
        )
        row = cur.fetchone()
    return int(row[0]) if row else 0


def pg_restore(dump: Path, db: dict[str, Any], *, clean: bool) -> None:
    """Load a custom-format dump into ``db`` in one transaction (all or nothing); with
    ``clean``, every object the dump holds is dropped first."""
    tool = _pg_command("pg_restore")
    args, env = pg_connect_args(db)
    extra = ["--clean", "--if-exists"] if clean else []
    done = subprocess.run(  # noqa: S603 - the client tool, our arguments
        [
            tool,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            *extra,
            *args,
            str(dump),
        ],
        env=env,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(
            _("pg_restore into database %(name)s failed (exit status %(code)d): %(error)s")
            % {
                "name": db["NAME"],
                "code": done.returncode,
                "error": done.stderr.decode(errors="replace").strip()[-2000:],
            }
        )


def pg_empty(db: dict[str, Any]) -> None:
    """Drop everything in the database's schema again (a restore that did not verify)."""
    with opened(db) as conn, conn.cursor() as cur:
        cur.execute("DROP SCHEMA public CASCADE")
        cur.execute("CREATE SCHEMA public")
