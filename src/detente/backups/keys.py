"""The age keys of backups: recipients (public, on the server) and identities (private,
kept off it).

A backup is encrypted to X25519 recipients (``age1…``); only the matching identity
(``AGE-SECRET-KEY-1…``) decrypts it. The files are age's own formats, one key per line
and ``#`` comments, so the ``age`` tool reads them too.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from pyrage import x25519

from detente.backups.errors import BackupError

IDENTITY_PREFIX = "AGE-SECRET-KEY-1"
RECIPIENT_PREFIX = "age1"


def _lines(path: Path, what: str) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BackupError(
            _("%(what)s %(path)s does not exist") % {"what": what, "path": path}
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BackupError(
            _("%(what)s %(path)s cannot be read: %(error)s")
            % {"what": what, "path": path, "error": exc}
        ) from None
    return [s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#")]


def parse_recipient(text: str, where: str) -> Any:
    """An X25519 recipient, or a clear error naming where the text came from."""
    value = text.strip()
    if not value.startswith(RECIPIENT_PREFIX):
        raise BackupError(
            _("%(where)s: %(value)r is not an age recipient (a public key starting age1…)")
            % {"where": where, "value": value[:24]}
        )
    try:
        return x25519.Recipient.from_str(value)
    except Exception as exc:  # pyrage.RecipientError
        raise BackupError(
            _("%(where)s: %(value)r is not a valid age recipient (%(error)s)")
            % {"where": where, "value": value[:24], "error": exc}
        ) from None


def recipients(values: Iterable[str] = (), files: Iterable[Path] = ()) -> list[tuple[str, Any]]:
    """The recipients given (``--recipient``, ``--recipients-file``) or, when none is,
    those configured (DETENTE_BACKUP_RECIPIENTS, DETENTE_BACKUP_RECIPIENTS_FILE).

    Answers (text, recipient) pairs, each recipient once; raises when there is none."""
    found: list[tuple[str, str]] = [(v, "--recipient") for v in values]
    for path in files:
        found += [(v, str(path)) for v in _lines(path, _("recipients file"))]
    if not found:
        found = [(v, "DETENTE_BACKUP_RECIPIENTS") for v in settings.DETENTE_BACKUP_RECIPIENTS]
        if configured := settings.DETENTE_BACKUP_RECIPIENTS_FILE:
            found += [(v, str(configured)) for v in _lines(Path(configured), _("recipients file"))]
    if not found:
        raise BackupError(
            _(
                "no recipient to encrypt the backup to: give --recipient age1… or "
                "--recipients-file FILE, or set DETENTE_BACKUP_RECIPIENTS (make a key pair "
                "with `detente backup --keygen FILE`)"
            )
        )
    out: dict[str, Any] = {}
    for value, where in found:
        out.setdefault(value.strip(), parse_recipient(value, where))
    return list(out.items())


def identities(path: Path) -> list[Any]:
    """The identities in an age identity file (as ``age-keygen`` or ``--keygen`` writes)."""
    lines = _lines(path, _("identity file"))
    keys = [line for line in lines if line.startswith(IDENTITY_PREFIX)]
    if not keys:
        raise BackupError(
            _("identity file %(path)s holds no age identity (a line AGE-SECRET-KEY-1…)")
            % {"path": path}
        )
    out = []
    for number, key in enumerate(keys, start=1):
        try:
            out.append(x25519.Identity.from_str(key))
        except Exception as exc:  # pyrage.IdentityError
            raise BackupError(
                _("identity file %(path)s: identity %(n)d is not valid (%(error)s)")
                % {"path": path, "n": number, "error": exc}
            ) from None
    return out


def keygen(path: Path) -> str:
    """Write a new X25519 identity to ``path`` (mode 0600, never over an existing file);
    answers its recipient, the public key backups are encrypted to."""
    identity = x25519.Identity.generate()
    public = str(identity.to_public())
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = f"# created: {created}\n# public key: {public}\n{identity}\n"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(
            _(
                "%(path)s exists; refusing to overwrite an identity (a lost identity is "
                "a lost backup)"
            )
            % {"path": path}
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return public
