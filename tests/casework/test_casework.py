"""Casework (issue 16, points 1, 2 and 4): cases raised, notes with their history, tasks and
"My work", through the services, the staff pages and the ledger."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import nh3
import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client
from django.utils import timezone
from tests.support import World, make_user

from detente.access.policy import Role
from detente.audit import ledger
from detente.audit.models import AuditEntry
from detente.casework import selectors, services
from detente.casework.models import Intervention, Note, NoteVersion, Task
from detente.casework.sanitize import ALLOWED

TODAY = timezone.localdate()


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _raise(world: World, **changes: Any) -> Intervention:
    fields: dict[str, Any] = {
        "actor": world.actor,
        "person": world.person(0),
        "party": world.releasing,
        "official": "Deputy foreign minister",
        "channel": "meeting",
        "occurred_on": TODAY - dt.timedelta(days=3),
        "asked": "Release on humanitarian grounds.",
    }
    return services.intervention_raise(**(fields | changes))


# --- Interventions -------------------------------------------------------------------------


def test_a_case_raised_is_listed_per_person_agreement_and_party(world: World) -> None:
    analyst = make_user("ana", Role.ANALYST)
    on_person = _raise(world, actor=analyst)
    on_deal = _raise(world, person=None, agreement=world.agreement, party=world.counterpart)
    assert list(selectors.interventions(analyst, person=world.person(0))) == [on_person]
    assert list(selectors.interventions(analyst, agreement=world.agreement)) == [on_deal]
    assert list(selectors.interventions(analyst, party=world.counterpart)) == [on_deal]
    assert on_person.raised_by == "ana"  # by whom: the one who recorded it, unless told


def test_raising_writes_one_ledger_entry_without_the_text(world: World) -> None:
    before = AuditEntry.objects.count()
    row = _raise(world, asked="Ask about Qzsecretword's health.")
    entries = list(AuditEntry.objects.filter(position__gt=before))
    assert [e.action for e in entries] == ["intervention.create"]
    assert entries[0].payload["person"] == world.person(0).handle
    assert "Qzsecretword" not in entries[0].data
    assert entries[0].payload["asked"].startswith("hmac:")
    services.intervention_edit(world.actor, row, answer="They will look into it.")
    edit = AuditEntry.objects.order_by("-position").first()
    assert edit is not None and edit.action == "intervention.edit"
    assert set(edit.payload) == {"answer"}
    assert ledger.verify().ok


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"occurred_on": TODAY + dt.timedelta(days=1)}, "occurred_on"),
        ({"occurred_on": "31/12/2020"}, "occurred_on"),
        ({"asked": "  "}, "asked"),
        ({"agreement": "both"}, "subject"),
        ({"person": None}, "subject"),
    ],
)
def test_a_bad_case_raised_says_what_and_where_and_stores_nothing(
    world: World, changes: dict[str, Any], field: str
) -> None:
    if changes.get("agreement") == "both":
        changes = {"agreement": world.agreement}
    before = (Intervention.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as error:
        _raise(world, **changes)
    assert field in error.value.message_dict
    assert (Intervention.objects.count(), AuditEntry.objects.count()) == before


def test_those_without_a_staff_role_see_no_casework_and_may_write_none(world: World) -> None:
    _raise(world)
    legislature = make_user("leg", Role.LEGISLATURE)
    assert not selectors.interventions(legislature).exists()
    with pytest.raises(Http404):
        selectors.intervention_get(legislature, Intervention.objects.get().pk)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        _raise(world, actor=legislature)


# --- Notes ---------------------------------------------------------------------------------


def test_a_note_keeps_every_version(world: World) -> None:
    note = services.note_add(actor=world.actor, person=world.person(0), body="<p>First</p>")
    note = services.note_edit(actor=world.actor, note=note, body="<p>Second <em>take</em></p>")
    assert note.version == 2 and note.body == "<p>Second <em>take</em></p>"
    versions = selectors.note_history(world.actor, note)
    assert [(v.number, v.body) for v in versions] == [
        (2, "<p>Second <em>take</em></p>"),
        (1, "<p>First</p>"),
    ]
    with pytest.raises(TypeError):
        versions[1].save()
    with pytest.raises(TypeError):
        NoteVersion.objects.filter(note=note).update(body="rewritten")


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        '<p onclick="x()">hi</p>',
        '<a href="javascript:x()">link</a>',
        "<img src=x onerror=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<!-- hidden --> text",
        "<iframe src='https://example.org'></iframe>",
    ],
)
def test_html_beyond_the_allowed_formatting_is_refused(world: World, body: str) -> None:
    before = (Note.objects.count(), NoteVersion.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as error:
        services.note_add(actor=world.actor, person=world.person(0), body=body)
    assert "may not contain" in " ".join(error.value.message_dict["body"])
    assert (Note.objects.count(), NoteVersion.objects.count(), AuditEntry.objects.count()) == (
        before
    )


def test_the_allowed_formatting_is_kept_and_text_escaped(world: World) -> None:
    note = services.note_add(
        actor=world.actor,
        person=world.person(0),
        body="<p>Called <strong>twice</strong> & 1 < 2<ul><li>one",
    )
    # Every element closed, text escaped, and the list taken out of the paragraph as a
    # browser would (nh3 parses as browsers do).
    assert note.body == (
        "<p>Called <strong>twice</strong> &amp; 1 &lt; 2</p><ul><li>one</li></ul><p></p>"
    )
    assert nh3.clean(note.body, tags=set(ALLOWED), attributes={}) == note.body


def test_a_note_for_verifiers_is_missing_to_an_analyst(world: World) -> None:
    verifier = make_user("ver", Role.VERIFIER)
    analyst = make_user("ana", Role.ANALYST)
    secret = services.note_add(
        actor=verifier, person=world.person(0), body="Source met.", visibility="verifiers"
    )
    assert selectors.note_get(verifier, secret.pk) == secret
    with pytest.raises(Http404):
        selectors.note_get(analyst, secret.pk)
    assert not selectors.notes(analyst, person=world.person(0)).exists()
    with pytest.raises(ValidationError) as error:
        services.note_add(actor=analyst, person=world.person(0), body="x", visibility="verifiers")
    assert "visibility" in error.value.message_dict
    # The pages answer as for a note that does not exist.
    missing = _client(analyst).get(f"/staff/notes/{secret.pk + 1000}/")
    hidden = _client(analyst).get(f"/staff/notes/{secret.pk}/")
    assert hidden.status_code == missing.status_code == 404
    assert (
        "Source met."
        not in _client(analyst).get(f"/staff/people/{world.person(0).handle}/").content.decode()
    )
    assert (
        "Source met."
        in _client(verifier).get(f"/staff/people/{world.person(0).handle}/").content.decode()
    )


def test_the_person_page_shows_the_latest_notes_and_links_to_every_one(world: World) -> None:
    analyst = make_user("ana", Role.ANALYST)
    verifier = make_user("ver", Role.VERIFIER)
    handle = world.person(0).handle
    for i in range(selectors.SECTION_LIMIT + 2):
        services.note_add(actor=analyst, person=world.person(0), body=f"Visit number {i}.")
    services.note_add(
        actor=verifier, person=world.person(0), body="Source met.", visibility="verifiers"
    )
    page = _client(analyst).get(f"/staff/people/{handle}/").content.decode()
    assert "Visit number 21." in page and "Visit number 0." not in page  # the latest only
    assert f"/staff/notes/?person={handle}" in page
    assert f"See all {selectors.SECTION_LIMIT + 2} notes" in page  # the analyst's count
    before = AuditEntry.objects.filter(action="note.list").count()
    listed = _client(analyst).get(f"/staff/notes/?person={handle}").content.decode()
    assert all(f"Visit number {i}." in listed for i in range(selectors.SECTION_LIMIT + 2))
    assert AuditEntry.objects.filter(action="note.list").count() == before + 1  # recorded
    assert "Source met." not in listed  # as missing here as on its own page
    assert "Source met." in _client(verifier).get(f"/staff/notes/?person={handle}").content.decode()
    # Someone the viewer cannot find: as for a page that is not there. No one named: all.
    assert _client(analyst).get("/staff/notes/?person=P-NOBODY").status_code == 404
    everything = _client(analyst).get("/staff/notes/").content.decode()
    assert "Visit number 0." in everything and "Source met." not in everything


def test_reading_a_notes_history_is_recorded(world: World) -> None:
    note = services.note_add(actor=world.actor, person=world.person(0), body="Text")
    analyst = make_user("ana", Role.ANALYST)
    page = _client(analyst).get(f"/staff/notes/{note.pk}/")
    assert page.status_code == 200
    last = AuditEntry.objects.order_by("-position").first()
    assert last is not None and last.action == "note.history" and last.actor_label == "ana"
    assert last.payload["people"] == [world.person(0).handle]


# --- Tasks ---------------------------------------------------------------------------------


def test_a_task_due_in_the_past_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as error:
        services.task_add(
            actor=world.actor,
            person=world.person(0),
            title="Chase",
            due_on=TODAY - dt.timedelta(days=1),
            assignee=world.actor,
        )
    assert "due_on" in error.value.message_dict
    assert not Task.objects.exists()


@pytest.mark.parametrize("role", [Role.LEGISLATURE, None])
def test_an_assignee_without_access_to_the_person_is_refused(
    world: World, role: str | None
) -> None:
    outsider = make_user("outsider", role)
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as error:
        services.task_add(
            actor=world.actor,
            person=world.person(0),
            title="Chase",
            due_on=TODAY,
            assignee="outsider",
        )
    assert "outsider may not see this case" in " ".join(error.value.message_dict["assignee"])
    assert not Task.objects.exists() and AuditEntry.objects.count() == before
    assert outsider.pk


def test_my_work_lists_my_open_tasks_overdue_first(world: World) -> None:
    analyst = make_user("ana", Role.ANALYST)
    other = make_user("other", Role.VERIFIER)
    later = services.task_add(
        actor=world.actor,
        person=world.person(0),
        title="Call the embassy",
        due_on=TODAY + dt.timedelta(days=5),
        assignee=analyst,
    )
    soon = services.task_add(
        actor=world.actor,
        agreement=world.agreement,
        title="Write to the ministry",
        due_on=TODAY,
        assignee=analyst,
    )
    services.task_add(
        actor=world.actor, person=world.person(1), title="Not mine", due_on=TODAY, assignee=other
    )
    # A task set earlier and now overdue (the service refuses a past date: set one back).
    late = services.task_add(
        actor=world.actor,
        person=world.person(2),
        title="Chase the reply",
        due_on=TODAY,
        assignee=analyst,
    )
    Task.objects.filter(pk=late.pk).update(due_on=TODAY - dt.timedelta(days=2))
    assert list(selectors.my_work(analyst)) == [late, soon, later]
    client = _client(analyst)
    page = client.get("/staff/work/").content.decode()
    assert page.index("Chase the reply") < page.index("Write to the ministry")
    assert page.index("Write to the ministry") < page.index("Call the embassy")
    assert "Not mine" not in page
    assert "1 is overdue" in page
    dashboard = client.get("/staff/").content.decode()
    assert "1 of your tasks is overdue" in dashboard
    done = client.post(f"/staff/tasks/{late.pk}/done/", {"next": "/staff/work/"})
    assert done.status_code == 302 and done["Location"] == "/staff/work/"
    assert "Task done: Chase the reply" in client.get("/staff/work/").content.decode()
    assert "Chase the reply" not in client.get("/staff/work/").content.decode()
    assert AuditEntry.objects.order_by("-position").first().action == "task.done"  # type: ignore[union-attr]


# --- The pages -----------------------------------------------------------------------------


def test_raise_a_case_then_set_a_task_on_it_from_the_pages(world: World) -> None:
    analyst = make_user("ana", Role.ANALYST)
    client = _client(analyst)
    handle = world.person(0).handle
    person_page = client.get(f"/staff/people/{handle}/").content.decode()
    assert f"/staff/interventions/new/?person={handle}" in person_page
    response = client.post(
        f"/staff/interventions/new/?person={handle}",
        {
            "party": world.releasing.slug,
            "official": "Consul",
            "channel": "letter",
            "occurred_on": str(TODAY),
            "asked": "Asked for a prison visit.",
        },
    )
    assert response.status_code == 302
    row = Intervention.objects.get()
    assert row.person == world.person(0) and row.channel == "letter"
    response = client.post(
        f"/staff/tasks/new/?intervention={row.pk}",
        {
            "title": "Chase the consul",
            "due_on": str(TODAY + dt.timedelta(days=7)),
            "assignee": "ana",
        },
    )
    assert response.status_code == 302
    # The case's own page: its title is the title, nothing more (it once carried the
    # files section into the tab's title).
    case_page = client.get(f"/staff/interventions/{row.pk}/").content.decode()
    title = re.search(r"<title>(.*?)</title>", case_page, re.S)
    assert title is not None and f"Case raised #{row.pk}" in title.group(1)
    assert "<" not in title.group(1) and "Files" in case_page
    assert "Chase the consul" in client.get("/staff/work/").content.decode()
    person_page = client.get(f"/staff/people/{handle}/").content.decode()
    assert "Asked for a prison visit." in person_page and "Chase the consul" in person_page
    # A bad form says where, and stores nothing.
    bad = client.post(
        f"/staff/tasks/new/?person={handle}",
        {"title": "Late", "due_on": str(TODAY - dt.timedelta(days=1)), "assignee": "ana"},
    )
    assert bad.status_code == 200 and "in the past" in bad.content.decode()
    assert Task.objects.count() == 1


def test_a_new_row_for_someone_unknown_is_404(world: World) -> None:
    client = _client(make_user("ana", Role.ANALYST))
    assert client.get("/staff/interventions/new/?person=P-9999").status_code == 404
    assert client.get("/staff/notes/new/").status_code == 404
    assert client.get("/staff/tasks/new/?agreement=no-such").status_code == 404
