"""Privacy (issue 6, item 8): export, erasure down to a keyed hash, no tracking, and no
address in clear in the ledger or the task queue."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django_tasks_db.models import DBTaskResult
from tests.mailing.conftest import Lists, form_notice, links_in
from tests.mailing.sink import Sink

from detente.audit.models import AuditEntry
from detente.mailing import addresses, digests, services, tokens
from detente.mailing.delivery import deliver
from detente.mailing.models import Subscriber
from detente.mailing.notice import notice_text


def everything_stored() -> str:
    """Every cell of every table, as one lower-case text."""
    chunks = []
    with connection.cursor() as cur:
        for table in connection.introspection.table_names():
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cur.fetchall():
                chunks.append(" ".join(str(c) for c in row))
    return "\n".join(chunks).lower()


def prefs_url(sub: Subscriber) -> str:
    return f"/updates/preferences/{tokens.make(tokens.PREFERENCES, sub.pk, sub.email_hash)}/"


def test_the_export_holds_everything_we_keep_about_a_subscriber(
    lists: Lists, subscribe: Callable[..., Subscriber], sink: Sink
) -> None:
    sub = subscribe("ana@example.org", lists.deal, lists.everything, language="es")
    lists.confirm_release(0)
    digests.build(lists.deal)
    deliver()
    response = Client().get(prefs_url(sub) + "export/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["email"] == "ana@example.org" and data["language"] == "es"
    assert {s["list"]: s["status"] for s in data["subscriptions"]} == {
        "all-news": "confirmed",
        "deal-news": "confirmed",
    }
    (consent,) = data["consents"]
    assert consent["lists"] == ["all-news", "deal-news"] and consent["notice_text"]
    (message,) = data["messages"]
    assert message["list"] == "deal-news" and message["status"] == "sent"
    assert "tracking" in data


def test_an_operator_export_is_audited_without_the_address(
    lists: Lists, subscribe: Callable[..., Subscriber]
) -> None:
    subscribe("ana@example.org", lists.deal)
    out = io.StringIO()
    call_command("mailing", "export", "ANA@example.org", stdout=out)
    assert json.loads(out.getvalue())["email"] == "ana@example.org"
    entry = AuditEntry.objects.filter(action="mailing.export").get()
    assert "ana@" not in entry.data
    assert addresses.address_hash("ana@example.org") in entry.data


def test_erasure_keeps_only_a_keyed_hash(
    lists: Lists,
    subscribe: Callable[..., Subscriber],
    sink: Sink,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    other = subscribe("ben@example.org", lists.deal)
    # The database task queue, as in production: its rows outlive the tasks. (The
    # confirmation mail is queued, not sent, with it: confirm by hand.)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        services.subscribe(
            email="Ana@Example.org", list_ids=[lists.deal.pk], language="en", notice=form_notice()
        )
    assert DBTaskResult.objects.filter(task_path__endswith="send_notice").exists()
    sub = Subscriber.objects.get(email="ana@example.org")
    confirm = tokens.make(tokens.CONFIRM, sub.pk, sub.email_hash, (lists.deal.pk,))
    services.confirm(token=confirm, notice=form_notice())
    lists.confirm_release(0)
    digests.build(lists.deal)
    deliver()
    assert "ana@example.org" in everything_stored()

    page = Client().post(prefs_url(sub) + "erase/")
    assert page.status_code == 200 and "Your data is erased" in page.content.decode()
    stored = everything_stored()
    assert "ana@example.org" not in stored
    assert "ben@example.org" in stored  # only that subscriber
    sub.refresh_from_db()
    assert sub.email is None and sub.status == "erased"
    assert sub.email_hash == addresses.address_hash("ana@example.org")
    assert not sub.subscriptions.exists() and not sub.consents.exists()
    assert not sub.messages.exists()
    # Suppressed: the next digest does not queue it; the old links are dead.
    lists.confirm_release(1)
    assert digests.build(lists.deal).recipients == 1
    assert Client().get(prefs_url(other)).status_code == 200
    assert Client().post(f"/updates/confirm/{confirm}/").status_code == 400
    assert AuditEntry.objects.filter(action="mailing.erase").count() == 1


def test_an_erased_address_may_sign_up_again_with_double_opt_in(
    lists: Lists, subscribe: Callable[..., Subscriber], django_capture_on_commit_callbacks: Any
) -> None:
    sub = subscribe("ana@example.org", lists.deal)
    services.erase(sub)
    with django_capture_on_commit_callbacks(execute=True):
        services.subscribe(
            email="ana@example.org", list_ids=[lists.deal.pk], language="en", notice=form_notice()
        )
    again = Subscriber.objects.get(email="ana@example.org")
    assert again.pk == sub.pk and again.status == "active"
    assert again.subscriptions.get().status == "pending"
    assert links_in(mail.outbox[-1].body)[0].startswith("/updates/confirm/")


def test_the_ledger_never_holds_an_address_in_clear(
    lists: Lists, subscribe: Callable[..., Subscriber]
) -> None:
    from detente.access.policy import cli_actor

    a = subscribe("ana@example.org", lists.deal)
    b = subscribe("ben@example.org", lists.deal)
    services.suppress(a, "complained", "complaint", actor=cli_actor())
    services.export_for_operator(actor=cli_actor(), subscriber=b)
    services.erase(b, actor=cli_actor())
    lists.confirm_release(0)
    digests.build(lists.deal)
    text = " ".join(AuditEntry.objects.values_list("data", flat=True))
    assert "@example.org" not in text
    assert addresses.address_hash("ana@example.org") in text


def test_no_open_or_click_tracking_unless_an_administrator_turns_it_on(
    lists: Lists, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.subscribe(
            email="a@example.org", list_ids=[lists.deal.pk], language="en", notice=form_notice()
        )
    (message,) = mail.outbox
    assert message.track_opens is False and message.track_clicks is False  # type: ignore[attr-defined]
    assert "<img" not in message.alternatives[0][0]  # type: ignore[attr-defined]
    settings.MAILING = {**settings.MAILING, "TRACKING": True}
    with django_capture_on_commit_callbacks(execute=True):
        services.subscribe(
            email="b@example.org", list_ids=[lists.deal.pk], language="en", notice=form_notice()
        )
    assert mail.outbox[-1].track_opens is True  # type: ignore[attr-defined]
    # …and the notice people consent to says so.
    assert "opened" in notice_text("en")
