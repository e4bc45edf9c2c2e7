"""Bad lists: each is refused with its row and column, and the database is left as it was."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from tests.reconcile.conftest import table_counts, write_list
from tests.support import World

from detente.evidence.models import Claim
from detente.registry.models import Person
from detente.registry.services import custody_episode_add

GOOD = {
    "name": "Ana Díaz Mora",
    "birth_date": "1980-01-02",
    "status": "detained",
    "event_date": "2024-05-01",
}


def failed(path: Path, world: World, *extra: str) -> dict[str, Any]:
    """Run the import expecting failure; return its JSON summary."""
    out = StringIO()
    before = table_counts()
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command(
            "import",
            str(path),
            "--source",
            world.sources["ngo"].slug,
            "--json",
            *extra,
            stdout=out,
        )
    assert table_counts() == before, "a failed import must leave every table as it was"
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def where(summary: dict[str, Any]) -> list[tuple[int | None, str | None]]:
    return [(e["row"], e["column"]) for e in summary["errors"]]


def test_malformed_dates_are_reported_with_row_and_column(tmp_path: Path, world: World) -> None:
    rows = [
        GOOD,
        dict(GOOD, birth_date="31/02/1980"),
        dict(GOOD, event_date="ayer"),
        dict(GOOD, name="Luis Mora", birth_date="1980-13-01"),
    ]
    summary = failed(write_list(tmp_path / "a.csv", rows), world)
    assert where(summary) == [(3, "birth_date"), (4, "event_date"), (5, "birth_date")]
    assert "not a real date" in summary["errors"][0]["message"]
    assert summary["rejected"] == 3 and summary["status"] == "failed"


def test_every_invalid_row_is_reported_not_just_the_first(tmp_path: Path, world: World) -> None:
    rows = [dict(GOOD, birth_date="1980-13-01")] * 3 + [GOOD] + [dict(GOOD, name="")]
    summary = failed(write_list(tmp_path / "a.csv", rows), world)
    assert where(summary) == [(2, "birth_date"), (3, "birth_date"), (4, "birth_date"), (6, "name")]
    assert summary["rejected"] == 4


def test_an_unknown_status_is_listed_once_with_its_rows(tmp_path: Path, world: World) -> None:
    rows = (
        [dict(GOOD, status="freed-ish")] * 3
        + [GOOD, dict(GOOD, name="")]
        + [dict(GOOD, status="FREED ISH")]  # the same value, written another way
        + [dict(GOOD, status="Liberado")]
    )
    summary = failed(write_list(tmp_path / "a.csv", rows), world)
    assert where(summary) == [(2, "status"), (6, "name"), (8, "status")]
    assert summary["errors"][0]["message"] == (
        "Unknown status “freed-ish” in 4 rows (rows 2, 3, 4, 7); add it to the mapping "
        "file's values or use one of: detained, awaiting_trial, sentenced, house_arrest, "
        "non_custodial, parole, extra_penal_licence, precautionary_measures, "
        "unconditional_release, pardoned, exiled, died_in_custody, disappeared, rearrested."
    )
    # "Liberado" is not guessed: it does not say whether the release was conditional.
    assert summary["errors"][2]["message"].startswith(
        "“Liberado” (in 1 row: row 8) does not say on what terms the person was released"
    )
    assert summary["rejected"] == 6


def test_a_thousand_rows_with_one_unknown_status_make_one_error(
    tmp_path: Path, world: World
) -> None:
    rows = [dict(GOOD, name=f"Persona Número{i}", status="Preso politico") for i in range(1204)]
    summary = failed(write_list(tmp_path / "a.csv", rows), world)
    assert len(summary["errors"]) == 1 and summary["warnings"] == []
    assert summary["errors"][0]["message"].startswith(
        "Unknown status “Preso politico” in 1,204 rows (rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, …)"
    )
    assert summary["rejected"] == 1204


def test_statuses_may_be_written_as_labels_in_either_language(tmp_path: Path, world: World) -> None:
    rows = [
        dict(GOOD, status="House arrest"),
        dict(GOOD, name="Luis Mora", birth_date="1961", status="Arresto domiciliario"),
        dict(GOOD, name="Eva Soto", birth_date="1999", status="HOUSE-ARREST"),
    ]
    out = StringIO()
    call_command(
        "import",
        str(write_list(tmp_path / "a.csv", rows)),
        "--source",
        world.sources["ngo"].slug,
        "--json",
        stdout=out,
    )
    summary = json.loads(out.getvalue())
    assert summary["status"] == "completed" and summary["rejected"] == 0
    assert set(Claim.objects.values_list("status", flat=True)) == {"house_arrest"}


def test_missing_required_columns(tmp_path: Path, world: World) -> None:
    # No name column at all.
    summary = failed(
        write_list(tmp_path / "a.csv", [{"province": "Holguín"}], ["province", "status"]), world
    )
    assert where(summary) == [(1, None)]
    assert "No name column" in summary["errors"][0]["message"]
    # No status column and no --status: every row says so.
    summary = failed(write_list(tmp_path / "b.csv", [GOOD, GOOD], ["name", "event_date"]), world)
    assert where(summary) == [(2, "status"), (3, "status")]
    assert "--status" in summary["errors"][0]["message"]


def test_command_line_defaults_fill_missing_columns(tmp_path: Path, world: World) -> None:
    out = StringIO()
    path = write_list(tmp_path / "a.csv", [GOOD], ["name"])
    call_command(
        "import",
        str(path),
        "--source",
        world.sources["ngo"].slug,
        "--status",
        "detained",
        "--event-date",
        "2024-03",
        "--json",
        stdout=out,
    )
    assert json.loads(out.getvalue())["new"] == 1
    with pytest.raises(CommandError, match="--status"):
        call_command(
            "import", str(path), "--source", world.sources["ngo"].slug, "--status", "on holiday"
        )


def test_formulas_in_cells_are_refused(tmp_path: Path, world: World) -> None:
    rows = [
        GOOD,
        dict(GOOD, name='=HYPERLINK("http://evil.example","x")'),
        dict(GOOD, name="Luis Mora", province="@SUM(A1)"),
    ]
    summary = failed(write_list(tmp_path / "a.csv", rows, [*rows[0], "province"]), world)
    assert where(summary) == [(3, "name"), (4, "province")]
    assert "formula" in summary["errors"][0]["message"]


def test_wrong_encoding_names_the_row(tmp_path: Path, world: World) -> None:
    path = tmp_path / "a.csv"
    lines = ["name,status,event_date"] + [
        f"Persona Numero{i},detained,2024-01-01" for i in range(50)
    ]
    lines.append("Ángel Peña,detained,2024-01-01")
    path.write_bytes("\n".join(lines).encode("cp1252"))
    summary = failed(path, world, "--encoding", "utf-8")
    assert where(summary) == [(52, None)]
    assert "--encoding" in summary["errors"][0]["message"]


def test_a_future_event_date_is_refused(tmp_path: Path, world: World) -> None:
    summary = failed(write_list(tmp_path / "a.csv", [dict(GOOD, event_date="2999-01-01")]), world)
    assert where(summary) == [(2, "event_date")]


def test_a_release_before_the_arrest_fails_the_whole_import(
    tmp_path: Path, world: World, registry: dict[str, Person]
) -> None:
    import datetime as dt

    jose = registry["jose"]
    custody_episode_add(
        actor=world.actor, person=jose, status="sentenced", start_date=dt.date(2023, 1, 1)
    )
    rows = [
        GOOD,  # a new person, fine on its own
        {
            "name": "José Luis Gómez Vázquez",
            "birth_date": "1980-02-03",
            "province": "Holguín",
            "municipality": "Banes",
            "status": "unconditional_release",
            "event_date": "2020-01-01",
        },
    ]
    summary = failed(write_list(tmp_path / "a.csv", rows), world)
    assert where(summary) == [(3, "event_date")]
    assert "before the arrest" in summary["errors"][0]["message"]


def test_unknown_source_changes_nothing(tmp_path: Path, world: World) -> None:
    before = table_counts()
    with pytest.raises(CommandError, match="no source"):
        call_command("import", str(write_list(tmp_path / "a.csv", [GOOD])), "--source", "nope")
    assert table_counts() == before


# --- Bad files: refused whole, nothing written ----------------------------------------------


def test_json_numbers_and_objects_where_text_belongs(tmp_path: Path, world: World) -> None:
    path = tmp_path / "list.json"
    path.write_text(
        json.dumps(
            [
                dict(GOOD),
                dict(GOOD, name=12345),
                dict(GOOD, name="Luis Mora", birth_date=1980),
                dict(GOOD, name="Eva Soto", status={"code": "detained"}),
                dict(GOOD, name="Rosa Paz", aliases=["Rosi", None]),
                dict(GOOD, name="Pedro Gil", aliases=["Pedrito"], external_id=17),
            ]
        )
    )
    summary = failed(path, world)
    assert where(summary) == [(2, "name"), (3, "birth_date"), (4, "status"), (5, "aliases")]
    assert summary["errors"][0]["message"] == "Expected text, got a number (12345)."
    assert summary["errors"][2]["message"] == "Expected text, got an object."


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("shape.json", json.dumps([GOOD, "Ana Díaz"]), "Expected an object (one person)"),
        ("renamed.xlsx", "name,status\nAna Díaz,detained\n", "it is a text file"),
        ("mixed.csv", b"name,status,event_date\nMar\x92a Soto,detained,2024\n", "Cannot tell"),
    ],
)
def test_files_that_cannot_be_read_are_refused_clearly(
    tmp_path: Path, world: World, name: str, content: str | bytes, message: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    summary = failed(path, world)
    assert len(summary["errors"]) == 1
    assert message in summary["errors"][0]["message"]


def test_duplicate_headers_and_ragged_rows(tmp_path: Path, world: World) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("name,status,Status,event_date\nAna Díaz,detained,detained,2024-05-01\n")
    summary = failed(path, world)
    assert where(summary) == [(1, None)]
    assert "Columns 2 and 3 are all headed “status”" in summary["errors"][0]["message"]

    path = tmp_path / "ragged.csv"
    path.write_text(
        "name,status,event_date\n"
        "Ana Díaz,detained,2024-05-01\n"
        "Díaz, Luis,detained,2024-05-01\n"  # an unquoted comma
        "Eva Soto,detained\n"  # a dropped trailing cell: it takes --event-date
    )
    summary = failed(path, world, "--event-date", "2024-01-01")
    assert where(summary) == [(3, None)]
    assert "The row has 4 cells but the header has 3" in summary["errors"][0]["message"]


def test_the_formula_rule_and_the_dash_placeholder(tmp_path: Path, world: World) -> None:
    rows = [
        dict(GOOD, name="+Pérez Díaz"),
        dict(GOOD, name="-Ana Díaz"),
        dict(GOOD, name="Luis Mora", birth_date="-2020"),
        dict(GOOD, name="Eva Soto", evidence="+53 5 555 1234", birth_date="-"),
    ]
    columns = ["name", "birth_date", "status", "event_date", "evidence"]
    summary = failed(write_list(tmp_path / "a.csv", rows, columns), world)
    # The last row is fine: free text keeps the sign, "-" is an empty birth date.
    assert where(summary) == [(2, "name"), (3, "name"), (4, "birth_date")]
    assert "starts with “+”" in summary["errors"][0]["message"]


def test_a_mapping_with_a_value_that_is_not_a_status_is_refused_before_reading(
    tmp_path: Path, world: World
) -> None:
    mapping = tmp_path / "map.json"
    mapping.write_text(
        json.dumps({"values": {"status": {"En la calle": "conditional_release"}}}),
        encoding="utf-8",
    )
    summary = failed(write_list(tmp_path / "a.csv", [GOOD]), world, "--mapping", str(mapping))
    assert where(summary) == [(None, None)]
    assert "“conditional_release”, which is not a status" in summary["errors"][0]["message"]
    assert summary["rows"] == 0


def test_arrest_dates_and_places_are_checked(tmp_path: Path, world: World) -> None:
    rows = [
        dict(GOOD, arrest_date="2021-07-11", place_of_detention="Prisión de Boniato"),
        dict(GOOD, name="Luis Mora", arrest_date="2999-01-01"),
        dict(GOOD, name="Eva Soto", status="parole", event_date="2022-01-01", arrest_date="2023"),
        dict(GOOD, name="Rosa Paz", place_of_detention="x" * 161),
        dict(GOOD, name="Pedro Gil", arrest_date="1970", birth_date="1980-01-02"),
        # Known to the year only, the release may well follow the arrest: fine.
        dict(GOOD, name="Juan Rey", status="parole", arrest_date="11/07/2021", event_date="2021"),
        dict(GOOD, name="Ada Luz", arrest_date="ayer"),
    ]
    columns = ["name", "birth_date", "status", "event_date", "arrest_date", "place_of_detention"]
    summary = failed(write_list(tmp_path / "a.csv", rows, columns), world)
    assert where(summary) == [
        (3, "arrest_date"),
        (4, "arrest_date"),
        (5, "place_of_detention"),
        (6, "arrest_date"),
        (8, "arrest_date"),
    ]
    messages = [e["message"] for e in summary["errors"]]
    assert "2999-01-01 is in the future" in messages[0]
    assert "after the event date 2022-01-01" in messages[1]
    assert "longer than 160 characters" in messages[2]
    assert "before the birth date" in messages[3]
