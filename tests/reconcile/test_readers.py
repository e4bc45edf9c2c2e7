"""Reading other organisations' lists: encodings, delimiters, Excel, JSON, formulas."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from detente.reconcile.readers import (
    ReadError,
    Row,
    load_mapping,
    looks_like_formula,
    neutralise,
    read_rows,
    write_csv,
)

HEADER = "name,birth_date,province\n"
BODY = "José Pérez Núñez,1980-02-03,Holguín\nMaría Güell,1975,La Habana\n"


def rows(path: Path, **kwargs: object) -> list[Row]:
    return list(read_rows(path, **kwargs))  # type: ignore[arg-type]


def names(path: Path, **kwargs: object) -> list[str]:
    return [r.values["name"] for r in rows(path, **kwargs)]


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le-bom", "utf-16-be-bom"]
)
def test_csv_in_every_common_encoding_is_read_with_its_accents(
    tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "list.csv"
    text = HEADER + BODY
    if encoding == "utf-16-le-bom":
        data = b"\xff\xfe" + text.encode("utf-16-le")
    elif encoding == "utf-16-be-bom":
        data = b"\xfe\xff" + text.encode("utf-16-be")
    else:
        data = text.encode(encoding)
    path.write_bytes(data)
    found = rows(path)
    assert [r.values["name"] for r in found] == ["José Pérez Núñez", "María Güell"]
    assert found[0].values["province"] == "Holguín"
    assert [r.number for r in found] == [2, 3]


def test_excel_windows_line_ends_and_semicolons(tmp_path: Path) -> None:
    # What Excel on a Spanish-language Windows saves as "CSV": cp1252, ';', CRLF.
    path = tmp_path / "excel.csv"
    path.write_bytes("nombre;provincia\r\nÁngel Muñoz;Camagüey\r\n".encode("cp1252"))
    found = rows(path, mapping={"name": "nombre", "province": "provincia"})
    assert found[0].values == {"name": "Ángel Muñoz", "province": "Camagüey"}


def test_a_quoted_cell_spanning_lines_counts_as_one_row(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text('name,evidence\n"Ana Díaz","line one\nline two"\nLuis Mora,x\n')
    found = rows(path)
    assert [(r.number, r.values["name"]) for r in found] == [(2, "Ana Díaz"), (3, "Luis Mora")]
    assert found[0].values["evidence"] == "line one\nline two"


def test_the_wrong_encoding_names_the_row_of_the_bad_byte(tmp_path: Path) -> None:
    # A cp1252 file read as UTF-8: the error points at the row, not at the 8 KiB block.
    path = tmp_path / "latin.csv"
    lines = [f"Persona Numero{i},1980" for i in range(2000)]
    lines[1499] = "Ángel Peña,1980"
    path.write_bytes(("name,birth_date\n" + "\n".join(lines) + "\n").encode("cp1252"))
    with pytest.raises(ReadError) as caught:
        rows(path, encoding="utf-8")
    assert caught.value.row == 1501
    assert "cp1252" in str(caught.value) and "row 1501" in str(caught.value)


def test_a_bad_byte_beyond_the_sniffed_head_is_still_found_with_its_row(tmp_path: Path) -> None:
    filler = "".join(f"Nombre Apellido{i},1980\n" for i in range(4000))  # > 64 KiB of UTF-8
    path = tmp_path / "late.csv"
    path.write_bytes(b"name,birth_date\n" + filler.encode() + "Peña Ruiz,1980\n".encode("cp1252"))
    with pytest.raises(ReadError) as caught:
        rows(path)
    assert caught.value.row == 4002


def test_unknown_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(HEADER + BODY)
    with pytest.raises(ReadError, match="Unknown encoding"):
        rows(path, encoding="klingon-8")


def test_missing_name_column_is_reported_with_the_headers_found(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("nombre,provincia\nAna,Holguín\n")
    with pytest.raises(ReadError) as caught:
        rows(path)
    assert caught.value.row == 1 and "nombre, provincia" in str(caught.value)


def test_headers_are_matched_ignoring_case_spaces_and_a_stray_bom(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("\ufeff Name ,Birth_Date\nAna Díaz,1980\n".encode())
    assert rows(path, encoding="utf-8")[0].values == {"name": "Ana Díaz", "birth_date": "1980"}


def test_blank_lines_are_skipped_but_rows_keep_their_spreadsheet_numbers(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("name\nAna Díaz\n\n,\nLuis Mora\n")
    assert [(r.number, r.values["name"]) for r in rows(path)] == [(2, "Ana Díaz"), (5, "Luis Mora")]


def test_formulas_are_refused_in_data_cells_and_kept_as_text_in_free_text(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        'name,province,evidence\n=HYPERLINK("http://x"),Holguín,=SUM(1)\n'
        "Ana Díaz,@foo,-note\nLuis Mora,Holguín,+53 555\n"
    )
    found = rows(path)
    assert [(p.row, p.column) for r in found for p in r.problems] == [
        (2, "name"),
        (3, "province"),
    ]
    assert found[0].values["evidence"] == "=SUM(1)"  # kept as text, no problem
    assert found[2].problems == ()


def test_an_overlong_cell_is_a_problem_of_its_row_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(f"name\n{'x' * 600}\nAna Díaz\n")
    found = rows(path)
    assert [(p.row, p.column) for p in found[0].problems] == [(2, "name")]
    assert found[1].values["name"] == "Ana Díaz"


def test_xlsx_written_by_openpyxl(tmp_path: Path) -> None:
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Nombre completo", "Nacimiento", "Provincia"])
    sheet.append(["José Pérez Núñez", dt.date(1980, 2, 3), "Holguín"])
    sheet.append([None, None, None])
    sheet.append(["Ana Díaz", 1975, "Granma"])
    sheet.append(["=1+1", None, None])
    path = tmp_path / "list.xlsx"
    book.save(path)
    mapping = {"name": "Nombre completo", "birth_date": "Nacimiento", "province": "Provincia"}
    found = rows(path, mapping=mapping)
    assert [(r.number, r.values["name"], r.values["birth_date"]) for r in found] == [
        (2, "José Pérez Núñez", "1980-02-03"),
        (4, "Ana Díaz", "1975"),
        (5, "=1+1", ""),
    ]
    assert [(p.row, p.column) for p in found[2].problems] == [(5, "name")]


def test_a_corrupt_xlsx_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ReadError, match="Not a readable Excel file"):
        rows(path)


def test_json_list_of_objects_and_people_wrapper(tmp_path: Path) -> None:
    data = [
        {"name": "José Pérez", "birth_date": "1980-02-03", "aliases": ["Pepe", "Pepito"]},
        {"name": "Ana Díaz", "extra": {"x": 1}},
    ]
    path = tmp_path / "list.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    found = rows(path)
    assert found[0].values["aliases"] == "Pepe; Pepito"
    assert found[1].values["birth_date"] == ""
    assert [r.number for r in found] == [1, 2]
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"people": data}))
    assert names(wrapped) == ["José Pérez", "Ana Díaz"]


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", "Not valid JSON at line 1"), ('{"a": 1}', "must be a list of objects")],
)
def test_bad_json_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "list.json"
    path.write_text(text)
    with pytest.raises(ReadError, match=message):
        rows(path)


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "list.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ReadError, match="Unknown file format"):
        rows(path)
    with pytest.raises(ReadError, match="No such file"):
        rows(tmp_path / "nope.csv")
    # The format can be forced for a file without a telling suffix.
    other = tmp_path / "export.dat"
    other.write_text(HEADER + BODY)
    assert len(rows(other, fmt="csv")) == 2


def test_mapping_file(tmp_path: Path) -> None:
    good = tmp_path / "map.json"
    good.write_text(json.dumps({"name": "Nombre", "birth_date": "Fecha de nacimiento"}))
    assert load_mapping(good) == {"name": "Nombre", "birth_date": "Fecha de nacimiento"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"nombre": "Nombre"}))
    with pytest.raises(ReadError, match="unknown columns: nombre"):
        load_mapping(bad)
    broken = tmp_path / "broken.json"
    broken.write_text("[1, 2]")
    with pytest.raises(ReadError, match="JSON object"):
        load_mapping(broken)
    data = tmp_path / "a.csv"
    data.write_text("Nombre\nAna\n")
    with pytest.raises(ReadError, match="which the file lacks"):
        rows(data, mapping={"name": "Nombre", "birth_date": "Fecha"})


def test_export_neutralises_formulas_and_keeps_accents_for_excel() -> None:
    text = write_csv(
        [
            {"name": "=cmd|'/c calc'!A1", "note": "@SUM(1)"},
            {"name": "=1+1", "note": "-2"},
            {"name": "José", "note": "ok"},
        ],
        ["name", "note"],
    )
    assert text.startswith("\ufeff")
    parsed = list(csv.reader(io.StringIO(text[1:])))
    assert parsed[1] == ["'=cmd|'/c calc'!A1", "'@SUM(1)"]
    assert parsed[2] == ["'=1+1", "'-2"]
    assert parsed[3] == ["José", "ok"]
    assert neutralise("Pérez") == "Pérez"
    assert neutralise("  =1+1") == "'  =1+1"  # leading spaces do not hide a formula


def test_what_looks_like_a_formula() -> None:
    assert looks_like_formula("=1+1") and looks_like_formula("@x") and looks_like_formula("-A1")
    assert not looks_like_formula("+53 5555") and not looks_like_formula("-")
    assert not looks_like_formula("Ana")
