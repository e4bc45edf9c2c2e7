"""Task reminders by email (issue 16, point 4): on its reminder day a task's assignee gets
one short email that names no one and holds none of the task's text; the ledger says so."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from tests.support import World, make_user

from detente.access.policy import Role
from detente.audit.models import AuditEntry
from detente.casework import reminders, services
from detente.casework.models import Task

TODAY = timezone.localdate()
SECRET_TITLE = "Ask about Yoandri's heart condition"


@pytest.fixture(autouse=True)
def _inline_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _ana(email: str = "ana@example.org") -> Any:
    user = make_user("ana", Role.ANALYST)
    user.email = email
    user.save(update_fields=["email"])
    return user


def _task(world: World, assignee: Any, **extra: Any) -> Task:
    fields: dict[str, Any] = {
        "actor": world.actor,
        "person": world.person(0),
        "title": SECRET_TITLE,
        "details": "Her sister says he fainted twice.",
        "due_on": TODAY + dt.timedelta(days=3),
        "assignee": assignee,
    }
    return services.task_add(**{**fields, **extra})


def test_the_assignee_is_emailed_once_on_the_reminder_day_and_nothing_confidential(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    ana = _ana()
    task = _task(world, ana, remind_on=TODAY)
    later = _task(world, ana)  # reminded on its due day, three days from now
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_due() == 1
    assert [m.to for m in mail.outbox] == [["ana@example.org"]]
    sent = mail.outbox[0]
    due = task.due_on
    assert str(due.year) in sent.subject and world.person(0).handle in sent.body
    assert "/staff/work/" in sent.body
    for secret in (SECRET_TITLE, "fainted", "Yoandri", "Pérez"):
        assert secret not in sent.subject + sent.body, secret
    task.refresh_from_db()
    assert task.reminded_at is not None
    entry = AuditEntry.objects.filter(action="task.remind").get()
    assert (entry.actor_label, entry.payload["to"]) == ("system", "ana")
    # Once only: another run (another worker) sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_due() == 0
    assert len(mail.outbox) == 1
    # The later one comes on its day.
    on_the_day = timezone.now() + dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_due(on_the_day) == 1
    later.refresh_from_db()
    assert later.reminded_at is not None and len(mail.outbox) == 2


def test_no_email_for_a_task_done_or_an_account_without_an_address(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    done = _task(world, _ana(), remind_on=TODAY)
    services.task_done(actor=world.actor, task=done)
    silent = make_user("eli", Role.ANALYST)  # no address
    kept = _task(world, silent, remind_on=TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_due() == 0
    assert mail.outbox == []
    kept.refresh_from_db()
    assert kept.reminded_at is None  # given an address later, it is still reminded


@pytest.mark.parametrize(
    ("remind_on", "words"),
    [
        (TODAY - dt.timedelta(days=1), "between today and the due day"),
        (TODAY + dt.timedelta(days=4), "between today and the due day"),
        ("next week", "YYYY-MM-DD"),
    ],
)
def test_a_reminder_before_today_or_after_the_due_day_is_refused(
    world: World, remind_on: Any, words: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _task(world, _ana(), remind_on=remind_on)
    assert words in str(refused.value.message_dict["remind_on"])
    assert not Task.objects.exists()


def test_the_form_the_command_and_the_api_set_the_reminder_day(world: World) -> None:
    from detente.api.services import token_create

    ana = _ana()
    client = Client()
    client.force_login(ana)
    handle = world.person(0).handle
    due = TODAY + dt.timedelta(days=5)
    bad = client.post(
        f"/staff/tasks/new/?person={handle}",
        {
            "title": "Call",
            "due_on": str(due),
            "remind_on": str(due + dt.timedelta(1)),
            "assignee": "ana",
        },
    )
    assert bad.status_code == 200 and "between today and the due day" in bad.content.decode()
    made = client.post(
        f"/staff/tasks/new/?person={handle}",
        {
            "title": "Call",
            "due_on": str(due),
            "remind_on": str(TODAY + dt.timedelta(1)),
            "assignee": "ana",
        },
    )
    assert made.status_code == 302
    assert Task.objects.get().remind_on == TODAY + dt.timedelta(1)
    out = io.StringIO()
    call_command(
        "task",
        "add",
        "--person",
        handle,
        "--title",
        "Write",
        "--due",
        str(due),
        "--assignee",
        "ana",
        stdout=out,
    )
    assert f"reminder on {due}" in out.getvalue()
    _, secret = token_create(actor=ana, user=ana, name="t", scope="write")
    answer = Client().post(
        "/api/tasks",
        json.dumps(
            {
                "person": handle,
                "title": "Visit",
                "due_on": str(due),
                "assignee": "ana",
                "remind_on": str(TODAY),
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["remind_on"] == str(TODAY) and answer.json()["reminded_at"] is None
    out = io.StringIO()
    call_command("task", "remind", stdout=out)
    assert out.getvalue().startswith("1 reminder")
    assert Task.objects.filter(reminded_at__isnull=False).count() == 1
