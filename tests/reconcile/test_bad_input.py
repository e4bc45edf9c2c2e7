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
    rows = [dict(GOOD, status="freed-ish")] * 3 + [GOOD] + [dict(GOOD, name="")]
    summary = failed(write_list(tmp_path / "a.csv", rows), world)
    assert where(summary) == [(2, "status"), (3, "status"), (4, "status"), (6, "name")]
    assert "Unknown status “freed-ish”" in summary["errors"][0]["message"]


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
