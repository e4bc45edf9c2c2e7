"""The candidate index saved on disk, sealed with the key ring (issue 17; docs/keys.md): a copy
of the data directory without the master key holds no name, the index comes back answering
as it did, and one whose seal does not open is refused (the registry then rebuilds)."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from tests.matching.test_pipeline import _crowd

from detente.keys import master, ring
from detente.keys.models import DataKey
from detente.matching import registry, sealing
from detente.matching.index import CandidateIndex, _component, key_hashes, reseal
from detente.matching.model import LinkageModel
from detente.matching.records import Record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    monkeypatch.setattr(ring, "CURRENT_TTL", 0.0)  # no wait for other processes
    return tmp_path


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return _crowd(1500, seed=9)


def _loader(records: list[Record]) -> Any:
    by_key = {r.key: r for r in records}
    return lambda keys: [by_key[k] for k in keys]


def _saved_bytes(directory: Path) -> bytes:
    return b"".join(f.read_bytes() for f in sorted(directory.iterdir()))


def _hash_bytes(text: str) -> bytes:
    """The 8 bytes the postings hold for the name key ``n:<text>`` (an unkeyed hash: what a
    dictionary attack computes)."""
    return hash((1, _component(text))).to_bytes(8, "little", signed=True)


def test_the_saved_files_hold_no_name_and_the_index_answers_as_before(
    records: list[Record], tmp_path: Path
) -> None:
    index = CandidateIndex(LinkageModel(), records)
    index.save(tmp_path / "index", {"ledger_seq": 7})
    saved = _saved_bytes(tmp_path / "index")
    person = records[0]
    name = person.names[0]
    sound_key = name.paternal_key
    # What the index holds for this person: their name key's hash among its postings, their
    # canonical given name and sound key among its term-frequency values.
    assert _hash_bytes(sound_key) in index._hashes.tobytes()
    assert int.from_bytes(_hash_bytes(sound_key), "little", signed=True) in key_hashes(person)
    values = [value for _field, value in index._tf_of(0)]
    assert sound_key in values
    # None of it on disk: not the names as written, the keys, the places, nor the hashes.
    for text in {
        sound_key,
        name.maternal_key,
        *values,
        "Rodríguez",
        "rodriges",
        "Holguín",
        "José",
    } - {""}:
        assert text.encode() not in saved, text
    for word in (sound_key, "rodriges", "jose"):
        assert _hash_bytes(word) not in saved, word
    assert b"vocabulary" not in saved
    # Only the owner may read it, and it comes back answering the same candidates.
    assert all(f.stat().st_mode & 0o077 == 0 for f in (tmp_path / "index").iterdir())
    loaded = CandidateIndex.load(tmp_path / "index", LinkageModel(), _loader(records))
    assert loaded.meta == {"ledger_seq": 7} and len(loaded) == len(index)
    for field in index.tf.fields:
        assert loaded.tf.agreement_chance(field) == index.tf.agreement_chance(field)
    for query in records[::40]:
        assert [c.record.key for c in loaded.candidates(query)] == [
            c.record.key for c in index.candidates(query)
        ]


def test_a_seal_that_does_not_open_is_refused_with_a_value_error(
    records: list[Record], tmp_path: Path, settings: Any
) -> None:
    where = tmp_path / "index"
    CandidateIndex(LinkageModel(), records[:300]).save(where)
    sealed = where / "index.sealed"
    good = sealed.read_bytes()

    def load() -> CandidateIndex:
        return CandidateIndex.load(where, LinkageModel(), _loader(records))

    assert len(load()) == 300
    # One byte altered, the file cut short.
    altered = bytearray(good)
    altered[len(altered) // 2] ^= 1
    sealed.write_bytes(bytes(altered))
    with pytest.raises(ValueError, match="does not open"):
        load()
    sealed.write_bytes(good[: len(good) - 100])
    with pytest.raises(ValueError, match="does not open"):
        load()
    # The sealed part of another save under this header (its seal is bound to the header's id).
    sealed.write_bytes(good)
    header = json.loads((where / "index.json").read_text())
    (where / "index.json").write_text(json.dumps({**header, "id": "0" * 32}))
    with pytest.raises(ValueError, match="does not open"):
        load()
    (where / "index.json").write_text(json.dumps(header))
    assert len(load()) == 300
    # Another master key: its data key does not open.
    other = tmp_path / "other-master-key"
    master.create_file(other)
    settings.DETENTE_MASTER_KEY_FILE = other
    ring.forget()
    with pytest.raises(ValueError, match=r"does not open the data key matching\.index"):
        load()


def test_an_index_saved_in_the_clear_by_an_older_version_is_refused(
    records: list[Record], tmp_path: Path
) -> None:
    where = tmp_path / "index"
    where.mkdir()
    (where / "index.json").write_text(
        json.dumps({"format": "detente-candidate-index/1", "vocabulary": ["jose"]})
    )
    with pytest.raises(ValueError, match="older version"):
        CandidateIndex.load(where, LinkageModel(), _loader(records))
    # `keys rotate --data` removes it; the next process builds and saves one sealed.
    assert reseal(where) is False and not where.exists()


def test_another_databases_index_is_refused_and_the_registry_rebuilds(
    records: list[Record], caplog: pytest.LogCaptureFixture
) -> None:
    where = registry.snapshot_path()
    CandidateIndex(LinkageModel(), records[:300]).save(where)
    # The data key it was sealed with is not in this database.
    DataKey.objects.filter(record_class=sealing.INDEX_CLASS).delete()
    ring.forget()
    with pytest.raises(ValueError, match="not in the database"):
        CandidateIndex.load(where, LinkageModel(), _loader(records))
    with caplog.at_level(logging.WARNING, logger="detente.matching.registry"):
        assert registry._RegistryIndex()._load() is None
    assert "ignoring the saved candidate index" in caplog.text
    assert len(registry.registry_index()) == 0  # built from this (empty) database


def test_after_rotate_data_the_saved_index_opens_and_is_sealed_again_with_the_new_key(
    records: list[Record],
) -> None:
    where = registry.snapshot_path()
    index = CandidateIndex(LinkageModel(), records[:300])
    index.save(where)
    old = ring.current(sealing.INDEX_CLASS).key_id

    def key_id() -> str | None:
        with (where / "index.sealed").open("rb") as handle:
            return ring.file_key_id(handle)

    assert key_id() == old
    call_command("keys", "rotate", "--data", "--keep-master", stdout=io.StringIO())
    ring.forget()
    new = ring.current(sealing.INDEX_CLASS).key_id
    assert new != old and key_id() == new
    query = records[5]
    loaded = CandidateIndex.load(where, LinkageModel(), _loader(records))
    assert [c.record.key for c in loaded.candidates(query)] == [
        c.record.key for c in index.candidates(query)
    ]
    # Saved with the previous key and never sealed again (a rotation cut short): still read.
    index.save(where)
    ring.new_version(sealing.INDEX_CLASS, master.configured())
    ring.forget()
    assert ring.current(sealing.INDEX_CLASS).key_id != key_id()
    assert len(CandidateIndex.load(where, LinkageModel(), _loader(records))) == 300


def test_the_registrys_saved_index_holds_none_of_its_names_and_is_read_back(
    actor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from detente.registry.services import person_create

    monkeypatch.setattr(registry, "SAVE_MIN_PEOPLE", 2)
    for given, paternal, maternal in (
        ("Yoandri", "Zabaleta", "Quiñones"),
        ("Maykel", "Ibargüengoitia", "Zabaleta"),
        ("Dayron", "Ibargüengoitia", "Oquendo"),
    ):
        person_create(
            actor=actor,
            given_names=given,
            paternal_surname=paternal,
            maternal_surname=maternal,
            municipality="Banes",
            province="Holguín",
        )
    query = registry.registry_index().records()[0]
    where = registry.snapshot_path()
    saved = _saved_bytes(where)
    sound_keys = {query.names[0].paternal_key, query.names[0].maternal_key}
    for text in ("Zabaleta", "Quiñones", "Ibarg", "Yoandri", "Banes", "yoandri", *sound_keys):
        assert text.encode() not in saved, text
    for key in sound_keys:
        assert _hash_bytes(key) not in saved
    # The next process reads it back (not built again) and answers the same.
    fresh = registry._RegistryIndex()
    loaded = fresh._load()
    assert loaded is not None and len(loaded) == 3
    assert [c.record.key for c in loaded.candidates(query)] == [
        c.record.key for c in registry.registry_index().candidates(query)
    ]
