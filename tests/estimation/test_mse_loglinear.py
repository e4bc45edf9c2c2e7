from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from detente.estimation import (
    CaptureTable,
    IdentifiabilityError,
    check_identifiable,
    fit_loglinear,
    hierarchical_models,
    independence,
    neighbourhood_models,
    read_capture_csv,
    select_model,
    stepwise,
    table_from_rows,
)
from detente.estimation._poisson import poisson_newton
from detente.estimation.loglinear import design_matrix

DATA = Path(__file__).resolve().parent.parent / "data" / "mse"


def load(name: str) -> CaptureTable:
    return read_capture_csv(DATA / f"{name}.csv")


def three_lists(counts: list[int]) -> CaptureTable:
    return CaptureTable(("A", "B", "C"), np.array(counts, dtype=np.int64))


def test_two_list_independence_is_lincoln_petersen() -> None:
    # A only 60, B only 90, both 30: N = n_A * n_B / m = 90 * 120 / 30 = 360
    fit = independence(CaptureTable(("A", "B"), np.array([60, 90, 30])))
    assert fit.estimate == pytest.approx(360.0, rel=1e-8)
    lo, hi = fit.profile_interval or (0.0, 0.0)
    assert 180 <= lo < 360 < hi


def test_fast_solver_agrees_with_statsmodels() -> None:
    table = load("madigan_york_1997")
    terms = [(0, 1), (0, 2), (3, 4)]
    fit = fit_loglinear(table, terms, profile=False)
    x = design_matrix(table.bits, fit.terms)
    fast = poisson_newton(x, table.counts.astype(np.float64))
    assert fast.converged
    assert np.allclose(fast.beta, fit.params, atol=1e-6)
    assert np.allclose(fast.mu, fit.fitted, rtol=1e-6)


def test_estimate_is_observed_plus_exp_intercept_and_criteria() -> None:
    table = load("kosovo_1999")
    fit = fit_loglinear(table, ["EXH:ABA", "OSCE:HRW"])
    assert fit.estimate == pytest.approx(table.observed + math.exp(fit.params[0]))
    assert fit.n_params == 1 + 4 + 2
    assert fit.aic == pytest.approx(-2 * fit.loglik + 2 * 7)
    assert fit.bic == pytest.approx(-2 * fit.loglik + math.log(table.observed) * 7)
    assert fit.df_resid == 15 - 7


def test_profile_interval_brackets_estimate_and_is_a_likelihood_cut() -> None:
    table = load("madigan_york_1997")
    narrow = fit_loglinear(table, [(0, 2), (3, 4)], level=0.80)
    wide = fit_loglinear(table, [(0, 2), (3, 4)], level=0.99)
    assert narrow.profile_interval is not None and wide.profile_interval is not None
    lo80, hi80 = narrow.profile_interval
    lo99, hi99 = wide.profile_interval
    assert table.observed <= lo99 < lo80 < narrow.estimate < hi80 < hi99
    # The profile interval and the log-scale Wald interval estimate the same thing.
    wl, wh = narrow.wald_interval
    assert abs(lo80 - wl) / narrow.estimate < 0.05
    assert abs(hi80 - wh) / narrow.estimate < 0.05


def test_all_lists_interaction_is_refused() -> None:
    table = three_lists([10, 12, 5, 9, 4, 3, 2])
    with pytest.raises(IdentifiabilityError, match=r"all 3 lists \(A:B:C\) can never be"):
        fit_loglinear(table, ["A:B:C"])


def test_zero_overlap_term_is_kept_the_sparsemse_way() -> None:
    # Nobody is on both A and C: as in SparseMSE's buildmodel, the A+C patterns leave the
    # fit (their expected count is zero) and the term counts as a parameter.
    table = three_lists([10, 12, 5, 9, 0, 3, 0])
    fit = fit_loglinear(table, ["A:C"])
    assert fit.empty_terms == ((0, 2),)
    assert fit.fitted[4] == 0 and fit.fitted[6] == 0  # patterns A+C and A+B+C
    assert fit.n_params == 4 + 1
    keep = [0, 1, 2, 3, 5]
    glm = sm.GLM(
        table.counts[keep].astype(float),
        design_matrix(table.bits[keep], []),
        family=sm.families.Poisson(),
    ).fit()
    assert fit.estimate == pytest.approx(table.observed + math.exp(glm.params[0]), rel=1e-9)
    assert fit.aic == pytest.approx(glm.aic + 2, rel=1e-9)  # SparseMSE: aic + 2 per empty pair


def test_term_inside_an_empty_overlap_is_refused_with_its_name() -> None:
    table = CaptureTable(("A", "B", "C", "D"), np.array([9, 8, 0, 7, 6, 5, 0] + [4] * 8))
    table = CaptureTable(table.lists, np.where(table.bits[:, 0] & table.bits[:, 1], 0, 4))
    with pytest.raises(IdentifiabilityError, match=r"term A:B:C has no information"):
        fit_loglinear(table, ["A:B:C"])


def test_two_lists_sharing_nobody_give_no_estimate() -> None:
    table = CaptureTable(("A", "B"), np.array([60, 90, 0]))
    with pytest.raises(IdentifiabilityError, match="does not exist"):
        independence(table)
    with pytest.raises(IdentifiabilityError, match="can never be"):
        fit_loglinear(table, ["A:B"])


# Four lists; A and B share nobody although, were they independent, about 60 people would
# be on both (seeded simulation of 3,000 people; A and B are exclusive by construction).
EXCLUSIVE_AB = [407, 260, 0, 215, 44, 38, 0, 168, 33, 20, 0, 24, 4, 3, 0]


def test_stepwise_keeps_a_pair_that_shares_nobody_as_sparsemse_does() -> None:
    table = CaptureTable(("A", "B", "C", "D"), np.array(EXCLUSIVE_AB))
    result = stepwise(table)
    # SparseMSE's stepwisefit: p = P(no overlap) = exp(-expected) under independence.
    expected = float(np.prod(table.bits[:, [0, 1]], axis=1) @ independence(table).fitted)
    assert result.steps[0].added == "A:B"
    assert result.steps[0].p_value == pytest.approx(math.exp(-expected), rel=1e-9)
    assert result.fit.empty_terms == ((0, 1),)
    # An independent fit: statsmodels on the patterns without A and B together.
    keep = np.flatnonzero(~(table.bits[:, 0] & table.bits[:, 1]).astype(bool))
    glm = sm.GLM(
        table.counts[keep].astype(float),
        design_matrix(table.bits[keep], [t for t in result.fit.terms if t != (0, 1)]),
        family=sm.families.Poisson(),
    ).fit()
    assert result.fit.estimate == pytest.approx(table.observed + math.exp(glm.params[0]))
    # It matters: refusing the pair (the old rule) leaves independence, 26% higher, far
    # from the 3,000 simulated.
    assert independence(table).estimate > 1.2 * result.fit.estimate
    assert abs(result.fit.estimate - 3000) < 100


def test_empty_list_is_refused() -> None:
    table = three_lists([10, 12, 5, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="list C is empty"):
        independence(table)


def test_nonexistent_mle_is_refused_naming_the_pattern() -> None:
    # All pairwise margins are positive, but with every two-way term the model has as
    # many parameters as cells, so the empty A+B+C cell would need a zero fitted value.
    table = three_lists([10, 12, 5, 9, 4, 3, 0])
    with pytest.raises(IdentifiabilityError, match=r"does not exist.*A\+B\+C"):
        check_identifiable(table, [(0, 1), (0, 2), (1, 2)])
    check_identifiable(table, [(0, 1), (0, 2)])


def test_hierarchical_model_counts() -> None:
    # Hierarchical models containing all main effects: 9 on 3 factors and 114 on 4,
    # less the saturated model, which MSE can never use.
    assert sum(1 for _ in hierarchical_models(3, 3)) == 8
    assert sum(1 for _ in hierarchical_models(4, 2)) == 64
    assert sum(1 for _ in hierarchical_models(4, 3)) == 113
    for model in hierarchical_models(4, 3):
        for t in model:
            if len(t) == 3:
                assert all(s in model for s in itertools.combinations(t, 2))


def test_neighbourhood_for_ten_lists() -> None:
    models = neighbourhood_models(10, 2)
    assert len(models) == 1 + 45 + 1 + 45
    assert () in models
    assert max(len(m) for m in models) == 45


def test_selection_ranks_by_criterion_and_refits_best() -> None:
    table = load("madigan_york_1997")
    for criterion in ("aic", "bic"):
        sel = select_model(table, criterion=criterion)
        assert sel.exhaustive and sel.searched == 1024
        values = [getattr(s, criterion) for s in sel.ranking]
        assert values == sorted(values)
        assert getattr(sel.best, criterion) == pytest.approx(values[0], rel=1e-8)


def test_stepwise_stops_only_when_no_pair_is_significant() -> None:
    table = load("uk_modern_slavery_2013")
    result = stepwise(table, p_threshold=0.02)
    assert all(step.p_value < 0.02 for step in result.steps)
    fit = result.fit
    bits = table.bits
    for pair in itertools.combinations(range(table.k), 2):
        if pair in fit.terms:
            continue
        observed = float(np.prod(bits[:, list(pair)], axis=1) @ table.counts)
        expected = float(np.prod(bits[:, list(pair)], axis=1) @ fit.fitted)
        p = min(stats.poisson.cdf(observed, expected), stats.poisson.sf(observed - 1, expected))
        if p < 0.02:
            # Only a pair that would make the model unestimable may be skipped.
            with pytest.raises(IdentifiabilityError):
                check_identifiable(table, [*fit.terms, pair])


def test_rows_with_zero_patterns_are_part_of_the_fit() -> None:
    sparse = table_from_rows(["A", "B", "C"], [((1, 0, 0), 40), ((0, 1, 0), 30), ((1, 1, 0), 6)])
    with pytest.raises(IdentifiabilityError, match="list C is empty"):
        independence(sparse)
    fit = independence(sparse.drop_lists(["A", "B"]))
    assert fit.estimate == pytest.approx(46 * 36 / 6)


def test_one_call_estimate_for_every_method() -> None:
    from detente.estimation import Method, estimate

    table = load("madigan_york_1997")
    methods: tuple[Method, ...] = ("independence", "stepwise", "aic", "bic", "bma")
    for method in methods:
        est = estimate(table, method)
        assert table.observed <= est.lower <= est.estimate <= est.upper
        assert est.level == 0.95 and est.method
    with pytest.raises(ValueError, match="unknown method"):
        estimate(table, "magic")  # type: ignore[arg-type]


def test_model_label_shows_generating_terms() -> None:
    table = load("kosovo_1999")
    fit = fit_loglinear(table, ["EXH:ABA:OSCE"], profile=False)
    assert len(fit.terms) == 4  # three pairs implied, plus the triple
    assert fit.model == "main effects + EXH:ABA:OSCE"


def test_exhaustive_search_says_so_and_matches_single_fits() -> None:
    table = load("uk_modern_slavery_2013")
    sel = select_model(table, criterion="aic")
    assert sel.exhaustive and sel.searched == 2**15 and not sel.refused
    est = sel.summary()
    assert est.exhaustive is True and est.models_tried == 2**15
    out = est.as_dict()
    assert out["exhaustive"] is True and out["aic"] == pytest.approx(sel.best.aic)
    assert out["interval"] == [est.lower, est.upper]
    # The batched screen agrees with one statsmodels fit per model.
    rng = np.random.default_rng(5)
    for i in rng.choice(len(sel.ranking), 25, replace=False):
        score = sel.ranking[int(i)]
        fit = fit_loglinear(table, score.terms, profile=False)
        assert score.aic == pytest.approx(fit.aic, abs=1e-6)
        assert score.estimate == pytest.approx(fit.estimate, rel=1e-6)
    # BIC reuses the same fits (cached per table) and agrees with them.
    bic = select_model(table, criterion="bic")
    assert bic.exhaustive and bic.best.bic == pytest.approx(bic.ranking[0].bic, rel=1e-8)


def _eight_lists(seed: int = 0, n: int = 600) -> CaptureTable:
    """A sparse eight-list table: heterogeneous people, 166 of 255 patterns empty."""
    rng = np.random.default_rng(seed)
    k = 8
    p = rng.uniform(0.02, 0.2, k)
    visibility = rng.gamma(0.7, 1 / 0.7, 4 * n)
    on = rng.random((4 * n, k)) < np.clip(p * visibility[:, None], 0, 0.9)
    on = on[np.flatnonzero(on.any(axis=1))[:n]]
    codes = (on * (1 << np.arange(k))).sum(axis=1)
    counts = np.bincount(codes, minlength=2**k)[1:]
    return CaptureTable(tuple(f"L{j}" for j in range(k)), counts)


def test_search_beyond_exhaustive_size_says_it_is_not_exhaustive() -> None:
    table = _eight_lists()
    neighbourhood = select_model(table, models=neighbourhood_models(8, 2))
    assert neighbourhood.searched == 58
    sel = select_model(table, criterion="aic")
    assert not sel.exhaustive and "not exhaustive" in sel.description
    # The greedy runs find a much better model than the 58-model neighbourhood did.
    assert sel.ranking[0].aic < neighbourhood.ranking[0].aic - 10
    assert sel.searched > 1000
    forward, backward = sel.best_of("forward"), sel.best_of("backward")
    assert forward is not None and backward is not None
    assert sel.best.aic == pytest.approx(min(s.aic for s in sel.ranking), rel=1e-9)
    assert sel.best.aic <= min(forward.aic, backward.aic) + 1e-6
    out = sel.summary().as_dict()
    assert out["exhaustive"] is False and out["models_tried"] == sel.searched
    search = out["search"]
    assert isinstance(search, dict)
    assert search["forward"]["aic"] == pytest.approx(forward.aic)
    assert search["backward"]["model"] == backward.label
    # Same seed, same answer, from a cold start.
    from detente.estimation import loglinear

    loglinear._SCORERS.clear()
    again = select_model(_eight_lists(), criterion="aic")
    assert again.best.terms == sel.best.terms
