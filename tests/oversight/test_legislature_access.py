"""Which legislature accounts see an agreement: the staff page, `detente agreement
legislature` and `/api/agreements/{slug}/legislature` (issue 18, point 6).

Every one goes through the same services: a change is checked, made and written to the
ledger at once, and a refusal leaves nothing behind.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from tests.oversight.kit import entries, field_errors, page
from tests.support import World, make_user

from detente.access.models import AgreementAccess
from detente.access.policy import Role
from detente.access.services import agreement_access_grant, agreement_set_audience
from detente.agreements.selectors import agreement_list
from detente.api.services import token_create
from detente.audit.models import AuditEntry

ACTIONS = ("agreement.access_grant", "agreement.access_revoke", "agreement.access_open")


@pytest.fixture
def shown(world: World) -> World:
    """The world's agreement shown to staff and the legislature."""
    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="legislature")
    return world


@pytest.fixture
def members(db: Any) -> dict[str, User]:
    """Two legislature accounts, an analyst (not one) and a disabled legislature account."""
    out = {
        "committee": make_user("committee-chair", Role.LEGISLATURE),
        "backbench": make_user("backbencher", Role.LEGISLATURE),
        "analyst": make_user("an-analyst", Role.ANALYST),
        "gone": make_user("former-member", Role.LEGISLATURE),
    }
    out["gone"].is_active = False
    out["gone"].save()
    return out


def _changes() -> int:
    return AuditEntry.objects.filter(action__in=ACTIONS).count()


def _sees(user: User, world: World) -> bool:
    """Whether ``user`` finds the agreement on its pages: the site's agreement page."""
    client = Client()
    client.force_login(user)
    return client.get(f"/agreements/{world.agreement.slug}/").status_code == 200


def _blank(response: Any, url: str) -> str:
    text = page(response).replace(url, "<URL>")
    return re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]*', r"\1", text)


def _url(world: World) -> str:
    return f"/staff/agreements/{world.agreement.slug}/legislature/"


# --- The staff page ----------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VERIFIER, Role.ADMINISTRATOR])
def test_a_manager_narrows_the_agreement_to_a_list_and_opens_it_again(
    shown: World, members: dict[str, User], login: Callable[..., Client], role: str
) -> None:
    client = login(role)
    committee, backbench = members["committee"], members["backbench"]
    assert _sees(committee, shown) and _sees(backbench, shown)
    before = page(client.get(_url(shown)))
    assert "Every legislature account." in before
    # The choice offers active legislature accounts only.
    assert 'value="committee-chair"' in before and 'value="backbencher"' in before
    assert 'value="an-analyst"' not in before and 'value="former-member"' not in before

    added = client.post(_url(shown), {"op": "add", "user": "committee-chair"}, follow=True)
    text = page(added)
    assert "committee-chair added to the list" in text
    assert "Only the legislature accounts listed below." in text
    assert entries("agreement.access_grant") == [{"user": "committee-chair", "narrowed": True}]
    assert _sees(committee, shown)
    assert not _sees(backbench, shown)  # not listed: the agreement left its pages
    assert not agreement_list(backbench).exists()

    removed = client.post(_url(shown), {"op": "remove", "user": "committee-chair"}, follow=True)
    assert "The list is empty: no legislature account sees the agreement." in page(removed)
    assert entries("agreement.access_revoke") == [{"user": "committee-chair", "remaining": 0}]
    assert not _sees(committee, shown) and not _sees(backbench, shown)

    client.post(_url(shown), {"op": "add", "user": "backbencher"})
    opened = client.post(_url(shown), {"op": "everyone"}, follow=True)
    assert "open to every legislature account again" in page(opened)
    assert entries("agreement.access_open") == [{"cleared": ["backbencher"]}]
    assert not AgreementAccess.objects.exists()  # the list was cleared
    assert _sees(committee, shown) and _sees(backbench, shown)
    # Opening what is open already records nothing.
    again = client.post(_url(shown), {"op": "everyone"}, follow=True)
    assert "Nothing changed." in page(again)
    assert len(entries("agreement.access_open")) == 1


@pytest.mark.parametrize(
    ("who", "why"),
    [
        ("no-such-account", "That account cannot be added"),
        ("an-analyst", "That account cannot be added"),  # not a legislature account
        ("former-member", "That account cannot be added"),  # disabled
        ("", "Choose the legislature account to add."),
    ],
)
def test_an_account_that_cannot_be_added_is_refused_on_the_form(
    shown: World, members: dict[str, User], login: Callable[..., Client], who: str, why: str
) -> None:
    client = login(Role.VERIFIER)
    response = client.post(_url(shown), {"op": "add", "user": who})
    assert response.status_code == 200
    text = page(response)
    assert "There is a problem" in text and "Nothing was saved" in text
    assert why in field_errors(response, "add_form")["user"][0]
    assert 'href="#id_user"' in text  # the summary leads to the field
    assert not AgreementAccess.objects.exists() and _changes() == 0
    assert _sees(members["backbench"], shown)


def test_removing_an_account_not_on_the_list_is_refused(
    shown: World, members: dict[str, User], login: Callable[..., Client]
) -> None:
    agreement_access_grant(actor=shown.actor, agreement=shown.agreement, user=members["committee"])
    client = login(Role.ADMINISTRATOR)
    before = _changes()
    response = client.post(_url(shown), {"op": "remove", "user": "backbencher"})
    assert response.status_code == 200
    assert "That account is not on this agreement&#x27;s list." in page(response)
    assert _changes() == before
    assert AgreementAccess.objects.filter(user=members["committee"]).exists()
    assert client.post(_url(shown), {"op": "nonsense"}).status_code == 400


def test_a_listed_account_that_is_disabled_stays_listed_and_marked(
    shown: World, members: dict[str, User], login: Callable[..., Client]
) -> None:
    committee = members["committee"]
    agreement_access_grant(actor=shown.actor, agreement=shown.agreement, user=committee)
    committee.is_active = False
    committee.save()
    text = page(login(Role.VERIFIER).get(_url(shown)))
    assert "committee-chair" in text and "no longer an active legislature account" in text


def test_the_page_says_when_the_audience_makes_the_list_moot(
    world: World, members: dict[str, User], login: Callable[..., Client]
) -> None:
    client = login(Role.VERIFIER)
    assert "shown to staff only, so no legislature account sees it yet" in page(
        client.get(_url(world))
    )
    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="public")
    agreement_access_grant(actor=world.actor, agreement=world.agreement, user=members["committee"])
    assert "every legislature account sees it whatever the list says" in page(
        client.get(_url(world))
    )
    assert _sees(members["backbench"], world)  # public: the list changes nothing


@pytest.mark.parametrize("role", ["public", Role.LEGISLATURE, Role.ANALYST])
def test_other_roles_are_refused_alike_for_an_agreement_and_a_missing_one(
    shown: World, members: dict[str, User], login: Callable[..., Client], role: str
) -> None:
    client = login(role)
    for method in ("get", "post"):
        send = getattr(client, method)
        body = {"op": "add", "user": "committee-chair"} if method == "post" else {}
        missing_url = "/staff/agreements/no-such-deal/legislature/"
        present, missing = send(_url(shown), body), send(missing_url, body)
        assert present.status_code == missing.status_code == 403
        # The same page, but for its own address (the language switch returns there) and
        # the form's CSRF token (masked afresh for every page).
        assert _blank(present, _url(shown)) == _blank(missing, missing_url)
    assert not AgreementAccess.objects.exists() and _changes() == 0


def test_anonymous_visitors_are_sent_to_sign_in(shown: World) -> None:
    response = Client().get(_url(shown))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_missing_agreement_is_not_found_for_managers(login: Callable[..., Client]) -> None:
    assert (
        login(Role.VERIFIER).get("/staff/agreements/no-such-deal/legislature/").status_code == 404
    )


def test_the_agreement_page_links_to_it_for_managers_only(
    shown: World, members: dict[str, User], login: Callable[..., Client]
) -> None:
    url = f"/staff/agreements/{shown.agreement.slug}/"
    assert _url(shown) in page(login(Role.VERIFIER).get(url))
    assert _url(shown) not in page(login(Role.ANALYST).get(url))
    agreement_access_grant(actor=shown.actor, agreement=shown.agreement, user=members["committee"])
    assert "listed accounts only" in page(login(Role.ADMINISTRATOR).get(url))


# --- The command line ----------------------------------------------------------------------


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("agreement", "legislature", *args, stdout=out)
    return out.getvalue()


def test_the_command_shows_and_changes_the_list(shown: World, members: dict[str, User]) -> None:
    slug = shown.agreement.slug
    assert _run(slug).startswith(f"{slug}: every legislature account.")
    text = _run(slug, "--add", "committee-chair", "--add", "backbencher")
    assert "only the listed legislature accounts" in text
    assert "committee-chair (listed by detente-cli on " in text
    state = json.loads(_run(slug, "--remove", "backbencher", "--json"))
    assert state["open_to"] == "listed_accounts" and state["in_force"] is True
    assert [a["username"] for a in state["accounts"]] == ["committee-chair"]
    assert not _sees(members["backbench"], shown) and _sees(members["committee"], shown)
    assert "every legislature account" in _run(slug, "--everyone")
    assert _sees(members["backbench"], shown)
    assert [e.action for e in AuditEntry.objects.filter(action__in=ACTIONS)] == [
        "agreement.access_grant",
        "agreement.access_grant",
        "agreement.access_revoke",
        "agreement.access_open",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--add", "no-such-account"), "--add: No legislature account is named “no-such-account”"),
        (("--add", "an-analyst"), "--add: No legislature account is named “an-analyst”"),
        (("--add", "former-member"), "--add: No legislature account is named “former-member”"),
        (("--remove", "backbencher"), "--remove: “backbencher” is not on this agreement's list"),
        (("--add", "backbencher", "--everyone"), "--everyone: Either list accounts to add"),
        # All or nothing: the good account before the bad one is not listed either.
        (("--add", "backbencher", "--add", "nobody"), "No legislature account is named “nobody”"),
    ],
)
def test_the_command_refuses_bad_accounts_and_stores_nothing(
    shown: World, members: dict[str, User], args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        _run(shown.agreement.slug, *args)
    assert not AgreementAccess.objects.exists() and _changes() == 0
    assert _sees(members["backbench"], shown)


def test_the_command_refuses_an_unknown_agreement(members: dict[str, User]) -> None:
    with pytest.raises(CommandError, match="no agreement with the slug 'no-such-deal'"):
        _run("no-such-deal", "--add", "committee-chair")
    assert _changes() == 0


# --- The API -----------------------------------------------------------------------------


def _token(user: User, scope: str = "write") -> dict[str, str]:
    _, secret = token_create(actor=user, user=user, name="t", scope=scope)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _post(url: str, body: Any, auth: dict[str, str]) -> Any:
    return Client().post(url, json.dumps(body), content_type="application/json", **auth)


def test_the_api_reads_and_changes_the_list(shown: World, members: dict[str, User]) -> None:
    auth = _token(make_user("api-verifier", Role.VERIFIER))
    url = f"/api/agreements/{shown.agreement.slug}/legislature"
    got = Client().get(url, **auth)
    assert got.status_code == 200
    assert got.json() == {
        "agreement": shown.agreement.slug,
        "audience": "legislature",
        "open_to": "every_legislature_account",
        "in_force": True,
        "accounts": [],
    }
    changed = _post(url, {"add": ["committee-chair"]}, auth)
    assert changed.status_code == 200
    body = changed.json()
    assert body["open_to"] == "listed_accounts"
    assert [(a["username"], a["granted_by"], a["current"]) for a in body["accounts"]] == [
        ("committee-chair", "api-verifier", True)
    ]
    assert body["accounts"][0]["granted_at"].endswith("Z")
    assert not _sees(members["backbench"], shown)
    # The unlisted legislator's token finds it missing, as a missing agreement.
    theirs = _token(members["backbench"], "read")
    hidden = Client().get(f"/api/agreements/{shown.agreement.slug}", **theirs)
    absent = Client().get("/api/agreements/no-such-deal", **theirs)
    assert hidden.status_code == absent.status_code == 404
    assert hidden.content == absent.content
    opened = _post(url, {"everyone": True}, auth)
    assert opened.json()["open_to"] == "every_legislature_account"
    assert opened.json()["accounts"] == []
    assert [e.actor_label for e in AuditEntry.objects.filter(action__in=ACTIONS)] == [
        "api-verifier",
        "api-verifier",
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"add": ["no-such-account"]}, "add"),
        ({"add": ["an-analyst"]}, "add"),
        ({"remove": ["backbencher"]}, "remove"),
        ({"add": ["committee-chair"], "everyone": True}, "everyone"),
        ({"add": ["not a username!"]}, "add.0"),
    ],
)
def test_the_api_refuses_bad_accounts_on_their_field_and_stores_nothing(
    shown: World, members: dict[str, User], body: dict[str, Any], field: str
) -> None:
    auth = _token(make_user("api-admin", Role.ADMINISTRATOR))
    response = _post(f"/api/agreements/{shown.agreement.slug}/legislature", body, auth)
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not AgreementAccess.objects.exists() and _changes() == 0


def test_the_api_refuses_other_roles_before_looking_anything_up(
    shown: World, members: dict[str, User]
) -> None:
    for user, scope in (
        (make_user("api-analyst", Role.ANALYST), "write"),
        (members["committee"], "read"),
        (make_user("api-reader", Role.VERIFIER), "read"),  # a read token does not write
    ):
        auth = _token(user, scope)
        for slug in (shown.agreement.slug, "no-such-deal"):
            url = f"/api/agreements/{slug}/legislature"
            posted = _post(url, {"add": ["committee-chair"]}, auth)
            assert posted.status_code == 403, (user.username, slug)
            if user.username != "api-reader":
                assert Client().get(url, **auth).status_code == 403
    manager = _token(make_user("api-manager", Role.VERIFIER))
    assert Client().get("/api/agreements/no-such-deal/legislature", **manager).status_code == 404
    assert not AgreementAccess.objects.exists() and _changes() == 0
