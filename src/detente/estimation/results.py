"""A method-independent summary of one estimate, for display side by side."""

from __future__ import annotations

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
        }
