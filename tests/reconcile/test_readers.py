"""Reading other organisations' lists: encodings, delimiters, Excel, JSON, formulas."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

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
    # The first 64 KiB is UTF-8 with accents (conclusive); a cp1252 cell pasted later is
    # reported at its row, not read as something else.
    filler = "".join(f"Núñez Apellido{i},1980\n" for i in range(4000))  # > 64 KiB of UTF-8
    path = tmp_path / "late.csv"
    path.write_bytes(b"name,birth_date\n" + filler.encode() + "Peña Ruiz,1980\n".encode("cp1252"))
    with pytest.raises(ReadError) as caught:
        rows(path)
    assert caught.value.row == 4002
    assert "--encoding" in str(caught.value)


def test_an_ascii_head_is_inconclusive_so_the_whole_file_is_weighed(tmp_path: Path) -> None:
    # 64 KiB of plain ASCII says nothing; the accents after it say cp1252.
    filler = "".join(f"Nombre Apellido{i},1980\n" for i in range(4000))
    path = tmp_path / "late.csv"
    path.write_bytes(b"name,birth_date\n" + filler.encode() + "Peña Ruiz,1980\n".encode("cp1252"))
    assert names(path)[-1] == "Peña Ruiz"


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
    assert load_mapping(good).columns == {"name": "Nombre", "birth_date": "Fecha de nacimiento"}
    assert load_mapping(good).values == {}
    assert load_mapping(None).columns == {}
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
    # Any text a spreadsheet would run: its first character decides, numbers included.
    for text in ("=1+1", "@x", "-A1", "+53 5555", "-5", "-2020", "+Pérez", "-Ana", "\tx", "--"):
        assert looks_like_formula(text), text
    # The lone dash is the "no value" placeholder, not a formula.
    for text in ("-", "Ana", "Pérez-Díaz", "", "53-5555"):
        assert not looks_like_formula(text), text


# --- Encodings: chosen on evidence, or refused ----------------------------------------------

# "name" and a name, in Russian.
CYRILLIC = "\u0438\u043c\u044f\n\u0418\u0432\u0430\u043d \u041f\u0435\u0442\u0440\u043e\u0432\n"
SPANISH = "name,province\nJosé Pérez Núñez,Holguín\nMaría Güell,La Habana\nÁngel Muñoz,Camagüey\n"


@pytest.mark.parametrize("encoding", ["cp1252", "mac_roman", "latin-1"])
def test_single_byte_encodings_are_told_apart_by_their_spanish_letters(
    tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(SPANISH.encode(encoding))
    assert names(path) == ["José Pérez Núñez", "María Güell", "Ángel Muñoz"]
    assert rows(path)[0].values["province"] == "Holguín"


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        # A Mac file whose only non-ASCII letter is ñ: in Windows-1252 the byte is an en
        # dash inside a word ("Pe\u2013a").
        ("name\nPeña\n", "mac_roman", "Peña"),
        # A Windows file whose only non-ASCII text is an en dash between numbers: in
        # MacRoman it would be an "ñ" standing alone.
        ("name,evidence\nAna Díaz,2020\u20132021\n", "cp1252", "Ana Díaz"),
        # A typographic apostrophe: MacRoman would read a small "í" between capitals.
        ("name\nJuan O\u2019Farrill\n", "cp1252", "Juan O\u2019Farrill"),
        # Upper-case lists.
        ("name\nJOSÉ PÉREZ NÚÑEZ\n", "cp1252", "JOSÉ PÉREZ NÚÑEZ"),
        ("name\nJOSÉ PÉREZ NÚÑEZ\n", "mac_roman", "JOSÉ PÉREZ NÚÑEZ"),
    ],
)
def test_little_evidence_still_decides_when_one_reading_is_clearly_text(
    tmp_path: Path, text: str, encoding: str, expected: str
) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(text.encode(encoding))
    assert names(path) == [expected]


def test_bytes_that_read_as_words_in_two_encodings_are_refused_naming_both(
    tmp_path: Path,
) -> None:
    # 0x92 is an apostrophe in Windows-1252 and "í" in MacRoman: "Mar\u2019a" or "María"?
    path = tmp_path / "list.csv"
    path.write_bytes(b"name\nMar\x92a\n")
    with pytest.raises(ReadError) as caught:
        rows(path)
    message = str(caught.value)
    assert (
        "Cannot tell whether this file is Windows-1252 (“Mar\u2019a”) or MacRoman (“María”)"
        in message
    )
    assert "--encoding cp1252 or mac_roman" in message
    # The user says which, and that wins.
    assert names(path, encoding="mac_roman") == ["María"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        # Cyrillic in Windows-1251: every candidate reads it as odd letters.
        (CYRILLIC.encode("cp1251"), "Cannot tell whether this file is"),
        # DOS (cp850) Spanish: MacRoman reads symbols, Windows-1252 has an undefined byte.
        ("name\nGüell Peña\n".encode("cp850"), "Cannot tell whether this file is MacRoman"),
        # UTF-16 without a byte-order mark.
        (SPANISH.encode("utf-16-le"), "NUL bytes"),
    ],
)
def test_files_in_other_encodings_are_refused_not_garbled(
    tmp_path: Path, data: bytes, message: str
) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(data)
    with pytest.raises(ReadError, match=message) as caught:
        rows(path)
    assert caught.value.row == 1 and "--encoding" in str(caught.value)


def test_a_utf8_character_cut_at_the_sample_edge_is_not_refused(tmp_path: Path) -> None:
    # "é" is two bytes in UTF-8; the first lands on the last byte of the 64 KiB sample.
    from detente.reconcile.encodings import SAMPLE

    first = "name\n" + "x" * (SAMPLE - len("name\n") - 1)
    path = tmp_path / "list.csv"
    path.write_bytes(first.encode() + "é Núñez\nAna Díaz\n".encode())
    assert len(first.encode()) == SAMPLE - 1
    assert names(path)[-1] == "Ana Díaz"


def test_an_explicit_encoding_always_wins(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(SPANISH.encode("cp1252"))
    # Detection would say cp1252; the user says latin-1 (the same letters here).
    assert names(path, encoding="latin-1")[0] == "José Pérez Núñez"
    # And a file detection refuses is read as the user says.
    path.write_bytes(CYRILLIC.encode("cp1251"))
    found = rows(path, encoding="cp1251", mapping={"name": CYRILLIC.split()[0]})
    assert [r.values["name"] for r in found] == [CYRILLIC.split("\n")[1]]


# --- Cells: the formula rule, the placeholder, ragged rows, duplicate headers --------------


def test_a_leading_sign_is_refused_in_data_columns_and_kept_in_free_text(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "name,birth_date,province,evidence,url\n"
        "+Pérez Díaz,1980,Holguín,+53 5 555 1234,\n"
        "Ana Díaz,-2020,Holguín,-5 days,\n"
        "Luis Mora,1980,-Holguín,ok,-\n"
        "Eva Soto,1980,Holguín,=cmd,+x\n"
    )
    found = rows(path)
    assert [(p.row, p.column) for r in found for p in r.problems] == [
        (2, "name"),
        (3, "birth_date"),
        (4, "province"),
    ]
    assert "starts with “+”" in str(found[0].problems[0])
    # Free text keeps it as written (exports neutralise it).
    assert found[0].values["evidence"] == "+53 5 555 1234"
    assert found[1].values["evidence"] == "-5 days"
    assert (found[3].values["evidence"], found[3].values["url"]) == ("=cmd", "+x")


def test_a_lone_dash_is_an_empty_cell(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "name,birth_date,province,evidence\nAna Díaz, - ,-,-\n-,-,-,-\nLuis Mora,1980,-,-\n"
    )
    found = rows(path)
    # A row of dashes is a blank row; the rest keep their spreadsheet numbers.
    assert [r.number for r in found] == [2, 4]
    assert found[0].values == {"name": "Ana Díaz", "birth_date": "", "province": "", "evidence": ""}
    assert all(r.problems == () for r in found)


def test_a_row_with_more_cells_than_the_header_is_refused_with_its_row(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "name,birth_date,province\n"
        "Ana Díaz,1980,Holguín\n"
        "Díaz, Ana,1980,Holguín\n"  # an unquoted comma shifts the row
        "Luis Mora\n"  # fewer cells: the missing ones are empty
        "Eva Soto,1980,Granma,,\n"  # trailing empty cells: fine
    )
    found = rows(path)
    assert [(p.row, p.column) for r in found for p in r.problems] == [(3, "")]
    assert "The row has 4 cells but the header has 3" in str(found[1].problems[0])
    assert "“Holguín”" in str(found[1].problems[0])
    assert found[2].values == {"name": "Luis Mora", "birth_date": "", "province": ""}


@pytest.mark.parametrize(
    ("header", "mapping", "message"),
    [
        ("name,Name ,province", {}, "Columns 1 and 2 are all headed “name”"),
        ("nombre,NOMBRE", {"name": "Nombre"}, "Columns 1 and 2 are all headed “nombre”"),
        (
            "nombre,provincia",
            {"name": "nombre", "given_names": " NOMBRE"},
            "puts both “name” and “given_names” in “ NOMBRE”",
        ),
    ],
)
def test_duplicate_headers_are_refused_at_row_1_naming_the_header(
    tmp_path: Path, header: str, mapping: dict[str, str], message: str
) -> None:
    path = tmp_path / "a.csv"
    path.write_text(f"{header}\nAna Díaz,Holguín,x\n")
    with pytest.raises(ReadError, match=message) as caught:
        rows(path, mapping=mapping)
    assert caught.value.row == 1


def test_duplicate_headers_no_column_of_ours_reads_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("name,notes,Notes,,\nAna Díaz,a,b,,\n")
    assert names(path) == ["Ana Díaz"]


def test_a_header_the_mapping_gives_to_one_column_is_not_also_read_as_another(
    tmp_path: Path,
) -> None:
    # "name" holds given names here: the mapping says so, and our "name" does not read it.
    path = tmp_path / "a.csv"
    path.write_text("name,apellido\nAna,Díaz\n")
    found = rows(path, mapping={"given_names": "name", "paternal_surname": "apellido"})
    assert found[0].values == {"given_names": "Ana", "paternal_surname": "Díaz"}


# --- Mapping files with values ------------------------------------------------------------


def test_mapping_file_with_columns_and_values(tmp_path: Path) -> None:
    path = tmp_path / "map.json"
    path.write_text(
        json.dumps(
            {
                "columns": {"name": "Nombre completo", "status": "Situación"},
                "values": {"status": {"Preso político": "detained", "En la calle": "parole"}},
            },
            ensure_ascii=False,
        )
    )
    loaded = load_mapping(path)
    assert loaded.columns == {"name": "Nombre completo", "status": "Situación"}
    assert loaded.values == {"status": {"Preso político": "detained", "En la calle": "parole"}}
    assert loaded.as_json() == {
        "columns": {"name": "Nombre completo", "status": "Situación"},
        "values": {"status": {"Preso político": "detained", "En la calle": "parole"}},
    }
    # The reader takes the mapping file itself as well as its columns.
    data = tmp_path / "a.csv"
    data.write_text("Nombre completo,Situación\nAna Díaz,En la calle\n")
    assert rows(data, mapping=loaded)[0].values == {"name": "Ana Díaz", "status": "En la calle"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            {"values": {"status": {"En la calle": "conditional_release"}}},
            "“En la calle” is “conditional_release”, which is not a status; use one of: detained",
        ),
        ({"values": {"sex": {"Varón": "M"}}}, "values can be given for: status"),
        (
            {"values": {"status": {"Preso": "detained", "PRESO": "sentenced"}}},
            "give “Preso” and “PRESO” .* two meanings",
        ),
        ({"values": {"status": ["detained"]}}, "must be an object of objects"),
        ({"columns": {"name": "Nombre"}, "other": {}}, "nothing else \\(not other\\)"),
        ({"name": "Nombre", "given_names": "nombre"}, "puts both “name” and “given_names”"),
    ],
)
def test_bad_mapping_files_are_refused_before_anything_is_read(
    tmp_path: Path, content: object, message: str
) -> None:
    path = tmp_path / "map.json"
    path.write_text(json.dumps(content, ensure_ascii=False))
    with pytest.raises(ReadError, match=message):
        load_mapping(path)


# --- JSON: only text where text belongs; the shape it must have -----------------------------


def test_json_values_that_are_not_text_are_refused_with_row_and_column(tmp_path: Path) -> None:
    data = [
        {"name": 12345, "birth_date": "1980"},
        {"name": "Ana Díaz", "birth_date": 1980},
        {"name": True},
        {"name": {"given": "Ana"}},
        {"name": "Luis Mora", "aliases": ["Lucho", 7]},
        {"name": "Eva Soto", "province": ["Holguín"]},
        {"name": "Pedro Gil", "aliases": ["Pedrito", "Peter"], "external_id": 17, "x": {"y": [1]}},
        {"name": "Rosa Paz", "external_id": 1.5, "sex": None},
    ]
    path = tmp_path / "list.json"
    path.write_text(json.dumps(data))
    found = rows(path)
    problems = [(p.row, p.column, str(p.args[0])) for r in found for p in r.problems]
    assert problems == [
        (1, "name", "Expected text, got a number (12345)."),
        (2, "birth_date", "Expected text, got a number (1980)."),
        (3, "name", "Expected text, got true."),
        (4, "name", "Expected text, got an object."),
        (5, "aliases", "Expected a list of texts, got a number (7) in it."),
        (6, "province", "Expected text, got a list."),
        (8, "external_id", "Expected text, got a number (1.5)."),
    ]
    # The documented exceptions: a list of texts in aliases, a whole number as identifier.
    assert found[6].values["aliases"] == "Pedrito; Peter"
    assert found[6].values["external_id"] == "17"


def test_json_keys_we_do_not_read_may_be_anything(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text(json.dumps([{"name": "Ana Díaz", "": "x", "notes": [[1, {"a": None}]]}]))
    (row,) = rows(path)
    assert row.values == {"name": "Ana Díaz"} and row.problems == ()


@pytest.mark.parametrize(
    ("text", "message", "row"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply", None),
        ('{"people": ' + "[" * 50_000 + "]" * 50_000 + "}", "nested too deeply", None),
        (
            '[{"name": "Ana Díaz"}, "Luis Mora"]',
            "Expected an object \\(one person\\), got a text",
            2,
        ),
        ('[{"name": "Ana Díaz"}, {}, [1]]', "Expected an object \\(one person\\), got a list", 3),
        ('{"people": {"name": "Ana"}}', "must be a list of objects", None),
        ('"Ana"', "must be a list of objects", None),
        ('[{"name": ' + "1" * 5000 + "}]", "Not valid JSON", None),
    ],
)
def test_json_of_the_wrong_shape_is_refused_clearly(
    tmp_path: Path, text: str, message: str, row: int | None
) -> None:
    path = tmp_path / "list.json"
    path.write_text(text)
    with pytest.raises(ReadError, match=message) as caught:
        rows(path)
    assert caught.value.row == row


def test_json_over_the_size_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from detente.reconcile import readers

    monkeypatch.setattr(readers, "MAX_JSON_BYTES", 1000)
    path = tmp_path / "list.json"
    path.write_text(json.dumps([{"name": f"Persona {i}"} for i in range(100)]))
    with pytest.raises(ReadError, match=r"JSON is read whole.*as CSV"):
        rows(path)


# --- Excel: what is not a workbook, and workbooks too big to read -------------------------


def _workbook(path: Path, rows_: list[list[object]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows_:
        sheet.append(row)
    book.save(path)
    return path


def test_files_that_are_not_workbooks_are_refused_clearly(tmp_path: Path) -> None:
    renamed = tmp_path / "list.xlsx"
    renamed.write_text("name,province\nAna Díaz,Holguín\n")
    with pytest.raises(
        ReadError, match=r"Not a readable Excel file: it is a text file.*--format csv"
    ):
        rows(renamed)
    old = tmp_path / "old.xlsx"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(ReadError, match="Excel 97-2003 workbook"):
        rows(old)
    other_zip = tmp_path / "notes.xlsx"
    import zipfile

    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(ReadError, match="a zip archive, but not an Excel workbook"):
        rows(other_zip)


def test_a_workbook_with_a_suffix_of_its_own_is_read_with_format_xlsx(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "list.xlsx", [["name"], ["Ana Díaz"]])
    other = path.rename(tmp_path / "export.dat")
    assert names(other, fmt="xlsx") == ["Ana Díaz"]


_MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _rezip(source: Path, target: Path, replace: dict[str, Any]) -> Path:
    """A copy of a workbook with parts replaced or added (bytes, or a function writing into
    the open part)."""
    import zipfile

    with (
        zipfile.ZipFile(source) as old,
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as new,
    ):
        names = [info.filename for info in old.infolist()]
        for name in [*names, *(n for n in replace if n not in names)]:
            part = replace.get(name, old.read(name) if name in names else b"")
            if callable(part):
                with new.open(name, "w", force_zip64=True) as fh:
                    part(fh)
            else:
                new.writestr(name, part)
    return target


def _excel_workbook(path: Path, cells: list[list[str]]) -> Path:
    """A workbook as Excel writes it: every text in the shared-strings table (openpyxl
    writes its own texts inline)."""
    strings: list[str] = []
    for row in cells:
        strings.extend(v for v in row if v not in strings)
    sheet = b"".join(
        b'<row r="%d">' % (r + 1)
        + b"".join(
            b'<c r="%s%d" t="s"><v>%d</v></c>' % (bytes([65 + c]), r + 1, strings.index(v))
            for c, v in enumerate(row)
        )
        + b"</row>"
        for r, row in enumerate(cells)
    )
    sst = b"".join(b"<si><t>%s</t></si>" % v.encode() for v in strings)
    base = _workbook(path.with_suffix(".base.xlsx"), [["x"]])
    import zipfile

    with zipfile.ZipFile(base) as archive:
        types = archive.read("[Content_Types].xml")
    types = types.replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" /></Types>',
    )
    return _rezip(
        base,
        path,
        {
            "[Content_Types].xml": types,
            "xl/worksheets/sheet1.xml": b'<worksheet xmlns="%s"><sheetData>%s</sheetData>'
            b"</worksheet>" % (_MAIN, sheet),
            "xl/sharedStrings.xml": b'<sst xmlns="%s">%s</sst>' % (_MAIN, sst),
        },
    )


def test_a_workbook_with_shared_strings_is_read(tmp_path: Path) -> None:
    path = _excel_workbook(tmp_path / "list.xlsx", [["name", "province"], ["Ana Díaz", "Holguín"]])
    assert rows(path)[0].values == {"name": "Ana Díaz", "province": "Holguín"}


def test_a_zip_bomb_workbook_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    good = _excel_workbook(tmp_path / "good.xlsx", [["name"], ["Ana Díaz"]])

    def huge(fh: io.BufferedIOBase) -> None:
        # 256 MiB of one repeated shared string: well under 1 MiB packed.
        fh.write(b'<?xml version="1.0"?><sst xmlns="%s">' % _MAIN)
        block = b"<si><t>a</t></si>" * 65536
        for _ in range((256 << 20) // len(block)):
            fh.write(block)
        fh.write(b"</sst>")

    bomb = _rezip(good, tmp_path / "bomb.xlsx", {"xl/sharedStrings.xml": huge})
    assert bomb.stat().st_size < 2 << 20
    with pytest.raises(ReadError, match=r"it unpacks to 2.. MiB .*xl/sharedStrings.xml.*as CSV"):
        rows(bomb)


def test_too_many_shared_strings_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from detente.reconcile import readers

    path = _excel_workbook(tmp_path / "list.xlsx", [["name"], ["Ana"], ["Luis"], ["Eva"]])
    monkeypatch.setattr(readers, "MAX_SHARED_STRINGS", 3)
    with pytest.raises(ReadError, match="more than 3 different texts"):
        rows(path)
    monkeypatch.setattr(readers, "MAX_SHARED_STRINGS", 4)
    assert names(path) == ["Ana", "Luis", "Eva"]


def test_a_workbook_part_with_a_dtd_is_refused(tmp_path: Path) -> None:
    good = _excel_workbook(tmp_path / "good.xlsx", [["name"], ["Ana Díaz"]])
    laughs = (
        b'<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<sst xmlns="%s"><si><t>&b;</t></si></sst>' % _MAIN
    )
    bad = _rezip(good, tmp_path / "dtd.xlsx", {"xl/sharedStrings.xml": laughs})
    with pytest.raises(ReadError, match="declares a DTD"):
        rows(bad)


def test_a_workbook_with_too_many_parts_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from detente.reconcile import readers

    path = _workbook(tmp_path / "list.xlsx", [["name"], ["Ana"]])
    monkeypatch.setattr(readers, "MAX_XLSX_PARTS", 5)
    with pytest.raises(ReadError, match="more than 5 parts"):
        rows(path)
