"""Managing mailing lists from the command line and the API, as in the staff pages:
counts, create, change, archive, restore, and a digest sent now (issue 14)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from tests.api.test_setup_api import Api, api_for
from tests.mailing.conftest import Lists

from detente.access.policy import Role
from detente.audit.models import AuditEntry
from detente.mailing.models import MailingList, Subscriber


@pytest.fixture(autouse=True)
def fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("mailing", *args, stdout=out)
    return out.getvalue()


def _actions() -> list[str]:
    return list(AuditEntry.objects.order_by("position").values_list("action", flat=True))


# --- Command line -----------------------------------------------------------------------


def test_cli_shows_counts_archives_restores_and_sends_now(
    lists: Lists, subscribe: Callable[..., Subscriber], django_capture_on_commit_callbacks: Any
) -> None:
    subscribe("ana@example.org", lists.deal)
    lists.confirm_release(0)
    shown = json.loads(run("list-show", "deal-news", "--json"))
    assert (shown["confirmed"], shown["pending"], shown["unsubscribed"]) == (1, 0, 0)
    assert shown["news_since_last_digest"] >= 1 and shown["archived"] is False
    listed = {r["slug"]: r for r in json.loads(run("lists", "--json"))["lists"]}
    assert listed["deal-news"]["confirmed"] == 1 and "pending" in listed["deal-news"]

    assert "for 1 confirmed subscriber(s); nothing sent" in run(
        "list-send", "deal-news", "--dry-run"
    )
    assert not mail.outbox

    run("list-archive", "deal-news")
    assert not MailingList.objects.get(slug="deal-news").active
    with pytest.raises(Exception, match="archived"):
        run("list-send", "deal-news")
    run("list-restore", "deal-news")
    assert _actions()[-2:] == ["mailing.list_archive", "mailing.list_restore"]

    # Restored from the present: the release before the archive is no news any more.
    assert "nothing new" in run("list-send", "deal-news")
    lists.confirm_release(1)
    with django_capture_on_commit_callbacks(execute=True):
        out = run("list-send", "deal-news", "--deliver")
    assert "for 1 subscriber(s)" in out
    assert [m.to for m in mail.outbox] == [["ana@example.org"]]
    assert "mailing.send_now" in _actions()


def test_cli_weekly_frequency(lists: Lists) -> None:
    run("list-set", "deal-news", "--frequency", "weekly")
    assert MailingList.objects.get(slug="deal-news").frequency == "weekly"
    run("list-create", "weekly-all", "--kind", "all", "--frequency", "weekly")
    assert MailingList.objects.get(slug="weekly-all").frequency == "weekly"


# --- API --------------------------------------------------------------------------------


@pytest.fixture
def apis(lists: Lists) -> dict[str, Api]:
    return {
        "verifier": api_for("api-vera", Role.VERIFIER, "write"),
        "administrator": api_for("api-adam", Role.ADMINISTRATOR, "write"),
        "analyst": api_for("api-ana", Role.ANALYST, "write"),
        "verifier-read": api_for("api-vero", Role.VERIFIER, "read"),
        "legislature": api_for("api-leg", Role.LEGISLATURE),
        "anonymous": Api(None),
    }


def test_api_reads_lists_with_their_counts_for_managers_only(
    apis: dict[str, Api], subscribe: Callable[..., Subscriber], lists: Lists
) -> None:
    subscribe("ana@example.org", lists.deal)
    page = apis["verifier-read"].get("/mailing-lists").json()
    found = {i["slug"]: i for i in page["items"]}
    assert set(found) == {"deal-news", "releasing-news", "all-news"}
    assert (found["deal-news"]["confirmed"], found["deal-news"]["pending"]) == (1, 0)
    assert "ana@example.org" not in json.dumps(page)
    one = apis["administrator"].get("/mailing-lists/releasing-news").json()
    assert one["kind"] == "country" and one["frequency"] == "immediate"
    assert apis["verifier"].get("/mailing-lists/missing").status_code == 404
    for role in ("analyst", "legislature"):
        assert apis[role].get("/mailing-lists").status_code == 403
        assert apis[role].get("/mailing-lists/deal-news").status_code == 403
        assert apis[role].get("/mailing-lists/missing").status_code == 403  # no probing
    assert apis["anonymous"].get("/mailing-lists").status_code == 401


def test_api_creates_changes_archives_and_restores(apis: dict[str, Api], lists: Lists) -> None:
    api = apis["verifier"]
    made = api.post(
        "/mailing-lists",
        {
            "slug": "deal-weekly",
            "kind": "agreement",
            "agreement": lists.world.agreement.slug,
            "frequency": "weekly",
            "public": False,
        },
    )
    assert made.status_code == 201, made.content
    assert made.json()["frequency"] == "weekly" and made.json()["public"] is False
    bad = api.post("/mailing-lists", {"slug": "x-deal", "kind": "agreement"})
    assert bad.status_code == 422
    changed = api.patch("/mailing-lists/deal-weekly", {"frequency": "immediate"})
    assert changed.json()["frequency"] == "immediate" and changed.json()["public"] is False
    assert api.post("/mailing-lists/deal-weekly/archive").json()["archived"] is True
    assert api.post("/mailing-lists/deal-weekly/send").status_code == 422
    assert api.post("/mailing-lists/deal-weekly/restore").json()["archived"] is False
    assert _actions()[-4:] == [
        "mailing.list_create",
        "mailing.list_update",
        "mailing.list_archive",
        "mailing.list_restore",
    ]
    # Writing needs a write token of a manager.
    before = AuditEntry.objects.count()
    assert apis["verifier-read"].post("/mailing-lists/deal-news/archive").status_code == 403
    assert apis["analyst"].post("/mailing-lists/deal-news/archive").status_code == 403
    assert apis["analyst"].post("/mailing-lists", {"slug": "a", "kind": "all"}).status_code == 403
    assert AuditEntry.objects.count() == before


def test_api_sends_now_after_saying_how_many(
    apis: dict[str, Api],
    lists: Lists,
    subscribe: Callable[..., Subscriber],
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscribe("ana@example.org", lists.deal)
    subscribe("beto@example.org", lists.deal)
    lists.confirm_release(0)
    api = apis["administrator"]
    pending = api.get("/mailing-lists/deal-news/pending").json()
    assert pending["recipients"] == 2 and pending["events"] >= 1
    assert not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post("/mailing-lists/deal-news/send").json()
    assert sent["recipients"] == 2 and sent["digest"] is not None
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.org", "beto@example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        again = api.post("/mailing-lists/deal-news/send").json()
    assert again["digest"] is None and len(mail.outbox) == 2
    assert apis["analyst"].get("/mailing-lists/deal-news/pending").status_code == 403
