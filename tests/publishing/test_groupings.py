"""Issue 14 point 5: the statistics page shows real figures by taking a coarser grouping
when single provinces and years would be mostly dashes, and no hidden count can be worked
out from what it shows, nor from it and an earlier release grouped differently."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django.test import Client
from tests.publishing.releasing import release
from tests.support import World, build_world, set_identity

from detente.access.services import agreement_set_audience
from detente.publishing import statistics
from detente.publishing.groupings import Grouping, ladder, regroup_audit
from detente.publishing.suppression import (
    Table,
    audit_sums,
    narrowed_cells,
    recoverable_cells,
    suppress,
)
from detente.registry.models import CustodyEpisode

# A province in each of Cuba's three regions, and one more in the west.
PLACES = [
    ("CU-03", "La Habana"),
    ("CU-04", "Matanzas"),
    ("CU-09", "Camagüey"),
    ("CU-11", "Holguín"),
]


def _small_world(actor: Any, n: int = 36) -> World:
    """``n`` people spread thinly over four provinces and six years: most cells small."""
    w = build_world(actor, members=n, slug="thin")
    agreement_set_audience(actor=w.actor, agreement=w.agreement, audience="public")
    for i, p in enumerate(w.people):
        code, name = PLACES[i % 4]
        set_identity(p, division=code, province=name)
        CustodyEpisode.objects.filter(person=p).update(start_date=dt.date(2016 + i % 6, 3, 1))
    return w


def test_the_ladder_is_fixed_labels_from_the_calendar_and_configuration(db: Any) -> None:
    today = dt.date(2026, 12, 6)
    fine = statistics.province_by_year([], today)
    groupings = ladder(
        fine.row_labels, fine.col_labels, statistics.row_codes(), statistics.OTHER_PROVINCE
    )
    assert groupings[0].fine and groupings[0].key == "provinces/years"
    bands = next(g for g in groupings if g.key == "provinces/bands")
    assert [label for label, _ in bands.cols] == [
        "before 2015",
        "2015\u20132019",
        "2020\u20132024",
        "2025\u20132026",
        "year unknown",
    ]
    regions = next(g for g in groupings if g.key == "regions/years")
    assert [label for label, _ in regions.rows] == [
        "Western Cuba",
        "Central Cuba",
        "Eastern Cuba",
        statistics.OTHER_PROVINCE,
    ]
    # Every province is in exactly one row of every grouping.
    for g in groupings:
        gathered = [r for _label, rows in g.rows for r in rows]
        assert sorted(gathered) == sorted(fine.row_labels)


def test_the_page_shows_figures_instead_of_dashes_with_its_totals(actor: Any) -> None:
    _small_world(actor)
    fine = statistics.province_by_year(statistics._population())
    by_year, withheld = statistics._publishable(fine, 36)
    assert withheld or statistics._hidden(by_year) > 10  # by single year: mostly dashes
    release()
    html = Client().get("/statistics/").content.decode()
    assert "To show real figures rather than dashes" in html
    assert "Nothing in this table is hidden" in html
    assert "<abbr" not in html  # no dash
    data = Client().get("/open/statistics.json").json()
    (table,) = data["tables"]
    assert table["total"] == 36 and data["groupings"][table["name"]]["key"] != "provinces/years"
    # The page shows the same figures as the open data, totals included.
    cells = re.findall(r"<td>(\d+)</td>", html)
    figures = [
        *(v for row in table["cells"] for v in row),
        *table["row_totals"],
        *table["col_totals"],
    ]
    assert sorted(map(int, cells)) == sorted([*figures, table["total"]])
    csv = Client().get("/open/statistics.csv").content.decode()
    for col in table["col_labels"]:
        assert col in csv
    assert "What is withheld, and why" in html and "complementary suppression" in html


def test_no_small_count_can_be_worked_out_from_what_the_page_shows(actor: Any) -> None:
    """The attacker has every figure the page shows and the total (public anyway), and
    knows which provinces and years each figure gathers: no count of fewer than five
    people, by single province and year, may follow from them."""
    _small_world(actor, n=30)
    stats, original, fine = (lambda d: (d.stats, d.original, d.fine))(statistics.draft_release())
    (table,) = stats.tables
    assert recoverable_cells([table], [original]) == []
    assert narrowed_cells([table], [original]) == []
    grouping = stats.grouping(table.name)
    fine_cells = [(r, c) for r in fine.row_labels for c in fine.col_labels]
    at = {key: k for k, key in enumerate(fine_cells)}
    truth = {
        (r, c): fine.counts[i][j]
        for i, r in enumerate(fine.row_labels)
        for j, c in enumerate(fine.col_labels)
    }
    rows, cols = dict(grouping.rows), dict(grouping.cols)
    exprs: list[tuple[int, ...]] = []
    values: list[int | None] = []
    for r, shown, r_total in zip(table.row_labels, table.cells, table.row_totals, strict=True):
        for c, v in zip(table.col_labels, shown, strict=True):
            exprs.append(tuple(at[(x, y)] for x in rows[r] for y in cols[c]))
            values.append(v)
        exprs.append(tuple(at[(x, y)] for x in rows[r] for y in fine.col_labels))
        values.append(r_total)
    exprs.append(tuple(range(len(fine_cells))))
    values.append(table.total)
    # Each small count by single province and year, as a figure the attacker wants.
    small = [key for key, v in truth.items() if 0 < v < table.threshold]
    assert small
    exprs += [(at[key],) for key in small]
    values += [None] * len(small)
    sums = [sum(truth[fine_cells[k]] for k in e) for e in exprs]
    exact, narrowed = audit_sums(len(fine_cells), exprs, values, sums, table.threshold)
    assert exact == [] and narrowed == []


def _band_attack() -> tuple[Table, dict[str, Any], Grouping, dict[str, Any], Grouping]:
    """Row A hides 2 (2016) and 8 (2021): as a pair their sum is the row's total minus the
    rest, but a band table splits them, 2016 in 2015-2019 and 2021 in 2020-2024."""
    cols = ("before 2015", *(str(y) for y in range(2015, 2025)), "year unknown")
    counts = {("A", "2015"): 10, ("A", "2016"): 2, ("A", "2021"): 8}
    counts |= {("B", "2015"): 10, ("B", "2016"): 10, ("B", "2021"): 10}
    fine = Table(
        "t", ("A", "B"), cols, tuple(tuple(counts.get((r, c), 0) for c in cols) for r in "AB")
    )
    by_year = suppress(fine, 5)
    assert by_year.cells[0][cols.index("2016")] is None
    bands = next(
        g for g in ladder(("A", "B", "other"), (*cols,), {}, "other") if g.key.endswith("/bands")
    )
    bands = Grouping(bands.key, (("A", ("A",)), ("B", ("B",))), bands.cols)
    banded = suppress(bands.table(fine), 5)
    identity = Grouping.identity(fine.row_labels, fine.col_labels)
    return fine, by_year.as_json(), identity, banded.as_json(), bands


def test_a_release_grouped_differently_cannot_uncover_an_earlier_hidden_count() -> None:
    fine, by_year, identity, banded, bands = _band_attack()
    fine_json = statistics.table_json(fine)
    # The band 2015-2019 of row A (12) minus its 2015 (10, shown by year) is the hidden 2.
    moved, exposed = regroup_audit(banded, bands, fine_json, by_year, identity, fine_json, 5)
    assert moved == [] and ("A", "2016") in exposed
    # The other way round, bands first and years after, is caught the same way.
    moved, exposed = regroup_audit(by_year, identity, fine_json, banded, bands, fine_json, 5)
    assert ("A", "2016") in exposed
    # Once every count has moved by the threshold or more, the earlier figures pin
    # nothing down (only its zeros still hold).
    counts = [[v + 5 if v else 0 for v in row] for row in fine.counts]
    later = Table("t", fine.row_labels, fine.col_labels, tuple(tuple(r) for r in counts))
    later_banded = suppress(bands.table(later), 5).as_json()
    moved, exposed = regroup_audit(
        later_banded, bands, statistics.table_json(later), by_year, identity, fine_json, 5
    )
    assert moved == [] and exposed == []


def test_a_draft_never_takes_a_grouping_that_would_uncover_an_earlier_release(
    actor: Any,
) -> None:
    _small_world(actor)
    first = release()
    grouping = first.published["groupings"]
    assert grouping  # the thin world is published grouped
    # The same people again: every other grouping would combine with the first release.
    draft = statistics.draft_release()
    assert draft.stats.groupings == grouping
    # (Compared as data: PostgreSQL keeps JSON keys in its own order.)
    assert json.loads(json.dumps(draft.stats.as_json()["tables"])) == first.published["tables"]
