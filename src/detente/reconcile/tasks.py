"""Background tasks of imports started from the web or the API (django-tasks; `detente
db_worker` runs them from the database, ``DETENTE_TASKS=immediate`` inside the request).

Arguments are ids only: the task table keeps them after the task has run. Each task reads
its job, runs :func:`detente.reconcile.importer.import_list` on the uploaded file with the
job's options (a dry run, or the import), reports progress through the job
(:class:`~detente.reconcile.jobs.ProgressWriter`) and records the outcome on it.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from detente.reconcile import jobs
from detente.reconcile.models import ImportJob, JobState, RunStatus

log = logging.getLogger(__name__)


def _supports(name: str) -> bool:
    from detente.reconcile.importer import import_list

    return name in inspect.signature(import_list).parameters


def summary_data(summary: Any, job: ImportJob) -> dict[str, Any]:
    """The summary as stored on the job: ``Summary.as_dict()``, with the examples where
    the importer gives them, under the name the file was uploaded with."""
    data: dict[str, Any] = dict(summary.as_dict())
    examples = getattr(summary, "examples", None)
    if examples is not None and "examples" not in data:
        data["examples"] = examples
    data["file"] = job.file_name
    return data


def _server_failure(job: ImportJob) -> dict[str, Any]:
    return {
        "run": None,
        "status": RunStatus.FAILED,
        "file": job.file_name,
        "sha256": job.sha256,
        "format": job.format,
        "rows": 0,
        "linked": 0,
        "queued": 0,
        "new": 0,
        "rejected": 0,
        "unchanged": 0,
        "errors": [
            {
                "row": None,
                "column": None,
                "message": _(
                    "The import stopped because of an error on the server; nothing was "
                    "changed. Try again, or ask an administrator to look at the server's log."
                ),
            }
        ],
        "warnings": [],
    }


def run_job(job_id: int, *, dry_run: bool) -> str:
    """Run a job's dry run or import; returns the state it left the job in."""
    from detente.reconcile.importer import ImportFailed, import_list

    expected = JobState.DRY_RUN_RUNNING if dry_run else JobState.RUNNING
    job = (
        ImportJob.objects.select_related("source", "agreement", "created_by")
        .filter(pk=job_id)
        .first()
    )
    if job is None or job.state != expected:
        return "skipped"
    finish = jobs.job_finish_check if dry_run else jobs.job_finish_import
    with translation.override(job.language or None):
        path = jobs.job_file(job)
        if path is None:
            data = _server_failure(job)
            data["errors"][0]["message"] = _("The uploaded file is gone; upload it again.")
            finish(job.pk, data)
            return "failed"
        mapping_path = jobs.mapping_file(job)
        options: dict[str, Any] = {
            "actor": job.created_by,
            "path": path,
            "source": job.source,
            "agreement": job.agreement,
            "mapping_path": mapping_path,
            "fmt": job.format,
            "encoding": job.encoding,
            "dry_run": dry_run,
            "link_above": job.link_above,
            "review_above": job.review_above,
            "status": job.default_status,
            "event_date": job.default_event_date,
            "progress": jobs.ProgressWriter(job),
        }
        # Options the importer is gaining (docs/reconciliation.md): given when it takes them.
        if _supports("mode"):
            options["mode"] = job.mode
        if _supports("reported_on"):
            options["reported_on"] = job.reported_on
        try:
            data = summary_data(import_list(**options), job)
        except ImportFailed as failed:
            data = summary_data(failed.summary, job)
        except Exception:
            log.exception("import job %s: the %s failed", job.pk, "check" if dry_run else "import")
            data = _server_failure(job)
        finally:
            mapping_path.unlink(missing_ok=True)
        finish(job.pk, data)
    return str(data.get("status"))


@task()
def import_job_check(job_id: int) -> str:
    """The dry run of an import job: every row checked and matched, nothing written."""
    return run_job(job_id, dry_run=True)


@task()
def import_job_run(job_id: int) -> str:
    """The import of an import job."""
    return run_job(job_id, dry_run=False)
