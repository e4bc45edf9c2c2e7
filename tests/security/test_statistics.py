"""Public statistics: fixed tables, small cells suppressed, nothing recoverable by differencing,
even with what the member lists and progress already make public."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import replace

from django.core.management import call_command
from tests.publishing.releasing import release
from tests.support import World, build_world, set_identity

from detente.access.services import agreement_set_audience
from detente.publishing import statistics
from detente.publishing.suppression import narrowed_cells, recoverable_cells
from detente.registry.models import CustodyEpisode


def _world(actor: object, n: int = 60) -> World:
    w = build_world(actor, members=n, slug="stats")  # type: ignore[arg-type]
    agreement_set_audience(actor=w.actor, agreement=w.agreement, audience="public")
    provinces = ["La Habana", "Holguín", "Granma", "Unique Cell of Pedro Pérez"]
    for i, p in enumerate(w.people):
        province = provinces[0] if i < n // 2 else provinces[1 + i % 3]
        set_identity(p, province=province)
        CustodyEpisode.objects.filter(person=p).update(start_date=dt.date(2015 + i % 3, 5, 1))
    return w


def test_published_tables_hide_small_cells_and_resist_differencing(actor: object) -> None:
    _world(actor)
    stats = statistics.draft_statistics()[0]
    (table,) = stats.tables
    original = statistics.province_by_year(statistics._population())
    assert stats.people == 60 and table.total == 60
    for row in (*table.cells, table.row_totals, table.col_totals):
        assert all(v is None or v == 0 or v >= table.threshold for v in row)
    # The attacker knows the total (it is public in the agreement's progress).
    assert recoverable_cells([table], [original]) == []
    assert narrowed_cells([table], [original]) == []
    assert any(v is not None and v > 0 for row in table.cells for v in row)


def test_free_text_never_becomes_a_label(actor: object) -> None:
    _world(actor)
    text = json.dumps(statistics.draft_statistics()[0].as_json())
    assert "Pedro" not in text and statistics.OTHER_PROVINCE in text


def test_a_table_that_cannot_be_made_safe_is_withheld_whole(actor: object) -> None:
    w = _world(actor, n=3)
    set_identity(w.people, province="La Habana")
    stats = statistics.draft_statistics()[0]
    (table,) = stats.tables
    # Three people: every figure of every grouping is below the threshold of 5.
    assert stats.withheld == [table.name]
    assert all(v is None for row in table.cells for v in row) and table.total == 3
    original = statistics.province_by_year(statistics._population())
    # Zeros are hidden too, so the attacker may only assume each hidden count is >= 0.
    assert recoverable_cells([table], [original], suppressed_min=0) == []
    # Without the fallback, the known total would give this lone cell away.
    (naive,) = statistics.suppress_together([original], statistics.threshold())
    assert recoverable_cells([replace(naive, total=3)], [original])


def test_a_coarser_grouping_shows_what_each_year_would_withhold(actor: object) -> None:
    """Six people in one province, two a year: by year the table is withheld whole; with
    the years together the page shows the six."""
    w = _world(actor, n=6)
    set_identity(w.people, province="La Habana")
    fine = statistics.province_by_year(statistics._population())
    assert statistics._publishable(fine, 6)[1]  # withheld, as before groupings
    stats = statistics.draft_statistics()[0]
    (table,) = stats.tables
    assert stats.withheld == []
    assert table.total == 6 and 6 in table.row_totals
    assert all(v is not None for row in table.cells for v in row)
    grouping = stats.grouping(table.name)
    assert not grouping.fine and "2015" not in table.col_labels


def test_only_public_agreements_are_counted(actor: object) -> None:
    w = _world(actor)
    agreement_set_audience(actor=w.actor, agreement=w.agreement, audience="legislature")
    assert statistics.draft_statistics()[0].people == 0


def test_the_command_prints_the_same_tables_for_everyone(actor: object) -> None:
    _world(actor)
    release()
    outputs = []
    for who in ("anonymous", "detente-cli"):
        out = io.StringIO()
        call_command("stats", "--json", "--as", who, stdout=out)
        outputs.append(json.loads(out.getvalue()))
    assert outputs[0] == outputs[1]
    assert [t["name"] for t in outputs[0]["tables"]] == ["people_by_province_and_arrest_year"]


def test_rows_are_the_countrys_divisions_and_loose_spellings_find_theirs(
    actor: object, settings: object
) -> None:
    w = _world(actor, n=12)
    set_identity(w.people[0], province="Stgo. de Cuba")
    assert "Santiago de Cuba" in statistics.provinces()
    assert len(statistics.provinces()) == 16  # 15 provinces and the special municipality
    assert "Santiago de Cuba" in [p for p, _year in statistics._population()]
    # A registry about another country: its own divisions first, from ISO 3166-2; Cuba's
    # only when the operator lists Cuba too, named with their country.
    settings.DETENTE_COUNTRY = "NI"  # type: ignore[attr-defined]
    assert "Cuba: Holguín" not in statistics.provinces()
    settings.DETENTE_STATISTICS_COUNTRIES = ["CU"]  # type: ignore[attr-defined]
    set_identity(w.people[1], country="NI", province="Chinandega")
    assert not statistics.provinces()[0].startswith("Cuba: ")  # Nicaragua's come first
    assert "Chinandega" in statistics.provinces() and "Cuba: Holguín" in statistics.provinces()
    assert "Holguín" not in statistics.provinces()
    counted = [p for p, _year in statistics._population()]
    assert counted.count("Chinandega") == 1
    assert "Cuba: La Habana" in counted and "Chinandega" not in counted[2:]
