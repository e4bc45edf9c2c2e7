"""``detente mailing …`` as an operator uses it."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import CommandError, call_command, load_command_class
from tests.mailing.conftest import Lists
from tests.mailing.sink import Sink

from detente.access.policy import CLI_USERNAME
from detente.audit.models import AuditEntry
from detente.mailing.models import MailingList, OutboxMessage, Subscriber


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("mailing", *args, stdout=out)
    return out.getvalue()


def test_the_mailing_command_cannot_act_as_someone_else() -> None:
    parser = load_command_class("detente.mailing", "mailing").create_parser("detente", "mailing")

    def options(p: argparse.ArgumentParser) -> set[str]:
        found = set(p._option_string_actions)
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    found |= options(sub)
        return found

    assert "--as" not in options(parser)


def test_lists_are_made_and_changed_by_the_operator_and_audited(lists: Lists) -> None:
    run("list-create", "second", "--kind", "agreement", "--agreement", "deal", "--private")
    ml = MailingList.objects.get(slug="second")
    assert ml.public is False and ml.agreement == lists.world.agreement
    run("list-set", "second", "--public", "--frequency", "immediate")
    ml.refresh_from_db()
    assert ml.public and ml.frequency == "immediate"
    entries = AuditEntry.objects.filter(action__startswith="mailing.list_")
    assert {e.actor_label for e in entries} == {CLI_USERNAME}
    rows = json.loads(run("lists", "--json"))["lists"]
    assert {r["slug"] for r in rows} == {"deal-news", "releasing-news", "all-news", "second"}
    with pytest.raises(CommandError, match="agreement: An agreement list needs its agreement"):
        run("list-create", "third", "--kind", "agreement")
    with pytest.raises(CommandError, match="no agreement 'nope'"):
        run("list-create", "third", "--kind", "agreement", "--agreement", "nope")


def test_digest_and_send_deliver_and_report(
    lists: Lists, subscribe: Callable[..., Subscriber], sink: Sink
) -> None:
    subscribe("ana@example.org", lists.deal)
    assert "Nothing new to send." in run("digest")
    lists.confirm_release(0)
    out = run("digest", "--frequency", "immediate", "--send")  # the country list is immediate
    assert "releasing-news" in out and len(sink.received) == 0  # ana is not on that one
    lists.deal.snapshot_at = lists.deal.snapshot_at.replace(year=2020)  # due again
    lists.deal.save()
    out = run("digest", "--send")
    assert "deal-news: digest" in out and len(sink.to("ana@example.org")) == 1
    status = json.loads(run("status", "--json"))
    assert status["outbox"]["sent"] == 1 and status["outbox"]["pending"] == 0
    assert status["sent_without_reply"] == 0 and status["delivering"] is False


def test_digest_queues_the_delivery_for_the_worker(
    lists: Lists, subscribe: Callable[..., Subscriber], sink: Sink, settings: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    subscribe("ana@example.org", lists.deal)
    lists.confirm_release(0)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    lists.deal.snapshot_at = lists.deal.snapshot_at.replace(year=2020)
    lists.deal.save()
    out = run("digest")
    assert "queued for the worker" in out
    assert DBTaskResult.objects.filter(task_path__endswith="deliver_outbox").count() == 1
    assert OutboxMessage.objects.filter(status="pending").count() == 1
    assert sink.received == []


def test_suppress_export_and_erase_by_address(
    lists: Lists, subscribe: Callable[..., Subscriber]
) -> None:
    subscribe("ana@example.org", lists.deal)
    assert "Suppressed." in run("suppress", "ana@example.org", "--status", "complained")
    assert json.loads(run("export", "ana@example.org"))["status"] == "complained"
    assert "only the keyed hash" in run("erase", "ana@example.org")
    assert "Already erased" in run("erase", "ana@example.org")
    with pytest.raises(CommandError, match="no subscriber"):
        run("export", "nobody@example.org")
    with pytest.raises(CommandError, match="is not an email address"):
        run("erase", "nonsense")


def test_sync_says_when_mailchimp_is_off(lists: Lists) -> None:
    with pytest.raises(CommandError, match="Mailchimp is not turned on"):
        run("sync")
