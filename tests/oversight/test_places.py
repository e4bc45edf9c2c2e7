"""Any country: people and agreements carry an ISO 3166 country and a first-level division
(ISO 3166-2, through pycountry), named in English or Spanish; the Cuban provinces are one
case of it. Set from the staff pages, the CLI and the API; bad codes are refused on their
field with nothing written."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from tests.api.test_setup_api import api_for
from tests.publishing.releasing import release
from tests.support import World, people_named

from detente.access.policy import Role
from detente.access.services import agreement_set_audience
from detente.agreements.models import Agreement
from detente.audit.models import AuditEntry
from detente.core.places import country_name, division_name
from detente.publishing import statistics
from detente.registry.models import Identity, Person
from detente.registry.services import PersonFields, people_create_bulk, person_create


def test_a_person_is_in_the_registrys_country_and_their_province_read_as_a_division(
    actor: Any,
) -> None:
    person = person_create(actor=actor, given_names="Ana", province="Stgo. de Cuba")
    assert (person.identity.country, person.identity.division) == ("CU", "CU-13")
    assert person.identity.province == "Stgo. de Cuba"  # kept as written
    abroad = person_create(actor=actor, given_names="Luis", country="ni", division="NI-MN")
    assert (abroad.identity.country, abroad.identity.division) == ("NI", "NI-MN")
    # Words that name no division (a town, or the old Havana province) give none.
    unsure = person_create(actor=actor, given_names="Eva", province="Provincia Habana")
    assert unsure.identity.division == ""


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "Cuba"}, "country"),
        ({"country": "NI", "division": "CU-13"}, "division"),
        ({"division": "CU-13-A"}, "division"),
    ],
)
def test_bad_places_are_refused_on_their_field(
    actor: Any, changes: dict[str, str], field: str
) -> None:
    before = (Person.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as refused:
        person_create(actor=actor, given_names="Ana", **changes)
    assert field in refused.value.message_dict
    assert (Person.objects.count(), AuditEntry.objects.count()) == before


def test_a_list_import_reads_divisions_the_same_way(actor: Any) -> None:
    with transaction.atomic():
        made = people_create_bulk(
            actor=actor,
            people=[
                PersonFields(given_names="Ana", province="Holg."),
                PersonFields(given_names="Luis", country="VE", province="Zulia"),
            ],
        )
    places = [
        (p.identity.country, p.identity.division)
        for p in Person.objects.filter(pk__in=[m.pk for m in made]).order_by("pk")
    ]
    assert places == [("CU", "CU-11"), ("VE", "VE-V")]


def test_names_come_in_the_readers_language() -> None:
    from django.utils import translation

    assert (country_name("US"), division_name("US-HI")) == ("United States", "Hawaii")
    with translation.override("es"):
        assert (country_name("US"), division_name("US-HI")) == ("Estados Unidos", "Hawái")
        assert division_name("CU-09") == "Camagüey"


# --- Agreements ------------------------------------------------------------------------------


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_an_agreement_is_set_in_a_country_from_the_command_line(world: World) -> None:
    _run(
        "agreement", "create", "managua-2026", "--title", "Releases in Managua",
        "--releasing", world.releasing.slug, "--counterpart", world.counterpart.slug,
        "--announced", "2026-01-10", "--promised", "unknown",
        "--country", "NI", "--division", "NI-MN",
    )  # fmt: skip
    made = Agreement.objects.get(slug="managua-2026")
    assert (made.country, made.division) == ("NI", "NI-MN")
    assert Agreement.objects.get(slug="deal").country == "CU"  # the registry's, by default
    # A division of another country is refused, naming the option; nothing changes.
    with pytest.raises(CommandError, match=r"--division:.*not a first-level division"):
        _run("agreement", "edit", "managua-2026", "--country", "VE")
    made.refresh_from_db()
    assert (made.country, made.division) == ("NI", "NI-MN")
    _run("agreement", "edit", "managua-2026", "--country", "VE", "--division", "")
    made.refresh_from_db()
    assert (made.country, made.division) == ("VE", "")
    with pytest.raises(CommandError, match="--country:"):
        _run("agreement", "edit", "managua-2026", "--country", "ZZ")


def test_the_api_sets_and_shows_an_agreements_country(world: World) -> None:
    api = api_for("vera", Role.VERIFIER, "write")
    answer = api.patch("/agreements/deal", {"country": "VE", "division": "VE-V"})
    assert answer.status_code == 200, answer.content
    assert (answer.json()["country"], answer.json()["division"]) == ("VE", "VE-V")
    refused = api.patch("/agreements/deal", {"division": "CU-13"})
    assert refused.status_code == 422 and "division" in refused.content.decode()
    assert Agreement.objects.get(slug="deal").division == "VE-V"


def test_the_staff_agreement_form_offers_the_countrys_divisions(
    world: World, login: Callable[..., Client]
) -> None:
    client = login(Role.VERIFIER)
    html = client.get("/staff/agreements/deal/edit/").content.decode()
    assert '<option value="CU" selected>Cuba</option>' in html
    assert '<option value="CU-13">Santiago de Cuba</option>' in html
    options = client.post("/staff/places/divisions/", {"country": "NI", "for": "agreement"})
    text = options.content.decode()
    assert "The whole country" in text and '<option value="NI-MN">Managua</option>' in text
    assert "Santiago de Cuba" not in text


# --- People on the staff pages, the API and the public statistics ----------------------------


def test_the_staff_person_form_records_a_country_and_division(
    world: World, login: Callable[..., Client]
) -> None:
    client = login(Role.ANALYST)
    form = client.get("/staff/people/new/").content.decode()
    assert '<option value="CU" selected>Cuba</option>' in form
    answer = client.post(
        "/staff/people/new/",
        {
            "given_names": "Yadira",
            "paternal_surname": "Lugo",
            "sex": "F",
            "birth_precision": "day",
            "country": "NI",
            "division": "NI-MN",
            "province": "Mga.",
            "different_person": "on",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    person = people_named(paternal_surname="Lugo")[0]
    assert (person.identity.country, person.identity.division) == ("NI", "NI-MN")
    page = client.get(f"/staff/people/{person.handle}/", HTTP_ACCEPT_LANGUAGE="es")
    text = page.content.decode()
    assert "Managua, Nicaragua" in text and "escrito «Mga.»" in text
    bad = client.post(
        "/staff/people/new/",
        {"given_names": "Otra", "sex": "F", "birth_precision": "day", "country": "NI",
         "division": "CU-13", "different_person": "on"},
    )  # fmt: skip
    assert bad.status_code == 200 and "division" in bad.context["form"].errors


def test_the_api_shows_a_persons_country_and_division(world: World) -> None:
    Identity.objects.filter(person=world.person(0)).update(division="CU-11")
    api = api_for("vera", Role.VERIFIER, "read")
    identity = api.get(f"/people/{world.person(0).handle}").json()["identity"]
    assert (identity["country"], identity["division"]) == ("CU", "CU-11")


def test_public_statistics_rows_in_spanish_with_a_second_country(
    world: World, settings: Any
) -> None:
    settings.DETENTE_STATISTICS_COUNTRIES = ["US"]
    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="public")
    Identity.objects.filter(person=world.person(0)).update(country="US", division="US-HI")
    assert "United States: Hawaii" in statistics.provinces()
    counted = [row for row, _year in statistics._population()]
    assert "United States: Hawaii" in counted
    release()
    page = Client(HTTP_ACCEPT_LANGUAGE="es").get("/statistics/").content.decode()
    assert "Estados Unidos: Hawái" in page and "Camagüey" in page


def test_the_status_json_of_an_agreement_is_unchanged_by_its_country(world: World) -> None:
    before = json.loads(_run("agreement", "status", "deal", "--json"))
    api = api_for("vera", Role.VERIFIER, "write")
    assert api.patch("/agreements/deal", {"country": "VE"}).status_code == 200
    assert json.loads(_run("agreement", "status", "deal", "--json")) == before
    assert dt.date.fromisoformat(before["milestones"][0]["date"]) == dt.date(2020, 1, 10)


# --- The policy: how statuses count under an agreement, set everywhere --------------------


def test_the_staff_policy_form_sets_how_statuses_count(
    world: World, login: Callable[..., Client]
) -> None:
    client = login(Role.VERIFIER)
    form = client.get("/staff/agreements/deal/edit/").content.decode()
    assert 'name="count_house_arrest"' in form and "As usual (Held)" in form
    policy = {
        "confirm_min_grade": "B",
        "dispute_min_grade": "C",
        "audience": world.agreement.audience,
        "count_house_arrest": "conditional",
        "count_exiled": "released",  # the usual: no override
    }
    answer = client.post("/staff/agreements/deal/policy/", policy, follow=True)
    assert "House arrest counts as Released on conditions" in answer.content.decode()
    assert Agreement.objects.get(slug="deal").status_overrides == {"house_arrest": "conditional"}
    form = client.get("/staff/agreements/deal/edit/").content.decode()
    assert '<option value="conditional" selected>' in form
    ledger = AuditEntry.objects.count()
    bad = client.post("/staff/agreements/deal/policy/", {**policy, "count_parole": "free"})
    assert bad.status_code == 200 and "count_parole" in bad.context["policy_form"].errors
    assert AuditEntry.objects.count() == ledger
    client.post("/staff/agreements/deal/policy/", {**policy, "count_house_arrest": ""})
    assert Agreement.objects.get(slug="deal").status_overrides == {}


def test_the_command_and_the_api_set_the_policy(world: World) -> None:
    said = _run("agreement", "policy", "deal", "--count", "house_arrest=conditional")
    assert "house_arrest=conditional" in said
    assert Agreement.objects.get(slug="deal").status_overrides == {"house_arrest": "conditional"}
    with pytest.raises(CommandError, match="--count:"):
        _run("agreement", "policy", "deal", "--count", "detained=released")
    assert _run("agreement", "policy", "deal", "--count", "house_arrest=conditional").startswith(
        "Nothing changed"
    )
    api = api_for("vera", Role.VERIFIER, "write")
    answer = api.post(
        "/agreements/deal/policy",
        {"confirm_min_grade": "A", "dispute_min_grade": "C", "status_overrides": {}},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["policy"] == {
        "confirm_min_grade": "A",
        "dispute_min_grade": "C",
        "status_overrides": {},
    }
    refused = api.post(
        "/agreements/deal/policy",
        {"confirm_min_grade": "A", "dispute_min_grade": "C", "status_overrides": {"died": "x"}},
    )
    assert refused.status_code == 422 and "status_overrides" in refused.content.decode()
