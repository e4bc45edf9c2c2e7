"""Issue 14 point 5, one truth per screen: the agreement's chart by the day each release
happened (as known now) ends on the headline, whatever was retracted, disputed or claimed
for the agreement as a whole; the other reading (as known at the time) is one link away."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format
from tests.support import World, at, build_world

from detente.access.services import agreement_set_audience
from detente.agreements.models import Membership
from detente.agreements.selectors import (
    agreement_progress,
    agreement_timeline,
    agreement_timeline_known_now,
)
from detente.evidence.services import claim_record
from detente.web import pages

ROW = r"<tr><th scope=\"row\">([^<]+)</th><td>(\d+)</td><td>(\d+)</td></tr>"


def _claim(w: World, i: int, source: str, status: str, day: str, received: str) -> Any:
    return claim_record(
        actor=w.actor,
        source=w.sources[source],
        person=w.person(i),
        agreement=w.agreement,
        status=status,
        event_date=dt.date.fromisoformat(day),
        received_at=at(received),
    )


def _history(w: World) -> None:
    """Releases reported late, confirmed, disputed and retracted, and the releasing
    party's figures for the whole agreement (one of them withdrawn)."""
    _claim(w, 0, "gov", "pardoned", "2020-02-01", "2020-03-15")  # reported six weeks late
    _claim(w, 0, "ngo", "pardoned", "2020-02-01", "2020-03-20")  # confirmed
    _claim(w, 1, "gov", "pardoned", "2020-02-10", "2020-02-11")
    _claim(w, 1, "embassy", "pardoned", "2020-02-10", "2020-02-12")
    _claim(w, 1, "ngo", "detained", "2020-04-01", "2020-04-02")  # disputed since
    wrong = _claim(w, 2, "gov", "pardoned", "2020-02-05", "2020-02-06")
    _claim(w, 2, "embassy", "pardoned", "2020-02-05", "2020-02-07")
    claim_record(actor=w.actor, source=w.sources["gov"], kind="retraction", corrects=wrong)
    _claim(w, 3, "family", "parole", "2020-05-01", "2020-05-02")  # reported only
    for count, day, received in ((4, "2020-02-15", "2020-02-16"), (7, "2020-06-01", "2020-06-02")):
        claim_record(
            actor=w.actor,
            source=w.sources["gov"],
            kind="aggregate",
            agreement=w.agreement,
            released_count=count,
            event_date=dt.date.fromisoformat(day),
            received_at=at(received),
        )
    withdrawn = claim_record(
        actor=w.actor,
        source=w.sources["gov"],
        kind="aggregate",
        agreement=w.agreement,
        released_count=9,
        event_date=dt.date(2020, 7, 1),
        received_at=at("2020-07-02"),
    )
    claim_record(actor=w.actor, source=w.sources["gov"], kind="retraction", corrects=withdrawn)


def _days() -> list[dt.date]:
    return [dt.date(2020, 1, 10) + dt.timedelta(days=7 * k) for k in range(30)] + [
        timezone.localdate()
    ]


def test_the_last_point_is_the_headline_through_retractions_disputes_and_aggregates(
    actor: Any,
) -> None:
    w = build_world(actor, members=6)
    agreement_set_audience(actor=w.actor, agreement=w.agreement, audience="public")
    _history(w)
    # A release recorded before event dates were required: it counts from its report.
    Membership.objects.filter(person=w.person(3)).update(released_on=None)
    headline = agreement_progress(AnonymousUser(), w.agreement)
    assert (headline.claimed, headline.confirmed, headline.disputed) == (7, 2, 1)
    today = timezone.localdate()
    days = _days()
    known_now = agreement_timeline_known_now(AnonymousUser(), w.agreement, days, today)
    # Every figure of the last point is the headline's, milestones included.
    assert replace(known_now[-1], as_of=None) == headline
    by_day = {d: (p.claimed, p.confirmed) for d, p in zip(days, known_now, strict=True)}
    # Person 0 was released on 1 February, reported on 15 March: counted from February.
    # Person 2's release stands on the embassy's word alone (the government withdrew its
    # own): confirmed, from 5 February. Person 1 is disputed now: claimed, not confirmed.
    assert by_day[dt.date(2020, 1, 31)] == (0, 0)
    assert by_day[dt.date(2020, 2, 7)] == (2, 2)
    assert by_day[dt.date(2020, 2, 14)] == (3, 2)
    # The releasing party's 4 counts from its event day, 15 February.
    assert by_day[dt.date(2020, 2, 21)][0] == 4
    # As known at the time, person 0 appears only once the report arrived.
    then = agreement_timeline(AnonymousUser(), w.agreement, days)
    by_then = {d: (p.claimed, p.confirmed) for d, p in zip(days, then, strict=True)}
    assert by_then[dt.date(2020, 2, 7)] == (1, 1)  # person 2 only, confirmed by the embassy
    assert replace(then[-1], as_of=None) == replace(headline, as_of=None)


def test_a_release_without_an_event_date_counts_from_its_first_report(actor: Any) -> None:
    w = build_world(actor, members=3)
    agreement_set_audience(actor=w.actor, agreement=w.agreement, audience="public")
    _claim(w, 0, "family", "parole", "2020-03-01", "2020-04-20")
    Membership.objects.filter(person=w.person(0)).update(released_on=None)
    days = [dt.date(2020, 4, 19), dt.date(2020, 4, 20), timezone.localdate()]
    known = agreement_timeline_known_now(AnonymousUser(), w.agreement, days, days[-1])
    assert [p.claimed for p in known] == [0, 1, 1]


def test_the_page_offers_both_readings_each_ending_on_the_headline(
    client: Client, actor: Any
) -> None:
    world = build_world(actor, members=6)
    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="public")
    _history(world)
    headline = agreement_progress(AnonymousUser(), world.agreement)
    today = date_format(timezone.localdate(), "DATE_FORMAT")
    now_html = client.get("/agreements/deal/").content.decode()
    then_html = client.get("/agreements/deal/known-then/").content.decode()
    for html in (now_html, then_html):
        rows = re.findall(ROW, html)
        assert rows[-1] == (today, str(headline.claimed), str(headline.confirmed))
        assert f"<dt>Claimed released</dt><dd>{headline.claimed}</dd>" in html
        assert "Figures as of" in html
    # Each reading names itself and links to the other: no script, two addresses.
    assert '<strong aria-current="page">By the day it happened (as known now)</strong>' in (
        now_html
    )
    assert 'href="/agreements/deal/known-then/#over-time">As known at the time</a>' in now_html
    assert '<strong aria-current="page">As known at the time</strong>' in then_html
    assert 'href="/agreements/deal/#over-time">By the day it happened' in then_html
    # The two readings differ where a report came late (person 0, six weeks).
    assert re.findall(ROW, now_html) != re.findall(ROW, then_html)
    # The method note says what each reading is.
    assert "As known at the time: each point shows only what had reached us" in now_html
    assert "By the day it happened (as known now): each release is placed" in now_html
    methods = client.get("/methods/").content.decode()
    assert "By the day it happened (as known now), the default" in methods


def test_the_second_reading_is_a_standing_page_and_hidden_like_the_first(
    client: Client, world: World
) -> None:
    assert client.get("/agreements/deal/known-then/").status_code == 404
    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="public")
    assert "/agreements/deal/known-then/" in pages.standing_paths()
    assert client.get("/agreements/deal/known-then/").status_code == 200
