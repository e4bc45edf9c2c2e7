"""No output names a person its reader may not see: every page, API operation, command
(--json, --as every role), export and email (issue 13, point 5).

One registry per test, with people whose names are random words found nowhere else (so a
substring check means something): one disclosed to the public, one to the legislature, one
never disclosed, one at risk whose public disclosure had no administrator's override.
Hypothesis draws (viewer, output) pairs from every output there is; the names the viewer
may not see are worked out here from the rules as written (staff see everyone; the
legislature sees what was disclosed to it or to the public; the public and anonymous
visitors what was disclosed to the public, never a person at risk without an override),
not by asking the selectors under test.

The command table (READERS, OPERATOR_ONLY) must list every subcommand of every command:
``test_every_subcommand_is_in_the_command_table`` fails on a new one.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import io
import os
import random
import string
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command, get_commands, load_command_class
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.security.test_every_door import _state, _url
from tests.security.test_every_operation import _fill, _operations
from tests.security.test_personas import PUBLIC_URLS, ROLES, ROUTES, STAFF, _user
from tests.support import World, forget_public_copies, make_user

from detente.access.policy import Role
from detente.access.services import agreement_set_audience, disclosure_approve, disclosure_propose
from detente.agreements.services import agreement_add_members
from detente.api.services import token_create
from detente.evidence.services import claim_record
from detente.registry.models import Person
from detente.registry.services import person_create
from detente.web import views as web_views

# --- The command table ---------------------------------------------------------------------

# Reading subcommands that take --as: (command, subcommand or "", the roles that may use it,
# its arguments with the world's records: {slug} the agreement, {handle} a person, {run}
# an import, {row} a queued row).
READERS: dict[tuple[str, str], tuple[frozenset[str], tuple[str, ...]]] = {
    ("agreement", "list"): (frozenset(ROLES), ("--json",)),
    ("agreement", "status"): (frozenset(ROLES), ("{slug}", "--json")),
    ("agreement", "members"): (frozenset(ROLES), ("{slug}", "--json")),
    # The PDF's HTML is read (see _printed): the PDF itself holds glyph codes, not words.
    ("agreement", "briefing"): (frozenset(ROLES), ("{slug}", "--output", "{output}")),
    ("person", "show"): (frozenset(ROLES), ("{handle}", "--json")),
    ("person", "claims"): (STAFF, ("{handle}", "--json")),
    ("queue", "list"): (STAFF, ("--json",)),
    ("stats", "show"): (frozenset(ROLES), ("--json",)),
    ("stats", "draft"): (STAFF, ("--json",)),
    ("stats", "releases"): (STAFF, ("--json",)),
    ("estimate", ""): (STAFF, ("--source", "deal-ngo", "--source", "deal-gov", "--json")),
    ("match", ""): (STAFF, ("{name}", "--json")),
    ("duplicates", ""): (STAFF, ("--json",)),
    ("import", "show"): (STAFF, ("{run}", "--rows", "--json")),
    ("review", "list"): (STAFF, ("--json",)),
    ("review", "show"): (STAFF, ("{row}", "--json")),
    ("case", "list"): (STAFF, ("--json",)),
    ("note", "list"): (STAFF, ("--person", "{handle}", "--json")),
    ("note", "history"): (STAFF, ("--person", "{handle}", "--json")),
    ("task", "list"): (STAFF, ("--all", "--json")),
    ("attach", "list"): (STAFF, ("--json",)),
    ("attach", "get"): (STAFF, ("{attachment}", "--output", "{output}")),
}
# Subcommands that act as the operator only: they take no --as, so no role can use them
# through one (an --as is refused before anything runs).
OPERATOR_ONLY: dict[str, tuple[str, ...]] = {
    "agreement": ("create", "edit", "archive", "restore", "policy", "classify", "legislature"),
    "audit": ("verify", "checkpoint", "keygen", "vkey", "proof", "access"),
    "case": ("raise", "edit"),
    "note": ("add", "edit"),
    "task": ("add", "done", "remind"),
    "attach": ("add",),
    "claim": ("status", "count", "stage", "retract", "list"),
    "backup": ("",),
    "config": ("",),
    "keys": ("init", "status", "rotate"),
    "restore": ("",),
    "db_worker": ("",),
    "demo": ("",),
    "disclosure": ("list", "report", "propose"),
    "import": ("",),
    "mailing": (
        "lists",
        "list-create",
        "list-set",
        "list-show",
        "list-archive",
        "list-restore",
        "list-send",
        "digest",
        "send",
        "status",
        "export",
        "erase",
        "suppress",
        "sync",
    ),
    "merge": ("people", "split", "list"),
    "party": ("list", "create", "edit", "archive", "restore"),
    "review": ("accept", "reject", "choose", "accept-above"),
    "serve": ("",),
    "source": ("list", "create", "edit", "archive", "restore"),
    "stats": ("propose",),
    "witness": ("init", "add-log", "vkey", "serve", "cosign", "show"),
    "token": ("create", "revoke", "list"),
    "user": (
        "invite",
        "reinvite",
        "disable",
        "enable",
        "totp-enrol",
        "totp-confirm",
        "totp-reset",
        "unlock",
        "totp-code",
    ),
}


def _subcommands() -> dict[tuple[str, str], bool]:
    """Every (command, subcommand) of Detente's own → whether it takes --as."""
    out: dict[tuple[str, str], bool] = {}
    for name, app in get_commands().items():
        if not app.startswith("detente"):
            continue
        parser = load_command_class(app, name).create_parser("detente", name)
        subs = [
            (key, sub)
            for action in parser._actions
            if isinstance(action, argparse._SubParsersAction)
            for key, sub in action.choices.items()
        ]
        out[(name, "")] = "--as" in parser._option_string_actions
        for key, sub in subs:
            out[(name, key)] = "--as" in sub._option_string_actions
    # `import show` is parsed apart (the import itself takes a file name first).
    out[("import", "show")] = True
    return out


def test_every_subcommand_is_in_the_command_table() -> None:
    found = _subcommands()
    operator = {(c, s) for c, subs in OPERATOR_ONLY.items() for s in subs}
    assert set(READERS) | operator == {
        key for key in found if key[1] or not any(k[0] == key[0] and k[1] for k in found)
    } | {("import", "")}
    assert all(found[key] for key in READERS), "a reader without --as"
    assert not any(found[key] for key in operator), "an operator's subcommand with --as"


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("command", sorted(OPERATOR_ONLY))
def test_operator_subcommands_refuse_every_role_through_as(world: World, command: str) -> None:
    """Each role named with --as on an operator's subcommand: refused, nothing written."""
    users = [_user(role) for role in ROLES]
    for sub in OPERATOR_ONLY[command]:
        for user in users:
            before = _state()
            with pytest.raises(CommandError):
                _run(command, *([sub] if sub else []), "--as", user.username if user else "x")
            assert _state() == before, (command, sub)


# --- The registry of distinctive names -----------------------------------------------------


@dataclass
class Registry:
    world: World
    names: dict[str, list[str]]  # handle → every identifying word of the person
    visible: dict[str, set[str]]  # tier → handles whose names that tier may see
    users: dict[str, User | None]
    tokens: dict[str, dict[str, str]]
    run: int
    row: int
    mailing_list: Any
    emails: dict[str, str]


def _word(rng: random.Random) -> str:
    return "Qz" + "".join(rng.choice(string.ascii_lowercase) for _ in range(8))


def _registry(world: World) -> Registry:
    from tests.security.routes_staff import _import_run, _queued_row

    rng = random.Random(13)
    actor = world.actor
    agreement_set_audience(actor=actor, agreement=world.agreement, audience="public")
    people: dict[str, Person] = {}
    names: dict[str, list[str]] = {}
    for key in ("public", "legislature", "hidden", "at_risk"):
        words = [_word(rng) for _ in range(4)]
        person = person_create(
            actor=actor,
            given_names=words[0],
            paternal_surname=words[1],
            maternal_surname=words[2],
            aliases=[words[3]],
        )
        people[key], names[person.handle] = person, words
    agreement_add_members(
        actor=actor,
        agreement=world.agreement,
        people=list(people.values()),
        named_on=dt.date(2020, 1, 15),
    )
    from detente.mailing import services

    # The agreement's list of updates, before the news: releases and names to come.
    mailing_list = services.list_create(
        actor=actor, slug="redaction-news", kind="agreement", agreement=world.agreement
    )
    for key in ("public", "hidden"):  # released and confirmed: news, with a handle
        claim_record(
            actor=actor,
            source=world.sources["embassy"],
            person=people[key],
            agreement=world.agreement,
            status="unconditional_release",
            event_date=dt.date(2020, 2, 1),
        )
    Person.objects.filter(pk=people["at_risk"].pk).update(at_risk=True)
    _casework(actor, people["hidden"], names[people["hidden"].handle])
    proposer = make_user("redaction-proposer", Role.ANALYST)
    approver = make_user("redaction-approver", Role.VERIFIER)
    for audience, covered in (
        ("public", [people["public"], people["at_risk"]]),
        ("legislature", [people["legislature"]]),
    ):
        d = disclosure_propose(actor=proposer, audience=audience, reason="r", people=covered)
        disclosure_approve(actor=approver, disclosure=d)
    public = {people["public"].handle}
    visible = {
        "public": public,
        "legislature": public | {people["legislature"].handle},
        "staff": set(names),
    }
    users = {role: _user(role) for role in ROLES}
    tokens = {}
    for role, user in users.items():
        if user is not None:
            _, secret = token_create(actor=user, user=user, name="redaction", scope="read")
            tokens[role] = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    run, row = _import_run(world), _queued_row(world)
    return Registry(world, names, visible, users, tokens, run, row, mailing_list, {})


def _casework(actor: User, person: Person, words: list[str]) -> None:
    """A case raised, a note and a task about a person, each naming them (casework is for
    staff, who see every name; nobody else may read a word of it)."""
    from django.utils import timezone

    from detente.casework.services import intervention_raise, note_add, task_add

    case = intervention_raise(
        actor=actor,
        person=person,
        channel="meeting",
        occurred_on=dt.date(2020, 3, 1),
        asked=f"Asked about {words[0]} {words[1]}.",
    )
    note_add(actor=actor, person=person, body=f"<p>{words[2]} was seen.</p>")
    task_add(
        actor=actor,
        intervention=case,
        title=f"Chase the answer on {words[3]}",
        due_on=timezone.localdate(),
        assignee=actor,
    )


def _tier(role: str) -> str:
    return "staff" if role in STAFF else "legislature" if role == "legislature" else "public"


# --- Every output, as a function of the registry and the viewer's role ---------------------

Output = Callable[[Registry, str], str]


def _page(route: str) -> Output:
    def get(r: Registry, role: str) -> str:
        client = Client()
        if r.users[role] is not None:
            client.force_login(r.users[role])  # type: ignore[arg-type]
        with _printed():
            response = client.get(_url(route)(r.world))
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return body.decode(errors="replace")

    return get


def _person_page(i: int, staff: bool) -> Output:
    def get(r: Registry, role: str) -> str:
        client = Client()
        if r.users[role] is not None:
            client.force_login(r.users[role])  # type: ignore[arg-type]
        handle = list(r.names)[i]
        url = f"/staff/people/{handle}/" if staff else f"/people/{handle}/"
        return client.get(url).content.decode(errors="replace")

    return get


def _api(path: str, i: int = 0) -> Output:
    def get(r: Registry, role: str) -> str:
        url = _fill(path, r.world).replace(r.world.person().handle, list(r.names)[i])
        with _printed():
            answer = Client().get(url, **r.tokens.get(role, {}))
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        return body.decode(errors="replace")

    return get


def _cli_args(r: Registry, role: str, command: str, sub: str, i: int) -> list[str]:
    user = r.users[role]
    handle = list(r.names)[i]
    values = {
        "{slug}": r.world.agreement.slug,
        "{handle}": handle,
        "{run}": str(r.run),
        "{row}": str(r.row),
        "{name}": " ".join(r.names[handle][:2]),
        "{output}": str(_BRIEFING),
    }
    if "{attachment}" in READERS[(command, sub)][1]:
        from tests.security.routes_casework import attachment_pk

        values["{attachment}"] = str(attachment_pk(r.world))
    args = [values.get(a, a) for a in READERS[(command, sub)][1]]
    return [command, *([sub] if sub else []), *args, "--as", user.username if user else "anonymous"]


# Where a briefing from the command line is written (its HTML, see _printed).
_BRIEFING = Path(tempfile.gettempdir()) / f"detente-redaction-{os.getpid()}.pdf"


@contextlib.contextmanager
def _printed() -> Iterator[None]:
    """A briefing's PDF is made of its HTML: keep the HTML instead, which is what is read."""
    with mock.patch.object(web_views, "render_pdf", lambda html, base_url: html.encode()):
        yield


def _cli(command: str, sub: str, i: int = 0) -> Output:
    def run(r: Registry, role: str) -> str:
        _BRIEFING.unlink(missing_ok=True)
        try:
            with _printed():
                out = _run(*_cli_args(r, role, command, sub, i))
        except CommandError as refused:
            return str(refused)
        if _BRIEFING.exists():
            out += _BRIEFING.read_text(encoding="utf-8")
            _BRIEFING.unlink()
        return out

    return run


def _email(language: str) -> Output:
    """A digest of the agreement's list, as every subscriber (the public) gets it."""

    def render(r: Registry, role: str) -> str:
        from detente.mailing import compose, digests
        from detente.mailing.models import Digest

        if language in r.emails:
            return r.emails[language]
        built = Digest.objects.filter(mailing_list=r.mailing_list).first()
        if built is None:
            built = digests.build(r.mailing_list).digest
        assert built is not None
        views = {v.slug: v for v in digests.public_views(r.mailing_list)}
        parts = compose.render_digest(built, r.mailing_list, views, language)
        assert parts is not None
        r.emails[language] = parts.subject + parts.text + parts.html
        return r.emails[language]

    return render


@functools.cache
def _outputs() -> dict[str, tuple[Output, frozenset[str]]]:
    """Every output → the roles that read it (the email: the public only)."""
    everyone = frozenset(ROLES)
    out: dict[str, tuple[Output, frozenset[str]]] = {}
    for route in sorted(set(ROUTES) | PUBLIC_URLS):
        if route.startswith(("admin/", "api/")) or route in ("i18n/setlang/", "staff/logout/"):
            continue
        out[f"page {route}"] = (_page(route), everyone)
    for i in range(4):
        out[f"page people/{i}"] = (_person_page(i, staff=False), everyone)
        out[f"page staff/people/{i}"] = (_person_page(i, staff=True), everyone)
    for method, path in sorted(_operations()):
        if method == "GET":
            for i in range(4) if "{handle}" in path else range(1):
                out[f"api {path} {i}"] = (_api(path, i), everyone)
    for command, sub in READERS:
        for i in range(4) if "{handle}" in READERS[(command, sub)][1] else range(1):
            out[f"cli {command} {sub} {i}"] = (_cli(command, sub, i), everyone)
    for language in ("en", "es"):
        out[f"email {language}"] = (_email(language), frozenset({"anonymous", "public"}))
    return out


def _hidden(r: Registry, role: str) -> list[str]:
    seen = r.visible[_tier(role)]
    return [word for handle, words in r.names.items() if handle not in seen for word in words]


@pytest.fixture
def registry(world: World) -> Registry:
    return _registry(world)


def test_the_names_are_shown_where_they_may_be(registry: Registry) -> None:
    """The check below means something: the outputs do carry the names they may."""
    public, hidden = next(iter(registry.names)), list(registry.names)[2]
    assert registry.names[public][0] in _person_page(0, staff=False)(registry, "anonymous")
    assert registry.names[hidden][0] in _person_page(2, staff=True)(registry, "analyst")
    assert registry.names[public][0] in _email("en")(registry, "public")
    for ext in ("json", "csv"):  # the open-data file of the agreement's members
        members = _page(f"open/agreements/<slug:slug>/members.{ext}")(registry, "anonymous")
        assert registry.names[public][0] in members
    members = _cli("agreement", "members")(registry, "legislature")
    assert registry.names[list(registry.names)[1]][0] in members
    # The briefing, printed from the site and from the command line, carries them too.
    briefing = _page("agreements/<slug:slug>/briefing.pdf")(registry, "legislature")
    assert registry.names[list(registry.names)[1]][0] in briefing
    printed = _cli("agreement", "briefing")(registry, "legislature")
    assert registry.names[list(registry.names)[1]][0] in printed


_DRAWN: dict[str, int] = {}


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_output_names_anyone_hidden_from_its_reader(registry: Registry, data: Any) -> None:
    outputs = _outputs()
    name = data.draw(st.sampled_from(sorted(outputs)), label="output")
    produce, readers = outputs[name]
    role = data.draw(st.sampled_from(sorted(readers)), label="viewer")
    with transaction.atomic():  # whatever the output sets up or records is undone
        text = produce(registry, role)
        transaction.set_rollback(True)
    forget_public_copies()
    leaked = [word for word in _hidden(registry, role) if word.lower() in text.lower()]
    assert leaked == [], (name, role, leaked)


@pytest.mark.parametrize("role", ROLES)
def test_every_reading_command_for_every_role(registry: Registry, role: str) -> None:
    """Each reading subcommand with --as: refused to the roles not in READERS (a command
    error, nothing written), and never a name hidden from the role in what it prints."""
    problems = []
    for (command, sub), (allowed, _args) in READERS.items():
        for i in range(4) if "{handle}" in _args else range(1):
            args = _cli_args(registry, role, command, sub, i)  # may make a sample first
            _BRIEFING.unlink(missing_ok=True)  # a command writing a file wants a new one
            before = _state()[0]
            user = registry.users[role]
            try:
                text = _run(*args)
                refused = False
            except CommandError as error:
                text, refused = str(error), True
            if refused == (role in allowed) and not (refused and "{handle}" in _args):
                problems.append((command, sub, i, "refused" if refused else "ran"))
            if _state()[0] != before:
                problems.append((command, sub, i, "wrote", user))
            leaked = [w for w in _hidden(registry, role) if w.lower() in text.lower()]
            if leaked:
                problems.append((command, sub, i, "leaked", leaked))
    assert problems == [], problems
