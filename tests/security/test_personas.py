"""Every role against every page and command; and the walk that finds unguarded URLs.

The tables below are the specification. The meta-tests fail when a model is registered in
the admin, or a URL is added, without an entry here.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from tests.security import routes_casework, routes_mailing, routes_oversight, routes_staff
from tests.support import World, make_user

from detente.access.policy import Role
from detente.access.services import agreement_set_audience

_ROUTE_TABLES = (routes_staff, routes_oversight, routes_mailing, routes_casework)

ROLES = ("anonymous", "public", "legislature", "analyst", "verifier", "administrator")
STAFF = frozenset({"analyst", "verifier", "administrator"})
MANAGERS = frozenset({"verifier", "administrator"})
NOBODY: frozenset[str] = frozenset()

# Who may open the list and the "add" form of each admin page.
ADMIN_PAGES: dict[str, dict[str, frozenset[str]]] = {
    "registry.person": {"view": STAFF, "add": STAFF},
    "registry.custodyepisode": {"view": STAFF, "add": STAFF},
    "evidence.source": {"view": STAFF, "add": MANAGERS},
    "evidence.claim": {"view": STAFF, "add": STAFF},
    "agreements.party": {"view": STAFF, "add": MANAGERS},
    "agreements.agreement": {"view": STAFF, "add": MANAGERS},
    "audit.auditentry": {"view": MANAGERS, "add": NOBODY},
    "access.disclosure": {"view": STAFF, "add": STAFF},
}
# URLs anyone may open without signing in (everything else must send them to log in, or,
# for the API, answer 401).
PUBLIC_URLS = {
    "",
    "agreements/<slug:slug>/",
    "agreements/<slug:slug>/briefing.pdf",
    "agreements/<slug:slug>/known-then/",
    "people/<str:handle>/",
    "statistics/",
    "methods/",
    ".well-known/detente/checkpoint",  # the newest signed ledger checkpoint, for anyone
    "favicon.ico",  # the site's icon (tests/web/test_a11y_favicon.py)
    # Open data: the public's view as files, whoever asks (tests/web/test_open_data.py).
    "open/agreements.json",
    "open/agreements.csv",
    "open/agreements/<slug:slug>/members.json",
    "open/agreements/<slug:slug>/members.csv",
    "open/statistics.json",
    "open/statistics.csv",
    "i18n/setlang/",
    "admin/login/",
    "admin/logout/",
    "api/docs",
    "api/openapi.json",
}
for _table in _ROUTE_TABLES:
    PUBLIC_URLS |= _table.PUBLIC
# API operations (prefix "api/"), with an agreement shown to the legislature: the roles
# that get the sample row of the test world. A reading operation (GET) is keyed by its
# path, every other one by its method and path. Every token holder may call a reading
# operation and gets what their user may see: a list without the row (the verification
# queue: 403, a staff tool), a detail answering 404 exactly like a missing one. Writing
# needs a write token of a role that may do it (others: 403). Anonymous callers: 401.
_SEES_AGREEMENT = STAFF | {"legislature"}
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
API_ROUTES: dict[str, frozenset[str]] = {
    "api/agreements": _SEES_AGREEMENT,
    "POST api/agreements": MANAGERS,
    "api/agreements/{slug}": _SEES_AGREEMENT,
    "PATCH api/agreements/{slug}": MANAGERS,
    "POST api/agreements/{slug}/archive": MANAGERS,
    "POST api/agreements/{slug}/restore": MANAGERS,
    "api/agreements/{slug}/progress": _SEES_AGREEMENT,
    "api/agreements/{slug}/members": _SEES_AGREEMENT,
    "api/agreements/{slug}/briefing.pdf": _SEES_AGREEMENT,
    "POST api/agreements/{slug}/members": STAFF,  # name people on it
    "POST api/agreements/{slug}/policy": MANAGERS,
    "POST api/agreements/{slug}/members/{handle}/classification": STAFF,
    # Which legislature accounts see it: managers only (403 for others, before any lookup).
    "api/agreements/{slug}/legislature": MANAGERS,
    "POST api/agreements/{slug}/legislature": MANAGERS,
    "api/parties": STAFF,
    "POST api/parties": MANAGERS,
    "api/parties/{slug}": STAFF,
    "PATCH api/parties/{slug}": MANAGERS,
    "POST api/parties/{slug}/archive": MANAGERS,
    "POST api/parties/{slug}/restore": MANAGERS,
    "api/people": _SEES_AGREEMENT,
    "api/people/{handle}": _SEES_AGREEMENT,
    "api/people/{handle}/custody": STAFF,
    # Who has seen whom: administrators only.
    "api/people/{handle}/access": frozenset({"administrator"}),
    "api/people/{handle}/access/export": frozenset({"administrator"}),
    "api/users/{username}/access": frozenset({"administrator"}),
    "api/users/{username}/access/export": frozenset({"administrator"}),
    "api/sources": STAFF,
    "POST api/sources": MANAGERS,
    "api/sources/{slug}": STAFF,
    "PATCH api/sources/{slug}": MANAGERS,
    "POST api/sources/{slug}/archive": MANAGERS,
    "POST api/sources/{slug}/restore": MANAGERS,
    "api/claims": STAFF,
    "POST api/claims": STAFF,  # record a claim
    "api/claims/{claim_id}": STAFF,
    "api/people/{handle}/claims/export": STAFF,  # a person's claims as a file
    "api/disclosures": STAFF,
    "api/disclosures/{disclosure_id}": STAFF,
    "api/statistics": SIGNED_IN,  # the newest approved release, the same for every token
    "api/statistics/draft": STAFF,
    "api/statistics/releases": STAFF,
    "POST api/statistics/releases": STAFF,  # propose
    "POST api/statistics/releases/{release_id}/approve": MANAGERS,  # not the proposer
    "POST api/statistics/releases/{release_id}/reject": MANAGERS,
    "api/verification": STAFF,
    "api/verification/export": STAFF,  # the queue as a file (403 for others)
    "POST api/verification/{slug}/{handle}/confirm": MANAGERS,
    "POST api/verification/{slug}/{handle}/dispute": MANAGERS,
    "api/estimates": STAFF,
    "POST api/match": STAFF,  # reads; the name in the body, never in the address
    "api/match-review": STAFF,
    "api/match-review/export": STAFF,  # the waiting rows as a file (403 for others)
    "api/match-review/{row_id}": STAFF,
    "POST api/match-review/{row_id}": MANAGERS,  # decide a row
    "POST api/match-review/bulk": MANAGERS,  # accept an import's rows at or above a probability
    "api/imports/{run_id}": STAFF,
    "api/imports/{run_id}/rows": STAFF,
    "POST api/imports": STAFF,  # upload a list (a write token of a role that records)
    "api/imports/jobs/{job_id}": MANAGERS,  # the operator's job; its creator sees it too
    "POST api/imports/jobs/{job_id}/start": NOBODY,  # its creator only (reconcile/test_jobs)
    # Email updates: managers only; everyone else 403, before any lookup.
    "api/mailing-lists": MANAGERS,
    "POST api/mailing-lists": MANAGERS,
    "api/mailing-lists/{slug}": MANAGERS,
    "PATCH api/mailing-lists/{slug}": MANAGERS,
    "POST api/mailing-lists/{slug}/archive": MANAGERS,
    "POST api/mailing-lists/{slug}/restore": MANAGERS,
    "api/mailing-lists/{slug}/pending": MANAGERS,
    "POST api/mailing-lists/{slug}/send": MANAGERS,
    # Casework: staff read (others: empty lists, 404) and record (analysts too).
    "api/interventions": STAFF,
    "POST api/interventions": STAFF,
    "api/interventions/{intervention_id}": STAFF,
    "PATCH api/interventions/{intervention_id}": STAFF,
    "api/notes": STAFF,
    "POST api/notes": STAFF,
    "api/notes/{note_id}": STAFF,
    "PATCH api/notes/{note_id}": STAFF,
    "api/tasks": STAFF,
    "POST api/tasks": STAFF,
    "POST api/tasks/{task_id}/done": STAFF,
    "api/attachments": STAFF,
    "POST api/attachments": STAFF,  # multipart, a write token of a role that records
    "api/attachments/{attachment_id}/download": STAFF,
}
# Other non-admin routes and who may use them: one table per part of the application.
ROUTES: dict[str, frozenset[str]] = {}
SAMPLES: dict[str, Any] = {}
POST_ONLY: set[str] = set()
for _table in _ROUTE_TABLES:
    ROUTES |= _table.ROUTES
    SAMPLES |= _table.SAMPLES
    POST_ONLY |= _table.POST_ONLY
# Public files of the test world's agreement (so the redaction test reads real members).
SAMPLES |= {
    f"open/agreements/<slug:slug>/members.{ext}": (
        lambda w, ext=ext: f"/open/agreements/{w.agreement.slug}/members.{ext}"
    )
    for ext in ("json", "csv")
}


def registered_detente_models() -> set[str]:
    return {
        m._meta.label_lower for m in admin.site._registry if m.__module__.startswith("detente.")
    }


# Models with no admin page of their own, and why; every other model must have one above.
NOT_IN_ADMIN = {
    "keys.datakey": "wrapped data keys: `detente keys status` names them, never a page",
    "registry.identity": "shown inside the person page, never listed on its own",
    "access.statisticsrelease": "the staff statistics pages (routes_oversight) and the API",
    "registry.nametoken": "the name search index, derived from identities; never shown",
    "agreements.membership": "shown inside the agreement page",
    "access.grant": "written by disclosure approval only",
    "access.agreementaccess": "granted and revoked through services (agreement_access_*)",
    "api.apitoken": "made and revoked through services; only a hash of the secret is kept",
    "accounts.totpdevice": "enrolled through invitation links or `detente user totp-*`; "
    "secrets are never shown again",
    "accounts.invitation": "issued from the users pages or `detente user invite`; a hash only",
    "accounts.recoverycode": "shown once when made (invitation, own account page); hashes only",
    "accounts.loginthrottle": "internal login counters; lifted with `detente user unlock`",
    "accounts.usersession": "internal index of sessions per user, used to end them on disable",
    "reconcile.importrun": "written by `detente import` only; read through the review API/CLI",
    "reconcile.importrow": "decided through review services (API, `detente review`), not edited",
    "reconcile.merge": "written by the merge and split services, which keep it exact",
    "reconcile.importjob": "the staff import pages and the API (reconcile.jobs); holds a file path",
    "mailing.mailinglist": "the staff pages (routes_mailing), `detente mailing list-*` and the "
    "API (tests/mailing/test_list_admin.py)",
    "mailing.subscriber": "personal data: only the subscriber's signed links and `detente mailing`",
    "mailing.subscription": "changed only through the subscriber's signed links",
    "mailing.consent": "written at confirmation; shown in the privacy export",
    "mailing.digest": "built by `detente mailing digest`",
    "mailing.outboxmessage": "written by digests, read by the worker (`detente mailing status`)",
    "mailing.deliverylease": "internal: which worker delivers the outbox",
    "mailing.mailchimpdeletion": "internal: Mailchimp deletions owed after an erasure",
    "casework.intervention": "the staff casework pages (routes_casework), `detente case`, the API",
    "casework.note": "the staff casework pages (routes_casework), `detente note` and the API",
    "casework.noteversion": "a note's history: written by note_add/note_edit only, never edited",
    "casework.task": "the staff casework pages (routes_casework), `detente task` and the API",
    "casework.attachment": "evidence files: the staff casework pages (routes_casework), "
    "`detente attach` and the API; files in the data directory, never in the admin",
    "audit.personaccess": "the index behind a person's access history, written with each "
    "access entry; read on the administrators' access pages (routes_oversight)",
    "web.renderedpage": "the public pages as an anonymous visitor gets them (web.pages); "
    "made from public data only, never edited",
}


def test_every_admin_page_is_in_the_persona_table() -> None:
    assert registered_detente_models() == set(ADMIN_PAGES)


def test_every_model_is_either_a_checked_page_or_deliberately_not_one() -> None:
    from django.apps import apps

    models = {m._meta.label_lower for m in apps.get_models() if m.__module__.startswith("detente.")}
    assert models == set(ADMIN_PAGES) | set(NOT_IN_ADMIN)


def _patterns(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    out = []
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            out += _patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            out.append(prefix + str(p.pattern))
    return out


def _concrete(pattern: str) -> str:
    """Fill a route's parameters with plausible values (an id that may or may not exist)."""
    text = pattern.lstrip("^").rstrip("$")
    text = re.sub(r"<(?:int:)?[a-z_]+>", "1", text)
    text = re.sub(r"<path:[a-z_]+>", "1", text)
    text = re.sub(r"<slug:[a-z_]+>", "x", text)
    text = re.sub(r"\(\?P<[a-z_]+>[^)]*\)", "x", text)
    return "/" + text.replace("\\", "")


def test_every_url_requires_login_unless_listed_public(db: Any) -> None:
    client = Client()
    for pattern in _patterns():
        url = _concrete(pattern)
        response = client.get(url)
        if pattern in PUBLIC_URLS:
            continue
        if response.status_code == 404:
            continue  # a route that did not match our filled-in parameters says nothing
        if pattern.startswith("api/"):
            assert response.status_code in (401, 405), (pattern, response.status_code)
            continue
        assert response.status_code in (301, 302), (pattern, response.status_code)
        assert "login" in response["Location"] or response["Location"] == "/admin/", pattern


def test_every_non_admin_route_is_in_the_persona_table() -> None:
    from detente.api.main import api

    routes = {p for p in _patterns() if not p.startswith(("admin/", "api/"))}
    assert routes - PUBLIC_URLS == set(ROUTES)
    operations = {
        path.lstrip("/") if method == "get" else f"{method.upper()} {path.lstrip('/')}"
        for path, methods in api.get_openapi_schema()["paths"].items()
        for method in methods
    }
    assert operations == set(API_ROUTES)


def _user(role: str) -> User | None:
    if role == "anonymous":
        return None
    user = make_user(f"persona-{role}", None if role == "public" else role)
    user.is_staff = role in STAFF
    user.save()
    return user


@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_for_every_role(world: World, role: str) -> None:
    client = Client()
    user = _user(role)
    if user is not None:
        client.force_login(user)
    for label, rights in ADMIN_PAGES.items():
        base = "/admin/" + label.replace(".", "/") + "/"
        for what, url in (("view", base), ("add", base + "add/")):
            status = client.get(url).status_code
            if role not in STAFF:
                assert status == 302, (role, url, status)
            else:
                assert status == (200 if role in rights[what] else 403), (role, url, status)


@pytest.mark.parametrize("role", ROLES)
def test_routes_for_every_role(world: World, role: str) -> None:
    client = Client()
    user = _user(role)
    if user is not None:
        client.force_login(user)
    for pattern, allowed in ROUTES.items():
        url = SAMPLES[pattern](world) if pattern in SAMPLES else "/" + pattern
        response = client.get(url)
        status = response.status_code
        if role in allowed:
            assert status == (405 if pattern in POST_ONLY else 200), (role, url, status)
        elif role == "anonymous":
            assert status == 302 and "login" in response["Location"], (role, url, status)
        else:
            assert status in (403, 404), (role, url, status)


def _sans_csrf(response: Any) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


@pytest.mark.parametrize("role", ROLES)
def test_name_searches_take_the_name_by_post_only_for_every_role(world: World, role: str) -> None:
    """The routes that search by name (routes_staff.NAME_SEARCHES), with their method: a
    POST with the name in the body searches for the roles allowed; the same text in the
    query string of a GET searches for no one (the page with an empty box, or 405)."""
    from urllib.parse import urlencode

    assert set(routes_staff.NAME_SEARCHES) <= set(ROUTES)
    client = Client()
    user = _user(role)
    if user is not None:
        client.force_login(user)
    handle = world.person().handle
    for pattern, sample in routes_staff.NAME_SEARCHES.items():
        url, body = sample(world)
        allowed = ROUTES[pattern]
        posted = client.post(url, body)
        looked_up = client.get(url + "?" + urlencode(body))
        if role in allowed:
            assert posted.status_code == 200, (role, pattern, posted.status_code)
            assert handle in posted.content.decode(), (role, pattern)
            expected = 405 if pattern in POST_ONLY else 200
            assert looked_up.status_code == expected, (role, pattern, looked_up.status_code)
            if expected == 200:
                # Not searched: the same page as a visit without the text (the People page
                # lists everyone either way; the name never narrows it).
                plain = client.get(url)
                assert _sans_csrf(looked_up) == _sans_csrf(plain), (role, pattern)
                assert "best match first" not in looked_up.content.decode(), (role, pattern)
        elif role == "anonymous":
            for response in (posted, looked_up):
                assert response.status_code == 302, (role, pattern, response.status_code)
                assert "login" in response["Location"], (role, pattern)
        else:
            for response in (posted, looked_up):
                assert response.status_code in (403, 404), (role, pattern, response.status_code)


@pytest.mark.parametrize("role", ["anonymous", "public", "legislature"])
def test_hidden_admin_objects_look_like_missing_ones(world: World, role: str) -> None:
    client = Client()
    user = _user(role)
    if user is not None:
        client.force_login(user)
    present_url = f"/admin/registry/person/{world.person().pk}/change/"
    missing_url = "/admin/registry/person/999999999/change/"
    present, missing = client.get(present_url), client.get(missing_url)
    assert present.status_code == missing.status_code == 302
    assert present.content == missing.content
    # Sent to the same login page, which only echoes back the address they asked for.
    assert present["Location"].replace(present_url, "X") == missing["Location"].replace(
        missing_url, "X"
    )


# --- The command line, as each role (--as) -------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("audience", ["staff", "legislature", "public"])
def test_commands_for_every_role(world: World, role: str, audience: str) -> None:
    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience=audience)
    user = _user(role)
    who = user.username if user else "anonymous"
    tier = "staff" if role in STAFF else "legislature" if role == "legislature" else "public"
    shown = {"staff": ("staff", "legislature", "public"), "legislature": ("legislature", "public")}
    sees_agreement = audience in shown.get(tier, ("public",))
    listing = run("agreement", "list", "--as", who)
    assert (world.agreement.slug in listing) == sees_agreement
    handle = world.person().handle
    if sees_agreement:
        assert "promised" in run("agreement", "status", world.agreement.slug, "--as", who)
        members = run("agreement", "members", world.agreement.slug, "--as", who)
        assert handle in members
        assert ("Yoandri" in members) == (tier == "staff")
        assert handle in run("person", "show", handle, "--as", who)
    else:
        for args in (
            ("agreement", "status", world.agreement.slug),
            ("agreement", "members", world.agreement.slug),
        ):
            with pytest.raises(CommandError) as hidden:
                run(*args, "--as", who)
            with pytest.raises(CommandError) as missing:
                run(args[0], args[1], "no-such-agreement", "--as", who)
            assert str(hidden.value).replace(world.agreement.slug, "?") == str(
                missing.value
            ).replace("no-such-agreement", "?")
        with pytest.raises(CommandError, match="no person"):
            run("person", "show", handle, "--as", who)


def test_disabled_or_unknown_users_cannot_be_impersonated(world: World) -> None:
    user = make_user("gone", Role.ANALYST)
    user.is_active = False
    user.save()
    with pytest.raises(CommandError, match="disabled"):
        run("agreement", "list", "--as", "gone")
    with pytest.raises(CommandError, match="no user"):
        run("agreement", "list", "--as", "nobody-here")


# Every command of Detente's own and who it serves. Reading commands take --as and are
# checked above for every role; the others act only as the operator at the server's shell
# (who holds the database anyway) and take no --as, so no one can act as someone else.
COMMANDS = {
    "agreement": "list/status/members/briefing: every role via --as "
    "(test_commands_for_every_role, tests/web/test_briefing.py); "
    "create/edit/archive/restore/policy/classify/legislature operator only, no --as "
    "(tests/foundation/test_setup_cli.py, tests/oversight/test_places.py, "
    "tests/oversight/test_member_classification.py, "
    "tests/oversight/test_legislature_access.py)",
    "person": "show: every role via --as (test_commands_for_every_role); claims: staff via "
    "--as, others refused (tests/staff/test_staff_downloads.py)",
    "queue": "list: staff via --as, others refused (tests/staff/test_staff_downloads.py)",
    "stats": "show: every role via --as, the same release for all (test_statistics); "
    "draft/releases: staff via --as; propose: operator only, no --as "
    "(tests/publishing/test_releases.py)",
    "estimate": "staff via --as; others are refused like a missing source (test_estimate)",
    "match": "staff via --as; others are refused (tests/matching/test_match.py)",
    "disclosure": "operator only; decisions still need a second person",
    "audit": "operator only (access: tests/oversight/test_access_history.py)",
    "witness": "operator only, on a witness's own machine; no database, no --as "
    "(tests/security/test_witness.py)",
    "user": "operator only",
    "token": "operator only; the token is printed once",
    "demo": "operator only; refuses to reset PostgreSQL",
    "serve": "operator only",
    "db_worker": "operator only: the background worker (tasks, and the digests that are due)",
    "import": "operator only; `import show` staff via --as (tests/reconcile/test_jobs)",
    "review": (
        "list/show: staff via --as; decisions operator only (tests/reconcile/test_match_review)"
    ),
    "duplicates": "staff via --as; others are refused (tests/reconcile/test_duplicates)",
    "merge": "operator only; merges and splits are written to the ledger with the evidence",
    "mailing": "operator only; addresses reach the ledger as keyed hashes (tests/mailing)",
    "party": "operator only (managers' work; tests/foundation/test_setup_cli.py)",
    "source": "operator only (managers' work); lists protected sources, marked",
    "claim": "operator only (recording needs RECORD; tests/foundation/test_claim_cli.py)",
    "case": "list: staff via --as, others refused; raise/edit operator only (tests/casework)",
    "note": "list/history: staff via --as (a note for verifiers only is missing to others); "
    "add/edit operator only (tests/casework)",
    "task": "list: staff via --as, others refused; add/done/remind operator only (tests/casework)",
    "backup": "operator only: the whole database and data directory, encrypted to the "
    "operator's age recipients; no --as (tests/backups)",
    "restore": "operator only, into a fresh data directory; no --as (tests/backups)",
    "config": "operator only: the settings in force, secrets masked; no --as "
    "(tests/foundation/test_config.py)",
    "keys": "operator only: the master key file and the data keys; no --as (tests/keys)",
    "attach": "list/get: staff via --as (a file on a note for verifiers only is missing to "
    "others; an original to analysts); add operator only (tests/casework/test_attachments)",
}


def test_every_command_is_in_the_persona_table() -> None:
    from django.core.management import get_commands

    ours = {name for name, app in get_commands().items() if app.startswith("detente")}
    assert ours == set(COMMANDS)


@pytest.mark.parametrize(
    "command",
    [
        "disclosure",
        "audit",
        "witness",
        "user",
        "token",
        "demo",
        "serve",
        "merge",
        "party",
        "source",
        "claim",
        "backup",
        "restore",
        "config",
        "keys",
    ],
)
def test_operator_commands_cannot_act_as_someone_else(command: str) -> None:
    import argparse

    from django.core.management import get_commands, load_command_class

    def options(parser: argparse.ArgumentParser) -> set[str]:
        found = set(parser._option_string_actions)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    found |= options(sub)
        return found

    app = get_commands()[command]  # the app that holds the command (issue 18 moved some)
    parser = load_command_class(app, command).create_parser("detente", command)
    assert "--as" not in options(parser)
    # The check itself can see an --as where there is one.
    reader = load_command_class("detente.agreements", "agreement").create_parser(
        "detente", "agreement"
    )
    assert "--as" in options(reader)


def test_analysts_never_see_a_protected_source_in_the_admin(world: World) -> None:
    from detente.evidence.services import claim_record, source_create

    informant = source_create(
        actor=world.actor,
        slug="informant",
        name="Officer in prison X",
        kind="anonymous_official",
        reliability="C",
        independence_group="informant",
        protected=True,
    )
    claim = claim_record(
        actor=world.actor,
        source=informant,
        person=world.person(),
        status="detained",
        event_date=world.agreement.announced_on,
        received_at=timezone.now(),
    )
    pages = (
        "/admin/evidence/source/",
        "/admin/evidence/claim/",
        "/admin/evidence/claim/add/",
        f"/admin/evidence/claim/{claim.pk}/change/",
    )
    analyst, verifier = Client(), Client()
    analyst.force_login(_user("analyst"))
    verifier.force_login(_user("verifier"))
    for url in pages:
        page = analyst.get(url)
        assert page.status_code == 200, url
        assert "Officer in prison X" not in page.content.decode(), url
    assert "Officer in prison X" in verifier.get("/admin/evidence/source/").content.decode()


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_api_operations_for_every_role(world: World, role: str) -> None:
    import datetime as _dt
    import json as _json

    from detente.access.services import disclosure_propose
    from detente.api.services import token_create
    from detente.evidence.services import claim_record
    from detente.publishing.releases import statistics_propose

    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="legislature")
    reported = claim_record(  # a reported release: a claim, and a member in the queue
        actor=world.actor,
        source=world.sources["gov"],
        person=world.person(),
        agreement=world.agreement,
        status="pardoned",
        event_date=_dt.date(2020, 2, 1),
        received_at=_dt.datetime(2020, 2, 2, 12, tzinfo=_dt.UTC),
    )
    disclosure = disclosure_propose(
        actor=world.actor, audience="legislature", reason="hearing", agreement=world.agreement
    )
    stats_sample = statistics_propose(actor=world.actor, reason="persona sample")
    stats_other = statistics_propose(actor=world.actor, reason="persona sample, to refuse")
    user = _user(role)
    assert user is not None
    scope = "write" if role in STAFF else "read"
    _, token = token_create(actor=user, user=user, name="persona", scope=scope)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    client = Client()
    slug, handle = world.agreement.slug, world.person().handle
    source, family = world.sources["ngo"].slug, world.sources["family"].slug
    # Lists: route -> (address, key of the rows, the sample's key). A list inside an
    # agreement or a person the role cannot see looks missing: 404 like a missing parent.
    lists = {
        "api/agreements": ("/api/agreements", "slug", slug),
        "api/agreements/{slug}/members": (f"/api/agreements/{slug}/members", "handle", handle),
        "api/people": ("/api/people", "handle", handle),
        "api/people/{handle}/custody": (f"/api/people/{handle}/custody", "status", "sentenced"),
        "api/parties": ("/api/parties", "slug", world.releasing.slug),
        "api/sources": ("/api/sources", "slug", source),
        "api/claims": ("/api/claims", "id", reported.pk),
        "api/disclosures": ("/api/disclosures", "id", disclosure.pk),
        "api/verification": ("/api/verification", "handle", handle),
    }
    parents = {
        "api/agreements/{slug}/members": (
            "api/agreements/{slug}",
            "/api/agreements/no-such-deal/members",
        ),
        "api/people/{handle}/custody": ("api/people/{handle}", "/api/people/P-999999/custody"),
    }
    # Details: route -> (address of the sample, the same with a name that does not exist).
    details = {
        "api/agreements/{slug}": (f"/api/agreements/{slug}", "/api/agreements/no-such-deal"),
        "api/agreements/{slug}/progress": (
            f"/api/agreements/{slug}/progress",
            "/api/agreements/no-such-deal/progress",
        ),
        "api/agreements/{slug}/briefing.pdf": (
            f"/api/agreements/{slug}/briefing.pdf",
            "/api/agreements/no-such-deal/briefing.pdf",
        ),
        "api/people/{handle}": (f"/api/people/{handle}", "/api/people/P-999999"),
        "api/parties/{slug}": (
            f"/api/parties/{world.releasing.slug}",
            "/api/parties/no-such-party",
        ),
        "api/sources/{slug}": (f"/api/sources/{source}", "/api/sources/no-such-source"),
        "api/claims/{claim_id}": (f"/api/claims/{reported.pk}", "/api/claims/999999999"),
        "api/disclosures/{disclosure_id}": (
            f"/api/disclosures/{disclosure.pk}",
            "/api/disclosures/999999999",
        ),
    }
    for route, (url, key, sample) in lists.items():
        response = client.get(url, **auth)
        if route in parents and role not in API_ROUTES[parents[route][0]]:
            absent = client.get(parents[route][1], **auth)
            assert response.status_code == absent.status_code == 404, (role, route)
            assert response.content == absent.content, (role, route)
        elif route == "api/verification" and role not in STAFF:
            assert response.status_code == 403, (role, route)
        else:
            assert response.status_code == 200, (role, route, response.status_code)
            shown = {row[key] for row in response.json()["items"]}
            assert (sample in shown) == (role in API_ROUTES[route]), (role, route, shown)
    for route, (url, missing) in details.items():
        response = client.get(url, **auth)
        if role in API_ROUTES[route]:
            assert response.status_code == 200, (role, route, response.status_code)
        else:
            absent = client.get(missing, **auth)
            assert response.status_code == absent.status_code == 404, (role, route)
            assert response.content == absent.content, (role, route)
    writes = {
        "POST api/claims": (
            "/api/claims",
            {"source": family, "person": handle, "status": "detained", "event_date": "2020-03-01"},
        ),
        "POST api/verification/{slug}/{handle}/dispute": (
            f"/api/verification/{slug}/{handle}/dispute",
            {"source": family, "evidence_text": "Seen in prison.", "event_date": "2020-03-02"},
        ),
        "POST api/verification/{slug}/{handle}/confirm": (
            f"/api/verification/{slug}/{handle}/confirm",
            {"source": source, "evidence_text": "Seen at home."},
        ),
    }
    for route, (url, body) in writes.items():
        response = client.post(url, _json.dumps(body), content_type="application/json", **auth)
        # A read-only token, or a role that may not do it, is refused in the same way.
        expected = 201 if role in API_ROUTES[route] else 403
        assert response.status_code == expected, (role, route, response.content)
    statistics = {
        "api/statistics": client.get("/api/statistics", **auth),
        "api/statistics/draft": client.get("/api/statistics/draft", **auth),
    }
    for route, answer in statistics.items():
        assert answer.status_code == (200 if role in API_ROUTES[route] else 403), (role, route)
    releases = client.get("/api/statistics/releases", **auth).json()["items"]
    assert {r["id"] for r in releases} == (
        {stats_sample.pk, stats_other.pk}
        if role in API_ROUTES["api/statistics/releases"]
        else set()
    ), role
    proposed = client.post(
        "/api/statistics/releases", '{"reason": "persona"}', content_type="application/json", **auth
    )
    route = "POST api/statistics/releases"
    assert proposed.status_code == (201 if role in API_ROUTES[route] else 403), role
    for decision, release in (("approve", stats_sample), ("reject", stats_other)):
        route = f"POST api/statistics/releases/{{release_id}}/{decision}"
        decided = client.post(
            f"/api/statistics/releases/{release.pk}/{decision}",
            '{"note": "persona"}',
            content_type="application/json",
            **auth,
        )
        assert decided.status_code == (200 if role in API_ROUTES[route] else 403), role
    estimate = client.get(
        f"/api/estimates?list=source:{source}&list=agreement:{slug}&method=independence", **auth
    )
    assert estimate.status_code == (200 if role in API_ROUTES["api/estimates"] else 403), role
    for route, url in (
        ("api/people/{handle}/access", f"/api/people/{handle}/access"),
        ("api/people/{handle}/access/export", f"/api/people/{handle}/access/export"),
        ("api/users/{username}/access", f"/api/users/{user.username}/access"),
        ("api/users/{username}/access/export", f"/api/users/{user.username}/access/export"),
        ("api/agreements/{slug}/legislature", f"/api/agreements/{slug}/legislature"),
    ):
        answer = client.get(url, **auth)
        assert answer.status_code == (200 if role in API_ROUTES[route] else 403), (role, route)
    from tests.security.routes_staff import _queued_row

    from detente.reconcile.models import ImportRow

    row = ImportRow.objects.get(pk=_queued_row(world))
    for url, ok in (
        ("/api/match-review", 200 if role in STAFF else 403),
        (f"/api/match-review/{row.pk}", 200 if role in STAFF else 404),
        (f"/api/imports/{row.run_id}", 200 if role in STAFF else 404),
    ):
        assert client.get(url, **auth).status_code == ok, (role, url)
    decided = client.post(
        f"/api/match-review/{row.pk}",
        _json.dumps({"decision": "reject"}),
        content_type="application/json",
        **auth,
    )
    may_decide = role in API_ROUTES["POST api/match-review/{row_id}"]
    assert decided.status_code == (200 if may_decide else 403), (role, decided.content)
    from tests.reconcile.match_review_kit import queue_row

    waiting = queue_row(row.run, 99, [(world.person(2), 0.9)])
    bulk = client.post(
        "/api/match-review/bulk",
        _json.dumps({"run": row.run_id, "above": 0.9, "expected": 1}),
        content_type="application/json",
        **auth,
    )
    assert bulk.status_code == (200 if role in API_ROUTES["POST api/match-review/bulk"] else 403), (
        role
    )
    waiting.refresh_from_db()
    assert bool(waiting.decision) == (role in API_ROUTES["POST api/match-review/bulk"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    from detente.reconcile.jobs import import_job_create, import_job_discard

    csv = b"name,status,event_date\nAna Diaz Ruiz,detained,2020-05-01\n"
    rows = client.get(f"/api/imports/{row.run_id}/rows", **auth)
    assert rows.status_code == (200 if role in API_ROUTES["api/imports/{run_id}/rows"] else 404)
    theirs = import_job_create(
        actor=world.actor,
        upload=SimpleUploadedFile("x.csv", csv),
        file_name="x.csv",
        source=world.sources["ngo"],
    )
    import_job_discard(actor=world.actor, job=theirs)  # no file left behind
    job = client.get(f"/api/imports/jobs/{theirs.pk}", **auth)
    assert job.status_code == (200 if role in API_ROUTES["api/imports/jobs/{job_id}"] else 404)
    # Someone else's job: those who see it may not import it; to the others it is missing
    # (a read token is refused before anything is looked at).
    start = client.post(f"/api/imports/jobs/{theirs.pk}/start", **auth)
    assert start.status_code == (404 if role == "analyst" else 403), (role, start.content)
    uploaded = client.post(
        "/api/imports",
        {"file": SimpleUploadedFile("list.csv", csv), "source": source, "mapping": "{bad"},
        **auth,
    )
    # Staff get as far as the mapping (refused: nothing kept); the others are refused.
    assert uploaded.status_code == (422 if role in API_ROUTES["POST api/imports"] else 403), (
        role,
        uploaded.content,
    )
    found = client.post(
        "/api/match", _json.dumps({"q": "Yoandri 0 Perez"}), content_type="application/json", **auth
    )
    assert found.status_code == (200 if role in API_ROUTES["POST api/match"] else 403), role
    if role in API_ROUTES["POST api/match"]:
        assert found.json()["items"][0]["handle"] == handle
    # The old form, the name in the address, is not an operation (and runs no search).
    assert client.get("/api/match?q=Yoandri+0+Perez", **auth).status_code == 405, role
    # Setting up: parties, sources and agreements (the world's own are restored after).
    party, agreement = world.releasing.slug, world.agreement.slug
    setup = {
        "POST api/parties": (
            "post",
            "/api/parties",
            {"slug": "persona-party", "name": "P", "independence_group": "persona-party"},
            201,
        ),
        "PATCH api/parties/{slug}": ("patch", f"/api/parties/{party}", {"name": "R"}, 200),
        "POST api/parties/{slug}/archive": ("post", f"/api/parties/{party}/archive", None, 200),
        "POST api/parties/{slug}/restore": ("post", f"/api/parties/{party}/restore", None, 200),
        "POST api/sources": (
            "post",
            "/api/sources",
            {
                "slug": "persona-source",
                "name": "S",
                "kind": "press",
                "reliability": "C",
                "independence_group": "persona-source",
            },
            201,
        ),
        "PATCH api/sources/{slug}": ("patch", f"/api/sources/{source}", {"name": "N"}, 200),
        "POST api/sources/{slug}/archive": ("post", f"/api/sources/{source}/archive", None, 200),
        "POST api/sources/{slug}/restore": ("post", f"/api/sources/{source}/restore", None, 200),
        "POST api/agreements": (
            "post",
            "/api/agreements",
            {
                "slug": "persona-deal",
                "title": "T",
                "releasing_party": party,
                "counterpart": world.counterpart.slug,
                "announced_on": "2021-01-01",
                "promised_count": None,
            },
            201,
        ),
        "PATCH api/agreements/{slug}": (
            "patch",
            f"/api/agreements/{agreement}",
            {"title": "Renamed"},
            200,
        ),
        "POST api/agreements/{slug}/archive": (
            "post",
            f"/api/agreements/{agreement}/archive",
            None,
            200,
        ),
        "POST api/agreements/{slug}/restore": (
            "post",
            f"/api/agreements/{agreement}/restore",
            None,
            200,
        ),
        "POST api/agreements/{slug}/policy": (
            "post",
            f"/api/agreements/{agreement}/policy",
            {"confirm_min_grade": "B", "dispute_min_grade": "C"},
            200,
        ),
        "POST api/agreements/{slug}/members": (
            "post",
            f"/api/agreements/{agreement}/members",
            {"people": [handle]},
            200,
        ),
        "POST api/agreements/{slug}/members/{handle}/classification": (
            "post",
            f"/api/agreements/{agreement}/members/{handle}/classification",
            {"classification": "political", "source": source, "reason": "Persona check."},
            200,
        ),
        "POST api/agreements/{slug}/legislature": (
            "post",
            f"/api/agreements/{agreement}/legislature",
            {"everyone": True},
            200,
        ),
    }
    for route, (method, url, body, ok) in setup.items():
        sent = getattr(client, method)(
            url, _json.dumps(body or {}), content_type="application/json", **auth
        )
        # A read-only token, or a role that may not do it, is refused in the same way.
        expected = ok if role in API_ROUTES[route] else 403
        assert sent.status_code == expected, (role, route, sent.content)
    # Email updates: managers get each operation; every other role 403, whatever it names.
    from tests.security.routes_mailing import _list_slug

    ml = _list_slug(world)
    mailing = {
        "api/mailing-lists": ("get", "/api/mailing-lists", None, 200),
        "api/mailing-lists/{slug}": ("get", f"/api/mailing-lists/{ml}", None, 200),
        "api/mailing-lists/{slug}/pending": ("get", f"/api/mailing-lists/{ml}/pending", None, 200),
        "POST api/mailing-lists": (
            "post",
            "/api/mailing-lists",
            {"slug": "persona-news", "kind": "all"},
            201,
        ),
        "PATCH api/mailing-lists/{slug}": (
            "patch",
            f"/api/mailing-lists/{ml}",
            {"frequency": "weekly"},
            200,
        ),
        "POST api/mailing-lists/{slug}/archive": (
            "post",
            f"/api/mailing-lists/{ml}/archive",
            None,
            200,
        ),
        "POST api/mailing-lists/{slug}/restore": (
            "post",
            f"/api/mailing-lists/{ml}/restore",
            None,
            200,
        ),
        "POST api/mailing-lists/{slug}/send": ("post", f"/api/mailing-lists/{ml}/send", None, 200),
    }
    for route, (method, url, body, ok) in mailing.items():
        if method == "get":
            sent = client.get(url, **auth)
            refused = client.get(url.replace(ml, "no-such-list"), **auth)
            if role not in API_ROUTES[route]:
                assert refused.status_code == 403, (role, route)
        else:
            sent = getattr(client, method)(
                url, _json.dumps(body or {}), content_type="application/json", **auth
            )
        expected = ok if role in API_ROUTES[route] else 403
        assert sent.status_code == expected, (role, route, sent.content)
    # The staff pages' downloads: the file for staff (the sample in it), 403 for others.
    claim_record(  # a member reported released, still in the queue
        actor=world.actor,
        source=world.sources["gov"],
        person=world.person(1),
        agreement=world.agreement,
        status="pardoned",
        event_date=_dt.date(2020, 2, 1),
    )
    still = queue_row(row.run, 98, [(world.person(1), 0.6)])  # a row still waiting
    downloads = {
        "api/verification/export": (
            "/api/verification/export?format=json",
            "handle",
            world.person(1).handle,
        ),
        "api/match-review/export": ("/api/match-review/export?format=json", "row_id", still.pk),
        "api/people/{handle}/claims/export": (
            f"/api/people/{handle}/claims/export?format=json",
            "id",
            reported.pk,
        ),
    }
    for route, (url, key, sample) in downloads.items():
        answer = client.get(url, **auth)
        if role in API_ROUTES[route]:
            assert answer.status_code == 200, (role, route, answer.status_code)
            assert sample in {r[key] for r in answer.json()}, (role, route)
        else:
            assert answer.status_code == 403, (role, route)
    # Casework: staff read and record (analysts too); every other token gets empty lists,
    # 404 exactly like a missing row, and 403 for a write.
    from tests.security.routes_casework import intervention_pk, note_pk, task_pk

    case, note, task = intervention_pk(world), note_pk(world), task_pk(world)
    casework_lists = {
        "api/interventions": ("/api/interventions", case),
        "api/notes": ("/api/notes", note),
        "api/tasks": ("/api/tasks", task),
    }
    for route, (url, sample) in casework_lists.items():
        answer = client.get(url, **auth)
        assert answer.status_code == 200, (role, route, answer.status_code)
        shown = {r["id"] for r in answer.json()["items"]}
        assert (sample in shown) == (role in API_ROUTES[route]), (role, route, shown)
    casework_details = {
        "api/interventions/{intervention_id}": f"/api/interventions/{case}",
        "api/notes/{note_id}": f"/api/notes/{note}",
    }
    for route, url in casework_details.items():
        answer = client.get(url, **auth)
        if role in API_ROUTES[route]:
            assert answer.status_code == 200, (role, route, answer.status_code)
        else:
            absent = client.get(url.rsplit("/", 1)[0] + "/999999999", **auth)
            assert answer.status_code == absent.status_code == 404, (role, route)
            assert answer.content == absent.content, (role, route)
    due = str(timezone.localdate() + _dt.timedelta(days=1))
    casework_writes = {
        "POST api/interventions": (
            "post",
            "/api/interventions",
            {"person": handle, "channel": "call", "occurred_on": "2020-03-03", "asked": "P"},
            201,
        ),
        "PATCH api/interventions/{intervention_id}": (
            "patch",
            f"/api/interventions/{case}",
            {"answer": "Persona"},
            200,
        ),
        "POST api/notes": ("post", "/api/notes", {"person": handle, "body": "Persona"}, 201),
        "PATCH api/notes/{note_id}": ("patch", f"/api/notes/{note}", {"body": "Persona 2"}, 200),
        "POST api/tasks": (
            "post",
            "/api/tasks",
            {"person": handle, "title": "P", "due_on": due, "assignee": user.username},
            201,
        ),
        "POST api/tasks/{task_id}/done": ("post", f"/api/tasks/{task}/done", None, 200),
    }
    for route, (method, url, body, ok) in casework_writes.items():
        sent = getattr(client, method)(
            url, _json.dumps(body or {}), content_type="application/json", **auth
        )
        expected = ok if role in API_ROUTES[route] else 403
        assert sent.status_code == expected, (role, route, sent.content)
    # Evidence files: listed and downloaded by staff (404 like a missing one for others),
    # uploaded (multipart) by staff with a write token (403 for others).
    from tests.security.routes_casework import attachment_pk

    attachment = attachment_pk(world)
    listed = client.get("/api/attachments", **auth)
    assert listed.status_code == 200, (role, listed.status_code)
    shown = {r["id"] for r in listed.json()["items"]}
    assert (attachment in shown) == (role in API_ROUTES["api/attachments"]), (role, shown)
    got = client.get(f"/api/attachments/{attachment}/download", **auth)
    if role in API_ROUTES["api/attachments/{attachment_id}/download"]:
        assert got.status_code == 200, (role, got.status_code)
    else:
        absent = client.get("/api/attachments/999999999/download", **auth)
        assert got.status_code == absent.status_code == 404, role
        assert got.content == absent.content, role
    from django.core.files.uploadedfile import SimpleUploadedFile

    sent = client.post(
        "/api/attachments",
        {"note": note, "file": SimpleUploadedFile("p.pdf", b"%PDF-1.7\npersona\n")},
        **auth,
    )
    expected = 201 if role in API_ROUTES["POST api/attachments"] else 403
    assert sent.status_code == expected, (role, sent.content)
    casework = set(casework_lists) | set(casework_details) | set(casework_writes)
    casework |= {
        "api/attachments",
        "POST api/attachments",
        "api/attachments/{attachment_id}/download",
    }
    assert casework | set(lists) | set(details) | set(writes) | set(setup) | set(mailing) | set(
        downloads
    ) | {
        *(k for k in API_ROUTES if "api/statistics" in k),
        "api/estimates",
        *(k for k in API_ROUTES if k.endswith(("/access", "/access/export"))),
        "api/agreements/{slug}/legislature",
        "POST api/match",
        "api/match-review",
        "api/match-review/{row_id}",
        "POST api/match-review/{row_id}",
        "POST api/match-review/bulk",
        "api/imports/{run_id}",
        "api/imports/{run_id}/rows",
        "POST api/imports",
        "api/imports/jobs/{job_id}",
        "POST api/imports/jobs/{job_id}/start",
    } == set(API_ROUTES)
