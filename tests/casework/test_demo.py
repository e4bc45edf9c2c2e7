"""The demo arrives with casework on a few people (issue 16, point 7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from detente.casework.models import Intervention, Note, NoteVersion, Task
from detente.demo.scenario import load_demo


def test_the_demo_has_cases_raised_notes_and_tasks(db: Any, tmp_path: Path, settings: Any) -> None:
    settings.DATA_DIR = tmp_path  # the demo writes its logins there
    load_demo()
    people = set(Intervention.objects.filter(person__isnull=False).values_list("person", flat=True))
    assert len(people) >= 3
    assert Intervention.objects.filter(agreement__isnull=False).exists()
    assert Note.objects.filter(visibility="verifiers").exists()
    assert NoteVersion.objects.filter(number=2).exists()  # a note with a history
    client = Client()
    client.force_login(User.objects.get(username="analyst"))
    work = client.get("/staff/work/").content.decode()
    assert "Chase the answer" in work
    assert Task.objects.filter(assignee__username="analyst").count() >= 2


def test_the_demos_worker_sends_the_task_reminders_due_today_to_made_up_addresses(
    db: Any, tmp_path: Path, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core import mail

    from detente.casework.reminders import send_due

    settings.DATA_DIR = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    load_demo()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due() == 2  # one reminded early, one due today
    assert sorted(m.to[0] for m in mail.outbox) == ["analyst@example.org", "verifier@example.org"]
    assert not any("Chase the answer" in m.body or "Compare" in m.body for m in mail.outbox)
