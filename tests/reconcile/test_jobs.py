"""Import jobs (reconcile.jobs): the services and selectors, the background tasks, the
API operations and ``detente import show``."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import Http404
from django.test import Client
from django.utils import timezone
from tests.reconcile.conftest import write_list
from tests.support import World, make_user

from detente.api.services import token_create
from detente.audit.models import AuditEntry
from detente.reconcile import jobs
from detente.reconcile.models import ImportJob, ImportRow, ImportRun, JobState
from detente.registry.models import Person

ROWS = [
    {
        "name": "JOSE LUIS GOMEZ",
        "birth_date": "03/02/1980",
        "province": "Holguin",
        "municipality": "Banes",
        "status": "sentenced",
        "event_date": "2024-05-01",
    },
    {
        "name": "Eusebio Caridad Tamayo Leyva",
        "birth_date": "1961",
        "province": "Guantánamo",
        "status": "detained",
        "event_date": "2024-05-02",
    },
]


@pytest.fixture(autouse=True)
def _inline_tasks(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.DATA_DIR = tmp_path / "data"
    yield


def _csv(tmp_path: Path, rows: list[dict[str, Any]] | None = None) -> bytes:
    return write_list(tmp_path / "list.csv", ROWS if rows is None else rows).read_bytes()


def _create(actor: User, world: World, data: bytes, name: str = "Lista NGO.csv", **kw: Any) -> Any:
    return jobs.import_job_create(
        actor=actor,
        upload=SimpleUploadedFile(name, data),
        file_name=name,
        source=world.sources["ngo"],
        **kw,
    )


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("position"))


def test_a_job_walks_from_upload_to_import_and_the_ledger_holds_no_names(
    tmp_path: Path, world: World, registry: dict[str, Person], actor: User
) -> None:
    analyst = make_user("ana", "analyst")
    job = _create(analyst, world, _csv(tmp_path))
    assert job.state == JobState.UPLOADED and job.format == "csv"
    stored = jobs.job_file(job)
    assert stored is not None and stored.parent == jobs.upload_dir()
    assert "Lista" not in stored.name and stored.stat().st_mode & 0o077 == 0
    assert job.headers == ["name", "birth_date", "province", "municipality", "status", "event_date"]
    job = jobs.import_job_map(
        actor=analyst,
        job=job,
        mapping=job.mapping,
        default_status="",
        default_event_date=None,
    )
    preview = jobs.import_job_preview(analyst, job)
    assert [r.number for r in preview.rows] == [2, 3]
    second = preview.rows[1]
    assert (second.given_names, second.paternal_surname, second.maternal_surname) == (
        "Eusebio Caridad",
        "Tamayo",
        "Leyva",
    )
    # The status by its label, never its code.
    assert second.birth_date == "1961" and second.status == "Detained" and not second.problems

    job = jobs.import_job_dry_run(actor=analyst, job=job)
    assert job.state == JobState.DRY_RUN_DONE
    checked = job.dry_run_summary
    assert (
        checked["status"] == "dry_run"
        and checked["rows"] == 2
        and checked["file"] == ("Lista NGO.csv")
    )
    assert not ImportRun.objects.exists()

    job = jobs.import_job_start(actor=analyst, job=job)
    assert job.state == JobState.DONE, job.summary
    run = ImportRun.objects.get()
    assert job.run == run and run.file_name == "Lista NGO.csv" and run.created_by == analyst
    assert (run.linked, run.new) == (job.summary["linked"], job.summary["new"])
    assert jobs.job_file(job) is None and not list(jobs.upload_dir().iterdir())
    assert job.sha256 == run.sha256

    actions = [
        "import.job.create",
        "import.job.map",
        "import.job.check",
        "import.job.checked",
        "import.job.start",
        "import.run",
        "import.job.finish",
    ]
    for action in actions:
        assert _entries(action), action
    for action in actions:
        for entry in _entries(action):
            text = entry.data
            for word in ("Lista", "Tamayo", "Eusebio", "GOMEZ", "Guant"):
                assert word not in text, (action, word)
    assert _entries("import.job.finish")[-1].payload["run"] == run.pk


def test_the_legislature_cannot_import_and_a_job_is_seen_by_its_creator_and_deciders(
    tmp_path: Path, world: World
) -> None:
    with pytest.raises(PermissionDenied):
        _create(make_user("lex", "legislature"), world, _csv(tmp_path))
    owner = make_user("owner", "analyst")
    job = _create(owner, world, _csv(tmp_path))
    colleague = make_user("colleague", "analyst")
    with pytest.raises(Http404):
        jobs.import_job_get(colleague, job.pk)
    assert not jobs.import_jobs(colleague).exists()
    for role in ("verifier", "administrator"):
        assert jobs.import_job_get(make_user(f"a-{role}", role), job.pk) == job
    verifier = User.objects.get(username="a-verifier")
    # Seeing is not moving it forward: the import is its creator's.
    with pytest.raises(PermissionDenied):
        jobs.import_job_dry_run(actor=verifier, job=job)
    with pytest.raises(PermissionDenied):
        jobs.import_job_discard(actor=colleague, job=job)
    jobs.import_job_discard(actor=verifier, job=job)
    job.refresh_from_db()
    assert job.state == JobState.ABANDONED and jobs.job_file(job) is None


def test_bad_rows_stop_at_the_check_and_the_import_is_refused(
    tmp_path: Path, world: World, actor: User
) -> None:
    bad = [{**ROWS[1], "birth_date": "31/02/1970"}, {**ROWS[1], "name": "", "status": ""}]
    job = _create(actor, world, _csv(tmp_path, bad))
    job = jobs.import_job_dry_run(
        actor=actor,
        job=jobs.import_job_map(
            actor=actor, job=job, mapping=job.mapping, default_status="", default_event_date=None
        ),
    )
    assert job.state == JobState.DRY_RUN_DONE and job.dry_run_summary["status"] == "failed"
    where = {(e["row"], e["column"]) for e in job.dry_run_summary["errors"]}
    assert (2, "birth_date") in where and (3, "name") in where
    with pytest.raises(ValidationError):
        jobs.import_job_start(actor=actor, job=job)
    assert not ImportRun.objects.exists() and not ImportRow.objects.exists()
    # A default status fixes the rows that lack one; the job asks for a new check.
    job = jobs.import_job_map(
        actor=actor,
        job=job,
        mapping=job.mapping,
        default_status="detained",
        default_event_date=None,
    )
    assert job.state == JobState.MAPPED and job.dry_run_summary is None


def test_uploads_are_refused_with_the_field_named_and_leave_no_file(
    tmp_path: Path, world: World, actor: User, settings: Any
) -> None:
    cases = [
        (b"", "list.csv"),
        (b"%PDF-1.4", "list.pdf"),
        (b"not excel", "list.xlsx"),
        (b'{"people": 3}', "list.json"),
    ]
    for data, name in cases:
        with pytest.raises(ValidationError) as refused:
            _create(actor, world, data, name)
        assert "file" in refused.value.message_dict, name
    settings.DETENTE_IMPORT_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="larger than"):
        _create(actor, world, _csv(tmp_path))
    with pytest.raises(ValidationError) as thresholds:
        _create(actor, world, b"name\nA\n", link_above=0.1, review_above=0.5)
    assert "link_above" in thresholds.value.message_dict
    future = timezone.now().date() + dt.timedelta(days=2)
    with pytest.raises(ValidationError) as dates:
        _create(actor, world, b"name\nA\n", reported_on=future)
    assert "reported_on" in dates.value.message_dict
    assert not ImportJob.objects.exists() and not list(jobs.upload_dir().iterdir())


def test_the_format_comes_from_the_name_or_the_content(world: World, actor: User) -> None:
    assert jobs.detect_upload_format("lista", b"PK\x03\x04rest") == "xlsx"
    assert jobs.detect_upload_format("lista", b'\xef\xbb\xbf[{"name": "A"}]') == "json"
    assert jobs.detect_upload_format("lista", b"name;status\n") == "csv"
    assert jobs.detect_upload_format("LISTA.TSV", b"") == "csv"
    data = json.dumps({"people": [{"Nombre": "Ana", "Estado": "detenida"}]}).encode()
    job = _create(actor, world, data, name="export")
    assert job.format == "json" and job.headers == ["Nombre", "Estado"]


def test_headers_are_matched_by_their_usual_names() -> None:
    headers = [
        "Nº",
        "Nombre y apellidos",
        "Fecha de nacimiento",
        "SEXO",
        "Provincia",
        "Situación",
        "Fecha",
        "Fuente",
    ]
    assert jobs.suggest_mapping(headers) == {
        "name": "Nombre y apellidos",
        "birth_date": "Fecha de nacimiento",
        "sex": "SEXO",
        "province": "Provincia",
        "status": "Situación",
        "event_date": "Fecha",
    }
    # Our own names win, and a header is used once.
    assert jobs.suggest_mapping(["name", "nombre"]) == {"name": "name"}


def test_a_mapping_is_checked_against_the_file(tmp_path: Path, world: World, actor: User) -> None:
    job = _create(actor, world, b"Nombre,status,Fecha\nAna Diaz,detained,2020-01-01\n")
    for mapping, field in (
        ({"name": "Nombre", "birth_date": "Nope"}, "birth_date"),
        ({"name": "Nombre", "colour": "Fecha"}, "colour"),
        ({"event_date": "Fecha"}, "name"),
        ({"name": "Nombre", "event_date": "Nombre"}, "event_date"),
        # "status" is the file's own header: it is read whatever the mapping says.
        ({"name": "Nombre", "status": ""}, "status"),
    ):
        with pytest.raises(ValidationError) as refused:
            jobs.import_job_map(
                actor=actor, job=job, mapping=mapping, default_status="", default_event_date=None
            )
        assert field in refused.value.message_dict, mapping
    job.refresh_from_db()
    assert job.state == JobState.UPLOADED


def test_progress_is_written_at_most_once_a_second(world: World, actor: User) -> None:
    job = _create(actor, world, b"name,status,event_date\nAna Diaz,detained,2020-01-01\n")
    writer = jobs.ProgressWriter(job, every=3600)
    writer("validate", 5000, 0)
    writer("validate", 10000, 0)  # throttled
    progress = jobs.job_progress(ImportJob.objects.get(pk=job.pk))
    assert (progress.phase, progress.done) in (("", 0), ("validate", 5000))  # not running yet
    ImportJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING)
    job.refresh_from_db()
    writer("match", 2000, 4000)  # a new phase is always written
    progress = jobs.job_progress(job)
    assert (progress.phase, progress.done, progress.total, progress.percent) == (
        "match",
        2000,
        4000,
        50,
    )
    writer("match", 3000, 4000)  # throttled
    assert jobs.job_progress(job).done == 2000
    writer("match", 4000, 4000)  # the end of a phase is always written
    assert jobs.job_progress(job).done == 4000


def test_forgotten_jobs_are_discarded_and_their_files_deleted(world: World, actor: User) -> None:
    job = _create(actor, world, b"name\nAna Diaz\n")
    assert jobs.import_jobs_expire() == 0
    later = timezone.now() + dt.timedelta(hours=jobs.DEFAULT_KEEP_HOURS + 1)
    assert jobs.import_jobs_expire(later) == 1
    job.refresh_from_db()
    assert job.state == JobState.ABANDONED and not list(jobs.upload_dir().iterdir())
    assert _entries("import.job.expire")[-1].actor_label == "system"


# --- detente import show ------------------------------------------------------------------


def _run_command(*args: str) -> str:
    out = io.StringIO()
    call_command("import", *args, stdout=out)
    return out.getvalue()


def test_import_show_prints_the_rows_by_handle(
    tmp_path: Path, world: World, registry: dict[str, Person]
) -> None:
    path = write_list(tmp_path / "ngo.csv", ROWS)
    summary = json.loads(_run_command(str(path), "--source", world.sources["ngo"].slug, "--json"))
    run = summary["run"]
    rows = json.loads(_run_command("show", str(run), "--rows", "--json"))
    assert [r["row"] for r in rows] == [2, 3]
    assert set(rows[0]) == {
        "row",
        "external_id",
        "outcome",
        "reason",
        "person",
        "probability",
        "candidates",
        "decision",
    }
    stored = {r.number: r for r in ImportRow.objects.filter(run_id=run)}
    for r in rows:
        row = stored[r["row"]]
        assert r["outcome"] == row.outcome
        assert r["person"] == (row.person.handle if row.person else None)
        assert all(set(c) == {"handle", "probability"} for c in r["candidates"])
    assert rows[0]["person"] == registry["jose"].handle
    text = _run_command("show", str(run), "--rows")
    assert registry["jose"].handle in text and "José" not in text and "Tamayo" not in text
    head = json.loads(_run_command("show", str(run), "--json"))
    assert (head["run"], head["rows"], head["linked"]) == (run, 2, summary["linked"])
    assert "linked" in _run_command("show", str(run))
    # Staff through --as; others as for an import that does not exist.
    make_user("ana", "analyst")
    assert json.loads(_run_command("show", str(run), "--rows", "--json", "--as", "ana")) == rows
    make_user("lex", "legislature")
    with pytest.raises(CommandError, match=f"no import {run}"):
        _run_command("show", str(run), "--as", "lex")
    with pytest.raises(CommandError, match="no import 999999"):
        _run_command("show", "999999")


def test_a_list_in_a_file_named_show_is_still_imported(
    tmp_path: Path, world: World, registry: dict[str, Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_list(tmp_path / "show", ROWS)
    monkeypatch.chdir(tmp_path)
    summary = json.loads(
        _run_command("./show", "--source", world.sources["ngo"].slug, "--format", "csv", "--json")
    )
    assert summary["rows"] == 2
    with pytest.raises(CommandError):  # `show` needs an import's number
        _run_command("show", "--source", world.sources["ngo"].slug)


# --- The API --------------------------------------------------------------------------------


def _token(user: User, scope: str = "write") -> dict[str, str]:
    secret = token_create(actor=user, user=user, name="t", scope=scope)[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_upload_through_the_api_and_follow_the_job(
    tmp_path: Path, world: World, registry: dict[str, Person]
) -> None:
    analyst = make_user("ana", "analyst")
    auth = _token(analyst)
    client = Client()
    answer = client.post(
        "/api/imports",
        {
            "file": SimpleUploadedFile("ngo.csv", _csv(tmp_path)),
            "source": world.sources["ngo"].slug,
            "dry_run": "true",
        },
        **auth,
    )
    assert answer.status_code == 202, answer.content
    body = answer.json()
    assert body["state"] == "dry_run_done" and body["dry_run"]["rows"] == 2
    assert body["file_name"] == "ngo.csv" and body["run"] is None
    followed = client.get(f"/api/imports/jobs/{body['id']}", **auth)
    assert followed.status_code == 200 and followed.json()["state"] == "dry_run_done"
    # Someone else's job looks missing.
    other = _token(make_user("bob", "analyst"))
    hidden = client.get(f"/api/imports/jobs/{body['id']}", **other)
    missing = client.get("/api/imports/jobs/999999", **other)
    assert hidden.status_code == missing.status_code == 404 and hidden.content == missing.content
    assert client.post(f"/api/imports/jobs/{body['id']}/start", **other).status_code == 404
    # A verifier sees it but does not import someone else's list; its creator does.
    verifier = _token(make_user("vera", "verifier"))
    assert client.get(f"/api/imports/jobs/{body['id']}", **verifier).status_code == 200
    assert client.post(f"/api/imports/jobs/{body['id']}/start", **verifier).status_code == 403
    started = client.post(f"/api/imports/jobs/{body['id']}/start", **auth)
    assert started.status_code == 202 and started.json()["state"] == "done", started.content
    again = client.post(f"/api/imports/jobs/{body['id']}/start", **auth)
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "state"

    # Importing straight away, with a mapping of our own.
    data = b"Nombre,Estado,Fecha\nEusebio Caridad Tamayo Leyva,detained,2024-05-02\n"
    answer = client.post(
        "/api/imports",
        {
            "file": SimpleUploadedFile("otra.csv", data),
            "source": world.sources["family"].slug,
            "mapping": json.dumps({"name": "Nombre", "status": "Estado", "event_date": "Fecha"}),
            "dry_run": "false",
        },
        **auth,
    )
    assert answer.status_code == 202, answer.content
    done = answer.json()
    assert done["state"] == "done" and done["run"], done
    run = ImportRun.objects.get(pk=done["run"])
    assert run.file_name == "otra.csv"
    page = client.get(f"/api/imports/{run.pk}/rows?limit=1", **auth)
    assert page.status_code == 200
    first = page.json()
    assert [i["row"] for i in first["items"]] == [2] and first["next_cursor"] is None
    assert set(first["items"][0]) == {
        "row",
        "external_id",
        "outcome",
        "reason",
        "person",
        "probability",
        "candidates",
        "decision",
    }


def test_api_uploads_are_refused_with_problem_details(
    tmp_path: Path, world: World, actor: User
) -> None:
    client = Client()
    auth = _token(make_user("ana", "analyst"))
    refusals = [
        ({"source": "no-such-source"}, "source"),
        ({"source": world.sources["ngo"].slug, "status": "asleep"}, "status"),
        ({"source": world.sources["ngo"].slug, "mapping": '{"colour": "name"}'}, "mapping.colour"),
        ({"source": world.sources["ngo"].slug, "mapping": '{"province": "name"}'}, "mapping.name"),
    ]
    for extra, field in refusals:
        answer = client.post(
            "/api/imports", {"file": SimpleUploadedFile("l.csv", _csv(tmp_path)), **extra}, **auth
        )
        assert answer.status_code == 422, (extra, answer.content)
        assert answer["Content-Type"] == "application/problem+json"
        assert field in {e["field"] for e in answer.json()["errors"]}, answer.json()
    read_only = _token(make_user("ro", "analyst"), scope="read")
    answer = client.post(
        "/api/imports",
        {"file": SimpleUploadedFile("l.csv", _csv(tmp_path)), "source": world.sources["ngo"].slug},
        **read_only,
    )
    assert answer.status_code == 403
    # Nothing kept: no running job, no file.
    assert not ImportJob.objects.exclude(state=JobState.ABANDONED).exists()
    assert not list(jobs.upload_dir().iterdir())


def test_the_api_schemas_have_names_of_their_own() -> None:
    """The OpenAPI components are keyed by class name: two schemas of one name (an import
    job's progress and an agreement's, say) would silently become one."""
    from ninja import Schema

    import detente.api.main  # noqa: F401 - every router loaded

    def walk(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    ours: dict[str, set[str]] = {}
    for cls in walk(Schema):
        if cls.__module__.startswith("detente."):
            ours.setdefault(cls.__name__, set()).add(cls.__module__)
    assert {name: mods for name, mods in ours.items() if len(mods) > 1} == {}
