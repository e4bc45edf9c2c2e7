"""Reading other organisations' lists: CSV (any common encoding), Excel and JSON.

Rows are streamed, never loaded whole, so a list of a million rows is read in bounded
memory. Every problem is reported with its row (as a spreadsheet user counts them: the
header is row 1) and column, in the user's language.

The default column names are documented in ``docs/reconciliation.md``; a mapping file
(JSON: ``{"our column": "their header", ...}``) renames other headers to ours.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

# Our columns. A row needs a name: ``name`` (free text) or ``given_names`` with at least
# one surname; everything else is optional or has a command-line default.
COLUMNS = (
    "external_id",
    "name",
    "given_names",
    "paternal_surname",
    "maternal_surname",
    "aliases",
    "birth_date",
    "sex",
    "province",
    "municipality",
    "status",
    "event_date",
    "evidence",
    "url",
)
NAME_COLUMNS = ("name", "given_names", "paternal_surname", "maternal_surname")
FORMATS = ("csv", "xlsx", "json")
# What a spreadsheet would run as a formula (OWASP's list for CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL = 500
# Free-text columns: a value there that looks like a formula is kept as text.
TEXT_COLUMNS = frozenset({"evidence", "url"})
_FORMULA_FIRST = frozenset("=+-@")


class ReadError(ValueError):
    """A problem with the file as a whole or with one cell; says where."""

    def __init__(self, message: str, row: int | None = None, column: str = "") -> None:
        super().__init__(message)
        self.row = row
        self.column = column

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(_("row %(row)d") % {"row": self.row})
        if self.column:
            where.append(_("column “%(column)s”") % {"column": self.column})
        text = self.args[0]
        return f"{', '.join(where)}: {text}" if where else str(text)


@dataclass(frozen=True)
class Row:
    """One row as our columns. ``problems`` are cell-level faults found while reading (a
    cell too long, a formula): the rest of the file is still read, so every bad row can be
    reported at once."""

    number: int  # as a spreadsheet counts: the header is row 1
    values: dict[str, str]
    problems: tuple[ReadError, ...] = ()


def load_mapping(path: str | Path | None) -> dict[str, str]:
    """``{our column: their header}`` from a JSON file; unknown columns are refused."""
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReadError(_("The mapping file cannot be read: %(error)s") % {"error": exc}) from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ReadError(_("The mapping file must be a JSON object of column names."))
    unknown = sorted(set(data) - set(COLUMNS))
    if unknown:
        raise ReadError(
            _("The mapping names unknown columns: %(columns)s. Ours are: %(ours)s.")
            % {"columns": ", ".join(unknown), "ours": ", ".join(COLUMNS)}
        )
    return data


def detect_format(path: Path, given: str = "") -> str:
    fmt = given or path.suffix.lower().lstrip(".")
    fmt = {"xlsm": "xlsx", "tsv": "csv", "txt": "csv"}.get(fmt, fmt)
    if fmt not in FORMATS:
        raise ReadError(
            _("Unknown file format “%(format)s”; use CSV, XLSX or JSON.") % {"format": fmt}
        )
    return fmt


def _detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without Excel's BOM), UTF-16 with a BOM, else Windows-1252 — what
    Excel writes for "CSV" on a Spanish-language Windows."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the sample's end
            return "cp1252"
    return "utf-8"


def _header_map(header: list[str], mapping: Mapping[str, str]) -> dict[str, int]:
    """Our column -> position in their header. Headers are matched ignoring case and spaces."""

    def key(text: str) -> str:
        # A BOM read as text (a UTF-8 file opened as plain utf-8) must not hide the first
        # header.
        return " ".join(str(text or "").replace("\ufeff", "").split()).casefold()

    positions: dict[str, int] = {}
    for i, name in enumerate(header):
        positions.setdefault(key(name), i)
    found: dict[str, int] = {}
    for column in COLUMNS:
        theirs = mapping.get(column, column)
        if key(theirs) in positions:
            found[column] = positions[key(theirs)]
        elif column in mapping:
            raise ReadError(
                _("The mapping says “%(column)s” is in “%(header)s”, which the file lacks.")
                % {"column": column, "header": theirs},
                row=1,
            )
    if not any(c in found for c in NAME_COLUMNS):
        raise ReadError(
            _(
                "No name column: the file needs “name”, or “given_names” and a surname "
                "(or a mapping file). Its headers are: %(headers)s."
            )
            % {"headers": ", ".join(str(h) for h in header)},
            row=1,
        )
    return found


def _cell(value: Any) -> str:
    if type(value) is str:  # nearly every cell: the fast path
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        # A JSON list (aliases) becomes the documented "; "-separated cell.
        return "; ".join(_cell(v) for v in value if _cell(v))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(
    header: list[str], body: Iterator[list[Any]], mapping: Mapping[str, str], first: int = 2
) -> Iterator[Row]:
    columns = _header_map(header, mapping)
    for number, raw in enumerate(body, start=first):
        if not any(_cell(v) for v in raw):
            continue  # blank lines are not rows
        values = {}
        problems: list[ReadError] = []
        for column, i in columns.items():
            text = _cell(raw[i]) if i < len(raw) else ""
            if len(text) > MAX_CELL:
                problems.append(
                    ReadError(
                        _("The cell is longer than %(max)d characters.") % {"max": MAX_CELL},
                        row=number,
                        column=column,
                    )
                )
                text = text[:MAX_CELL]
            elif (
                text[:1] in _FORMULA_FIRST
                and column not in TEXT_COLUMNS
                and looks_like_formula(text)
            ):
                # A formula cannot be a name, a date or a status: refuse it rather than
                # store it for a spreadsheet to run one day. Free text keeps it as text
                # (exports neutralise it).
                problems.append(
                    ReadError(
                        _(
                            "The cell holds a spreadsheet formula (“%(value)s”), not a value; "
                            "put the value itself in the file."
                        )
                        % {"value": text[:40]},
                        row=number,
                        column=column,
                    )
                )
            values[column] = text
        yield Row(number, values, tuple(problems))


_WIDE = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})


def _lines(fh: IO[bytes], encoding: str) -> Iterator[str]:
    """The file's lines, decoded one at a time.

    Decoding line by line (instead of through a text stream that decodes 8 KiB at a
    time) makes a decoding error surface at the line that holds the bad byte, so the error
    names the right row. Wide encodings (UTF-16, UTF-32) have no single-byte newline and
    are decoded as a stream.
    """
    if codecs.lookup(encoding).name in _WIDE:
        yield from io.TextIOWrapper(fh, encoding=encoding, newline="", errors="strict")
        return
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    for raw in fh:  # split on b"\n", line ends kept as the csv module wants them
        yield decoder.decode(raw)
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


def _csv_rows(path: Path, encoding: str, mapping: Mapping[str, str]) -> Iterator[Row]:
    with path.open("rb") as fh:
        head = fh.read(64 * 1024)
    encoding = encoding or _detect_encoding(head)
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ReadError(_("Unknown encoding “%(name)s”.") % {"name": encoding}) from None
    sample = head.decode(encoding, errors="replace").lstrip("\ufeff")
    # Only the delimiter is guessed (from the header line). The rest is Excel's dialect:
    # the sniffer, finding no quotes in a header, would turn off the doubled quotes ("")
    # that Excel writes inside quoted cells.
    try:
        delimiter = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","

    class dialect(csv.excel):
        pass

    dialect.delimiter = delimiter
    with path.open("rb") as fh:
        reader = csv.reader(_lines(fh, encoding), dialect)
        try:
            header = next(reader)
        except StopIteration:
            raise ReadError(_("The file is empty.")) from None
        except UnicodeDecodeError as exc:
            raise _encoding_error(exc, encoding, 1) from None
        except csv.Error as exc:
            raise ReadError(str(exc), row=1) from None

        def body() -> Iterator[list[str]]:
            # Rows are counted as records (a quoted cell may span lines): the row a
            # spreadsheet shows. The header is row 1.
            read = 0
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except UnicodeDecodeError as exc:
                    raise _encoding_error(exc, encoding, read + 2) from None
                except csv.Error as exc:
                    raise ReadError(str(exc), row=read + 2) from None
                read += 1
                yield row

        yield from _rows(header, body(), mapping)


def _encoding_error(exc: UnicodeDecodeError, encoding: str, row: int) -> ReadError:
    return ReadError(
        _(
            "The text is not valid %(encoding)s (byte 0x%(byte)02X); "
            "give the file's encoding with --encoding, e.g. cp1252 or latin-1."
        )
        % {"encoding": encoding, "byte": exc.object[exc.start]},
        row=row,
    )


def _xlsx_rows(path: Path, mapping: Mapping[str, str]) -> Iterator[Row]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # read_only streams the sheet. Formulas are read as formulas (not their cached
        # values) so that they are refused with their row and column like in a CSV.
        book = load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise ReadError(_("Not a readable Excel file: %(error)s") % {"error": exc}) from None
    except Exception as exc:  # zipfile.BadZipFile and friends from a corrupt file
        raise ReadError(_("Not a readable Excel file: %(error)s") % {"error": exc}) from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        try:
            header = [_cell(v) for v in next(rows)]
        except StopIteration:
            raise ReadError(_("The sheet is empty.")) from None
        yield from _rows(header, (list(r) for r in rows), mapping)
    finally:
        book.close()


def _json_rows(path: Path, mapping: Mapping[str, str]) -> Iterator[Row]:
    """A JSON array of objects. Read whole: JSON lists from other systems are small next to
    the CSV exports that carry the large ones (the documented limit is in the docs)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise _encoding_error(exc, "utf-8", 1) from None
    except json.JSONDecodeError as exc:
        raise ReadError(
            _("Not valid JSON at line %(line)d, column %(col)d: %(msg)s")
            % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
        ) from None
    if isinstance(data, dict) and isinstance(data.get("people"), list):
        data = data["people"]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ReadError(_("The JSON must be a list of objects, one per person."))
    header: list[str] = []
    for record in data:
        for k in record:
            if k not in header:
                header.append(str(k))
    yield from _rows(header, ([r.get(h) for h in header] for r in data), mapping, first=1)


def read_rows(
    path: str | Path, *, fmt: str = "", encoding: str = "", mapping: Mapping[str, str] = {}
) -> Iterator[Row]:
    """Stream the file's rows as our columns. Raises :class:`ReadError` on the first problem."""
    path = Path(path)
    if not path.is_file():
        raise ReadError(_("No such file: %(path)s") % {"path": path})
    kind = detect_format(path, fmt)
    if kind == "csv":
        return _csv_rows(path, encoding, mapping)
    if kind == "xlsx":
        return _xlsx_rows(path, mapping)
    return _json_rows(path, mapping)


def neutralise(value: str) -> str:
    """A cell safe to open in a spreadsheet: text that would run as a formula gets a
    leading apostrophe, which spreadsheets show as plain text. Leading spaces do not
    hide a formula (some spreadsheets trim them)."""
    return "'" + value if value.lstrip(" ").startswith(FORMULA_START) else value


def looks_like_formula(value: str) -> bool:
    return value.startswith(("=", "@")) or (
        value.startswith(("+", "-")) and len(value) > 1 and not value[1:2].isdigit()
    )


def write_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """CSV for spreadsheets (UTF-8 with BOM so Excel reads accents), formulas neutralised."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralise(_cell(row.get(c))) for c in columns])
    return out.getvalue()
