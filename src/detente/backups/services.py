"""Taking a backup, restoring one, and keeping the newest few (docs/operations.md, "Backups").

A backup is one file, ``detente-backup-<UTC time>.age``: the database snapshot, the data
directory's durable files and a manifest, encrypted to age recipients. What it holds is
decided here (:func:`data_files`); how it is laid out, in archive.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import detente
from detente.audit import checkpoints, ledger
from detente.audit.checkpoints import CheckpointError
from detente.backups import archive, database, keys
from detente.backups.errors import BackupError

NAME_PATTERN = re.compile(r"^detente-backup-(\d{8}T\d{6}Z)\.age$")
STAMP = "%Y%m%dT%H%M%SZ"
SQLITE_NAMES = (
    "detente.sqlite3",
    "detente.sqlite3-wal",
    "detente.sqlite3-shm",
    "detente.sqlite3-journal",
)
# Not durable, or made again from the database: left out of every backup.
REBUILT = ("static", "pages", "matching/index", "uploads/tmp", "attachments/tmp")
TEMP_PREFIX = ".detente-backup-"
log = logging.getLogger(__name__)
RESTORE_PREFIX = ".detente-restore-"


def backup_dir() -> Path | None:
    value = settings.DETENTE_BACKUP_DIR
    return Path(value) if value else None


def file_name(when: dt.datetime) -> str:
    return f"detente-backup-{when.astimezone(dt.UTC).strftime(STAMP)}.age"


# --- What goes in -------------------------------------------------------------------------


def _excluded() -> set[Path]:
    """Absolute paths never copied: the database files, what is rebuilt, the backups
    themselves and the key that signs checkpoints (never in a copy of the data)."""
    root = Path(settings.DATA_DIR).resolve()
    out = {root / name for name in SQLITE_NAMES} | {root / name for name in REBUILT}
    out.add(root / "keys" / "ledger-ed25519.pem")
    out.add(checkpoints.key_paths()[0].resolve())
    db = settings.DATABASES["default"]
    if database.engine_of(db) == database.SQLITE and not str(db["NAME"]).startswith("file:"):
        name = Path(db["NAME"]).resolve()
        out |= {name, Path(f"{name}-wal"), Path(f"{name}-shm"), Path(f"{name}-journal")}
    if (folder := backup_dir()) is not None:
        out.add(folder.resolve())
    return out


def data_files() -> tuple[list[archive.Source], list[str]]:
    """The data directory's durable files as archive members (``files/<relative path>``),
    and what was passed over (not a regular file)."""
    root = Path(settings.DATA_DIR).resolve()
    excluded = _excluded()
    sources: list[archive.Source] = []
    skipped: list[str] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(
            d
            for d in dirs
            if here / d not in excluded and not d.startswith((TEMP_PREFIX, RESTORE_PREFIX))
        )
        for name in sorted(files):
            path = here / name
            if path in excluded:
                continue
            relative = path.relative_to(root).as_posix()
            if path.is_symlink() or not path.is_file():
                skipped.append(relative)
                continue
            sources.append(archive.Source(archive.FILES + relative, path))
    return sources, skipped


# --- Taking a backup ------------------------------------------------------------------------


@dataclass
class Written:
    path: Path
    size: int
    sha256: str
    header: dict[str, Any]
    files: int
    skipped: list[str] = field(default_factory=list)

    @property
    def ledger(self) -> dict[str, Any]:
        return dict(self.header["ledger"])

    @property
    def checkpoint_signed(self) -> bool:
        return bool(self.header.get("checkpoint"))


def _checkpoint(result: Any) -> tuple[str | None, str]:
    """A checkpoint signed for the snapshot's ledger, or None and why not."""
    if not result.ok:
        return None, _("the ledger in the snapshot does not verify: nothing was signed")
    if result.head_position == 0:
        return None, _("the ledger is empty: nothing to sign")
    private, _public = checkpoints.key_paths()
    if not private.exists():
        return None, _(
            "no signing key at %(path)s on this machine: the backup carries no signed "
            "checkpoint; compare its ledger head with a checkpoint kept elsewhere"
        ) % {"path": private}
    try:
        key = checkpoints.load_private(private)
    except (OSError, ValueError) as exc:
        return None, _("the signing key %(path)s could not be read: %(error)s") % {
            "path": private,
            "error": exc,
        }
    text = checkpoints.sign(result.head_position, result.root_hash, key)
    return text, _("signed with the key at %(path)s") % {"path": private}


def _output_path(output: Path | None, now: dt.datetime) -> Path:
    if output is None:
        folder = backup_dir() or Path.cwd()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        output = folder / file_name(now)
    elif output.is_dir():
        output = output / file_name(now)
    if output.exists():
        raise BackupError(_("%(path)s exists; refusing to overwrite it") % {"path": output})
    if not output.parent.is_dir():
        raise BackupError(_("folder %(path)s does not exist") % {"path": output.parent})
    return output


def backup(
    output: Path | None, recipients: list[tuple[str, Any]], now: dt.datetime | None = None
) -> Written:
    """Write one encrypted backup; answers what was written. Nothing is left behind on
    failure (no partial file, no plaintext)."""
    if not recipients:
        raise BackupError(_("no recipient to encrypt the backup to"))
    now = now or timezone.now()
    target = _output_path(output, now)
    db = settings.DATABASES["default"]
    engine = database.engine_of(db)
    data_dir = Path(settings.DATA_DIR)
    # The plaintext snapshot waits beside the live database, never in a shared /tmp.
    work = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=data_dir))
    partial = target.with_name(f".{target.name}.partial")
    try:
        snapshot = work / archive.DATABASE_MEMBERS[engine].rsplit("/", 1)[1]
        server = ""
        if engine == database.SQLITE:
            result = database.snapshot_sqlite(snapshot)
        else:
            result, server = database.snapshot_postgresql(snapshot)
        checkpoint, checkpoint_note = _checkpoint(result)
        sources, skipped = data_files()
        header = {
            "format": archive.FORMAT,
            "version": archive.VERSION,
            "created_at": now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "detente_version": detente.__version__,
            "engine": engine,
            "database_server": server,
            "database_member": archive.DATABASE_MEMBERS[engine],
            "ledger": {
                "size": result.head_position,
                "head_hash": result.head_hash,
                "root_hash": result.root_hash or None,
                "verified": result.ok,
                "first_bad_entry": result.first_bad_position,
                "reason": result.reason or None,
            },
            "checkpoint": checkpoint,
            "checkpoint_note": checkpoint_note,
            "origin": checkpoints.default_origin(),
            "recipients": [text for text, _r in recipients],
            "skipped": skipped,
            "not_included": [
                "the database's live files (the snapshot above replaces them)",
                "static/, pages/, matching/index, uploads/tmp, attachments/tmp (rebuilt)",
                "the checkpoint signing key (DETENTE_SIGNING_KEY_FILE)",
                "the age identity that decrypts this file",
            ],
        }
        members = [archive.Source(archive.DATABASE_MEMBERS[engine], snapshot), *sources]
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            size, digest = archive.write(out, header, members, [r for _t, r in recipients])
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
        _fsync_dir(target.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Written(target, size, digest, header, len(sources), skipped)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _BackupObject:
    """What the ledger entry is about: the backup file, by name."""

    class _meta:  # read by ledger.append as a model's
        label_lower = "backups.backup"

    def __init__(self, name: str) -> None:
        self.pk = name


def record(actor: User | None, written: Written, *, scheduled: bool, pruned: list[str]) -> None:
    """The backup in the ledger: which file, its hash, the ledger head it holds."""
    data = {
        "file": written.path.name,
        "bytes": written.size,
        "sha256": written.sha256,
        "ledger_size": written.ledger["size"],
        "ledger_root": written.ledger["root_hash"],
        "checkpoint_signed": written.checkpoint_signed,
        "recipients": written.header["recipients"],
        "scheduled": scheduled,
        "pruned": pruned,
    }
    with transaction.atomic():
        ledger.append(actor, "backup.create", _BackupObject(written.path.name), data)


def record_failure(error: str) -> None:
    with transaction.atomic():
        ledger.append(None, "backup.fail", _BackupObject("scheduled"), {"error": error})


# --- Keeping the newest ---------------------------------------------------------------------


@dataclass(frozen=True)
class Kept:
    path: Path
    taken: dt.datetime
    size: int


def listed(folder: Path | None = None) -> list[Kept]:
    """The backups in the backup folder, newest first (files named as we name them)."""
    folder = folder or backup_dir()
    if folder is None or not folder.is_dir():
        return []
    out = []
    for path in folder.iterdir():
        match = NAME_PATTERN.match(path.name)
        if match and path.is_file():
            taken = dt.datetime.strptime(match.group(1), STAMP).replace(tzinfo=dt.UTC)
            out.append(Kept(path, taken, path.stat().st_size))
    return sorted(out, key=lambda k: k.taken, reverse=True)


def prune(keep: int, folder: Path | None = None) -> list[str]:
    """Delete all but the newest ``keep`` backups; answers the names deleted. Only files
    named as backups are ever touched."""
    gone = []
    for old in listed(folder)[max(keep, 1) :]:
        old.path.unlink(missing_ok=True)
        gone.append(old.path.name)
    return gone


def due(now: dt.datetime) -> bool:
    """Whether the newest kept backup is older than the interval (a little early counts,
    so a run scheduled exactly one interval later is never skipped)."""
    newest = listed()
    if not newest:
        return True
    interval = dt.timedelta(hours=settings.DETENTE_BACKUP_INTERVAL_HOURS)
    return now - newest[0].taken >= interval * 0.9


def scheduling_configured() -> bool:
    return backup_dir() is not None and bool(
        settings.DETENTE_BACKUP_RECIPIENTS or settings.DETENTE_BACKUP_RECIPIENTS_FILE
    )


def scheduled_run(now: dt.datetime | None = None) -> dict[str, Any]:
    """The worker's backup: write one when due, keep the newest DETENTE_BACKUP_KEEP, and
    say so in the ledger (a failure too)."""
    now = now or timezone.now()
    if not scheduling_configured():
        return {"done": False, "reason": "not configured"}
    if not due(now):
        return {"done": False, "reason": "not due"}
    try:
        written = backup(None, keys.recipients(), now)
    except Exception as exc:
        try:
            record_failure(str(exc) or type(exc).__name__)
        except Exception:  # the database itself may be what failed
            log.exception("scheduled backup: the failure could not be written to the ledger")
        raise
    pruned = prune(settings.DETENTE_BACKUP_KEEP)
    record(None, written, scheduled=True, pruned=pruned)
    return {
        "done": True,
        "file": written.path.name,
        "ledger_size": written.ledger["size"],
        "pruned": pruned,
    }


# --- Restoring ------------------------------------------------------------------------------


@dataclass
class Restored:
    data_dir: Path
    header: dict[str, Any]
    ledger_size: int
    head_hash: str
    root_hash: str
    checkpoint: str  # "verified", "no key", "none"
    checkpoint_detail: str
    checkpoints_checked: int
    files: int
    counts: dict[str, int]
    missing_attachments: int
    moved_aside: Path | None
    database: str


def holds_data(folder: Path) -> list[str]:
    """What in ``folder`` is data (a few paths): anything but empty folders and a lone
    secret key, which the settings make in a new data directory on first use."""
    if not folder.exists():
        return []
    found = []
    for here, _dirs, files in os.walk(folder):
        for name in files:
            relative = (Path(here) / name).relative_to(folder).as_posix()
            if relative != "keys/secret_key":
                found.append(relative)
                if len(found) >= 3:
                    return found
    return found


def _counts(conn: Any) -> tuple[dict[str, int], list[str]]:
    """What the restored database holds (a table an older version lacks is left out), and
    the attachment files its rows name."""
    from django.db import DatabaseError

    from detente.agreements.models import Agreement
    from detente.casework.models import Attachment
    from detente.evidence.models import Claim
    from detente.registry.models import Person

    models = {
        "people": Person,
        "agreements": Agreement,
        "claims": Claim,
        "attachments": Attachment,
        "accounts": User,
    }
    counts: dict[str, int] = {}
    needed: list[str] = []
    quote = conn.ops.quote_name
    for key, model in models.items():
        try:
            with conn.cursor() as cur:
                cur.execute(f"SELECT count(*) FROM {quote(model._meta.db_table)}")  # noqa: S608
                counts[key] = int(cur.fetchone()[0])
        except DatabaseError:
            continue
    if "attachments" in counts:
        with conn.cursor() as cur:
            table = quote(Attachment._meta.db_table)
            cur.execute(f"SELECT sha256, original_sha256 FROM {table}")  # noqa: S608
            needed = sorted({h for pair in cur.fetchall() for h in pair if h})
    return counts, needed


def _attachment_keys(conn: Any) -> list[bytes] | None:
    """The attachments' data keys of the restored database, opened with the master key
    in force (they name the files on disk; docs/keys.md); None when it does not open them
    (or the database has none)."""
    from cryptography.exceptions import InvalidTag
    from django.db import DatabaseError

    from detente.casework.models import ATTACHMENT_CLASS
    from detente.keys import master, ring
    from detente.keys.models import DataKey

    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT record_class, version, key_id, wrapped FROM keys_datakey "
                "WHERE record_class = %s ORDER BY version DESC",
                [ATTACHMENT_CLASS],
            )
            rows = [
                DataKey(record_class=r[0], version=r[1], key_id=r[2], wrapped=r[3]) for r in cur
            ]
        key = master.configured(create=False)
    except (DatabaseError, master.KeyProblem):
        return None
    pending = master.pending()
    opened = []
    for row in rows:
        for candidate in (key, pending):
            if candidate is None:
                continue
            try:
                opened.append(ring.unwrap(row, candidate.key))
                break
            except InvalidTag:
                continue
        else:
            return None
    return opened or None


def _missing_attachments(folder: Path, needed: list[str], keys: list[bytes] | None) -> int:
    """How many of the files the database names are not in ``folder``. Files are named by
    a keyed hash (or, kept before, their SHA-256): with the keys each is looked for by
    name; without them (the master key in force does not open this backup's) only the
    number of files is compared, which finds a shortfall but not which."""
    from detente.casework import files as casework_files

    if keys is not None:
        return sum(
            1
            for h in needed
            if not any((folder / n).is_file() for n in casework_files.stored_names(h, keys))
        )
    held = sum(
        1
        for sub in (folder.iterdir() if folder.is_dir() else ())
        if sub.is_dir() and len(sub.name) == 2
        for f in sub.iterdir()
        if f.is_file() and not f.name.startswith(".")
    )
    return max(0, len(needed) - held)


def _checkpoint_texts(folder: Path) -> list[Path]:
    return sorted((folder / "checkpoints").glob("checkpoint-*.txt"))


def restore(
    path: Path,
    identity_file: Path,
    *,
    data_dir: Path | None = None,
    database_url: str | None = None,
    force: bool = False,
    pubkey: Path | None = None,
) -> Restored:
    """Restore ``path`` into a data directory (and, for PostgreSQL, a database), verifying
    the archive before anything is touched and the ledger before anything is kept."""
    from detente.settings import database_from_url

    identities = keys.identities(identity_file)
    if not path.is_file():
        raise BackupError(_("backup file %(path)s does not exist") % {"path": path})
    target = Path(data_dir or settings.DATA_DIR).resolve()
    db = database_from_url(database_url) if database_url else dict(settings.DATABASES["default"])
    archive.check_identity(path, identities, str(identity_file))
    found = holds_data(target)
    if found and not force:
        raise BackupError(
            _(
                "the data directory %(dir)s is not empty (%(found)s…): restore into a new "
                "folder, or give --force to move what it holds aside first"
            )
            % {"dir": target, "found": ", ".join(found)}
        )
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)

    def check_header(header: dict[str, Any]) -> None:
        engine = header.get("engine")
        if engine not in archive.DATABASE_MEMBERS:
            raise BackupError(_("unknown database engine %(engine)r") % {"engine": engine})
        if engine == database.POSTGRESQL:
            if database.engine_of(db) != database.POSTGRESQL:
                raise BackupError(
                    _(
                        "this backup holds a PostgreSQL database: set DATABASE_URL (or "
                        "--database-url) to the PostgreSQL database to restore it into"
                    )
                )
        elif database_url:
            raise BackupError(
                _(
                    "this backup holds a SQLite database, which goes into the data directory: "
                    "--database-url is for PostgreSQL backups"
                )
            )
        if header.get("database_member") != archive.DATABASE_MEMBERS[engine]:
            raise BackupError(
                _("the header names %(member)r as the database, not %(expected)r")
                % {
                    "member": header.get("database_member"),
                    "expected": archive.DATABASE_MEMBERS[engine],
                }
            )

    work = Path(tempfile.mkdtemp(prefix=RESTORE_PREFIX + target.name + "-", dir=target.parent))
    try:
        unpacked = archive.read(path, identities, work, check_header)
    except BackupError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise BackupError(
            _("%(problem)s. Nothing was restored: %(dir)s was left as it was.")
            % {"problem": exc, "dir": target}
        ) from None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    header = unpacked.header
    engine = header["engine"]
    if header["database_member"] not in unpacked.members:
        shutil.rmtree(work, ignore_errors=True)
        raise BackupError(
            _("%(path)s is not a sound backup: %(problem)s. Nothing was restored.")
            % {"path": path, "problem": _("it holds no database")}
        )
    stamp = timezone.now().strftime(STAMP)
    db_file = work.joinpath(*header["database_member"].split("/"))
    pg_emptied_on_failure = False
    try:
        if engine == database.POSTGRESQL:
            tables = database.pg_table_count(db)
            if tables and not force:
                raise BackupError(
                    _(
                        "the database %(name)s already holds %(n)d tables: restore into an "
                        "empty database (createdb), or give --force to replace its contents"
                    )
                    % {"name": db["NAME"], "n": tables}
                )
            database.pg_restore(db_file, db, clean=bool(tables))
            pg_emptied_on_failure = True
            check_db = db
        else:
            check_db = database.sqlite_readonly(db_file)
        outcome = _check_restored(header, check_db, work / "files", pubkey)
    except BaseException as exc:
        failed = target.with_name(f"{target.name}.restore-failed-{stamp}")
        os.replace(work, failed)
        if pg_emptied_on_failure:
            try:
                database.pg_empty(db)
                where = _("the database %(name)s was emptied again") % {"name": db["NAME"]}
            except Exception as drop_error:  # said, not hidden
                where = _(
                    "the database %(name)s could not be emptied (%(error)s): do NOT serve it"
                ) % {"name": db["NAME"], "error": drop_error}
        else:
            where = _("nothing was written to the database")
        if isinstance(exc, BackupError):
            raise BackupError(
                _(
                    "%(problem)s. The restore is NOT to be served: %(dir)s was left as it "
                    "was, %(database)s, and what was unpacked is in %(failed)s for examination."
                )
                % {"problem": exc, "dir": target, "database": where, "failed": failed}
            ) from None
        raise
    moved = _move_in(work, target, db_file if engine == database.SQLITE else None, stamp)
    return Restored(
        data_dir=target,
        header=header,
        files=sum(1 for name in unpacked.members if name.startswith(archive.FILES)),
        moved_aside=moved,
        database=str(target / "detente.sqlite3") if engine == database.SQLITE else str(db["NAME"]),
        **outcome,
    )


def _check_restored(
    header: dict[str, Any], db: dict[str, Any], files: Path, pubkey: Path | None
) -> dict[str, Any]:
    """Verify the restored ledger: whole, ending where the backup says, through its
    signed checkpoint and those kept in its checkpoints/ folder (when the public key is
    at hand). Raises BackupError naming the first thing that does not hold."""
    stated = header["ledger"]
    public_path = pubkey or checkpoints.key_paths()[1]
    public = None
    if public_path.exists():
        try:
            public = checkpoints.load_public(public_path)
        except (OSError, ValueError) as exc:
            raise BackupError(
                _("the public key %(path)s cannot be read: %(error)s")
                % {"path": public_path, "error": exc}
            ) from None
    elif pubkey is not None:
        raise BackupError(_("public key %(path)s does not exist") % {"path": pubkey})
    expected: dict[int, str] = {}
    checkpoint_state, detail = "none", str(header.get("checkpoint_note") or "")
    if header.get("checkpoint"):
        if public is None:
            checkpoint_state = "no key"
            detail = _(
                "the backup's checkpoint was not checked: no public key at %(path)s (give --pubkey)"
            ) % {"path": public_path}
        else:
            origin = header.get("origin") or None
            try:
                cp = checkpoints.parse_and_check(header["checkpoint"], public, origin)
            except CheckpointError as exc:
                raise BackupError(
                    _("the backup's signed checkpoint does not verify with %(path)s: %(error)s")
                    % {"path": public_path, "error": exc}
                ) from None
            if cp.size != stated["size"] or cp.head_hash != stated["root_hash"]:
                raise BackupError(
                    _(
                        "the backup's signed checkpoint (%(n)d entries) is not the ledger head "
                        "it records"
                    )
                    % {"n": cp.size}
                )
            expected[cp.size] = cp.head_hash
            checkpoint_state = "verified"
            detail = _("signature verified with %(path)s") % {"path": public_path}
    kept = 0
    if public is not None:
        for text_path in _checkpoint_texts(files):
            try:
                cp = checkpoints.parse_and_check(
                    text_path.read_text(), public, header.get("origin")
                )
            except (OSError, CheckpointError):
                continue  # another key's, or damaged: `audit verify` reports it
            if cp.size <= stated["size"]:  # later ones were signed after the snapshot
                if expected.get(cp.size, cp.head_hash) != cp.head_hash:
                    raise BackupError(
                        _("two checkpoints of %(n)d entries disagree (a fork)") % {"n": cp.size}
                    )
                expected[cp.size] = cp.head_hash
                kept += 1
    with database.opened(db) as conn:
        result = database.verify_ledger(conn, expected)
        if not result.ok:
            raise BackupError(
                _("the restored ledger does not verify: entry %(n)s: %(reason)s")
                % {"n": result.first_bad_position, "reason": result.reason}
            )
        if (result.head_position, result.head_hash, result.root_hash or None) != (
            stated["size"],
            stated["head_hash"],
            stated["root_hash"],
        ):
            raise BackupError(
                _(
                    "the restored ledger ends at entry %(got)d (head %(head)s…), not where the "
                    "backup says (entry %(n)d, head %(expected)s…)"
                )
                % {
                    "got": result.head_position,
                    "head": result.head_hash[:16],
                    "n": stated["size"],
                    "expected": str(stated["head_hash"])[:16],
                }
            )
        counts, needed = _counts(conn)
        name_keys = _attachment_keys(conn)
    missing = _missing_attachments(files / "attachments", needed, name_keys)
    return {
        "ledger_size": result.head_position,
        "head_hash": result.head_hash,
        "root_hash": result.root_hash,
        "checkpoint": checkpoint_state,
        "checkpoint_detail": detail,
        "checkpoints_checked": kept,
        "counts": counts,
        "missing_attachments": missing,
    }


def _private_dirs(root: Path, folder: Path) -> None:
    """Make ``folder`` and the folders between it and ``root``, each readable by us only."""
    current = root
    for part in folder.relative_to(root).parts:
        current = current / part
        current.mkdir(mode=0o700, exist_ok=True)


def _move_in(work: Path, target: Path, db_file: Path | None, stamp: str) -> Path | None:
    """Put the verified restore in place: with data already there (``--force``), that is
    moved aside first to ``<target>.before-restore-<time>``, never deleted."""
    aside: Path | None = None
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    present = [p for p in target.iterdir() if not p.name.startswith(RESTORE_PREFIX)]
    if holds_data(target):
        aside = target.with_name(f"{target.name}.before-restore-{stamp}")
        aside.mkdir(mode=0o700)
        for entry in present:
            shutil.move(str(entry), str(aside / entry.name))
    files = work / "files"
    if files.is_dir():
        for here, _dirs, names in os.walk(files):
            for name in names:
                source = Path(here) / name
                destination = target / source.relative_to(files)
                _private_dirs(target, destination.parent)
                shutil.move(str(source), str(destination))
    if db_file is not None:
        for suffix in ("-wal", "-shm", "-journal"):
            (target / f"detente.sqlite3{suffix}").unlink(missing_ok=True)
        shutil.move(str(db_file), str(target / "detente.sqlite3"))
    shutil.rmtree(work, ignore_errors=True)
    return aside
