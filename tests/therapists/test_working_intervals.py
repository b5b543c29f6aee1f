"""working_intervals: weekly hours + extra hours − time off, as UTC instants, across DST."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories
from therapists.models import DateOverride, TherapistProfile, TimeOff, WeeklyHours
from therapists.selectors import local_day_bounds, merge_intervals, working_intervals

UTC = dt.UTC
NY = "America/New_York"


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def hours(weekday: int, start: str, end: str) -> WeeklyHours:
    return WeeklyHours(
        weekday=weekday,
        start_time=dt.time.fromisoformat(start),
        end_time=dt.time.fromisoformat(end),
    )


def therapist_in(zone: str = NY) -> TherapistProfile:
    return TherapistProfile(time_zone=zone)


def test_it_keeps_nine_local_across_the_spring_change_in_new_york():
    # 2025-03-09 is the Sunday New York moves from EST (-5) to EDT (-4).
    weekly = [hours(d, "09:00", "17:00") for d in range(7)]
    got = working_intervals(
        therapist=therapist_in(),
        start_date=dt.date(2025, 3, 8),
        days=3,
        weekly_hours=weekly,
        overrides=[],
        time_off=[],
    )
    assert got == [
        (utc(2025, 3, 8, 14), utc(2025, 3, 8, 22)),  # Saturday, EST
        (utc(2025, 3, 9, 13), utc(2025, 3, 9, 21)),  # Sunday, EDT already
        (utc(2025, 3, 10, 13), utc(2025, 3, 10, 21)),
    ]


def test_it_keeps_nine_local_across_the_autumn_change_in_new_york():
    # 2025-11-02: back from EDT (-4) to EST (-5).
    weekly = [hours(d, "09:00", "12:00") for d in range(7)]
    got = working_intervals(
        therapist=therapist_in(),
        start_date=dt.date(2025, 11, 1),
        days=2,
        weekly_hours=weekly,
        overrides=[],
        time_off=[],
    )
    assert got == [
        (utc(2025, 11, 1, 13), utc(2025, 11, 1, 16)),
        (utc(2025, 11, 2, 14), utc(2025, 11, 2, 17)),
    ]


def test_it_handles_a_range_spanning_the_missing_hour():
    # 01:00–04:00 on the spring-forward night is only two real hours long.
    got = working_intervals(
        therapist=therapist_in(),
        start_date=dt.date(2025, 3, 9),
        days=1,
        weekly_hours=[hours(6, "01:00", "04:00")],
        overrides=[],
        time_off=[],
    )
    assert got == [(utc(2025, 3, 9, 6), utc(2025, 3, 9, 8))]
    assert got[0][1] - got[0][0] == dt.timedelta(hours=2)


def test_it_handles_a_range_spanning_the_repeated_hour():
    # 00:30–03:00 on the fall-back night is three and a half real hours long.
    got = working_intervals(
        therapist=therapist_in(),
        start_date=dt.date(2025, 11, 2),
        days=1,
        weekly_hours=[hours(6, "00:30", "03:00")],
        overrides=[],
        time_off=[],
    )
    assert got == [(utc(2025, 11, 2, 4, 30), utc(2025, 11, 2, 8))]


def test_it_uses_the_european_change_date_for_a_london_therapist():
    # London changes on 2025-03-30, three weeks after New York.
    weekly = [hours(d, "09:00", "10:00") for d in range(7)]
    got = working_intervals(
        therapist=therapist_in("Europe/London"),
        start_date=dt.date(2025, 3, 29),
        days=2,
        weekly_hours=weekly,
        overrides=[],
        time_off=[],
    )
    assert got == [
        (utc(2025, 3, 29, 9), utc(2025, 3, 29, 10)),
        (utc(2025, 3, 30, 8), utc(2025, 3, 30, 9)),
    ]


def test_it_uses_several_ranges_per_day_and_only_that_weekday():
    weekly = [hours(0, "09:00", "12:00"), hours(0, "14:00", "19:00"), hours(2, "10:00", "11:00")]
    got = working_intervals(
        therapist=therapist_in(),
        start_date=dt.date(2025, 6, 2),  # a Monday
        days=2,
        weekly_hours=weekly,
        overrides=[],
        time_off=[],
    )
    assert got == [
        (utc(2025, 6, 2, 13), utc(2025, 6, 2, 16)),
        (utc(2025, 6, 2, 18), utc(2025, 6, 2, 23)),
    ]


def test_it_adds_extra_hours_and_merges_overlaps():
    weekly = [hours(0, "09:00", "12:00")]
    extra = [
        DateOverride(date=dt.date(2025, 6, 2), start_time=dt.time(11), end_time=dt.time(13)),
        DateOverride(date=dt.date(2025, 6, 3), start_time=dt.time(8), end_time=dt.time(9)),
        DateOverride(date=dt.date(2025, 6, 9), start_time=dt.time(8), end_time=dt.time(9)),
    ]
    got = working_intervals(
        therapist=therapist_in(),
        start_date=dt.date(2025, 6, 2),
        days=2,
        weekly_hours=weekly,
        overrides=extra,
        time_off=[],
    )
    assert got == [
        (utc(2025, 6, 2, 13), utc(2025, 6, 2, 17)),
        (utc(2025, 6, 3, 12), utc(2025, 6, 3, 13)),
    ]


def test_it_removes_a_day_off_and_cuts_a_partial_block():
    weekly = [hours(d, "09:00", "17:00") for d in range(7)]
    tz = therapist_in().tz
    day_off = local_day_bounds(dt.date(2025, 6, 3), tz)
    blocks = [
        TimeOff(starts_at=day_off[0], ends_at=day_off[1], reason="Holiday"),
        TimeOff(starts_at=utc(2025, 6, 2, 15), ends_at=utc(2025, 6, 2, 16), reason="Dentist"),
    ]
    got = working_intervals(
        therapist=therapist_in(),
        start_date=dt.date(2025, 6, 2),
        days=3,
        weekly_hours=weekly,
        overrides=[],
        time_off=blocks,
    )
    assert got == [
        (utc(2025, 6, 2, 13), utc(2025, 6, 2, 15)),
        (utc(2025, 6, 2, 16), utc(2025, 6, 2, 21)),
        (utc(2025, 6, 4, 13), utc(2025, 6, 4, 21)),
    ]


def test_it_gives_a_local_day_off_of_23_hours_on_the_spring_change():
    start, end = local_day_bounds(dt.date(2025, 3, 9), therapist_in().tz)
    assert (start, end) == (utc(2025, 3, 9, 5), utc(2025, 3, 10, 4))
    assert end - start == dt.timedelta(hours=23)


def test_it_returns_nothing_for_zero_days():
    got = working_intervals(
        therapist=therapist_in(),
        start_date=dt.date(2025, 6, 2),
        days=0,
        weekly_hours=[hours(0, "09:00", "12:00")],
        overrides=[],
        time_off=[],
    )
    assert got == []


def test_it_merges_touching_intervals():
    assert merge_intervals(
        [(utc(2025, 1, 1, 12), utc(2025, 1, 1, 13)), (utc(2025, 1, 1, 10), utc(2025, 1, 1, 12))]
    ) == [(utc(2025, 1, 1, 10), utc(2025, 1, 1, 13))]


@pytest.mark.django_db
def test_it_reads_the_therapists_own_rows_when_nothing_is_preloaded(django_assert_num_queries):
    therapist = factories.TherapistProfileFactory()
    other = factories.TherapistProfileFactory()
    factories.WeeklyHoursFactory(therapist=therapist, weekday=0)  # 09:00–17:00
    factories.WeeklyHoursFactory(therapist=other, weekday=0, start_time=dt.time(6))
    DateOverride.objects.create(
        therapist=therapist, date=dt.date(2025, 6, 3), start_time=dt.time(18), end_time=dt.time(20)
    )
    TimeOff.objects.create(
        therapist=therapist, starts_at=utc(2025, 6, 2, 13), ends_at=utc(2025, 6, 2, 14)
    )
    TimeOff.objects.create(
        therapist=other, starts_at=utc(2025, 6, 2, 16), ends_at=utc(2025, 6, 2, 17)
    )
    with django_assert_num_queries(3):
        got = working_intervals(therapist=therapist, start_date=dt.date(2025, 6, 2), days=7)
    assert got == [
        (utc(2025, 6, 2, 14), utc(2025, 6, 2, 21)),
        (utc(2025, 6, 3, 22), utc(2025, 6, 4, 0)),
    ]
    assert all(start.tzinfo is UTC for start, _ in got)
