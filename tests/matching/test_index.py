"""The candidate index: top-k queries, kept current as records are added, renamed, removed."""

from __future__ import annotations

import dataclasses

from detente.demo.names import PersonGenerator
from detente.matching.index import CandidateIndex, blocking_keys
from detente.matching.records import Record, make_record, record_from_text


def _registry(n: int = 400, seed: int = 11) -> list[Record]:
    people = PersonGenerator(seed).people(n)
    return [
        make_record(
            i,
            given=p.given_names,
            paternal=p.paternal_surname,
            maternal=p.maternal_surname,
            birth=p.birth_date.isoformat() if p.birth_precision == "day" else None,
            place=(p.municipality, p.province),
            sex=p.sex,
        )
        for i, p in enumerate(people)
    ]


def test_the_person_meant_comes_first_despite_the_spelling() -> None:
    records = _registry()
    records.append(
        make_record("yoany", given="Yoany", paternal="Rodríguez", maternal="Cardet",
                    birth="1983-05-12", place=("Bauta", "Artemisa"))
    )  # fmt: skip
    index = CandidateIndex(records=records)
    for text in ("Yoani Rguez Cardet", "RODRIGUEZ CARDET, YOANY", "Cardet Rodríguez Yoany"):
        found = index.search(record_from_text(text, birth="1983"), limit=5)
        assert found[0].key == "yoany", text
        assert found[0].probability > 0.5


def test_a_renamed_person_is_found_under_the_new_name_only() -> None:
    index = CandidateIndex(records=_registry(200))
    index.add(make_record("p", given="Osmany", paternal="Quiala", birth="1975-03-02"))
    assert index.search(record_from_text("Osmany Quiala"), 1)[0].key == "p"
    index.update(make_record("p", given="Osmany", paternal="Zaldívar", birth="1975-03-02"))
    assert index.search(record_from_text("Osmany Zaldívar"), 1)[0].key == "p"
    assert all(s.key != "p" for s in index.search(record_from_text("Quiala"), 5))
    assert len(index) == 201


def test_removed_records_are_never_returned_and_compaction_keeps_the_rest() -> None:
    records = _registry(1200)
    index = CandidateIndex(records=records)
    for record in records[:900]:
        assert index.remove(record.key)
    assert not index.remove("not there")
    assert len(index) == 300
    kept = records[1000]
    found = index.search(kept, 3)
    assert found[0].key == kept.key
    assert all(s.key not in {r.key for r in records[:900]} for s in found)
    assert index.tf.count("surnames", kept.names[0].paternal_key) >= 1


def test_batch_blocking_finds_what_single_queries_find() -> None:
    records = _registry(300)
    index = CandidateIndex(records=records)
    queries = [records[i] for i in range(0, 300, 7)]
    many = index.candidate_records_many(queries, 10)
    for query, batch in zip(queries, many, strict=True):
        single = index.candidate_records(query, 10)
        assert batch[0].key == query.key == single[0].key


def test_a_record_filed_like_another_is_found_as_if_filed_alone() -> None:
    # A list import files each new person with the keys of the row it was made from
    # (``like``): the same contents under another key, so the same candidates, in order.
    records = _registry(300)
    plain, alike = CandidateIndex(), CandidateIndex()
    for record in records:
        plain.add(dataclasses.replace(record, key=("new", record.key)))
        alike.add(dataclasses.replace(record, key=("new", record.key)), like=record)
    queries = [records[i] for i in range(0, 300, 11)]
    assert [[r.key for r in row] for row in plain.candidate_records_many(queries, 8)] == [
        [r.key for r in row] for row in alike.candidate_records_many(queries, 8)
    ]
    assert alike.candidate_records(records[22], 1)[0].key == ("new", 22)


def test_blocking_keys_survive_accents_nicknames_and_swapped_columns() -> None:
    a = make_record(1, given="José", paternal="Núñez")
    b = make_record(2, given="Pepe", paternal="NUNEZ")
    c = make_record(3, given="Núñez", paternal="José")
    assert "n:nunes" in blocking_keys(a) & blocking_keys(b) & blocking_keys(c)
    assert "n:jose" in blocking_keys(a) & blocking_keys(b) & blocking_keys(c)
