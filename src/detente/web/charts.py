"""Server-side geometry for the progress chart: the page needs no JavaScript.

Coordinates are formatted here as plain strings, because a template would localise a
float ("12,5" in Spanish) and break the SVG.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MAX_POINTS = 26
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40


def chart_dates(start: dt.date, today: dt.date, limit: int = MAX_POINTS) -> list[dt.date]:
    """The chart's dates: from ``start`` to ``today`` always, so that its last point is
    today's figure, the one the headline shows.

    A week apart while that fits in ``limit`` points; otherwise ``limit`` dates spread
    evenly over the whole span (each point recomputes progress from the claims, so the
    count is capped).
    """
    if start >= today:
        return [today]
    span = (today - start).days
    if span <= 7 * (limit - 1):
        days = [start + dt.timedelta(weeks=k) for k in range(span // 7 + 1)]
    else:
        days = sorted(
            {start + dt.timedelta(days=round(k * span / (limit - 1))) for k in range(limit)}
        )
    if days[-1] != today:
        days.append(today)
    return days


def weekly_dates(start: dt.date, today: dt.date, limit: int = MAX_POINTS) -> list[dt.date]:
    """A week apart from ``start``, at most ``limit`` dates, never after ``today`` (the
    timeline tests' sampling; the chart uses :func:`chart_dates`)."""
    if start > today:
        return [today]
    days = [start + dt.timedelta(weeks=k) for k in range(limit)]
    days = [d for d in days if d <= today]
    if len(days) < limit and days[-1] != today:
        days.append(today)
    return days


@dataclass(frozen=True)
class ChartPoint:
    day: dt.date
    claimed: int
    confirmed: int
    x: str
    y_claimed: str
    y_confirmed: str


@dataclass(frozen=True)
class Tick:
    value: int
    y: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int  # x of the right edge of the plot
    top: int
    bottom: int  # y of the x axis
    points: list[ChartPoint]
    claimed_line: str
    confirmed_line: str
    ticks: list[Tick]
    first: ChartPoint
    last: ChartPoint


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def progress_chart(series: list[tuple[dt.date, int, int]], ceiling: int) -> Chart:
    """Lay out (day, claimed, confirmed) points; ``ceiling`` is usually the promised count."""
    top_value = max([ceiling, 1, *(max(c, f) for _, c, f in series)])
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(series) - 1, 1)

    def y(v: int) -> float:
        return TOP + plot_h * (1 - v / top_value)

    points = [
        ChartPoint(
            day, claimed, confirmed, _fmt(LEFT + i * step), _fmt(y(claimed)), _fmt(y(confirmed))
        )
        for i, (day, claimed, confirmed) in enumerate(series)
    ]
    tick_values = sorted({0, top_value // 2, top_value})
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=HEIGHT - BOTTOM,
        points=points,
        claimed_line=" ".join(f"{p.x},{p.y_claimed}" for p in points),
        confirmed_line=" ".join(f"{p.x},{p.y_confirmed}" for p in points),
        ticks=[Tick(v, _fmt(y(v))) for v in tick_values],
        first=points[0],
        last=points[-1],
    )


@dataclass(frozen=True)
class IntervalBar:
    label: str
    estimate: float
    lower: float
    upper: float | None  # None: the data cannot bound it (drawn to the edge with an arrow)
    y: str
    x_estimate: str
    x_lower: str
    x_upper: str


@dataclass(frozen=True)
class IntervalChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    observed: int
    x_observed: str
    bars: list[IntervalBar]
    ticks: list[tuple[int, str]]


def interval_chart(observed: int, results: list[dict[str, object]]) -> IntervalChart | None:
    """Estimates with their intervals as horizontal bars on one axis that starts at zero,
    with the observed count marked, so the size of the hidden part reads at a glance.

    ``results`` are the dictionaries of ``registry_estimate``; refused ones are skipped.
    """
    rows = [r for r in results if "refused" not in r]
    if not rows:
        return None
    # Room for the longest method label in either language ("Log-linear, mejor según BIC",
    # "Clases latentes (LCMCR)") at the chart's type size.
    left, right, top, row_h = 220, 24, 16, 34
    height = top + row_h * len(rows) + 30
    finite = [float(r["upper"]) for r in rows if r.get("upper") is not None]  # type: ignore[arg-type]
    highest = max([observed, 1, *finite, *(float(r["estimate"]) for r in rows)])  # type: ignore[arg-type]
    top_value = highest * 1.1
    plot_w = WIDTH - left - right

    def x(v: float) -> str:
        return _fmt(left + plot_w * min(v, top_value) / top_value)

    bars = []
    for i, r in enumerate(rows):
        upper = r.get("upper")
        bars.append(
            IntervalBar(
                label=str(r.get("label") or r["method"]),
                estimate=float(r["estimate"]),  # type: ignore[arg-type]
                lower=float(r["lower"]),  # type: ignore[arg-type]
                upper=None if upper is None else float(upper),  # type: ignore[arg-type]
                y=_fmt(top + row_h * i + row_h / 2),
                x_estimate=x(float(r["estimate"])),  # type: ignore[arg-type]
                x_lower=x(float(r["lower"])),  # type: ignore[arg-type]
                x_upper=x(top_value if upper is None else float(upper)),  # type: ignore[arg-type]
            )
        )
    step = max(1, round(top_value / 4))
    ticks = [(v, x(v)) for v in range(0, int(top_value) + 1, step)]
    return IntervalChart(
        width=WIDTH,
        height=height,
        left=left,
        right=WIDTH - right,
        top=top,
        bottom=height - 30,
        observed=observed,
        x_observed=x(observed),
        bars=bars,
        ticks=ticks,
    )
