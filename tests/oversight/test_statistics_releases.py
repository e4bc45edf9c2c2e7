"""The staff statistics page: the draft with what stops it, proposing a release, and a
second person deciding it (issue 13, point 1)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import User
from django.test import Client
from tests.oversight.kit import entries, field_errors, page
from tests.support import World, build_world, set_identity

from detente.access.models import StatisticsRelease
from detente.access.services import agreement_set_audience


def _public(world: World) -> None:
    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="public")
    set_identity(world.people, province="Holguín", division="")


def test_propose_on_the_page_then_a_second_person_approves(
    world: World, login: Callable[..., Client]
) -> None:
    _public(world)
    analyst = login("analyst")
    shown = page(analyst.get("/staff/statistics/"))
    assert "A release counted now" in shown and "3 people named" in shown
    assert "Nothing has been released yet" in shown
    empty = analyst.post("/staff/statistics/", {"reason": ""})
    assert empty.status_code == 200 and "reason" in field_errors(empty)
    assert not StatisticsRelease.objects.exists()
    response = analyst.post("/staff/statistics/", {"reason": "Quarterly."}, follow=True)
    release = StatisticsRelease.objects.get()
    assert response.redirect_chain[-1][0] == f"/staff/statistics/{release.pk}/"
    assert "Nothing is published until a different verifier" in page(response)
    # The analyst may not decide; a verifier may; the public page then shows the release.
    assert (
        analyst.post(f"/staff/statistics/{release.pk}/", {"decision": "approve"}).status_code == 403
    )
    verifier = login("verifier")
    decided = verifier.post(
        f"/staff/statistics/{release.pk}/", {"decision": "approve", "note": ""}, follow=True
    )
    assert "the public statistics now show it" in page(decided)
    assert StatisticsRelease.objects.get().status == "approved"
    assert entries("statistics.approve")[0]["people"] == 3
    assert f"Release #{release.pk}" in page(Client().get("/statistics/"))
    assert "nothing new to publish" in page(analyst.get("/staff/statistics/"))


def test_the_page_says_why_a_release_would_point_at_someone(
    actor: User, login: Callable[..., Client]
) -> None:
    world = build_world(actor, members=20)  # ten in Holguín, ten in La Habana: shown
    _public(world)
    set_identity(world.people[10:], province="La Habana")
    verifier, other = login("verifier"), login("administrator")
    verifier.post("/staff/statistics/", {"reason": "First."})
    other.post(f"/staff/statistics/{StatisticsRelease.objects.get().pk}/", {"decision": "approve"})
    assert StatisticsRelease.objects.get().status == "approved"
    set_identity(world.person(0), province="Granma", division="")
    shown = page(verifier.get("/staff/statistics/"))
    assert "Not publishable yet" in shown and "Granma" in shown
    refused = verifier.post("/staff/statistics/", {"reason": "Second."})
    assert refused.status_code == 200 and "single people out" in page(refused)
    assert StatisticsRelease.objects.count() == 1


def test_in_spanish(world: World, login: Callable[..., Client]) -> None:
    _public(world)
    shown = page(login("analyst", language="es").get("/staff/statistics/"))
    assert "Publicaciones de estadísticas" in shown


def test_the_release_page_for_other_roles(world: World, login: Callable[..., Client]) -> None:
    _public(world)
    login("analyst").post("/staff/statistics/", {"reason": "x"})
    pk = StatisticsRelease.objects.get().pk
    assert login("legislature").get(f"/staff/statistics/{pk}/").status_code == 403
    assert login("analyst").get(f"/staff/statistics/{pk + 1}/").status_code == 404
