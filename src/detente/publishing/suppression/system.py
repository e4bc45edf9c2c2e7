"""The attacker's linear system: what published values say about hidden ones, solved as
linear (or, when an optimum is fractional, integer) programs."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_array

from detente.publishing.suppression.layout import _Layout, _Model

FloatArray = npt.NDArray[np.float64]

_TOL = 1e-6


class _System:
    """The linear system an attacker can write from published values.

    Unknowns are the model's base variables (table cells, or cells of the joint
    cross-classification) that published values do not fix, each >= 0, a suppressed cell >=
    ``suppressed_min``, all <= ``cap`` when given (which keeps "maximise" problems bounded).
    Equations: each published value equals the sum of its base variables, a suppressed one is
    at least ``suppressed_min``, and a quantity equals itself as seen from every other table.
    """

    def __init__(
        self,
        layout: _Layout,
        model: _Model,
        values: Sequence[int | None],
        suppressed_min: int,
        cap: float | None,
    ) -> None:
        self.layout = layout
        fixed: dict[int, int] = {}
        lower = dict.fromkeys(range(model.n_vars), 0)

        def fix(var: int, value: int, occ: int) -> None:
            if fixed.setdefault(var, value) != value:
                raise ValueError(f"published values are inconsistent at {layout.positions[occ]}")

        for occ, (expr, value) in enumerate(zip(model.exprs, values, strict=True)):
            if value == 0:
                for var in expr:  # counts are non-negative: a published 0 fixes all its parts
                    fix(var, 0, occ)
            elif len(expr) == 1:
                if value is None:
                    lower[expr[0]] = max(lower[expr[0]], suppressed_min)
                else:
                    fix(expr[0], value, occ)
        free_vars = [var for var in range(model.n_vars) if var not in fixed]
        var_of = {var: k for k, var in enumerate(free_vars)}
        self.n_vars = len(free_vars)
        self.lower = np.array([float(lower[var]) for var in free_vars])
        self.cap = cap
        self.parts: list[tuple[tuple[int, ...], int]] = []  # (free variables, constant)
        for expr in model.exprs:
            free = tuple(var_of[var] for var in expr if var in var_of)
            self.parts.append((free, sum(fixed[var] for var in expr if var not in var_of)))
        rows: list[dict[int, float]] = []
        rhs: list[float] = []
        ub_rows: list[dict[int, float]] = []
        ub_rhs: list[float] = []

        def equation(coefs: dict[int, float], right: int, what: str) -> None:
            coefs = {v: c for v, c in coefs.items() if c != 0}
            if coefs:
                rows.append(coefs)
                rhs.append(float(right))
            elif right != 0:
                raise ValueError(f"published values are inconsistent: {what}")

        for occ, value in enumerate(values):
            free, const = self.parts[occ]
            if value is not None:
                equation(
                    dict.fromkeys(free, 1.0),
                    value - const,
                    f"{layout.positions[occ]} = {value} disagrees with its cells",
                )
            elif not free and const < suppressed_min:
                raise ValueError(
                    f"published values are inconsistent with suppressed_min={suppressed_min}: "
                    f"{layout.positions[occ]} is suppressed but its cells are published"
                    f" and add up to {const}"
                )
            elif free and max(self.lower[v] for v in free) + const < suppressed_min:
                ub_rows.append(dict.fromkeys(free, -1.0))  # sum >= suppressed_min - const
                ub_rhs.append(float(const - suppressed_min))
        for a, b in layout.links:
            (free_a, const_a), (free_b, const_b) = self.parts[a], self.parts[b]
            coefs: dict[int, float] = {}
            for v in free_a:
                coefs[v] = coefs.get(v, 0.0) + 1.0
            for v in free_b:
                coefs[v] = coefs.get(v, 0.0) - 1.0
            pa, pb = layout.positions[a], layout.positions[b]
            equation(coefs, const_b - const_a, f"{pa} and {pb} should be equal")
        self.a_eq = self._matrix(rows)
        self.b_eq = np.asarray(rhs, dtype=np.float64)
        self.a_ub = self._matrix(ub_rows)
        self.b_ub = np.asarray(ub_rhs, dtype=np.float64)

    def _matrix(self, rows: list[dict[int, float]]) -> csr_array:
        data: list[float] = []
        indices: list[int] = []
        indptr = [0]
        for row in rows:
            for v in sorted(row):
                indices.append(v)
                data.append(row[v])
            indptr.append(len(indices))
        return csr_array(
            (np.asarray(data, dtype=np.float64), np.asarray(indices), np.asarray(indptr)),
            shape=(len(rows), self.n_vars),
        )

    def objective(self, occs: Sequence[int], sign: float) -> FloatArray:
        c = np.zeros(self.n_vars)
        for occ in occs:
            for v in self.parts[occ][0]:
                c[v] += sign
        return c

    def solve(self, c: FloatArray, integer: bool) -> FloatArray | None:
        """Minimise ``c @ x``; ``None`` when unbounded. Integer solutions when ``integer``."""
        if self.n_vars == 0:
            return np.zeros(0)
        has_eq, has_ub = self.a_eq.shape[0] > 0, self.a_ub.shape[0] > 0
        upper = np.full(self.n_vars, np.inf if self.cap is None else self.cap)
        result = linprog(
            c,
            A_ub=self.a_ub if has_ub else None,
            b_ub=self.b_ub if has_ub else None,
            A_eq=self.a_eq if has_eq else None,
            b_eq=self.b_eq if has_eq else None,
            bounds=np.column_stack([self.lower, upper]),
            method="highs-ds",  # simplex: vertex solutions, integral when the system is TU
        )
        if result.status == 3:
            return None
        self._raise_unless_solved(result.status, result.message)
        x = np.asarray(result.x, dtype=np.float64)
        if integer and not _integral(x):
            return self._solve_integer(c, upper)
        return x

    def _solve_integer(self, c: FloatArray, upper: FloatArray) -> FloatArray | None:
        constraints = []
        if self.a_eq.shape[0]:
            constraints.append(LinearConstraint(self.a_eq, self.b_eq, self.b_eq))
        if self.a_ub.shape[0]:
            constraints.append(LinearConstraint(self.a_ub, -np.inf, self.b_ub))
        result = milp(
            c,
            integrality=np.ones(self.n_vars),
            bounds=Bounds(self.lower, upper),
            constraints=constraints,
        )
        if result.status == 3 or (result.status == 4 and "nbounded" in str(result.message)):
            return None
        self._raise_unless_solved(result.status, result.message)
        return np.asarray(np.round(result.x), dtype=np.float64)

    @staticmethod
    def _raise_unless_solved(status: int, message: object) -> None:
        if status == 2:
            raise ValueError(
                "published values are inconsistent: no non-negative tables match them "
                "(tables from different populations, or zeros suppressed with "
                "suppressed_min=1?)"
            )
        if status != 0:
            raise RuntimeError(f"linear program failed: {message}")

    def value_at(self, occ: int, x: FloatArray) -> float:
        free, const = self.parts[occ]
        return const + float(sum(x[v] for v in free))

    def interval(self, occ: int, integer: bool) -> tuple[float, float]:
        free, const = self.parts[occ]
        if not free:
            return float(const), float(const)
        low = self.solve(self.objective([occ], 1.0), integer)
        high = self.solve(self.objective([occ], -1.0), integer)
        lo = -math.inf if low is None else self.value_at(occ, low)
        hi = math.inf if high is None else self.value_at(occ, high)
        return lo, hi

    def audit(
        self, targets: Sequence[int], truth: Sequence[int], threshold: int, integer: bool
    ) -> tuple[list[int], list[int]]:
        """(exactly determined, narrowed into [1, threshold-1]) among suppressed ``targets``.

        Any solution where a value differs from the truth proves it undetermined, and any
        where a primary value reaches the threshold proves it not narrowed; so a few
        "maximise/minimise the sum of the open cases" solves settle most targets at once,
        and only the rest get a solve of their own.
        """
        # Over the reals a value must move by a whole unit: a stand-in for an integer solution.
        tol = 0.5 if integer else 1 - _TOL
        exact: list[int] = []
        move: set[int] = set()
        reach: set[int] = set()
        narrowed: list[int] = []
        for occ in targets:
            if not self.parts[occ][0]:  # a constant: determined by published values alone
                exact.append(occ)
                if truth[occ] < threshold:
                    narrowed.append(occ)
            else:
                move.add(occ)
                if truth[occ] < threshold:
                    reach.add(occ)

        def settle(x: FloatArray | None) -> bool:
            if x is None:
                return False
            before = len(move) + len(reach)
            for occ in list(move):
                if abs(self.value_at(occ, x) - truth[occ]) > tol:
                    move.discard(occ)
            for occ in list(reach):
                if self.value_at(occ, x) >= threshold - _TOL:
                    reach.discard(occ)
            return len(move) + len(reach) < before

        while (move or reach) and settle(
            self.solve(self.objective(sorted(move | reach), -1.0), integer)
        ):
            pass
        while move and settle(self.solve(self.objective(sorted(move), 1.0), integer)):
            pass
        for occ in sorted(reach):
            if occ in reach:
                settle(self.solve(self.objective([occ], -1.0), integer))
                if occ in reach:
                    narrowed.append(occ)
        for occ in sorted(move):
            if occ in move:
                settle(self.solve(self.objective([occ], -1.0), integer))
            if occ in move:
                settle(self.solve(self.objective([occ], 1.0), integer))
            if occ in move:
                exact.append(occ)
        return sorted(exact), sorted(narrowed)


def _integral(x: FloatArray) -> bool:
    return bool(np.all(np.abs(x - np.round(x)) <= _TOL))
