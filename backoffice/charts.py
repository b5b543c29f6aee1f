"""Bar charts drawn on the server as SVG geometry (no script, no inline style: the strict CSP
holds). A template draws the rectangles; the numbers are in a table beside it as well."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WIDTH = 640
HEIGHT = 200
LEFT = 76
RIGHT = 32  # room for the last month's label, centred under its bar
TOP = 10
BOTTOM = 24


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    label: str
    value: str


@dataclass(frozen=True)
class Tick:
    y: int
    label: str


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str
    width: int
    height: int
    left: int
    right_edge: int
    baseline: int
    bars: list[Bar]
    ticks: list[Tick]


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 1.0
    while step * 10 < value:
        step *= 10
    for m in (1, 2, 5, 10):
        if value <= step * m:
            return step * m
    return step * 10


def _label(unit: str, value: float) -> str:
    return f"{unit}{value:,.0f}" if value == int(value) else f"{unit}{value:,.1f}"


def bar_chart(*, title: str, points: list[tuple[str, int | Decimal]], unit: str = "") -> BarChart:
    """Bars for ``points`` (label, value), scaled to a round maximum with four grid lines."""
    top = _nice_max(max((float(v) for _, v in points), default=0.0))
    if all(isinstance(v, int) for _, v in points):
        top = max(top, 4.0)  # counts: whole numbers on every grid line
    plot_h = HEIGHT - TOP - BOTTOM
    plot_w = WIDTH - LEFT - RIGHT
    slot = plot_w // max(len(points), 1)
    bar_w = max(int(slot * 0.7), 2)
    baseline = TOP + plot_h
    bars = []
    for i, (label, value) in enumerate(points):
        h = round(plot_h * float(value) / top)
        x = LEFT + i * slot + (slot - bar_w) // 2
        bars.append(
            Bar(x=x, y=baseline - h, width=bar_w, height=h, label=label, value=f"{unit}{value}")
        )
    ticks = [
        Tick(y=baseline - round(plot_h * k / 4), label=_label(unit, top * k / 4)) for k in range(5)
    ]
    description = f"{title}: " + ", ".join(f"{b.label} {b.value}" for b in bars)
    return BarChart(
        title=title,
        description=description,
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right_edge=WIDTH - RIGHT,
        baseline=baseline,
        bars=bars,
        ticks=ticks,
    )
