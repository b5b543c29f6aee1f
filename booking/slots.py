"""The slot engine: which start times a client can book. Pure: no database, no clock.

``booking.selectors`` loads everything this needs in a fixed number of queries and calls
:func:`compute_slots`. Keeping the rules here, free of I/O, is what lets the property-based
tests throw thousands of random calendars at them.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
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


def compute_slots(req: SlotRequest) -> list[datetime]:
    """Every bookable start time, sorted and unique."""
    return list(iter_slots(req))


def iter_slots(req: SlotRequest) -> Iterator[datetime]:
    """The bookable start times in time order, computed as they are asked for: a caller that
    needs the first few (the directory's "next free", "first available") stops early and the
    rest of the calendar is never looked at.

    Working intervals are sorted and disjoint and a slot lies inside one, so walking them in
    order yields each start once and in order. What does not depend on the candidate time is
    worked out once per visit, not per candidate: the travel to and from each visit, the local
    date of each visit, the travel to and from home."""
    if req.out_of_area or req.duration <= timedelta(0):
        return
    tz = req.tz
    visits = sorted(req.visits, key=lambda v: v.starts_at)
    starts = [v.starts_at for v in visits]
    visit_days = [v.starts_at.astimezone(tz).date() for v in visits]
    per_day: dict[date, int] = {}
    for day in visit_days:
        per_day[day] = per_day.get(day, 0) + 1
    travel = req.travel
    client = req.client_point
    # Travel is constant per visit (from a visit to this client, from this client to the
    # next visit): worked out the first time a candidate needs it, then reused.
    from_visit: list[timedelta | None] = [None] * len(visits)
    to_visit: list[timedelta | None] = [None] * len(visits)
    from_home = travel.between(travel.home, client) if travel.from_home_base else timedelta(0)
    to_home = travel.between(client, travel.home) if travel.from_home_base else timedelta(0)
    duration, step = req.duration, req.step
    client_busy = sorted(req.client_busy)
    count = len(visits)

    for work_start, work_end in req.working:
        start = _ceil_to_grid(max(work_start, req.earliest), tz, step)
        while start + duration <= work_end and start <= req.latest:
            end = start + duration
            day = start.astimezone(tz).date()
            if per_day.get(day, 0) < req.max_per_day and not any(
                busy_start < end and start < busy_end for busy_start, busy_end in client_busy
            ):
                # The visit just before and just after this slot (visits never overlap).
                i = bisect.bisect_left(starts, end)
                fits = True
                if i > 0:
                    before = visits[i - 1]
                    if before.ends_at > start:
                        fits = False  # overlaps the previous visit
                    elif visit_days[i - 1] == day:
                        needed = from_visit[i - 1]
                        if needed is None:
                            needed = from_visit[i - 1] = travel.between(before.point, client)
                        fits = start - before.ends_at >= needed
                    elif travel.from_home_base:
                        fits = start - work_start >= from_home
                elif travel.from_home_base:
                    fits = start - work_start >= from_home
                if fits:
                    if i < count and visit_days[i] == day:
                        needed = to_visit[i]
                        if needed is None:
                            needed = to_visit[i] = travel.between(client, visits[i].point)
                        fits = visits[i].starts_at - end >= needed
                    elif travel.from_home_base:
                        fits = work_end - end >= to_home
                if fits:
                    yield start
            start += step
