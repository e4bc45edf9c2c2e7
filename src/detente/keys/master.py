"""The master key: where it comes from, and making one.

It is read from ``DETENTE_MASTER_KEY`` (the environment) or else ``DETENTE_MASTER_KEY_FILE``
(by default in the operator's configuration folder, like the ledger's signing key), and
never from the data directory or the database: a copy of either alone opens nothing.
It only wraps the data keys (``detente.keys.ring``); nothing else is encrypted with it.

Outside production a missing key file is made on first use, so a fresh checkout runs
(`make run`, `make test`) with no step; in production a missing key refuses the start
(``detente.keys.checks``): `detente keys init` makes one.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

PREFIX = "detente-master-key-1:"
LENGTH = 32


class KeyProblem(Exception):
    """A master or data key that is missing, malformed or does not open what it must."""


@dataclass(frozen=True)
class MasterKey:
    key: bytes
    where: str  # "DETENTE_MASTER_KEY" or the file's path, for messages

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key)


def fingerprint(key: bytes) -> str:
    """16 hex digits that tell master keys apart without saying anything of them."""
    return hmac.new(key, b"detente master key fingerprint", hashlib.sha256).hexdigest()[:16]


def parse(text: str, where: str) -> bytes:
    lines = [s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#")]
    value = lines[0] if len(lines) == 1 else ""
    value = value.removeprefix(PREFIX)
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)) if value else b""
    except ValueError:
        raw = b""
    if len(raw) != LENGTH:
        raise KeyProblem(
            _(
                "%(where)s does not hold a Detente master key (one line %(prefix)s… as "
                "`detente keys init` writes it)"
            )
            % {"where": where, "prefix": PREFIX}
        )
    return raw


def encode(key: bytes) -> str:
    return PREFIX + base64.urlsafe_b64encode(key).decode("ascii").rstrip("=")


def key_file() -> Path:
    return Path(settings.DETENTE_MASTER_KEY_FILE).expanduser()


def inside_data_dir(path: Path) -> bool:
    data = Path(settings.DATA_DIR).resolve()
    return path.resolve().is_relative_to(data)


def _refuse_inside_data_dir(path: Path) -> None:
    if inside_data_dir(path):
        raise KeyProblem(
            _(
                "the master key file %(path)s is inside the data directory %(data)s: whoever "
                "copies that directory would hold the key to it. Move it elsewhere and set "
                "DETENTE_MASTER_KEY_FILE (docs/keys.md)"
            )
            % {"path": path, "data": settings.DATA_DIR}
        )


def create_file(path: Path) -> MasterKey:
    """Write a new master key to ``path`` (mode 0600, never over an existing file)."""
    _refuse_inside_data_dir(path)
    key = secrets.token_bytes(LENGTH)
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = (
        f"# Detente master key, created {created}; fingerprint {fingerprint(key)}.\n"
        "# It opens the encrypted notes and files. Keep a copy apart from the backups:\n"
        "# a lost key is lost data (docs/keys.md).\n"
        f"{encode(key)}\n"
    )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Written whole beside it, then linked into place (which fails if the name is taken):
    # a process starting at the same moment never reads half a key, and of two servers
    # making one at once, one wins and the other reads the winner's.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise KeyExists(
                _("%(path)s exists; refusing to overwrite a master key (a lost key is lost data)")
                % {"path": path}
            ) from None
    finally:
        temporary.unlink(missing_ok=True)
    return MasterKey(key, str(path))


class KeyExists(KeyProblem):
    """The key file was there already (made by another process a moment ago, perhaps)."""


_cache: dict[tuple[str, str, int], MasterKey] = {}


def configured(*, create: bool | None = None) -> MasterKey:
    """The master key in force; a ``KeyProblem`` saying what is wrong and where.

    ``create``: make the key file when it is missing (default: outside production only).
    Read again when the file changes, so a running process follows `detente keys rotate`.
    """
    env = str(getattr(settings, "DETENTE_MASTER_KEY", "") or "")
    if env:
        cache_key = ("env", hashlib.sha256(env.encode()).hexdigest(), 0)
        if cache_key not in _cache:
            _cache[cache_key] = MasterKey(parse(env, "DETENTE_MASTER_KEY"), "DETENTE_MASTER_KEY")
        return _cache[cache_key]
    path = key_file()
    _refuse_inside_data_dir(path)
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        if create is None:
            create = not settings.PRODUCTION
        if not create:
            raise KeyProblem(
                _(
                    "no master key: %(path)s does not exist and DETENTE_MASTER_KEY is not "
                    "set. Make one with `detente keys init` (or set DETENTE_MASTER_KEY_FILE "
                    "to where it is); see docs/keys.md"
                )
                % {"path": path}
            ) from None
        try:
            made = create_file(path)
        except KeyExists:
            return configured(create=False)  # another process made it first: use theirs
        print(  # said once, where the operator sees it
            f"detente: made a new master key at {path} (development; see docs/keys.md)",
            file=sys.stderr,
        )
        stamp = path.stat().st_mtime_ns
        _cache[(str(path), "", stamp)] = made
        return made
    cache_key = (str(path), "", stamp)
    if cache_key not in _cache:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyProblem(
                _("the master key file %(path)s cannot be read: %(error)s")
                % {"path": path, "error": exc}
            ) from None
        _cache[cache_key] = MasterKey(parse(text, str(path)), str(path))
    return _cache[cache_key]


def is_configured() -> bool:
    """A key is given (environment) or its file exists; says nothing of whether it opens."""
    return bool(getattr(settings, "DETENTE_MASTER_KEY", "")) or key_file().exists()


def pending_path(path: Path) -> Path:
    return path.with_name(path.name + ".new")


def pending() -> MasterKey | None:
    """The new key a rotation is moving into place (``<key file>.new``), if there is one."""
    if getattr(settings, "DETENTE_MASTER_KEY", ""):
        return None
    path = pending_path(key_file())
    try:
        return MasterKey(parse(path.read_text(encoding="utf-8"), str(path)), str(path))
    except (OSError, UnicodeDecodeError, KeyProblem):
        return None
