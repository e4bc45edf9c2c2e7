"""Warnings a non-statistician can act on: subset lists, lists sharing nobody, mostly
empty tables, methods that disagree, searches that were not exhaustive."""

from __future__ import annotations

import numpy as np

from detente.estimation import CaptureTable, Method, estimate
from detente.estimation.notices import MESSAGES, Notice, estimate_notices, table_notices


def codes(notices: list[Notice]) -> list[str]:
    return [n.code for n in notices]


def test_a_list_inside_another_is_named() -> None:
    # Everyone on C is also on A (C was drawn from A).
    table = CaptureTable(("A", "B", "C"), np.array([40, 30, 10, 0, 6, 0, 2]))
    (notice,) = [n for n in table_notices(table) if n.code == "subset_list"]
    assert notice.params == {"list": "C", "other": "A"}
    assert notice.message.startswith("Everyone on C is also on A.")
    assert "Leave C out" in notice.message


def test_lists_sharing_nobody_and_a_mostly_empty_table() -> None:
    counts = np.zeros(31, dtype=np.int64)
    for pattern, n in {1: 50, 2: 40, 4: 30, 8: 20, 16: 10, 3: 5, 5: 4, 6: 3}.items():
        counts[pattern - 1] = n
    table = CaptureTable(("A", "B", "C", "D", "E"), counts)
    notices = table_notices(table)
    pairs = {(n.params["list"], n.params["other"]) for n in notices if n.code == "no_overlap"}
    assert ("A", "D") in pairs and ("D", "E") in pairs and ("A", "B") not in pairs
    (sparse,) = [n for n in notices if n.code == "sparse_table"]
    assert sparse.params == {"empty": 23, "cells": 31}
    assert sparse.message.startswith("23 of the 31 combinations of lists have nobody in them.")


def test_methods_disagreeing_by_more_than_twice_and_a_search_not_exhaustive() -> None:
    rows: list[dict[str, object]] = [
        {"method": "log-linear, independence", "estimate": 1000.0},
        {
            "method": "log-linear, AIC",
            "estimate": 2500.0,
            "exhaustive": False,
            "models_tried": 2147,
        },
        {"method": "decomposable-graph BMA", "refused": "no"},
    ]
    notices = estimate_notices(rows)
    assert codes(notices) == ["search_not_exhaustive", "methods_disagree"]
    assert "(from 1,000 to 2,500)" in notices[1].message
    assert "2,147 of them were tried" in notices[0].message
    assert estimate_notices(rows[:1]) == []


def test_a_clean_table_has_no_warnings() -> None:
    table = CaptureTable(("A", "B", "C"), np.array([30, 20, 8, 25, 6, 5, 2]))
    assert table_notices(table) == []
    methods: tuple[Method, ...] = ("independence", "stepwise", "bma")
    rows = [estimate(table, m).as_dict() for m in methods]
    assert estimate_notices(rows) == []


def test_every_code_has_a_sentence() -> None:
    assert set(MESSAGES) == {
        "empty_list",
        "subset_list",
        "no_overlap",
        "sparse_table",
        "methods_disagree",
        "search_not_exhaustive",
        "bma_tail",
        "lcmcr_unsettled",
        "lcmcr_ceiling",
    }


def test_the_latent_class_models_diagnostics_become_warnings() -> None:
    row = {"method": "latent class (LCMCR)", "estimate": 2000.0, "ess": 1500.0,
           "rhat": 1.001, "geweke": 0.8, "capped_share": 0.0}  # fmt: skip
    assert estimate_notices([row]) == []
    few = estimate_notices([{**row, "ess": 120.0}])
    assert codes(few) == ["lcmcr_unsettled"]
    assert "the equivalent of 120 independent draws" in few[0].message
    assert codes(estimate_notices([{**row, "rhat": 1.08}])) == ["lcmcr_unsettled"]
    assert codes(estimate_notices([{**row, "geweke": 3.1}])) == ["lcmcr_unsettled"]
    # A ceiling touched now and then does not make the interval's upper end; past 2.5 %
    # of the draws (a 95 % interval) it does.
    assert estimate_notices([{**row, "capped_share": 0.001, "level": 0.95}]) == []
    capped = estimate_notices([{**row, "capped_share": 0.031}])
    assert codes(capped) == ["lcmcr_ceiling"] and "3.1% of its draws" in capped[0].message


def test_the_django_layer_words_the_same_sentences() -> None:
    from detente.evidence.estimates import WARNING_MESSAGES

    assert WARNING_MESSAGES == MESSAGES
