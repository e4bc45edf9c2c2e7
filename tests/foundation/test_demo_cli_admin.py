"""The demo scenario through the command line and the admin, as a user meets them."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from detente.agreements.derivation import rebuild_agreement
from detente.agreements.models import Agreement
from detente.audit import ledger
from detente.demo.scenario import DEMO_AGREEMENT, load_demo
from detente.registry.models import Person


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db: Any, tmp_path: Any, settings: Any) -> None:
    settings.DATA_DIR = tmp_path
    load_demo()


def test_demo_agreement_status_figures_add_up(demo: None) -> None:
    data = json.loads(run("agreement", "status", DEMO_AGREEMENT, "--json"))
    assert data["promised"] == 53
    assert data["named"] + data["unnamed"] == data["promised"]
    states = ("held", "reported", "confirmed", "disputed", "rearrested", "died", "disappeared")
    assert sum(data[s] for s in states) == data["named"]
    assert data["confirmed"] == data["confirmed_conditional"] + data["confirmed_unconditional"]
    # The shape the brief describes: most confirmed, a few only reported, two disputed,
    # one re-arrested, a handful conditional, and the releasing side claiming all 53.
    assert data["confirmed"] > data["named"] // 2
    assert data["reported"] >= 3 and data["disputed"] == 2 and data["rearrested"] == 1
    assert data["confirmed_conditional"] >= 3
    assert data["claimed_by_releasing_party"] == 53
    assert data["gap"] == data["claimed"] - data["confirmed"] > 0
    text = run("agreement", "status", DEMO_AGREEMENT)
    for label in (
        "promised",
        "unnamed",
        "confirmed released",
        "disputed",
        "re-arrested",
        "still held",
        "milestones",
    ):
        assert label in text


def test_demo_history_as_of_a_past_date(demo: None) -> None:
    early = json.loads(
        run("agreement", "status", DEMO_AGREEMENT, "--as-of", "2014-12-31", "--json")
    )
    late = json.loads(run("agreement", "status", DEMO_AGREEMENT, "--json"))
    assert early["as_of"] == "2014-12-31"
    assert early["named"] == 0  # names reached the counterpart on 2015-01-07
    later = json.loads(
        run("agreement", "status", DEMO_AGREEMENT, "--as-of", "2015-01-20", "--json")
    )
    # On 2015-01-20 the member re-arrested weeks later was still confirmed released.
    assert later["rearrested"] == 0 and late["rearrested"] == 1
    assert later["confirmed"] == late["confirmed"] + late["rearrested"]


def test_demo_cache_equals_a_rebuild_and_the_ledger_verifies(demo: None) -> None:
    assert rebuild_agreement(Agreement.objects.get(slug=DEMO_AGREEMENT)) == 0
    result = ledger.verify()
    assert result.ok and result.checked > 500


def test_agreement_list_and_person_show(demo: None) -> None:
    listing = json.loads(run("agreement", "list", "--json"))["agreements"]
    assert [a["slug"] for a in listing] == [
        DEMO_AGREEMENT,
        "cuba-us-2014-exchange",
        "gradual-2025",
        "releases-2026",
    ]
    first = Person.objects.order_by("id").first()
    assert first is not None
    person = json.loads(run("person", "show", first.handle, "--json"))
    assert person["handle"] == first.handle and person["identity"]["given_names"]
    general = person["statuses"][0]
    assert general["agreement"] is None and general["rule"]
    assert "status:" in run("person", "show", str(first.pk))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("agreement", "status", "no-such-deal"), "no agreement"),
        (("person", "show", "P-999999"), "no person"),
    ],
)
def test_cli_errors_say_what_is_missing(demo: None, args: tuple[str, ...], needle: str) -> None:
    with pytest.raises(CommandError, match=needle):
        run(*args)


def test_cli_rejects_a_malformed_date(demo: None) -> None:
    with pytest.raises(CommandError, match="not a date"):
        run("agreement", "status", DEMO_AGREEMENT, "--as-of", "2015-13-45")


def test_demo_is_loaded_once(demo: None) -> None:
    assert not load_demo().created


def test_staff_user_sees_the_agreement_in_the_admin(demo: None) -> None:
    client = Client()
    client.force_login(User.objects.get(username="analyst"))
    listing = client.get("/admin/agreements/agreement/")
    assert listing.status_code == 200
    assert "December 2014 release commitment" in listing.content.decode()
    agreement = Agreement.objects.get(slug=DEMO_AGREEMENT)
    page = client.get(f"/admin/agreements/agreement/{agreement.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    handles = agreement.members.values_list("person__handle", flat=True)
    assert len(handles) == 49 and all(h in html for h in handles)


def test_legislature_user_cannot_use_the_admin(demo: None) -> None:
    client = Client()
    client.force_login(User.objects.get(username="legislator"))
    assert client.get("/admin/agreements/agreement/").status_code in (302, 403)


def test_the_admin_takes_only_what_it_can_save(demo: None) -> None:
    """After creation only the verification policy is changed in the admin; every other
    field is shown, not offered, so nothing typed there is silently dropped."""
    client = Client()
    client.force_login(User.objects.get(username="verifier"))
    agreement = Agreement.objects.get(slug=DEMO_AGREEMENT)
    html = client.get(f"/admin/agreements/agreement/{agreement.pk}/change/").content.decode()
    assert 'name="confirm_min_grade"' in html and 'name="status_overrides"' in html
    for field in ("audience", "title", "title_es", "country", "promised_count", "mediators"):
        assert f'name="{field}"' not in html, field
