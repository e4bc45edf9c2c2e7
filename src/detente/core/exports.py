"""A table as a download: CSV, Excel or JSON, the same rows the page shows its viewer.

Callers pass rows already read through the selectors that take the viewer, so an export
holds exactly what the page holds; they record the download in the ledger
(``audit.ledger.record_download``). Every text cell that a spreadsheet would run as a
formula (``=``, ``+``, ``-``, ``@``, tab, CR) gets a leading apostrophe in CSV and Excel,
which spreadsheets show as plain text (:func:`neutralise`, the one rule the import's
files use too); JSON keeps the value as it is (nothing runs it).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from django.http import Http404, HttpResponse

# The formats offered on a page, with their names as people know them.
DOWNLOADS = (("csv", "CSV"), ("xlsx", "Excel"), ("json", "JSON"))
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
# What a spreadsheet would run as a formula (OWASP's list for CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """A cell safe to open in a spreadsheet: text that would run as a formula gets a
    leading apostrophe, which spreadsheets show as plain text. Leading spaces do not
    hide a formula (some spreadsheets trim them)."""
    return "'" + value if value.lstrip(" ").startswith(FORMULA_START) else value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def render(name: str, fmt: str, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> bytes:
    """``rows`` (dicts keyed by ``columns``) as the bytes of a file in ``fmt`` (one of
    ``FORMATS``): what a page sends and what the command line writes."""
    if fmt == "json":
        return json.dumps(
            [{c: row.get(c) for c in columns} for row in rows], ensure_ascii=False, default=str
        ).encode()
    if fmt == "csv":
        out = io.StringIO()
        out.write("\ufeff")  # so that Excel reads accents
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([neutralise(_text(row.get(c))) for c in columns])
        return out.getvalue().encode()
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(name[:31])
    sheet.append(list(columns))
    for row in rows:
        # openpyxl writes a string starting with "=" as a formula: neutralised first.
        sheet.append([neutralise(_text(row.get(c))) for c in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export(
    name: str, fmt: str, columns: Sequence[str], rows: Sequence[dict[str, Any]]
) -> HttpResponse:
    """``rows`` (dicts keyed by ``columns``) as a file called ``name.fmt``; an unknown
    format answers 404, like an address that does not exist."""
    if fmt not in FORMATS:
        raise Http404("no such format")
    response = HttpResponse(render(name, fmt, columns, rows), content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
