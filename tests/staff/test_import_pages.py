"""Importing a list from the staff pages: upload, map, check, import, result, rows CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.support import World

from detente.audit.models import AuditEntry
from detente.evidence.models import Claim
from detente.matching import registry as matching_registry
from detente.reconcile import jobs
from detente.reconcile.models import ImportJob, ImportRow, ImportRun, JobState
from detente.registry.models import Person

# Their headers, in Spanish; names as another organisation writes them.
GOOD = (
    "Identificador,Nombre completo,Situación,Fecha\n"
    "A-1,Yoandri 0 Pérez,sentenced,2024-05-01\n"
    "A-2,Eusebio Caridad Tamayo Leyva,detained,2024-05-02\n"
)
BAD = (
    "Identificador,Nombre completo,Fecha de nacimiento,Situación,Fecha\n"
    "B-1,Eusebio Caridad Tamayo Leyva,1961,detained,2024-05-02\n"
    "B-2,Mario Leyva Ruiz,31/02/1970,detained,2024-05-02\n"
)


@pytest.fixture(autouse=True)
def _background_inline(settings: Any, tmp_path: Path) -> Iterator[None]:
    """Background tasks run inside the request, and uploads go to this test's folder."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.DATA_DIR = tmp_path / "data"
    matching_registry.reset()
    yield
    matching_registry.reset()


def _upload(client: Client, world: World, text: str, name: str = "lista.csv", **extra: str) -> Any:
    form = {
        "file": SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv"),
        "source": world.sources["ngo"].slug,
        "mode": "match",
        "link_above": "0.95",
        "review_above": "0.05",
        **extra,
    }
    return client.post("/staff/imports/new/", form)


def _mapping_form(job: ImportJob, action: str, **changes: str) -> dict[str, str]:
    data = {f"map_{c}": h for c, h in job.mapping.items()}
    data.update(changes)
    data["action"] = action
    return data


def _page(response: Any, url: str) -> str:
    text = response.content.decode().replace(url, "X")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)


def _uploads() -> list[Path]:
    return [p for p in jobs.upload_dir().iterdir() if p.is_file()]


def test_upload_map_check_and_import_through_the_pages(
    world: World, signed_in: Callable[..., Client]
) -> None:
    client = signed_in("analyst")
    new = client.get("/staff/imports/new/")
    assert new.status_code == 200 and 'enctype="multipart/form-data"' in new.content.decode()
    uploaded = _upload(client, world, GOOD, link_above="0.999999", review_above="0.0001")
    assert uploaded.status_code == 302
    job = ImportJob.objects.get()
    assert uploaded["Location"] == f"/staff/imports/jobs/{job.pk}/"
    # Never stored or addressed by the name it came with.
    assert "lista" not in job.stored_name and "lista" not in uploaded["Location"]
    assert job.file_name == "lista.csv" and job.format == "csv"
    assert job.mapping == {
        "external_id": "Identificador",
        "name": "Nombre completo",
        "status": "Situación",
        "event_date": "Fecha",
    }

    # The mapping step: their headers offered for each of ours, and the rows as read.
    page = client.get(f"/staff/imports/jobs/{job.pk}/").content.decode()
    assert '<option value="Nombre completo" selected>' in page
    assert re.search(r"<td>Eusebio Caridad</td><td>Tamayo</td><td>Leyva</td>", page)
    assert 'id="preview-row-3"' in page

    # Check (dry run): counts, nothing written.
    people, claims = Person.objects.count(), Claim.objects.count()
    checked = client.post(f"/staff/imports/jobs/{job.pk}/map/", _mapping_form(job, "check"))
    assert checked.status_code == 302
    job.refresh_from_db()
    assert job.state == JobState.DRY_RUN_DONE, job.dry_run_summary
    assert job.dry_run_summary["rows"] == 2
    assert (Person.objects.count(), Claim.objects.count()) == (people, claims)
    assert not ImportRun.objects.exists()
    outcome = client.get(f"/staff/imports/jobs/{job.pk}/").content.decode()
    assert "What the import would do" in outcome
    # Examples with the list's names and the registry person each may be; seeing them is
    # recorded in the ledger.
    assert "Eusebio Caridad Tamayo Leyva" in outcome and "Yoandri 0 Pérez" in outcome
    candidate = world.person(0).handle
    assert f'href="/staff/people/{candidate}/"' in outcome
    seen = AuditEntry.objects.filter(action="import.job.view").latest("position")
    assert seen.payload["people"] == [candidate] and seen.payload["job"] == job.pk
    assert f'action="/staff/imports/jobs/{job.pk}/start/"' in outcome
    # The progress fragment of a finished check asks htmx to reload the page.
    polled = client.get(f"/staff/imports/jobs/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert polled.status_code == 200 and polled["HX-Refresh"] == "true"

    # Import.
    started = client.post(f"/staff/imports/jobs/{job.pk}/start/")
    assert started.status_code == 302
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.summary
    run = ImportRun.objects.get()
    assert job.run == run and run.file_name == "lista.csv"
    assert run.rows == 2 and run.linked + run.queued + run.new == 2
    # The file is gone; its SHA-256 stays.
    assert job.stored_name == "" and _uploads() == [] and len(job.sha256) == 64

    result = client.get(f"/staff/imports/jobs/{job.pk}/").content.decode()
    counts = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)", result))
    assert counts["Rows read"] == str(run.rows)
    assert counts["Linked to a registry person"] == str(run.linked)
    assert counts["Queued for review"] == str(run.queued)
    assert counts["New people"] == str(run.new)
    assert counts["Seen before; nothing added"] == str(run.unchanged)
    if run.queued:
        assert f"/staff/matches/?run={run.pk}" in result
    assert f"/staff/imports/{run.pk}/rows.csv" in result

    # The list shows the import, by whom, with its counts.
    listing = client.get("/staff/imports/").content.decode()
    assert f"/staff/imports/{run.pk}/" in listing and "staff-analyst" in listing

    # The rows as CSV: UTF-8 with BOM, one line per row, handles only; the download is
    # recorded as an access to those handles.
    download = client.get(f"/staff/imports/{run.pk}/rows.csv")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    body = download.content.decode("utf-8")
    assert body.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert [r["row"] for r in table] == ["2", "3"]
    assert [r["external_id"] for r in table] == ["A-1", "A-2"]
    assert "Tamayo" not in body
    seen = AuditEntry.objects.filter(action="import.rows.download").latest("position")
    handles = {r["person"] for r in table if r["person"]}
    assert handles and handles <= set(seen.payload["people"])


def test_a_bad_file_shows_each_error_with_row_and_column_and_writes_nothing(
    world: World, signed_in: Callable[..., Client]
) -> None:
    client = signed_in("analyst")
    _upload(client, world, BAD)
    job = ImportJob.objects.get()
    assert job.mapping["birth_date"] == "Fecha de nacimiento"
    page = client.get(f"/staff/imports/jobs/{job.pk}/").content.decode()
    # The preview already shows the problem on its row.
    assert 'class="has-problem"' in page and "is not a real date" in page
    before = (Person.objects.count(), Claim.objects.count(), ImportRow.objects.count())
    client.post(f"/staff/imports/jobs/{job.pk}/map/", _mapping_form(job, "check"))
    job.refresh_from_db()
    assert job.state == JobState.DRY_RUN_DONE and job.dry_run_summary["status"] == "failed"
    page = client.get(f"/staff/imports/jobs/{job.pk}/").content.decode()
    assert "<title>Error:" in page and 'class="error-summary"' in page
    assert "Row 3, column “Fecha de nacimiento”" in page
    assert 'href="#preview-row-3"' in page
    assert f'action="/staff/imports/jobs/{job.pk}/start/"' not in page
    # Importing anyway is refused; nothing was written.
    client.post(f"/staff/imports/jobs/{job.pk}/start/")
    job.refresh_from_db()
    assert job.state == JobState.DRY_RUN_DONE
    after = (Person.objects.count(), Claim.objects.count(), ImportRow.objects.count())
    assert after == before and not ImportRun.objects.exists()


def test_upload_errors_are_summarised_at_the_top(
    world: World, signed_in: Callable[..., Client]
) -> None:
    client = signed_in("analyst")
    refused = _upload(client, world, "x", name="list.pdf", link_above="0.2", review_above="0.5")
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "<title>Error:" in page and 'class="error-summary"' in page
    assert 'href="#id_link_above"' in page
    refused = _upload(client, world, "x", name="list.pdf")
    assert 'href="#id_file"' in refused.content.decode() and "Unknown file format" in (
        refused.content.decode()
    )
    empty = _upload(client, world, "", name="list.csv")
    assert empty.status_code == 400
    assert not ImportJob.objects.exists() and _uploads() == []


def test_a_mapping_without_a_name_is_refused_on_its_field(
    world: World, signed_in: Callable[..., Client]
) -> None:
    client = signed_in("analyst")
    _upload(client, world, GOOD)
    job = ImportJob.objects.get()
    refused = client.post(
        f"/staff/imports/jobs/{job.pk}/map/", _mapping_form(job, "preview", map_name="")
    )
    assert refused.status_code == 400
    assert 'href="#id_map_name"' in refused.content.decode()
    job.refresh_from_db()
    assert job.state == JobState.UPLOADED and job.mapping["name"] == "Nombre completo"
    # Two of ours on one of theirs.
    refused = client.post(
        f"/staff/imports/jobs/{job.pk}/map/",
        _mapping_form(job, "preview", map_province="Nombre completo"),
    )
    assert refused.status_code == 400 and "already chosen" in refused.content.decode()


def test_a_job_is_its_creators_and_the_verifiers_only(
    world: World, signed_in: Callable[..., Client]
) -> None:
    owner = signed_in("analyst", username="owner")
    _upload(owner, world, GOOD)
    job = ImportJob.objects.get()
    other = signed_in("analyst", username="colleague")
    for url in (
        f"/staff/imports/jobs/{job.pk}/",
        f"/staff/imports/jobs/{job.pk}/progress/",
    ):
        response = other.get(url)
        absent_url = url.replace(str(job.pk), "999999")
        absent = other.get(absent_url)
        assert response.status_code == absent.status_code == 404
        # The same page, but for the address it echoes (the language switch's "next") and
        # the form token, masked afresh in every answer.
        assert _page(response, url) == _page(absent, absent_url)
    assert other.post(f"/staff/imports/jobs/{job.pk}/start/").status_code == 404
    assert other.post(f"/staff/imports/jobs/{job.pk}/discard/").status_code == 404
    assert "lista.csv" not in other.get("/staff/imports/").content.decode()
    # A verifier sees it (and may discard it) but does not move someone else's import.
    verifier = signed_in("verifier")
    page = verifier.get(f"/staff/imports/jobs/{job.pk}/").content.decode()
    assert "lista.csv" in page and 'name="action" value="check"' not in page
    assert verifier.post(f"/staff/imports/jobs/{job.pk}/start/").status_code == 403
    assert verifier.post(f"/staff/imports/jobs/{job.pk}/discard/").status_code == 302
    job.refresh_from_db()
    assert job.state == JobState.ABANDONED and _uploads() == []


@pytest.mark.parametrize("role", ["legislature", "public"])
def test_outside_staff_nothing_opens(
    world: World, signed_in: Callable[..., Client], role: str
) -> None:
    staff = signed_in("analyst")
    _upload(staff, world, GOOD)
    job = ImportJob.objects.get()
    client = signed_in(role)
    for url in ("/staff/imports/", "/staff/imports/new/", f"/staff/imports/jobs/{job.pk}/"):
        assert client.get(url).status_code in (403, 404), url
    assert Client().get("/staff/imports/")["Location"].startswith("/staff/login/")


def test_the_rows_csv_neutralises_formulas(world: World, signed_in: Callable[..., Client]) -> None:
    client = signed_in("analyst")
    _upload(client, world, GOOD)
    job = ImportJob.objects.get()
    client.post(f"/staff/imports/jobs/{job.pk}/map/", _mapping_form(job, "check"))
    client.post(f"/staff/imports/jobs/{job.pk}/start/")
    run = ImportRun.objects.get()
    # A row stored with a formula in a cell (an older import, or a free-text cell).
    row = ImportRow.objects.filter(run=run).first()
    assert row is not None
    row.data = {**row.data, "external_id": '=HYPERLINK("http://evil.example","x")'}
    row.save(update_fields=["data"])
    body = client.get(f"/staff/imports/{run.pk}/rows.csv").content.decode("utf-8")
    cells = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert cells[1][1] == '\'=HYPERLINK("http://evil.example","x")'
    assert all(not c.startswith(("=", "+", "-", "@")) for line in cells for c in line)


def test_progress_is_shown_while_a_task_waits(
    world: World, signed_in: Callable[..., Client], settings: Any
) -> None:
    """With the database queue and no worker, the page shows the wait and polls."""
    client = signed_in("analyst")
    _upload(client, world, GOOD)
    job = ImportJob.objects.get()
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    client.post(f"/staff/imports/jobs/{job.pk}/map/", _mapping_form(job, "check"))
    job.refresh_from_db()
    assert job.state == JobState.DRY_RUN_RUNNING
    page = client.get(f"/staff/imports/jobs/{job.pk}/").content.decode()
    assert "Waiting for the background worker" in page
    assert f'hx-get="/staff/imports/jobs/{job.pk}/progress/"' in page
    assert f'href="/staff/imports/jobs/{job.pk}/">Refresh' in page
    jobs.ProgressWriter(job)("match", 5, 10)
    fragment = client.get(f"/staff/imports/jobs/{job.pk}/progress/").content.decode()
    assert "5 of 10 rows" in fragment and '<progress value="5" max="10">' in fragment
