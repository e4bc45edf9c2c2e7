"""The staff agreement pages: members with names, progress now and as of a date,
the releasing side's figures against verified ones, and who may open them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone
from tests.oversight.kit import entries, page, release
from tests.support import World, at

from detente.evidence.models import ClaimKind
from detente.evidence.services import claim_record, source_create
from detente.registry.status import CustodyStatus


def url(world: World, query: str = "") -> str:
    return f"/staff/agreements/{world.agreement.slug}/{query}"


def test_the_list_shows_each_agreement_with_its_figures(
    world: World, login: Callable[..., Client]
) -> None:
    release(world, "embassy", 0, "2020-02-01")
    response = login("analyst").get("/staff/agreements/")
    assert response.status_code == 200
    html = page(response)
    assert "Test agreement" in html and url(world) in html
    [(_agreement, progress)] = response.context["rows"]
    assert (progress.promised, progress.confirmed) == (5, 1)


def test_staff_see_members_by_name_and_the_view_is_recorded(
    world: World, login: Callable[..., Client]
) -> None:
    client = login("analyst")
    response = client.get(url(world))
    assert response.status_code == 200
    html = page(response)
    for person in world.people:
        assert person.handle in html
    assert "Yoandri 0 Pérez" in html
    # Seeing names is an access to confidential data: it is in the ledger, by whom.
    [seen] = entries("agreement.members")
    assert seen["people"] == sorted(p.handle for p in world.people)
    assert seen["agreement"] == world.agreement.slug


def test_progress_separates_claimed_confirmed_and_conditional(
    world: World, login: Callable[..., Client]
) -> None:
    release(world, "gov", 0, "2020-02-01")  # the releasing side alone: reported
    release(world, "embassy", 1, "2020-02-02")  # independent, grade A: confirmed
    release(world, "embassy", 2, "2020-02-03", CustodyStatus.PAROLE)
    p = login("verifier").get(url(world)).context["p"]
    assert (p.reported, p.confirmed, p.confirmed_conditional, p.confirmed_unconditional) == (
        1,
        2,
        1,
        1,
    )
    assert (p.claimed, p.gap, p.held) == (3, 1, 0)


def test_the_releasing_sides_own_figure_is_set_against_the_confirmed_count(
    world: World, login: Callable[..., Client]
) -> None:
    release(world, "embassy", 0, "2020-02-01")
    claim_record(
        actor=world.actor,
        source=world.sources["gov"],
        kind=ClaimKind.AGGREGATE,
        agreement=world.agreement,
        released_count=5,
        event_date=dt.date(2020, 2, 5),
        received_at=at("2020-02-05"),
    )
    response = login("analyst").get(url(world))
    html = page(response)
    assert "latest figure for the whole agreement is 5 released" in html
    assert "1 are independently confirmed" in html
    assert response.context["p"].gap == 4
    assert "Releasing side" in html


def test_a_protected_source_of_a_figure_is_named_only_to_verifiers(
    world: World, login: Callable[..., Client]
) -> None:
    informant = source_create(
        actor=world.actor,
        slug="informant",
        name="Officer in prison X",
        kind="anonymous_official",
        reliability="C",
        independence_group="informant",
        protected=True,
    )
    claim_record(
        actor=world.actor,
        source=informant,
        kind=ClaimKind.AGGREGATE,
        agreement=world.agreement,
        released_count=2,
        event_date=dt.date(2020, 2, 5),
        received_at=at("2020-02-05"),
    )
    analyst = page(login("analyst").get(url(world)))
    assert "Officer in prison X" not in analyst and "protected source" in analyst
    assert "Officer in prison X" in page(login("verifier").get(url(world)))


def test_as_of_a_date_shows_what_was_known_then(world: World, login: Callable[..., Client]) -> None:
    release(world, "embassy", 0, "2020-02-01")
    client = login("analyst")
    before = client.get(url(world, "?as_of=2020-01-31"))
    after = client.get(url(world, "?as_of=2020-02-01"))
    assert before.status_code == after.status_code == 200
    assert before.context["p"].confirmed == 0 and after.context["p"].confirmed == 1
    assert "Progress as known at the end of" in page(before)
    assert client.get(url(world)).context["p"].confirmed == 1


@pytest.mark.parametrize("bad", ["31/01/2020", "2020-02-30", "yesterday", "2020-1-1x"])
def test_a_bad_as_of_date_is_a_clear_error_not_a_crash(
    world: World, login: Callable[..., Client], bad: str
) -> None:
    response = login("analyst").get(url(world, f"?as_of={bad}"))
    assert response.status_code == 400
    html = page(response)
    assert "Give the date as year-month-day, for example 2025-01-31." in html
    assert f'value="{bad}"' in html  # what was typed stays in the field
    assert response.context["as_of"] is None  # today's figures under the error
    assert "Progress today" in html


def test_a_future_as_of_date_is_refused(world: World, login: Callable[..., Client]) -> None:
    tomorrow = timezone.now().date() + dt.timedelta(days=1)
    response = login("analyst").get(url(world, f"?as_of={tomorrow.isoformat()}"))
    assert response.status_code == 400
    assert "is in the future" in page(response)


def test_the_bad_date_error_is_in_spanish_for_a_spanish_user(
    world: World, login: Callable[..., Client]
) -> None:
    response = login("analyst", language="es").get(url(world, "?as_of=ayer"))
    assert response.status_code == 400
    html = page(response)
    assert "Indique la fecha como año-mes-día, por ejemplo 2025-01-31." in html
    assert "Personas nombradas en el acuerdo" in html


def test_the_page_reports_who_can_see_the_names(world: World, login: Callable[..., Client]) -> None:
    response = login("analyst").get(url(world))
    legislature, public = response.context["audiences"]
    assert (legislature.audience, len(legislature.hidden)) == ("legislature", 3)
    assert (public.audience, len(public.visible)) == ("public", 0)


@pytest.mark.parametrize("role", ["legislature", "public"])
def test_non_staff_are_refused_even_for_a_public_agreement(
    world: World, login: Callable[..., Client], role: str
) -> None:
    from detente.access.services import agreement_set_audience

    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="public")
    client = login(role)
    assert client.get("/staff/agreements/").status_code == 403
    assert client.get(url(world)).status_code == 403
    assert not entries("agreement.members")


def test_a_missing_agreement_is_not_found(login: Callable[..., Client]) -> None:
    assert login("analyst").get("/staff/agreements/nothing-here/").status_code == 404
