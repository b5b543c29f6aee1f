"""The slot engine: which start times a client can book. Pure: no database, no clock.

``booking.selectors`` loads everything this needs in a fixed number of queries and calls
:func:`compute_slots`. Keeping the rules here, free of I/O, is what lets the property-based
tests throw thousands of random calendars at them.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.geo import Point, distance_km


@dataclass(frozen=True)
class Visit:
    """A visit already on the calendar: it blocks its time plus the travel around it."""

    starts_at: datetime
    ends_at: datetime
    point: Point | None = None


@dataclass(frozen=True)
class TravelPolicy:
    speed_kmh: float
    min_buffer: timedelta
    home: Point | None = None
    from_home_base: bool = False

    def between(self, a: Point | None, b: Point | None) -> timedelta:
        """Time to get from a to b: distance at the therapist's speed, never under the buffer.
        When either end is unknown only the buffer is required."""
        if a is None or b is None:
            return self.min_buffer
        minutes = math.ceil(distance_km(a, b) / self.speed_kmh * 60)
        return max(self.min_buffer, timedelta(minutes=minutes))


@dataclass(frozen=True)
class SlotRequest:
    tz: ZoneInfo
    working: Sequence[tuple[datetime, datetime]]  # sorted, merged, UTC, inside the date range
    duration: timedelta
    step: timedelta
    earliest: datetime  # now + minimum notice
    latest: datetime  # now + booking horizon (last start)
    travel: TravelPolicy
    max_per_day: int
    visits: Sequence[Visit] = ()  # the therapist's active bookings around the range
    client_point: Point | None = None
    client_busy: Sequence[tuple[datetime, datetime]] = ()  # the client's own active bookings
    out_of_area: bool = False


def _ceil_to_grid(moment: datetime, tz: ZoneInfo, step: timedelta) -> datetime:
    """The first grid point at or after ``moment``; the grid runs from local midnight."""
    local = moment.astimezone(tz)
    midnight = datetime(local.year, local.month, local.day, tzinfo=tz)
    step_s = int(step.total_seconds())
    # Wall-clock seconds since midnight, so 09:00 stays 09:00 on a DST day.
    wall = local.replace(tzinfo=None) - midnight.replace(tzinfo=None)
    seconds = int(wall.total_seconds())
    rounded = -(-seconds // step_s) * step_s
    if rounded == seconds and local.microsecond == 0:
        return moment
    candidate = (midnight.replace(tzinfo=None) + timedelta(seconds=rounded)).replace(tzinfo=tz)
    return candidate.astimezone(moment.tzinfo)


def _overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def compute_slots(req: SlotRequest) -> list[datetime]:
    if req.out_of_area or req.duration <= timedelta(0):
        return []
    visits = sorted(req.visits, key=lambda v: v.starts_at)
    starts = [v.starts_at for v in visits]
    per_day: dict[date, int] = {}
    for visit in visits:
        day = visit.starts_at.astimezone(req.tz).date()
        per_day[day] = per_day.get(day, 0) + 1

    offered: set[datetime] = set()
    for work_start, work_end in req.working:
        start = _ceil_to_grid(max(work_start, req.earliest), req.tz, req.step)
        while start + req.duration <= work_end and start <= req.latest:
            if _fits(req, start, work_start, work_end, visits, starts, per_day):
                offered.add(start)
            start += req.step
    return sorted(offered)


def _fits(
    req: SlotRequest,
    start: datetime,
    work_start: datetime,
    work_end: datetime,
    visits: list[Visit],
    starts: list[datetime],
    per_day: dict[date, int],
) -> bool:
    end = start + req.duration
    day = start.astimezone(req.tz).date()
    if per_day.get(day, 0) >= req.max_per_day:
        return False
    for busy_start, busy_end in req.client_busy:
        if _overlaps(start, end, busy_start, busy_end):
            return False

    # The visit just before and just after this slot (visits never overlap each other).
    i = bisect.bisect_left(starts, end)
    before = visits[i - 1] if i > 0 else None
    after = visits[i] if i < len(visits) else None
    if before is not None and before.ends_at > start:
        return False  # overlaps the previous visit
    travel = req.travel
    if before is not None and before.starts_at.astimezone(req.tz).date() == day:
        if start - before.ends_at < travel.between(before.point, req.client_point):
            return False
    elif travel.from_home_base and start - work_start < travel.between(
        travel.home, req.client_point
    ):
        return False
    if after is not None and after.starts_at.astimezone(req.tz).date() == day:
        if after.starts_at - end < travel.between(req.client_point, after.point):
            return False
    elif travel.from_home_base and work_end - end < travel.between(req.client_point, travel.home):
        return False
    return True
