from __future__ import annotations

import numpy as np
import pytest

from detente.estimation import (
    CaptureTable,
    bma,
    capture_table,
    independence,
    matching_sensitivity,
    merge_matches,
    stratified_bma,
    stratified_capture_tables,
    stratified_loglinear,
)
from detente.estimation.stratified import convolve_posteriors


def _population(seed: int) -> tuple[dict[str, list[int]], dict[int, str]]:
    rng = np.random.default_rng(seed)
    lists: dict[str, list[int]] = {"A": [], "B": [], "C": []}
    strata: dict[int, str] = {}
    pid = 0
    for name, size, p in (("east", 800, 0.35), ("west", 500, 0.2)):
        for _ in range(size):
            on = rng.random(3) < p
            if on.any():
                for j, lst in enumerate("ABC"):
                    if on[j]:
                        lists[lst].append(pid)
                strata[pid] = name
            pid += 1
    return lists, strata


def test_stratified_loglinear_sums_strata_and_bootstraps_the_sum() -> None:
    lists, strata = _population(1)
    tables = stratified_capture_tables(lists, strata)
    res = stratified_loglinear(tables, fit=independence, n_boot=300, seed=7)
    assert res.total.estimate == pytest.approx(sum(e.estimate for e in res.strata.values()))
    assert res.total.observed == sum(t.observed for t in tables.values())
    assert res.total.lower < res.total.estimate < res.total.upper
    assert res.total.lower >= res.total.observed
    # The interval of the sum is narrower than the sum of the stratum intervals' widths.
    widths = sum(e.upper - e.lower for e in res.strata.values())
    assert res.total.upper - res.total.lower < widths
    again = stratified_loglinear(tables, fit=independence, n_boot=300, seed=7)
    assert again.total == res.total


def test_convolution_of_stratum_posteriors_adds_means() -> None:
    lists, strata = _population(2)
    tables = stratified_capture_tables(lists, strata)
    grid = np.arange(0, 3000, dtype=np.float64)
    parts = [bma(t, nmissing=grid) for t in tables.values()]
    sum_grid, post = convolve_posteriors(parts)
    mean_missing = float(sum_grid @ post)
    expected = sum(float(r.nmissing @ r.posterior) for r in parts)
    assert mean_missing == pytest.approx(expected, rel=1e-9)
    res = stratified_bma(tables, nmissing=grid)
    assert res.total.lower <= res.total.estimate <= res.total.upper
    assert res.total.observed == sum(t.observed for t in tables.values())


def test_convolution_needs_unit_integer_grid() -> None:
    table = CaptureTable(("A", "B", "C"), np.array([30, 20, 5, 25, 6, 4, 2]))
    with pytest.raises(ValueError, match="0, 1, 2"):
        convolve_posteriors([bma(table, nmissing=np.arange(1, 300))])


def test_matching_sensitivity_reports_both_versions() -> None:
    lists, _ = _population(3)
    # Grey-zone candidates: records on A and on B that may be the same person.
    only_a = [p for p in lists["A"] if p not in set(lists["B"])][:40]
    only_b = [p for p in lists["B"] if p not in set(lists["A"])][:40]
    links = list(zip(only_a, only_b, strict=True))
    accepted = merge_matches(lists, links)
    res = matching_sensitivity(accepted, lists)
    a_table, r_table = capture_table(accepted), capture_table(lists)
    assert res.accepted.observed == r_table.observed - 40 == a_table.observed
    # More overlap between lists means fewer people estimated to be missed.
    assert res.accepted.estimate < res.rejected.estimate
    assert res.difference == pytest.approx(res.rejected.estimate - res.accepted.estimate)
    assert [row["grey_zone"] for row in res.rows()] == ["accepted", "rejected"]


def test_merge_matches_is_transitive_and_lists_must_agree() -> None:
    merged = merge_matches({"A": [1, 2], "B": [3, 4]}, [(1, 3), (3, 4)])
    assert len({*merged["A"], *merged["B"]}) == 2
    with pytest.raises(ValueError, match="different lists"):
        matching_sensitivity({"A": [1], "B": [1, 2]}, {"A": [1], "C": [1]})
