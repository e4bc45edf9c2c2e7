"""Sealing identities again with the current data key (`detente keys rotate --data`), in
batches, each its own transaction and locked, so an edit of the same identity waits and
is not undone. The text never changes: only its envelope."""

from __future__ import annotations

from detente.keys import ring
from detente.registry.models import IDENTITY_CLASS, Identity


def _again(row: Identity) -> str:
    row._opened()  # opened with the key it names
    row._dirty = True
    row.seal()
    return row.sealed


def reseal_identities(batch_size: int) -> int:
    """Every identity sealed with the current identity data key; how many were."""
    return ring.reseal_rows(Identity, IDENTITY_CLASS, _again, batch_size)
