"""The slot engine: by example against the database, and by property on the pure engine."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.models import Booking
from booking.selectors import available_slots, earliest_slots, next_free_slots
from booking.slots import SlotRequest, TravelPolicy, Visit, _ceil_to_grid, compute_slots, iter_slots
from core.geo import Point
from tests import factories
from therapists.models import TimeOff, WeeklyHours
from therapists.selectors import working_intervals

NY = ZoneInfo("America/New_York")
UTC = dt.UTC
MONDAY = dt.date(2026, 12, 7)  # a plain Monday, far from DST changes
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NY).astimezone(UTC)


@pytest.fixture
def service(db):
    service = factories.ServiceFactory(
        therapist__min_travel_buffer_minutes=15, therapist__max_visits_per_day=5
    )
    WeeklyHours.objects.create(
        therapist=service.therapist, weekday=0, start_time=dt.time(9), end_time=dt.time(17)
    )
    return service


def slots(service, day=MONDAY, days=1, **kwargs):
    return available_slots(
        therapist=service.therapist, service=service, start_date=day, days=days, now=NOW, **kwargs
    )


def test_it_offers_every_quarter_hour_that_fits_the_working_day(service):
    offered = slots(service)
    assert offered[0] == at(MONDAY, 9)
    assert offered[-1] == at(MONDAY, 16)
    assert len(offered) == 29
    assert all(s.tzinfo is not None for s in offered)


def test_it_offers_nothing_on_a_day_without_hours(service):
    assert slots(service, day=MONDAY + dt.timedelta(days=1)) == []


def test_it_keeps_the_buffer_around_an_existing_visit_at_the_same_address(service):
    client = factories.ClientProfileFactory()
    factories.BookingFactory(
        service=service,
        client=client,
        starts_at=at(MONDAY, 12),
        latitude=client.latitude,
        longitude=client.longitude,
    )
    offered = slots(service, client=factories.ClientProfileFactory())
    assert at(MONDAY, 10, 45) in offered  # ends 11:45, 15 minutes before 12:00
    assert at(MONDAY, 11) not in offered
    assert at(MONDAY, 13) not in offered
    assert at(MONDAY, 13, 15) in offered


def test_it_adds_travel_time_from_a_visit_across_town(service):
    factories.BookingFactory(
        service=service,
        starts_at=at(MONDAY, 12),
        latitude=40.6782,  # Brooklyn, ~9 km from Midtown: 18+ minutes at 30 km/h
        longitude=-73.9442,
    )
    offered = slots(service, client=factories.ClientProfileFactory())
    assert at(MONDAY, 13, 15) not in offered
    assert at(MONDAY, 13, 30) in offered


def test_it_never_offers_time_off(service):
    TimeOff.objects.create(
        therapist=service.therapist,
        starts_at=at(MONDAY, 12),
        ends_at=at(MONDAY, 14),
        reason="Dentist",
    )
    offered = slots(service)
    assert all(
        not (s < at(MONDAY, 14) and s + dt.timedelta(hours=1) > at(MONDAY, 12)) for s in offered
    )
    assert at(MONDAY, 11) in offered
    assert at(MONDAY, 14) in offered


def test_it_respects_the_minimum_notice(service):
    therapist = service.therapist
    therapist.min_notice_hours = 24
    therapist.save()
    now = at(MONDAY, 8)  # 24 hours' notice pushes everything to Tuesday
    assert (
        available_slots(therapist=therapist, service=service, start_date=MONDAY, days=1, now=now)
        == []
    )


def test_it_stops_at_the_daily_visit_cap(service):
    therapist = service.therapist
    therapist.max_visits_per_day = 1
    therapist.save()
    factories.BookingFactory(service=service, starts_at=at(MONDAY, 9))
    assert slots(service) == []


def test_it_ignores_cancelled_bookings(service):
    factories.BookingFactory(
        service=service, starts_at=at(MONDAY, 12), status=Booking.Status.CANCELLED
    )
    assert at(MONDAY, 12) in slots(service)


def test_it_offers_nothing_outside_the_therapists_radius(service):
    far = factories.ClientProfileFactory(latitude=42.3601, longitude=-71.0589)  # Boston
    assert slots(service, client=far) == []


def test_it_keeps_a_client_from_double_booking_themself(service):
    client = factories.ClientProfileFactory()
    other = factories.ServiceFactory()
    WeeklyHours.objects.create(
        therapist=other.therapist, weekday=0, start_time=dt.time(9), end_time=dt.time(17)
    )
    factories.BookingFactory(service=other, client=client, starts_at=at(MONDAY, 12))
    offered = slots(service, client=client)
    assert at(MONDAY, 12) not in offered
    assert at(MONDAY, 11, 30) not in offered
    assert at(MONDAY, 13) in offered


def test_it_counts_travel_from_home_base_when_asked(service):
    therapist = service.therapist
    therapist.travel_from_home_base = True
    therapist.min_travel_buffer_minutes = 30
    therapist.save()
    offered = slots(service, client=factories.ClientProfileFactory())
    assert offered[0] == at(MONDAY, 9, 30)
    assert offered[-1] == at(MONDAY, 15, 30)


def test_it_loads_in_a_fixed_number_of_queries(service, django_assert_max_num_queries):
    client = factories.ClientProfileFactory()
    with django_assert_max_num_queries(6) as few:
        slots(service, client=client)
    for week in range(4):
        for hour in (9, 12, 15):
            factories.BookingFactory(
                service=service, starts_at=at(MONDAY + dt.timedelta(weeks=week), hour)
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        slots(service, days=28, client=client)


@pytest.mark.parametrize(
    ("sunday", "utc_hour"),
    [
        (dt.date(2026, 3, 1), 14),  # EST, UTC-5
        (dt.date(2026, 3, 8), 13),  # the day clocks go forward: EDT, UTC-4
        (dt.date(2026, 11, 1), 14),  # the day clocks go back: EST again
    ],
)
def test_it_offers_local_nine_oclock_on_dst_days(db, sunday, utc_hour):
    service = factories.ServiceFactory()
    WeeklyHours.objects.create(
        therapist=service.therapist, weekday=6, start_time=dt.time(9), end_time=dt.time(12)
    )
    offered = available_slots(
        therapist=service.therapist,
        service=service,
        start_date=sunday,
        days=1,
        now=dt.datetime.combine(sunday - dt.timedelta(days=7), dt.time(), tzinfo=UTC),
    )
    assert offered[0] == dt.datetime.combine(sunday, dt.time(utc_hour), tzinfo=UTC)
    assert [s.astimezone(NY).time() for s in offered][:2] == [dt.time(9), dt.time(9, 15)]
    assert offered[-1].astimezone(NY).time() == dt.time(11)


def test_next_free_slots_and_earliest_across_therapists(service):
    assert next_free_slots(
        therapist=service.therapist, service=service, count=2, now=at(MONDAY, 6)
    ) == [
        at(MONDAY, 9),
        at(MONDAY, 9, 15),
    ]
    later = factories.ServiceFactory()
    WeeklyHours.objects.create(
        therapist=later.therapist, weekday=0, start_time=dt.time(13), end_time=dt.time(17)
    )
    offers = earliest_slots(
        modality="myofascial", duration_minutes=60, postcode="10001", now=at(MONDAY, 6), limit=40
    )
    assert offers[0].therapist == service.therapist
    assert offers[0].starts_at == at(MONDAY, 9)
    assert any(o.therapist == later.therapist for o in offers)
    assert [o.starts_at for o in offers] == sorted(o.starts_at for o in offers)
    assert earliest_slots(modality="sports", postcode="10001", now=at(MONDAY, 6)) == []


# --- Properties of the pure engine ----------------------------------------------------------

HOME = Point(40.75, -73.99)
minutes = st.integers(min_value=0, max_value=24 * 60 - 1)


@st.composite
def calendars(draw):
    """A random week: weekly ranges, time off, existing visits at random nearby addresses."""

    class Range:
        def __init__(self, weekday, start, end):
            self.weekday, self.start_time, self.end_time = weekday, start, end

    class Block:
        def __init__(self, s, e):
            self.starts_at, self.ends_at = s, e

    ranges = []
    for _ in range(draw(st.integers(1, 8))):
        a, b = sorted(draw(st.lists(minutes, min_size=2, max_size=2, unique=True)))
        ranges.append(
            Range(draw(st.integers(0, 6)), dt.time(a // 60, a % 60), dt.time(b // 60, b % 60))
        )
    start = dt.datetime(2026, 3, 5, tzinfo=UTC)  # the week includes the March DST change
    offs = []
    for _ in range(draw(st.integers(0, 3))):
        s = start + dt.timedelta(minutes=draw(st.integers(0, 7 * 24 * 60)))
        offs.append(Block(s, s + dt.timedelta(minutes=draw(st.integers(15, 600)))))
    visits, cursor = [], start
    for _ in range(draw(st.integers(0, 12))):
        cursor += dt.timedelta(minutes=draw(st.integers(0, 900)))
        length = dt.timedelta(minutes=draw(st.sampled_from([30, 60, 90])))
        point = Point(40.75 + draw(st.floats(-0.1, 0.1)), -73.99 + draw(st.floats(-0.1, 0.1)))
        visits.append(Visit(cursor, cursor + length, point))
        cursor += length
    return ranges, offs, visits


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    calendar=calendars(),
    duration=st.sampled_from([30, 60, 90]),
    buffer=st.integers(0, 45),
    from_home=st.booleans(),
    cap=st.integers(1, 6),
)
def test_no_offered_slot_ever_breaks_a_rule(calendar, duration, buffer, from_home, cap):
    ranges, offs, visits = calendar
    tz = NY

    class FakeTherapist:
        time_zone = "America/New_York"
        pk = None
        tz = NY

    working = working_intervals(
        therapist=FakeTherapist(),
        start_date=dt.date(2026, 3, 5),
        days=7,
        weekly_hours=ranges,
        overrides=[],
        time_off=offs,
    )
    client = Point(40.76, -73.98)
    travel = TravelPolicy(
        speed_kmh=30, min_buffer=dt.timedelta(minutes=buffer), home=HOME, from_home_base=from_home
    )
    length = dt.timedelta(minutes=duration)
    req = SlotRequest(
        tz=tz,
        working=working,
        duration=length,
        step=dt.timedelta(minutes=15),
        earliest=dt.datetime(2026, 3, 5, tzinfo=UTC),
        latest=dt.datetime(2026, 4, 1, tzinfo=UTC),
        travel=travel,
        max_per_day=cap,
        visits=visits,
        client_point=client,
    )
    offered = compute_slots(req)

    assert offered == sorted(set(offered))
    for start in offered:
        end = start + length
        # inside one working interval, so inside hours and outside time off
        assert any(ws <= start and end <= we for ws, we in working)
        for off in offs:
            assert end <= off.starts_at or start >= off.ends_at
        local = start.astimezone(tz)
        assert (local.hour * 60 + local.minute) % 15 == 0
        same_day = [v for v in visits if v.starts_at.astimezone(tz).date() == local.date()]
        assert len(same_day) < cap
        for v in visits:
            assert end <= v.starts_at or start >= v.ends_at, "overlaps a visit"
        for v in same_day:
            if v.ends_at <= start:
                assert start - v.ends_at >= travel.between(v.point, client)
            if v.starts_at >= end:
                assert v.starts_at - end >= travel.between(client, v.point)


def test_first_available_does_not_query_per_therapist(service, django_assert_max_num_queries):
    def add_therapist():
        other = factories.ServiceFactory()
        WeeklyHours.objects.create(
            therapist=other.therapist, weekday=0, start_time=dt.time(9), end_time=dt.time(17)
        )
        factories.BookingFactory(service=other, starts_at=at(MONDAY, 10))

    add_therapist()
    with django_assert_max_num_queries(20) as few:
        earliest_slots(modality="myofascial", postcode="10001", now=at(MONDAY, 6))
    for _ in range(5):
        add_therapist()
    with django_assert_max_num_queries(len(few.captured_queries)):
        offers = earliest_slots(
            modality="myofascial", postcode="10001", now=at(MONDAY, 6), limit=100
        )
    assert len({o.therapist.pk for o in offers}) == 7


# --- The fast engine answers exactly what the plain one did --------------------------------


def reference_slots(req: SlotRequest) -> list[dt.datetime]:
    """The engine as first written: every candidate checked on its own, travel worked out per
    candidate, the result collected into a set and sorted. Slow and obviously right; the
    engine's early stop and per-visit work must never change its answer."""
    if req.out_of_area or req.duration <= dt.timedelta(0):
        return []
    visits = sorted(req.visits, key=lambda v: v.starts_at)
    starts = [v.starts_at for v in visits]
    per_day: dict[dt.date, int] = {}
    for visit in visits:
        day = visit.starts_at.astimezone(req.tz).date()
        per_day[day] = per_day.get(day, 0) + 1

    def fits(start: dt.datetime, work_start: dt.datetime, work_end: dt.datetime) -> bool:
        end = start + req.duration
        day = start.astimezone(req.tz).date()
        if per_day.get(day, 0) >= req.max_per_day:
            return False
        for busy_start, busy_end in req.client_busy:
            if start < busy_end and busy_start < end:
                return False
        i = bisect.bisect_left(starts, end)
        before = visits[i - 1] if i > 0 else None
        after = visits[i] if i < len(visits) else None
        if before is not None and before.ends_at > start:
            return False
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
        elif travel.from_home_base and work_end - end < travel.between(
            req.client_point, travel.home
        ):
            return False
        return True

    offered: set[dt.datetime] = set()
    for work_start, work_end in req.working:
        start = _ceil_to_grid(max(work_start, req.earliest), req.tz, req.step)
        while start + req.duration <= work_end and start <= req.latest:
            if fits(start, work_start, work_end):
                offered.add(start)
            start += req.step
    return sorted(offered)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    calendar=calendars(),
    duration=st.sampled_from([30, 60, 90]),
    buffer=st.integers(0, 45),
    from_home=st.booleans(),
    cap=st.integers(1, 6),
    client_known=st.booleans(),
    busy=st.lists(st.integers(0, 7 * 24 * 4), max_size=3),
    earliest_minutes=st.integers(0, 3 * 24 * 60),
    take=st.integers(1, 5),
)
def test_the_fast_engine_answers_what_the_plain_one_did(
    calendar, duration, buffer, from_home, cap, client_known, busy, earliest_minutes, take
):
    ranges, offs, visits = calendar

    class FakeTherapist:
        time_zone = "America/New_York"
        pk = None
        tz = NY

    working = working_intervals(
        therapist=FakeTherapist(),
        start_date=dt.date(2026, 3, 5),
        days=7,
        weekly_hours=ranges,
        overrides=[],
        time_off=offs,
    )
    week = dt.datetime(2026, 3, 5, tzinfo=UTC)
    req = SlotRequest(
        tz=NY,
        working=working,
        duration=dt.timedelta(minutes=duration),
        step=dt.timedelta(minutes=15),
        earliest=week + dt.timedelta(minutes=earliest_minutes),
        latest=dt.datetime(2026, 4, 1, tzinfo=UTC),
        travel=TravelPolicy(
            speed_kmh=30,
            min_buffer=dt.timedelta(minutes=buffer),
            home=HOME,
            from_home_base=from_home,
        ),
        max_per_day=cap,
        visits=visits,
        client_point=Point(40.76, -73.98) if client_known else None,
        client_busy=[
            (week + dt.timedelta(minutes=15 * b), week + dt.timedelta(minutes=15 * b + 60))
            for b in busy
        ],
    )
    expected = reference_slots(req)
    assert compute_slots(req) == expected
    # Stopping early gives the first few of the same answer.
    assert list(itertools.islice(iter_slots(req), take)) == expected[:take]


@pytest.mark.parametrize("seed", range(6))
def test_first_available_is_the_merge_of_every_therapists_times(db, seed):
    """ "First available" looks a day ahead, then further: its answer must be exactly the
    soonest of everybody's full lists, across time zones and for any limit."""
    rng = random.Random(seed)
    zones = ["America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Asia/Kolkata"]
    services = []
    for i in range(5):
        service = factories.ServiceFactory(
            therapist__time_zone=zones[i % len(zones)],
            therapist__min_notice_hours=rng.choice([0, 4, 30]),
            therapist__max_visits_per_day=rng.randint(1, 4),
            duration_minutes=rng.choice([45, 60, 90]),
        )
        therapist = service.therapist
        for weekday in rng.sample(range(7), rng.randint(1, 4)):
            start = rng.randint(6, 14)
            WeeklyHours.objects.create(
                therapist=therapist,
                weekday=weekday,
                start_time=dt.time(start),
                end_time=dt.time(start + rng.randint(2, 8)),
            )
        for hour in rng.sample(range(24 * 10), rng.randint(0, 6)):  # never overlapping
            begins = NOW + dt.timedelta(hours=hour, minutes=15 * rng.randint(0, 3))
            factories.BookingFactory(
                service=service,
                starts_at=begins,
                ends_at=begins + dt.timedelta(minutes=45),
            )
        services.append(service)
    every = sorted(
        (starts_at, s.therapist.display_name, s.pk)
        for s in services
        for starts_at in available_slots(
            therapist=s.therapist,
            service=s,
            start_date=max(NOW.date(), NOW.astimezone(s.therapist.tz).date()),
            days=14,
            now=NOW,
            cached=False,
        )
    )
    assert len(every) > 10
    for limit in (1, 3, 10, 40):
        offers = earliest_slots(modality="myofascial", days=14, limit=limit, now=NOW)
        assert [(o.starts_at, o.therapist.display_name, o.service.pk) for o in offers] == every[
            :limit
        ]
