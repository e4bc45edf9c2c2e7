"""Tests for the synthetic Cuban-style person generator used for demo and test data."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import random
import re
import statistics
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.demo import names
from detente.demo.names import (
    AFFILIATIONS,
    COINED_NAMES,
    CUBA_PROVINCES,
    MUNICIPALITIES,
    SURNAMES,
    PersonGenerator,
    SyntheticPerson,
)


@pytest.fixture(scope="module")
def crowd() -> list[SyntheticPerson]:
    return PersonGenerator(2014).people(5_000)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# --- Determinism ----------------------------------------------------------------------------


def test_same_seed_gives_identical_sequence() -> None:
    assert PersonGenerator(53).people(500) == PersonGenerator(53).people(500)


def test_sequence_does_not_depend_on_batching() -> None:
    batched = PersonGenerator(7)
    assert batched.people(3) + batched.people(4) == PersonGenerator(7).people(7)


def test_different_seeds_differ() -> None:
    first = PersonGenerator(1).people(50)
    second = PersonGenerator(2).people(50)
    assert sum(a == b for a, b in zip(first, second, strict=True)) < 5


def test_global_random_is_neither_used_nor_disturbed() -> None:
    random.seed(123)
    state = random.getstate()
    under_one_global_seed = PersonGenerator(9).people(200)
    assert random.getstate() == state
    random.seed(456)
    assert PersonGenerator(9).people(200) == under_one_global_seed


def test_output_does_not_depend_on_hash_randomisation() -> None:
    src_dir = Path(names.__file__).resolve().parents[2]
    script = (
        "import hashlib\n"
        "from detente.demo.names import PersonGenerator\n"
        "people = PersonGenerator(11).people(300)\n"
        "print(hashlib.sha256(repr(people).encode()).hexdigest())\n"
    )
    digests = set()
    for hash_seed in ("0", "1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(src_dir)}
        # Fixed argv: this interpreter and a literal script, no outside input.
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        digests.add(result.stdout.strip())
    expected = hashlib.sha256(repr(PersonGenerator(11).people(300)).encode()).hexdigest()
    assert digests == {expected}


# --- Geography ------------------------------------------------------------------------------


def test_geography_tables_are_consistent() -> None:
    assert len(CUBA_PROVINCES) == 16
    assert len(set(CUBA_PROVINCES)) == 16
    assert tuple(MUNICIPALITIES) == CUBA_PROVINCES
    assert MUNICIPALITIES["Isla de la Juventud"] == ("Isla de la Juventud",)
    for province, towns in MUNICIPALITIES.items():
        assert len(set(towns)) == len(towns), province
        if province != "Isla de la Juventud":
            assert 3 <= len(towns) <= 8, province


def test_every_municipality_belongs_to_its_province(crowd: list[SyntheticPerson]) -> None:
    for person in crowd:
        assert person.municipality in MUNICIPALITIES[person.province], person


def test_provinces_all_appear_and_havana_leads(crowd: list[SyntheticPerson]) -> None:
    counts = Counter(person.province for person in crowd)
    assert set(counts) == set(CUBA_PROVINCES)
    assert counts.most_common(1)[0][0] == "La Habana"
    assert counts["Isla de la Juventud"] < counts["Santiago de Cuba"] / 5


# --- Names ----------------------------------------------------------------------------------


def test_compound_given_names_share(crowd: list[SyntheticPerson]) -> None:
    compound = sum(" " in person.given_names for person in crowd) / len(crowd)
    assert 0.18 <= compound <= 0.32


def test_coined_names_mostly_for_people_born_from_1970(crowd: list[SyntheticPerson]) -> None:
    younger = [p for p in crowd if p.birth_date.year >= 1970]
    older = [p for p in crowd if p.birth_date.year < 1970]
    assert len(younger) > 1_000
    assert len(older) > 300
    coined_young = sum(p.given_names in COINED_NAMES for p in younger) / len(younger)
    coined_old = sum(p.given_names in COINED_NAMES for p in older) / len(older)
    assert 0.28 <= coined_young <= 0.42
    assert coined_old < 0.10


def test_coined_vocabulary_is_plausible() -> None:
    assert len(COINED_NAMES) >= 100
    for name in sorted(COINED_NAMES):
        assert re.fullmatch(r"[A-Z][a-záéíóúñ]{2,10}", name), name
        assert not re.search(r"([aeiou])\1", name), name  # no "Yaandri"
        assert not re.search(r"[aeiouáéíóú]{3}", name), name
        assert not re.search(r"[^aeiouáéíóúy]{4}", name.lower()), name


def test_given_names_follow_sex() -> None:
    generator = PersonGenerator(5)
    female = {generator.given_name("F") for _ in range(3_000)}
    male = {generator.given_name("M") for _ in range(3_000)}
    assert not female & male
    assert {"María del Carmen", "Yanelys"} <= female
    assert {"José Luis", "Yoandri"} <= male
    with pytest.raises(ValueError):
        generator.given_name("X")


def test_birth_year_steers_name_fashion() -> None:
    generator = PersonGenerator(8)
    old = [generator.given_name("M", 1950) for _ in range(2_000)]
    young = [generator.given_name("M", 1990) for _ in range(2_000)]
    assert sum(n in COINED_NAMES for n in old) < sum(n in COINED_NAMES for n in young) / 5
    # Era-specific traditional names: 1950s fathers' names vs 1990s ones.
    assert "Ramón" in old and "Ramón" not in young
    assert "Adrián" in young and "Adrián" not in old


def test_surnames_are_skewed(crowd: list[SyntheticPerson]) -> None:
    counts = Counter(p.paternal_surname for p in crowd)
    counts.update(p.maternal_surname for p in crowd if p.maternal_surname)
    assert set(counts) <= set(SURNAMES)
    per_surname = [counts[s] for s in SURNAMES]
    top_name, top_count = counts.most_common(1)[0]
    assert top_name in SURNAMES[:5]
    assert top_count >= 8 * statistics.median(per_surname)
    top_ten = sum(count for _, count in counts.most_common(10)) / counts.total()
    assert 0.25 <= top_ten <= 0.55
    assert {name for name, _ in counts.most_common(10)} <= set(SURNAMES[:15])
    assert counts["Cardet"] > 0  # the long tail is reachable


def test_surname_method_draws_from_vocabulary() -> None:
    generator = PersonGenerator(3)
    drawn = Counter(generator.surname() for _ in range(2_000))
    assert set(drawn) <= set(SURNAMES)
    assert drawn["Rodríguez"] > drawn["Cardet"]


def test_maternal_surname_sometimes_unknown() -> None:
    people = PersonGenerator(21).people(10_000)
    unknown = sum(p.maternal_surname == "" for p in people) / len(people)
    assert 0.005 <= unknown <= 0.04
    assert all(p.full_name.count(" ") >= 1 for p in people)


def test_full_names_unique_enough() -> None:
    people = PersonGenerator(99).people(10_000)
    with_date = Counter((p.full_name, p.birth_date) for p in people)
    assert sum(n - 1 for n in with_date.values()) / len(people) < 0.03
    by_name = Counter(p.full_name for p in people)
    assert sum(n - 1 for n in by_name.values()) / len(people) < 0.05


def test_full_name_format() -> None:
    person = SyntheticPerson(
        given_names="María del Carmen",
        paternal_surname="Pérez",
        maternal_surname="",
        sex="F",
        aliases=(),
        birth_date=dt.date(1980, 1, 1),
        birth_precision="year",
        province="La Habana",
        municipality="Centro Habana",
        affiliation="",
    )
    assert person.full_name == "María del Carmen Pérez"
    with_maternal = dataclasses.replace(person, maternal_surname="Cardet")
    assert with_maternal.full_name == "María del Carmen Pérez Cardet"


# --- Aliases --------------------------------------------------------------------------------


def test_alias_counts_and_kinds(crowd: list[SyntheticPerson]) -> None:
    lengths = Counter(len(p.aliases) for p in crowd)
    assert set(lengths) <= {0, 1, 2}
    with_alias = (lengths[1] + lengths[2]) / len(crowd)
    assert 0.25 <= with_alias <= 0.60
    assert lengths[2] > 0
    aliases = [(p, a) for p in crowd for a in p.aliases]
    folded = [a for p, a in aliases if a == _strip_accents(p.full_name)]
    nicknames = [a for p, a in aliases if a in {"Pepe", "Pepito", "Maricarmen", "Cachita"}]
    respelled = [
        a
        for p, a in aliases
        if p.given_names in COINED_NAMES and a.endswith(p.paternal_surname) and " " in a
    ]
    assert folded and nicknames and respelled


def test_known_hypocoristics_and_spellings() -> None:
    seen: dict[str, set[str]] = {}
    for person in PersonGenerator(4).people(40_000):
        first = person.given_names.split(" ")[0]
        for alias in person.aliases:
            seen.setdefault(person.given_names, set()).add(alias.split(" ")[0])
            seen.setdefault(first, set()).add(alias.split(" ")[0])
    assert "Pepe" in seen["José"]
    assert "Maricarmen" in seen["María del Carmen"]
    assert "Paco" in seen["Francisco"] or "Pancho" in seen["Francisco"]
    assert {"Yoany", "Yohani"} & seen["Yoani"]
    assert "Junior" in seen["Yunior"]
    assert "Yordanys" in seen["Yordanis"]


# --- Dates ----------------------------------------------------------------------------------


def test_birth_precision_is_coherent(crowd: list[SyntheticPerson]) -> None:
    for person in crowd:
        if person.birth_precision == "month":
            assert person.birth_date.day == 1
        elif person.birth_precision == "year":
            assert (person.birth_date.month, person.birth_date.day) == (1, 1)
        else:
            assert person.birth_precision == "day"
    shares = Counter(p.birth_precision for p in crowd)
    assert abs(shares["day"] / len(crowd) - 0.75) < 0.04
    assert abs(shares["month"] / len(crowd) - 0.10) < 0.03
    assert abs(shares["year"] / len(crowd) - 0.15) < 0.03
    # Day precision really uses the whole year, not just the 1st of each month.
    assert any(p.birth_date.day > 1 for p in crowd if p.birth_precision == "day")


def test_birth_years_skew_toward_1970_1995(crowd: list[SyntheticPerson]) -> None:
    years = [p.birth_date.year for p in crowd]
    assert min(years) >= 1940
    assert max(years) <= 2006
    core = sum(1970 <= y <= 1995 for y in years) / len(years)
    assert core > 0.55
    per_year_core = core / 26
    per_year_early = sum(y < 1955 for y in years) / len(years) / 15
    assert per_year_core > 3 * per_year_early


def test_affiliations(crowd: list[SyntheticPerson]) -> None:
    none = sum(p.affiliation == "" for p in crowd) / len(crowd)
    assert 0.35 <= none <= 0.45
    used = {p.affiliation for p in crowd if p.affiliation}
    assert used <= set(AFFILIATIONS)
    assert len(used) >= 10


# --- API edges and performance -------------------------------------------------------------


def test_people_count_edges() -> None:
    assert PersonGenerator(0).people(0) == []
    with pytest.raises(ValueError):
        PersonGenerator(0).people(-1)


# --- Property test --------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_every_person_is_well_formed(seed: int) -> None:
    for person in PersonGenerator(seed).people(25):
        assert person.sex in {"F", "M"}
        assert person.given_names
        assert person.paternal_surname
        for part in (person.given_names, person.paternal_surname, person.maternal_surname):
            assert part == part.strip()
            assert "  " not in part
            assert unicodedata.is_normalized("NFC", part)
        assert person.province in CUBA_PROVINCES
        assert person.municipality in MUNICIPALITIES[person.province]
        assert person.birth_precision in {"day", "month", "year"}
        assert dt.date(1940, 1, 1) <= person.birth_date <= dt.date(2006, 12, 31)
        assert person.affiliation == "" or person.affiliation in AFFILIATIONS
        assert len(person.aliases) <= 2
        assert len(set(person.aliases)) == len(person.aliases)
        for alias in person.aliases:
            assert alias
            assert alias == alias.strip()
            assert alias != person.full_name
        expected = " ".join(
            p for p in (person.given_names, person.paternal_surname, person.maternal_surname) if p
        )
        assert person.full_name == expected
