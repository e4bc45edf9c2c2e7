"""Setting up from the staff pages: parties, sources and agreements are created, edited,
archived and restored through the services; refusals come back on their fields with
nothing written; only verifiers and administrators may do any of it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.oversight.kit import entries, field_errors, page
from tests.support import World

from detente.agreements.models import Agreement, Party
from detente.audit.models import AuditEntry
from detente.evidence.models import Source

PARTY = {
    "slug": "ve-government",
    "name": "Government of Venezuela",
    "kind": "government",
    "independence_group": "ve-government",
}
SOURCE = {
    "slug": "radio-marti",
    "name": "Radio bulletin",
    "kind": "press",
    "reliability": "C",
    "independence_group": "radio",
}
AGREEMENT = {
    "slug": "deal-2",
    "title": "Second release",
    "title_es": "Segunda excarcelación",
    "description": "Announced by both foreign ministries.",
    "description_es": "Anunciada por ambas cancillerías.",
    "promisor": "deal-gov",
    "promisee": "deal-other",
    "announced_on": "2021-03-04",
    "promise": "exact",
    "promised_count": "53",
    "expected_release": "",
}


@pytest.fixture
def verifier(login: Callable[..., Client]) -> Client:
    return login("verifier")


@pytest.fixture
def mediator(world: World) -> Party:
    from detente.agreements.services import party_create

    return party_create(
        actor=world.actor,
        slug="vatican",
        name="Holy See",
        kind="mediator",
        independence_group="vatican",
    )


def ledger_size() -> int:
    return AuditEntry.objects.count()


def choices(response: Any, field: str) -> list[str]:
    """The values a select or checkbox field of the page's form offers."""
    return [str(value) for value, _label in response.context["form"].fields[field].choices if value]


# --- Parties --------------------------------------------------------------------------------


def test_a_verifier_creates_a_party_and_sees_it_listed(world: World, verifier: Client) -> None:
    response = verifier.post("/staff/parties/new/", PARTY, follow=True)
    assert response.redirect_chain[-1][0] == "/staff/parties/"
    assert "Party “Government of Venezuela” created." in page(response)
    party = Party.objects.get(slug="ve-government")
    assert (party.name, party.kind, party.independence_group) == (
        "Government of Venezuela",
        "government",
        "ve-government",
    )
    assert party in response.context["parties"]
    assert "/staff/parties/ve-government/edit/" in page(response)
    assert entries("party.create")[-1]["slug"] == "ve-government"


def test_a_verifier_edits_a_party(world: World, verifier: Client) -> None:
    edit = verifier.get("/staff/parties/deal-gov/edit/")
    assert edit.status_code == 200
    assert 'value="Releasing"' in page(edit)
    assert "slug" not in edit.context["form"].fields  # a slug is for good
    response = verifier.post(
        "/staff/parties/deal-gov/edit/",
        {"name": "Government of Cuba", "kind": "government", "independence_group": "deal-gov"},
    )
    assert response.status_code == 302
    assert Party.objects.get(slug="deal-gov").name == "Government of Cuba"
    assert entries("party.edit")[-1]["after"]["name"] == "Government of Cuba"


def test_a_party_edit_that_would_join_both_sides_is_refused_on_its_field(
    world: World, verifier: Client
) -> None:
    before = ledger_size()
    response = verifier.post(
        "/staff/parties/deal-gov/edit/",
        {"name": "Releasing", "kind": "government", "independence_group": "deal-other"},
    )
    assert response.status_code == 200
    assert list(field_errors(response)) == ["independence_group"]
    assert (
        "both parties in one independence group" in field_errors(response)["independence_group"][0]
    )
    assert Party.objects.get(slug="deal-gov").independence_group == "deal-gov"
    assert ledger_size() == before


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"slug": "deal-gov"}, "slug", "A party with the slug “deal-gov” exists."),
        ({"slug": "Not A Slug"}, "slug", "Use lower-case letters, digits and hyphens."),
        ({"slug": "new"}, "slug", "the page that creates one"),
        ({"name": ""}, "name", "This field is required."),
        ({"independence_group": "Two words"}, "independence_group", "lower-case"),
    ],
)
def test_a_bad_party_is_refused_on_its_field(
    world: World, verifier: Client, change: dict[str, str], field: str, message: str
) -> None:
    before = (Party.objects.count(), ledger_size())
    response = verifier.post("/staff/parties/new/", {**PARTY, **change})
    assert response.status_code == 200
    errors = field_errors(response)
    assert list(errors) == [field]
    assert message in errors[field][0]
    html = page(response)
    assert "Nothing was saved" in html and f'href="#id_{field}"' in html
    assert f'id="id_{field}_error"' in html  # next to the field too
    assert (Party.objects.count(), ledger_size()) == before


def test_archiving_a_party_hides_it_from_the_agreement_form_and_restoring_it_back(
    world: World, verifier: Client, mediator: Party
) -> None:
    assert "vatican" in choices(verifier.get("/staff/agreements/new/"), "mediators")
    response = verifier.post("/staff/parties/vatican/archive/", {"op": "archive"}, follow=True)
    assert response.redirect_chain[-1][0] == "/staff/parties/vatican/edit/"
    assert Party.objects.get(slug="vatican").archived_at is not None
    assert 'value="restore"' in page(response)
    listed = verifier.get("/staff/parties/")
    assert mediator not in listed.context["parties"] and mediator in listed.context["archived"]
    form = verifier.get("/staff/agreements/new/")
    for field in ("promisor", "promisee", "mediators"):
        assert "vatican" not in choices(form, field)
    # Chosen anyway (an old form): refused on the field, nothing written.
    response = verifier.post("/staff/agreements/new/", {**AGREEMENT, "mediators": ["vatican"]})
    assert list(field_errors(response)) == ["mediators"]
    assert 'href="#id_mediators_error"' in page(response)  # a group of boxes: its message
    assert not Agreement.objects.filter(slug="deal-2").exists()

    verifier.post("/staff/parties/vatican/archive/", {"op": "restore"})
    assert Party.objects.get(slug="vatican").archived_at is None
    assert "vatican" in choices(verifier.get("/staff/agreements/new/"), "mediators")
    assert entries("party.archive") and entries("party.restore")


def test_an_agreement_keeps_offering_its_own_archived_party_when_edited(
    world: World, verifier: Client
) -> None:
    verifier.post("/staff/parties/deal-other/archive/", {"op": "archive"})
    edit = verifier.get("/staff/agreements/deal/edit/")
    assert "deal-other" in choices(edit, "promisee")
    assert "Counterpart (deal-other) (archived)" in page(edit)
    assert "deal-other" not in choices(verifier.get("/staff/agreements/new/"), "promisee")


# --- Sources --------------------------------------------------------------------------------


def test_a_verifier_creates_a_source_from_the_list(world: World, verifier: Client) -> None:
    listing = page(verifier.get("/staff/sources/"))
    assert 'href="/staff/sources/new/"' in listing
    response = verifier.post("/staff/sources/new/", {**SOURCE, "protected": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == "/staff/sources/radio-marti/"
    source = Source.objects.get(slug="radio-marti")
    assert (source.kind, source.reliability, source.protected) == ("press", "C", True)
    assert source in verifier.get("/staff/sources/").context["page"].object_list


def test_a_verifier_edits_every_field_of_a_source(world: World, verifier: Client) -> None:
    edit = verifier.get("/staff/sources/deal-ngo/edit/")
    assert edit.status_code == 200 and 'value="deal-ngo"' in page(edit)
    response = verifier.post(
        "/staff/sources/deal-ngo/edit/",
        {
            "name": "Human rights observatory",
            "kind": "lawyer",
            "reliability": "A",
            "independence_group": "observatory",
            "protected": "on",
        },
    )
    assert response.status_code == 302
    source = Source.objects.get(slug="deal-ngo")
    assert (
        source.name,
        source.kind,
        source.reliability,
        source.independence_group,
        source.protected,
    ) == ("Human rights observatory", "lawyer", "A", "observatory", True)
    assert entries("source.edit") and entries("source.regrade")


def test_archiving_a_source_hides_it_from_the_claim_form(world: World, verifier: Client) -> None:
    claim_form = f"/staff/people/{world.person().handle}/claims/new/"
    assert "deal-ngo" in [
        s.slug for s in verifier.get(claim_form).context["form"].fields["source"].queryset
    ]
    response = verifier.post("/staff/sources/deal-ngo/archive/", {"op": "archive"}, follow=True)
    assert response.redirect_chain[-1][0] == "/staff/sources/deal-ngo/edit/"
    offered = verifier.get(claim_form).context["form"].fields["source"].queryset
    assert "deal-ngo" not in [s.slug for s in offered]
    listing = verifier.get("/staff/sources/")
    archived = Source.objects.get(slug="deal-ngo")
    assert archived not in listing.context["page"].object_list
    assert archived in listing.context["archived"]
    assert "Archived on" in page(verifier.get("/staff/sources/deal-ngo/"))
    verifier.post("/staff/sources/deal-ngo/archive/", {"op": "restore"})
    offered = verifier.get(claim_form).context["form"].fields["source"].queryset
    assert "deal-ngo" in [s.slug for s in offered]


def test_an_unknown_archive_operation_is_a_bad_request(world: World, verifier: Client) -> None:
    assert verifier.post("/staff/sources/deal-ngo/archive/", {"op": "x"}).status_code == 400
    assert Source.objects.get(slug="deal-ngo").archived_at is None


# --- Agreements -----------------------------------------------------------------------------


def test_a_verifier_records_an_agreement_and_sees_it_listed(
    world: World, verifier: Client, mediator: Party
) -> None:
    listing = page(verifier.get("/staff/agreements/"))
    assert 'href="/staff/agreements/new/"' in listing
    form = verifier.get("/staff/agreements/new/")
    assert 'type="date"' in page(form)
    data = {**AGREEMENT, "mediators": ["vatican"], "expected_release": "exiled"}
    response = verifier.post("/staff/agreements/new/", data, follow=True)
    assert response.redirect_chain[-1][0] == "/staff/agreements/deal-2/"
    assert "Agreement “Second release” recorded." in page(response)
    agreement = Agreement.objects.get(slug="deal-2")
    assert agreement.title_es == "Segunda excarcelación"
    assert agreement.description_es == "Anunciada por ambas cancillerías."
    assert (agreement.promisor.slug, agreement.promisee.slug) == ("deal-gov", "deal-other")
    assert [p.slug for p in agreement.mediators.all()] == ["vatican"]
    assert agreement.announced_on == dt.date(2021, 3, 4)
    assert (agreement.promised_count, agreement.promised_approximate) == (53, False)
    assert agreement.expected_release == "exiled"
    rows = verifier.get("/staff/agreements/").context["rows"]
    assert "deal-2" in [a.slug for a, _p in rows]
    assert entries("agreement.create")[-1]["mediators"] == ["vatican"]


@pytest.mark.parametrize(
    ("promise", "count", "stored"),
    [("about", "900", (900, True)), ("none", "", (None, False)), ("exact", "0", (0, False))],
)
def test_the_three_kinds_of_promise(
    world: World, verifier: Client, promise: str, count: str, stored: tuple[Any, bool]
) -> None:
    data = {**AGREEMENT, "promise": promise, "promised_count": count}
    assert verifier.post("/staff/agreements/new/", data).status_code == 302
    agreement = Agreement.objects.get(slug="deal-2")
    assert (agreement.promised_count, agreement.promised_approximate) == stored
    # The edit form shows the promise as it was recorded.
    edit = verifier.get("/staff/agreements/deal-2/edit/")
    assert edit.context["form"]["promise"].value() == promise


def tomorrow() -> str:
    return (timezone.now().date() + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"slug": "deal"}, "slug", "An agreement with the slug “deal” exists."),
        ({"slug": "new"}, "slug", "the page that creates one"),
        ({"promisee": "deal-gov"}, "promisee", "An agreement needs two different parties."),
        ({"announced_on": "tomorrow"}, "announced_on", "The announcement date is in the future."),
        ({"announced_on": "04/03/2021"}, "announced_on", "year-month-day"),
        ({"promised_count": "-5"}, "promised_count", "The promised count cannot be negative."),
        (
            {"promise": "about", "promised_count": ""},
            "promised_count",
            "Give the number promised",
        ),
        ({"promise": "exact", "promised_count": ""}, "promised_count", "Give the number"),
        ({"promise": "none", "promised_count": "12"}, "promised_count", "leave the number empty"),
        ({"title": ""}, "title", "This field is required."),
        ({"promisor": ""}, "promisor", "This field is required."),
    ],
)
def test_a_bad_agreement_is_refused_on_its_field_and_nothing_is_written(
    world: World, verifier: Client, change: dict[str, str], field: str, message: str
) -> None:
    if change.get("announced_on") == "tomorrow":
        change = {**change, "announced_on": tomorrow()}
    before = (Agreement.objects.count(), ledger_size())
    response = verifier.post("/staff/agreements/new/", {**AGREEMENT, **change})
    assert response.status_code == 200
    errors = field_errors(response)
    assert list(errors) == [field], errors
    assert message in errors[field][0]
    html = page(response)
    assert "Nothing was saved" in html and f'id="id_{field}_error"' in html
    assert "Anunciada por ambas cancillerías." in html  # what was typed stays
    assert (Agreement.objects.count(), ledger_size()) == before


def test_a_verifier_corrects_an_agreement(world: World, verifier: Client) -> None:
    edit = verifier.get("/staff/agreements/deal/edit/")
    assert edit.status_code == 200
    html = page(edit)
    assert 'value="2020-01-10"' in html and 'value="Test agreement"' in html
    assert "slug" not in edit.context["form"].fields
    data = {
        **{k: v for k, v in AGREEMENT.items() if k != "slug"},
        "title": "Test agreement, corrected",
        "announced_on": "2020-01-12",
        "promise": "about",
        "promised_count": "40",
    }
    response = verifier.post("/staff/agreements/deal/edit/", data, follow=True)
    assert response.redirect_chain[-1][0] == "/staff/agreements/deal/"
    agreement = Agreement.objects.get(slug="deal")
    assert agreement.title == "Test agreement, corrected"
    assert agreement.announced_on == dt.date(2020, 1, 12)
    assert (agreement.promised_count, agreement.promised_approximate) == (40, True)
    changed = entries("agreement.edit")[-1]["changed"]
    assert {"title", "announced_on", "promised_count", "promised_approximate"} <= set(changed)


def test_a_refused_correction_changes_nothing(world: World, verifier: Client) -> None:
    before = ledger_size()
    data = {
        **{k: v for k, v in AGREEMENT.items() if k != "slug"},
        "title": "Changed title",
        "announced_on": "2020-01-20",  # people were named on 2020-01-15
    }
    response = verifier.post("/staff/agreements/deal/edit/", data)
    assert response.status_code == 200
    assert list(field_errors(response)) == ["announced_on"]
    assert "15 Jan 2020" in field_errors(response)["announced_on"][0]
    agreement = Agreement.objects.get(slug="deal")
    assert (agreement.title, agreement.announced_on) == ("Test agreement", dt.date(2020, 1, 10))
    assert ledger_size() == before


def test_archiving_an_agreement_moves_it_apart_and_out_of_the_claim_form(
    world: World, verifier: Client
) -> None:
    claim_form = f"/staff/people/{world.person().handle}/claims/new/"

    def offered() -> list[str]:
        form = verifier.get(claim_form).context["form"]
        return [a.slug for a in form.fields["agreement"].queryset]

    assert offered() == ["deal"]
    response = verifier.post("/staff/agreements/deal/archive/", {"op": "archive"}, follow=True)
    assert response.redirect_chain[-1][0] == "/staff/agreements/deal/edit/"
    listing = verifier.get("/staff/agreements/")
    assert listing.context["rows"] == []
    assert [a.slug for a, _p in listing.context["archived_rows"]] == ["deal"]
    assert "Archived on" in page(verifier.get("/staff/agreements/deal/"))
    assert offered() == []
    verifier.post("/staff/agreements/deal/archive/", {"op": "restore"})
    assert Agreement.objects.get(slug="deal").archived_at is None
    assert offered() == ["deal"]
    assert entries("agreement.archive") and entries("agreement.restore")


def test_with_fewer_than_two_parties_the_form_says_to_record_one(
    db: Any, login: Callable[..., Client]
) -> None:
    html = page(login("administrator").get("/staff/agreements/new/"))
    assert "An agreement needs two parties" in html
    assert 'href="/staff/parties/new/"' in html


# --- Who may ----------------------------------------------------------------------------------


def test_an_analyst_sees_the_lists_but_no_forms_or_buttons(
    world: World, login: Callable[..., Client]
) -> None:
    analyst = login("analyst")
    for url, link in (
        ("/staff/parties/", "/staff/parties/new/"),
        ("/staff/sources/", "/staff/sources/new/"),
        ("/staff/agreements/", "/staff/agreements/new/"),
        ("/staff/agreements/deal/", "/staff/agreements/deal/edit/"),
        ("/staff/sources/deal-ngo/", "/staff/sources/deal-ngo/edit/"),
    ):
        response = analyst.get(url)
        assert response.status_code == 200, url
        assert link not in page(response), url
    assert "/staff/parties/deal-gov/edit/" not in page(analyst.get("/staff/parties/"))
    for url in (
        "/staff/parties/new/",
        "/staff/parties/deal-gov/edit/",
        "/staff/sources/new/",
        "/staff/sources/deal-ngo/edit/",
        "/staff/agreements/new/",
        "/staff/agreements/deal/edit/",
    ):
        assert analyst.get(url).status_code == 403, url


def test_an_analyst_cannot_post(world: World, login: Callable[..., Client]) -> None:
    analyst = login("analyst")
    before = ledger_size()
    posts = (
        ("/staff/parties/new/", PARTY),
        ("/staff/parties/deal-gov/edit/", {**PARTY, "name": "Changed"}),
        ("/staff/parties/deal-gov/archive/", {"op": "archive"}),
        ("/staff/sources/new/", SOURCE),
        ("/staff/sources/deal-ngo/edit/", {**SOURCE, "name": "Changed"}),
        ("/staff/sources/deal-ngo/archive/", {"op": "archive"}),
        ("/staff/agreements/new/", AGREEMENT),
        ("/staff/agreements/deal/edit/", {**AGREEMENT, "title": "Changed"}),
        ("/staff/agreements/deal/archive/", {"op": "archive"}),
    )
    for url, data in posts:
        assert analyst.post(url, data).status_code == 403, url
    assert ledger_size() == before
    assert not Party.objects.filter(slug="ve-government").exists()
    assert not Source.objects.filter(slug="radio-marti").exists()
    assert not Agreement.objects.filter(slug="deal-2").exists()
    assert Party.objects.get(slug="deal-gov").name == "Releasing"
    assert Agreement.objects.get(slug="deal").title == "Test agreement"
    for model in (Party, Source, Agreement):
        assert not model.objects.filter(archived_at__isnull=False).exists()


@pytest.mark.parametrize("role", ["legislature", "public"])
def test_non_staff_are_refused(world: World, login: Callable[..., Client], role: str) -> None:
    client = login(role)
    assert client.get("/staff/parties/").status_code == 403
    assert client.post("/staff/parties/new/", PARTY).status_code == 403
    assert not Party.objects.filter(slug="ve-government").exists()


def test_anonymous_visitors_are_sent_to_sign_in(world: World) -> None:
    response = Client().post("/staff/agreements/new/", AGREEMENT)
    assert response.status_code == 302 and "login" in response["Location"]


# --- In Spanish --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/staff/parties/",
        "/staff/parties/new/",
        "/staff/parties/deal-gov/edit/",
        "/staff/sources/new/",
        "/staff/sources/deal-ngo/edit/",
        "/staff/agreements/new/",
        "/staff/agreements/deal/edit/",
    ],
)
def test_every_page_opens_in_spanish(world: World, login: Callable[..., Client], url: str) -> None:
    response = login("administrator", language="es").get(url)
    assert response.status_code == 200
    assert '<html lang="es">' in page(response)


def test_refusals_come_in_spanish(world: World, login: Callable[..., Client]) -> None:
    client = login("verifier", language="es")
    response = client.post("/staff/agreements/new/", {**AGREEMENT, "title": ""})
    assert field_errors(response) == {"title": ["Este campo es obligatorio."]}
    assert "No se ha guardado nada" in page(response)


def test_a_verifier_links_the_other_leg_of_an_exchange(world: World, verifier: Client) -> None:
    from detente.agreements.services import agreement_create

    other = agreement_create(
        actor=world.actor,
        slug="other-leg",
        title="The other side releases",
        promisor=world.counterpart,
        promisee=world.releasing,
        announced_on=dt.date(2020, 1, 10),
        promised_count=2,
    )
    edit = verifier.get("/staff/agreements/deal/edit/")
    # Only agreements running the other way are offered.
    assert choices(edit, "exchange_legs") == ["other-leg"]
    data = {
        **{k: v for k, v in AGREEMENT.items() if k != "slug"},
        "announced_on": "2020-01-10",  # as recorded: people were named on 2020-01-15
        "exchange_legs": ["other-leg"],
    }
    response = verifier.post("/staff/agreements/deal/edit/", data, follow=True)
    assert response.redirect_chain[-1][0] == "/staff/agreements/deal/"
    assert list(Agreement.objects.get(slug="deal").exchange_legs.all()) == [other]
    # Each leg's page shows the other.
    assert 'href="/staff/agreements/deal/"' in page(verifier.get("/staff/agreements/other-leg/"))
    assert "The other side of the exchange" in page(response)
