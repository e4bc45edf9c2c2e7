"""`detente keys rotate`: a new master key, and with ``--data`` new data keys too.

The master key's turn is one transaction: every data key is unwrapped with the old
master key and wrapped with the new, and the ledger says so; only then is the new key
file moved into place (the old one kept beside it as ``<file>.previous-<fingerprint>``).
Running processes keep the data keys they hold and read the new file when they next need
one, so nothing stops.

With ``--data`` each record class gets a new data key version in the same transaction,
and then its rows and files are sealed again with it in batches, each its own
transaction: readers accept the old and the new keys throughout (a ciphertext names its
key), so the site keeps serving while it runs and a run cut short is simply run again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from detente.audit import ledger
from detente.keys import master, ring
from detente.keys.master import KeyProblem
from detente.keys.models import DataKey


class _Keys:
    """What the ledger entry is about: the keys, as one thing."""

    class _meta:  # read by ledger.append as a model's
        label_lower = "keys.datakey"

    pk = "all"


@dataclass
class Rotated:
    old_fingerprint: str
    new_fingerprint: str
    key_file: str | None
    previous_file: str | None
    rewrapped: int
    new_versions: dict[str, int] = field(default_factory=dict)
    resealed: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Status:
    record_class: str
    label: str
    version: int
    key_id: str
    master_fingerprint: str
    opens: bool
    created_at: Any


def status() -> tuple[master.MasterKey | None, str | None, list[Status]]:
    """The master key in force (or the problem with it) and every data key, newest first."""
    try:
        key: master.MasterKey | None = master.configured(create=False)
        problem = None
    except KeyProblem as exc:
        key, problem = None, str(exc)
    out = []
    for row in DataKey.objects.all():
        opens = False
        if key is not None:
            try:
                ring.unwrap(row, key.key)
                opens = True
            except InvalidTag:
                pass
        label = ring.CLASSES[row.record_class].label if row.record_class in ring.CLASSES else ""
        out.append(
            Status(
                row.record_class,
                label,
                row.version,
                row.key_id,
                row.master_fingerprint,
                opens,
                row.created_at,
            )
        )
    return key, problem, out


def _write_pending(path: Path) -> master.MasterKey:
    target = master.pending_path(path)
    if target.exists():
        raise KeyProblem(
            _(
                "%(path)s exists: an earlier rotation stopped half-way. Check which key opens "
                "the data keys (`detente keys status`, with DETENTE_MASTER_KEY_FILE set to "
                "each file), put that one at %(file)s and remove the other; see docs/keys.md"
            )
            % {"path": target, "file": path}
        )
    return master.create_file(target)


def rotate(
    *,
    actor: Any,
    data: bool = False,
    keep_master: bool = False,
    batch_size: int = 500,
    progress: Callable[[str, int], None] | None = None,
) -> Rotated:
    old = master.configured(create=False)
    from_env = bool(settings.DETENTE_MASTER_KEY)
    if keep_master and not data:
        raise KeyProblem(_("--keep-master is for --data: with both kept nothing would change"))
    if from_env and not keep_master:
        raise KeyProblem(
            _(
                "the master key comes from DETENTE_MASTER_KEY, which Detente cannot change: "
                "put the key in a file (DETENTE_MASTER_KEY_FILE) to rotate it, or give "
                "--data --keep-master to make new data keys only"
            )
        )
    path = master.key_file()
    new = old if keep_master else _write_pending(path)
    try:
        with transaction.atomic():
            ledger.serialize()
            rows = list(DataKey.objects.select_for_update().order_by("record_class", "version"))
            opened = {}
            for row in rows:
                try:
                    opened[row.pk] = ring.unwrap(row, old.key)
                except InvalidTag:
                    raise ring._not_opened(row, old) from None
            now = timezone.now()
            if not keep_master:
                for row in rows:
                    row.wrapped = ring.wrap(
                        opened[row.pk], row.record_class, row.version, row.key_id, new.key
                    )
                    row.master_fingerprint = new.fingerprint
                    row.rewrapped_at = now
                    row.save(update_fields=["wrapped", "master_fingerprint", "rewrapped_at"])
            versions = {}
            if data:
                for name in sorted(ring.CLASSES):
                    versions[name] = ring.new_version(name, new).version
            ledger.append(
                actor,
                "keys.rotate",
                _Keys(),
                {
                    "master_from": old.fingerprint,
                    "master_to": new.fingerprint,
                    "rewrapped": len(rows) if not keep_master else 0,
                    "new_data_keys": versions,
                },
            )
    except BaseException:
        if not keep_master:
            master.pending_path(path).unlink(missing_ok=True)
        raise
    previous = None
    if not keep_master:
        previous = path.with_name(f"{path.name}.previous-{old.fingerprint}")
        os.replace(path, previous)
        os.replace(master.pending_path(path), path)
    result = Rotated(
        old.fingerprint,
        new.fingerprint,
        None if from_env else str(path),
        str(previous) if previous else None,
        len(rows) if not keep_master else 0,
        versions,
    )
    ring.forget()  # this process: the new keys at once
    if data:
        # Running processes pick up the new data keys within ring.CURRENT_TTL: wait that
        # long, so that what they write meanwhile is found by the pass below.
        time.sleep(ring.CURRENT_TTL)
        for name in sorted(ring.CLASSES):
            reseal = ring.CLASSES[name].reseal
            if reseal is not None:
                result.resealed[name] = reseal(batch_size)
                if progress is not None:
                    progress(name, result.resealed[name])
        with transaction.atomic():
            ledger.append(actor, "keys.reseal", _Keys(), {"resealed": result.resealed})
    return result
