"""The chart's one-pass timeline gives exactly what progress as of each day gives."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from tests.support import World, at

from detente.access.services import agreement_set_audience
from detente.agreements.models import Agreement
from detente.agreements.selectors import agreement_progress, agreement_timeline
from detente.demo.scenario import DEMO_AGREEMENT, load_demo
from detente.evidence.services import claim_record
from detente.web.charts import weekly_dates


def _same(viewer: Any, agreement: Agreement, days: list[dt.date]) -> None:
    timeline = agreement_timeline(viewer, agreement, days)
    for day, got in zip(days, timeline, strict=True):
        assert got == agreement_progress(viewer, agreement, as_of=day), day


def test_the_demo_timeline_equals_progress_day_by_day(
    db: Any, tmp_path: Any, settings: Any
) -> None:
    settings.DATA_DIR = tmp_path
    load_demo()
    agreement = Agreement.objects.get(slug=DEMO_AGREEMENT)
    days = weekly_dates(agreement.announced_on, dt.date(2015, 6, 1))
    _same(AnonymousUser(), agreement, days)
    # Figures move over those weeks, so the comparison above compared something.
    confirmed = [p.confirmed for p in agreement_timeline(AnonymousUser(), agreement, days)]
    assert confirmed[0] < confirmed[-1]


def test_retractions_disputes_and_aggregates_arriving_between_days(world: World) -> None:
    person, gov, ngo = world.person(0), world.sources["gov"], world.sources["ngo"]
    released = claim_record(
        actor=world.actor,
        source=gov,
        person=person,
        agreement=world.agreement,
        status="pardoned",
        event_date=dt.date(2020, 2, 1),
        received_at=at("2020-02-02"),
    )
    claim_record(
        actor=world.actor,
        source=ngo,
        person=person,
        agreement=world.agreement,
        status="pardoned",
        event_date=dt.date(2020, 2, 1),
        received_at=at("2020-02-10"),
    )
    claim_record(
        actor=world.actor,
        source=world.sources["family"],
        person=person,
        agreement=world.agreement,
        status="detained",
        event_date=dt.date(2020, 2, 20),
        received_at=at("2020-02-21"),
    )
    claim_record(
        actor=world.actor,
        source=gov,
        kind="retraction",
        corrects=released,
        received_at=at("2020-03-01"),
    )
    claim_record(
        actor=world.actor,
        source=gov,
        kind="aggregate",
        agreement=world.agreement,
        released_count=4,
        event_date=dt.date(2020, 2, 1),
        received_at=at("2020-02-05"),
    )
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=4 * k) for k in range(20)]
    _same(world.actor, world.agreement, days)


def test_a_hidden_agreement_has_no_timeline(world: World) -> None:
    agreement_set_audience(actor=world.actor, agreement=world.agreement, audience="staff")
    with pytest.raises(Http404):
        agreement_timeline(AnonymousUser(), world.agreement, [dt.date(2020, 2, 1)])


def test_progress_now_summed_by_the_database_equals_counting_the_rows(
    db: Any, tmp_path: Any, settings: Any
) -> None:
    from detente.agreements.models import Membership
    from detente.agreements.progress import MemberRow, compute

    settings.DATA_DIR = tmp_path
    load_demo()
    agreement = Agreement.objects.get(slug=DEMO_AGREEMENT)
    for promised in (agreement.promised_count, 10, 1):  # the "promise confirmed" milestone
        agreement.promised_count = promised
        agreement.save(update_fields=["promised_count"])
        now = agreement_progress(AnonymousUser(), agreement)
        rows = [
            MemberRow(*r)
            for r in Membership.objects.filter(agreement=agreement).values_list(
                "state",
                "release_category",
                "reported_at",
                "confirmed_at",
                "first_reported_at",
                "first_confirmed_at",
                "status",
            )
        ]
        counted = compute(
            agreement=agreement.slug,
            promised=promised,
            announced_on=agreement.announced_on,
            members=rows,
            aggregates=now.aggregate_claims,
        )
        assert now == counted
        assert now.milestones[-1].date is not None or promised > now.confirmed
