"""Comparison levels: how two records agree on each field. Pure Python, no database."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from detente.matching import comparisons as cmp
from detente.matching.records import BirthDate, name_features


def _given(a: str, b: str) -> str:
    level, _ = cmp.given_level(name_features(a, "x", ""), name_features(b, "x", ""))
    return "missing" if level == cmp.MISSING else cmp.GIVEN[level].code


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("José Luis", "JOSE LUIS", "exact"),
        ("Pepe", "José", "nickname"),
        ("Maricarmen", "Ma. del Carmen", "nickname"),
        ("Miguelito", "Miguel", "nickname"),
        ("Yoany", "Yoani", "phonetic"),
        ("Yunior", "Junior", "phonetic"),
        ("Gerardo", "Jerardo", "phonetic"),
        ("Roberto", "Robreto", "typo"),
        ("José Luis", "José", "partial"),
        ("Luis", "José Luis", "partial"),
        ("Ernesto J.", "Ernesto Javier", "partial"),
        ("M.", "María del Carmen", "initial"),
        ("J. L.", "José Luis", "initial"),
        ("J.", "Pedro", "else"),
        ("Pedro", "Yusimí", "else"),
        ("", "Pedro", "missing"),
    ],
)
def test_given_name_levels(a: str, b: str, level: str) -> None:
    assert _given(a, b) == level


def _surnames(a: tuple[str, str], b: tuple[str, str]) -> str:
    level, _ = cmp.surname_level(name_features("Ana", *a), name_features("Ana", *b))
    return "missing" if level == cmp.MISSING else cmp.SURNAMES[level].code


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        (("Pérez", "González"), ("PEREZ", "GONZALEZ"), "both_exact"),
        (("Pérez", "González"), ("González", "Pérez"), "both_swapped"),
        (("Rguez.", "Glez."), ("Rodríguez", "González"), "both_exact"),
        (("Vázquez", "Llanes"), ("Vásquez", "Yanes"), "both_similar"),
        (("Pérez", "González"), ("Pérez", "G."), "one_other_close"),
        (("Pérez", "González"), ("Pérez", "Cardet"), "one_other_differs"),
        (("Pérez", ""), ("Pérez", "González"), "one_missing_exact"),
        (("Peres", ""), ("Pérez", "González"), "one_missing_similar"),
        (("González", ""), ("Pérez", "González"), "one_missing_crossed"),
        (("Cardet", ""), ("Cardet", ""), "one_missing_exact"),
        (("Pérez", "González"), ("Ferrer", "Cardet"), "else"),
        (("", ""), ("Pérez", ""), "missing"),
    ],
)
def test_surname_levels(a: tuple[str, str], b: tuple[str, str], level: str) -> None:
    assert _surnames(a, b) == level


_SURNAMES = st.sampled_from(
    ["Pérez", "González", "Cardet", "Llanes", "Rodríguez", "de la Cruz", "Valdés", ""]
)


@given(_SURNAMES, _SURNAMES, _SURNAMES, _SURNAMES)
def test_surname_order_does_not_hide_an_agreement(p1: str, m1: str, p2: str, m2: str) -> None:
    # Swapping one side's surnames never turns an agreement into a disagreement.
    a, b = name_features("Ana", p1, m1), name_features("Ana", p2, m2)
    swapped = name_features("Ana", m2, p2)
    agree = {cmp.S_BOTH_EXACT, cmp.S_BOTH_SWAPPED}
    if cmp.surname_level(a, b)[0] in agree:
        assert cmp.surname_level(a, swapped)[0] in agree


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("1983-05-12", "1983-05-12", "exact"),
        ("1983-05-12", "12/05/1983", "exact"),
        ("1983-05-12", "1983-12-05", "transposed"),
        ("1983-05", "1983-05-12", "to_month"),
        ("1983-05-12", "1983-05-20", "day_differs"),
        ("1983-05-12", "1988-05-12", "one_digit"),
        ("1983-05-12", "1983-06-12", "one_digit"),
        ("1983", "1983-05-12", "to_year"),
        ("1983-05-12", "1983-09-30", "month_differs"),
        ("1983-05-12", "1982-11-30", "year_off_by_one"),
        ("1983-05-12", "1961-01-02", "else"),
    ],
)
def test_birth_levels(a: str, b: str, level: str) -> None:
    found = cmp.birth_level(BirthDate.parse(a), BirthDate.parse(b))
    assert cmp.BIRTH[found].code == level
    assert cmp.birth_level(None, BirthDate.parse(b)) == cmp.MISSING


_DATES = st.builds(
    lambda y, m, d, p: BirthDate(y, m if p >= 2 else 0, d if p == 3 else 0),
    st.sampled_from([1979, 1980, 1981, 1989, 1990, 2008]),
    st.integers(1, 12),
    st.integers(1, 12),
    st.integers(1, 3),
)


@given(st.lists(st.tuples(st.none() | _DATES, st.none() | _DATES), min_size=1, max_size=40))
def test_vectorised_birth_levels_agree_with_the_scalar_ones(
    pairs: list[tuple[BirthDate | None, BirthDate | None]],
) -> None:
    def array(dates: list[BirthDate | None]) -> np.ndarray:
        rows = [(d.year, d.month, d.day, d.precision) if d else (0, 0, 0, 0) for d in dates]
        return np.asarray(rows, dtype=np.int64)

    left, right = [a for a, _ in pairs], [b for _, b in pairs]
    expected = [cmp.birth_level(a, b) for a, b in pairs]
    assert cmp.birth_levels(array(left), array(right)).tolist() == expected


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        (("Bauta", "Artemisa"), ("BAUTA", "Artemisa"), "municipality"),
        (("Camagüey", "Camagüey"), ("Camaguei", "Camagüey"), "municipality_similar"),
        (("Bauta", "Artemisa"), ("Mariel", "Artemisa"), "province"),
        (("", "Artemisa"), ("Mariel", "Artemisa"), "province"),
        (("Bauta", "Artemisa"), ("Moa", "Holguín"), "else"),
        (("", ""), ("Moa", "Holguín"), "missing"),
    ],
)
def test_place_levels(a: tuple[str, str], b: tuple[str, str], level: str) -> None:
    from detente.matching.records import make_record

    ra = make_record(1, given="Ana", place=a)
    rb = make_record(2, given="Ana", place=b)
    found, _ = cmp.place_level(ra.place, rb.place, 2)
    codes = cmp.place_levels(("municipality", "province"))
    assert ("missing" if found == cmp.MISSING else codes[found].code) == level
