"""The registry's candidate index sealed on disk with the key ring (issue 17; docs/keys.md).

:mod:`detente.matching.index` knows no keys: it seals what it saves with a
:class:`~detente.matching.index.Sealer`. This is Detente's: an AES-256-GCM data key of its
own record class (``matching.index``), wrapped by the master key like every other, so a
copy of the data directory without the master key holds no name. Readers accept every
version of the key; ``detente keys rotate --data`` seals the saved index again with the
new one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import IO

from django.utils.translation import gettext_lazy as _

from detente.keys import ring
from detente.keys.master import KeyProblem
from detente.matching import index

__all__ = ["INDEX_CLASS", "RingSealer", "register", "reseal_saved_index"]

logger = logging.getLogger(__name__)

INDEX_CLASS = "matching.index"
LABEL = _("matching index saved on disk")


class RingSealer:
    """Seals with the current ``matching.index`` data key; opens with any of its versions."""

    def seal(self, ref: str, chunks: Iterable[bytes]) -> Iterator[bytes]:
        return ring.seal_stream(INDEX_CLASS, ref, chunks)

    def open(self, ref: str, handle: IO[bytes]) -> Iterator[bytes]:
        try:
            yield from ring.open_stream(INDEX_CLASS, ref, handle, str(LABEL))
        except (ring.Undecryptable, KeyProblem) as exc:
            # Another master key or database, or an altered file: the caller rebuilds.
            raise ValueError(str(exc)) from None


def reseal_saved_index(batch_size: int) -> int:
    """`detente keys rotate --data`: the saved index sealed again with the new key (1),
    or none saved (0). A failed write costs only a rebuild by the next process."""
    from detente.matching.registry import snapshot_path

    try:
        return int(index.reseal(snapshot_path()))
    except OSError as exc:
        logger.warning("could not seal the saved candidate index again: %s", exc)
        return 0


def register() -> None:
    """The class on the key ring, and the sealer the index uses by default (every process:
    called by the matching app's ``ready``)."""
    ring.register(INDEX_CLASS, str(LABEL), reseal_saved_index)
    index.use_sealer(RingSealer())
