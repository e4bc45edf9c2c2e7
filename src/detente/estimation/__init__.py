"""Multiple systems estimation: how many people no list names.

Pure Python (numpy, scipy, statsmodels); no Django. Entry points:

* :func:`capture_table` / :func:`stratified_capture_tables` — tabulate list membership.
* :func:`fit_loglinear`, :func:`independence`, :func:`select_model` (AIC/BIC),
  :func:`stepwise` (UK Home Office / SparseMSE rule) — log-linear models.
* :func:`bma` — Madigan & York (1997) averaging over decomposable graphs, as in ``dga``.
* :func:`lcmcr` — Manrique-Vallier (2016) latent-class model (a Dirichlet-process mixture),
  for people who differ in how visible they are.
* :func:`stratified_loglinear`, :func:`stratified_bma` — sums over strata.
* :func:`matching_sensitivity` — grey-zone matches accepted vs rejected.
* :func:`estimate` — one call, one :class:`Estimate`, for the CLI/API layers.

See ``docs/estimation-methods.md`` for what each method assumes.
"""

from __future__ import annotations

import hashlib
from typing import Literal

import numpy as np

from detente.estimation.bma import BMAResult, DecomposableGraph, bma, decomposable_graphs
from detente.estimation.capture import (
    CaptureFileError,
    CaptureTable,
    capture_table,
    pattern_bits,
    read_capture_csv,
    stratified_capture_tables,
    table_from_rows,
)
from detente.estimation.lcmcr import LCMCRResult, lcmcr
from detente.estimation.loglinear import (
    IdentifiabilityError,
    LoglinearFit,
    ModelSelection,
    StepwiseResult,
    check_identifiable,
    fit_loglinear,
    hierarchical_models,
    independence,
    neighbourhood_models,
    profile_interval,
    select_model,
    stepwise,
)
from detente.estimation.results import Estimate
from detente.estimation.stratified import (
    MatchingSensitivity,
    StratifiedBMA,
    StratifiedEstimate,
    matching_sensitivity,
    merge_matches,
    stratified_bma,
    stratified_loglinear,
)

Method = Literal["independence", "stepwise", "aic", "bic", "bma", "lcmcr"]


def table_seed(table: CaptureTable) -> int:
    """A seed drawn from the table's counts: the sampler's answer for a table is the same
    on the page, at the command line and in the API, run after run."""
    digest = hashlib.sha256(np.asarray(table.counts, dtype=np.int64).tobytes()).digest()
    return int.from_bytes(digest[:8], "little")


def estimate(table: CaptureTable, method: Method = "stepwise", level: float = 0.95) -> Estimate:
    """Estimate the total with one of the named methods and summarise it."""
    if method == "independence":
        return independence(table, level=level).summary("log-linear, independence")
    if method == "stepwise":
        return stepwise(table, level=level).fit.summary("log-linear, stepwise")
    if method == "aic":
        return select_model(table, criterion="aic", level=level).summary()
    if method == "bic":
        return select_model(table, criterion="bic", level=level).summary()
    if method == "bma":
        return bma(table, level=level).summary()
    if method == "lcmcr":
        return lcmcr(table, level=level, seed=table_seed(table)).summary()
    raise ValueError(f"unknown method {method!r}")


__all__ = [
    "BMAResult",
    "CaptureFileError",
    "CaptureTable",
    "DecomposableGraph",
    "Estimate",
    "IdentifiabilityError",
    "LCMCRResult",
    "LoglinearFit",
    "MatchingSensitivity",
    "Method",
    "ModelSelection",
    "StepwiseResult",
    "StratifiedBMA",
    "StratifiedEstimate",
    "bma",
    "capture_table",
    "check_identifiable",
    "decomposable_graphs",
    "estimate",
    "fit_loglinear",
    "hierarchical_models",
    "independence",
    "lcmcr",
    "matching_sensitivity",
    "merge_matches",
    "neighbourhood_models",
    "pattern_bits",
    "profile_interval",
    "read_capture_csv",
    "select_model",
    "stepwise",
    "stratified_bma",
    "stratified_capture_tables",
    "stratified_loglinear",
    "table_from_rows",
    "table_seed",
]
