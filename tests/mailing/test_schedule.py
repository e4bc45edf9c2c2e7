"""Digests on schedule, sent by the worker itself (issue 14: "an 'as it happens' list
sends nothing until someone runs `detente mailing digest --send` by hand").

The worker path is ``detente db_worker``: here in ``--batch`` mode, which looks for due
digests once and runs what is queued, against the real database task queue.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from tests.mailing.conftest import Lists

from detente.mailing import digests, schedule
from detente.mailing.models import Digest, MailingList, OutboxMessage, Subscriber

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def keep_the_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker closes connections it finds outside autocommit: right in production,
    where it runs between transactions; here the whole test is one transaction
    (PostgreSQL would lose it)."""
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


def _worker(capture: Any) -> None:
    """A pass of the real worker: the schedule, then every queued task.

    The test runs inside one transaction, where what the schedule queues after its commit
    is queued only when the capture ends: a second pass runs it (as the running worker
    does a second later)."""
    for _ in range(2):
        with capture(execute=True):
            call_command(
                "db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=io.StringIO()
            )


def test_an_as_it_happens_digest_is_sent_once_by_the_worker(
    lists: Lists,
    subscribe: Callable[..., Subscriber],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscribe("ana@example.org", lists.country)  # "as it happens"
    settings.TASKS = DB_TASKS
    lists.confirm_release(0)

    _worker(django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["ana@example.org"]]
    assert Digest.objects.filter(mailing_list=lists.country).count() == 1

    # The worker looks again: nothing new, nothing sent twice.
    _worker(django_capture_on_commit_callbacks)
    _worker(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    assert OutboxMessage.objects.filter(status="sent").count() == 1

    # The next news goes out on the next look, with no one running a command.
    lists.confirm_release(1)
    _worker(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2


def test_an_archived_list_sends_nothing(
    lists: Lists,
    subscribe: Callable[..., Subscriber],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscribe("ana@example.org", lists.country)
    MailingList.objects.filter(pk=lists.country.pk).update(active=False)
    settings.TASKS = DB_TASKS
    lists.confirm_release(0)
    _worker(django_capture_on_commit_callbacks)
    assert not mail.outbox
    assert not Digest.objects.filter(mailing_list=lists.country).exists()


def _at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


def test_daily_and_weekly_lists_fall_due_once_per_day_and_week(
    lists: Lists, subscribe: Callable[..., Subscriber], django_capture_on_commit_callbacks: Any
) -> None:
    subscribe("ana@example.org", lists.deal)
    MailingList.objects.filter(slug="releasing-news").update(active=False)  # not this test's
    weekly = MailingList.objects.get(slug="all-news")
    weekly.frequency = "weekly"
    weekly.save()
    MailingList.objects.filter(pk__in=[lists.deal.pk, weekly.pk]).update(
        snapshot_at=_at("2030-01-07", 8)  # a Monday
    )
    lists.confirm_release(0)

    def due(now: dt.datetime) -> set[str]:
        with django_capture_on_commit_callbacks(execute=True):
            done = schedule.tick(now)
        return {b.mailing_list.slug for b in done.built if b.digest is not None}

    assert due(_at("2030-01-07", 23)) == set()  # the same day
    assert due(_at("2030-01-08", 0)) == {"deal-news"}  # the next day
    assert len(mail.outbox) == 1  # delivered by the delivery the tick queued
    assert due(_at("2030-01-08", 18)) == set()  # once a day
    lists.confirm_release(1)
    assert due(_at("2030-01-13", 23)) == {"deal-news"}  # Sunday: not a new week yet
    assert due(_at("2030-01-14", 0)) == {"all-news"}  # Monday: the weekly one
    assert due(_at("2030-01-14", 1)) == set()


def test_two_workers_that_both_saw_a_list_due_build_its_digest_once(lists: Lists) -> None:
    lists.confirm_release(0)
    now = _at("2030-02-01")
    MailingList.objects.filter(pk=lists.deal.pk).update(snapshot_at=_at("2030-01-31"))
    stale = MailingList.objects.get(pk=lists.deal.pk)  # what the second worker read
    assert digests.is_due(stale, now)
    first = digests.build(stale, now, only_if_due=True)
    second = digests.build(stale, now, only_if_due=True)
    assert first.digest is not None and second.digest is None
    assert Digest.objects.filter(mailing_list=lists.deal).count() == 1


def test_serve_with_its_worker_stops_both_together() -> None:
    from detente.core.management.commands.serve import supervise

    started = time.monotonic()
    code = supervise(
        [
            [sys.executable, "-c", "import sys; sys.exit(3)"],
            [sys.executable, "-c", "import time; time.sleep(60)"],
        ],
        poll=0.05,
    )
    assert code == 3
    assert time.monotonic() - started < 20  # the sleeper was stopped, not waited for


@pytest.mark.parametrize("production", [False, True])
def test_the_worker_checks_the_public_address_at_start(
    production: bool, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PRODUCTION = production
    settings.TASKS = DB_TASKS
    monkeypatch.delenv("DETENTE_PUBLIC_URL", raising=False)
    from django.core.management.base import CommandError

    if production:
        with pytest.raises(CommandError, match="DETENTE_PUBLIC_URL is not set"):
            call_command("db_worker", "--batch", "--no-reload", "--digest-interval", "0")
    monkeypatch.setenv("DETENTE_PUBLIC_URL", "detente.example.org")  # no scheme
    with pytest.raises(CommandError, match="is not a web address"):
        call_command("db_worker", "--batch", "--no-reload", "--digest-interval", "0")
