"""Status words as lists write them, a mapping file's own value map, and the new columns
(arrest date, place of detention) without changing what earlier imports recognise."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from tests.reconcile.conftest import write_list
from tests.support import World

from detente.evidence.models import Claim
from detente.reconcile.models import ImportRun
from detente.reconcile.readers import ReadError, Row, read_rows
from detente.reconcile.rows import (
    AMBIGUOUS_STATUS,
    UNKNOWN_STATUS,
    Defaults,
    ParsedRow,
    RepeatedValues,
    StatusUnknown,
    parse_row,
    parse_status,
)
from detente.reconcile.vocabulary import AMBIGUOUS, STATUS_WORDS, fold, status_lookup
from detente.registry.status import CustodyStatus

WORDS = {
    "detained": [
        "Preso",
        "Presa",
        "PRESA",
        "En prisión",
        "en prision",
        "Encarcelado",
        "Encarcelada",
        "Detenido",
        "Detenida",
        "DETENIDA",
        "In prison",
        "Jailed",
        "Detained",
    ],
    "sentenced": ["Sancionado", "Sancionada", "sancionada", "Condenado", "Sentenced"],
    "awaiting_trial": [
        "Pendiente de juicio",
        "En espera de juicio",
        "EN ESPERA DE JUICIO",
        "Prisión provisional",
        "Awaiting trial",
    ],
    "house_arrest": ["Arresto domiciliario", "arresto  domiciliario", "House arrest"],
    "parole": [
        "Libertad condicional",
        "LIBERTAD CONDICIONAL",
        "Released on parole",
        "Excarcelado",
        "Excarcelada",
        "excarcelada",
    ],
    "extra_penal_licence": ["Licencia extrapenal", "Licencia extra-penal", "licencia extra penal"],
    "exiled": [
        "Desterrado",
        "Desterrada",
        "Exiled",
        "Deported",
        "Deportada",
        "Released into exile",
    ],
    "died_in_custody": [
        "Fallecido en prisión",
        "Fallecida en prision",
        "Muerto bajo custodia",
        "Muerta bajo custodia",
        "Died in custody",
    ],
    "disappeared": ["Desaparecido", "Desaparecida", "DESAPARECIDA", "Disappeared"],
    "pardoned": ["Indultado", "Indultada", "Amnistiado", "Amnistiada", "Pardoned"],
    "rearrested": [
        "Re-arrested",
        "Rearrested",
        "Detenido de nuevo",
        "Detenida de nuevo",
        "Rearrestado",
        "Re-arrestada",
    ],
    "unconditional_release": ["Cumplió condena", "Libertad incondicional"],
    "precautionary_measures": ["Medidas cautelares", "Libertad bajo fianza"],
    # The registry's own codes and labels, in both languages, still work.
    "non_custodial": ["non_custodial", "Non-custodial sentence", "Condena sin internamiento"],
}


@pytest.mark.parametrize(
    ("word", "status"), [(word, status) for status, words in WORDS.items() for word in words]
)
def test_status_words_as_lists_write_them(word: str, status: str) -> None:
    assert parse_status(word) == status


@pytest.mark.parametrize("word", ["Liberado", "Liberada", "Puesto en libertad", "Released"])
def test_words_that_do_not_say_on_what_terms_are_not_guessed(word: str) -> None:
    with pytest.raises(StatusUnknown) as caught:
        parse_status(word)
    assert caught.value.code == AMBIGUOUS_STATUS
    assert "does not say on what terms the person was released" in str(caught.value)
    # The list's own mapping file says what it means.
    assert parse_status(word, {fold(word): "unconditional_release"}) == "unconditional_release"


def test_an_unknown_word_names_the_codes_and_the_mapping_file() -> None:
    with pytest.raises(StatusUnknown) as caught:
        parse_status("Preso político")
    assert caught.value.code == UNKNOWN_STATUS
    assert "add it to the mapping file's values" in str(caught.value)
    assert "house_arrest" in str(caught.value)


def test_the_table_is_consistent() -> None:
    lookup = status_lookup()
    # Every status has words of its own; every word means one status.
    assert set(STATUS_WORDS) == set(CustodyStatus.values)
    for status, words in STATUS_WORDS.items():
        for word in words:
            assert lookup[fold(word)] == status, word
    # Words that are not guessed are not in the table under another spelling.
    assert not {fold(w) for w in AMBIGUOUS} & set(lookup)


def test_a_value_map_is_looked_up_first_and_ignores_case_accents_and_spaces() -> None:
    defaults = Defaults(values={"status": {"Preso político": "detained", "Excarcelado": "exiled"}})
    for text, expected in [
        ("PRESO POLITICO", "detained"),
        ("preso  político", "detained"),
        ("Excarcelado", "exiled"),  # the list's meaning wins over the table's
        ("Excarcelada", "parole"),  # another word: the table's
    ]:
        parsed = parse_row(Row(2, {"name": "Ana Díaz", "status": text}), _defaults(defaults))
        assert isinstance(parsed, ParsedRow), parsed
        assert parsed.status == expected, text


def _defaults(base: Defaults) -> Defaults:
    return Defaults(
        event_date=dt.date(2024, 5, 1),
        received_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        values=base.values,
    )


def test_an_import_with_a_value_map_records_the_mapped_statuses(
    tmp_path: Path, world: World
) -> None:
    mapping = tmp_path / "map.json"
    mapping.write_text(
        json.dumps(
            {
                "columns": {"name": "Nombre completo", "status": "Situación"},
                "values": {
                    "status": {"Preso político": "detained", "Liberado": "unconditional_release"}
                },
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    path = write_list(
        tmp_path / "a.csv",
        [
            {"Nombre completo": "Ana Díaz Mora", "Situación": "PRESO POLITICO"},
            {"Nombre completo": "Luis Mora Gil", "Situación": "liberado"},
            {"Nombre completo": "Eva Soto Paz", "Situación": "Excarcelada"},
        ],
        ["Nombre completo", "Situación"],
    )
    out = StringIO()
    call_command(
        "import",
        str(path),
        "--source",
        world.sources["ngo"].slug,
        "--mapping",
        str(mapping),
        "--event-date",
        "2024-05-01",
        "--json",
        stdout=out,
    )
    summary = json.loads(out.getvalue())
    assert summary["status"] == "completed" and summary["new"] == 3
    assert sorted(Claim.objects.values_list("status", flat=True)) == [
        "detained",
        "parole",
        "unconditional_release",
    ]
    # The import keeps the mapping as the file had it, value map included.
    assert ImportRun.objects.get().mapping == json.loads(mapping.read_text(encoding="utf-8"))


def test_repeated_values_are_counted_once_and_kept_in_row_order() -> None:
    repeated = RepeatedValues(limit=2)
    other = ReadError("bad date", row=3, column="birth_date")
    assert not repeated.add(other)
    for row, value in [(2, "Preso"), (4, "PRESO"), (5, "Libre"), (6, "otro")]:
        code = AMBIGUOUS_STATUS if value == "Libre" else UNKNOWN_STATUS
        assert repeated.add(ReadError("x", row=row, column="status", code=code, value=value))
    errors, left_off = repeated.merged(
        [{"row": 3, "column": "birth_date", "message": "bad date"}], limit=10
    )
    assert [(e["row"], e["column"]) for e in errors] == [
        (2, "status"),
        (3, "birth_date"),
        (5, "status"),
    ]
    assert "in 2 rows (rows 2, 4)" in errors[0]["message"]
    # A third value did not fit within the limit: it is counted as left off.
    assert left_off == 1


# --- The new columns ----------------------------------------------------------------------

PLAIN = {
    "name": "José Luis Gómez Vázquez",
    "birth_date": "1980-02-03",
    "province": "Holguín",
    "status": "detained",
    "event_date": "2024-05-01",
}
OLD_KEYS = {
    "person",
    "status",
    "event_date",
    "event_precision",
    "evidence_text",
    "evidence_url",
    "external_id",
}


def _parse(values: dict[str, str]) -> ParsedRow:
    parsed = parse_row(Row(2, values), Defaults(received_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)))
    assert isinstance(parsed, ParsedRow), parsed
    return parsed


def test_a_row_without_the_new_columns_has_the_data_and_hash_it_always_had() -> None:
    plain = _parse(PLAIN)
    assert set(plain.as_data()) == OLD_KEYS
    # Empty new columns (a list that has them, blank) change nothing either, so a list
    # imported before is still recognised row by row.
    blank = _parse({**PLAIN, "arrest_date": "", "place_of_detention": " "})
    assert blank.as_data() == plain.as_data()
    assert blank.row_hash == plain.row_hash


def test_the_arrest_and_the_place_are_read_and_kept() -> None:
    parsed = _parse(
        {**PLAIN, "arrest_date": "07/2021", "place_of_detention": "  Prisión  de Boniato "}
    )
    assert (parsed.arrest_date, parsed.arrest_precision) == (dt.date(2021, 7, 1), "month")
    assert parsed.place_of_detention == "Prisión de Boniato"
    data = parsed.as_data()
    assert set(data) == OLD_KEYS | {"arrest_date", "arrest_precision", "place_of_detention"}
    assert parsed.row_hash != _parse(PLAIN).row_hash
    again = ParsedRow.from_data(2, data)
    assert (again.arrest_date, again.arrest_precision, again.place_of_detention) == (
        dt.date(2021, 7, 1),
        "month",
        "Prisión de Boniato",
    )
    # Rows stored before the columns existed read back with none.
    old = ParsedRow.from_data(2, _parse(PLAIN).as_data())
    assert (old.arrest_date, old.place_of_detention) == (None, "")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"arrest_date": "2026-01-01"}, "is in the future"),
        ({"arrest_date": "1979"}, "before the birth date 1980-02-03"),
        (
            {"status": "unconditional_release", "event_date": "2023-05-01", "arrest_date": "2024"},
            "after the event date 2023-05-01",
        ),
        ({"arrest_date": "31/02/2021"}, "not a real date"),
        ({"arrest_date": "=NOW()"}, "starts with “=”"),
    ],
)
def test_impossible_arrest_dates_are_refused(
    tmp_path: Path, values: dict[str, str], message: str
) -> None:
    cells = {**PLAIN, **values}
    # Through the reader, so that the formula rule applies as in a real file.
    (row,) = read_rows(write_list(tmp_path / "a.csv", [cells], list(cells)))
    problems = parse_row(row, Defaults(received_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)))
    assert isinstance(problems, list)
    assert [(p.row, p.column) for p in problems] == [(2, "arrest_date")]
    assert message in str(problems[0])


def test_an_arrest_after_a_detention_report_is_not_refused() -> None:
    # "Detained" on the event date and arrested later may be a new arrest: not refused
    # here (only a release or a death cannot come before the arrest).
    parsed = _parse({**PLAIN, "event_date": "2021-01-01", "arrest_date": "2021-07-11"})
    assert parsed.arrest_date == dt.date(2021, 7, 11)
