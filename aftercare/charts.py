"""Progress per body area as small server-rendered SVG charts: pain intensity at each intake
version, soreness per area in feedback after visits, and the visits that treated the area.

The geometry is computed here; ``templates/aftercare/_progress.html`` draws it. No JavaScript,
and each chart has the same numbers as a table for screen readers and anyone who prefers them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clients.body import REGIONS, region_label
from core.timefmt import format_date

WIDTH = 320
HEIGHT = 140
PAD_LEFT = 30
PAD_RIGHT = 12
PAD_TOP = 10
PAD_BOTTOM = 26
MAX_AREAS = 6

INTAKE = "intake"
FEEDBACK = "feedback"

_ORDER = {r.slug: i for i, r in enumerate(REGIONS)}


@dataclass(frozen=True)
class Observation:
    region: str
    at: dt.datetime
    value: int
    source: str  # INTAKE or FEEDBACK


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: int
    date_label: str
    source: str


@dataclass
class AreaChart:
    slug: str
    label: str
    intake_points: list[Point] = field(default_factory=list)
    feedback_points: list[Point] = field(default_factory=list)
    visits: list[tuple[float, str]] = field(default_factory=list)  # (x, date label)
    first_label: str = ""
    last_label: str = ""

    @property
    def intake_polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.intake_points)

    @property
    def feedback_polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.feedback_points)

    @property
    def rows(self) -> list[dict[str, object]]:
        """Every observation in date order, for the table under the chart."""
        items = [
            {"x": p.x, "date": p.date_label, "what": p.source, "value": p.value}
            for p in self.intake_points + self.feedback_points
        ]
        items += [
            {"x": x, "date": label, "what": "visit", "value": None} for x, label in self.visits
        ]
        return sorted(items, key=lambda item: (item["x"], item["what"] != "visit"))

    @property
    def summary(self) -> dict[str, int] | None:
        """First and latest intake pain, when there are two or more intakes."""
        if len(self.intake_points) < 2:
            return None
        return {"first": self.intake_points[0].value, "last": self.intake_points[-1].value}

    @property
    def description(self) -> str:
        """What the chart shows, in one sentence, for screen readers."""
        parts = []
        if self.intake_points:
            values = ", ".join(str(p.value) for p in self.intake_points)
            parts.append(_("pain at intake %(v)s") % {"v": values})
        if self.feedback_points:
            values = ", ".join(str(p.value) for p in self.feedback_points)
            parts.append(_("soreness after visits %(v)s") % {"v": values})
        if self.visits:
            parts.append(
                ngettext("%(n)s visit treated it", "%(n)s visits treated it", len(self.visits))
                % {"n": len(self.visits)}
            )
        return f"{self.label}: " + "; ".join(parts) + f" ({self.first_label} – {self.last_label})."

    @property
    def y_ticks(self) -> list[tuple[float, int]]:
        return [(_y(v), v) for v in (0, 5, 10)]

    @property
    def baseline(self) -> float:
        return float(HEIGHT - PAD_BOTTOM)


def _y(value: int) -> float:
    span = HEIGHT - PAD_TOP - PAD_BOTTOM
    return PAD_TOP + span * (1 - value / 10)


def build_charts(
    observations: list[Observation],
    visits: list[tuple[str, dt.datetime]],
    *,
    tz: dt.tzinfo,
    max_areas: int = MAX_AREAS,
) -> list[AreaChart]:
    """One chart per area that has at least one number, in body order (head to feet)."""
    regions = sorted({o.region for o in observations}, key=lambda s: _ORDER.get(s, 999))
    if not regions:
        return []
    # Areas with the most recent news first when there are too many to show.
    if len(regions) > max_areas:
        latest = {r: max(o.at for o in observations if o.region == r) for r in regions}
        keep = set(sorted(regions, key=lambda r: latest[r], reverse=True)[:max_areas])
        regions = [r for r in regions if r in keep]
    charts = []
    for region in regions:
        own = sorted((o for o in observations if o.region == region), key=lambda o: o.at)
        own_visits = sorted(at for slug, at in visits if slug == region)
        moments = [o.at for o in own] + own_visits
        start, end = min(moments), max(moments)
        span = (end - start).total_seconds()
        inner = WIDTH - PAD_LEFT - PAD_RIGHT

        def x(
            at: dt.datetime, start: dt.datetime = start, span: float = span, inner: int = inner
        ) -> float:
            if span <= 0:
                return PAD_LEFT + inner / 2
            return PAD_LEFT + inner * (at - start).total_seconds() / span

        def label(at: dt.datetime) -> str:
            return format_date(at, zone=tz, year=True)

        chart = AreaChart(
            slug=region,
            label=region_label(region),
            first_label=label(start),
            last_label=label(end),
        )
        for o in own:
            point = Point(x(o.at), _y(o.value), o.value, label(o.at), o.source)
            (chart.intake_points if o.source == INTAKE else chart.feedback_points).append(point)
        chart.visits = [(x(at), label(at)) for at in own_visits]
        charts.append(chart)
    return charts
