"""Public statistics: fixed tables, small cells suppressed, nothing recoverable by differencing."""

from __future__ import annotations

import datetime as dt
import io
import json

from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from tests.support import World, at, build_world

from detente.access.services import agreement_set_audience
from detente.agreements.models import Membership
from detente.evidence.services import claim_record
from detente.publishing import statistics
from detente.publishing.suppression import narrowed_cells, recoverable_cells
from detente.registry.models import Identity


def _world(actor: object) -> World:
    w = build_world(actor, members=40, slug="stats")  # type: ignore[arg-type]
    agreement_set_audience(actor=w.actor, agreement=w.agreement, audience="public")
    provinces = ["La Habana"] * 22 + ["Holguín"] * 12 + ["Granma"] * 6
    for p, province in zip(w.people, provinces, strict=True):
        Identity.objects.filter(person=p).update(province=province)
    for i, p in enumerate(w.people[:25]):
        for source in ("gov", "embassy") if i < 18 else ("gov",):
            claim_record(
                actor=w.actor,
                source=w.sources[source],
                person=p,
                status="unconditional_release",
                event_date=dt.date(2020, 2, 1),
                received_at=at("2020-02-02"),
            )
    return w


def test_published_tables_hide_small_cells_and_resist_differencing(actor: object) -> None:
    _world(actor)
    originals = [statistics._table(*spec) for spec in _originals()]
    published = statistics.public_statistics(AnonymousUser()).tables
    assert [t.name for t in published] == [t.name for t in originals]
    for t in published:
        for row in t.cells:
            assert all(v is None or v == 0 or v >= t.threshold for v in row)
        assert all(v is None or v == 0 or v >= t.threshold for v in t.row_totals)
    assert recoverable_cells(published, originals) == []
    assert narrowed_cells(published, originals) == []
    by_province = published[0]
    assert by_province.total == 40  # the population is large enough to publish its size


def _originals() -> list[tuple[str, list[tuple[str, str]], list[str], str]]:
    people = statistics._population()
    states = [
        s
        for s in ("held", "reported", "confirmed", "disputed", "rearrested", "died", "disappeared")
    ]
    return [
        ("state_by_province", [(s, p) for s, p, _, _ in people], states, statistics.NO_PROVINCE),
        (
            "state_by_affiliation",
            [(s, a) for s, _, a, _ in people],
            states,
            statistics.NO_AFFILIATION,
        ),
        ("state_by_arrest_year", [(s, y) for s, _, _, y in people], states, statistics.NO_YEAR),
    ]


def test_only_public_agreements_are_counted(actor: object) -> None:
    w = _world(actor)
    agreement_set_audience(actor=w.actor, agreement=w.agreement, audience="legislature")
    published = statistics.public_statistics(AnonymousUser()).tables
    assert all(t.total == 0 for t in published)
    assert Membership.objects.count() == 40


def test_the_command_prints_the_same_tables_for_everyone(actor: object) -> None:
    _world(actor)
    outputs = []
    for who in ("anonymous", "detente-cli"):
        out = io.StringIO()
        call_command("stats", "--json", "--as", who, stdout=out)
        outputs.append(json.loads(out.getvalue()))
    assert outputs[0] == outputs[1]
    assert {t["name"] for t in outputs[0]["tables"]} == {
        "state_by_province",
        "state_by_affiliation",
        "state_by_arrest_year",
    }
