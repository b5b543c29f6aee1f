"""Showing times to people: the one place that turns a date or a moment into words.

Every page, e-mail and calendar description goes through these functions (templates through
``{% load timefmt %}``), so a time reads the same everywhere:

- a date: "Mon, Nov 30" (the year is added when it is not this year: "Fri, Nov 1, 2030");
- a time: "9:00 AM";
- a moment: "Mon, Nov 30, 9:00 AM";
- a range: "Mon, Nov 30, 9:00–10:00 AM", "Mon, Nov 30, 11:30 AM–1:00 PM";
- a zone, in words: "Eastern Time", "London time".

A time is shown in the reader's zone, and the zone is named once per page or e-mail (with
:func:`zone_name`), not after every time.
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from core.zones import US_ZONES, zone_for

_DAY = "D, M j"
_DAY_YEAR = "D, M j, Y"
_TIME = "g:i A"
_TIME_NO_MERIDIEM = "g:i"
_MONTH_YEAR = "F Y"


# Kept for callers that still pass a format name; both now mean the helper's own wording.
SLOT_FORMAT = "moment"
TIME_FORMAT = "time"


def _zone(zone: Any) -> tzinfo:
    return zone_for(zone)


def _zone_key(zone: Any) -> str:
    tz = _zone(zone)
    return str(getattr(tz, "key", "") or tz.tzname(None) or "")


def zone_name(zone: Any) -> str:
    """The zone in words: "Eastern Time" for the US zones, else "<city> time" ("UTC" as is)."""
    key = _zone_key(zone)
    if key in US_ZONES:
        return str(US_ZONES[key])
    if "/" not in key:
        return key
    city = key.rsplit("/", 1)[1].replace("_", " ")
    return _("%(city)s time") % {"city": city}


def _local(moment: datetime, zone: Any) -> datetime:
    return timezone.localtime(moment, _zone(zone))


def local_time(moment: datetime, zone: Any) -> time:
    return _local(moment, zone).time()


def _this_year(zone: Any) -> int:
    return timezone.localdate(timezone=_zone(zone)).year


def format_date(day: date, *, zone: Any = None, year: bool | None = None) -> str:
    """ "Mon, Nov 30"; with the year when it is not this year (or when ``year`` is True)."""
    if isinstance(day, datetime):
        day = _local(day, zone).date()
    if year is None:
        year = day.year != _this_year(zone)
    return date_format(day, _DAY_YEAR if year else _DAY)


def format_time(value: datetime | time, zone: Any = None) -> str:
    """ "9:00 AM" (a moment is first put in ``zone``)."""
    if isinstance(value, datetime):
        value = _local(value, zone).time()
    return time_format(value, _TIME)


def format_datetime(moment: datetime, zone: Any = None, *, year: bool | None = None) -> str:
    """ "Mon, Nov 30, 9:00 AM" in ``zone``."""
    local = _local(moment, zone)
    return f"{format_date(local.date(), zone=zone, year=year)}, {format_time(local.time())}"


def format_time_range(start: time, end: time) -> str:
    """ "9:00–10:00 AM", "11:30 AM–1:00 PM"."""
    if (start.hour < 12) == (end.hour < 12):
        return f"{time_format(start, _TIME_NO_MERIDIEM)}–{time_format(end, _TIME)}"
    return f"{time_format(start, _TIME)}–{time_format(end, _TIME)}"


def format_range(start: datetime, end: datetime, zone: Any = None) -> str:
    """ "Mon, Nov 30, 9:00–10:00 AM"; across days "Mon, Nov 30, 9:00 PM – Tue, Dec 1, 1:00 AM"."""
    a, b = _local(start, zone), _local(end, zone)
    if a.date() == b.date():
        return f"{format_date(a.date(), zone=zone)}, {format_time_range(a.time(), b.time())}"
    return f"{format_datetime(a, zone)} – {format_datetime(b, zone)}"


def format_date_range(first: date, last: date, *, zone: Any = None) -> str:
    """ "Fri, Nov 1 – Mon, Nov 4, 2030" (one day: just that day)."""
    if first == last:
        return format_date(first, zone=zone)
    year = first.year != _this_year(zone) or last.year != first.year
    return f"{format_date(first, year=first.year != last.year)} – {format_date(last, year=year)}"


def format_weekday(day: date) -> str:
    """ "Mon"."""
    return date_format(day, "D")


def format_short_date(day: date) -> str:
    """ "Nov 30" (for a day tile that shows the weekday above it)."""
    return date_format(day, "M j")


def format_long_date(day: date, *, zone: Any = None) -> str:
    """ "Monday, November 30" (with the year when it is not this year)."""
    if isinstance(day, datetime):
        day = _local(day, zone).date()
    fmt = "l, F j" if day.year == _this_year(zone) else "l, F j, Y"
    return date_format(day, fmt)


def format_month(day: date) -> str:
    """ "November 2026"."""
    return date_format(day, _MONTH_YEAR)


def with_zone(text: str, zone: Any) -> str:
    """A time followed by its zone in words, for a line read on its own (an e-mail subject,
    a calendar entry): "Mon, Nov 30, 9:00 AM Eastern Time"."""
    return f"{text} {zone_name(zone)}"


def local_label(moment: datetime, zone: Any, fmt: str = SLOT_FORMAT) -> str:
    """``moment`` as words in ``zone`` (a tzinfo, a zone name or a profile): the moment, or
    only its time with ``fmt=TIME_FORMAT``."""
    if fmt == TIME_FORMAT:
        return format_time(moment, zone)
    return format_datetime(moment, zone)
