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
