"""The one way times are written (core.timefmt): US style, the zone in words."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from core import timefmt

NY = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _this_year_is_2026(monkeypatch):
    monkeypatch.setattr(timefmt, "_this_year", lambda zone: 2026)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


def test_it_writes_a_moment_in_the_readers_zone():
    moment = at(2026, 11, 30, 14, 0).astimezone(dt.UTC)
    assert timefmt.format_datetime(moment, "America/New_York") == "Mon, Nov 30, 2:00 PM"
    assert timefmt.format_datetime(moment, "America/Los_Angeles") == "Mon, Nov 30, 11:00 AM"
    assert timefmt.format_time(moment, NY) == "2:00 PM"


def test_it_adds_the_year_only_when_it_is_not_this_year():
    assert timefmt.format_date(dt.date(2026, 12, 1)) == "Tue, Dec 1"
    assert timefmt.format_date(dt.date(2027, 1, 5)) == "Tue, Jan 5, 2027"
    assert timefmt.format_long_date(dt.date(2026, 12, 1)) == "Tuesday, December 1"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(2026, 11, 30, 9), at(2026, 11, 30, 10), "Mon, Nov 30, 9:00–10:00 AM"),
        (at(2026, 11, 30, 11, 30), at(2026, 11, 30, 13), "Mon, Nov 30, 11:30 AM–1:00 PM"),
        (
            at(2026, 11, 30, 23),
            at(2026, 12, 1, 1),
            "Mon, Nov 30, 11:00 PM – Tue, Dec 1, 1:00 AM",
        ),
    ],
)
def test_it_writes_a_range_without_repeating_itself(start, end, expected):
    assert timefmt.format_range(start, end, NY) == expected


@pytest.mark.parametrize(
    ("zone", "words"),
    [
        ("America/New_York", "Eastern Time"),
        ("America/Chicago", "Central Time"),
        ("America/Los_Angeles", "Pacific Time"),
        ("Pacific/Honolulu", "Hawaii Time"),
        ("Europe/London", "London time"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires time"),
        ("UTC", "UTC"),
    ],
)
def test_it_names_a_zone_in_words(zone, words):
    assert timefmt.zone_name(zone) == words
    assert timefmt.with_zone("9:00 AM", zone) == f"9:00 AM {words}"
