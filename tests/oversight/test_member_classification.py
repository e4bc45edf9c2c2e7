"""A named member a source says is not a political prisoner: still named, counted apart from
the promise's other parts, out of the milestones and out of the releases the gap is measured
on; the releasing side's own breakdown takes its common prisoners out of the gap. Recorded
from the staff page, `detente agreement classify` and the API, through one audited service.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from tests.api.test_setup_api import Api, api_for
from tests.oversight.kit import entries, field_errors, page
from tests.support import World, at

from detente.access.policy import Role
from detente.agreements.models import Classification, Membership
from detente.agreements.selectors import agreement_progress, agreement_timeline
from detente.agreements.services import member_classify
from detente.audit.models import AuditEntry
from detente.evidence.models import ClaimKind
from detente.evidence.services import claim_record
from detente.registry.services import person_create
from detente.registry.status import CustodyStatus

REL = CustodyStatus.UNCONDITIONAL_RELEASE
OTHER = Classification.OTHER
PARTS = (
    "confirmed",
    "reported",
    "disputed",
    "held",
    "rearrested",
    "died",
    "disappeared",
    "released_before",
    "excluded",
    "unnamed",
)


def _release(w: World, source: str, i: int, day: str) -> None:
    claim_record(
        actor=w.actor,
        source=w.sources[source],
        person=w.person(i),
        status=REL,
        event_date=dt.date.fromisoformat(day),
        received_at=at(day),
    )


def _figure(w: World, count: int, day: str, breakdown: dict[str, int] | None = None) -> None:
    claim_record(
        actor=w.actor,
        source=w.sources["gov"],
        kind=ClaimKind.AGGREGATE,
        agreement=w.agreement,
        released_count=count,
        event_date=dt.date.fromisoformat(day),
        received_at=at(day),
        breakdown=breakdown,
    )


def _classify(w: World, i: int, day: str = "2020-02-10", kind: str = OTHER) -> Membership:
    return member_classify(
        actor=w.actor,
        agreement=w.agreement,
        person=w.person(i),
        classification=kind,
        source=w.sources["ngo"],
        reason="Serving a sentence for theft.",
        classified_on=dt.date.fromisoformat(day),
    )


def _sums(p: Any) -> bool:
    return sum(getattr(p, k) for k in PARTS) == p.total


def test_a_common_prisoner_is_counted_apart_and_the_parts_still_add_up(world: World) -> None:
    w = world  # 3 named of 5 promised
    for i in range(3):
        _release(w, "gov", i, "2020-02-01")
    _release(w, "ngo", 0, "2020-02-02")
    before = agreement_progress(w.actor, w.agreement)
    assert (before.reported, before.confirmed, before.excluded) == (2, 1, 0)
    _classify(w, 2)
    p = agreement_progress(w.actor, w.agreement)
    assert p.named == 3 and p.total == 5
    assert (p.reported, p.confirmed, p.excluded, p.unnamed) == (1, 1, 1, 2)
    assert _sums(p)
    # Person by person, the common prisoner's release is no longer one the gap is on.
    assert p.claimed_by_members == 2 and p.gap == 1 and p.gap_unconfirmed == 1


def test_milestones_count_only_the_political_members(world: World) -> None:
    w = world
    _release(w, "ngo", 0, "2020-02-01")
    _release(w, "ngo", 1, "2020-02-03")
    p = agreement_progress(w.actor, w.agreement)
    stone = next(m for m in p.milestones if m.key == "all_named_confirmed")
    assert stone.date is None  # the third is still held
    _classify(w, 2)
    p = agreement_progress(w.actor, w.agreement)
    stone = next(m for m in p.milestones if m.key == "all_named_confirmed")
    assert stone.date == dt.date(2020, 2, 3)


def test_the_releasing_sides_breakdown_takes_its_common_prisoners_out_of_the_gap(
    world: World,
) -> None:
    w = world
    _release(w, "ngo", 0, "2020-02-01")
    _figure(w, 553, "2020-03-01", {"political": 200, "other": 353})
    p = agreement_progress(w.actor, w.agreement)
    assert p.claimed_by_releasing_party == 553
    assert p.claimed_not_political == 353
    assert p.claimed == 200 and p.gap == 199 and p.gap_unnamed == 199


def test_named_common_prisoners_claimed_released_come_out_of_a_figure_without_breakdown(
    world: World,
) -> None:
    w = world
    _release(w, "gov", 2, "2020-02-01")
    _figure(w, 4, "2020-03-01")
    assert agreement_progress(w.actor, w.agreement).claimed == 4
    _classify(w, 2)
    p = agreement_progress(w.actor, w.agreement)
    assert p.claimed_not_political == 1
    assert p.claimed == 3 and p.claimed_by_releasing_party == 4


def test_as_of_a_day_before_the_classification_the_member_still_counts(world: World) -> None:
    w = world
    _release(w, "ngo", 2, "2020-02-01")
    _classify(w, 2, day="2020-03-01")
    earlier = agreement_progress(w.actor, w.agreement, as_of=dt.date(2020, 2, 15))
    later = agreement_progress(w.actor, w.agreement, as_of=dt.date(2020, 3, 2))
    assert (earlier.confirmed, earlier.excluded) == (1, 0)
    assert (later.confirmed, later.excluded) == (0, 1)
    days = [dt.date(2020, 2, 15), dt.date(2020, 3, 2)]
    timeline = agreement_timeline(w.actor, w.agreement, days)
    assert [t.as_json() for t in timeline] == [
        agreement_progress(w.actor, w.agreement, as_of=d).as_json() for d in days
    ]


def test_classifying_again_undoes_it_and_the_ledger_keeps_both(world: World) -> None:
    w = world
    _classify(w, 1)
    _classify(w, 1, day="2020-02-20", kind=Classification.POLITICAL)
    assert agreement_progress(w.actor, w.agreement).excluded == 0
    said = entries("agreement.classify_member")
    assert [(e["before"], e["after"]) for e in said] == [
        ("political", "other"),
        ("other", "political"),
    ]
    assert said[0]["reason"] == "Serving a sentence for theft."


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"classification": "criminal"}, "classification"),
        ({"reason": "   "}, "reason"),
        ({"classified_on": dt.date(2020, 1, 1)}, "classified_on"),  # before being named
        (
            {"classified_on": dt.datetime.now(tz=dt.UTC).date() + dt.timedelta(days=3)},
            "classified_on",
        ),
    ],
)
def test_bad_classifications_are_refused_with_nothing_written(
    world: World, changes: dict[str, Any], field: str
) -> None:
    w = world
    args: dict[str, Any] = {
        "actor": w.actor,
        "agreement": w.agreement,
        "person": w.person(0),
        "classification": OTHER,
        "source": w.sources["ngo"],
        "reason": "Common offence.",
        "classified_on": dt.date(2020, 2, 1),
        **changes,
    }
    ledger = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        member_classify(**args)
    assert field in refused.value.message_dict
    assert AuditEntry.objects.count() == ledger
    assert not Membership.objects.filter(classification=OTHER).exists()


def test_someone_not_named_cannot_be_classified(world: World) -> None:
    stranger = person_create(actor=world.actor, given_names="Dayana", paternal_surname="Rojas")
    with pytest.raises(ValidationError) as refused:
        member_classify(
            actor=world.actor,
            agreement=world.agreement,
            person=stranger,
            classification=OTHER,
            source=world.sources["ngo"],
            reason="Common offence.",
        )
    assert "person" in refused.value.message_dict


# --- The staff page ------------------------------------------------------------------------

CLASSIFY = "/staff/agreements/deal/members/classify/"


def _form(**changes: str) -> dict[str, str]:
    data = {
        "person": "P-0003",
        "classification": "other",
        "source": "deal-ngo",
        "classified_on": "2020-02-10",
        "reason": "Held for a common offence.",
    }
    data.update(changes)
    return data


def test_an_analyst_classifies_from_the_agreement_page(
    world: World, login: Callable[..., Client]
) -> None:
    analyst = login("analyst")
    agreement_page = page(analyst.get("/staff/agreements/deal/"))
    assert f'href="{CLASSIFY}"' in agreement_page
    handle = world.person(2).handle
    response = analyst.post(CLASSIFY, _form(person=handle), follow=True)
    assert response.redirect_chain == [("/staff/agreements/deal/", 302)]
    html = page(response)
    assert f"{handle} is now counted as not a political prisoner" in html
    assert "<dt>Not political prisoners</dt><dd>1</dd>" in html
    assert "not a political prisoner" in html  # marked in the members' table
    member = Membership.objects.get(person=world.person(2))
    assert (member.classification, member.classified_by, member.classified_note) == (
        OTHER,
        world.sources["ngo"],
        "Held for a common offence.",
    )


def test_the_page_refuses_on_the_field_and_writes_nothing(
    world: World, login: Callable[..., Client]
) -> None:
    analyst = login("analyst")
    ledger = AuditEntry.objects.count()
    response = analyst.post(CLASSIFY, _form(person="P-9999"))
    assert response.status_code == 200
    assert "person" in field_errors(response)
    response = analyst.post(CLASSIFY, _form(person=world.person(0).handle, reason=""))
    assert "reason" in field_errors(response)
    response = analyst.post(
        CLASSIFY, _form(person=world.person(0).handle, classified_on="2019-12-01")
    )
    assert "classified_on" in field_errors(response)
    assert AuditEntry.objects.count() == ledger


def test_the_page_in_spanish(world: World, login: Callable[..., Client]) -> None:
    html = page(login("analyst").get(CLASSIFY, HTTP_ACCEPT_LANGUAGE="es"))
    assert "<h1>Preso político o no</h1>" in html and "Según la fuente, esta persona es" in html


# --- The command line ----------------------------------------------------------------------


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_command_classifies_and_status_shows_it(world: World) -> None:
    handle = world.person(1).handle
    said = _run(
        "agreement", "classify", "deal", handle, "--other", "--source", "deal-ngo",
        "--reason", "Common offence", "--on", "2020-02-10",
    )  # fmt: skip
    assert f"{handle} on deal: not a political prisoner" in said
    status = json.loads(_run("agreement", "status", "deal", "--json"))
    assert status["excluded"] == 1
    assert sum(status[k] for k in PARTS) == status["total"]
    members = json.loads(_run("agreement", "members", "deal", "--json"))["members"]
    assert {m["handle"]: m["classification"] for m in members}[handle] == "other"
    assert "not political prisoners" in _run("agreement", "status", "deal")


def test_the_command_says_what_is_wrong(world: World) -> None:
    handle = world.person(1).handle
    with pytest.raises(CommandError, match="--source: no source 'nope'"):
        _run(
            "agreement", "classify", "deal", handle, "--other", "--source", "nope",
            "--reason", "x",
        )  # fmt: skip
    with pytest.raises(CommandError, match="--on:"):
        _run(
            "agreement", "classify", "deal", handle, "--other", "--source", "deal-ngo",
            "--reason", "x", "--on", "2019-01-01",
        )  # fmt: skip
    assert not Membership.objects.filter(classification=OTHER).exists()


# --- The API -------------------------------------------------------------------------------


@pytest.fixture
def writer(world: World) -> Api:
    return api_for("ana", Role.ANALYST, "write")


def test_the_api_names_people_and_classifies_them(world: World, writer: Api) -> None:
    newcomer = person_create(actor=world.actor, given_names="Dayana", paternal_surname="Rojas")
    answer = writer.post(
        "/agreements/deal/members",
        {
            "people": [newcomer.handle, world.person(0).handle],
            "named_on": "2020-02-01",
            "named_by": "deal-ngo",
            "named_note": "The NGO's list of 1 February.",
        },
    )
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"added": [newcomer.handle], "already": [world.person(0).handle]}
    member = Membership.objects.get(person=newcomer)
    assert (member.named_on, member.named_by) == (dt.date(2020, 2, 1), world.sources["ngo"])

    answer = writer.post(
        f"/agreements/deal/members/{newcomer.handle}/classification",
        {"classification": "other", "source": "deal-ngo", "reason": "Common offence."},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["classification"] == "other"
    progress = writer.get("/agreements/deal/progress").json()
    assert progress["excluded"] == 1
    assert sum(progress[k] for k in PARTS) == progress["total"]


def test_the_api_refuses_bad_requests_with_nothing_written(world: World, writer: Api) -> None:
    reader = api_for("vero", Role.VERIFIER, "read")
    ledger = AuditEntry.objects.count()
    handle = world.person(0).handle
    path = f"/agreements/deal/members/{handle}/classification"
    bad = writer.post(path, {"classification": "criminal", "source": "deal-ngo", "reason": "x"})
    assert bad.status_code == 422
    unknown = writer.post(path, {"classification": "other", "source": "nope", "reason": "x"})
    assert unknown.status_code == 422 and "source" in unknown.content.decode()
    missing = writer.post(
        "/agreements/deal/members/P-9999/classification",
        {"classification": "other", "source": "deal-ngo", "reason": "x"},
    )
    assert missing.status_code == 404
    stranger = writer.post("/agreements/deal/members", {"people": ["P-9999"]})
    assert stranger.status_code == 422
    assert (
        reader.post(
            path, {"classification": "other", "source": "deal-ngo", "reason": "x"}
        ).status_code
        == 403
    )
    assert AuditEntry.objects.count() == ledger


def test_the_public_page_marks_the_member_and_says_where_the_figure_went(world: World) -> None:
    from detente.access.services import agreement_set_audience

    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="public")
    _release(world, "gov", 2, "2020-02-01")
    _figure(world, 4, "2020-03-01")
    _classify(world, 2)
    html = page(Client().get("/agreements/deal/"))
    assert "<dt>Not political prisoners</dt><dd>1</dd>" in html
    assert "· not a political prisoner" in html  # beside the member, in the table
    assert "Of the releasing government's own figure of 4 released, 1 release was" in html
