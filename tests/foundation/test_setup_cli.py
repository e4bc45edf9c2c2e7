"""Setting up parties, sources and agreements from the command line, as an operator meets it:
each change is in the ledger and in the lists; bad input names the option and writes nothing."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from tests.support import World, at

from detente.access.policy import CLI_USERNAME
from detente.agreements.models import Agreement, Membership, Party
from detente.audit.models import AuditEntry
from detente.evidence.models import Source
from detente.evidence.services import claim_record
from detente.registry.status import CustodyStatus


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def run_json(*args: str) -> Any:
    return json.loads(run(*args, "--json"))


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def written() -> tuple[int, ...]:
    """Everything a refused command must leave as it was."""
    return (
        Party.objects.count(),
        Source.objects.count(),
        Agreement.objects.count(),
        Membership.objects.count(),
        AuditEntry.objects.count(),
    )


def refused(*args: str) -> str:
    """Run a command that must fail; return its message, having checked nothing was written."""
    before = written()
    with pytest.raises(CommandError) as err:
        run(*args)
    assert written() == before
    return str(err.value)


def slugs(listing: dict[str, list[dict[str, Any]]], key: str) -> list[str]:
    return [row["slug"] for row in listing[key]]


@pytest.fixture
def two_parties(actor: User) -> None:
    run("party", "create", "atlantis", "--name", "Government of Atlantis", "--group", "atl-gov")
    run("party", "create", "lemuria", "--name", "Government of Lemuria", "--group", "lem-gov")


# What `agreement create` needs but the promise, between the two parties above.
AGREEMENT = (
    "--title",
    "Atlantis-Lemuria prisoner release",
    "--releasing",
    "atlantis",
    "--counterpart",
    "lemuria",
    "--announced",
    "2021-03-04",
)


def create_agreement(slug: str, *extra: str) -> str:
    return run("agreement", "create", slug, *AGREEMENT, *extra)


# --- Parties ---------------------------------------------------------------------------


def test_creating_a_party_is_audited_and_listed(actor: User) -> None:
    out = run(
        "party",
        "create",
        "atlantis",
        "--name",
        "Government of Atlantis",
        "--group",
        "atl-gov",
        "--kind",
        "guarantor",
    )
    assert "atlantis" in out
    party = Party.objects.get(slug="atlantis")
    assert (party.name, party.kind, party.independence_group) == (
        "Government of Atlantis",
        "guarantor",
        "atl-gov",
    )
    [entry] = entries("party.create")
    assert entry.object_id == str(party.pk)
    assert entry.actor_label == CLI_USERNAME
    listing = run("party", "list")
    assert "atlantis" in listing and "Government of Atlantis" in listing
    assert run_json("party", "list")["parties"] == [
        {
            "slug": "atlantis",
            "name": "Government of Atlantis",
            "kind": "guarantor",
            "independence_group": "atl-gov",
            "archived": False,
        }
    ]


def test_a_party_is_a_government_unless_told(actor: User) -> None:
    run("party", "create", "atlantis", "--name", "Government of Atlantis", "--group", "atl-gov")
    assert Party.objects.get(slug="atlantis").kind == "government"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("--kind", "empire"), "--kind"),
        (("--group", "Not A Slug"), "--group"),
        (("--name", "   "), "--name"),
    ],
)
def test_bad_party_input_names_the_option(actor: User, args: tuple[str, ...], option: str) -> None:
    given = {"--name": "Government of Atlantis", "--group": "atl-gov"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        given[flag] = value
    flat = [x for pair in given.items() for x in pair]
    message = refused("party", "create", "atlantis", *flat)
    assert option in message


def test_a_duplicate_party_slug_is_refused(two_parties: None) -> None:
    message = refused("party", "create", "atlantis", "--name", "Other", "--group", "other")
    assert "SLUG" in message and "atlantis" in message
    assert Party.objects.get(slug="atlantis").name == "Government of Atlantis"


def test_editing_a_party_changes_only_what_was_given(two_parties: None) -> None:
    run("party", "edit", "atlantis", "--name", "Republic of Atlantis")
    party = Party.objects.get(slug="atlantis")
    assert (party.name, party.kind, party.independence_group) == (
        "Republic of Atlantis",
        "government",
        "atl-gov",
    )
    [entry] = entries("party.edit")
    assert entry.payload["after"]["name"] == "Republic of Atlantis"
    assert "nothing to change" in refused("party", "edit", "atlantis")
    assert "no party 'atlantiss'" in refused("party", "edit", "atlantiss", "--name", "X")


def test_archiving_a_party_hides_it_until_restored(two_parties: None) -> None:
    run("party", "archive", "atlantis")
    assert slugs(run_json("party", "list"), "parties") == ["lemuria"]
    assert "atlantis" not in run("party", "list")
    everything = run_json("party", "list", "--all")["parties"]
    assert [(p["slug"], p["archived"]) for p in everything] == [
        ("atlantis", True),
        ("lemuria", False),
    ]
    shown = [line for line in run("party", "list", "--all").splitlines() if "atlantis" in line]
    assert len(shown) == 1 and "[archived]" in shown[0]
    run("party", "restore", "atlantis")
    assert slugs(run_json("party", "list"), "parties") == ["atlantis", "lemuria"]
    assert "[archived]" not in run("party", "list", "--all")
    assert len(entries("party.archive")) == len(entries("party.restore")) == 1


# --- Sources ---------------------------------------------------------------------------


def test_creating_a_source_is_audited_and_listed(actor: User) -> None:
    run(
        "source",
        "create",
        "atlantis-ngo",
        "--name",
        "Atlantis Watch",
        "--kind",
        "ngo",
        "--grade",
        "b",
        "--group",
        "atl-ngo",
    )
    source = Source.objects.get(slug="atlantis-ngo")
    assert (source.kind, source.reliability, source.protected) == ("ngo", "B", False)
    [entry] = entries("source.create")
    assert entry.object_id == str(source.pk) and entry.actor_label == CLI_USERNAME
    assert "Atlantis Watch" in run("source", "list")
    [row] = run_json("source", "list")["sources"]
    assert row == {
        "slug": "atlantis-ngo",
        "name": "Atlantis Watch",
        "kind": "ngo",
        "reliability": "B",
        "independence_group": "atl-ngo",
        "protected": False,
        "archived": False,
    }


def test_a_protected_source_is_listed_to_the_operator_marked_and_hashed_in_the_ledger(
    actor: User,
) -> None:
    run(
        "source",
        "create",
        "insider",
        "--name",
        "Officer in prison X",
        "--kind",
        "anonymous_official",
        "--grade",
        "C",
        "--group",
        "insider",
        "--protected",
    )
    [line] = [x for x in run("source", "list").splitlines() if "insider" in x]
    assert "Officer in prison X" in line and "[protected]" in line
    assert run_json("source", "list")["sources"][0]["protected"] is True
    [entry] = entries("source.create")
    assert "Officer in prison X" not in entry.data


@pytest.mark.parametrize(
    ("flag", "value", "option"),
    [
        ("--grade", "Z", "--grade"),
        ("--kind", "rumour", "--kind"),
        ("--group", "Bad Group!", "--group"),
    ],
)
def test_bad_source_input_names_the_option(actor: User, flag: str, value: str, option: str) -> None:
    given = {"--name": "Atlantis Watch", "--kind": "ngo", "--grade": "B", "--group": "atl-ngo"}
    given[flag] = value
    flat = [x for pair in given.items() for x in pair]
    message = refused("source", "create", "atlantis-ngo", *flat)
    assert option in message


def test_a_duplicate_source_slug_is_refused(world: World) -> None:
    taken = world.sources["ngo"].slug
    message = refused(
        "source", "create", taken, "--name", "X", "--kind", "ngo", "--grade", "A", "--group", "x"
    )
    assert "SLUG" in message and taken in message


def test_regrading_a_source_changes_nothing_else(world: World) -> None:
    def record(source: Source) -> dict[str, Any]:
        return {
            f.name: getattr(source, f.name) for f in Source._meta.concrete_fields if f.name != "id"
        }

    target = world.sources["blog"]
    others = {s.pk: record(s) for s in Source.objects.exclude(pk=target.pk)}
    before = record(target)
    run("source", "edit", target.slug, "--grade", "A")
    after = record(Source.objects.get(pk=target.pk))
    assert after == {**before, "reliability": "A"}
    assert {s.pk: record(s) for s in Source.objects.exclude(pk=target.pk)} == others
    [entry] = entries("source.regrade")
    assert entry.payload["before"][0] == "D" and entry.payload["after"][0] == "A"
    assert entries("source.edit") == []


def test_protecting_a_source_and_undoing_it(world: World) -> None:
    slug = world.sources["family"].slug
    run("source", "edit", slug, "--protected")
    assert Source.objects.get(slug=slug).protected
    run("source", "edit", slug, "--unprotected")
    assert not Source.objects.get(slug=slug).protected
    assert "not allowed with" in refused("source", "edit", slug, "--protected", "--unprotected")
    assert "nothing to change" in refused("source", "edit", slug)
    assert "no source 'gone'" in refused("source", "edit", "gone", "--grade", "A")


def test_archiving_a_source_hides_it_until_restored(world: World) -> None:
    slug = world.sources["blog"].slug
    run("source", "archive", slug)
    assert slug not in slugs(run_json("source", "list"), "sources")
    assert slug not in run("source", "list")
    [line] = [x for x in run("source", "list", "--all").splitlines() if x.startswith(slug + " ")]
    assert "[archived]" in line
    run("source", "restore", slug)
    assert slug in slugs(run_json("source", "list"), "sources")
    assert len(entries("source.archive")) == len(entries("source.restore")) == 1


# --- Agreements ------------------------------------------------------------------------


def test_creating_an_agreement_is_audited_and_listed(two_parties: None) -> None:
    run(
        "party", "create", "mu", "--name", "Government of Mu", "--group", "mu", "--kind", "mediator"
    )
    create_agreement(
        "atl-lem",
        "--promised",
        "53",
        "--mediator",
        "mu",
        "--title-es",
        "Liberación Atlántida y Lemuria",
        "--expected-release",
        "exiled",
    )
    agreement = Agreement.objects.get(slug="atl-lem")
    assert (agreement.promisor.slug, agreement.promisee.slug) == ("atlantis", "lemuria")
    assert [p.slug for p in agreement.mediators.all()] == ["mu"]
    assert agreement.announced_on == dt.date(2021, 3, 4)
    assert (agreement.promised_count, agreement.promised_approximate) == (53, False)
    assert (agreement.title_es, agreement.expected_release) == (
        "Liberación Atlántida y Lemuria",
        "exiled",
    )
    [entry] = entries("agreement.create")
    assert entry.object_id == str(agreement.pk) and entry.actor_label == CLI_USERNAME
    [row] = run_json("agreement", "list")["agreements"]
    assert (row["slug"], row["promised"], row["promised_approximate"]) == ("atl-lem", 53, False)
    assert "atl-lem" in run("agreement", "list")


def test_an_unknown_promise_is_null_and_shown_as_unknown(two_parties: None) -> None:
    create_agreement("atl-lem", "--promised", "unknown")
    assert Agreement.objects.get(slug="atl-lem").promised_count is None
    status = run_json("agreement", "status", "atl-lem")
    assert status["promised"] is None
    assert status["total"] == status["named"] == 0
    assert run_json("agreement", "list")["agreements"][0]["promised"] is None
    [line] = [x for x in run("agreement", "list").splitlines() if x.startswith("atl-lem ")]
    assert "unknown" in line
    text = run("agreement", "status", "atl-lem")
    assert re.search(r"promised\s+unknown", text)
    assert "unnamed" not in text  # nothing to be unnamed out of


@pytest.mark.parametrize("promise", [("--promised", "about:900"), ("--about", "900")])
def test_an_approximate_promise(two_parties: None, promise: tuple[str, str]) -> None:
    create_agreement("atl-lem", *promise)
    agreement = Agreement.objects.get(slug="atl-lem")
    assert (agreement.promised_count, agreement.promised_approximate) == (900, True)
    status = run_json("agreement", "status", "atl-lem")
    assert (status["promised"], status["promised_approximate"]) == (900, True)
    assert re.search(r"promised\s+about 900", run("agreement", "status", "atl-lem"))
    [line] = [x for x in run("agreement", "list").splitlines() if x.startswith("atl-lem ")]
    assert "about 900" in line


@pytest.mark.parametrize(
    ("change", "option", "says"),
    [
        ({"--announced": "2015-13-45"}, "--announced", "YYYY-MM-DD"),
        ({"--announced": "2999-01-01"}, "--announced", "future"),
        ({"--releasing": "atlantiss"}, "--releasing", "no party 'atlantiss'"),
        ({"--counterpart": "atlantis"}, "--counterpart", "two different parties"),
        ({"--promised": "lots"}, "--promised", "unknown"),
        ({"--promised": "-3"}, "--promised", "about:N"),
        ({"--expected-release": "sentenced"}, "--expected-release", "unconditional_release"),
        ({"--mediator": "atlantis"}, "--mediator", "third party"),
        ({"--title": ""}, "--title", "required"),
    ],
)
def test_bad_agreement_input_names_the_option(
    two_parties: None, change: dict[str, str], option: str, says: str
) -> None:
    given = {
        "--title": "Atlantis-Lemuria prisoner release",
        "--releasing": "atlantis",
        "--counterpart": "lemuria",
        "--announced": "2021-03-04",
        "--promised": "53",
        **change,
    }
    flat = [x for pair in given.items() for x in pair]
    message = refused("agreement", "create", "atl-lem", *flat)
    assert option in message and says in message, message


def test_an_unknown_party_is_named_with_nothing_else(two_parties: None) -> None:
    message = refused(
        "agreement",
        "create",
        "atl-lem",
        "--title",
        "T",
        "--releasing",
        "atlantis",
        "--counterpart",
        "nowhere",
        "--announced",
        "2021-03-04",
        "--promised",
        "5",
    )
    assert message == "--counterpart: no party 'nowhere'; `detente party list` shows them"


def test_a_promise_is_required_once(two_parties: None) -> None:
    assert "--promised" in refused("agreement", "create", "atl-lem", *AGREEMENT)
    assert "not allowed with" in refused(
        "agreement", "create", "atl-lem", *AGREEMENT, "--promised", "5", "--about", "5"
    )


def test_a_duplicate_agreement_slug_is_refused(world: World, two_parties: None) -> None:
    message = refused("agreement", "create", world.agreement.slug, *AGREEMENT, "--promised", "5")
    assert "SLUG" in message and world.agreement.slug in message


def test_editing_an_agreement(two_parties: None) -> None:
    run(
        "party", "create", "mu", "--name", "Government of Mu", "--group", "mu", "--kind", "mediator"
    )
    run(
        "party",
        "create",
        "oz",
        "--name",
        "Government of Oz",
        "--group",
        "oz",
        "--kind",
        "guarantor",
    )
    create_agreement("atl-lem", "--promised", "53", "--mediator", "mu")

    def mediators() -> list[str]:
        return sorted(
            Agreement.objects.get(slug="atl-lem").mediators.values_list("slug", flat=True)
        )

    run("agreement", "edit", "atl-lem", "--mediator", "oz", "--promised", "unknown")
    agreement = Agreement.objects.get(slug="atl-lem")
    assert mediators() == ["oz"]  # replaced, not added to
    assert agreement.promised_count is None
    assert agreement.title == "Atlantis-Lemuria prisoner release"  # left as it was
    [entry] = entries("agreement.edit")
    assert entry.payload["changed"] == ["mediators", "promised_count"]
    run("agreement", "edit", "atl-lem", "--no-mediators")
    assert mediators() == []
    assert "nothing to change" in refused("agreement", "edit", "atl-lem")
    assert "not allowed with" in refused(
        "agreement", "edit", "atl-lem", "--mediator", "mu", "--no-mediators"
    )
    message = refused("agreement", "edit", "atl-lem", "--counterpart", "atlantis")
    assert message.startswith("--counterpart:")
    assert "no agreement with the slug 'nope'" in refused(
        "agreement", "edit", "nope", "--title", "T"
    )


def test_an_archived_party_cannot_join_an_agreement(two_parties: None) -> None:
    run("party", "archive", "lemuria")
    message = refused("agreement", "create", "atl-lem", *AGREEMENT, "--promised", "5")
    assert message.startswith("--counterpart:") and "archived" in message


def test_archiving_an_agreement_hides_it_until_restored(world: World) -> None:
    slug = world.agreement.slug
    run("agreement", "archive", slug)
    assert slugs(run_json("agreement", "list"), "agreements") == []
    assert slug not in run("agreement", "list")
    [row] = run_json("agreement", "list", "--all")["agreements"]
    assert row["archived"] is True
    assert "[archived]" in run("agreement", "list", "--all")
    assert "promised" in run("agreement", "status", slug)  # its figures stay
    run("agreement", "restore", slug)
    assert slugs(run_json("agreement", "list"), "agreements") == [slug]
    assert len(entries("agreement.archive")) == len(entries("agreement.restore")) == 1


def test_the_status_breakdown_adds_up_with_a_release_before_the_agreement(world: World) -> None:
    # Released months before the agreement was announced (2020-01-10), by a source that
    # can confirm: named on it, but not one of its releases.
    claim_record(
        actor=world.actor,
        source=world.sources["embassy"],
        person=world.person(),
        status=CustodyStatus.UNCONDITIONAL_RELEASE,
        event_date=dt.date(2019, 9, 1),
        received_at=at("2019-09-02"),
    )
    status = run_json("agreement", "status", world.agreement.slug)
    assert status["released_before"] == 1
    text = run("agreement", "status", world.agreement.slug)
    block = text.split("named members by state:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    figures = {line.rsplit(None, 1)[0].strip(): int(line.rsplit(None, 1)[1]) for line in block}
    assert figures["released before the agreement"] == 1
    total = figures.pop("total")
    assert total == status["named"] == 3
    # Every line above "total" is one state (confirmed split by the kind of release).
    assert sum(figures.values()) == total


def test_only_the_reading_agreement_subcommands_act_as_someone_else() -> None:
    import argparse

    from django.core.management import load_command_class

    parser = load_command_class("detente.agreements", "agreement").create_parser(
        "detente", "agreement"
    )
    [subparsers] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    takes_as = {
        name for name, sub in subparsers.choices.items() if "--as" in sub._option_string_actions
    }
    assert takes_as == {"list", "status", "members", "briefing"}
    assert {"create", "edit", "archive", "restore"} <= set(subparsers.choices)
