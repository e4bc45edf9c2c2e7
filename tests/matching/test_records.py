"""Records as the engine sees them: dates with precision, names, aliases, free text."""

from __future__ import annotations

import pytest

from detente.matching.records import BirthDate, make_record, record_from_text


@pytest.mark.parametrize(
    ("text", "parts", "precision"),
    [
        ("1983", (1983, 0, 0), 1),
        ("1983-05", (1983, 5, 0), 2),
        ("1983-05-12", (1983, 5, 12), 3),
        ("19830512", (1983, 5, 12), 3),
        ("12/05/1983", (1983, 5, 12), 3),
        ("12.5.1983", (1983, 5, 12), 3),
        ("05/1983", (1983, 5, 0), 2),
        ("19831341", (1983, 13, 41), 3),  # a typo in an export: the digits are kept
    ],
)
def test_birth_dates_are_read_with_their_precision(
    text: str, parts: tuple[int, int, int], precision: int
) -> None:
    birth = BirthDate.parse(text)
    assert (birth.year, birth.month, birth.day) == parts
    assert birth.precision == precision


@pytest.mark.parametrize("text", ["", "yesterday", "1983-13-01", "31/13/1983", "83-05-12"])
def test_unreadable_birth_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        BirthDate.parse(text)


def test_a_record_normalises_its_fields_once() -> None:
    record = make_record(
        7,
        given="Ma. del Carmen",
        paternal="Rguez.",
        maternal="de la Cruz",
        birth="12/05/1983",
        place=("Plaza de la Revolución", "La Habana"),
        sex="f",
    )
    name = record.name
    assert name is not None
    assert (name.given, name.paternal, name.maternal) == ("maria del carmen", "rodriguez", "cruz")
    assert record.birth == BirthDate(1983, 5, 12)
    assert record.place == ("plaza de la revolucion", "cu-03")  # ISO 3166-2: La Habana
    assert record.sex == "F"


def test_an_unreadable_birth_date_counts_as_unknown() -> None:
    assert make_record(1, given="Ana", birth="sometime in the 80s").birth is None


def test_a_maternal_surname_alone_is_compared_as_the_only_surname() -> None:
    name = make_record(1, given="Ana", maternal="Cardet").name
    assert name is not None
    assert (name.paternal, name.maternal) == ("cardet", "")


def test_aliases_become_extra_names_and_a_bare_nickname_keeps_the_surnames() -> None:
    record = make_record(
        1, given="José", paternal="Pérez", maternal="Cardet", aliases=["Pepe", "Yoel Pérez"]
    )
    names = [(n.given, n.paternal, n.maternal) for n in record.names]
    assert names == [
        ("jose", "perez", "cardet"),
        ("pepe", "perez", "cardet"),
        ("yoel", "perez", ""),
    ]


def test_free_text_keeps_both_readings_when_the_order_is_unknown() -> None:
    record = record_from_text("Rodríguez Cardet Yoany")
    readings = {(n.given, n.paternal, n.maternal) for n in record.names}
    assert ("yoany", "rodriguez", "cardet") in readings
    comma = record_from_text("RODRÍGUEZ CARDET, Yoany")
    assert [(n.given, n.paternal, n.maternal) for n in comma.names] == [
        ("yoany", "rodriguez", "cardet")
    ]


def test_full_name_is_parsed_when_no_parts_are_given() -> None:
    name = make_record(1, full_name="PÉREZ GONZÁLEZ, José Luis").name
    assert name is not None
    assert (name.given, name.paternal, name.maternal) == ("jose luis", "perez", "gonzalez")
    first = make_record(2, full_name="Pérez González José Luis", surname_first=True).name
    assert first is not None and first.given == "jose luis"
