"""Warnings a non-statistician can act on, about a capture table and its estimates.

Each warning is a :class:`Notice`: a stable ``code``, the values it speaks of (``params``)
and a plain English ``message`` that says what is wrong and what to do. The codes and
parameters are the contract: the Django layer words them again in the reader's language
(``detente.evidence.estimates.WARNING_MESSAGES`` holds the same sentences under gettext).

* ``empty_list``: a list with nobody on it.
* ``subset_list``: everyone on one list is on another (copied or drawn from it).
* ``no_overlap``: a pair of lists that share nobody.
* ``sparse_table``: more than half of the combinations of lists have nobody.
* ``methods_disagree``: the estimates differ by more than a factor of 2.
* ``search_not_exhaustive``: an AIC/BIC search could not try every model.
* ``bma_tail``: BMA's grid still leaves posterior mass of 1e-4 or more beyond its half-way
  point (a grid given by hand, or the largest grid allowed).
* ``lcmcr_unsettled``: the latent-class sampler's diagnostics fail (too few effective
  draws, chains that disagree, or a chain still drifting).
* ``lcmcr_ceiling``: the latent-class model's unseen count reached its ceiling in so many
  draws that the interval's upper end is the ceiling (the lists overlap too little to
  bound the total).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from detente.estimation.bma import TAIL_TOLERANCE
from detente.estimation.capture import CaptureTable
from detente.estimation.lcmcr import (
    ESS_WARNING,
    GEWEKE_WARNING,
    MAX_UNOBSERVED_RATIO,
    RHAT_WARNING,
)

SPARSE_SHARE = 0.5
DISAGREEMENT_FACTOR = 2.0

MESSAGES: dict[str, str] = {
    "empty_list": (
        "Nobody is on the list %(list)s. It tells nothing about who was missed: leave it out."
    ),
    "subset_list": (
        "Everyone on %(list)s is also on %(other)s. A list drawn from another is not "
        "independent of it, and the estimates can then miss the true number without any "
        "sign of it. Leave %(list)s out, or count the two as one list, and estimate again."
    ),
    "no_overlap": (
        "Nobody is on both %(list)s and %(other)s. The models then assume these two lists "
        "can never share anyone. If they could (the same people, place and period), check "
        "the matching, and compare the estimates with one of the two lists left out."
    ),
    "sparse_table": (
        "%(empty)s of the %(cells)s combinations of lists have nobody in them. The estimates "
        "rest on few people and depend strongly on the method: treat them as rough, quote the "
        "range across methods, and add lists or people before relying on a figure."
    ),
    "methods_disagree": (
        "The methods disagree by more than a factor of 2 (from %(low)s to %(high)s). The data "
        "do not settle how the lists depend on each other: do not quote one figure; quote the "
        "range and say why, or stratify (by province or period) and estimate again."
    ),
    "search_not_exhaustive": (
        "%(method)s did not try every model: %(tried)s of them were tried by searching "
        "forward, backward and from random starts. A better model may exist; compare with "
        "the stepwise result and with fewer lists."
    ),
    "bma_tail": (
        "Model averaging left part of its answer off the end of its range (%(share)s of it "
        "beyond %(grid)s people not on any list): its upper bound is too low. Estimate "
        "again with the default range, or treat the upper bound as a minimum."
    ),
    "lcmcr_unsettled": (
        "The latent-class model's sampler has not settled (the equivalent of %(ess)s "
        "independent draws of the total, %(needed)s needed; R-hat %(rhat)s): its figure and "
        "interval could still move. Treat them as rough, and quote the other methods."
    ),
    "lcmcr_ceiling": (
        "The lists overlap too little for the latent-class model to bound the total: in "
        "%(share)s of its draws the number of people on no list reached its ceiling "
        "(%(ratio)s times the number observed). The upper end of its interval is that "
        "ceiling, not the data: do not quote it."
    ),
}


@dataclass(frozen=True)
class Notice:
    code: str
    params: Mapping[str, object] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return MESSAGES[self.code] % {k: _shown(v) for k, v in self.params.items()}

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "params": dict(self.params)}


def _shown(value: object) -> object:
    if isinstance(value, float):
        return f"{value:,.0f}" if value >= 100 else f"{value:.2g}"
    if isinstance(value, int):
        return f"{value:,}"
    return value


def table_notices(table: CaptureTable) -> list[Notice]:
    """Warnings about the table itself: empty and subset lists, lists sharing nobody,
    mostly empty combinations."""
    bits = table.bits
    y = table.counts
    totals = bits.T @ y
    out: list[Notice] = []
    names = table.lists
    for j, name in enumerate(names):
        if totals[j] == 0:
            out.append(Notice("empty_list", {"list": name}))
    for i, j in itertools.permutations(range(table.k), 2):
        if totals[i] == 0 or totals[j] == 0:
            continue
        only_i = int(((bits[:, i] == 1) & (bits[:, j] == 0)) @ y)
        if only_i == 0 and (totals[i] < totals[j] or i < j):
            out.append(Notice("subset_list", {"list": names[i], "other": names[j]}))
    for i, j in itertools.combinations(range(table.k), 2):
        if totals[i] and totals[j] and int((bits[:, i] & bits[:, j]) @ y) == 0:
            out.append(Notice("no_overlap", {"list": names[i], "other": names[j]}))
    cells = int(y.size)
    empty = int((y == 0).sum())
    if cells >= 7 and empty > SPARSE_SHARE * cells:
        out.append(Notice("sparse_table", {"empty": empty, "cells": cells}))
    return out


def _as_int(value: object) -> int:
    return int(value) if isinstance(value, int | float) else 0


def estimate_notices(estimates: Sequence[Mapping[str, object]]) -> list[Notice]:
    """Warnings about the estimates (``Estimate.as_dict()`` rows; refused rows skipped)."""
    out: list[Notice] = []
    for row in estimates:
        if row.get("refused"):
            continue
        if row.get("exhaustive") is False:
            out.append(
                Notice(
                    "search_not_exhaustive",
                    {"method": str(row.get("method")), "tried": row.get("models_tried")},
                )
            )
        ess, rhat, geweke = row.get("ess"), row.get("rhat"), row.get("geweke")
        diagnosed = all(isinstance(v, float) for v in (ess, rhat, geweke))
        if diagnosed and not (
            float(ess) >= ESS_WARNING  # type: ignore[arg-type]
            and float(rhat) <= RHAT_WARNING  # type: ignore[arg-type]
            and float(geweke) <= GEWEKE_WARNING  # type: ignore[arg-type]
        ):
            out.append(
                Notice(
                    "lcmcr_unsettled",
                    {
                        "ess": round(float(ess)),  # type: ignore[arg-type]
                        "needed": round(ESS_WARNING),
                        "rhat": f"{float(rhat):.3f}",  # type: ignore[arg-type]
                    },
                )
            )
        # Only when the ceiling reaches into the interval: below (1 - level) / 2 of the
        # draws, the upper end is still read from draws under the ceiling.
        capped, level = row.get("capped_share"), row.get("level")
        reaches = (1.0 - float(level)) / 2 if isinstance(level, float) else 0.025
        if isinstance(capped, float) and capped >= reaches:
            out.append(
                Notice(
                    "lcmcr_ceiling",
                    {"share": f"{capped:.1%}", "ratio": MAX_UNOBSERVED_RATIO},
                )
            )
        tail = row.get("tail_mass")
        if isinstance(tail, float) and tail >= TAIL_TOLERANCE:
            out.append(
                Notice(
                    "bma_tail",
                    {"share": f"{tail:.1%}", "grid": _as_int(row.get("grid_max")) // 2},
                )
            )
    values = [
        float(v)
        for v in (row.get("estimate") for row in estimates if not row.get("refused"))
        if isinstance(v, int | float)
    ]
    if len(values) >= 2 and min(values) > 0 and max(values) > DISAGREEMENT_FACTOR * min(values):
        out.append(Notice("methods_disagree", {"low": min(values), "high": max(values)}))
    return out


__all__ = ["MESSAGES", "Notice", "estimate_notices", "table_notices"]
