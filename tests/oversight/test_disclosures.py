"""Disclosures on the staff pages: proposing, and deciding under the two-person rule
and the at-risk rule, with the services' refusals shown on the form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.oversight.kit import entries, field_errors, page
from tests.support import World, make_user

from detente.access.models import Disclosure, Grant
from detente.access.services import disclosure_propose
from detente.registry.services import person_set_at_risk

# What approving on the page takes: a reason and the box ticked after checking the list.
APPROVE = {"decision": "approve", "note": "The committee may see them.", "confirm": "on"}


def propose_form(world: World, **changes: Any) -> dict[str, Any]:
    data = {
        "audience": "legislature",
        "action": "open",
        "agreement": "",
        "people": f"{world.person(0).handle}, {world.person(1).handle}",
        "effective_date": "",
        "effective_time": "",
        "reason": "The committee asked for the list.",
    }
    data.update(changes)
    return data


@pytest.fixture
def proposal(world: World, login: Callable[..., Client]) -> tuple[Disclosure, Client]:
    """A proposal made on the page by a verifier, and that verifier's client."""
    proposer = login("verifier", username="vera")
    response = proposer.post("/staff/disclosures/propose/", propose_form(world))
    assert response.status_code == 302, field_errors(response)
    return Disclosure.objects.get(), proposer


def test_an_analyst_proposes_and_nothing_is_visible_yet(
    world: World, login: Callable[..., Client]
) -> None:
    response = login("analyst").post(
        "/staff/disclosures/propose/", propose_form(world), follow=True
    )
    disclosure = Disclosure.objects.get()
    assert response.redirect_chain[-1][0] == f"/staff/disclosures/{disclosure.pk}/"
    assert "Nothing is visible until a different verifier or administrator" in page(response)
    assert disclosure.status == "proposed"
    assert sorted(p.handle for p in disclosure.people.all()) == [
        world.person(0).handle,
        world.person(1).handle,
    ]
    assert not Grant.objects.exists()
    assert entries("disclosure.propose")[0]["audience"] == "legislature"


def test_an_agreements_members_can_be_proposed_together(
    world: World, login: Callable[..., Client]
) -> None:
    form = propose_form(world, agreement=world.agreement.slug, people="")
    assert login("analyst").post("/staff/disclosures/propose/", form).status_code == 302
    assert Disclosure.objects.get().people.count() == 3


def test_an_unknown_handle_is_named_on_the_field_and_the_text_stays(
    world: World, login: Callable[..., Client]
) -> None:
    typed = f"{world.person(0).handle} P-9999"
    response = login("analyst").post(
        "/staff/disclosures/propose/", propose_form(world, people=typed)
    )
    assert response.status_code == 200
    assert field_errors(response) == {"people": ["No person has the handle P-9999."]}
    html = page(response)
    assert typed in html and "The committee asked for the list." in html
    assert not Disclosure.objects.exists()


def test_nobody_covered_is_the_services_error_on_the_people_field(
    world: World, login: Callable[..., Client]
) -> None:
    response = login("analyst").post("/staff/disclosures/propose/", propose_form(world, people=""))
    assert field_errors(response) == {"people": ["A disclosure must cover at least one person."]}


def test_a_schedule_in_the_past_is_refused_on_the_date(
    world: World, login: Callable[..., Client]
) -> None:
    form = propose_form(world, effective_date="2020-01-01", effective_time="10:00")
    response = login("analyst").post("/staff/disclosures/propose/", form)
    [message] = field_errors(response)["effective_date"]
    assert "is in the past" in message
    assert not Disclosure.objects.exists()


def test_a_date_without_a_time_is_refused(world: World, login: Callable[..., Client]) -> None:
    form = propose_form(world, effective_date="2099-01-01")
    response = login("analyst").post("/staff/disclosures/propose/", form)
    assert field_errors(response) == {"effective_time": ["Give a time with the date."]}


def test_a_future_schedule_is_kept_in_utc(world: World, login: Callable[..., Client]) -> None:
    day = (timezone.now() + dt.timedelta(days=3)).date()
    form = propose_form(world, effective_date=day.isoformat(), effective_time="09:30")
    assert login("analyst").post("/staff/disclosures/propose/", form).status_code == 302
    when = Disclosure.objects.get().effective_from
    assert when == dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.UTC)


def test_the_proposer_is_told_about_the_two_person_rule_and_cannot_approve(
    world: World, proposal: tuple[Disclosure, Client]
) -> None:
    disclosure, proposer = proposal
    url = f"/staff/disclosures/{disclosure.pk}/"
    html = page(proposer.get(url))
    assert "Under the two-person rule a different verifier or administrator" in html
    assert 'value="approve"' not in html
    # Forcing it anyway: the service refuses, and the page says why.
    response = proposer.post(url, {"decision": "approve", "note": ""})
    assert response.status_code == 200
    assert field_errors(response) == {
        "__all__": ["The person who proposed a disclosure cannot also approve or reject it."]
    }
    assert "cannot also approve or reject it" in page(response)
    disclosure.refresh_from_db()
    assert disclosure.status == "proposed" and not Grant.objects.exists()


def test_an_analyst_cannot_approve(
    world: World, proposal: tuple[Disclosure, Client], login: Callable[..., Client]
) -> None:
    disclosure, _proposer = proposal
    analyst = login("analyst")
    url = f"/staff/disclosures/{disclosure.pk}/"
    html = page(analyst.get(url))
    assert 'value="approve"' not in html
    assert "Waiting for a verifier or administrator" in html
    assert analyst.post(url, {"decision": "approve"}).status_code == 403
    disclosure.refresh_from_db()
    assert disclosure.status == "proposed"


def test_a_different_verifier_approves(
    world: World, proposal: tuple[Disclosure, Client], login: Callable[..., Client]
) -> None:
    disclosure, _proposer = proposal
    url = f"/staff/disclosures/{disclosure.pk}/"
    second = login("verifier", username="victor")
    assert 'value="approve"' in page(second.get(url))
    response = second.post(url, APPROVE | {"note": "checked"}, follow=True)
    assert f"Disclosure #{disclosure.pk} approved." in page(response)
    disclosure.refresh_from_db()
    assert (disclosure.status, disclosure.decided_by.username) == ("approved", "victor")
    assert Grant.objects.filter(disclosure=disclosure).count() == 2
    # Decided once: a second decision is refused and said so.
    again = second.post(url, {"decision": "reject", "note": "oops"})
    assert "was already Approved" in field_errors(again)["__all__"][0]
    assert "was already Approved" in page(again)


def test_rejecting_needs_a_note(
    world: World, proposal: tuple[Disclosure, Client], login: Callable[..., Client]
) -> None:
    disclosure, _proposer = proposal
    url = f"/staff/disclosures/{disclosure.pk}/"
    second = login("administrator")
    response = second.post(url, {"decision": "reject", "note": " "})
    assert field_errors(response) == {"note": ["This field is required."]}
    assert second.post(url, {"decision": "reject", "note": "not yet"}).status_code == 302
    disclosure.refresh_from_db()
    assert (disclosure.status, disclosure.decision_note) == ("rejected", "not yet")


def test_people_at_risk_are_left_out_of_a_public_opening_and_the_page_says_so(
    world: World, login: Callable[..., Client]
) -> None:
    person_set_at_risk(actor=world.actor, person=world.person(0), at_risk=True)
    proposer = login("analyst")
    form = propose_form(world, audience="public", at_risk_override="on")
    assert proposer.post("/staff/disclosures/propose/", form).status_code == 302
    disclosure = Disclosure.objects.get()
    assert not disclosure.at_risk_override  # the box is not an analyst's to tick
    html = page(proposer.get(f"/staff/disclosures/{disclosure.pk}/"))
    assert "1 person flagged at risk will be left out when this is approved." in html
    login("verifier").post(f"/staff/disclosures/{disclosure.pk}/", APPROVE)
    assert list(Grant.objects.values_list("person__handle", flat=True)) == [world.person(1).handle]


def test_only_an_administrator_approves_a_disclosure_of_people_at_risk(
    world: World, login: Callable[..., Client]
) -> None:
    person_set_at_risk(actor=world.actor, person=world.person(0), at_risk=True)
    admin = login("administrator")
    propose = admin.get("/staff/disclosures/propose/")
    assert "at_risk_override" in propose.context["form"].fields
    form = propose_form(world, audience="public", at_risk_override="on")
    assert admin.post("/staff/disclosures/propose/", form).status_code == 302
    disclosure = Disclosure.objects.get()
    assert disclosure.at_risk_override
    url = f"/staff/disclosures/{disclosure.pk}/"

    verifier = login("verifier")
    assert "only an administrator may approve it" in page(verifier.get(url))
    refused = verifier.post(url, APPROVE)
    assert field_errors(refused) == {
        "__all__": ["Only an administrator may approve a disclosure that includes people at risk."]
    }
    assert not Grant.objects.exists()

    assert login("administrator").post(url, APPROVE).status_code == 302
    assert Grant.objects.count() == 2


def test_the_checkbox_is_offered_to_administrators_only(
    world: World, login: Callable[..., Client]
) -> None:
    for role in ("analyst", "verifier"):
        form = login(role).get("/staff/disclosures/propose/").context["form"]
        assert "at_risk_override" not in form.fields


def test_the_list_is_split_by_status(world: World, login: Callable[..., Client]) -> None:
    pending = disclosure_propose(
        actor=world.actor, audience="legislature", reason="a", people=world.people[:1]
    )
    client = login("analyst")
    assert list(client.get("/staff/disclosures/").context["page"].object_list) == [pending]
    assert not client.get("/staff/disclosures/?status=approved").context["page"].object_list
    assert f"/staff/disclosures/{pending.pk}/" in page(client.get("/staff/disclosures/?status=all"))


def test_errors_in_spanish(world: World, login: Callable[..., Client]) -> None:
    response = login("analyst", language="es").post(
        "/staff/disclosures/propose/", propose_form(world, people="P-9999")
    )
    assert field_errors(response) == {"people": ["Ninguna persona tiene el código P-9999."]}


@pytest.mark.parametrize("role", ["legislature", "public"])
def test_non_staff_are_refused(
    world: World, proposal: tuple[Disclosure, Client], login: Callable[..., Client], role: str
) -> None:
    disclosure, _proposer = proposal
    client = login(role)
    for url in ("/staff/disclosures/", "/staff/disclosures/propose/"):
        assert client.get(url).status_code == 403
    assert client.get(f"/staff/disclosures/{disclosure.pk}/").status_code == 403
    assert client.post(f"/staff/disclosures/{disclosure.pk}/", APPROVE).status_code == 403
    assert client.post("/staff/disclosures/propose/", propose_form(world)).status_code == 403


def test_the_approver_sees_who_and_must_confirm_with_a_reason(
    world: World, proposal: tuple[Disclosure, Client], login: Callable[..., Client]
) -> None:
    """Issue 14 point 6: names, where each stands and the at-risk marks, before one click
    can publish anyone; a warning when people in it are still held."""
    disclosure, _proposer = proposal
    url = f"/staff/disclosures/{disclosure.pk}/"
    approver = login("verifier", username="victor")
    html = page(approver.get(url))
    assert "Yoandri 0 Pérez" in html and "Yoandri 1 Pérez" in html  # names, not handles only
    assert "2 people: 0 at risk, 2 still held." in html
    assert "2 people in this disclosure are still held" in html
    # A click without the box and a reason approves nothing, and says what is missing.
    bare = approver.post(url, {"decision": "approve", "note": ""})
    assert set(field_errors(bare)) == {"confirm", "note"}
    disclosure.refresh_from_db()
    assert disclosure.status == "proposed" and not Grant.objects.exists()
    # Opening the page as the approver is recorded: the names were seen.
    seen = entries("person.list")
    assert seen and set(seen[0]["people"]) == {world.person(0).handle, world.person(1).handle}
    assert approver.post(url, APPROVE).status_code == 302
    assert Grant.objects.filter(disclosure=disclosure).count() == 2


def test_the_legislature_sees_which_names_are_not_public(
    world: World, login: Callable[..., Client]
) -> None:
    from detente.access.services import agreement_set_audience, disclosure_approve

    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="public")
    to_legislature = disclosure_propose(
        actor=world.actor, audience="legislature", reason="hearing", agreement=world.agreement
    )
    disclosure_approve(actor=make_user("vic", "verifier"), disclosure=to_legislature)
    to_public = disclosure_propose(
        actor=world.actor, audience="public", reason="released", people=[world.person(0)]
    )
    disclosure_approve(actor=make_user("vera", "verifier"), disclosure=to_public)
    legislator = login("legislature")
    html = page(legislator.get("/agreements/deal/"))
    assert html.count(">not public</strong>") == 2  # persons 1 and 2; person 0 is public
    assert "2 names below are marked “not public”" in html
    assert "not public" in page(legislator.get(f"/people/{world.person(1).handle}/"))
    assert "not public" not in page(legislator.get(f"/people/{world.person(0).handle}/"))
    # The public sees no such mark (and no such name).
    public = page(Client().get("/agreements/deal/"))
    assert "not public</strong>" not in public and "Yoandri 1" not in public
