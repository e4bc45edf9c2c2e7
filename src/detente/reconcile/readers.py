"""Reading other organisations' lists: CSV (any common encoding), Excel and JSON.

Rows are streamed, never loaded whole, so a list of a million rows is read in bounded
memory (JSON, read whole, is capped; Excel's shared strings are capped). Every problem is
reported with its row (as a spreadsheet user counts them: the header is row 1) and column,
in the user's language.

The default column names are documented in ``docs/reconciliation.md``; a mapping file
renames other headers to ours and may translate a column's values (:func:`load_mapping`).

**Formulas.** A cell is read with its surrounding white space trimmed (that is what is
stored). A cell whose first character is then ``=``, ``+``, ``-`` or ``@`` is what a
spreadsheet would run as a formula (OWASP's list for CSV injection; a tab or carriage
return, also on it, cannot lead a trimmed cell). In every column but the free-text ones
(``evidence``, ``url``) such a cell is refused with its row and column: a name, a date, a
status or a place never starts so ("-5", "+Pérez", "-2020", "+53 5 555 1234" are all
refused there). In the free-text columns it is kept as text, and neutralised whenever it
is written for a spreadsheet (:func:`neutralise`). A cell that is exactly ``-`` — what
many lists write for "no value" — is read as empty, in every column.

**Cells.** A row may have fewer cells than the header (CSV writers drop trailing empty
cells: the missing ones are empty); a row with a non-empty cell beyond the last headed
column is refused (an unquoted delimiter inside a cell shifts every cell after it). Two
headers that are one after case and spaces are folded, when one of our columns reads
them, are refused at row 1, as is a mapping that points two of our columns at one header.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import struct
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from detente.core.exports import FORMULA_START, neutralise
from detente.reconcile.encodings import EncodingUnknown, detect_encoding
from detente.reconcile.vocabulary import fold
from detente.registry.status import CustodyStatus

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
    "arrest_date",
    "place_of_detention",
    "reported_on",
    "evidence",
    "url",
)
NAME_COLUMNS = ("name", "given_names", "paternal_surname", "maternal_surname")
FORMATS = ("csv", "xlsx", "json")
MAX_CELL = 500
# Free-text columns: a value there that looks like a formula is kept as text.
TEXT_COLUMNS = frozenset({"evidence", "url"})
# The code of the problem "more cells than the header" (its other cells mean nothing).
RAGGED_ROW = "ragged_row"
# What many lists write in a cell for "no value".
PLACEHOLDER = "-"
# Columns whose values a mapping file may translate to ours.
VALUE_COLUMNS = ("status",)
# JSON is read whole: larger lists belong in CSV.
MAX_JSON_BYTES = 100 * 1024 * 1024
# Excel: what the file may unpack to in all (its parts are read, some of them whole), how
# many parts it may have, and how many shared strings (read into memory all at once).
MAX_XLSX_UNPACKED = 200 * 1024 * 1024
MAX_XLSX_PARTS = 1000
MAX_SHARED_STRINGS = 2_000_000


class ReadError(ValueError):
    """A problem with the file as a whole or with one cell; says where.

    ``code`` names the kind of problem for code that groups problems (``unknown_status``),
    ``value`` the cell's text it is about; neither is shown."""

    def __init__(
        self,
        message: str,
        row: int | None = None,
        column: str = "",
        *,
        code: str = "",
        value: str = "",
    ) -> None:
        super().__init__(message)
        self.row = row
        self.column = column
        self.code = code
        self.value = value

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


@dataclass(frozen=True)
class MappingFile:
    """What a mapping file says: ``columns`` is ``{our column: their header}``; ``values``
    is ``{our column: {their value: ours}}`` as written in the file (only ``status`` for
    now, to a status code)."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The mapping as stored with an import: the file's own form (flat when it has no
        value map)."""
        if not self.values:
            return dict(self.columns)
        return {
            "columns": dict(self.columns),
            "values": {k: dict(v) for k, v in self.values.items()},
        }


def _key(text: str) -> str:
    """A header as matched: case and runs of spaces ignored (and a stray BOM: a UTF-8 file
    opened as plain utf-8 must not hide its first header)."""
    return " ".join(str(text or "").replace("\ufeff", "").split()).casefold()


def load_mapping(path: str | Path | None) -> MappingFile:
    """The mapping file at ``path`` (none: an empty mapping). Two forms, JSON:

    * ``{"name": "Nombre completo", ...}`` — our column to their header;
    * ``{"columns": {...}, "values": {"status": {"Preso político": "detained"}}}`` — the
      same, and their values of a column to ours. Values are matched ignoring case,
      accents, spaces and punctuation.

    Unknown columns, a column that cannot take values, a target that is not one of ours,
    two of our columns on one header, or one value given two meanings are refused here,
    before any row is read."""
    if not path:
        return MappingFile()
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ReadError(_("The mapping file cannot be read: %(error)s") % {"error": exc}) from None
    if isinstance(data, dict) and ("columns" in data or "values" in data):
        extra = sorted(set(data) - {"columns", "values"})
        if extra:
            raise ReadError(
                _("The mapping file has “columns” and “values”, and nothing else (not %(keys)s).")
                % {"keys": ", ".join(extra)}
            )
        columns, values = data.get("columns", {}), data.get("values", {})
    else:
        columns, values = data, {}
    if not isinstance(columns, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise ReadError(_("The mapping file must be a JSON object of column names."))
    unknown = sorted(set(columns) - set(COLUMNS))
    if unknown:
        raise ReadError(
            _("The mapping names unknown columns: %(columns)s. Ours are: %(ours)s.")
            % {"columns": ", ".join(unknown), "ours": ", ".join(COLUMNS)}
        )
    seen: dict[str, str] = {}
    for ours, theirs in columns.items():
        other = seen.setdefault(_key(theirs), ours)
        if other != ours:
            raise ReadError(
                _(
                    "The mapping puts both “%(first)s” and “%(second)s” in “%(header)s”; "
                    "one column of the file can be only one of ours."
                )
                % {"first": other, "second": ours, "header": theirs}
            )
    if not isinstance(values, dict) or not all(
        isinstance(table, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in table.items())
        for table in values.values()
    ):
        raise ReadError(
            _(
                "The mapping's “values” must be an object of objects, e.g. "
                '{"status": {"Preso político": "detained"}}.'
            )
        )
    for column, table in values.items():
        if column not in VALUE_COLUMNS:
            raise ReadError(
                _("The mapping gives values for “%(column)s”; values can be given for: %(ours)s.")
                % {"column": column, "ours": ", ".join(VALUE_COLUMNS)}
            )
        meaning: dict[str, tuple[str, str]] = {}
        for theirs, target in table.items():
            if target not in CustodyStatus.values:
                raise ReadError(
                    _(
                        "The mapping's values for %(column)s say “%(value)s” is "
                        "“%(target)s”, which is not a status; use one of: %(choices)s."
                    )
                    % {
                        "column": column,
                        "value": theirs,
                        "target": target,
                        "choices": ", ".join(CustodyStatus.values),
                    }
                )
            key = fold(theirs)
            if not key:
                raise ReadError(
                    _("The mapping's values for %(column)s have an empty value “%(value)s”.")
                    % {"column": column, "value": theirs}
                )
            first, earlier = meaning.setdefault(key, (theirs, target))
            if earlier != target:
                raise ReadError(
                    _(
                        "The mapping's values for %(column)s give “%(first)s” and "
                        "“%(second)s” (one value, written two ways) two meanings: "
                        "“%(one)s” and “%(other)s”."
                    )
                    % {
                        "column": column,
                        "first": first,
                        "second": theirs,
                        "one": earlier,
                        "other": target,
                    }
                )
    return MappingFile(columns=dict(columns), values={k: dict(v) for k, v in values.items()})


def detect_format(path: Path, given: str = "") -> str:
    fmt = given or path.suffix.lower().lstrip(".")
    fmt = {"xlsm": "xlsx", "tsv": "csv", "txt": "csv"}.get(fmt, fmt)
    if fmt not in FORMATS:
        raise ReadError(
            _("Unknown file format “%(format)s”; use CSV, XLSX or JSON.") % {"format": fmt}
        )
    return fmt


def _header_map(header: list[str], mapping: Mapping[str, str]) -> dict[str, int]:
    """Our column -> position in their header. Headers are matched ignoring case and spaces.

    A header the mapping gives to one of our columns is not also read, under its own name,
    as another of ours (a mapping ``{"given_names": "name"}`` takes the "name" column from
    ``name``)."""
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        positions.setdefault(_key(name), []).append(i)
    claimed = {_key(theirs): ours for ours, theirs in mapping.items()}
    found: dict[str, int] = {}
    taken: dict[int, str] = {}
    for column in COLUMNS:
        theirs = mapping.get(column, column)
        if column not in mapping and claimed.get(_key(theirs), column) != column:
            continue
        places = positions.get(_key(theirs))
        if not places:
            if column in mapping:
                raise ReadError(
                    _("The mapping says “%(column)s” is in “%(header)s”, which the file lacks.")
                    % {"column": column, "header": theirs},
                    row=1,
                )
            continue
        if len(places) > 1:
            raise ReadError(
                _(
                    "Columns %(columns)s are all headed “%(header)s”: rename all but the "
                    "one that holds %(ours)s."
                )
                % {
                    "columns": get_text_list([str(i + 1) for i in places], _("and")),
                    "header": header[places[0]],
                    "ours": column,
                },
                row=1,
            )
        if places[0] in taken:
            raise ReadError(
                _(
                    "The mapping puts both “%(first)s” and “%(second)s” in “%(header)s”; "
                    "one column of the file can be only one of ours."
                )
                % {"first": taken[places[0]], "second": column, "header": theirs},
                row=1,
            )
        taken[places[0]] = column
        found[column] = places[0]
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
        return "; ".join(text for text in (_cell(v) for v in value) if text)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _filled(value: Any) -> bool:
    """Whether a cell holds something (without converting it: a JSON value may be deep)."""
    if type(value) is str:
        text = value.strip()
        return bool(text) and text != PLACEHOLDER
    if isinstance(value, list | tuple | dict):
        return bool(value)
    return value is not None


class _Refused:
    """A cell refused while reading (a JSON number where text belongs): why."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def _kind(value: Any) -> str:
    """What a JSON value is, for a message: "a number (1980)", "true", "an object"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _("a number (%(value)s)") % {"value": str(value)[:20]}
    if isinstance(value, dict):
        return _("an object")
    if isinstance(value, list):
        return _("a list")
    return _("a text")


def _json_value(column: str, value: Any) -> Any:
    """A JSON value of one of our columns: text or null; ``aliases`` may be a list of texts
    and ``external_id`` a whole number (other systems' ids; exact in JSON)."""
    if value is None or isinstance(value, str):
        return value
    if column == "aliases" and isinstance(value, list):
        for item in value:
            if not isinstance(item, str):
                return _Refused(
                    _("Expected a list of texts, got %(kind)s in it.") % {"kind": _kind(item)}
                )
        return value
    if column == "external_id" and type(value) is int:
        return str(value)
    return _Refused(_("Expected text, got %(kind)s.") % {"kind": _kind(value)})


def _rows(
    header: list[str],
    body: Iterator[list[Any]],
    mapping: Mapping[str, str],
    first: int = 2,
    typed: bool = False,
) -> Iterator[Row]:
    """Rows as our columns. ``typed``: the values are JSON's, checked by :func:`_json_value`
    (and a JSON object has no cells beyond its header: the header is every key)."""
    columns = _header_map(header, mapping)
    # Cells beyond the last headed column must be empty.
    width = max((i + 1 for i, h in enumerate(header) if _cell(h)), default=0)
    for number, raw in enumerate(body, start=first):
        if not any(_filled(v) for v in raw):
            continue  # blank lines are not rows
        values = {}
        problems: list[ReadError] = []
        if not typed and len(raw) > width and any(_filled(v) for v in raw[width:]):
            cells = max(i + 1 for i, v in enumerate(raw) if _filled(v))
            extra = next(v for v in raw[width:] if _filled(v))
            problems.append(
                ReadError(
                    _(
                        "The row has %(cells)d cells but the header has %(header)d; the "
                        "first extra one holds “%(value)s”. Quote a cell that holds the "
                        "delimiter, or give the extra column a header."
                    )
                    % {"cells": cells, "header": width, "value": _cell(extra)[:40]},
                    row=number,
                    code=RAGGED_ROW,
                )
            )
        for column, i in columns.items():
            value = raw[i] if i < len(raw) else None
            if typed:
                value = _json_value(column, value)
            if isinstance(value, _Refused):
                problems.append(ReadError(value.message, row=number, column=column))
                values[column] = ""
                continue
            text = _cell(value)
            if text == PLACEHOLDER:
                text = ""
            if len(text) > MAX_CELL:
                problems.append(
                    ReadError(
                        _("The cell is longer than %(max)d characters.") % {"max": MAX_CELL},
                        row=number,
                        column=column,
                    )
                )
                text = text[:MAX_CELL]
            elif column not in TEXT_COLUMNS and looks_like_formula(text):
                # A formula cannot be a name, a date or a status: refuse it rather than
                # store it for a spreadsheet to run one day. Free text keeps it as text
                # (exports neutralise it).
                problems.append(
                    ReadError(
                        _(
                            "The cell starts with “%(first)s”, as a spreadsheet formula does "
                            "(“%(value)s”); a name, date, status or place never does. Put "
                            "the value itself in the file."
                        )
                        % {"first": text[0], "value": text[:40]},
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
    if encoding:  # given: it wins, nothing is guessed
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ReadError(_("Unknown encoding “%(name)s”.") % {"name": encoding}) from None
    else:
        with path.open("rb") as fh:
            try:
                encoding = detect_encoding(fh)
            except EncodingUnknown as exc:
                raise ReadError(str(exc), row=1) from None
    with path.open("rb") as fh:
        head = fh.read(64 * 1024)
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


# --- Excel ------------------------------------------------------------------------------------

_SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _not_excel(reason: str) -> ReadError:
    return ReadError(_("Not a readable Excel file: %(error)s") % {"error": reason})


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f}"


class _Stop(Exception):
    pass


def _scan_xml(
    archive: zipfile.ZipFile, name: str, *, count: str = "", limit: int = 0, types: bool = False
) -> dict[str, Any]:
    """Read one XML part of the workbook as a stream. A DTD (where entity bombs live; a
    workbook has none) is refused. With ``count``, counts those elements, stopping past
    ``limit``; with ``types``, collects the content types' overrides (part name → content
    type); with neither, stops at the first element (only the prologue can hold a DTD)."""
    found: dict[str, Any] = {"count": 0, "overrides": {}}

    def doctype(*_args: Any) -> None:
        raise _not_excel(_("its part “%(part)s” declares a DTD.") % {"part": name})

    def start(tag: str, attrs: dict[str, str]) -> None:
        if count:
            if tag == count:
                found["count"] += 1
                if found["count"] > limit:
                    raise _Stop
        elif types:
            if tag.rsplit(" ", 1)[-1] == "Override":
                part = attrs.get("PartName", "").lstrip("/")
                found["overrides"][part] = attrs.get("ContentType", "")
        else:
            raise _Stop

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = start
    try:
        with archive.open(name) as fh:
            while chunk := fh.read(1 << 20):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Stop:
        pass
    except expat.ExpatError as exc:
        raise _not_excel(
            _("its part “%(part)s” is not well-formed XML (%(error)s).")
            % {"part": name, "error": exc}
        ) from None
    return found


def _zip_entries(fh: IO[bytes]) -> int | None:
    """How many entries the zip's directory declares (None: no directory found), read from
    its end record without loading the directory."""
    fh.seek(0, io.SEEK_END)
    size = fh.tell()
    fh.seek(max(0, size - 65536 - 22))
    tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    entries: int = struct.unpack("<H", tail[at + 10 : at + 12])[0]
    return entries


def _check_xlsx(path: Path) -> None:
    """Refuse, before openpyxl reads it, a file that is not an Excel workbook or that would
    take too much memory: openpyxl reads the shared-strings table into memory whole (even
    in read-only mode) and some parts in one piece, so the parts' unpacked sizes (from the
    zip's directory; Python's zipfile never unpacks more than those) and the number of
    shared strings are capped."""
    with path.open("rb") as fh:
        magic = fh.read(4096)
        if magic.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
            raise _not_excel(
                _("it is an Excel 97-2003 workbook (.xls); save it as .xlsx or as CSV.")
            )
        if not magic.startswith(b"PK"):
            if magic and b"\x00" not in magic:
                raise _not_excel(
                    _("it is a text file, not a workbook; if it is a CSV, give --format csv.")
                )
            raise _not_excel(_("it is not a zip archive, as .xlsx files are."))
        entries = _zip_entries(fh)
    if entries is not None and entries > MAX_XLSX_PARTS:
        raise _not_excel(
            _("it has more than %(max)d parts; a workbook has a few dozen.")
            % {"max": MAX_XLSX_PARTS}
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _not_excel(str(exc)) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_XLSX_PARTS:
            raise _not_excel(
                _("it has more than %(max)d parts; a workbook has a few dozen.")
                % {"max": MAX_XLSX_PARTS}
            )
        total = sum(info.file_size for info in infos)
        if total > MAX_XLSX_UNPACKED:
            biggest = max(infos, key=lambda info: info.file_size)
            raise _not_excel(
                _(
                    "it unpacks to %(size)s MiB (“%(part)s” alone to %(part_size)s MiB), more "
                    "than the %(max)s MiB an import reads from a workbook; save the list as "
                    "CSV."
                )
                % {
                    "size": _mib(total),
                    "part": biggest.filename,
                    "part_size": _mib(biggest.file_size),
                    "max": _mib(MAX_XLSX_UNPACKED),
                }
            )
        names = {info.filename for info in infos}
        if "[Content_Types].xml" not in names:
            raise _not_excel(_("it is a zip archive, but not an Excel workbook."))
        for name in sorted(names):
            if name.endswith((".xml", ".rels")) and name != "[Content_Types].xml":
                _scan_xml(archive, name)
        overrides = _scan_xml(archive, "[Content_Types].xml", types=True)["overrides"]
        for part, content_type in overrides.items():
            if content_type == _SHARED_STRINGS_TYPE and part in names:
                counted = _scan_xml(
                    archive, part, count=f"{_SHEET_NS} si", limit=MAX_SHARED_STRINGS
                )["count"]
                if counted > MAX_SHARED_STRINGS:
                    raise _not_excel(
                        _(
                            "it has more than %(max)s different texts (shared strings), "
                            "which would not fit in memory; save the list as CSV."
                        )
                        % {"max": f"{MAX_SHARED_STRINGS:,}"}
                    )


def _xlsx_rows(path: Path, mapping: Mapping[str, str]) -> Iterator[Row]:
    from openpyxl import load_workbook

    _check_xlsx(path)
    with path.open("rb") as fh:
        try:
            # read_only streams the sheet. Formulas are read as formulas (not their cached
            # values) so that they are refused with their row and column like in a CSV. A
            # file object, not the path: the file's suffix was checked by detect_format.
            book = load_workbook(fh, read_only=True, data_only=False)
        except Exception as exc:  # zipfile.BadZipFile, KeyError, XML errors: a corrupt file
            raise _not_excel(str(exc)) from None
        try:
            if not book.worksheets:
                raise ReadError(_("The workbook has no sheet."))
            sheet = book.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            try:
                header = [_cell(v) for v in next(rows)]
            except StopIteration:
                raise ReadError(_("The sheet is empty.")) from None
            yield from _rows(header, (list(r) for r in rows), mapping)
        finally:
            book.close()


# --- JSON -------------------------------------------------------------------------------------


def _json_rows(path: Path, mapping: Mapping[str, str]) -> Iterator[Row]:
    """A JSON array of objects (or ``{"people": [...]}``). Read whole: JSON lists from other
    systems are small next to the CSV exports that carry the large ones, and a file over
    :data:`MAX_JSON_BYTES` is refused."""
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise ReadError(
            _(
                "The JSON file is %(size)s MiB; JSON is read whole, up to %(max)s MiB. Give "
                "a large list as CSV."
            )
            % {"size": _mib(size), "max": _mib(MAX_JSON_BYTES)}
        )
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise _encoding_error(exc, "utf-8", 1) from None
    except json.JSONDecodeError as exc:
        raise ReadError(
            _("Not valid JSON at line %(line)d, column %(col)d: %(msg)s")
            % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
        ) from None
    except RecursionError:
        raise ReadError(
            _(
                "The JSON is nested too deeply to be a list of people (an array of "
                "objects is two levels deep)."
            )
        ) from None
    except ValueError as exc:  # a number too long to convert, say
        raise ReadError(_("Not valid JSON: %(msg)s") % {"msg": exc}) from None
    if isinstance(data, dict) and "people" in data:
        data = data["people"]
    if not isinstance(data, list):
        raise ReadError(
            _('The JSON must be a list of objects, one per person (or {"people": [...]}).')
        )
    header: list[str] = []
    known: set[str] = set()
    for number, record in enumerate(data, start=1):
        if not isinstance(record, dict):
            raise ReadError(
                _("Expected an object (one person), got %(kind)s.") % {"kind": _kind(record)},
                row=number,
            )
        for k in record:
            if k not in known:
                known.add(k)
                header.append(k)
    yield from _rows(
        header, ([r.get(h) for h in header] for r in data), mapping, first=1, typed=True
    )


def read_rows(
    path: str | Path,
    *,
    fmt: str = "",
    encoding: str = "",
    mapping: Mapping[str, str] | MappingFile | None = None,
) -> Iterator[Row]:
    """Stream the file's rows as our columns. Raises :class:`ReadError` on the first problem
    with the file as a whole; problems with cells are each row's ``problems``. ``mapping``
    is a mapping file's columns (or the :class:`MappingFile`)."""
    columns = mapping.columns if isinstance(mapping, MappingFile) else (mapping or {})
    path = Path(path)
    if not path.is_file():
        raise ReadError(_("No such file: %(path)s") % {"path": path})
    kind = detect_format(path, fmt)
    if kind == "csv":
        return _csv_rows(path, encoding, columns)
    if kind == "xlsx":
        return _xlsx_rows(path, columns)
    return _json_rows(path, columns)


def looks_like_formula(value: str) -> bool:
    """Whether a (trimmed) cell starts as a spreadsheet formula would: ``=``, ``+``, ``-``,
    ``@``, tab or carriage return. The lone placeholder ``-`` is not one (it reads as
    empty). Number-like text is no exception: "-5" and "+53 555" start formulas too."""
    return value != PLACEHOLDER and value.startswith(FORMULA_START)


def write_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """CSV for spreadsheets (UTF-8 with BOM so Excel reads accents), formulas neutralised."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralise(_cell(row.get(c))) for c in columns])
    return out.getvalue()
