"""Sources: listing, adding and regrading; protected sources stay hidden from analysts.

Adding is on /staff/sources/new/, regrading on each source's edit page (the other fields
and archiving: tests/oversight/test_setup_pages.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from tests.oversight.kit import entries, field_errors, page, release
from tests.support import World

from detente.evidence.models import Source
from detente.evidence.services import source_create

NEW = {
    "slug": "radio-marti",
    "name": "Radio bulletin",
    "kind": "press",
    "reliability": "C",
    "independence_group": "radio",
}
# The edit form of the world's "deal-ngo" source, as it is.
EDIT = {"name": "ngo", "kind": "ngo", "reliability": "B", "independence_group": "deal-ngo"}


@pytest.fixture
def informant(world: World) -> Source:
    return source_create(
        actor=world.actor,
        slug="informant",
        name="Officer in prison X",
        kind="anonymous_official",
        reliability="C",
        independence_group="informant",
        protected=True,
    )


def test_staff_see_the_sources(world: World, login: Callable[..., Client]) -> None:
    response = login("analyst").get("/staff/sources/")
    assert response.status_code == 200
    html = page(response)
    assert "/staff/sources/deal-embassy/" in html
    assert "Counterpart government or embassy" in html


def test_analysts_never_see_a_protected_source(
    world: World, informant: Source, login: Callable[..., Client]
) -> None:
    analyst = login("analyst")
    assert "Officer in prison X" not in page(analyst.get("/staff/sources/"))
    assert analyst.get("/staff/sources/informant/").status_code == 404
    verifier = login("verifier")
    assert "Officer in prison X" in page(verifier.get("/staff/sources/"))
    detail = page(verifier.get("/staff/sources/informant/"))
    assert "Officer in prison X" in detail and "Protected source" in detail


def test_the_detail_counts_the_sources_claims(world: World, login: Callable[..., Client]) -> None:
    release(world, "ngo", 0, "2020-02-01")
    release(world, "ngo", 1, "2020-02-01")
    response = login("analyst").get("/staff/sources/deal-ngo/")
    assert response.context["claims"] == 2
    assert response.context["may_manage"] is False  # analysts do not regrade
    assert "/staff/sources/deal-ngo/edit/" not in page(response)


def test_a_verifier_adds_a_source(world: World, login: Callable[..., Client]) -> None:
    response = login("verifier").post("/staff/sources/new/", NEW, follow=True)
    assert response.redirect_chain[-1][0] == "/staff/sources/radio-marti/"
    assert "Source “Radio bulletin” added." in page(response)
    source = Source.objects.get(slug="radio-marti")
    assert (source.reliability, source.protected) == ("C", False)
    assert entries("source.create")[-1]["slug"] == "radio-marti"


def test_bad_input_is_shown_on_the_field_and_what_was_typed_stays(
    world: World, login: Callable[..., Client]
) -> None:
    bad = {**NEW, "slug": "Not A Slug", "independence_group": "Radio Group"}
    response = login("verifier").post("/staff/sources/new/", bad)
    assert response.status_code == 200
    errors = field_errors(response)
    assert errors == {"slug": ["Use lower-case letters, digits and hyphens."]}
    html = page(response)
    assert 'value="Not A Slug"' in html and 'value="Radio bulletin"' in html
    assert "Nothing was saved" in html
    assert not Source.objects.filter(name="Radio bulletin").exists()


def test_a_duplicate_slug_is_refused_by_the_service_on_its_field(
    world: World, login: Callable[..., Client]
) -> None:
    response = login("verifier").post("/staff/sources/new/", {**NEW, "slug": "deal-ngo"})
    assert list(field_errors(response)) == ["slug"]
    assert "deal-ngo" in field_errors(response)["slug"][0]


def test_errors_come_in_spanish(world: World, login: Callable[..., Client]) -> None:
    response = login("verifier", language="es").post("/staff/sources/new/", {**NEW, "name": ""})
    assert field_errors(response) == {"name": ["Este campo es obligatorio."]}
    assert "No se ha guardado nada" in page(response)


def test_an_analyst_cannot_add_or_regrade(world: World, login: Callable[..., Client]) -> None:
    analyst = login("analyst")
    assert analyst.post("/staff/sources/new/", NEW).status_code == 403
    regrade = {**EDIT, "reliability": "A"}
    assert analyst.post("/staff/sources/deal-ngo/edit/", regrade).status_code == 403
    assert not Source.objects.filter(slug="radio-marti").exists()
    assert Source.objects.get(slug="deal-ngo").reliability == "B"


def test_a_verifier_regrades_and_member_states_follow(
    world: World, login: Callable[..., Client]
) -> None:
    release(world, "ngo", 0, "2020-02-01")  # grade B, independent: confirmed
    client = login("verifier")
    assert client.get("/staff/agreements/deal/").context["p"].confirmed == 1
    response = client.post("/staff/sources/deal-ngo/edit/", {**EDIT, "reliability": "D"})
    assert response.status_code == 302
    assert Source.objects.get(slug="deal-ngo").reliability == "D"
    assert client.get("/staff/agreements/deal/").context["p"].confirmed == 0
    assert entries("source.regrade")[-1]["after"] == ["D", "deal-ngo"]


def test_a_bad_regrade_changes_nothing(world: World, login: Callable[..., Client]) -> None:
    response = login("verifier").post(
        "/staff/sources/deal-ngo/edit/",
        {**EDIT, "reliability": "A", "independence_group": "Not valid"},
    )
    assert list(field_errors(response)) == ["independence_group"]
    assert 'value="Not valid"' in page(response)
    assert Source.objects.get(slug="deal-ngo").reliability == "B"
    assert not entries("source.regrade")


@pytest.mark.parametrize("role", ["legislature", "public"])
def test_non_staff_are_refused(world: World, login: Callable[..., Client], role: str) -> None:
    client = login(role)
    assert client.get("/staff/sources/").status_code == 403
    assert client.get("/staff/sources/deal-ngo/").status_code == 403
    assert client.post("/staff/sources/new/", NEW).status_code == 403
