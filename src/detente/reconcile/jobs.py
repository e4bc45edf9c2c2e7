"""Imports prepared and run from the staff pages and the API, step by step.

An :class:`~detente.reconcile.models.ImportJob` walks through

    uploaded → mapped → dry_run_running → dry_run_done → running → done | failed
                                      (any step before running → abandoned)

1. :func:`import_job_create` keeps the uploaded file under ``DATA_DIR/uploads/imports/``
   by a random name (never served; the name it was uploaded with is kept as text for
   display), detects its format, reads its headers and proposes a mapping.
2. :func:`import_job_map` sets which of their headers holds each of our columns (and the
   defaults for rows without a status or an event date); :func:`import_job_preview` shows
   the first rows as they will be read.
3. :func:`import_job_dry_run` checks and matches every row in the background, writing
   nothing (:mod:`detente.reconcile.tasks`); it can be run again after a change.
4. :func:`import_job_start` imports in the background with exactly the options checked.

When the job is done, failed or discarded, the file is deleted; its SHA-256 stays.

**Who sees a job.** The person who made it, and verifiers and administrators (who answer
for every import); anyone else gets the same 404 as for a job that does not exist. Only
the person who made it moves it forward (its import is theirs in the ledger); they,
verifiers and administrators may discard it. Making one needs ``Action.RECORD``.

Every step is a service: permission, change and one ledger entry in one transaction. The
ledger never holds the file's name, its headers or any cell, only the file's SHA-256, the
counts and the options (a protected source as a keyed hash).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import os
import secrets
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from detente.access.policy import Action, Viewer, can, require
from detente.agreements.models import Agreement
from detente.audit import ledger
from detente.core.dates import DatePrecision
from detente.core.errors import invalid
from detente.evidence.models import Source
from detente.reconcile.importer import LINK_ABOVE, REVIEW_ABOVE
from detente.reconcile.models import ImportJob, ImportRow, ImportRun, JobState, Mode, RunStatus
from detente.reconcile.readers import (
    COLUMNS,
    NAME_COLUMNS,
    ReadError,
    detect_format,
    neutralise,
    read_rows,
)
from detente.reconcile.rows import Defaults, parse_date, parse_row, parse_status, split_name
from detente.registry.status import CustodyStatus

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
PREVIEW_ROWS = 5
# A job nobody moved forward for this long is discarded and its file deleted.
DEFAULT_KEEP_HOURS = 24
# How often the background task writes its progress.
PROGRESS_EVERY = 1.0
# A running job that reported nothing for this long has lost its task.
STALLED_MINUTES = 30

ACTIVE = (JobState.DRY_RUN_RUNNING, JobState.RUNNING)
FINISHED = (JobState.DONE, JobState.FAILED, JobState.ABANDONED)
EDITABLE = (JobState.UPLOADED, JobState.MAPPED, JobState.DRY_RUN_DONE)


def max_upload_bytes() -> int:
    return int(getattr(settings, "DETENTE_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def upload_dir() -> Path:
    """Where uploaded lists wait for their import (created private to the server)."""
    path = Path(settings.DATA_DIR) / "uploads" / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def job_file(job: ImportJob) -> Path | None:
    """The uploaded file, while the job keeps it."""
    if not job.stored_name:
        return None
    path = upload_dir() / job.stored_name
    return path if path.is_file() else None


def _sidecar(job: ImportJob, suffix: str) -> Path:
    stem = job.stored_name.rsplit(".", 1)[0] if job.stored_name else f"job-{job.pk}"
    return upload_dir() / f"{stem}.{suffix}"


def mapping_file(job: ImportJob) -> Path:
    """The job's mapping written as a mapping file (``detente import --mapping``)."""
    path = _sidecar(job, "mapping.json")
    _write_private(path, json.dumps(job.mapping, ensure_ascii=False).encode())
    return path


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + f".{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _delete_files(job: ImportJob) -> None:
    """The upload and everything kept beside it. The caller saves ``stored_name``."""
    if job.stored_name:
        for path in (
            upload_dir() / job.stored_name,
            _sidecar(job, "mapping.json"),
            _sidecar(job, "progress.json"),
        ):
            path.unlink(missing_ok=True)
    job.stored_name = ""


# --- Reading the file's headers ------------------------------------------------------------


def detect_upload_format(file_name: str, head: bytes) -> str:
    """The format by the file's extension, or by its first bytes when the extension says
    nothing (an Excel file is a zip; JSON starts with ``[`` or ``{``)."""
    suffix = Path(file_name).suffix.lower().lstrip(".")
    if suffix:
        return detect_format(Path(file_name))
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{"):
        return "json"
    return "csv"


ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1", "mac_roman")


def _text_encoding(path: Path, given: str) -> str:
    """The CSV's encoding: the one given, or the reader's own detection (which refuses a
    file whose encoding cannot be told), so that the headers read as the rows will."""
    if given:
        return given
    try:
        from detente.reconcile.encodings import EncodingUnknown, detect_encoding
    except ImportError:  # pragma: no cover - an older reader: UTF-8, else Windows-1252
        head = path.read_bytes()[: 64 * 1024]
        if head.startswith(b"\xef\xbb\xbf"):
            return "utf-8-sig"
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return "utf-16"
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:
                return "cp1252"
        return "utf-8"
    with path.open("rb") as fh:
        try:
            return detect_encoding(fh)
        except EncodingUnknown as exc:
            raise ReadError(str(exc)) from None


def _clean_header(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(str(value).replace("\ufeff", "").split())


def read_headers(path: Path, fmt: str, encoding: str = "") -> list[str]:
    """Their column names: the first row (CSV, the first sheet in Excel), or every key of
    the objects (JSON). Raises :class:`ReadError` when there are none."""
    headers: list[str] = []
    if fmt == "csv":
        with path.open("rb") as fh:
            head = fh.read(64 * 1024)
        try:
            text = head.decode(_text_encoding(path, encoding), errors="replace")
        except LookupError:
            raise ReadError(_("Unknown encoding “%(name)s”.") % {"name": encoding}) from None
        text = text.lstrip("\ufeff")
        if not text.strip():
            raise ReadError(_("The file is empty."))
        first = text.split("\n", 1)[0]
        try:
            delimiter = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
        try:
            headers = next(csv.reader(io.StringIO(text), delimiter=delimiter))
        except (csv.Error, StopIteration):
            raise ReadError(_("The first line cannot be read as column names."), row=1) from None
    elif fmt == "xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=False)
        except Exception as exc:  # a corrupt or mislabelled file: zip, XML and key errors
            raise ReadError(_("Not a readable Excel file: %(error)s") % {"error": exc}) from None
        try:
            first_row = next(book.worksheets[0].iter_rows(values_only=True), None)
            headers = [] if first_row is None else list(first_row)
        finally:
            book.close()
    else:
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ReadError(_("Not valid JSON.")) from None
        if isinstance(data, dict) and isinstance(data.get("people"), list):
            data = data["people"]
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise ReadError(_("The JSON must be a list of objects, one per person."))
        for record in data:
            for key in record:
                if key not in headers:
                    headers.append(key)
    cleaned: list[str] = []
    for h in headers:
        text = _clean_header(h)
        if text and text not in cleaned:
            cleaned.append(text[:200])
    if not cleaned:
        raise ReadError(_("The file has no column names in its first row."), row=1)
    return cleaned


# --- Proposing a mapping -------------------------------------------------------------------


def _key(text: str) -> str:
    """Headers compared as the reader compares them, and also without accents or
    punctuation, so that "Fecha de nacimiento" finds "fecha_de_nacimiento"."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in folded).split())


# Other names lists give our columns (English and Spanish), compared by ``_key``.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": ("id", "identifier", "identificador", "codigo", "code", "ref", "referencia"),
    "name": (
        "full name",
        "nombre",
        "nombre completo",
        "nombre y apellidos",
        "nombres y apellidos",
    ),
    "given_names": ("given name", "first name", "first names", "nombres"),
    "paternal_surname": ("primer apellido", "apellido paterno", "first surname", "surname"),
    "maternal_surname": ("segundo apellido", "apellido materno", "second surname"),
    "aliases": ("alias", "apodo", "apodos", "aka", "other names"),
    "birth_date": (
        "birth date",
        "date of birth",
        "dob",
        "born",
        "fecha de nacimiento",
        "nacimiento",
    ),
    "sex": ("sexo", "gender", "genero"),
    "province": ("provincia", "region"),
    "municipality": ("municipio",),
    "status": ("estado", "situacion", "situacion actual", "custody status"),
    "event_date": ("event date", "date", "fecha", "fecha del evento", "status date"),
    "evidence": ("evidencia", "notes", "notas", "observaciones", "comments"),
    "url": ("link", "enlace", "web", "source url"),
}


def suggest_mapping(headers: Iterable[str]) -> dict[str, str]:
    """Our column → their header, where a header plainly names one of ours (its own name,
    or a usual English or Spanish one). Each header is used once."""
    by_key: dict[str, str] = {}
    for header in headers:
        by_key.setdefault(_key(header), header)
    out: dict[str, str] = {}
    used: set[str] = set()
    for column in COLUMNS:
        for name in (column, *SYNONYMS.get(column, ())):
            found = by_key.get(_key(name))
            if found is not None and found not in used:
                out[column] = found
                used.add(found)
                break
    return out


def _own_name_headers(headers: Iterable[str]) -> set[str]:
    """Our columns that the file has under their own name (the reader reads those even
    when the mapping leaves them out)."""
    keys = {" ".join(str(h).split()).casefold() for h in headers}
    return {c for c in COLUMNS if c in keys}


def check_mapping(job: ImportJob, mapping: dict[str, str]) -> dict[str, str]:
    """The mapping without empty entries; a ValidationError naming each bad column."""
    clean = {k: v for k, v in mapping.items() if v}
    problems: dict[str, str] = {}
    for column in sorted(set(clean) - set(COLUMNS)):
        problems[column] = _("“%(column)s” is not one of our columns.") % {"column": column}
    headers = set(job.headers)
    for column, header in clean.items():
        if column in COLUMNS and header not in headers:
            problems[column] = _("The file has no column “%(header)s”.") % {"header": header}
    seen: dict[str, str] = {}
    for column, header in clean.items():
        if header in seen and column not in problems:
            problems[column] = _(
                "“%(header)s” is already chosen for “%(other)s”; a column of the file "
                "holds one of ours."
            ) % {"header": header, "other": seen[header]}
        seen.setdefault(header, column)
    own = _own_name_headers(job.headers)
    for column in sorted(own - set(clean)):
        problems[column] = _(
            "The file has a column named “%(column)s”, which is always read as ours; "
            "it cannot be left out."
        ) % {"column": column}
    if not any(c in clean or c in own for c in NAME_COLUMNS):
        problems["name"] = _(
            "Choose the column that holds the name (or the given names and a surname)."
        )
    if problems:
        raise ValidationError({k: [v] for k, v in problems.items()})
    return clean


# --- Preview -------------------------------------------------------------------------------


@dataclass
class PreviewRow:
    number: int
    external_id: str
    given_names: str
    paternal_surname: str
    maternal_surname: str
    birth_date: str
    sex: str
    status: str
    event_date: str
    problems: list[dict[str, Any]] = field(default_factory=list)
    # The place, as written: compare with what the list says.
    province: str = ""
    municipality: str = ""
    arrest_date: str = ""
    place_of_detention: str = ""


@dataclass
class Preview:
    rows: list[PreviewRow]
    problems: list[dict[str, Any]]  # about the file as a whole (no row)


def _shown_date(text: str) -> str:
    if not text:
        return ""
    try:
        day, precision = parse_date(text)
    except ValueError:
        return text
    if precision == DatePrecision.YEAR:
        return f"{day.year:04d}"
    if precision == DatePrecision.MONTH:
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def _problem(error: ReadError) -> dict[str, Any]:
    return {"row": error.row, "column": error.column or None, "message": str(error.args[0])}


def import_job_preview(viewer: Viewer, job: ImportJob, limit: int = PREVIEW_ROWS) -> Preview:
    """The first rows of the file as the import will read them with the job's mapping:
    the name split into given names and surnames, the dates and status as parsed, and the
    problems in those rows. Reads the job through :func:`import_job_get`'s rule."""
    job = import_job_get(viewer, job.pk)
    path = job_file(job)
    if path is None:
        return Preview([], [{"row": None, "column": None, "message": _("The file is gone.")}])
    defaults = Defaults(
        status=job.default_status,
        event_date=job.default_event_date,
        received_at=timezone.now(),
    )
    rows: list[PreviewRow] = []
    try:
        rows_read = read_rows(path, fmt=job.format, encoding=job.encoding, mapping=job.mapping)
        for row in rows_read:
            v = row.values
            given, paternal, maternal = (
                v.get("given_names", ""),
                v.get("paternal_surname", ""),
                v.get("maternal_surname", ""),
            )
            if not (given or paternal or maternal) and v.get("name"):
                try:
                    given, paternal, maternal = split_name(v["name"])
                except Exception:  # shown as written; the check reports it
                    given = v["name"]
            status_text = v.get("status") or job.default_status
            try:
                code = parse_status(status_text) if status_text else ""
                # The status in the reader's language, never its code.
                status = str(CustodyStatus(code).label) if code else ""
            except ValueError:
                status = status_text
            event_text = v.get("event_date", "")
            event = (
                _shown_date(event_text)
                if event_text
                else (job.default_event_date.isoformat() if job.default_event_date else "")
            )
            parsed = parse_row(row, defaults)
            problems = [_problem(p) for p in parsed] if isinstance(parsed, list) else []
            rows.append(
                PreviewRow(
                    number=row.number,
                    external_id=v.get("external_id", ""),
                    given_names=given,
                    paternal_surname=paternal,
                    maternal_surname=maternal,
                    birth_date=_shown_date(v.get("birth_date", "")),
                    sex=v.get("sex", ""),
                    status=status,
                    event_date=event,
                    problems=problems,
                    province=v.get("province", ""),
                    municipality=v.get("municipality", ""),
                    arrest_date=_shown_date(v.get("arrest_date", "")),
                    place_of_detention=v.get("place_of_detention", ""),
                )
            )
            if len(rows) >= limit:
                break
    except ReadError as exc:
        return Preview(rows, [_problem(exc)])
    return Preview(rows, [])


# --- Who sees what --------------------------------------------------------------------------


def import_jobs(viewer: Viewer) -> QuerySet[ImportJob]:
    """The jobs this viewer may see: their own; every job for verifiers and administrators;
    none for anyone else. Newest first."""
    qs = ImportJob.objects.select_related("source", "agreement", "created_by", "run")
    if can(viewer, Action.MANAGE):
        return qs.order_by("-id")
    if can(viewer, Action.RECORD) and viewer.is_authenticated:
        return qs.filter(created_by_id=viewer.pk).order_by("-id")
    return qs.none()


def import_job_get(viewer: Viewer, job_id: int) -> ImportJob:
    """One job, or Http404 whether it is missing or not this viewer's to see."""
    found = import_jobs(viewer).filter(pk=job_id).first()
    if found is None:
        raise Http404("no such import job")
    return found


def import_runs(viewer: Viewer) -> QuerySet[ImportRun]:
    """Every stored import, newest first (staff; none for anyone else)."""
    if not can(viewer, Action.READ):
        return ImportRun.objects.none()
    return ImportRun.objects.select_related("source", "agreement", "created_by").order_by("-id")


def import_run_get(viewer: Viewer, run_id: int) -> ImportRun:
    found = import_runs(viewer).filter(pk=run_id).first()
    if found is None:
        raise Http404("no such import")
    return found


def import_run_rows(viewer: Viewer, run: ImportRun) -> QuerySet[ImportRow]:
    """The rows of an import (from :func:`import_run_get`), in the file's order."""
    if not can(viewer, Action.READ):
        return ImportRow.objects.none()
    return ImportRow.objects.filter(run=run).select_related("person").order_by("number", "id")


def import_run_summary(viewer: Viewer, run: ImportRun) -> dict[str, Any]:
    """What a stored import did, as ``detente import show RUN --json`` prints it (a
    protected source as "protected" to those who do not manage sources)."""
    from detente.evidence.selectors import source_as_seen

    return {
        "run": run.pk,
        "status": run.status,
        "file": run.file_name,
        "sha256": run.sha256,
        "format": run.format,
        "source": source_as_seen(viewer, run.source).slug,
        "agreement": run.agreement.slug if run.agreement else None,
        "mode": run.mode,
        "reported_on": run.reported_on.isoformat() if run.reported_on else None,
        "rows": run.rows,
        "linked": run.linked,
        "queued": run.queued,
        "new": run.new,
        "rejected": run.rejected,
        "unchanged": run.unchanged,
        "link_above": run.link_above,
        "review_above": run.review_above,
        "warnings": run.warnings,
        "digest": run.digest or None,
        "created_at": run.created_at.isoformat(),
        "created_by": run.created_by.get_username(),
    }


def row_result(row: ImportRow) -> dict[str, Any]:
    """What became of one row, by handles only (no names): the one shape of the CLI's
    ``import show --rows``, the API's rows and the CSV download."""
    return {
        "row": row.number,
        "external_id": (row.data or {}).get("external_id", "") or "",
        "outcome": row.outcome,
        "reason": row.reason or "",
        "person": row.person.handle if row.person_id and row.person else None,
        "probability": None if row.probability is None else round(row.probability, 6),
        "candidates": [
            {
                "handle": c.get("handle"),
                "probability": None
                if c.get("probability") is None
                else round(float(c["probability"]), 6),
            }
            for c in (row.candidates or [])
            if c.get("handle")
        ],
        "decision": row.decision or None,
    }


def candidates_text(candidates: Iterable[dict[str, Any]]) -> str:
    """``P-0001 (0.93); P-0002 (0.41)``."""
    return "; ".join(
        f"{c['handle']} ({c['probability']:.2f})"
        if c.get("probability") is not None
        else str(c["handle"])
        for c in candidates
    )


CSV_COLUMNS = (
    "row",
    "external_id",
    "outcome",
    "reason",
    "person",
    "probability",
    "candidates",
    "decision",
)


def import_run_rows_csv(viewer: Viewer, run: ImportRun) -> str:
    """The rows' results as CSV for a spreadsheet: UTF-8 with a BOM, every cell a
    spreadsheet would run as a formula given a leading apostrophe. The download is
    recorded in the ledger as an access to the handles it holds."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    handles: set[str] = set()
    for row in import_run_rows(viewer, run).iterator(chunk_size=2000):
        result = row_result(row)
        if result["person"]:
            handles.add(result["person"])
        handles.update(c["handle"] for c in result["candidates"])
        cells = {
            **result,
            "probability": "" if result["probability"] is None else f"{result['probability']:.4f}",
            "candidates": candidates_text(result["candidates"]),
            "person": result["person"] or "",
            "decision": result["decision"] or "",
        }
        writer.writerow([neutralise(str(cells[c])) for c in CSV_COLUMNS])
    ledger.record_access(viewer, "import.rows.download", handles, {"run": run.pk})
    return out.getvalue()


# --- Progress ------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobProgress:
    phase: str
    done: int
    total: int
    at: dt.datetime | None

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return max(0, min(100, int(100 * self.done / self.total)))


def job_progress(job: ImportJob) -> JobProgress:
    """How far the background task has gone. The task writes to the job's row, except
    inside the import's own transaction (the writing phase), where no other connection
    would see the row change: there it writes a small file beside the upload."""
    best = JobProgress(job.phase, job.done, job.total, job.progress_at)
    if job.state in ACTIVE and job.stored_name:
        path = _sidecar(job, "progress.json")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            side = JobProgress(
                str(data["phase"]),
                int(data["done"]),
                int(data["total"]),
                dt.datetime.fromisoformat(data["at"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return best
        if best.at is None or (side.at is not None and side.at >= best.at):
            return side
    return best


class ProgressWriter:
    """The ``progress`` callback of ``import_list`` for one job, writing at most once a
    second (and at every change of phase)."""

    def __init__(self, job: ImportJob, every: float = PROGRESS_EVERY) -> None:
        self.job = job
        self.every = every
        self.phase = ""
        self.last = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        finished = bool(total) and done >= total
        if phase == self.phase and now - self.last < self.every and not finished:
            return
        self.phase, self.last = phase, now
        at = timezone.now()
        if transaction.get_connection().in_atomic_block:
            data = {"phase": phase, "done": done, "total": total, "at": at.isoformat()}
            try:
                _write_private(_sidecar(self.job, "progress.json"), json.dumps(data).encode())
            except OSError:  # progress is a courtesy; the import goes on
                log.warning("import job %s: progress not written", self.job.pk)
        else:
            ImportJob.objects.filter(pk=self.job.pk).update(
                phase=phase[:16], done=max(done, 0), total=max(total, 0), progress_at=at
            )


# --- Services ------------------------------------------------------------------------------


class Upload(Protocol):
    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]: ...


def _source_label(source: Source) -> str:
    if source.protected:
        return ledger.keyed_hash(source.slug, f"source:{source.pk}")
    return source.slug


def _check_options(
    *,
    mode: str,
    reported_on: dt.date | None,
    default_status: str,
    default_event_date: dt.date | None,
    link_above: float,
    review_above: float,
) -> None:
    today = timezone.now().date()
    errors: dict[str, list[str]] = {}
    if mode not in Mode.values:
        errors["mode"] = [_("Choose how the list meets the registry.")]
    if reported_on is not None and reported_on > today:
        errors["reported_on"] = [_("The day the list was published cannot be in the future.")]
    if default_status and default_status not in CustodyStatus.values:
        errors["default_status"] = [_("Choose a status from the list.")]
    if default_event_date is not None and default_event_date > today:
        errors["default_event_date"] = [_("The event date cannot be in the future.")]
    if not 0.0 < review_above <= link_above <= 1.0:
        errors["link_above"] = [
            _("Thresholds must satisfy 0 < review threshold ≤ link threshold ≤ 1.")
        ]
    if errors:
        raise ValidationError(errors)


def _display_name(file_name: str) -> str:
    """The name it was uploaded with, for display: the last path part, printable."""
    name = str(file_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return name[:255] or "upload"


def _store(upload: Upload, file_name: str) -> tuple[str, str, int, str]:
    """Copy the upload into the import folder under a random name: (stored name, SHA-256,
    size, format). Refuses a file over the size limit or of no known format."""
    folder = upload_dir()
    token = secrets.token_hex(16)
    part = folder / f"{token}.part"
    digest = hashlib.sha256()
    size = 0
    head = b""
    limit = max_upload_bytes()
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in upload.chunks():
                size += len(chunk)
                if size > limit:
                    raise invalid(
                        "file",
                        _("The file is larger than %(mb)d MB.") % {"mb": limit // (1024 * 1024)},
                    )
                if len(head) < 64 * 1024:
                    head += chunk[: 64 * 1024 - len(head)]
                digest.update(chunk)
                fh.write(chunk)
        if not size:
            raise invalid("file", _("The file is empty."))
        try:
            fmt = detect_upload_format(file_name, head)
        except ReadError as exc:
            raise invalid("file", str(exc)) from None
        stored = f"{token}.{fmt}"
        os.replace(part, folder / stored)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return stored, digest.hexdigest(), size, fmt


def import_job_create(
    *,
    actor: User,
    upload: Upload,
    file_name: str,
    source: Source,
    agreement: Agreement | None = None,
    mode: str = Mode.MATCH,
    reported_on: dt.date | None = None,
    default_status: str = "",
    default_event_date: dt.date | None = None,
    link_above: float = LINK_ABOVE,
    review_above: float = REVIEW_ABOVE,
    encoding: str = "",
) -> ImportJob:
    """Keep an uploaded list for an import (``source`` and ``agreement`` from their
    selectors, as this actor sees them). Its headers are read and a mapping proposed."""
    require(actor, Action.RECORD)
    _check_options(
        mode=mode,
        reported_on=reported_on,
        default_status=default_status,
        default_event_date=default_event_date,
        link_above=link_above,
        review_above=review_above,
    )
    if encoding and encoding not in ENCODINGS:
        raise invalid("encoding", _("Choose an encoding from the list."))
    import_jobs_expire()
    name = _display_name(file_name)
    stored, sha256, size, fmt = _store(upload, name)
    path = upload_dir() / stored
    try:
        try:
            headers = read_headers(path, fmt, encoding if fmt == "csv" else "")
        except ReadError as exc:
            raise invalid("file", str(exc)) from None
        with transaction.atomic():
            job = ImportJob.objects.create(
                created_by=actor,
                file_name=name,
                stored_name=stored,
                sha256=sha256,
                size=size,
                format=fmt,
                encoding=encoding if fmt == "csv" else "",
                headers=headers,
                source=source,
                agreement=agreement,
                mode=mode,
                reported_on=reported_on,
                default_status=default_status,
                default_event_date=default_event_date,
                mapping=suggest_mapping(headers),
                link_above=link_above,
                review_above=review_above,
                state=JobState.UPLOADED,
            )
            ledger.append(
                actor,
                "import.job.create",
                job,
                {
                    "file_sha256": sha256,
                    "size": size,
                    "format": fmt,
                    "source": _source_label(source),
                    "agreement": agreement.slug if agreement else None,
                    "mode": mode,
                    "reported_on": reported_on.isoformat() if reported_on else None,
                },
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return job


def _lock(job: ImportJob) -> ImportJob:
    return (
        ImportJob.objects.select_for_update(of=("self",))
        .select_related("source", "agreement")
        .get(pk=job.pk)
    )


def _require_owner(actor: User, job: ImportJob) -> None:
    require(actor, Action.RECORD)
    if job.created_by_id != actor.pk:
        raise PermissionDenied("only the person who started an import moves it forward")


def _refuse_state(job: ImportJob) -> ValidationError:
    return invalid(
        "state",
        _("This import is %(state)s; that cannot be done now.")
        % {"state": job.get_state_display()},
    )


def import_job_map(
    *,
    actor: User,
    job: ImportJob,
    mapping: dict[str, str],
    default_status: str,
    default_event_date: dt.date | None,
) -> ImportJob:
    """Set which of their headers holds each of our columns (``{our column: their
    header}``; a column left out is not in the file) and the defaults for rows without a
    status or an event date. A change after a dry run asks for a new one."""
    _require_owner(actor, job)
    _check_options(
        mode=job.mode,
        reported_on=job.reported_on,
        default_status=default_status,
        default_event_date=default_event_date,
        link_above=job.link_above,
        review_above=job.review_above,
    )
    with transaction.atomic():
        current = _lock(job)
        if current.state not in EDITABLE or job_file(current) is None:
            raise _refuse_state(current)
        clean = check_mapping(current, mapping)
        current.mapping = clean
        current.default_status = default_status
        current.default_event_date = default_event_date
        current.state = JobState.MAPPED
        current.dry_run_summary = None
        current.save()
        canonical = json.dumps(clean, sort_keys=True, ensure_ascii=False).encode()
        ledger.append(
            actor,
            "import.job.map",
            current,
            {
                "columns": sorted(clean),
                # Their headers are the file's words: only a hash of the mapping.
                "mapping_sha256": hashlib.sha256(canonical).hexdigest(),
                "default_status": default_status or None,
                "default_event_date": default_event_date.isoformat()
                if default_event_date
                else None,
            },
        )
    return current


def _begin(actor: User, job: ImportJob, *, dry_run: bool) -> ImportJob:
    _require_owner(actor, job)
    with transaction.atomic():
        current = _lock(job)
        allowed = (JobState.MAPPED, JobState.DRY_RUN_DONE)
        if current.state not in allowed or job_file(current) is None:
            raise _refuse_state(current)
        if not dry_run and current.state == JobState.DRY_RUN_DONE:
            checked = current.dry_run_summary or {}
            if checked.get("status") == RunStatus.FAILED:
                raise invalid("state", _("The check found problems; correct them and check again."))
        current.state = JobState.DRY_RUN_RUNNING if dry_run else JobState.RUNNING
        current.phase, current.done, current.total, current.progress_at = "", 0, 0, None
        current.started_at, current.finished_at = timezone.now(), None
        current.task_id = ""
        current.language = translation.get_language() or ""
        if not dry_run:
            current.summary = None
        current.save()
        ledger.append(
            actor,
            "import.job.check" if dry_run else "import.job.start",
            current,
            {
                "file_sha256": current.sha256,
                "source": _source_label(current.source),
                "agreement": current.agreement.slug if current.agreement else None,
                "mode": current.mode,
                "link_above": current.link_above,
                "review_above": current.review_above,
            },
        )
    from detente.reconcile import tasks

    task = tasks.import_job_check if dry_run else tasks.import_job_run
    result = task.enqueue(current.pk)
    ImportJob.objects.filter(pk=current.pk).update(task_id=str(result.id)[:64])
    return ImportJob.objects.select_related("source", "agreement", "created_by", "run").get(
        pk=current.pk
    )


def import_job_dry_run(*, actor: User, job: ImportJob) -> ImportJob:
    """Check and match every row in the background, writing nothing."""
    return _begin(actor, job, dry_run=True)


def import_job_start(*, actor: User, job: ImportJob) -> ImportJob:
    """Import in the background, with the options and mapping as they are (after a dry
    run that found no problem, or straight from the mapping: the import checks every row
    first anyway and writes nothing when one is invalid)."""
    return _begin(actor, job, dry_run=False)


def task_stopped(job: ImportJob) -> bool:
    """Whether a job marked as running lost its background task: the task ended without
    finishing the job, or nothing was heard from it for ``STALLED_MINUTES`` (a worker that
    died, or none running)."""
    if job.state not in ACTIVE:
        return False
    if job.task_id:
        try:
            from django_tasks import default_task_backend

            result = default_task_backend.get_result(job.task_id)
        except Exception:  # the immediate backend keeps no results
            result = None
        if result is not None and str(result.status) in ("FAILED", "SUCCESSFUL"):
            return True
    heard = job_progress(job).at or job.started_at or job.updated_at
    return heard is not None and timezone.now() - heard > dt.timedelta(minutes=STALLED_MINUTES)


def import_job_discard(*, actor: User, job: ImportJob) -> ImportJob:
    """Give up a job that has not been imported: its file is deleted. The person who
    started it, verifiers and administrators."""
    require(actor, Action.RECORD)
    if job.created_by_id != actor.pk and not can(actor, Action.MANAGE):
        raise PermissionDenied("not this user's import")
    with transaction.atomic():
        current = _lock(job)
        if current.state in FINISHED or (current.state in ACTIVE and not task_stopped(current)):
            raise _refuse_state(current)
        _delete_files(current)
        current.state = JobState.ABANDONED
        current.finished_at = timezone.now()
        current.save()
        ledger.append(actor, "import.job.discard", current, {"file_sha256": current.sha256})
    return current


def keep_hours() -> float:
    return float(getattr(settings, "DETENTE_IMPORT_KEEP_HOURS", DEFAULT_KEEP_HOURS))


def import_jobs_expire(now: dt.datetime | None = None) -> int:
    """Discard the jobs nobody moved forward for ``DETENTE_IMPORT_KEEP_HOURS`` (default
    24): their files are deleted. Runs whenever a job is made; returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=keep_hours())
    stale = list(
        ImportJob.objects.filter(state__in=EDITABLE, updated_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    for pk in stale:
        with transaction.atomic():
            current = ImportJob.objects.select_for_update().get(pk=pk)
            if current.state not in EDITABLE:
                continue
            _delete_files(current)
            current.state = JobState.ABANDONED
            current.finished_at = timezone.now()
            current.save()
            ledger.append(
                None,
                "import.job.expire",
                current,
                {"file_sha256": current.sha256, "hours": keep_hours()},
            )
    return len(stale)


# --- What the background task records --------------------------------------------------------


def job_finish_check(job_id: int, data: dict[str, Any]) -> None:
    """The dry run is over (``data``: its summary); the job waits for the import."""
    with transaction.atomic():
        current = ImportJob.objects.select_for_update().get(pk=job_id)
        if current.state != JobState.DRY_RUN_RUNNING:
            return
        current.state = JobState.DRY_RUN_DONE
        current.dry_run_summary = data
        current.finished_at = timezone.now()
        current.save()
        ledger.append(current.created_by, "import.job.checked", current, _counts(data))


def job_finish_import(job_id: int, data: dict[str, Any]) -> None:
    """The import is over: done (with its run) or failed; the file is deleted."""
    with transaction.atomic():
        current = ImportJob.objects.select_for_update().get(pk=job_id)
        if current.state != JobState.RUNNING:
            return
        ok = data.get("status") != RunStatus.FAILED
        run_id = data.get("run")
        if run_id:
            # The run was named after the stored file; it is the uploaded file's.
            ImportRun.objects.filter(pk=run_id).update(file_name=current.file_name[:255])
            current.run_id = run_id
        current.summary = data
        current.state = JobState.DONE if ok else JobState.FAILED
        current.finished_at = timezone.now()
        _delete_files(current)
        current.save()
        ledger.append(
            current.created_by,
            "import.job.finish",
            current,
            {**_counts(data), "run": run_id},
        )


def _counts(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": data.get("status"),
        **{k: data.get(k, 0) for k in ("rows", "linked", "queued", "new", "rejected", "unchanged")},
        "errors": len(data.get("errors") or []),
    }


def examples_seen_by(viewer: Viewer, job: ImportJob) -> dict[str, list[dict[str, Any]]]:
    """The dry run's examples of linked, queued and new rows (the list's names, and the
    registry person each may be): the registry people shown are recorded as seen."""
    summary = job.dry_run_summary or {}
    examples = summary.get("examples") or {}
    out: dict[str, list[dict[str, Any]]] = {}
    handles: set[str] = set()
    for outcome in ("linked", "queued", "new"):
        items = []
        for item in examples.get(outcome) or []:
            if not isinstance(item, dict):
                continue
            candidate = item.get("candidate")
            if isinstance(candidate, dict):
                candidate = candidate.get("handle")
            if candidate:
                handles.add(str(candidate))
            items.append(
                {
                    "row": item.get("row"),
                    "name": item.get("name") or "",
                    "reason": item.get("reason") or "",
                    "candidate": str(candidate) if candidate else "",
                    "probability": item.get("probability"),
                }
            )
        out[outcome] = items
    ledger.record_access(viewer, "import.job.view", handles, {"job": job.pk})
    return out
