"""The linkage model: scores, explanations, term frequencies, calibration, estimation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.matching.model import FIELDS, LinkageModel, TermFrequencies
from detente.matching.records import Record, make_record

_UNACCENT = str.maketrans("áéíóúüñÁÉÍÓÚÜÑ", "aeiouunAEIOUUN")


def _person(key: object, given: str, paternal: str, maternal: str = "", **kw: object) -> Record:
    return make_record(key, given=given, paternal=paternal, maternal=maternal, **kw)  # type: ignore[arg-type]


def test_a_score_explains_every_field_and_adds_up() -> None:
    model = LinkageModel()
    a = _person(1, "Yoany", "Rguez", "Cardet", birth="1983-05-12", place=("Bauta", "Artemisa"))
    b = _person(2, "Yoani", "Rodríguez", "Cardet", birth="1983-12-05", place=("", "Artemisa"))
    score = model.score(a, b, population=1000)
    levels = {f.field: f.level for f in score.fields}
    assert levels == {
        "given_name": "phonetic",
        "surnames": "both_exact",
        "birth_date": "transposed",
        "place": "province",
        "sex": "missing",
    }
    total = score.prior_weight + sum(f.weight for f in score.fields)
    assert score.match_weight == pytest.approx(total)
    assert score.probability == pytest.approx(2**total / (1 + 2**total))
    assert score.probability > 0.9
    assert score.key == 2
    assert set(score.as_dict()) == {"probability", "match_weight", "prior_weight", "fields"}


def test_strangers_score_low_and_a_missing_field_weighs_nothing() -> None:
    model = LinkageModel()
    a = _person(1, "Pedro", "Ferrer", "Llanes", birth="1950-01-02", sex="M")
    b = _person(2, "Yusimí", "Oquendo", "Valdés", birth="1991-07-30", sex="F")
    assert model.probability(a, b, population=1000) < 0.001
    bare = _person(3, "Pedro", "Ferrer", "Llanes")
    missing = next(f for f in model.score(a, bare).fields if f.field == "birth_date")
    assert (missing.level, missing.weight) == ("missing", 0.0)


def test_agreeing_on_a_rare_surname_weighs_more_than_on_a_common_one() -> None:
    people = [_person(i, "Ana", "García", "Pérez") for i in range(40)]
    people += [_person(100, "Ana", "Cardet", "Oquendo")]
    tf = TermFrequencies.from_records(people)
    model = LinkageModel()
    common = model.score(_person("q", "Ana", "García", "Pérez"), people[0], tf)
    rare = model.score(_person("q", "Ana", "Cardet", "Oquendo"), people[-1], tf)
    surnames = {s.key: next(f for f in s.fields if f.field == "surnames") for s in (common, rare)}
    assert surnames[0].level == surnames[100].level == "both_exact"
    assert surnames[0].tf_adjustment < 0 < surnames[100].tf_adjustment
    assert rare.probability > common.probability


def test_term_frequencies_follow_additions_and_removals() -> None:
    tf = TermFrequencies()
    a, b = _person(1, "Ana", "Cardet"), _person(2, "Ana", "Pérez")
    tf.add(a)
    tf.add(b)
    assert tf.count("surnames", "kardet") == 1
    before = tf.adjustment("surnames", "peres")
    tf.add(_person(3, "Luis", "Pérez"))
    assert tf.adjustment("surnames", "peres") != before
    assert tf.agreement_chance("surnames") == pytest.approx((1 + 2**2) / 3**2)
    tf.remove(a)
    assert tf.count("surnames", "kardet") == 0
    assert tf.agreement_chance("surnames") == 1.0  # only Pérez is left


def test_the_same_pair_is_less_likely_in_a_larger_registry() -> None:
    model = LinkageModel()
    a, b = _person(1, "José", "Pérez", birth="1970"), _person(2, "José", "Pérez", birth="1970")
    assert model.probability(a, b, population=100) > model.probability(a, b, population=100_000)


def test_given_name_and_surname_columns_swapped_are_recognised() -> None:
    model = LinkageModel()
    a = _person(1, "Holly", "Webb", birth="1979-05-26")
    b = _person(2, "Webb", "Holly", birth="1979-05-26")
    score = model.score(a, b, population=1000)
    assert score.swapped
    assert score.probability > 0.5
    order = next(f for f in score.fields if f.field == "name_order")
    assert (order.level, order.weight) == ("swapped", -2.0)
    assert score.match_weight == pytest.approx(
        score.prior_weight + sum(f.weight for f in score.fields)
    )


def test_aliases_are_compared_and_the_best_name_counts() -> None:
    model = LinkageModel()
    registry = _person(1, "Francisco", "Soler", aliases=["Curro Soler Mesa"])
    score = model.score(_person("q", "Curro", "Soler", "Mesa"), registry, population=100)
    assert score.name_index == 1
    assert next(f for f in score.fields if f.field == "given_name").level == "exact"


def test_a_model_survives_a_round_trip_through_json() -> None:
    model = LinkageModel(place_parts=("suburb", "postcode", "state"), match_share=0.7)
    copy = LinkageModel.from_json(model.to_json())
    assert copy.weights() == model.weights()
    assert (copy.place_parts, copy.match_share) == (model.place_parts, 0.7)
    with pytest.raises(ValueError, match="not a Detente"):
        LinkageModel.from_dict({"format": "other"})


def test_expectation_maximisation_finds_the_matches_in_synthetic_vectors() -> None:
    rng = np.random.default_rng(3)
    model = LinkageModel()
    true_m = [0.9, 0.02, 0.02, 0.02, 0.02, 0.005, 0.005, 0.005, 0.005]
    true_u = model.u["given_name"]
    levels = len(true_m)
    matches, strangers = 3000, 30000
    given = np.r_[
        rng.choice(levels, matches, p=true_m),
        rng.choice(levels, strangers, p=np.asarray(true_u)),
    ]
    vectors = np.full((matches + strangers, len(FIELDS)), -1, dtype=np.int16)
    vectors[:, 0] = given
    expected = model.estimate_m(vectors, fields=["given_name"], fixed_u=True)
    assert expected == pytest.approx(matches, rel=0.1)
    assert model.m["given_name"][0] == pytest.approx(0.9, abs=0.05)


_NAMES = st.sampled_from(
    ["José Luis", "María del Carmen", "Yoany", "Ángel", "Bárbara", "Pedro", "Yusimí"]
)
_SURNAMES = st.sampled_from(["Pérez", "Núñez", "Rodríguez", "Cardet", "Valdés", "Ávila"])


@settings(max_examples=60)
@given(_NAMES, _SURNAMES, _SURNAMES, st.booleans(), st.booleans())
def test_case_accents_and_surname_order_do_not_change_the_verdict(
    given_name: str, paternal: str, maternal: str, upper: bool, swap: bool
) -> None:
    model = LinkageModel()
    registry = _person(1, given_name, paternal, maternal, birth="1980-02-03")
    text = [given_name, paternal, maternal]
    text = [t.translate(_UNACCENT) for t in text]
    if upper:
        text = [t.upper() for t in text]
    if swap:
        text = [text[0], text[2], text[1]]
    query = _person(2, *text, birth="1980-02-03")
    levels = {f.field: f.level for f in model.score(query, registry).fields}
    assert levels["given_name"] == "exact"
    expected = "both_swapped" if swap and paternal != maternal else "both_exact"
    assert levels["surnames"] == expected
    assert model.probability(query, registry, population=10_000) > 0.99
