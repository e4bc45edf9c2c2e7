"""A table as a download: CSV, Excel or JSON, the same rows the page shows its viewer.

Callers pass rows already read through the selectors that take the viewer, so an export
holds exactly what the page holds; they record the download in the ledger. Every text cell
that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) gets a
leading apostrophe in CSV and Excel, which spreadsheets show as plain text; JSON keeps the
value as it is (nothing runs it).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import Http404, HttpResponse

from detente.audit import ledger
from detente.reconcile.readers import neutralise

# The formats offered on a page, with their names as people know them.
DOWNLOADS = (("csv", "CSV"), ("xlsx", "Excel"), ("json", "JSON"))
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


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


def record_download(
    viewer: Any,
    action: str,
    *,
    fmt: str,
    filters: dict[str, Any],
    count: int,
    people: Iterable[str] = (),
) -> None:
    """The download is itself a ledger entry: who took which table, in what form, with
    which filters, how many rows, and whose identities it holds (``people``: handles).
    Written even when the file names no one. Called by the service that read the rows,
    inside its transaction."""
    data = {"format": fmt, "filters": filters, "rows": count}
    ledger.record_access(viewer, action, people, data, always=True)
