"""What staff record about an agreement as a whole (a count, a stage), naming people on it,
its verification policy and audience, and the time of day on a person's claim.

Each form goes through its service: recorded and shown on the agreement's page, or refused
on the field concerned with nothing written. Analysts record counts, stages and members;
only verifiers and administrators change the policy and who is shown the agreement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.oversight.kit import entries, field_errors, page, release
from tests.support import World

from detente.agreements.models import Agreement, Membership, MemberState
from detente.agreements.services import agreement_archive
from detente.audit.models import AuditEntry
from detente.evidence.models import Claim, ClaimKind
from detente.evidence.services import source_archive
from detente.registry.models import Person
from detente.registry.services import person_create

AGREEMENT = "/staff/agreements/deal/"
COUNT = "/staff/agreements/deal/claims/count/"
STAGE = "/staff/agreements/deal/claims/stage/"
MEMBERS = "/staff/agreements/deal/members/add/"
POLICY = "/staff/agreements/deal/policy/"
EDIT = "/staff/agreements/deal/edit/"
TOMORROW = (timezone.localdate() + dt.timedelta(days=2)).isoformat()


def count_form(**changes: str) -> dict[str, str]:
    """The count form as a user fills it in (the world promised 5; it was announced on
    2020-01-10)."""
    data = {
        "count-source": "deal-gov",
        "count-released_count": "3",
        "count-event_date": "2020-03-01",
        "count-breakdown_0": "2",  # political
        "count-breakdown_1": "1",  # other
        "count-breakdown_2": "",
        "count-breakdown_3": "",
        "count-breakdown_4": "",
        "count-credibility": "2",
        "count-evidence_text": "Ministry statement on state television.",
        "count-evidence_url": "",
    }
    data.update({f"count-{k}": v for k, v in changes.items()})
    return data


def stage_form(**changes: str) -> dict[str, str]:
    data = {
        "stage-source": "deal-embassy",
        "stage-lifecycle": "suspended",
        "stage-event_date": "2020-04-02",
        "stage-evidence_text": "Halted after the protests, the embassy says.",
        "stage-evidence_url": "",
    }
    data.update({f"stage-{k}": v for k, v in changes.items()})
    return data


def written() -> tuple[int, int, int]:
    """Claims, memberships and ledger entries: what a refused form must leave as it was."""
    return Claim.objects.count(), Membership.objects.count(), AuditEntry.objects.count()


@pytest.fixture
def newcomers(world: World) -> list[Person]:
    """Two people in the registry, not yet named on the agreement."""
    return [
        person_create(actor=world.actor, given_names=name, paternal_surname="Rojas")
        for name in ("Dayana", "Lisandra")
    ]


# --- A count for the whole agreement ---------------------------------------------------------


def test_an_analyst_records_a_count_and_the_page_shows_it(
    world: World, login: Callable[..., Client]
) -> None:
    analyst = login("analyst")
    response = analyst.post(COUNT, count_form(), follow=True)
    assert response.redirect_chain == [(AGREEMENT, 302)]
    claim = Claim.objects.get(kind=ClaimKind.AGGREGATE)
    assert (claim.source.slug, claim.agreement, claim.released_count) == (
        "deal-gov",
        world.agreement,
        3,
    )
    assert claim.breakdown == {"political": 2, "other": 1}
    assert (claim.event_date, claim.credibility) == (dt.date(2020, 3, 1), 2)
    assert claim.evidence_text == "Ministry statement on state television."
    assert claim.recorded_by == analyst.user  # type: ignore[attr-defined]
    html = page(response)
    assert f"Count recorded (claim #{claim.pk}): gov says 3 released as of 1 Mar 2020." in html
    assert "The releasing side's latest figure for the whole agreement is 3 released" in html
    assert entries("claim.aggregate")[-1]["breakdown"] == {"political": 2, "other": 1}
    assert 'class="warning"' not in html  # nothing to look at twice


def test_the_forms_are_on_the_agreement_page_with_todays_date(
    world: World, login: Callable[..., Client]
) -> None:
    response = login("analyst").get(AGREEMENT)
    html = page(response)
    assert "Record for the whole agreement" in html
    assert f'action="{COUNT}"' in html and f'action="{STAGE}"' in html
    assert f'href="{MEMBERS}"' in html and "Name people on this agreement" in html
    today = timezone.localdate().isoformat()
    assert f'name="count-event_date" value="{today}"' in html
    assert f'name="stage-event_date" value="{today}"' in html
    # The labels of the parts of a count are tied to their boxes.
    assert '<label for="id_count-breakdown_4">Sent into exile</label>' in html


def test_warnings_are_shown_and_the_count_is_recorded_all_the_same(
    world: World, login: Callable[..., Client]
) -> None:
    # Above the 5 promised, and dated before the announcement of 2020-01-10.
    data = count_form(released_count="9", event_date="2019-12-20", breakdown_0="", breakdown_1="")
    response = login("verifier").post(COUNT, data, follow=True)
    assert response.redirect_chain == [(AGREEMENT, 302)]
    assert Claim.objects.filter(kind=ClaimKind.AGGREGATE, released_count=9).count() == 1
    html = page(response)
    assert 'class="warning"' in html
    assert "Recorded all the same, but check: The count 9 is above the 5 promised." in html
    assert "is before the agreement was announced (10 Jan 2020)" in html


def test_a_count_lower_than_an_earlier_one_is_flagged(
    world: World, login: Callable[..., Client]
) -> None:
    client = login("analyst")
    client.post(COUNT, count_form(released_count="4", breakdown_0="", breakdown_1=""))
    response = client.post(COUNT, count_form(event_date="2020-03-05"), follow=True)
    assert "An earlier figure (4 on 1 Mar 2020) is higher: the count goes down." in page(response)
    assert Claim.objects.filter(kind=ClaimKind.AGGREGATE).count() == 2


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        # The parts add up to more than the total: refused by the service.
        (
            {"breakdown_0": "3", "breakdown_1": "2"},
            "breakdown",
            "The parts political + other add up to 5, more than the 3 released.",
        ),
        ({"breakdown_4": "-1"}, "breakdown", "Sent into exile: give a whole number, 0 or more."),
        ({"released_count": "-2"}, "released_count", "Give a whole number, 0 or more."),
        ({"released_count": "many"}, "released_count", "Give a whole number, for example 53."),
        ({"event_date": TOMORROW}, "event_date", "is in the future"),
        ({"event_date": "1.3.2020"}, "event_date", "year-month-day"),
        ({"source": ""}, "source", "This field is required."),
    ],
)
def test_a_bad_count_is_refused_at_its_field_and_nothing_is_written(
    world: World,
    login: Callable[..., Client],
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    before = written()
    response = login("analyst").post(COUNT, count_form(**changes))
    assert response.status_code == 200
    errors = field_errors(response)
    assert list(errors) == [field]
    assert message in errors[field][0]
    html = page(response)
    assert "Nothing was saved" in html
    assert 'value="Ministry statement' not in html  # a textarea: what was typed is its text
    assert "Ministry statement on state television." in html
    assert written() == before


def test_an_archived_source_is_not_offered_and_is_refused(
    world: World, login: Callable[..., Client]
) -> None:
    source_archive(actor=world.actor, source=world.sources["gov"])
    client = login("verifier")
    offered = client.get(COUNT).context["form"].fields["source"].queryset
    assert "deal-gov" not in {s.slug for s in offered}
    assert "deal-ngo" in {s.slug for s in offered}
    before = written()
    response = client.post(COUNT, count_form())
    assert list(field_errors(response)) == ["source"]
    assert written() == before


def test_nothing_is_recorded_under_an_archived_agreement(
    world: World, login: Callable[..., Client]
) -> None:
    agreement_archive(actor=world.actor, agreement=world.agreement)
    client = login("verifier")
    html = page(client.get(AGREEMENT))
    assert "Record for the whole agreement" not in html and f'href="{MEMBERS}"' not in html
    before = written()
    response = client.post(COUNT, count_form())
    assert "is archived; restore it to record under it" in page(response)
    assert written() == before


# --- A stage -------------------------------------------------------------------------------


def test_a_stage_is_recorded_and_the_page_says_where_it_stands(
    world: World, login: Callable[..., Client]
) -> None:
    response = login("analyst").post(STAGE, stage_form(), follow=True)
    assert response.redirect_chain == [(AGREEMENT, 302)]
    claim = Claim.objects.get(kind=ClaimKind.LIFECYCLE)
    assert (claim.lifecycle, claim.event_date, claim.source.slug) == (
        "suspended",
        dt.date(2020, 4, 2),
        "deal-embassy",
    )
    assert claim.evidence_text == "Halted after the protests, the embassy says."
    html = page(response)
    assert f"Stage recorded (claim #{claim.pk}): Suspended or halted on 2 Apr 2020" in html
    assert "Where it stands: Suspended or halted since" in html
    assert entries("claim.lifecycle")[-1]["lifecycle"] == "suspended"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"event_date": "2019-06-01"}, "event_date", "The agreement was announced on 10 Jan 2020"),
        ({"lifecycle": ""}, "lifecycle", "This field is required."),
        ({"lifecycle": "postponed"}, "lifecycle", "Select a valid choice."),
        ({"evidence_text": ""}, "evidence_text", "This field is required."),
    ],
)
def test_a_bad_stage_is_refused_at_its_field_and_nothing_is_written(
    world: World,
    login: Callable[..., Client],
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    before = written()
    response = login("analyst").post(STAGE, stage_form(**changes))
    assert response.status_code == 200
    errors = field_errors(response)
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert written() == before


def test_the_claim_pages_answer_in_spanish(world: World, login: Callable[..., Client]) -> None:
    client = login("analyst", language="es")
    assert client.get(COUNT).status_code == 200
    response = client.post(STAGE, stage_form(evidence_text=""))
    assert field_errors(response) == {"evidence_text": ["Este campo es obligatorio."]}
    assert "No se ha guardado nada" in page(response)


# --- Naming people -------------------------------------------------------------------------


def test_people_are_named_by_handle_with_the_day_and_source(
    world: World, newcomers: list[Person], login: Callable[..., Client]
) -> None:
    handles = [p.handle for p in newcomers]
    data = {
        # One per line, or separated by commas; one already named; lower case is found too.
        "people": f"{handles[0]}\n{handles[1].lower()}, {world.person().handle}",
        "named_on": "2020-02-03",
        "named_by": "deal-ngo",
        "named_note": "List published by the NGO on 3 February",
    }
    response = login("analyst").post(MEMBERS, data, follow=True)
    assert response.redirect_chain == [(AGREEMENT, 302)]
    html = page(response)
    assert "2 people named on “Test agreement”. 1 was named already" in html
    for person in newcomers:
        member = Membership.objects.get(agreement=world.agreement, person=person)
        assert (member.named_on, member.named_by, member.named_note) == (
            dt.date(2020, 2, 3),
            world.sources["ngo"],
            "List published by the NGO on 3 February",
        )
        assert member.state == MemberState.HELD
        assert person.handle in html
    # The one already named keeps the day it was named.
    kept = Membership.objects.get(agreement=world.agreement, person=world.person())
    assert kept.named_on == dt.date(2020, 1, 15)
    assert entries("agreement.add_members")[-1]["added"] == sorted(handles)


def test_the_form_defaults_to_today_and_needs_no_source(
    world: World, newcomers: list[Person], login: Callable[..., Client]
) -> None:
    client = login("analyst")
    form = page(client.get(MEMBERS))
    assert f'value="{timezone.localdate().isoformat()}"' in form
    response = client.post(
        MEMBERS, {"people": newcomers[0].handle, "named_on": timezone.localdate().isoformat()}
    )
    assert response.status_code == 302
    member = Membership.objects.get(person=newcomers[0])
    assert (member.named_on, member.named_by, member.named_note) == (
        timezone.localdate(),
        None,
        "",
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"people": "{0}, P-9999, P-8888"}, "people", "No person has the handles P-9999, P-8888."),
        ({"people": ""}, "people", "This field is required."),
        ({"named_on": "2019-12-31"}, "named_on", "cannot be named before the announcement"),
        ({"named_on": TOMORROW}, "named_on", "The date named is in the future."),
        ({"named_by": "no-such-source"}, "named_by", "Select a valid choice."),
    ],
)
def test_bad_names_are_refused_at_the_field_and_no_one_is_named(
    world: World,
    newcomers: list[Person],
    login: Callable[..., Client],
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    data = {"people": "{0}", "named_on": "2020-02-03", "named_by": "", "named_note": ""}
    data.update(changes)
    data["people"] = data["people"].format(newcomers[0].handle)
    before = written()
    response = login("analyst").post(MEMBERS, data)
    assert response.status_code == 200
    errors = field_errors(response)
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert "Nothing was saved" in page(response)
    assert written() == before


# --- Verification policy and audience ------------------------------------------------------


def policy_form(**changes: str) -> dict[str, str]:
    data = {"confirm_min_grade": "B", "dispute_min_grade": "C", "audience": "staff"}
    data.update(changes)
    return data


def test_a_verifier_changes_the_policy_and_states_follow(
    world: World, login: Callable[..., Client]
) -> None:
    release(world, "ngo", 0, "2020-02-01")  # graded B, independent: confirmed under B
    member = Membership.objects.get(agreement=world.agreement, person=world.person())
    assert member.state == MemberState.CONFIRMED
    verifier = login("verifier")
    edit = page(verifier.get(EDIT))
    assert f'action="{POLICY}"' in edit
    assert '<option value="B" selected>' in edit
    response = verifier.post(POLICY, policy_form(confirm_min_grade="A"), follow=True)
    assert response.redirect_chain == [(AGREEMENT, 302)]
    assert "Verification policy saved: sources graded A or better confirm" in page(response)
    world.agreement.refresh_from_db()
    assert world.agreement.confirm_min_grade == "A"
    member.refresh_from_db()
    assert member.state == MemberState.REPORTED  # a B source no longer confirms
    assert entries("agreement.policy")[-1]["after"][:2] == ["A", "C"]
    assert not entries("agreement.audience")  # the audience did not change: not written


def test_a_verifier_shows_the_agreement_to_the_legislature(
    world: World, login: Callable[..., Client]
) -> None:
    response = login("administrator").post(POLICY, policy_form(audience="legislature"), follow=True)
    assert "The agreement is now shown to: Staff and legislature." in page(response)
    assert Agreement.objects.get(pk=world.agreement.pk).audience == "legislature"
    assert entries("agreement.audience")[-1] == {
        "before": "staff",
        "after": "legislature",
        "members_changed": 0,
    }
    assert not entries("agreement.policy")


def test_saving_the_policy_unchanged_writes_nothing(
    world: World, login: Callable[..., Client]
) -> None:
    verifier = login("verifier")
    before = written()
    response = verifier.post(POLICY, policy_form())
    assert response.status_code == 302
    assert written() == before  # (opening the agreement's page is itself audited)
    assert "Nothing changed." in page(verifier.get(response["Location"]))


def test_a_bad_policy_is_refused_on_the_edit_page(
    world: World, login: Callable[..., Client]
) -> None:
    before = written()
    response = login("verifier").post(POLICY, policy_form(confirm_min_grade="Z", audience="all"))
    assert response.status_code == 200
    assert set(field_errors(response, "policy_form")) == {"confirm_min_grade", "audience"}
    html = page(response)
    assert "Nothing was saved" in html and 'id="agreement-form"' in html
    assert written() == before


def test_an_analyst_records_a_count_but_cannot_change_the_policy(
    world: World, login: Callable[..., Client]
) -> None:
    analyst = login("analyst")
    assert analyst.post(COUNT, count_form()).status_code == 302
    assert Claim.objects.filter(kind=ClaimKind.AGGREGATE).count() == 1
    before = written()
    assert (
        analyst.post(POLICY, policy_form(confirm_min_grade="A", audience="public")).status_code
        == 403
    )
    assert analyst.get(EDIT).status_code == 403
    assert written() == before
    world.agreement.refresh_from_db()
    assert (world.agreement.confirm_min_grade, world.agreement.audience) == ("B", "staff")
    html = page(analyst.get(AGREEMENT))
    assert f'href="{EDIT}' not in html  # neither the edit button nor the policy link


@pytest.mark.parametrize("audience", ["staff", "legislature"])
def test_the_legislature_gets_none_of_it(
    world: World, login: Callable[..., Client], audience: str, newcomers: list[Person]
) -> None:
    """The persona matrix: these pages are for staff; a legislature account is refused
    (403) even when the agreement is shown to the legislature, and nothing is written."""
    from detente.access.services import agreement_set_audience

    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience=audience)
    legislator = login("legislature")
    before = written()
    posts: dict[str, dict[str, Any]] = {
        COUNT: count_form(),
        STAGE: stage_form(),
        MEMBERS: {"people": newcomers[0].handle, "named_on": "2020-02-03"},
        POLICY: policy_form(audience="public"),
    }
    for url, data in posts.items():
        assert legislator.post(url, data).status_code == 403, url
        if url != POLICY:
            assert legislator.get(url).status_code == 403, url
    assert written() == before
    assert Agreement.objects.get(pk=world.agreement.pk).audience == audience


# --- The time of day on a person's claim (staff claim form) --------------------------------


def person_claim(world: World, **changes: str) -> dict[str, str]:
    data = {
        "source": str(world.sources["embassy"].pk),
        "status": "unconditional_release",
        "event_date": "2020-02-01",
        "event_precision": "day",
        "event_time": "18:30",
        "agreement": world.agreement.slug,
        "credibility": "2",
        "evidence_text": "Seen arriving home.",
        "evidence_url": "",
    }
    data.update(changes)
    return data


def test_a_persons_claim_keeps_its_time_of_day(world: World, login: Callable[..., Client]) -> None:
    client = login("analyst")
    url = f"/staff/people/{world.person().handle}/claims/new/"
    assert 'type="time"' in page(client.get(url))
    assert client.post(url, person_claim(world)).status_code == 302
    claim = Claim.objects.get(person=world.person())
    assert claim.event_time == dt.time(18, 30)
    # Left empty, it stays empty.
    assert client.post(url, person_claim(world, event_time="")).status_code == 302
    assert Claim.objects.filter(person=world.person(), event_time__isnull=True).count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"event_precision": "month"}, "A time of day needs an event date known to the day."),
        ({"event_time": "half past six"}, "Give the time as hours:minutes, for example 18:30."),
    ],
)
def test_a_bad_time_of_day_is_refused_at_its_field(
    world: World, login: Callable[..., Client], changes: dict[str, str], message: str
) -> None:
    url = f"/staff/people/{world.person().handle}/claims/new/"
    before = written()
    response = login("analyst").post(url, person_claim(world, **changes))
    assert response.status_code == 200
    assert field_errors(response) == {"event_time": [message]}
    assert written() == before
