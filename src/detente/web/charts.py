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


def weekly_dates(start: dt.date, today: dt.date, limit: int = MAX_POINTS) -> list[dt.date]:
    """One date a week from ``start``, at most ``limit`` of them, never after ``today``.

    Each point recomputes progress from the claims, so the count is capped; the headline
    figures always show today.
    """
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
