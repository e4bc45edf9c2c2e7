"""The person page writes its claims, its timeline and their dates in Python
(``staff/people.py``): the dates as Django's formats write them, every value escaped."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from detente.core.dates import DatePrecision
from detente.staff.people import _claim_cards, _Labels, _timeline_lines
from detente.staff.templatetags.staff_tags import precise_date

DAYS = [dt.date(1999, 1, 1) + dt.timedelta(days=n) for n in range(0, 12_000, 37)]


@pytest.mark.parametrize("language", ["en", "es"])
def test_dates_read_as_the_template_filters_write_them(language: str) -> None:
    with translation.override(language):
        labels = _Labels("")
        for day in [*DAYS, dt.date(5, 3, 4)]:
            for precision in DatePrecision.values:
                assert labels.date(day, precision) == precise_date(day, precision)
        assert labels.date(None, DatePrecision.DAY) == precise_date(None)
        moments = Template('{{ when|date:"SHORT_DATETIME_FORMAT" }}')
        for n, day in enumerate(DAYS):
            when = dt.datetime.combine(day, dt.time(n % 24, n % 60), tzinfo=dt.UTC)
            assert labels.moment(when) == moments.render(Context({"when": when}))


def test_times_are_shown_in_the_current_time_zone_as_the_template_shows_them() -> None:
    when = dt.datetime(2021, 12, 31, 23, 30, tzinfo=dt.UTC)
    with timezone.override(ZoneInfo("America/Havana")):
        shown = Template('{{ when|date:"SHORT_DATETIME_FORMAT" }}').render(Context({"when": when}))
        assert _Labels("").moment(when) == shown == "31 Dec 2021, 18:30"


def _row(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": 41,
        "ref": "41",
        "kind": "Status",
        "void": False,
        "retracted_by": None,
        "superseded_by": None,
        "source": "Radio <Martí> & co",
        "grade": "grade B",
        "status": "detained",
        "status_text": "Detained",
        "event_date": dt.date(2020, 1, 1),
        "event_text": "1 Jan 2020",
        "received_text": "2 Jan 2020, 12:00",
        "credibility": "Probable",
        "agreement": 'The "big" <one>',
        "corrects": None,
        "evidence": "<script>alert('x')</script>",
        "evidence_url": 'https://example.org/?a=1&b="2"',
    }
    return {**row, **changes}


def test_a_claim_card_escapes_what_was_recorded() -> None:
    card = str(
        _claim_cards([_row()], {}, _Labels(""), files_shown=True, can_record=True, originals=False)
    )
    assert "<script>" not in card
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in card
    assert "Radio &lt;Martí&gt; &amp; co" in card
    assert "The &quot;big&quot; &lt;one&gt;" in card
    assert 'href="https://example.org/?a=1&amp;b=&quot;2&quot;"' in card
    assert '<li id="claim-41" class="card claim">' in card
    assert 'href="/staff/attachments/new/?claim=41"' in card


def test_a_card_left_out_says_what_undid_it_in_the_reader_s_language() -> None:
    with translation.override("es"):
        card = str(
            _claim_cards(
                [_row(void=True, superseded_by=52, corrects=12)],
                {},
                _Labels(""),
                files_shown=False,
                can_record=False,
                originals=False,
            )
        )
    assert 'class="card claim void"' in card
    assert 'Fuera: sustituida por <a href="#claim-52">#52</a>.' in card
    assert "(corrige la n.º 12)" in card
    assert "claim-files" not in card


def test_a_timeline_line_escapes_its_sources_and_places() -> None:
    lines = str(
        _timeline_lines(
            [
                {"episode": True, "when": "2019", "what": "Held", "place": "Prison <A>"},
                {
                    "episode": False,
                    "when": "1 Jan 2020",
                    "what": "Detained",
                    "claims": [_row(), _row(ref="42")],
                },
            ]
        )
    )
    assert "custody record \u00b7 Prison &lt;A&gt;" in lines
    assert (
        '<a href="#claim-41">#41</a> Radio &lt;Martí&gt; &amp; co; '
        '<a href="#claim-42">#42</a> Radio &lt;Martí&gt; &amp; co</span>'
    ) in lines
