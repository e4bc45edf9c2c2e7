"""Recording claims from the command line, as an operator meets it: each subcommand records
what was said (seen in the claim and in the agreement's progress), warnings are printed and
the claim recorded all the same, and bad input names the option and writes nothing."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from tests.support import World

from detente.audit.models import AuditEntry
from detente.evidence.models import Claim


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def run_both(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def recorded(out: str) -> Claim:
    """The claim a recording command says it recorded."""
    match = re.search(r"recorded claim #(\d+)", out)
    assert match, out
    return Claim.objects.get(pk=int(match.group(1)))


def claim(*args: str) -> Claim:
    return recorded(run("claim", *args))


def status_json(world: World) -> Any:
    return json.loads(run("agreement", "status", world.agreement.slug, "--json"))


def written() -> tuple[int, int]:
    return Claim.objects.count(), AuditEntry.objects.count()


def refused(*args: str) -> str:
    """Run a command that must fail; return its message, having checked nothing was written."""
    before = written()
    with pytest.raises(CommandError) as err:
        run(*args)
    assert written() == before
    return str(err.value)


# --- status ----------------------------------------------------------------------------


def test_a_status_claim_is_recorded_about_the_person(world: World) -> None:
    person = world.person(0)
    c = claim(
        "status",
        person.handle,
        "--source",
        "deal-ngo",
        "--status",
        "unconditional_release",
        "--date",
        "2020-02-03",
        "--agreement",
        "deal",
        "--received",
        "2020-02-04T09:30",
        "--credibility",
        "2",
        "--evidence",
        "Seen at home.",
        "--url",
        "https://example.org/report",
    )
    assert (c.kind, c.person, c.agreement, c.source.slug) == (
        "status",
        person,
        world.agreement,
        "deal-ngo",
    )
    assert (c.status, c.event_date, c.event_precision) == (
        "unconditional_release",
        dt.date(2020, 2, 3),
        "day",
    )
    assert c.received_at == dt.datetime(2020, 2, 4, 9, 30, tzinfo=dt.UTC)
    assert (c.credibility, c.evidence_text, c.evidence_url) == (
        2,
        "Seen at home.",
        "https://example.org/report",
    )
    assert AuditEntry.objects.filter(action="claim.status", object_id=str(c.pk)).exists()
    progress = status_json(world)
    assert progress["claimed_by_members"] == 1


@pytest.mark.parametrize(
    ("given", "day", "precision"),
    [
        ("2020-02", dt.date(2020, 2, 1), "month"),
        ("2020", dt.date(2020, 1, 1), "year"),
        ("2020-02-17", dt.date(2020, 2, 17), "day"),
    ],
)
def test_the_date_says_how_precisely_it_is_known(
    world: World, given: str, day: dt.date, precision: str
) -> None:
    c = claim(
        "status",
        world.person(1).handle,
        "--source",
        "deal-family",
        "--status",
        "unconditional_release",
        "--date",
        given,
    )
    assert (c.event_date, c.event_precision) == (day, precision)
    [row] = json.loads(run("claim", "list", "--person", world.person(1).handle, "--json"))["claims"]
    assert (row["event"], row["event_precision"]) == (given, precision)


# --- count -----------------------------------------------------------------------------


def test_a_count_is_recorded_with_its_breakdown(world: World) -> None:
    out, err = run_both(
        "claim",
        "count",
        "deal",
        "--source",
        "deal-gov",
        "--released",
        "4",
        "--political",
        "3",
        "--other",
        "1",
        "--unconditional",
        "2",
        "--exile",
        "2",
        "--date",
        "2020-02-01",
    )
    assert err == ""
    c = recorded(out)
    assert (c.kind, c.agreement, c.person, c.released_count) == (
        "aggregate",
        world.agreement,
        None,
        4,
    )
    assert c.breakdown == {"political": 3, "other": 1, "unconditional": 2, "exile": 2}
    progress = status_json(world)
    [agg] = progress["aggregate_claims"]
    assert (agg["claim_id"], agg["released_count"], agg["event_date"]) == (c.pk, 4, "2020-02-01")
    assert agg["breakdown"] == c.breakdown
    assert progress["claimed_by_releasing_party"] == 4
    text = run("agreement", "status", "deal")
    assert "4 released (political 3, other 1, unconditional 2, exile 2)" in text


def test_warnings_are_printed_and_the_count_recorded_all_the_same(world: World) -> None:
    claim("count", "deal", "--source", "deal-gov", "--released", "4", "--date", "2020-02-01")
    out, err = run_both(
        "claim", "count", "deal", "--source", "deal-embassy", "--released", "3", "--date", "2020-03"
    )
    c = recorded(out)
    assert err.splitlines() == [
        "warning: An earlier figure (4 on 1 Feb 2020) is higher: the count goes down."
    ]
    assert (c.released_count, c.event_precision) == (3, "month")
    out, err = run_both(
        "claim", "count", "deal", "--source", "deal-ngo", "--released", "7", "--date", "2020-01-05"
    )
    assert recorded(out).released_count == 7
    assert err.splitlines() == [
        "warning: The count 7 is above the 5 promised.",
        "warning: The date 5 Jan 2020 is before the agreement was announced (10 Jan 2020).",
    ]
    assert len(status_json(world)["aggregate_claims"]) == 3


def test_a_warning_compares_with_the_figures_before_the_new_one(world: World) -> None:
    """The count just recorded is not "an earlier figure" of itself."""
    _, err = run_both(
        "claim", "count", "deal", "--source", "deal-gov", "--released", "2", "--date", "2020-02-01"
    )
    assert err == ""


# --- stage -----------------------------------------------------------------------------


def test_stages_are_recorded_and_the_latest_is_where_the_agreement_stands(world: World) -> None:
    first = claim(
        "stage", "deal", "--source", "deal-gov", "--stage", "first_releases", "--date", "2020-02-01"
    )
    assert (first.kind, first.lifecycle, first.agreement, first.person) == (
        "lifecycle",
        "first_releases",
        world.agreement,
        None,
    )
    assert status_json(world)["stage"] == "first_releases"
    halted = claim(
        "stage",
        "deal",
        "--source",
        "deal-embassy",
        "--stage",
        "suspended",
        "--date",
        "2020-03",
        "--reason",
        "Talks broke down.",
    )
    assert (halted.evidence_text, halted.event_precision) == ("Talks broke down.", "month")
    progress = status_json(world)
    assert progress["stage"] == "suspended"
    assert [s["stage"] for s in progress["stages"]] == ["first_releases", "suspended"]
    text = run("agreement", "status", "deal")
    stages = text.split("stages:")[1].split("milestones:")[0]
    assert "first_releases" in stages
    [now] = [line for line in stages.splitlines() if "[now]" in line]
    assert "suspended" in now and "2020-03-01" in now


# --- retract and --corrects ------------------------------------------------------------


def test_a_retraction_withdraws_the_claim(world: World) -> None:
    claim(
        "stage", "deal", "--source", "deal-gov", "--stage", "first_releases", "--date", "2020-02-01"
    )
    halted = claim(
        "stage", "deal", "--source", "deal-ngo", "--stage", "suspended", "--date", "2020-03-01"
    )
    out = run("claim", "retract", str(halted.pk), "--source", "deal-ngo", "--reason", "Misread.")
    retraction = recorded(out)
    assert f"retracts #{halted.pk}" in out
    assert (retraction.kind, retraction.corrects, retraction.evidence_text) == (
        "retraction",
        halted,
        "Misread.",
    )
    assert retraction.agreement == world.agreement
    assert status_json(world)["stage"] == "first_releases"


def test_corrects_supersedes_an_earlier_claim(world: World) -> None:
    wrong = claim(
        "count", "deal", "--source", "deal-gov", "--released", "40", "--date", "2020-02-01"
    )
    out = run(
        "claim",
        "count",
        "deal",
        "--source",
        "deal-gov",
        "--released",
        "4",
        "--date",
        "2020-02-01",
        "--corrects",
        str(wrong.pk),
    )
    right = recorded(out)
    assert f"supersedes #{wrong.pk}" in out
    assert right.corrects == wrong
    [agg] = status_json(world)["aggregate_claims"]
    assert (agg["claim_id"], agg["released_count"]) == (right.pk, 4)


# --- list ------------------------------------------------------------------------------


def test_the_list_shows_each_claim(world: World) -> None:
    person = world.person(0)
    s = claim(
        "status",
        person.handle,
        "--source",
        "deal-ngo",
        "--status",
        "unconditional_release",
        "--date",
        "2020-02-03",
        "--received",
        "2020-02-04T09:30:00+00:00",
    )
    n = claim(
        "count",
        "deal",
        "--source",
        "deal-gov",
        "--released",
        "2",
        "--date",
        "2020-02",
        "--received",
        "2020-02-05T10:00",
    )
    g = claim(
        "stage",
        "deal",
        "--source",
        "deal-gov",
        "--stage",
        "first_releases",
        "--date",
        "2020-02-01",
        "--received",
        "2020-02-06T10:00",
    )
    r = claim("retract", str(s.pk), "--source", "deal-ngo")
    rows = json.loads(run("claim", "list", "--json"))["claims"]
    assert [(x["id"], x["kind"], x["source"]) for x in rows] == [
        (s.pk, "status", "deal-ngo"),
        (n.pk, "aggregate", "deal-gov"),
        (g.pk, "lifecycle", "deal-gov"),
        (r.pk, "retraction", "deal-ngo"),
    ]
    assert (rows[0]["person"], rows[0]["status"], rows[0]["event"]) == (
        person.handle,
        "unconditional_release",
        "2020-02-03",
    )
    assert rows[0]["received_at"] == "2020-02-04T09:30:00+00:00"
    assert (rows[1]["released_count"], rows[1]["event"], rows[1]["agreement"]) == (
        2,
        "2020-02",
        "deal",
    )
    assert rows[2]["stage"] == "first_releases"
    assert rows[3]["corrects"] == s.pk
    about = json.loads(run("claim", "list", "--person", person.handle, "--json"))["claims"]
    assert [x["id"] for x in about] == [s.pk, r.pk]
    whole = json.loads(run("claim", "list", "--agreement", "deal", "--json"))["claims"]
    assert [x["id"] for x in whole] == [n.pk, g.pk]
    text = run("claim", "list")
    assert f"#{s.pk}" in text and "unconditional_release" in text and person.handle in text
    assert "2 released" in text and "first_releases" in text and f"retracts #{s.pk}" in text
    assert "2020-02-04 09:30" in text


def test_an_empty_list_says_how_to_record(world: World) -> None:
    assert "No claims" in run("claim", "list")


# --- Refusals --------------------------------------------------------------------------


def status_args(world: World, **change: str) -> list[str]:
    given = {
        "HANDLE": world.person(0).handle,
        "--source": "deal-ngo",
        "--status": "unconditional_release",
        "--date": "2020-02-03",
    }
    given.update(change)
    return [
        "claim",
        "status",
        given.pop("HANDLE"),
        *[x for pair in given.items() for x in pair if pair[1] != ""],
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"HANDLE": "P-9999"}, "HANDLE: no person 'P-9999'"),
        ({"--source": "nobody"}, "--source: no source 'nobody'"),
        ({"--agreement": "no-deal"}, "--agreement: no agreement 'no-deal'"),
        ({"--date": "2020-02-30"}, "--date: '2020-02-30' is not a date (YYYY-MM-DD, YYYY-MM"),
        ({"--date": "2020-13"}, "--date: '2020-13' is not a date"),
        ({"--date": "last week"}, "--date: 'last week' is not a date"),
        ({"--date": "2017-06-01"}, "--date: The release date 2017-06-01 is before the arrest"),
        ({"--date": "2999-01-01"}, "--date: The event date 1 Jan 2999 is in the future."),
        ({"--status": "vanished"}, "--status: invalid choice: 'vanished'"),
        ({"--received": "yesterday"}, "--received: 'yesterday' is not a date and time"),
        ({"--received": "2020-02-01T00:00"}, "--date: The event date 2020-02-03 is after"),
        ({"--credibility": "9"}, "--credibility: invalid choice: 9"),
        ({"--url": "not a link"}, "--url: "),
        ({"--corrects": "999999"}, "--corrects: no claim #999999"),
    ],
)
def test_bad_status_input_names_the_option(
    world: World, change: dict[str, str], expected: str
) -> None:
    assert expected in refused(*status_args(world, **change))


def test_a_person_not_on_the_agreement_is_refused(world: World) -> None:
    from detente.registry.services import person_create

    stranger = person_create(actor=world.actor, given_names="Other", paternal_surname="Person")
    message = refused(*status_args(world, HANDLE=stranger.handle, **{"--agreement": "deal"}))
    assert message.startswith("HANDLE: ") and "not named on the agreement" in message


def test_bad_count_and_stage_input_names_the_option(world: World) -> None:
    base = ("claim", "count", "deal", "--source", "deal-gov", "--date", "2020-02-01")
    assert "AGREEMENT: no agreement 'nope'" in refused(
        "claim", "count", "nope", "--source", "deal-gov", "--released", "1", "--date", "2020-02"
    )
    assert "--released: 'many' is not a whole number" in refused(*base, "--released", "many")
    assert "--released: '-1' is not a whole number" in refused(*base, "--released", "-1")
    message = refused(*base, "--released", "3", "--political", "3", "--other", "1")
    assert message.startswith("--political/--other/") and "more than the 3 released" in message
    stage = ("claim", "stage", "deal", "--source", "deal-gov", "--stage")
    assert "--stage: invalid choice: 'over'" in refused(*stage, "over", "--date", "2020-02-01")
    assert "--date: The agreement was announced on 10 Jan 2020" in refused(
        *stage, "suspended", "--date", "2019-12"
    )
    assert "--date: " in refused(*stage, "suspended", "--date", "2020-02-01T10:00")


def test_corrections_are_refused_across_sources_and_kinds(world: World) -> None:
    count = claim("count", "deal", "--source", "deal-gov", "--released", "2", "--date", "2020-02")
    assert refused("claim", "retract", str(count.pk), "--source", "deal-ngo").startswith(
        "CLAIM_ID: Only the source that made claim"
    )
    assert "CLAIM_ID: no claim #999999" in refused("claim", "retract", "999999", "--source", "x")
    assert "CLAIM_ID: '0' is not a claim number" in refused(
        "claim", "retract", "0", "--source", "deal-gov"
    )
    assert refused(
        "claim",
        "stage",
        "deal",
        "--source",
        "deal-gov",
        "--stage",
        "suspended",
        "--date",
        "2020-03-01",
        "--corrects",
        str(count.pk),
    ).startswith("--corrects: ")


def test_nothing_is_recorded_for_an_archived_agreement(world: World) -> None:
    run("agreement", "archive", "deal")
    message = refused(
        "claim", "count", "deal", "--source", "deal-gov", "--released", "3", "--date", "2020-02"
    )
    assert message.startswith("AGREEMENT: ")


def test_a_time_of_day_orders_a_rearrest_and_a_release(world: World) -> None:
    person = world.person(0)
    common = ("--date", "2020-03-01", "--received", "2020-03-02T10:00")
    claim(
        "status",
        person.handle,
        "--source",
        "deal-embassy",
        "--status",
        "unconditional_release",
        "--date",
        "2020-02-01",
        "--received",
        "2020-02-02T10:00",
    )
    claim(
        "status",
        person.handle,
        "--source",
        "deal-ngo",
        "--status",
        "rearrested",
        "--time",
        "09:00",
        *common,
    )
    c = claim(
        "status",
        person.handle,
        "--source",
        "deal-embassy",
        "--status",
        "unconditional_release",
        "--time",
        "18:00",
        *common,
    )
    assert c.event_time == dt.time(18, 0)
    status = json.loads(run("agreement", "status", "deal", "--json"))
    assert (status["confirmed"], status["rearrested"]) == (1, 0)
    before = Claim.objects.count()
    with pytest.raises(CommandError, match="--time"):
        run(
            "claim",
            "status",
            person.handle,
            "--source",
            "deal-ngo",
            "--status",
            "detained",
            "--date",
            "2020-03",
            "--time",
            "09:00",
            "--received",
            "2020-04-02T10:00",
        )
    assert Claim.objects.count() == before
