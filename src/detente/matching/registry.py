"""The registry's candidate index: built from identities, kept current, one per process.

:func:`registry_index` returns a :class:`~detente.matching.index.CandidateIndex` over every
identity in the registry, keyed by the person's primary key (names and aliases, birth date
with its precision, municipality and province, sex). It is built on first use and kept
current three ways:

1. **Signals** (in this process): saving or deleting an ``Identity``, or deleting a
   ``Person``, updates the index once the transaction commits (``transaction.on_commit``),
   so a rolled-back write never reaches it.
2. **The audit ledger** (any process): every write to the registry goes through a service
   that appends a change entry about the person (``registry.person``) or the identity
   (``registry.identity``) in the same transaction. Before answering, the index reads the
   ledger's head and, when it moved, the change entries about people and identities newer
   than the last one it saw (indexed queries on the ledger's primary key), and reloads
   those people. A write made by another app server,
   a worker, or ``detente`` at the shell therefore shows up in the next query. Services
   serialise their ledger appends, so entries become visible in order and none is skipped.
3. **A size check**: identities created without a ledger entry (a bulk load) are caught by
   comparing the newest identity id with the one loaded; if the ledger or the identities
   went *backwards* (a restored database, a test's rolled-back transaction), the index is
   rebuilt from scratch.

The model is the engine's default unless a trained one was saved with :func:`save_model`
(``DATA_DIR/matching/model.json``); term frequencies always come from the registry as it is.

**Kept on disk.** Once the registry holds :data:`SAVE_MIN_PEOPLE` people, the index is
written to ``DATA_DIR/matching/index`` sealed whole with the ``matching.index`` data key
(see :meth:`CandidateIndex.save`, docs/keys.md; one that does not open is ignored with a
warning and rebuilt), with the ledger position it reflects.
A new process (``detente match`` at the shell, a web worker starting) opens it (about
40 ms at 100,000 people), checks that the ledger entry it names is still there with the
same hash (the same database and history), catches up through the ledger as above, and
reads from the database only the identities of the candidates a query needs. It is written
again after a rebuild and once :data:`SAVE_AFTER_CHANGES` people changed.

Results are candidates, not answers: the selectors re-read the people they show through
the visibility rules and re-score them against the identity as stored, so a stale entry
can cost a candidate a place in the list but never show a wrong name or a hidden person.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q

from detente.audit.models import AuditEntry, EntryKind
from detente.keys.master import KeyProblem
from detente.matching.index import CandidateIndex
from detente.matching.model import LinkageModel
from detente.matching.records import Record, identity_record
from detente.registry.models import Identity, open_identity

__all__ = [
    "model_path",
    "record_from_identity",
    "refresh_people",
    "registry_index",
    "reset",
    "save_model",
]

logger = logging.getLogger(__name__)

_FIELDS = (
    "person_id",
    "given_names",
    "paternal_surname",
    "maternal_surname",
    "aliases",
    "birth_date",
    "birth_precision",
    "sex",
    "municipality",
    "province",
)
# The object types whose change entries mean "this person's identity may have changed".
_WATCHED = ("registry.person", "registry.identity")
# More new entries than this since the last look: rebuilding is cheaper than catching up.
_CATCH_UP_LIMIT = 5000
# The index is kept on disk (DATA_DIR/matching/index) once the registry has this many
# people, and written again after this many people changed since it was.
SAVE_MIN_PEOPLE = 2000
SAVE_AFTER_CHANGES = 2000


# What is read of an identity row: the sealed fields are opened from ``sealed``.
IDENTITY_COLUMNS = ("person_id", "sealed", "birth_precision", "sex")


def record_of_row(row: tuple[Any, ...]) -> Record:
    """The record of an ``IDENTITY_COLUMNS`` row (its sealed fields opened)."""
    person_id, sealed, precision, sex = row
    values = open_identity(person_id, sealed)
    values["birth_precision"], values["sex"] = precision, sex
    return identity_record(person_id, **{name: values[name] for name in _FIELDS[1:]})


def record_from_identity(identity: Identity) -> Record:
    """The engine's record of one identity, keyed by the person's primary key."""
    return identity_record(
        identity.person_id, **{name: getattr(identity, name) for name in _FIELDS[1:]}
    )


def model_path() -> Path:
    return Path(settings.DATA_DIR) / "matching" / "model.json"


def save_model(model: LinkageModel) -> Path:
    """Keep a trained model for every process (it is read when an index is next built)."""
    path = model_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(model.to_json(), encoding="utf-8")
    reset()
    return path


def load_model() -> LinkageModel:
    path = model_path()
    if path.exists():
        try:
            return LinkageModel.from_json(path.read_text(encoding="utf-8"))
        except (ValueError, KeyError) as exc:
            logger.warning("ignoring unreadable matching model %s: %s", path, exc)
    return LinkageModel()


def snapshot_path() -> Path:
    return Path(settings.DATA_DIR) / "matching" / "index"


def _load_records(person_ids: Sequence[Any]) -> list[Record]:
    """The records of these people as the registry holds them now (merged people left
    out): what a saved index fetches for the candidates a query needs (in chunks: SQLite
    takes a few thousand parameters a query)."""
    ids = list(person_ids)
    out: list[Record] = []
    for start in range(0, len(ids), 5000):
        rows = Identity.objects.filter(
            person_id__in=ids[start : start + 5000], person__merged_into__isnull=True
        ).values_list(*IDENTITY_COLUMNS)
        out.extend(record_of_row(row) for row in rows.iterator(chunk_size=5000))
    return out


class _RegistryIndex:
    """The process's index and what it has seen of the ledger and the identities."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._index: CandidateIndex | None = None
        self._seen_seq = 0
        self._seen_hash = ""
        self._max_identity = 0
        self._changed_since_save = 0

    def reset(self) -> None:
        with self._lock:
            self._index = None

    def get(self) -> CandidateIndex:
        with self._lock:
            if self._index is None:
                self._index = self._load()
            if self._index is None or not self._catch_up():
                self._index = self._build()
                self._save()
            elif self._changed_since_save > SAVE_AFTER_CHANGES:
                self._save()
            return self._index

    # -- the saved index ---------------------------------------------------------------------

    def _load(self) -> CandidateIndex | None:
        """The index saved by an earlier process, if it belongs to this database's history
        (its ledger entry is still there with the same hash); caught up by the caller."""
        path = snapshot_path()
        if not (path / "index.json").exists():
            return None
        try:
            index = CandidateIndex.load(path, load_model(), _load_records)
        except ValueError as exc:
            logger.warning("ignoring the saved candidate index: %s", exc)
            return None
        meta = index.meta
        seq, digest = int(meta.get("ledger_seq", 0)), str(meta.get("ledger_hash", ""))
        if not seq or list(AuditEntry.objects.filter(seq=seq).values_list("hash", flat=True)) != [
            digest
        ]:
            return None  # another database, or a ledger that went back
        self._seen_seq, self._seen_hash = seq, digest
        self._max_identity = int(meta.get("max_identity", 0))
        self._changed_since_save = 0
        index.model.population = max(len(index), 1)
        return index

    def _save(self) -> None:
        """Keep the index for the next process (small registries rebuild faster than they
        load; a failed write costs only that)."""
        index = self._index
        if index is None or len(index) < SAVE_MIN_PEOPLE or not self._seen_seq:
            return
        meta = {
            "ledger_seq": self._seen_seq,
            "ledger_hash": self._seen_hash,
            "max_identity": self._max_identity,
        }
        try:
            index.save(snapshot_path(), meta)
            self._changed_since_save = 0
        except (OSError, KeyProblem) as exc:  # sealing needs the master key
            logger.warning("could not save the candidate index: %s", exc)

    def _ledger_head(self) -> tuple[int, str]:
        head = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
        return (int(head[0]), str(head[1])) if head else (0, "")

    def _build(self) -> CandidateIndex:
        # The ledger head first: anything written after it is caught up on the next query.
        self._seen_seq, self._seen_hash = self._ledger_head()
        # People merged into another are counted as the survivor: never a candidate.
        rows = (
            Identity.objects.filter(person__merged_into__isnull=True)
            .order_by("person_id")
            .values_list(*IDENTITY_COLUMNS)
        )
        index = CandidateIndex(
            load_model(), (record_of_row(row) for row in rows.iterator(chunk_size=5000))
        )
        top = Identity.objects.aggregate(top=Max("pk"))["top"] or 0
        self._max_identity = int(top)
        index.model.population = max(len(index), 1)
        return index

    def _catch_up(self) -> bool:
        """Apply what changed since the last look; False when a rebuild is needed."""
        head_seq, head_hash = self._ledger_head()
        if head_seq < self._seen_seq:
            return False  # the ledger went backwards: a restored database, a rollback
        if self._seen_seq and head_seq != self._seen_seq:
            seen = AuditEntry.objects.filter(seq=self._seen_seq).values_list("hash", flat=True)
            if list(seen) != [self._seen_hash]:
                return False
        elif head_seq == self._seen_seq and head_hash != self._seen_hash:
            return False
        people: set[int] = set()
        identities: set[int] = set()
        if head_seq != self._seen_seq:
            # Views of identities are ledger entries too, and far more frequent: only the
            # changes to people and identities are read.
            changes = AuditEntry.objects.filter(
                seq__gt=self._seen_seq,
                seq__lte=head_seq,
                kind=EntryKind.CHANGE,
                object_type__in=_WATCHED,
            ).values_list("object_type", "object_id")[: _CATCH_UP_LIMIT + 1]
            rows = list(changes)
            if len(rows) > _CATCH_UP_LIMIT:
                return False
            for object_type, object_id in rows:
                if object_id.isdigit():
                    target = people if object_type == "registry.person" else identities
                    target.add(int(object_id))
            self._seen_seq, self._seen_hash = head_seq, head_hash
        top = int(Identity.objects.aggregate(top=Max("pk"))["top"] or 0)
        if top < self._max_identity:
            return False
        if top > self._max_identity:
            identities.update(
                Identity.objects.filter(pk__gt=self._max_identity).values_list("pk", flat=True)
            )
            self._max_identity = top
        if people or identities:
            self._refresh(people, identities)
            self._changed_since_save += len(people) + len(identities)
        return True

    def _refresh(self, people: Iterable[int], identities: Iterable[int] = ()) -> None:
        index = self._index
        if index is None:
            return
        wanted = set(people)
        wanted |= set(
            Identity.objects.filter(pk__in=set(identities)).values_list("person_id", flat=True)
        )
        query = Q(person_id__in=wanted)
        found = {
            row[0]: row
            for row in Identity.objects.filter(query, person__merged_into__isnull=True).values_list(
                *IDENTITY_COLUMNS
            )
        }
        for person_id in wanted - set(found):
            index.remove(person_id)  # deleted
        for row in found.values():
            index.add(record_of_row(row))

    def refresh(self, person_ids: Iterable[int]) -> None:
        with self._lock:
            if self._index is not None:
                self._refresh(person_ids)


_registry = _RegistryIndex()


def registry_index() -> CandidateIndex:
    """The registry's candidate index, brought up to date (see the module's docstring)."""
    return _registry.get()


def private_index() -> CandidateIndex:
    """An index of the registry for one job to change as it goes (a list import files the
    people it creates into it): read from the saved index when there is a current one,
    caught up, with every record loaded; built (and saved) otherwise. The process-wide
    index is not touched."""
    index = _RegistryIndex().get()
    index.records()  # every record in memory: the job scores and estimates on them all
    return index


def refresh_people(person_ids: Iterable[int]) -> None:
    """Reload these people into this process's index now (services may call it directly;
    other processes catch up through the ledger)."""
    _registry.refresh(list(person_ids))


def reset() -> None:
    """Forget the index; the next query rebuilds it."""
    _registry.reset()


# --- Signals ----------------------------------------------------------------------------------


def _after_commit(person_ids: list[int]) -> None:
    transaction.on_commit(lambda: refresh_people(person_ids))


def identity_saved(sender: Any, instance: Identity, **kwargs: Any) -> None:
    _after_commit([instance.person_id])


def identity_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    person_id = instance.person_id if isinstance(instance, Identity) else instance.pk
    _after_commit([person_id])
