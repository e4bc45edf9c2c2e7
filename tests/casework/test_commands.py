"""`detente case`, `detente note` and `detente task` (issue 16): the same services and
selectors as the staff pages, refusals that name the option at fault."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from tests.support import World, make_user

from detente.access.policy import Role
from detente.audit.models import AuditEntry
from detente.casework.models import Intervention, Note, Task

TODAY = timezone.localdate()


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_raise_answer_and_list_a_case(world: World) -> None:
    handle = world.person(0).handle
    said = _run(
        "case", "raise", "--person", handle, "--channel", "letter", "--on", "2020-02-01",
        "--asked", "A prison visit", "--party", world.releasing.slug, "--official", "Consul",
    )  # fmt: skip
    row = Intervention.objects.get()
    assert f"#{row.pk}" in said
    _run("case", "edit", str(row.pk), "--answer", "Refused", "--next-step", "Write again")
    make_user("ana", Role.ANALYST)
    listed = json.loads(_run("case", "list", "--person", handle, "--json", "--as", "ana"))
    assert [(r["id"], r["answer"], r["party"]) for r in listed] == [
        (row.pk, "Refused", world.releasing.slug)
    ]
    assert "A prison visit" in _run("case", "list", "--party", world.releasing.slug)


def test_a_bad_case_names_the_option_and_stores_nothing(world: World) -> None:
    before = AuditEntry.objects.count()
    tomorrow = str(TODAY + dt.timedelta(days=1))
    with pytest.raises(CommandError, match="--on: This date is in the future"):
        _run("case", "raise", "--agreement", world.agreement.slug, "--channel", "call",
             "--on", tomorrow, "--asked", "x")  # fmt: skip
    with pytest.raises(CommandError, match="no person"):
        _run("case", "raise", "--person", "P-9999", "--channel", "call",
             "--on", "2020-01-01", "--asked", "x")  # fmt: skip
    assert not Intervention.objects.exists() and AuditEntry.objects.count() == before


def test_notes_keep_their_history_and_hide_from_those_not_allowed(world: World) -> None:
    handle = world.person(0).handle
    _run("note", "add", "--person", handle, "--text", "<p>Seen</p>", "--visibility", "verifiers")
    note = Note.objects.get()
    _run("note", "edit", str(note.pk), "--text", "<p>Seen again</p>")
    make_user("ver", Role.VERIFIER)
    make_user("ana", Role.ANALYST)
    make_user("leg", Role.LEGISLATURE)
    history = json.loads(_run("note", "history", "--note", str(note.pk), "--json", "--as", "ver"))
    assert [(v["version"], v["body"]) for v in history] == [
        (2, "<p>Seen again</p>"),
        (1, "<p>Seen</p>"),
    ]
    assert json.loads(_run("note", "list", "--person", handle, "--json", "--as", "ana")) == []
    with pytest.raises(CommandError, match="no note"):
        _run("note", "history", "--note", str(note.pk), "--as", "ana")
    with pytest.raises(CommandError, match="not allowed"):
        _run("note", "list", "--person", handle, "--as", "leg")
    with pytest.raises(CommandError, match="--text: A note may not contain <script>"):
        _run("note", "add", "--person", handle, "--text", "<script>x</script>")


def test_tasks_from_the_command_line(world: World) -> None:
    make_user("ana", Role.ANALYST)
    make_user("leg", Role.LEGISLATURE)
    due = str(TODAY + dt.timedelta(days=2))
    handle = world.person(1).handle
    _run("task", "add", "--person", handle, "--title", "Call the family", "--due", due,
         "--assignee", "ana")  # fmt: skip
    with pytest.raises(CommandError, match="--assignee: leg may not see this case"):
        _run("task", "add", "--person", handle, "--title", "x", "--due", due,
             "--assignee", "leg")  # fmt: skip
    with pytest.raises(CommandError, match="--due: This date is in the past"):
        _run("task", "add", "--person", handle, "--title", "x", "--due", "2000-01-01",
             "--assignee", "ana")  # fmt: skip
    task = Task.objects.get()
    mine = json.loads(_run("task", "list", "--mine", "--json", "--as", "ana"))
    assert [t["id"] for t in mine] == [task.pk]
    _run("task", "done", str(task.pk))
    assert json.loads(_run("task", "list", "--mine", "--json", "--as", "ana")) == []
    with pytest.raises(CommandError, match="already done"):
        _run("task", "done", str(task.pk))
