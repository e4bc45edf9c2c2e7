"""A small Newton-Raphson Poisson log-linear solver.

statsmodels is used for every fit that is *reported*. This solver exists for the inner
loops that need thousands of fits of tiny designs (model screening, profile likelihood,
bootstrap), where statsmodels' per-call overhead dominates. The test suite checks that
both reach the same maximum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# exp() of anything above this overflows a float64; clipping only matters for wild
# trial steps, which step-halving then rejects.
_ETA_MAX = 700.0


@dataclass(frozen=True)
class PoissonFit:
    beta: FloatArray
    mu: FloatArray
    loglik: float  # without the -sum(log y!) constant
    converged: bool
    iterations: int


def _loglik(y: FloatArray, eta: FloatArray) -> float:
    return float(y @ eta - np.exp(np.minimum(eta, _ETA_MAX)).sum())


def poisson_newton(
    x: FloatArray,
    y: FloatArray,
    start: FloatArray | None = None,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> PoissonFit:
    """Maximise the Poisson log-likelihood of ``y`` with log-mean ``x @ beta``."""
    if start is None:
        # Least squares on log(y + 0.5) lands close enough for Newton to converge fast.
        beta = np.asarray(np.linalg.lstsq(x, np.log(y + 0.5), rcond=None)[0], dtype=np.float64)
    else:
        beta = start.astype(np.float64, copy=True)
    eta = x @ beta
    ll = _loglik(y, eta)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - iteration count is reported
        mu = np.exp(np.minimum(eta, _ETA_MAX))
        grad = x.T @ (y - mu)
        hess = (x * mu[:, None]).T @ x
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        t = 1.0
        while True:
            new_beta = beta + t * step
            new_eta = x @ new_beta
            new_ll = _loglik(y, new_eta)
            if new_ll >= ll - 1e-12 * abs(ll) or t < 1e-8:
                break
            t /= 2
        gain = new_ll - ll
        beta, eta, ll = new_beta, new_eta, new_ll
        if abs(gain) <= tol * (abs(ll) + 1.0) and float(np.abs(t * step).max()) < 1e-6:
            converged = True
            break
    mu = np.exp(np.minimum(eta, _ETA_MAX))
    return PoissonFit(beta=beta, mu=mu, loglik=ll, converged=converged, iterations=it)
