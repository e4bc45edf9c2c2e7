"""A method-independent summary of one estimate, for display side by side."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Estimate:
    """Estimated total population (observed + unobserved) with an interval.

    ``lower``/``upper`` bound the *total*, never less than ``observed``; ``upper`` may be
    ``inf`` when the data cannot bound it. ``interval_kind`` says what the interval is
    (profile likelihood, Wald on the log scale, Bayesian credible, bootstrap ...).
    """

    method: str
    model: str
    observed: int
    estimate: float
    lower: float
    upper: float
    level: float
    interval_kind: str
    stratum: str | None = None
    # Method-specific details, None where they do not apply.
    aic: float | None = None
    bic: float | None = None
    delta: float | None = None  # BMA: the hyper-Dirichlet prior count per cell
    tail_mass: float | None = None  # BMA: posterior mass on the upper half of the grid
    grid_max: int | None = None  # BMA: largest unobserved count on the grid
    exhaustive: bool | None = None  # AIC/BIC: was every model in the class scored?
    models_tried: int | None = None  # AIC/BIC: how many models were scored
    search: Mapping[str, object] | None = None  # AIC/BIC: criterion, order, best per direction
    ess: float | None = None  # LCMCR: effective sample size of the total's draws
    rhat: float | None = None  # LCMCR: split R-hat over the chains
    geweke: float | None = None  # LCMCR: the largest |Geweke z| of the chains
    capped_share: float | None = None  # LCMCR: share of draws whose unseen count hit the cap

    @property
    def unobserved(self) -> float:
        return self.estimate - self.observed

    def contains(self, value: float) -> bool:
        return self.lower <= value <= self.upper

    def as_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "model": self.model,
            "stratum": self.stratum,
            "observed": self.observed,
            "estimate": self.estimate,
            "lower": self.lower,
            "upper": self.upper,
            "level": self.level,
            "interval_kind": self.interval_kind,
            "interval": [self.lower, self.upper],
            "aic": self.aic,
            "bic": self.bic,
            "delta": self.delta,
            "tail_mass": self.tail_mass,
            "grid_max": self.grid_max,
            "exhaustive": self.exhaustive,
            "models_tried": self.models_tried,
            "search": None if self.search is None else dict(self.search),
            "ess": self.ess,
            "rhat": self.rhat,
            "geweke": self.geweke,
            "capped_share": self.capped_share,
        }
