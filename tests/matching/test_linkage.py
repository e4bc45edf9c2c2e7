"""Batch linkage on a small seeded benchmark: training, one-to-one links, duplicates."""

from __future__ import annotations

from bench.matching.bench_hispanic import detente_record
from bench.matching.hispanic import generate

from detente.matching.index import CandidateIndex
from detente.matching.linkage import block, duplicates, link, train
from detente.matching.model import LinkageModel
from detente.matching.records import make_record


def test_a_small_list_is_linked_to_its_registry_accurately() -> None:
    bench = generate(3000, 600, seed=5)
    index = CandidateIndex(LinkageModel(), [detente_record(r) for r in bench.registry])
    pairs = block(index, [detente_record(r) for r in bench.incoming])
    report = train(index, pairs)
    links = link(index, pairs)
    found = {(lk.left, lk.right) for lk in links}
    truth = bench.true_links
    true_positives = len(found & truth)
    f1 = 2 * true_positives / (len(found) + len(truth))
    assert f1 > 0.96
    # The estimated share of rows that are registry people is near the truth (80 %).
    assert 0.6 < report.match_share <= 1.0
    # One to one: no row and no registry person is linked twice.
    assert len({lk.left for lk in links}) == len({lk.right for lk in links}) == len(links)


def test_twins_cannot_both_take_the_same_row() -> None:
    twins = [
        make_record(k, given=g, paternal="Cardet", maternal="Oquendo", birth="1990-04-04",
                    place=("Moa", "Holguín"))
        for k, g in (("a", "José Luis"), ("b", "José Carlos"))
    ]  # fmt: skip
    index = CandidateIndex(LinkageModel(), twins)
    row = make_record("row", given="José Luis", paternal="Cardet", maternal="Oquendo",
                      birth="1990-04-04")  # fmt: skip
    links = link(index, block(index, [row]))
    assert [(lk.left, lk.right) for lk in links] == [("row", "a")]


def test_duplicates_in_the_registry_are_reported_once_best_first() -> None:
    people = [
        make_record(1, given="Yordanis", paternal="Frómeta", maternal="Pupo", birth="1979-02-11"),
        make_record(2, given="Yordanys", paternal="Frometa", maternal="Pupo", birth="1979-02-11"),
        make_record(3, given="Ana", paternal="Lazo", birth="1950-06-01"),
    ]
    found = duplicates(CandidateIndex(LinkageModel(), people))
    assert [{lk.left, lk.right} for lk in found] == [{1, 2}]
